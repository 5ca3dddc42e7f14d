"""Reads on the audit trail: filters for the audit page, its CSV export and the API."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .exports import cell_safe
from .models import AuditEvent
from .text import name_key


def _aware(moment: dt.datetime) -> dt.datetime:
    # A moment without a time zone means Vietnam time (Asia/Ho_Chi_Minh, the site's zone).
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def audit_event_filter(
    events: QuerySet,
    *,
    unit=None,
    include_subunits: bool = False,
    actor_id: int | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet:
    """Narrow events already limited by ``access.audit_events_visible``. ``since`` is inclusive, ``until`` exclusive;
    ``action`` ending with a dot (``unit.``) matches every action of that kind."""
    if unit is not None:
        events = events.filter(unit__path__startswith=unit.path) if include_subunits else events.filter(unit=unit)
    if actor_id is not None:
        events = events.filter(actor_id=actor_id)
    if action:
        events = events.filter(action__startswith=action) if action.endswith(".") else events.filter(action=action)
    if since is not None:
        events = events.filter(created_at__gte=_aware(since))
    if until is not None:
        events = events.filter(created_at__lt=_aware(until))
    return events


# --- the audit page (text filters typed by people) -----------------------------------------------------------------

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# Vietnamese names of the actions services write. Actions not listed here are shown as their code.
ACTION_LABELS = {
    "unit.create": "Tạo đơn vị",
    "unit.update": "Sửa đơn vị",
    "unit.alias_add": "Thêm tên gọi khác của đơn vị",
    "unit.lineage_add": "Ghi nhận kế thừa đơn vị",
    "unit.import": "Nhập danh mục đơn vị",
    "group.create": "Tạo nhóm đơn vị",
    "group.update": "Sửa nhóm đơn vị",
    "group.set_units": "Cập nhật đơn vị trong nhóm",
    "user.create": "Tạo người dùng",
    "user.invite": "Gửi lời mời đặt mật khẩu",
    "user.password_set": "Đặt mật khẩu",
    "membership.grant": "Trao vai trò",
    "membership.update": "Sửa vai trò",
    "membership.end": "Kết thúc vai trò",
    "security.policy_update": "Sửa chính sách bảo mật",
    "two_factor.enable": "Bật xác thực hai lớp",
    "two_factor.disable": "Gỡ xác thực hai lớp",
    "api_token.create": "Tạo token API",
    "api_token.revoke": "Thu hồi token API",
    "framework.import": "Nhập bộ chỉ số",
    "framework.create": "Tạo bộ chỉ số",
    "framework.update": "Sửa thông tin bộ chỉ số",
    "framework.clone": "Nhân bản bộ chỉ số",
    "framework.activate": "Áp dụng bộ chỉ số",
    "framework.retire": "Ngừng áp dụng bộ chỉ số",
    "framework.node_create": "Thêm tiêu chí",
    "framework.node_update": "Sửa tiêu chí",
    "framework.node_move": "Chuyển tiêu chí",
    "framework.node_remove": "Bỏ tiêu chí",
    "cycle.created": "Tạo đợt đánh giá",
    "cycle.updated": "Sửa đợt đánh giá",
    "cycle.status_set": "Đổi trạng thái đợt đánh giá",
    "cycle.framework_set": "Chọn bộ chỉ số cho nhóm",
    "cycle.participant_added": "Thêm đơn vị tham gia",
    "cycle.participant_withdrawn": "Rút đơn vị khỏi đợt",
    "cycle.window_set": "Đặt thời hạn",
    "cycle.extension_granted": "Gia hạn cho đơn vị",
    "cycle.extension_revoked": "Thu hồi gia hạn",
    "cycle.task_created": "Thêm nhiệm vụ kế hoạch",
    "cycle.task_updated": "Sửa nhiệm vụ kế hoạch",
    "cycle.task_status_set": "Cập nhật tình trạng nhiệm vụ",
    "cycle.task_cancelled": "Hủy nhiệm vụ",
    "cycle.task_attachment_added": "Đính kèm tệp vào nhiệm vụ",
    "cycle.task_attachment_removed": "Gỡ tệp đính kèm",
    "cycle.plan_imported": "Nhập kế hoạch",
    "cycle.responsibilities_saved": "Cập nhật ma trận phân công",
    "assessment.entry_saved": "Lưu điểm tự chấm",
    "assessment.narrative_saved": "Lưu nội dung báo cáo",
    "assessment.status_changed": "Đổi trạng thái bản tự đánh giá",
    "assessment.submission_frozen": "Chốt bản tự đánh giá đã gửi",
    "assessment.evidence_uploaded": "Tải lên tài liệu kiểm chứng",
    "assessment.evidence_linked": "Thêm liên kết tài liệu",
    "assessment.evidence_attached": "Gắn tài liệu vào tiêu chí",
    "assessment.evidence_detached": "Bỏ tài liệu khỏi tiêu chí",
    "assessment.evidence_withdrawn": "Gỡ tài liệu kiểm chứng",
    "appraisal.council_created": "Thành lập hội đồng thẩm định",
    "appraisal.council_updated": "Sửa thông tin hội đồng",
    "appraisal.council_member_added": "Thêm thành viên hội đồng",
    "appraisal.council_member_ended": "Thành viên thôi tham gia hội đồng",
    "appraisal.assignment_created": "Phân công thẩm định",
    "appraisal.assignment_updated": "Sửa phân công thẩm định",
    "appraisal.assignment_ended": "Kết thúc phân công thẩm định",
    "appraisal.explanation_requested": "Yêu cầu giải trình",
    "appraisal.explanation_answered": "Giải trình",
    "appraisal.vote_recorded": "Ghi biểu quyết",
    "appraisal.confirmed": "Hội đồng xác nhận kết quả thẩm định",
    "appraisal.reopened": "Mở lại kết quả thẩm định",
    "appraisal.round1_saved": "Thẩm định vòng 1",
    "appraisal.round2_saved": "Thẩm định vòng 2",
    "appraisal.round1_carried_over": "Giữ điểm vòng 1 cho vòng 2",
    "results.compute_requested": "Tính kết quả",
    "results.approved": "Duyệt kết quả",
    "results.published": "Công bố kết quả",
    "results.imported": "Nhập kết quả đã công bố",
    "target.created": "Đặt mục tiêu",
}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return _(label) if label else action


def local_day_start(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in Vietnam, as an aware datetime."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=LOCAL_TZ)


def audit_events_filter(
    events: QuerySet[AuditEvent],
    *,
    unit: str = "",
    include_subunits: bool = False,
    user: str = "",
    action: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    """Narrow ``events`` (already limited to what the user may see) by what a person typed.

    ``unit`` matches a unit code exactly or a part of its name (accents, case and prefixes ignored);
    ``user`` a username exactly or a part of the full name; dates are whole days in Asia/Ho_Chi_Minh, both included.
    """
    from parindex.orgs.models import OrgUnit

    unit = (unit or "").strip()
    if unit:
        key = name_key(unit)
        condition = Q(code__iexact=unit)
        if key:
            condition |= Q(name_key__contains=key)
        if include_subunits:
            paths = list(OrgUnit.objects.filter(condition).values_list("path", flat=True)[:200])
            path_q = Q(pk__in=[])
            for path in paths:
                path_q |= Q(unit__path__startswith=path)
            events = events.filter(path_q)
        else:
            events = events.filter(unit__in=OrgUnit.objects.filter(condition).values("pk"))
    user = (user or "").strip()
    if user:
        events = events.filter(
            Q(actor__username__iexact=user) | Q(actor__full_name__icontains=user) | Q(actor_label__iexact=user)
        )
    return audit_event_filter(
        events,
        action=(action or "").strip() or None,
        since=local_day_start(date_from) if date_from else None,
        until=local_day_start(date_to + dt.timedelta(days=1)) if date_to else None,
    )


def audit_action_choices(events: QuerySet[AuditEvent]) -> list[tuple[str, str]]:
    """The actions that occur among ``events``, with their Vietnamese names, for the filter's select."""
    actions = set(events.order_by().values_list("action", flat=True).distinct())
    return sorted(((a, action_label(a)) for a in actions), key=lambda pair: pair[1])


# Vietnamese names of the fields services record in ``changes``; others are shown as they are.
FIELD_LABELS = {
    "code": "Mã",
    "name": "Tên",
    "short_name": "Tên ngắn",
    "kind": "Loại",
    "parent": "Cấp trên",
    "valid_from": "Hiệu lực từ",
    "valid_to": "Hiệu lực đến",
    "source": "Nguồn",
    "units": "Đơn vị",
    "user": "Người dùng",
    "username": "Tên đăng nhập",
    "email": "E-mail",
    "role": "Vai trò",
    "includes_subunits": "Cả đơn vị trực thuộc",
    "ended_at": "Kết thúc lúc",
    "require_2fa_roles": "Vai trò bắt buộc xác thực hai lớp",
    "two_factor": "Xác thực hai lớp",
    "revoked_at": "Thu hồi lúc",
    "predecessor": "Đơn vị trước",
    "successor": "Đơn vị sau",
    "effective_date": "Ngày hiệu lực",
}


def _shown(value) -> str:
    if value in (None, "", [], {}):
        return "—"
    if value is True:
        return _("có")
    if value is False:
        return _("không")
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def changes_lines(changes: dict) -> list[str]:
    """{field: [old, new]} as "Field: old → new" lines for people."""
    lines = []
    for field, value in (changes or {}).items():
        label = _(FIELD_LABELS[field]) if field in FIELD_LABELS else field
        if isinstance(value, list | tuple) and len(value) == 2:
            lines.append(f"{label}: {_shown(value[0])} → {_shown(value[1])}")
        else:
            lines.append(f"{label}: {_shown(value)}")
    return lines


AUDIT_CSV_HEADER = [
    "Thời điểm",
    "Người thực hiện",
    "Họ và tên",
    "Hành động",
    "Mã hành động",
    "Đối tượng",
    "Loại đối tượng",
    "Mã đối tượng",
    "Mã đơn vị",
    "Đơn vị",
    "Thay đổi",
    "Lý do",
    "Địa chỉ IP",
]


def audit_csv_rows(events: QuerySet[AuditEvent]) -> Iterator[list[str]]:
    """The header, then one row per event; every cell neutralised against spreadsheet formulas."""
    yield AUDIT_CSV_HEADER
    for event in events.select_related("actor", "unit").iterator(chunk_size=2000):
        row = [
            event.created_at.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M:%S"),
            event.actor_label,
            event.actor.full_name if event.actor_id else "",
            action_label(event.action),
            event.action,
            event.object_repr,
            event.object_type,
            event.object_id,
            event.unit.code if event.unit_id else "",
            event.unit.name if event.unit_id else "",
            json.dumps(event.changes, ensure_ascii=False) if event.changes else "",
            event.reason,
            event.ip or "",
        ]
        yield [cell_safe(value) for value in row]
