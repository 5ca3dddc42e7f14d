"""Reads for the home page: what concerns the signed-in user, within what they may see."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from parindex.orgs import access
from parindex.orgs import selectors as org_selectors
from parindex.orgs.models import Membership, Role, UnitGroup, UnitKind, User

# Roles that work on their own unit (self-assessment); the home page shows them their unit and its parent.
UNIT_ROLES = {Role.UNIT_OFFICER, Role.UNIT_LEADER}
RECENT_EVENTS = 8


def home_overview(user) -> dict:
    # The user's own active roles: always theirs to see, so a plain query (cheaper than memberships_visible).
    memberships = list(
        Membership.objects.filter(user=user, ended_at__isnull=True)
        .select_related("unit__parent")
        .order_by("unit__path", "role")
    )
    overview = {
        "memberships": memberships,
        "unit_memberships": [m for m in memberships if m.role in UNIT_ROLES],
        "oversight_memberships": [m for m in memberships if m.role in access.OVERSIGHT_ROLES],
        "is_manager": access.is_manager(user),
        "is_system_admin": access.is_system_admin(user),
    }
    if overview["is_manager"]:
        overview.update(manager_overview(user))
    overview["todo"] = unit_todo(user, overview["unit_memberships"])
    return overview


def manager_overview(user) -> dict:
    """Counts of the units, people and groups a manager looks after, and the latest changes among them."""
    today = timezone.localdate()
    scope = access.units_scope(user, access.MANAGER_ROLES)
    current = scope.filter(org_selectors.valid_on_q(today))
    labels = dict(UnitKind.choices)
    by_kind = [
        {"kind": row["kind"], "label": labels.get(row["kind"], row["kind"]), "count": row["n"]}
        for row in current.order_by().values("kind").annotate(n=Count("pk"))
    ]
    order = list(UnitKind.values)
    by_kind.sort(key=lambda row: order.index(row["kind"]) if row["kind"] in order else len(order))
    people = User.objects.filter(memberships__ended_at__isnull=True, memberships__unit__in=scope.values("pk"))
    return {
        "units_by_kind": by_kind,
        "units_total": sum(row["count"] for row in by_kind),
        "users_total": people.distinct().count(),
        "groups_total": UnitGroup.objects.filter(is_active=True, owner__in=scope.values("pk")).count(),
        "recent_events": list(access.audit_events_visible(user).select_related("actor", "unit")[:RECENT_EVENTS]),
    }


# --- links to pages of other apps ----------------------------------------------------------------------------------


def url_or_empty(name: str, *args) -> str:
    """``reverse`` that yields "" while the page does not exist (the app that owns it may not have it yet)."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def safe_link(url: str) -> str:
    """Only links inside the site: a path beginning with one slash (never ``//host`` nor ``javascript:``)."""
    url = (url or "").strip()
    return url if url.startswith("/") and not url.startswith("//") and "\\" not in url else ""


# --- entries counted per assessment (progress, missing evidence, open explanation requests) -------------------------


def _self_scored_methods() -> list[str]:
    from parindex.assessments.scoring import SELF_SCORED_METHODS

    return [str(m) for m in SELF_SCORED_METHODS]


def entry_counts(assessment_ids) -> dict[int, dict]:
    """For each assessment: self-scored criteria (``total``), those scored (``done``), those claiming points without
    evidence nor explanation (``missing``), explanations requested and not yet answered (``open_explanations``).
    One grouped query, whatever the number of assessments."""
    from django.db.models import Exists, OuterRef

    from parindex.assessments.models import Entry, EntryEvidence

    active_link = EntryEvidence.objects.filter(entry_id=OuterRef("pk"), evidence__withdrawn_at__isnull=True)
    rows = (
        Entry.objects.filter(assessment_id__in=assessment_ids, node__method__in=_self_scored_methods())
        .order_by()
        .values("assessment_id")
        .annotate(
            total=Count("pk"),
            done=Count("pk", filter=Q(self_points__isnull=False)),
            missing=Count("pk", filter=Q(self_points__gt=0, explanation="") & ~Exists(active_link)),
            open_explanations=Count(
                "pk", filter=Q(explanation_requested_at__isnull=False, explanation_answered_at__isnull=True)
            ),
        )
    )
    return {row.pop("assessment_id"): row for row in rows}


# --- the progress dashboard of a cycle (managers, the council chair) -----------------------------------------------

PROGRESS_PAGE_SIZE = 100


@dataclass
class UnitProgress:
    assessment_id: int
    unit: object
    group: object
    status: str
    status_label: str
    submitted_at: object
    criteria_done: int = 0
    criteria_total: int = 0
    missing_evidence: int = 0
    open_explanations: int = 0
    grid_url: str = ""

    @property
    def percent(self) -> int:
        return int(self.criteria_done * 100 / self.criteria_total) if self.criteria_total else 100


def cycle_assessments(cycle):
    """The assessments of the cycle's active participants."""
    from parindex.assessments.models import Assessment

    return Assessment.objects.filter(cycle=cycle, participant__withdrawn_at__isnull=True)


def progress_states(cycle) -> list[dict]:
    """Every state of an assessment, in the order of the process, with how many units are in it (zeros included)."""
    from parindex.assessments.models import AssessmentStatus

    counts = dict(cycle_assessments(cycle).order_by().values_list("status").annotate(n=Count("pk")))
    return [{"status": s.value, "label": str(s.label), "count": counts.get(s.value, 0)} for s in AssessmentStatus]


def progress_groups(cycle) -> list:
    from parindex.orgs.models import UnitGroup

    return list(
        UnitGroup.objects.filter(participations__cycle=cycle, participations__withdrawn_at__isnull=True)
        .distinct()
        .order_by("name")
    )


def progress_units(cycle, *, status: str = "", group_id=None, query: str = ""):
    """The cycle's assessments filtered by state, group and a unit's name or code, by unit name."""
    qs = cycle_assessments(cycle).select_related("unit", "participant__group")
    if status:
        qs = qs.filter(status=status)
    if group_id:
        qs = qs.filter(participant__group_id=group_id)
    if query:
        qs = qs.filter(Q(unit__name__icontains=query) | Q(unit__code__icontains=query))
    return qs.order_by("unit__name", "pk")


def progress_rows(assessments) -> list[UnitProgress]:
    """Rows of the dashboard for one page of assessments: two queries (the page, its counts)."""
    assessments = list(assessments)
    counts = entry_counts([a.pk for a in assessments])
    rows = []
    for a in assessments:
        c = counts.get(a.pk, {})
        rows.append(
            UnitProgress(
                assessment_id=a.pk,
                unit=a.unit,
                group=a.participant.group,
                status=a.status,
                status_label=a.get_status_display(),
                submitted_at=a.submitted_at,
                criteria_done=c.get("done", 0),
                criteria_total=c.get("total", 0),
                missing_evidence=c.get("missing", 0),
                open_explanations=c.get("open_explanations", 0),
                grid_url=url_or_empty("assessments:grid", a.pk),
            )
        )
    return rows


def _subtrees(framework_ids) -> dict[int, set[int]]:
    """Node id → the ids of the node and every node below it, from the parent chain (one query)."""
    from parindex.frameworks.models import Node

    children: dict[int | None, list[int]] = {}
    for pk, parent in Node.objects.filter(framework_id__in=framework_ids).values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    cache: dict[int, set[int]] = {}

    def below(pk: int) -> set[int]:
        if pk not in cache:
            result, stack = {pk}, list(children.get(pk, []))
            while stack:
                child = stack.pop()
                result.add(child)
                stack.extend(children.get(child, []))
            cache[pk] = result
        return cache[pk]

    all_ids = {pk for ids in children.values() for pk in ids}
    return {pk: below(pk) for pk in all_ids}


def appraiser_workload(cycle) -> list[dict]:
    """Per appraiser with an active assignment: self-scored entries assigned (a field's subtree, a unit, or a field in
    one unit; overlapping assignments counted once), and how many of them have round-1 and round-2 points.

    Three grouped queries whatever the number of units: entries by node, by unit, and by (unit, node) only for the
    units named in assignments."""
    from parindex.appraisals.models import Assignment
    from parindex.assessments.models import Entry

    assignments = list(
        Assignment.objects.filter(cycle=cycle, ended_at__isnull=True).select_related("appraiser").order_by("pk")
    )
    if not assignments:
        return []
    framework_ids = set(cycle_assessments(cycle).order_by().values_list("framework_id", flat=True).distinct())
    subtree = _subtrees(framework_ids)
    entries = Entry.objects.filter(
        assessment__cycle=cycle,
        assessment__participant__withdrawn_at__isnull=True,
        node__method__in=_self_scored_methods(),
    ).order_by()
    metrics = {
        "n": Count("pk"),
        "r1": Count("pk", filter=Q(round1_points__isnull=False)),
        "r2": Count("pk", filter=Q(round2_points__isnull=False)),
    }

    # Per appraiser: the fields assigned in every unit, and per named unit the fields (None: the whole unit).
    plans: dict[int, dict] = {}
    for a in assignments:
        plan = plans.setdefault(a.appraiser_id, {"user": a.appraiser, "everywhere": set(), "units": {}})
        nodes = subtree.get(a.node_id, {a.node_id}) if a.node_id else None
        if a.unit_id is None:
            plan["everywhere"] |= nodes or set()
        elif nodes is None:
            plan["units"][a.unit_id] = None
        elif plan["units"].get(a.unit_id, set()) is not None:
            plan["units"][a.unit_id] = plan["units"].get(a.unit_id, set()) | nodes

    zero = (0, 0, 0)
    by_node = {r["node_id"]: (r["n"], r["r1"], r["r2"]) for r in entries.values("node_id").annotate(**metrics)}
    named_units = {u for p in plans.values() for u in p["units"]}
    by_unit: dict[int, tuple] = {}
    by_unit_node: dict[tuple[int, int], tuple] = {}
    if named_units:
        in_units = entries.filter(assessment__unit_id__in=named_units)
        by_unit = {
            r["assessment__unit_id"]: (r["n"], r["r1"], r["r2"])
            for r in in_units.values("assessment__unit_id").annotate(**metrics)
        }
        needed = set()
        for p in plans.values():
            needed |= p["everywhere"]
            for nodes in p["units"].values():
                needed |= nodes or set()
        if needed:
            by_unit_node = {
                (r["assessment__unit_id"], r["node_id"]): (r["n"], r["r1"], r["r2"])
                for r in in_units.filter(node_id__in=needed)
                .values("assessment__unit_id", "node_id")
                .annotate(**metrics)
            }

    def add(total, more, sign=1):
        return tuple(t + sign * m for t, m in zip(total, more, strict=True))

    result = []
    for plan in plans.values():
        total = zero
        everywhere = plan["everywhere"]
        for node_id in everywhere:
            total = add(total, by_node.get(node_id, zero))
        for unit_id, nodes in plan["units"].items():
            if nodes is None:  # the whole unit, less what the fields assigned everywhere already counted
                total = add(total, by_unit.get(unit_id, zero))
                for node_id in everywhere:
                    total = add(total, by_unit_node.get((unit_id, node_id), zero), -1)
            else:
                for node_id in nodes - everywhere:
                    total = add(total, by_unit_node.get((unit_id, node_id), zero))
        user = plan["user"]
        result.append(
            {"user": user, "name": user.display_name, "assigned": total[0], "round1": total[1], "round2": total[2]}
        )
    result.sort(key=lambda r: (r["name"], r["user"].pk))
    return result


def overdue_tasks(cycle, *, today=None) -> list:
    """Tasks of the plan past their deadline (Vietnam's date) and neither done nor cancelled, oldest deadline first."""
    from parindex.cycles.models import Task, TaskStatus

    today = today or timezone.localdate()
    return list(
        Task.objects.filter(cycle=cycle, deadline__lt=today)
        .exclude(status__in=[TaskStatus.DONE, TaskStatus.CANCELLED])
        .select_related("lead_unit")
        .order_by("deadline", "order", "pk")
    )


def cycle_window_states(cycle, *, unit=None) -> list:
    """The cycle's windows in the order of its steps (``unit``'s extension included), for countdowns."""
    from parindex.cycles.windows import windows_overview

    return windows_overview(cycle=cycle, unit=unit)


def progress_dashboard(cycle, *, status: str = "", group_id=None, query: str = "", page: int = 1) -> dict:
    """Everything the dashboard shows, in a fixed number of queries whatever the number of units."""
    from django.core.paginator import Paginator

    paginator = Paginator(progress_units(cycle, status=status, group_id=group_id, query=query), PROGRESS_PAGE_SIZE)
    page_obj = paginator.get_page(page)
    states = progress_states(cycle)
    return {
        "states": states,
        "units_total": sum(s["count"] for s in states),
        "groups": progress_groups(cycle),
        "page_obj": page_obj,
        "rows": progress_rows(page_obj.object_list),
        "workload": appraiser_workload(cycle),
        "overdue": overdue_tasks(cycle),
        "window_states": cycle_window_states(cycle),
    }


# --- a unit's to-do list on the home page ------------------------------------------------------------------------

TODO_CARDS = 12  # a leader covering many units sees the first ones; the list of assessments has them all


def _window_for(status: str) -> str | None:
    """The window in which the unit has something to do, given the state of its assessment."""
    from parindex.assessments.models import EDITABLE_STATUSES, AssessmentStatus
    from parindex.cycles.models import WindowKind

    if status in EDITABLE_STATUSES:
        return WindowKind.SELF_ASSESSMENT
    if status == AssessmentStatus.SUBMITTED:
        return WindowKind.SUPPLEMENTARY
    if status == AssessmentStatus.EXPLANATION_REQUESTED:
        return WindowKind.EXPLANATION
    return None


def unit_todo(user, memberships) -> list[dict]:
    """One card per assessment of an active cycle of a unit where the user is an officer or a leader: the state,
    what is left to do and by when (the unit's extension included). A fixed number of queries per cycle."""
    from parindex.assessments.models import AssessmentStatus
    from parindex.cycles.models import CycleStatus, Task, TaskStatus
    from parindex.cycles.windows import cycle_windows, window_state

    unit_roles = [m for m in memberships if m.role in UNIT_ROLES]
    if not unit_roles:
        return []
    covers = Q(pk__in=[])
    for m in unit_roles:
        covers |= Q(unit_id=m.unit_id)
        if m.includes_subunits:
            covers |= Q(unit__path__startswith=m.unit.path)
    from parindex.assessments.models import Assessment

    assessments = list(
        Assessment.objects.filter(covers, cycle__status=CycleStatus.ACTIVE, participant__withdrawn_at__isnull=True)
        .select_related("cycle", "unit")
        .order_by("-cycle__year", "cycle__name", "unit__name")[:TODO_CARDS]
    )
    if not assessments:
        return []
    counts = entry_counts([a.pk for a in assessments])
    tasks = {
        (r["cycle_id"], r["lead_unit_id"]): r
        for r in Task.objects.filter(
            cycle_id__in={a.cycle_id for a in assessments}, lead_unit_id__in={a.unit_id for a in assessments}
        )
        .exclude(status__in=[TaskStatus.DONE, TaskStatus.CANCELLED])
        .order_by()
        .values("cycle_id", "lead_unit_id")
        .annotate(n=Count("pk"), overdue=Count("pk", filter=Q(deadline__lt=timezone.localdate())))
    }
    cycles = {a.cycle_id: a.cycle for a in assessments}
    windows_by_cycle = {cycle_id: cycle_windows(cycle) for cycle_id, cycle in cycles.items()}
    leads = {m.unit_id for m in unit_roles if m.role == Role.UNIT_LEADER}
    now = timezone.now()
    cards = []
    for a in assessments:
        c = counts.get(a.pk, {})
        kind = _window_for(a.status)
        state = None
        if kind:
            state = window_state(cycle=a.cycle, kind=kind, unit=a.unit, now=now, windows=windows_by_cycle[a.cycle_id])
        left = None
        if state is not None and state.is_open and state.closes_at:
            left = state.closes_at - now
        task_row = tasks.get((a.cycle_id, a.unit_id), {})
        total, done = c.get("total", 0), c.get("done", 0)
        editable = kind == "self_assessment"
        cards.append(
            {
                "assessment": a,
                "cycle": a.cycle,
                "unit": a.unit,
                "status": a.status,
                "status_label": a.get_status_display(),
                "criteria_total": total,
                "criteria_done": done,
                "not_scored": total - done if editable else 0,
                "missing_evidence": c.get("missing", 0) if editable else 0,
                "open_explanations": c.get("open_explanations", 0)
                if a.status == AssessmentStatus.EXPLANATION_REQUESTED
                else 0,
                "awaiting_review": a.status == AssessmentStatus.AWAITING_REVIEW,
                "returned": a.status == AssessmentStatus.RETURNED,
                "is_leader": a.unit_id in leads
                or any(
                    m.role == Role.UNIT_LEADER and m.includes_subunits and a.unit.path.startswith(m.unit.path)
                    for m in unit_roles
                ),
                "tasks_open": task_row.get("n", 0),
                "tasks_overdue": task_row.get("overdue", 0),
                "window": state,
                "left": left,
                "grid_url": url_or_empty("assessments:grid", a.pk),
                "explanations_url": url_or_empty("appraisals:explanations", a.pk),
                "tasks_url": url_or_empty("cycles:unit_tasks", a.cycle_id),
                "status_note": a.status_note,
            }
        )
    return cards
