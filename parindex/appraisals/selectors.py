"""Reads of the appraisal: the council, assignments and workload, the appraiser's worklist, the appraisal grid of one
unit, explanation requests, disagreements and totals, votes and the history of an entry.

Each function runs a handful of queries whatever the size of the framework: nodes, entries and evidence are loaded
once and put together in Python.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Q
from django.urls import NoReverseMatch, reverse

from parindex.assessments import scoring
from parindex.assessments.models import Assessment, AssessmentStatus, Entry, EntryEvidence, EvidenceKind, ScoreChange
from parindex.frameworks.models import Node

from . import access
from .models import Assignment, Council, CouncilMember, MemberRole
from .services import WORK_STATUSES, missing_appraisal, tally

# Statuses an appraiser's worklist shows (sent by the unit, not yet or already confirmed).
WORKLIST_STATUSES = WORK_STATUSES | {AssessmentStatus.CONFIRMED}
ZERO = Decimal(0)


def optional_url(name: str, *args) -> str | None:
    """A page of another app that may not exist yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


# --- the council and assignments ----------------------------------------------------------------------------------


def council_of(cycle) -> Council | None:
    return Council.objects.filter(cycle=cycle).first()


def council_members(council: Council | None, *, include_ended: bool = True) -> list[CouncilMember]:
    if council is None:
        return []
    qs = CouncilMember.objects.filter(council=council).select_related("user", "organisation")
    if not include_ended:
        qs = qs.filter(ended_at__isnull=True)
    order = {role: i for i, role in enumerate(MemberRole.values)}
    return sorted(qs, key=lambda m: (m.ended_at is not None, order.get(m.role, 99), m.pk))


def cycle_assignments(cycle, *, include_ended: bool = True):
    qs = Assignment.objects.filter(cycle=cycle).select_related("appraiser", "node", "unit", "agency")
    if not include_ended:
        qs = qs.filter(ended_at__isnull=True)
    return qs.order_by("ended_at", "appraiser__full_name", "node__order", "id")


def cycle_nodes(cycle):
    """Nodes a manager can assign: every node of the cycle's frameworks, in tree order."""
    from .services import cycle_framework_ids

    return (
        Node.objects.filter(framework_id__in=cycle_framework_ids(cycle))
        .select_related("framework")
        .order_by("framework__code", "order", "id")
    )


def _appraised_entries(cycle_id):
    """(entry id, node id, unit id, framework id, assessment status, round 1 set, round 2 set) of every
    appraised-method entry of the cycle."""
    return list(
        Entry.objects.filter(assessment__cycle_id=cycle_id, node__method__in=list(scoring.SELF_SCORED_METHODS))
        .values_list(
            "pk",
            "node_id",
            "assessment__unit_id",
            "assessment__framework_id",
            "assessment__status",
            "round1_points",
            "round2_points",
        )
        .order_by()
    )


def workload(cycle) -> list[dict]:
    """Per appraiser with an active assignment: entries assigned (in every unit of the cycle), of which in reports
    sent for appraisal, appraised in round 1 and in round 2."""
    assignments = list(cycle_assignments(cycle, include_ended=False))
    if not assignments:
        return []
    entries = _appraised_entries(cycle.pk)
    parents_by_framework = {fw: access.node_parents(fw) for fw in {e[3] for e in entries}}
    by_appraiser: dict[int, list[Assignment]] = defaultdict(list)
    for a in assignments:
        by_appraiser[a.appraiser_id].append(a)
    rows = []
    for mine in by_appraiser.values():
        assigned = sent = round1 = round2 = 0
        for _pk, node_id, unit_id, fw, status, r1, r2 in entries:
            parents = parents_by_framework[fw]
            if not any(access.covers(a, node_id=node_id, unit_id=unit_id, parents=parents) for a in mine):
                continue
            assigned += 1
            sent += status in WORKLIST_STATUSES
            round1 += r1 is not None
            round2 += r2 is not None
        rows.append(
            {
                "appraiser": mine[0].appraiser,
                "assignments": len(mine),
                "assigned": assigned,
                "sent": sent,
                "round1": round1,
                "round2": round2,
            }
        )
    return sorted(rows, key=lambda r: r["appraiser"].display_name)


# --- the appraiser's worklist -------------------------------------------------------------------------------------


def worklist(user, *, cycle_id=None) -> list[dict]:
    """Reports sent for appraisal in which ``user`` has assigned criteria, with their progress."""
    assignments = Assignment.objects.filter(appraiser=user, ended_at__isnull=True)
    if cycle_id is not None:
        assignments = assignments.filter(cycle_id=cycle_id)
    assignments = list(assignments)
    if not assignments:
        return []
    condition = Q(pk__in=[])
    for a in assignments:
        condition |= Q(cycle_id=a.cycle_id) & (Q(unit_id=a.unit_id) if a.unit_id else Q())
    assessments = list(
        Assessment.objects.filter(condition, status__in=list(WORKLIST_STATUSES))
        .select_related("cycle", "unit", "framework")
        .order_by("cycle_id", "unit__name")
    )
    if not assessments:
        return []
    entries_by_assessment: dict[int, list] = defaultdict(list)
    for row in (
        Entry.objects.filter(assessment__in=assessments, node__method__in=list(scoring.SELF_SCORED_METHODS))
        .values_list(
            "assessment_id",
            "node_id",
            "round1_points",
            "round2_points",
            "explanation_request",
            "explanation_answer",
        )
        .order_by()
    ):
        entries_by_assessment[row[0]].append(row)
    parents_by_framework = {a.framework_id: access.node_parents(a.framework_id) for a in assessments}
    rows = []
    for assessment in assessments:
        mine = [a for a in assignments if a.cycle_id == assessment.cycle_id]
        parents = parents_by_framework[assessment.framework_id]
        counts = {"assigned": 0, "round1": 0, "round2": 0, "requests": 0, "answered": 0}
        for _aid, node_id, r1, r2, request, answer in entries_by_assessment[assessment.pk]:
            if not any(access.covers(a, node_id=node_id, unit_id=assessment.unit_id, parents=parents) for a in mine):
                continue
            counts["assigned"] += 1
            counts["round1"] += r1 is not None
            counts["round2"] += r2 is not None
            counts["requests"] += bool(request)
            counts["answered"] += bool(request and answer)
        if counts["assigned"]:
            rows.append({"assessment": assessment, **counts})
    return rows


# --- the appraisal grid -------------------------------------------------------------------------------------------


def _evidence_by_entry(assessment) -> dict[int, list[dict]]:
    links = (
        EntryEvidence.objects.filter(entry__assessment=assessment, evidence__withdrawn_at__isnull=True)
        .select_related("evidence")
        .order_by("evidence__uploaded_at", "evidence_id")
    )
    found: dict[int, list[dict]] = defaultdict(list)
    for link in links:
        evidence = link.evidence
        if evidence.kind == EvidenceKind.LINK:
            url = evidence.url
        else:
            url = optional_url("assessments:evidence_download", evidence.pk)
        found[link.entry_id].append(
            {
                "id": evidence.pk,
                "title": evidence.title,
                "number": evidence.number,
                "issued_on": evidence.issued_on,
                "kind": evidence.kind,
                "url": url,
                "supplementary": evidence.supplementary,
                "uploaded_at": evidence.uploaded_at,
            }
        )
    return found


def tree_order(nodes: list[Node]) -> list[tuple[Node, int]]:
    """(node, depth) depth first, siblings by order."""
    children: dict[int | None, list[Node]] = defaultdict(list)
    for node in nodes:
        children[node.parent_id].append(node)
    for items in children.values():
        items.sort(key=lambda n: (n.order, n.pk))
    out: list[tuple[Node, int]] = []
    stack = [(n, 1) for n in reversed(children[None])]
    while stack:
        node, depth = stack.pop()
        out.append((node, depth))
        stack.extend((c, depth + 1) for c in reversed(children[node.pk]))
    return out


def appraisal_grid(assessment: Assessment, user) -> dict:
    """Rows in tree order: headings for fields and criteria (with sums), and one row per entry with its evidence and
    whether ``user`` may appraise it."""
    nodes = list(Node.objects.filter(framework_id=assessment.framework_id))
    entries = {
        e.node_id: e
        for e in Entry.objects.filter(assessment=assessment).select_related("round1_by", "round2_by", "self_updated_by")
    }
    by_id = {n.pk: n for n in nodes}
    for entry in entries.values():
        entry.node = by_id[entry.node_id]
        entry.assessment = assessment
    evidence = _evidence_by_entry(assessment)
    writable = access.appraisable_entry_ids(user, assessment, entries=entries.values())
    parents = {n.pk: n.parent_id for n in nodes}
    sums: dict[int, dict[str, Decimal]] = defaultdict(lambda: {"self": ZERO, "appraised": ZERO})
    for entry in entries.values():
        for ancestor in access.lineage(entry.node_id, parents):
            if entry.self_points is not None:
                sums[ancestor]["self"] += entry.self_points
            if entry.appraised_points is not None:
                sums[ancestor]["appraised"] += entry.appraised_points
    rows = []
    number = 0
    for node, depth in tree_order(nodes):
        entry = entries.get(node.pk)
        if entry is None:
            rows.append({"node": node, "depth": depth, "entry": None, "sums": sums[node.pk]})
            continue
        number += 1
        rows.append(
            {
                "node": node,
                "depth": depth,
                "number": number,
                "entry": entry,
                "evidence": evidence.get(entry.pk, []),
                "appraised": scoring.is_self_scored(node),
                "can_write": entry.pk in writable,
            }
        )
    scored = [e for e in entries.values() if scoring.is_self_scored(e.node)]
    return {
        "rows": rows,
        "writable": writable,
        "self_total": sum((e.self_points for e in scored if e.self_points is not None), ZERO),
        "appraised_total": sum((e.appraised_points for e in scored if e.appraised_points is not None), ZERO),
        "max_total": sum((n.max_points for n in nodes if n.parent_id is None), ZERO),
        "assigned": len(writable),
        "round1_done": sum(1 for e in entries.values() if e.pk in writable and e.round1_points is not None),
        "round2_done": sum(1 for e in entries.values() if e.pk in writable and e.round2_points is not None),
    }


def tree_positions(framework_id) -> dict[int, int]:
    """node id → its place in the framework read depth first."""
    nodes = list(Node.objects.filter(framework_id=framework_id).only("pk", "parent_id", "order"))
    return {node.pk: i for i, (node, _depth) in enumerate(tree_order(nodes))}


def _in_tree_order(entries, framework_id) -> list:
    positions = tree_positions(framework_id)
    return sorted(entries, key=lambda e: positions.get(e.node_id, 0))


def grid_row(entry: Entry, user) -> dict:
    """One row of the grid (after an htmx save), numbered as in the whole grid."""
    entry = Entry.objects.select_related(
        "node", "assessment__cycle", "assessment__unit", "round1_by", "round2_by", "self_updated_by"
    ).get(pk=entry.pk)
    assessment = entry.assessment
    nodes = list(Node.objects.filter(framework_id=assessment.framework_id).only("pk", "parent_id", "order"))
    parents = {n.parent_id for n in nodes}
    leaves = [n.pk for n, _depth in tree_order(nodes) if n.pk not in parents]
    return {
        "node": entry.node,
        "depth": 0,
        "number": leaves.index(entry.node_id) + 1 if entry.node_id in leaves else "",
        "entry": entry,
        "evidence": _evidence_by_entry(assessment).get(entry.pk, []),
        "appraised": scoring.is_self_scored(entry.node),
        "can_write": access.can_appraise_entry(user, entry),
    }


# --- explanations -------------------------------------------------------------------------------------------------


def explanation_requests(assessment: Assessment) -> list[Entry]:
    entries = Entry.objects.filter(assessment=assessment).exclude(explanation_request="").select_related("node")
    return _in_tree_order(entries, assessment.framework_id)


# --- the council's view of one unit -------------------------------------------------------------------------------


def disagreements(assessment: Assessment) -> list[dict]:
    """Entries whose appraised points differ from the self-score: the difference and the comments."""
    rows = []
    entries = Entry.objects.filter(
        assessment=assessment, node__method__in=list(scoring.SELF_SCORED_METHODS)
    ).select_related("node", "round1_by", "round2_by")
    for entry in _in_tree_order(entries, assessment.framework_id):
        appraised = entry.appraised_points
        if appraised is None or appraised == entry.self_points:
            continue
        rows.append(
            {
                "entry": entry,
                "self_points": entry.self_points,
                "appraised": appraised,
                "difference": appraised - (entry.self_points or ZERO),
            }
        )
    return rows


def totals(assessment: Assessment) -> dict:
    entries = list(
        Entry.objects.filter(assessment=assessment, node__method__in=list(scoring.SELF_SCORED_METHODS)).only(
            "self_points", "round1_points", "round2_points"
        )
    )
    self_total = sum((e.self_points for e in entries if e.self_points is not None), ZERO)
    appraised_total = sum((e.appraised_points for e in entries if e.appraised_points is not None), ZERO)
    return {
        "self": self_total,
        "appraised": appraised_total,
        "difference": appraised_total - self_total,
        "entries": len(entries),
        "not_appraised": sum(1 for e in entries if e.appraised_points is None),
        "missing": missing_appraisal(assessment),
    }


def council_review(assessment: Assessment) -> dict:
    return {
        "disagreements": disagreements(assessment),
        "totals": totals(assessment),
        "tally": tally(assessment),
        "earlier_votes": list(
            assessment.votes.filter(round__lt=assessment.confirmation_round)
            .select_related("member__user", "recorded_by")
            .order_by("-round", "member_id")
        ),
    }


def council_overview(cycle) -> list[dict]:
    """Per unit of the cycle: status, totals, number of disagreements and agree votes of the current round."""
    assessments = list(Assessment.objects.filter(cycle=cycle).select_related("unit").order_by("unit__name"))
    entries = defaultdict(list)
    for row in (
        Entry.objects.filter(assessment__cycle=cycle, node__method__in=list(scoring.SELF_SCORED_METHODS))
        .values_list("assessment_id", "self_points", "round1_points", "round2_points")
        .order_by()
    ):
        entries[row[0]].append(row)
    rows = []
    for assessment in assessments:
        self_total = appraised_total = ZERO
        differ = 0
        for _aid, own, r1, r2 in entries[assessment.pk]:
            appraised = r2 if r2 is not None else r1
            self_total += own or ZERO
            appraised_total += appraised or ZERO
            differ += appraised is not None and appraised != own
        rows.append(
            {
                "assessment": assessment,
                "self": self_total,
                "appraised": appraised_total,
                "disagreements": differ,
            }
        )
    return rows


# --- history ------------------------------------------------------------------------------------------------------


def entry_history(entry: Entry) -> list[ScoreChange]:
    return list(ScoreChange.objects.filter(entry=entry).select_related("actor").order_by("-created_at", "-id"))


# --- the command --------------------------------------------------------------------------------------------------


def appraisal_status(cycle) -> list[dict]:
    """Per unit: status and counts of appraised entries, round 1, round 2, requests, answers and agree votes."""
    rows = []
    for assessment in Assessment.objects.filter(cycle=cycle).select_related("unit").order_by("unit__name"):
        entries = list(
            Entry.objects.filter(assessment=assessment, node__method__in=list(scoring.SELF_SCORED_METHODS)).only(
                "round1_points", "round2_points", "explanation_request", "explanation_answer"
            )
        )
        result = tally(assessment)
        rows.append(
            {
                "assessment": assessment,
                "entries": len(entries),
                "round1": sum(1 for e in entries if e.round1_points is not None),
                "round2": sum(1 for e in entries if e.round2_points is not None),
                "requests": sum(1 for e in entries if e.explanation_request),
                "answered": sum(1 for e in entries if e.explanation_request and e.explanation_answer),
                "agree": result["agree"],
                "voting": result["total"],
            }
        )
    return rows
