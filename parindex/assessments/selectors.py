"""Reads on self-assessments: the list, the grid (rows grouped by field with running totals), the documents, the
problems that block a submission, and the frozen copy a submission keeps.

The grid is read in a fixed, small number of queries whatever the size of the framework: the nodes, the entries,
the evidence links with their documents; totals are plain sums in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from parindex.frameworks import rules
from parindex.frameworks.models import Node

from . import scoring
from .models import Assessment, Entry, EntryEvidence, Evidence, Submission

ZERO = Decimal("0.00")


@dataclass
class GridRow:
    node: Node
    depth: int
    ancestors: list[int]  # node ids, the field first
    entry: Entry | None = None  # None: a heading (field or criterion with sub-criteria)
    self_scored: bool = False
    spec: dict | None = None  # rules.input_spec of the rule (self-scored rows)
    rule_text: str = ""
    links: list[EntryEvidence] = field(default_factory=list)  # active evidence (documents not withdrawn)
    subtotal: Decimal | None = None  # headings: sum of the self-scores below
    spec_error: str = ""
    # Set by the views when a row is re-rendered after a save.
    saved: bool = False
    error: str = ""
    typed: dict | None = None  # what the user typed, kept when it was refused
    conflict: dict | None = None
    mine_json: str = ""
    evidence_error: str = ""
    evidence_notice: str = ""

    @property
    def is_heading(self) -> bool:
        return self.entry is None

    @property
    def input_type(self) -> str:
        return (self.spec or {}).get("type", "")

    @property
    def indent(self) -> str:
        return f"{0.5 + (self.depth - 1) * 1.0:.1f}"

    @property
    def input_text(self) -> str:
        """What the declared-data input shows."""
        from .forms import declared_to_text

        if self.typed is not None:
            return self.typed.get("declared", "")
        return declared_to_text(self.spec, self.entry.declared) if self.entry else ""

    @property
    def explanation_text(self) -> str:
        if self.typed is not None:
            return self.typed.get("explanation", "")
        return self.entry.explanation if self.entry else ""

    @property
    def declared_shown(self) -> str:
        from .forms import declared_display

        return declared_display(self.spec, self.entry.declared) if self.entry else ""

    @property
    def done(self) -> bool:
        return self.entry is not None and self.entry.self_points is not None

    @property
    def claims_points(self) -> bool:
        return self.entry is not None and self.entry.self_points is not None and self.entry.self_points > 0

    @property
    def missing_evidence(self) -> bool:
        """Points claimed without evidence and without an explanation: flagged in the grid, refused on submission."""
        return self.self_scored and self.claims_points and not self.links and not self.entry.explanation.strip()

    @property
    def needs_explanation(self) -> bool:
        """Points claimed without evidence: an explanation is required (given or not)."""
        return self.self_scored and self.claims_points and not self.links


@dataclass
class Grid:
    assessment: Assessment
    rows: list[GridRow]
    fields: list[GridRow]  # the field headings, in order (leaf fields included)
    total: Decimal
    max_total: Decimal
    done: int
    required: int
    missing: list[GridRow]  # rows flagged for missing evidence
    by_entry: dict[int, GridRow]
    by_node: dict[int, GridRow]

    @property
    def progress_percent(self) -> int:
        return int(self.done * 100 / self.required) if self.required else 100

    def row_for(self, entry_id: int) -> GridRow | None:
        return self.by_entry.get(entry_id)

    def ancestors_of(self, row: GridRow) -> list[GridRow]:
        return [self.by_node[pk] for pk in row.ancestors if pk in self.by_node]


def _ordered(nodes: list[Node]) -> list[tuple[Node, int, list[int]]]:
    """Depth-first order (siblings by ``order``), each with its depth and its ancestors' ids."""
    children: dict[int | None, list[Node]] = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)
    for items in children.values():
        items.sort(key=lambda n: (n.order, n.pk))
    result: list[tuple[Node, int, list[int]]] = []
    stack: list[tuple[Node, int, list[int]]] = [(n, 1, []) for n in reversed(children.get(None, []))]
    while stack:
        node, depth, ancestors = stack.pop()
        result.append((node, depth, ancestors))
        below = [*ancestors, node.pk]
        stack.extend((child, depth + 1, below) for child in reversed(children.get(node.pk, [])))
    return result


def input_of(node: Node) -> tuple[dict | None, str, str]:
    """(input spec, how the criterion is scored in words, the rule's problem if it cannot be read)."""
    rule = scoring.rule_of(node) if scoring.is_self_scored(node) else node.rule
    if not rule:
        return None, "", ""
    text = rules.describe(rule, max_points=node.max_points, min_points=node.min_points)
    try:
        spec = rules.input_spec(rule)
    except (rules.RuleError, rules.InputError) as exc:
        return None, text, str(exc)
    return spec, text, ""


def grid(assessment: Assessment) -> Grid:
    """The assessment's rows in the framework's order with subtotals, progress and missing evidence."""
    nodes = list(
        Node.objects.filter(framework_id=assessment.framework_id).only(
            "id",
            "parent_id",
            "code",
            "name",
            "description",
            "order",
            "max_points",
            "min_points",
            "method",
            "rule",
            "evidence",
        )
    )
    links = Prefetch(
        "evidence_links",
        queryset=EntryEvidence.objects.select_related("evidence")
        .filter(evidence__withdrawn_at__isnull=True)
        .order_by("evidence__uploaded_at", "evidence_id"),
    )
    entries = {
        e.node_id: e
        for e in Entry.objects.filter(assessment=assessment).select_related("self_updated_by").prefetch_related(links)
    }
    rows: list[GridRow] = []
    by_node: dict[int, GridRow] = {}
    by_entry: dict[int, GridRow] = {}
    parents = {n.parent_id for n in nodes if n.parent_id}
    for node, depth, ancestors in _ordered(nodes):
        entry = entries.get(node.pk) if node.pk not in parents else None
        row = GridRow(node=node, depth=depth, ancestors=ancestors, entry=entry)
        if entry is not None:
            entry.node = node  # avoid a query per row
            row.self_scored = scoring.is_self_scored(node)
            row.spec, row.rule_text, row.spec_error = input_of(node)
            row.links = list(entry.evidence_links.all())
            by_entry[entry.pk] = row
        else:
            row.subtotal = ZERO
        rows.append(row)
        by_node[node.pk] = row
    total = ZERO
    done = required = 0
    missing = []
    for row in rows:
        if row.entry is None:
            continue
        points = row.entry.self_points
        if points is not None:
            for pk in row.ancestors:
                by_node[pk].subtotal += points
            total += points
        if row.self_scored:
            required += 1
            done += 1 if row.done else 0
            if row.missing_evidence:
                missing.append(row)
    fields = [row for row in rows if row.depth == 1]
    max_total = sum((Decimal(r.node.max_points) for r in fields), ZERO)
    return Grid(
        assessment=assessment,
        rows=rows,
        fields=fields,
        total=total,
        max_total=max_total,
        done=done,
        required=required,
        missing=missing,
        by_entry=by_entry,
        by_node=by_node,
    )


def submission_problems(the_grid: Grid) -> list[str]:
    """Why the report cannot be submitted: criteria not scored; points claimed without evidence or explanation."""
    problems = []
    for row in the_grid.rows:
        if not row.self_scored:
            continue
        code = row.node.code
        if not row.done:
            problems.append(f"Tiêu chí {code} ({row.node.name[:80]}): chưa tự chấm điểm.")
        elif row.missing_evidence:
            points = rules.format_number(row.entry.self_points)
            problems.append(
                f"Tiêu chí {code} ({row.node.name[:80]}): tự chấm {points} điểm nhưng chưa có tài liệu kiểm chứng "
                "và chưa giải trình."
            )
    return problems


# --- lists ------------------------------------------------------------------------------------------------------


def with_progress(qs: QuerySet[Assessment]) -> QuerySet[Assessment]:
    methods = list(scoring.SELF_SCORED_METHODS)
    return qs.annotate(
        criteria_total=Count("entries", filter=Q(entries__node__method__in=methods), distinct=True),
        criteria_done=Count(
            "entries",
            filter=Q(entries__node__method__in=methods, entries__self_points__isnull=False),
            distinct=True,
        ),
    )


def assessment_list(
    qs: QuerySet[Assessment], *, cycle_id=None, status: str = "", query: str = ""
) -> QuerySet[Assessment]:
    qs = qs.select_related("cycle", "unit", "framework")
    if cycle_id:
        qs = qs.filter(cycle_id=cycle_id)
    if status:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(Q(unit__name__icontains=query) | Q(unit__code__icontains=query))
    return with_progress(qs).order_by("-cycle__year", "cycle__name", "unit__name", "pk")


def documents(assessment: Assessment, *, include_withdrawn: bool = True) -> list[Evidence]:
    qs = Evidence.objects.filter(assessment=assessment).select_related("uploaded_by", "withdrawn_by")
    if not include_withdrawn:
        qs = qs.filter(withdrawn_at__isnull=True)
    qs = qs.prefetch_related(
        Prefetch(
            "entry_links", queryset=EntryEvidence.objects.select_related("entry__node").order_by("entry__node__code")
        )
    )
    return list(qs.order_by("uploaded_at", "pk"))


def submissions(assessment: Assessment) -> list[Submission]:
    return list(assessment.submissions.select_related("submitted_by", "withdrawn_by").order_by("-number"))


def unit_people(unit, roles: set[str]):
    from parindex.orgs.models import User

    return list(
        User.objects.filter(
            is_active=True, memberships__unit=unit, memberships__role__in=roles, memberships__ended_at__isnull=True
        ).distinct()
    )


# --- the frozen copy --------------------------------------------------------------------------------------------


def _dec(value) -> str | None:
    return None if value is None else str(rules.quantize(Decimal(value)))


def evidence_data(evidence: Evidence, *, supplementary: bool = False) -> dict:
    return {
        "id": evidence.pk,
        "kind": evidence.kind,
        "title": evidence.title,
        "number": evidence.number,
        "issued_on": evidence.issued_on.isoformat() if evidence.issued_on else None,
        "original_name": evidence.original_name,
        "url": evidence.url,
        "sha256": evidence.sha256,
        "size": evidence.size,
        "supplementary": bool(evidence.supplementary or supplementary),
        "uploaded_at": evidence.uploaded_at.isoformat() if evidence.uploaded_at else None,
    }


def snapshot(the_grid: Grid, *, actor=None, number: int | None = None) -> dict:
    """Every value of the report as plain data: what a Submission freezes and what the XLSX is written from."""
    from .forms import declared_display

    assessment = the_grid.assessment
    rows = []
    for row in the_grid.rows:
        node = row.node
        item = {
            "node_id": node.pk,
            "code": node.code,
            "name": node.name,
            "depth": row.depth,
            "heading": row.is_heading,
            "max_points": _dec(node.max_points),
            "min_points": _dec(node.min_points),
            "method": node.method,
        }
        if row.is_heading:
            item["subtotal"] = _dec(row.subtotal)
        else:
            entry = row.entry
            item.update(
                entry_id=entry.pk,
                self_scored=row.self_scored,
                input=row.input_type,
                rule_text=row.rule_text,
                declared=entry.declared,
                declared_text=declared_display(row.spec, entry.declared),
                self_points=_dec(entry.self_points),
                self_note=entry.self_note,
                explanation=entry.explanation,
                version=entry.version,
                evidence=[evidence_data(link.evidence, supplementary=link.supplementary) for link in row.links],
                missing_evidence=row.missing_evidence,
            )
        rows.append(item)
    return {
        "format": "parindex-self-assessment/1",
        "assessment": assessment.pk,
        "number": number,
        "unit": {"id": assessment.unit_id, "code": assessment.unit.code, "name": assessment.unit.name},
        "cycle": {"id": assessment.cycle_id, "name": assessment.cycle.name, "year": assessment.cycle.year},
        "framework": {
            "id": assessment.framework_id,
            "code": assessment.framework.code,
            "name": assessment.framework.name,
        },
        "status": assessment.status,
        "taken_at": timezone.now().isoformat(),
        "taken_by": actor.display_name if actor is not None and getattr(actor, "pk", None) else None,
        "difficulties": assessment.difficulties,
        "proposals": assessment.proposals,
        "total": _dec(the_grid.total),
        "max_total": _dec(the_grid.max_total),
        "done": the_grid.done,
        "required": the_grid.required,
        "rows": rows,
    }
