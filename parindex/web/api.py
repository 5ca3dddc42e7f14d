"""The user's notices (mounted at ``/api/v1/notifications``) and a cycle's progress (``/api/v1/progress``).

No business logic here: an access helper first, then a selector or a service."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema
from pydantic import Field

from parindex.api.errors import error_responses
from parindex.api.pagination import DEFAULT_LIMIT, limit_param, offset_param
from parindex.api.schemas.common import MAX_ID, Text
from parindex.api.schemas.orgs import UnitRef, UserRef
from parindex.assessments.models import AssessmentStatus
from parindex.core import notifications as notices

from . import access, selectors

router = Router(tags=["Thông báo"])
progress_router = Router(tags=["Tiến độ"])

Id = Annotated[int, Path(ge=1, le=MAX_ID)]


# --- notifications -----------------------------------------------------------------------------------------------


class NotificationOut(Schema):
    id: int
    title: str
    body: str
    url: str = Field(..., description="Đường dẫn (trong trang) tới đối tượng của thông báo; rỗng nếu không có.")
    created_at: dt.datetime
    read_at: dt.datetime | None
    is_read: bool


class NotificationPage(Schema):
    count: int
    unread: int = Field(..., description="Số thông báo chưa đọc (mọi trang).")
    limit: int
    offset: int
    items: list[NotificationOut]


class MarkedOut(Schema):
    marked: int = Field(..., description="Số thông báo vừa được đánh dấu đã đọc.")


def _notification_out(n) -> dict:
    return {
        "id": n.pk,
        "title": n.title,
        "body": n.body,
        "url": selectors.safe_link(n.url),
        "created_at": n.created_at,
        "read_at": n.read_at,
        "is_read": n.read_at is not None,
    }


@router.get("", response={200: NotificationPage, **error_responses(401, 403, 422)}, summary="Thông báo của tôi")
def notification_list(
    request: HttpRequest,
    unread: Annotated[bool, Query(description="Chỉ các thông báo chưa đọc.")] = False,
    limit: Annotated[int, limit_param()] = DEFAULT_LIMIT,
    offset: Annotated[int, offset_param()] = 0,
):
    """Thông báo của người dùng đang đăng nhập, mới nhất trước."""
    access.require_login(request.auth)
    qs = notices.notifications_of(request.auth)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    items = [_notification_out(n) for n in qs[offset : offset + limit]]
    return {
        "count": qs.count(),
        "unread": notices.unread_count(request.auth),
        "limit": limit,
        "offset": offset,
        "items": items,
    }


@router.post("/read-all", response={200: MarkedOut, **error_responses(401, 403, 422)}, summary="Đánh dấu tất cả đã đọc")
def notification_read_all(request: HttpRequest):
    access.require_login(request.auth)
    return {"marked": notices.notifications_mark_all_read(user=request.auth)}


@router.post(
    "/{notification_id}/read",
    response={200: NotificationOut, **error_responses(401, 403, 404, 422)},
    summary="Đánh dấu một thông báo đã đọc",
)
def notification_read(request: HttpRequest, notification_id: Id):
    """Chỉ thông báo của chính mình; thông báo của người khác: 404."""
    notification = access.require_own_notification(request.auth, notification_id)
    return _notification_out(notices.notification_mark_read(notification=notification))


# --- progress of a cycle -----------------------------------------------------------------------------------------


class CycleRef(Schema):
    id: int
    name: str
    year: int
    status: str


class GroupRef(Schema):
    id: int
    code: str
    name: str


class StateCount(Schema):
    status: str
    label: str
    count: int


class UnitProgressOut(Schema):
    assessment_id: int
    unit: UnitRef
    group: GroupRef
    status: str
    status_label: str
    criteria_done: int = Field(..., description="Số tiêu chí đã tự chấm điểm.")
    criteria_total: int = Field(..., description="Số tiêu chí đơn vị phải tự chấm.")
    missing_evidence: int = Field(
        ..., description="Số tiêu chí tự chấm có điểm nhưng chưa có kiểm chứng, chưa giải trình."
    )
    open_explanations: int = Field(..., description="Số yêu cầu giải trình chưa được trả lời.")
    submitted_at: dt.datetime | None


class WorkloadOut(Schema):
    appraiser: UserRef
    assigned: int = Field(..., description="Số tiêu chí (của mọi đơn vị) được phân công.")
    round1: int = Field(..., description="Số tiêu chí đã có điểm thẩm định vòng 1.")
    round2: int = Field(..., description="Số tiêu chí đã có điểm thẩm định vòng 2.")


class TaskOut(Schema):
    id: int
    number: str
    title: str
    lead: str
    deadline: dt.date | None
    status: str
    status_label: str


class WindowOut(Schema):
    kind: str
    label: str
    defined: bool
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    is_open: bool
    seconds_left: int | None = Field(..., description="Số giây đến khi đóng (thời hạn đang mở).")


class ProgressOut(Schema):
    cycle: CycleRef
    states: list[StateCount]
    units_total: int
    count: int = Field(..., description="Số đơn vị khớp bộ lọc.")
    limit: int
    offset: int
    units: list[UnitProgressOut]
    workload: list[WorkloadOut]
    overdue_tasks: list[TaskOut]
    windows: list[WindowOut]


def _unit_ref(unit) -> dict:
    return {"id": unit.pk, "code": unit.code, "name": unit.name, "kind": unit.kind}


@progress_router.get(
    "/{cycle_id}",
    response={200: ProgressOut, **error_responses(401, 403, 404, 422)},
    summary="Tiến độ của đợt đánh giá",
)
def progress(
    request: HttpRequest,
    cycle_id: Id,
    status: Annotated[
        Literal[tuple(AssessmentStatus.values)] | None, Query(description="Lọc theo trạng thái bản tự đánh giá.")
    ] = None,
    group: Annotated[int | None, Query(ge=1, le=MAX_ID, description="id nhóm đơn vị.")] = None,
    q: Annotated[Text | None, Query(max_length=100, description="Tên hoặc mã đơn vị chứa chuỗi này.")] = None,
    limit: Annotated[int, limit_param()] = DEFAULT_LIMIT,
    offset: Annotated[int, offset_param()] = 0,
):
    """Quản lý Chỉ số của cơ quan đánh giá và Chủ tịch Hội đồng thẩm định: trạng thái từng đơn vị tham gia (số đơn vị
    theo trạng thái), tiến độ tự chấm, tiêu chí thiếu kiểm chứng, khối lượng của từng thành viên thẩm định, nhiệm vụ
    quá hạn và các thời hạn."""
    cycle = access.require_progress(request.auth, cycle_id)
    units = selectors.progress_units(cycle, status=status or "", group_id=group, query=(q or "").strip())
    states = selectors.progress_states(cycle)
    rows = selectors.progress_rows(units[offset : offset + limit])
    return {
        "cycle": {"id": cycle.pk, "name": cycle.name, "year": cycle.year, "status": cycle.status},
        "states": states,
        "units_total": sum(s["count"] for s in states),
        "count": units.count(),
        "limit": limit,
        "offset": offset,
        "units": [
            {
                "assessment_id": r.assessment_id,
                "unit": _unit_ref(r.unit),
                "group": {"id": r.group.pk, "code": r.group.code, "name": r.group.name},
                "status": r.status,
                "status_label": r.status_label,
                "criteria_done": r.criteria_done,
                "criteria_total": r.criteria_total,
                "missing_evidence": r.missing_evidence,
                "open_explanations": r.open_explanations,
                "submitted_at": r.submitted_at,
            }
            for r in rows
        ],
        "workload": [
            {
                "appraiser": {"id": w["user"].pk, "username": w["user"].username, "full_name": w["user"].full_name},
                "assigned": w["assigned"],
                "round1": w["round1"],
                "round2": w["round2"],
            }
            for w in selectors.appraiser_workload(cycle)
        ],
        "overdue_tasks": [
            {
                "id": t.pk,
                "number": t.number,
                "title": t.title,
                "lead": t.lead_unit.name if t.lead_unit_id else t.lead_text,
                "deadline": t.deadline,
                "status": t.status,
                "status_label": t.get_status_display(),
            }
            for t in selectors.overdue_tasks(cycle)
        ],
        "windows": [
            {
                "kind": w.kind,
                "label": w.label,
                "defined": w.defined,
                "opens_at": w.opens_at,
                "closes_at": w.closes_at,
                "is_open": w.is_open,
                "seconds_left": w.seconds_left,
            }
            for w in selectors.cycle_window_states(cycle)
        ],
    }
