"""Notices of the cycles' windows: when a window opens, and three days before it closes. Run every hour by
``manage.py send_notices``; each notice is sent once per person thanks to its key (``notify`` skips a key a person
already has), so running it again creates nothing new.

Who is told:

* windows of the units (self-assessment, supplementary evidence, explanation): the officers and leaders of each
  participating unit (memberships on the unit, or above it with sub-units). A unit's extension moves its own
  warning to three days before the extended close. No closing warning for the self-assessment of a unit that has
  already submitted; explanation notices only for units asked to explain (the warning: still with unanswered
  requests);
* appraisal rounds 1 and 2: the appraisers with an active assignment in the cycle;
* the council's confirmation: the members of the cycle's council;
* publication: the index managers of the assessing body;
* the survey window is left to the surveys.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from parindex.core.notifications import notify_batch
from parindex.cycles.models import UNIT_WINDOWS, Cycle, CycleStatus, Extension, Participant, WindowKind
from parindex.cycles.windows import cycle_windows, format_moment
from parindex.orgs.access import MANAGER_ROLES
from parindex.orgs.models import Membership, Role

from .selectors import entry_counts, url_or_empty
from .templatetags.web_extras import duration_vi

WARNING_AHEAD = dt.timedelta(days=3)
UNIT_ROLES = {Role.UNIT_OFFICER, Role.UNIT_LEADER}
SKIPPED = {WindowKind.SURVEY}  # the surveys send their own


@dataclass
class NoticeSummary:
    cycles: int = 0
    opened: int = 0  # notices created that a window opened
    closing: int = 0  # notices created that a window closes soon
    by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def total(self) -> int:
        return self.opened + self.closing


def open_key(cycle: Cycle, kind: str) -> str:
    return f"window-open:{cycle.pk}:{kind}"


def closing_key(cycle: Cycle, kind: str, extended_until: dt.datetime | None = None) -> str:
    """The warning of a unit with an extension has a key of its own: granted after the first warning, the extension
    still gets its unit a warning before the new close."""
    key = f"window-closing:{cycle.pk}:{kind}"
    return f"{key}:{int(extended_until.timestamp())}" if extended_until else key


def _ancestor_ids(unit) -> list[int]:
    return [int(p) for p in (unit.path or "").strip("/").split("/") if p]


def _people_covering(units, roles) -> dict[int, list]:
    """unit id → active users holding one of ``roles`` on it (or above it, with sub-units). One query."""
    ancestors = {pk for unit in units for pk in _ancestor_ids(unit)} | {unit.pk for unit in units}
    memberships = list(
        Membership.objects.filter(role__in=roles, ended_at__isnull=True, user__is_active=True, unit_id__in=ancestors)
        .select_related("user")
        .order_by("user_id")
    )
    direct: dict[int, list] = defaultdict(list)
    wide: dict[int, list] = defaultdict(list)
    for m in memberships:
        direct[m.unit_id].append(m.user)
        if m.includes_subunits:
            wide[m.unit_id].append(m.user)
    result = {}
    for unit in units:
        users = {u.pk: u for u in direct.get(unit.pk, [])}
        for pk in _ancestor_ids(unit):
            if pk != unit.pk:
                users.update({u.pk: u for u in wide.get(pk, [])})
        result[unit.pk] = list(users.values())
    return result


def _cycle_people(cycle: Cycle, kind: str) -> list:
    from parindex.appraisals.models import Assignment, CouncilMember
    from parindex.orgs.models import User

    if kind in {WindowKind.APPRAISAL_1, WindowKind.APPRAISAL_2}:
        ids = Assignment.objects.filter(cycle=cycle, ended_at__isnull=True).values("appraiser_id")
    elif kind == WindowKind.COUNCIL:
        ids = CouncilMember.objects.filter(council__cycle=cycle, ended_at__isnull=True).values("user_id")
    elif kind == WindowKind.PUBLICATION:
        return _people_covering([cycle.assessor], MANAGER_ROLES)[cycle.assessor.pk]
    else:
        return []
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def _open_text(cycle, label, opens_at, closes_at, unit=None) -> tuple[str, str]:
    title = f"Đã mở thời hạn “{label}” — {cycle.name}"
    body = f"Thời hạn “{label}” của {cycle.name} đã mở từ {format_moment(opens_at)} đến {format_moment(closes_at)}."
    if unit is not None:
        body += f"\nĐơn vị: {unit.name}."
    return title, body


def _closing_text(cycle, label, closes_at, now, unit=None, extended=False, left_to_do="") -> tuple[str, str]:
    title = f"Sắp hết thời hạn “{label}” ({format_moment(closes_at)}) — {cycle.name}"
    body = (
        f"Thời hạn “{label}” của {cycle.name} sẽ kết thúc lúc {format_moment(closes_at)} "
        f"(còn {duration_vi(closes_at - now)}). Sau thời điểm này phần mềm khóa việc cập nhật."
    )
    if unit is not None:
        body += f"\nĐơn vị: {unit.name}" + (" (đã được gia hạn)." if extended else ".")
    if left_to_do:
        body += f"\n{left_to_do}"
    return title, body


def _unit_windows(cycle: Cycle, windows: dict, now: dt.datetime) -> list[dict]:
    from parindex.assessments.models import EDITABLE_STATUSES, Entry

    kinds = [k for k in (WindowKind.SELF_ASSESSMENT, WindowKind.SUPPLEMENTARY, WindowKind.EXPLANATION) if k in windows]
    kinds = [k for k in kinds if windows[k].opens_at <= now]
    if not kinds:
        return []
    participants = list(
        Participant.objects.filter(cycle=cycle, withdrawn_at__isnull=True).select_related("unit").order_by("unit__name")
    )
    if not participants:
        return []
    units = [p.unit for p in participants]
    people = _people_covering(units, UNIT_ROLES)
    assessments = {
        unit_id: (pk, status)
        for unit_id, pk, status in cycle.assessments.order_by().values_list("unit_id", "pk", "status")
    }
    extended = {
        (row["unit_id"], row["kind"]): row["until"]
        for row in Extension.objects.filter(cycle=cycle, revoked_at__isnull=True, kind__in=kinds)
        .order_by()
        .values("unit_id", "kind")
        .annotate(until=Max("until"))
    }
    asked: set[int] = set()
    unanswered: set[int] = set()
    if WindowKind.EXPLANATION in kinds:
        for unit_id, answered in (
            Entry.objects.filter(assessment__cycle=cycle, explanation_requested_at__isnull=False)
            .order_by()
            .values_list("assessment__unit_id", "explanation_answered_at")
        ):
            asked.add(unit_id)
            if answered is None:
                unanswered.add(unit_id)
    counts = {}
    if WindowKind.SELF_ASSESSMENT in kinds:
        counts = entry_counts([pk for pk, status in assessments.values() if status in EDITABLE_STATUSES])

    items = []
    for kind in kinds:
        window = windows[kind]
        label = str(WindowKind(kind).label)
        for unit in units:
            users = people.get(unit.pk) or []
            if not users:
                continue
            if kind == WindowKind.EXPLANATION and unit.pk not in asked:
                continue
            until = extended.get((unit.pk, kind))
            is_extended = until is not None and until > window.closes_at
            closes_at = until if is_extended else window.closes_at
            if now >= closes_at:
                continue
            assessment_pk, status = assessments.get(unit.pk, (None, None))
            if kind == WindowKind.EXPLANATION:
                url = url_or_empty("appraisals:explanations", assessment_pk) if assessment_pk else ""
            else:
                url = url_or_empty("assessments:grid", assessment_pk) if assessment_pk else ""
            title, body = _open_text(cycle, label, window.opens_at, closes_at, unit)
            items.append({"key": open_key(cycle, kind), "users": users, "title": title, "body": body, "url": url})
            if now < closes_at - WARNING_AHEAD:
                continue
            if kind == WindowKind.SELF_ASSESSMENT and status not in EDITABLE_STATUSES:
                continue  # already submitted: nothing left to do in this window
            if kind == WindowKind.EXPLANATION and unit.pk not in unanswered:
                continue
            left = ""
            if kind == WindowKind.SELF_ASSESSMENT and assessment_pk in counts:
                c = counts[assessment_pk]
                left = f"Đã tự chấm {c['done']}/{c['total']} tiêu chí"
                if c["missing"]:
                    left += f"; {c['missing']} tiêu chí chưa có tài liệu kiểm chứng hoặc giải trình."
                else:
                    left += "."
            title, body = _closing_text(cycle, label, closes_at, now, unit, is_extended, left)
            key = closing_key(cycle, kind, closes_at if is_extended else None)
            items.append({"key": key, "users": users, "title": title, "body": body, "url": url})
    return items


def _other_windows(cycle: Cycle, windows: dict, now: dt.datetime) -> list[dict]:
    items = []
    for kind in WindowKind.values:
        if kind in UNIT_WINDOWS or kind in SKIPPED or kind not in windows:
            continue
        window = windows[kind]
        if not (window.opens_at <= now < window.closes_at):
            continue
        users = _cycle_people(cycle, kind)
        if not users:
            continue
        label = str(WindowKind(kind).label)
        if kind == WindowKind.PUBLICATION:
            url = url_or_empty("web:progress", cycle.pk)
        else:
            url = url_or_empty("appraisals:home")
        title, body = _open_text(cycle, label, window.opens_at, window.closes_at)
        items.append({"key": open_key(cycle, kind), "users": users, "title": title, "body": body, "url": url})
        if now >= window.closes_at - WARNING_AHEAD:
            title, body = _closing_text(cycle, label, window.closes_at, now)
            items.append({"key": closing_key(cycle, kind), "users": users, "title": title, "body": body, "url": url})
    return items


def deadline_notices_send(*, now: dt.datetime | None = None) -> NoticeSummary:
    """Create (and e-mail, after commit) the notices due at ``now`` for every active cycle. Idempotent."""
    now = now or timezone.now()
    summary = NoticeSummary()
    for cycle in Cycle.objects.filter(status=CycleStatus.ACTIVE).select_related("assessor").order_by("pk"):
        summary.cycles += 1
        windows = cycle_windows(cycle)
        with transaction.atomic():
            items = _unit_windows(cycle, windows, now) + _other_windows(cycle, windows, now)
            for notice in notify_batch(items):
                what, _cycle, kind = notice.key.split(":")[:3]
                if what == "window-open":
                    summary.opened += 1
                else:
                    summary.closing += 1
                summary.by_kind[kind] += 1
    return summary
