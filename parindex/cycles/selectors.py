"""Reads on cycles: lists, participants with their assessment's state, frameworks per group, extensions, the plan's
tasks (overdue ones flagged) and the responsibility matrix. Access is checked by the caller (``access.py``)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from .models import (
    Cycle,
    CycleFramework,
    Extension,
    Participant,
    Responsibility,
    Task,
    TaskAttachment,
    TaskStatus,
    Window,
    WindowKind,
)
from .windows import WindowState, windows_overview

OPEN_TASK_STATUSES = (TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS)


def cycles_with_counts(cycles: QuerySet[Cycle]) -> QuerySet[Cycle]:
    return cycles.annotate(
        participant_count=Count("participants", filter=Q(participants__withdrawn_at__isnull=True), distinct=True),
        task_count=Count("tasks", distinct=True),
    ).order_by("-year", "name")


def cycle_plans(cycle: Cycle) -> list[CycleFramework]:
    return list(CycleFramework.objects.filter(cycle=cycle).select_related("group", "framework"))


def cycle_participants(cycle: Cycle, *, include_withdrawn: bool = True) -> list[Participant]:
    """Participants with their unit, group, framework and assessment (``participant.assessment_or_none``)."""
    from parindex.assessments.models import Assessment

    qs = Participant.objects.filter(cycle=cycle).select_related("unit", "group", "framework")
    if not include_withdrawn:
        qs = qs.filter(withdrawn_at__isnull=True)
    participants = list(qs.order_by("withdrawn_at", "group__code", "unit__name"))
    assessments = {a.participant_id: a for a in Assessment.objects.filter(participant__in=participants)}
    for p in participants:
        p.assessment_or_none = assessments.get(p.pk)
    return participants


def cycle_extensions(cycle: Cycle, *, unit=None) -> list[Extension]:
    qs = Extension.objects.filter(cycle=cycle).select_related("unit", "granted_by", "revoked_by")
    if unit is not None:
        qs = qs.filter(unit=unit)
    return list(qs.order_by("revoked_at", "-created_at"))


def cycle_windows_list(cycle: Cycle) -> list[Window]:
    """The cycle's windows in the order of the cycle's steps (undefined ones left out)."""
    by_kind = {w.kind: w for w in Window.objects.filter(cycle=cycle)}
    return [by_kind[k] for k in WindowKind.values if k in by_kind]


def window_states(cycle: Cycle, unit=None, now: dt.datetime | None = None) -> list[WindowState]:
    return windows_overview(cycle=cycle, unit=unit, now=now)


# --- tasks ---------------------------------------------------------------------------------------------------------


def overdue_q(today: dt.date | None = None) -> Q:
    today = today or timezone.localdate()
    return Q(deadline__lt=today, status__in=OPEN_TASK_STATUSES)


def tasks_filter(
    tasks: QuerySet[Task], *, status: str = "", overdue: bool = False, unit=None, q: str = ""
) -> QuerySet[Task]:
    """Narrow tasks already limited by ``access.tasks_visible``."""
    if status:
        tasks = tasks.filter(status=status)
    if overdue:
        tasks = tasks.filter(overdue_q())
    if unit is not None:
        tasks = tasks.filter(Q(lead_unit=unit) | Q(cooperating_units=unit)).distinct()
    q = (q or "").strip()
    if q:
        tasks = tasks.filter(Q(title__icontains=q) | Q(number=q) | Q(lead_text__icontains=q))
    return tasks


def tasks_for_display(tasks: QuerySet[Task]) -> list[Task]:
    """Tasks in the plan's order with lead unit, cooperating units and live attachments; each carries
    ``is_overdue``."""
    today = timezone.localdate()
    live = TaskAttachment.objects.filter(removed_at__isnull=True).order_by("uploaded_at")
    items = list(
        tasks.select_related("lead_unit")
        .prefetch_related("cooperating_units", Prefetch("attachments", queryset=live, to_attr="live_attachments"))
        .order_by("order", "id")
    )
    for task in items:
        task.is_overdue = bool(task.deadline and task.deadline < today and task.status in OPEN_TASK_STATUSES)
    return items


def overdue_count(tasks: QuerySet[Task]) -> int:
    return tasks.filter(overdue_q()).count()


def unit_tasks(cycle: Cycle, units) -> dict:
    """For "Nhiệm vụ của đơn vị": the tasks each of ``units`` leads and cooperates in."""
    out = {}
    for unit in units:
        led = Task.objects.filter(cycle=cycle, lead_unit=unit)
        cooperating = Task.objects.filter(cycle=cycle, cooperating_units=unit).exclude(lead_unit=unit)
        out[unit] = {"led": tasks_for_display(led), "cooperating": tasks_for_display(cooperating)}
    return out


# --- responsibility matrix -----------------------------------------------------------------------------------------


def responsibility_rows(participant: Participant) -> list[dict]:
    """Every node of the unit's framework in tree order, with its depth and the unit's responsibility (or None)."""
    from parindex.frameworks.models import Node

    nodes = list(Node.objects.filter(framework_id=participant.framework_id).order_by("order", "id"))
    by_id = {n.pk: n for n in nodes}
    children: dict[int | None, list[Node]] = {}
    for node in nodes:
        children.setdefault(node.parent_id if node.parent_id in by_id else None, []).append(node)
    existing = {
        r.node_id: r
        for r in Responsibility.objects.filter(cycle=participant.cycle, unit=participant.unit).select_related("person")
    }
    rows: list[dict] = []

    def walk(parent_id, depth):
        for node in children.get(parent_id, []):
            rows.append(
                {
                    "node": node,
                    "depth": depth,
                    "is_leaf": node.pk not in children,
                    "responsibility": existing.get(node.pk),
                    "indent": f"{(depth - 1) * 1.25:.2f}",
                }
            )
            walk(node.pk, depth + 1)

    walk(None, 1)
    return rows


def unit_people(unit):
    """People holding an active role on ``unit`` (for the "person" of a responsibility)."""
    from django.contrib.auth import get_user_model

    from parindex.orgs.models import Membership

    ids = Membership.objects.filter(unit=unit, ended_at__isnull=True).values("user_id")
    return get_user_model().objects.filter(pk__in=ids, is_active=True).order_by("full_name", "username")


# --- countdowns ----------------------------------------------------------------------------------------------------

SOON_SECONDS = 3 * 24 * 3600


def duration_text(seconds: int) -> str:
    """``3 ngày 4 giờ``, ``5 giờ 12 phút``, ``12 phút``, ``dưới 1 phút``: two units at most, rounded down."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 24 * 3600)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} ngày {hours} giờ" if hours else f"{days} ngày"
    if hours:
        return f"{hours} giờ {minutes} phút" if minutes else f"{hours} giờ"
    if minutes:
        return f"{minutes} phút"
    return "dưới 1 phút"


def window_display(state: WindowState, now: dt.datetime | None = None) -> dict:
    """What a window's badge and countdown say: ``{"badge", "css", "text", "detail"}`` (server-rendered, no JS)."""
    from .windows import format_moment

    now = now or timezone.now()
    if not state.defined:
        return {"badge": "Chưa đặt", "css": "text-bg-light border", "text": "chưa đặt thời hạn", "detail": ""}
    if state.not_yet_open:
        left = duration_text((state.opens_at - now).total_seconds())
        return {
            "badge": "Chưa mở",
            "css": "text-bg-secondary",
            "text": f"mở từ {format_moment(state.opens_at)}",
            "detail": f"còn {left} nữa mới mở",
        }
    if state.is_open:
        seconds = (state.closes_at - now).total_seconds()
        detail = f"đóng lúc {format_moment(state.closes_at)}"
        if state.extended_until:
            detail = f"được gia hạn đến {format_moment(state.extended_until)}"
        soon = seconds < SOON_SECONDS
        return {
            "badge": "Sắp đóng" if soon else "Đang mở",
            "css": "text-bg-warning" if soon else "text-bg-success",
            "text": f"còn {duration_text(seconds)}",
            "detail": detail,
        }
    return {
        "badge": "Đã đóng",
        "css": "text-bg-dark",
        "text": f"đã đóng lúc {format_moment(state.closes_at)}",
        "detail": "",
    }
