"""Reads for the home page: what concerns the signed-in user, within what they may see."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, Max, Q
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


# --- dashboards: charts ----------------------------------------------------------------------------------------------

CHART_CACHE_SECONDS = 24 * 3600
logger = logging.getLogger(__name__)


def chart(kind: str, *args, **kwargs):
    """A chart of ``parindex.reports.charts`` for a page, remembered in the cache under a key made of its inputs
    (drawing takes tens of milliseconds; the same data draws the same chart). None when the chart cannot be drawn:
    the page shows the same figures in its table anyway."""
    key = "web:chart:" + hashlib.sha256(repr((kind, args, sorted(kwargs.items()))).encode()).hexdigest()
    hit = cache.get(key)
    if hit is None:
        from parindex.reports import charts

        try:
            hit = dataclasses.replace(getattr(charts, kind)(*args, **kwargs), figure=None)
        except Exception:  # a chart must never take the dashboard down with it
            logger.exception("Could not draw the %s chart", kind)
            return None
        cache.set(key, hit, CHART_CACHE_SECONDS)
    return hit


def _decimal(value) -> Decimal | None:
    """A value stored in a JSON snapshot ("83.33") as a Decimal, so that pages show it the Vietnamese way."""
    return None if value is None or value == "" else Decimal(str(value))


def _mean(values) -> Decimal | None:
    from parindex.scoring.engine import publish

    values = [Decimal(str(v)) for v in values if v is not None and v != ""]
    return publish(sum(values, Decimal(0)) / len(values)) if values else None


def class_label(code: str, name: str = "") -> str:
    """ "Loại A" for MOHA's letter classes, the scheme's own name otherwise ("Xuất sắc")."""
    from django.utils.translation import gettext as _

    name = name or code
    if not name:
        return _("Chưa xếp loại")
    return _("Loại %(name)s") % {"name": name} if len(name) <= 2 else name


def class_counts(result_set) -> list[dict]:
    """Units of a result set per class, in the order of its scheme (best first, empty classes included), then any
    other class found, then the units not classed. One grouped query."""
    from parindex.scoring.services import scheme_bands

    found = {
        (row["class_code"] or ""): row
        for row in result_set.units.order_by().values("class_code").annotate(n=Count("pk"), name=Max("class_name"))
    }
    out = []
    for band in scheme_bands(result_set.scheme):
        row = found.pop(band.code, None)
        out.append({"code": band.code, "label": class_label(band.code, band.name), "count": row["n"] if row else 0})
    unclassed = found.pop("", None)
    for code in sorted(found):
        out.append({"code": code, "label": class_label(code, found[code]["name"]), "count": found[code]["n"]})
    if unclassed:
        out.append({"code": "", "label": class_label(""), "count": unclassed["n"]})
    return out


def class_chart(counts: list[dict], title: str):
    return chart("class_distribution", [(c["label"] if c["code"] else "", c["count"]) for c in counts], title)


# --- dashboards: the cycle at a glance (managers, the council chair) -------------------------------------------------


def state_chart(states: list[dict]):
    """Bars of the states that hold units (eight bars with long names would not be legible on a phone; the table
    beside the chart lists every state, zeros included). None when no unit takes part."""
    from django.utils.translation import gettext as _

    held = [(s["label"], s["count"]) for s in states if s["count"]]
    if not held:
        return None
    return chart(
        "class_distribution",
        held,
        _("Đơn vị theo trạng thái tự đánh giá"),
        subject=_("Biểu đồ số đơn vị theo trạng thái tự đánh giá"),
    )


NEXT_DEADLINES = 3


def next_deadlines(window_states, *, now=None) -> dict:
    """The windows open now (closing soonest first) and the next ones to open."""
    now = now or timezone.now()
    open_now = sorted((w for w in window_states if w.is_open), key=lambda w: w.closes_at)
    upcoming = sorted((w for w in window_states if w.not_yet_open), key=lambda w: w.opens_at)[:NEXT_DEADLINES]
    return {
        "open": [{"window": w, "left": w.closes_at - now} for w in open_now],
        "upcoming": [{"window": w, "in": w.opens_at - now} for w in upcoming],
        "undefined": sum(1 for w in window_states if not w.defined),
    }


def cycle_surveys(cycle, user) -> list[dict]:
    """Each survey of the cycle: invited, answered and response rate per respondent group and in all (one grouped
    query per survey; counted as ``parindex.surveys.progress`` counts them), its chart and the link to its progress
    page when the user may follow it."""
    from django.utils.translation import gettext as _

    from parindex.surveys.access_progress import can_follow
    from parindex.surveys.models import Invitation, ResponseStatus, Survey
    from parindex.surveys.progress import rate

    out = []
    for survey in Survey.objects.filter(cycle=cycle).select_related("cycle__assessor").order_by("name", "pk"):
        counts = {
            row["respondent__group_id"]: row
            for row in Invitation.objects.filter(respondent__survey=survey)
            .order_by()
            .values("respondent__group_id")
            .annotate(invited=Count("pk"), answered=Count("pk", filter=Q(response__status=ResponseStatus.SUBMITTED)))
        }
        groups = []
        for group in survey.groups.order_by("priority", "name"):
            row = counts.get(group.pk, {})
            invited, answered = row.get("invited", 0), row.get("answered", 0)
            groups.append(
                {"name": group.name, "invited": invited, "answered": answered, "rate": rate(answered, invited)}
            )
        invited = sum(g["invited"] for g in groups)
        answered = sum(g["answered"] for g in groups)
        out.append(
            {
                "survey": survey,
                "groups": groups,
                "invited": invited,
                "answered": answered,
                "rate": rate(answered, invited),
                "chart": chart(
                    "survey_progress",
                    [(g["name"], g["invited"], g["answered"]) for g in groups],
                    _("Tiến độ khảo sát theo nhóm đối tượng"),
                ),
                "url": url_or_empty("surveys:progress", survey.pk) if can_follow(user, survey) else "",
            }
        )
    return out


def cycle_result_sets(cycle, user) -> list[dict]:
    """Per unit group of the cycle, the newest finished result set the user may read (draft, approved or
    published), with its units by class; groups without one are listed as not computed yet."""
    from parindex.cycles.models import CycleFramework
    from parindex.scoring.models import JobState, ResultSet, ResultStatus

    from . import access

    sets: dict[int, list] = {}
    for rs in (
        ResultSet.objects.filter(cycle=cycle, job_state=JobState.DONE)
        .exclude(status=ResultStatus.SUPERSEDED)
        .select_related("cycle__assessor", "scheme")
        .order_by("-created_at", "-pk")
    ):
        sets.setdefault(rs.group_id, []).append(rs)
    out = []
    for plan in CycleFramework.objects.filter(cycle=cycle).select_related("group").order_by("group__name", "pk"):
        shown = next((rs for rs in sets.get(plan.group_id, []) if access.can_see_result(user, rs)), None)
        item = {"group": plan.group, "result_set": shown, "url": "", "counts": [], "chart": None}
        if shown is not None:
            item["counts"] = class_counts(shown)
            item["units_total"] = sum(c["count"] for c in item["counts"])
            item["url"] = url_or_empty("scoring:detail", shown.pk)
            item["chart"] = class_chart(item["counts"], plan.group.name)
        out.append(item)
    return out


def cycle_glance(cycle, user, *, states: list[dict], window_states) -> dict:
    """The blocks at the top of a cycle's dashboard: units by state (chart), the next deadlines, survey progress,
    draft or published results by class. The state counts and windows come from :func:`progress_dashboard`."""
    return {
        "state_chart": state_chart(states),
        "deadlines": next_deadlines(window_states),
        "surveys": cycle_surveys(cycle, user),
        "results": cycle_result_sets(cycle, user),
        "windows_url": url_or_empty("cycles:windows", cycle.pk),
        "plan_url": url_or_empty("cycles:plan", cycle.pk),
        "results_url": url_or_empty("scoring:list"),
    }


# --- dashboards: leaders' overview of published results --------------------------------------------------------------

RANKING_CHART_MAX = 40  # beyond this, the chart shows the first and the last units; the table has them all
MOVERS = 5


def ranking_chart(rows: list[dict], result_set, title: str):
    from django.utils.translation import gettext as _

    from parindex.scoring.services import scheme_bands

    bands = scheme_bands(result_set.scheme)
    drawn = [
        {"unit": r["unit"], "percent": r["percent"], "class_code": r.get("class_code", ""), "class_name": r["class"]}
        for r in rows
    ]
    if len(drawn) > RANKING_CHART_MAX:
        half = RANKING_CHART_MAX // 2
        drawn = drawn[:half] + drawn[-half:]
        title = _("%(title)s — %(n)d đơn vị dẫn đầu và %(n)d đơn vị cuối bảng") % {"title": title, "n": half}
    return chart(
        "ranking_bars",
        drawn,
        title,
        classes=[b.code for b in bands],
        class_names={b.code: class_label(b.code, b.name) for b in bands},
    )


def movement(rows: list[dict], previous) -> dict:
    """Year-over-year movement of a ranking: the units that rose and fell most, how many rose, fell or held, and the
    average change of those compared (points of percent)."""
    compared = [r for r in rows if r["percent_change"] is not None]
    rose = sorted((r for r in compared if r["percent_change"] > 0), key=lambda r: (-r["percent_change"], r["unit"]))
    fell = sorted((r for r in compared if r["percent_change"] < 0), key=lambda r: (r["percent_change"], r["unit"]))
    return {
        "previous": previous,
        "compared": len(compared),
        "rose_count": len(rose),
        "fell_count": len(fell),
        "same_count": len(compared) - len(rose) - len(fell),
        "rose": rose[:MOVERS],
        "fell": fell[:MOVERS],
        "average_change": _mean(r["percent_change"] for r in compared),
        "average": _mean(r["percent"] for r in rows),
        "previous_average": _mean(r["previous_percent"] for r in compared),
    }


def published_previous(result_set):
    """The previous year's set of the same group, only when it is published (a draft's values never reach a page
    that shows published results)."""
    from parindex.scoring.models import ResultStatus
    from parindex.scoring.selectors import previous_set

    previous = previous_set(result_set)
    return previous if previous is not None and previous.status == ResultStatus.PUBLISHED else None


def published_block(result_set) -> dict:
    """Everything the overview shows for one published set: ranking (with scorecard links), charts, movement."""
    from parindex.scoring.selectors import ranking_rows

    previous = published_previous(result_set)
    rows = ranking_rows(result_set, previous=previous)
    codes = dict(result_set.units.values_list("unit_id", "class_code"))
    for r in rows:
        r["class_code"] = codes.get(r["unit_id"], "")
        r["scorecard_url"] = url_or_empty("scoring:unit", result_set.pk, r["unit_id"])
        r["class_label"] = class_label(r["class_code"], r["class"]) if r["class"] else ""
    counts = class_counts(result_set)
    name = result_set.group.name if result_set.group_id else str(result_set)
    return {
        "result_set": result_set,
        "name": name,
        "rows": rows,
        "counts": counts,
        "units_total": sum(c["count"] for c in counts),
        "ranking_chart": ranking_chart(rows, result_set, f"{name} {result_set.year}"),
        "class_chart": class_chart(counts, f"{name} {result_set.year}"),
        "movement": movement(rows, previous),
        "url": url_or_empty("scoring:detail", result_set.pk),
    }


def leader_overview(user, *, chosen=None) -> dict:
    """The published results a leader follows: the latest set of each group (or the one ``chosen``), and the list
    of every published set in their scope."""
    from . import access

    sets = list(
        access.overview_result_sets(user)
        .select_related("group", "cycle", "scheme")
        .order_by("-year", "-published_at", "-pk")
    )
    if chosen is not None:
        shown = [chosen]
    else:
        latest: dict[tuple, object] = {}
        for rs in sets:
            latest.setdefault((rs.group_id, rs.unit_kind), rs)
        shown = sorted(latest.values(), key=lambda rs: (-rs.year, rs.group.name if rs.group_id else rs.unit_kind))
    return {"blocks": [published_block(rs) for rs in shown], "all_sets": sets, "chosen": chosen}


# --- dashboards: a unit's own result on the home page ----------------------------------------------------------------

UNIT_RESULT_CARDS = 4
CANDIDATE_SETS = 10


def _unit_result_for(user, unit):
    """The unit's latest result the user may read: the newest year first, the published set before a draft of the
    same year."""
    from django.db.models import Case, IntegerField, Value, When

    from parindex.scoring.models import JobState, ResultStatus, UnitResult

    from . import access

    candidates = (
        UnitResult.objects.filter(unit=unit, result_set__job_state=JobState.DONE)
        .exclude(result_set__status=ResultStatus.SUPERSEDED)
        .annotate(
            unpublished=Case(
                When(result_set__status=ResultStatus.PUBLISHED, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .select_related("result_set__cycle__assessor", "result_set__scheme", "result_set__group")
        .order_by("-result_set__year", "unpublished", "-result_set__created_at", "-pk")[:CANDIDATE_SETS]
    )
    return next((r for r in candidates if access.can_see_result(user, r.result_set)), None)


def unit_trend(unit, row) -> dict | None:
    """Index and components over the years: the unit's published results, plus the shown set when it is a draft."""
    from django.utils.translation import gettext as _

    from parindex.scoring.models import ResultStatus
    from parindex.scoring.selectors import unit_history

    by_year = {}
    for h in unit_history(unit):
        by_year[h.result_set.year] = h  # oldest first: the latest published set of a year wins
    if row.result_set.status != ResultStatus.PUBLISHED:
        by_year[row.result_set.year] = row
    years = sorted(by_year)
    components = row.result_set.components or []
    series = {_("Chỉ số"): [by_year[y].percent for y in years]}
    for c in components:
        series[f"{c['code']}. {c['name']}"] = [
            ((by_year[y].components or {}).get(c["code"]) or {}).get("percent") for y in years
        ]
    return {"years": years, "chart": chart("trend", years, series, _("Diễn biến qua các năm"))}


def set_summary(result_set) -> dict:
    """A result set's units, ranked units and the group's average percent per component (in the order of the set's
    components). Remembered for the set as it stands (a set changes only when computed again): a national set holds
    3,321 communes and each of their officers opens the home page."""
    stamp = result_set.updated_at.isoformat() if result_set.updated_at else ""
    key = f"web:set-summary:{result_set.pk}:{stamp}"
    hit = cache.get(key)
    if hit is None:
        rows = list(result_set.units.values_list("components", "rank"))
        hit = {
            "units": len(rows),
            "ranked": sum(1 for _c, rank in rows if rank is not None),
            "averages": [
                _mean(((parts or {}).get(c["code"]) or {}).get("percent") for parts, _r in rows)
                for c in result_set.components or []
            ],
        }
        cache.set(key, hit, CHART_CACHE_SECONDS)
    return hit


def unit_result_card(user, unit) -> dict:
    from django.utils.translation import gettext as _

    from parindex.scoring.models import ResultStatus

    row = _unit_result_for(user, unit)
    if row is None:
        return {"unit": unit, "row": None}
    result_set = row.result_set
    components = result_set.components or []
    labels = [f"{c['code']}. {c['name']}" for c in components]
    values = [_decimal(((row.components or {}).get(c["code"]) or {}).get("percent")) for c in components]
    summary = set_summary(result_set)
    return {
        "unit": unit,
        "row": row,
        "result_set": result_set,
        "is_draft": result_set.status != ResultStatus.PUBLISHED,
        "class_label": class_label(row.class_code, row.class_name) if row.class_code else "",
        "ranked": summary["ranked"],
        "units_total": summary["units"],
        "components": [
            {"label": label, "value": value, "average": avg}
            for label, value, avg in zip(labels, values, summary["averages"], strict=True)
        ],
        "profile_chart": chart(
            "component_profile", labels, values, summary["averages"], _("Điểm theo lĩnh vực so với bình quân nhóm")
        )
        if components
        else None,
        "trend": unit_trend(unit, row),
        "scorecard_url": url_or_empty("scoring:unit", result_set.pk, unit.pk),
    }


def unit_results(user) -> list[dict]:
    """One card per unit where the user is an officer or a leader: that unit's own latest result."""
    from . import access

    return [unit_result_card(user, unit) for unit in access.own_result_units(user)[:UNIT_RESULT_CARDS]]
