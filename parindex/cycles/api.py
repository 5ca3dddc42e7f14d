"""Cycles on the API (mounted at ``/api/v1/cycles``): cycles, windows and their states, extensions, participants, the
plan's tasks (with a version check), plan export/import and the responsibility matrix.

No business logic here: an access helper first, then a selector or a service."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import AwareDatetime, ConfigDict, Field

from parindex.api.errors import error_responses
from parindex.api.pagination import DEFAULT_LIMIT, limit_param, offset_param, page
from parindex.orgs.access import MANAGER_ROLES, units_scope
from parindex.orgs.models import OrgUnit, UnitGroup

from . import access, formats, selectors, services
from .models import Cycle, Extension, Participant, Task, Window
from .windows import WindowState

router = Router(tags=["Đợt đánh giá"])

KINDS = Literal[
    "self_assessment",
    "supplementary",
    "appraisal_1",
    "explanation",
    "appraisal_2",
    "council",
    "survey",
    "publication",
]
UNIT_KINDS = Literal["self_assessment", "supplementary", "explanation"]
TASK_STATUSES = Literal["not_started", "in_progress", "done", "cancelled"]


# --- schemas ------------------------------------------------------------------------------------------------------


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class CycleUnitRef(Schema):
    id: int
    code: str
    name: str


class CycleFrameworkOut(Schema):
    group: str = Field(..., description="Mã nhóm đơn vị.")
    group_name: str
    framework_id: int
    framework_code: str


class CycleOut(Schema):
    id: int
    year: int
    name: str
    assessor: CycleUnitRef
    status: str = Field(..., description="draft (đang chuẩn bị), active (đang triển khai), closed (đã kết thúc)")
    status_label: str
    decision: str
    description: str
    updated_at: dt.datetime


class CyclePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CycleOut]


class CycleWindowOut(Schema):
    kind: str
    label: str
    opens_at: dt.datetime
    closes_at: dt.datetime


class CycleWindowStateOut(Schema):
    kind: str
    label: str
    defined: bool
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None = Field(..., description="Thời điểm đóng hiệu lực (đã tính gia hạn của đơn vị).")
    extended_until: dt.datetime | None
    is_open: bool
    not_yet_open: bool
    seconds_left: int | None
    countdown: str = Field(..., description="Ví dụ “còn 3 ngày 4 giờ”, “đã đóng lúc 17:00 ngày 15/12/2026”.")
    message: str = Field(..., description="Lý do đang khóa (rỗng khi đang mở).")


class CycleDetailOut(CycleOut):
    plans: list[CycleFrameworkOut]
    windows: list[CycleWindowOut]
    participant_count: int
    can_manage: bool


class CycleIn(InputSchema):
    year: int = Field(..., ge=2000, le=2100)
    name: str = Field(..., min_length=1, max_length=300)
    assessor: int = Field(..., description="id cơ quan đánh giá (đơn vị bạn quản lý).")
    decision: str = Field("", max_length=300)
    description: str = Field("", max_length=5000)


class CycleStatusIn(InputSchema):
    status: Literal["draft", "active", "closed"]
    reason: str = Field("", max_length=1000)


class WindowIn(InputSchema):
    opens_at: AwareDatetime = Field(..., description="ISO 8601 có múi giờ, ví dụ 2026-11-01T08:00:00+07:00.")
    closes_at: AwareDatetime
    reason: str = Field("", max_length=1000, description="Bắt buộc khi thay đổi thời hạn đã đặt.")


class CycleExtensionOut(Schema):
    id: int
    unit: CycleUnitRef
    kind: str
    kind_label: str
    until: dt.datetime
    reason: str
    granted_by: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    revoke_reason: str
    active: bool


class CycleExtensionIn(InputSchema):
    unit: int = Field(..., description="id đơn vị tham gia.")
    kind: UNIT_KINDS
    until: AwareDatetime = Field(..., description="Sau thời điểm đóng chung của giai đoạn.")
    reason: str = Field(..., min_length=1, max_length=2000)


class CycleReasonIn(InputSchema):
    reason: str = Field(..., min_length=1, max_length=2000)


class CycleParticipantOut(Schema):
    id: int
    unit: CycleUnitRef
    group: str
    framework_id: int
    withdrawn_at: dt.datetime | None
    assessment_id: int | None
    assessment_status: str | None


class CycleParticipantIn(InputSchema):
    unit: int
    group: str = Field(..., description="Mã nhóm đơn vị (đã được chọn bộ chỉ số trong đợt).")


class PlanTaskOut(Schema):
    id: int
    number: str
    title: str
    lead_unit: CycleUnitRef | None
    lead_text: str
    cooperating_units: list[CycleUnitRef]
    cooperating_text: str
    product: str
    deadline: dt.date | None
    status: str
    status_label: str
    note: str
    overdue: bool
    completed_at: dt.datetime | None
    attachments: list[dict]
    updated_at: dt.datetime = Field(..., description="Gửi lại khi sửa (kiểm tra phiên bản).")


class PlanTaskIn(InputSchema):
    number: str = Field("", max_length=16)
    title: str = Field(..., min_length=1)
    lead_unit: int | None = None
    lead_text: str = Field("", max_length=300)
    cooperating_units: list[int] = []
    cooperating_text: str = Field("", max_length=500)
    product: str = Field("", max_length=500)
    deadline: dt.date | None = None
    status: TASK_STATUSES = "not_started"
    note: str = ""


class PlanTaskPatchIn(InputSchema):
    updated_at: AwareDatetime = Field(..., description="updated_at đã đọc; nếu nhiệm vụ đã đổi sau đó: 409.")
    number: str | None = Field(None, max_length=16)
    title: str | None = Field(None, min_length=1)
    lead_unit: int | None = None
    lead_text: str | None = Field(None, max_length=300)
    cooperating_units: list[int] | None = None
    cooperating_text: str | None = Field(None, max_length=500)
    product: str | None = Field(None, max_length=500)
    deadline: dt.date | None = None
    status: TASK_STATUSES | None = None
    note: str | None = None


class PlanTaskPage(Schema):
    count: int
    limit: int
    offset: int
    overdue_count: int
    items: list[PlanTaskOut]


class PlanImportOut(Schema):
    valid: bool
    applied: bool
    errors: list[str]
    warnings: list[str]
    created: int
    updated: int
    unchanged: int


class ResponsibilityOut(Schema):
    node: str
    node_id: int
    name: str
    depth: int
    division: str
    cooperating: str
    person: int | None
    note: str


class ResponsibilityIn(InputSchema):
    node: str = Field(..., description="Mã tiêu chí.")
    division: str = Field("", max_length=300, description="Rỗng: bỏ phân công của tiêu chí.")
    cooperating: str = Field("", max_length=500)
    person: int | None = None
    note: str = Field("", max_length=500)


class MatrixIn(InputSchema):
    rows: list[ResponsibilityIn]


class MatrixSaveOut(Schema):
    created: int
    updated: int
    cleared: int


# --- helpers ------------------------------------------------------------------------------------------------------


def _unit(unit: OrgUnit | None) -> dict | None:
    return {"id": unit.pk, "code": unit.code, "name": unit.name} if unit else None


def _cycle_out(cycle: Cycle) -> dict:
    return {
        "id": cycle.pk,
        "year": cycle.year,
        "name": cycle.name,
        "assessor": _unit(cycle.assessor),
        "status": cycle.status,
        "status_label": cycle.get_status_display(),
        "decision": cycle.decision,
        "description": cycle.description,
        "updated_at": cycle.updated_at,
    }


def _window_out(window: Window) -> dict:
    return {
        "kind": window.kind,
        "label": window.get_kind_display(),
        "opens_at": window.opens_at,
        "closes_at": window.closes_at,
    }


def _state_out(state: WindowState) -> dict:
    return {
        "kind": state.kind,
        "label": state.label,
        "defined": state.defined,
        "opens_at": state.opens_at,
        "closes_at": state.closes_at,
        "extended_until": state.extended_until,
        "is_open": state.is_open,
        "not_yet_open": state.not_yet_open,
        "seconds_left": state.seconds_left,
        "countdown": selectors.window_display(state)["text"],
        "message": state.message,
    }


def _extension_out(ext: Extension) -> dict:
    return {
        "id": ext.pk,
        "unit": _unit(ext.unit),
        "kind": ext.kind,
        "kind_label": ext.get_kind_display(),
        "until": ext.until,
        "reason": ext.reason,
        "granted_by": ext.granted_by.get_username(),
        "created_at": ext.created_at,
        "revoked_at": ext.revoked_at,
        "revoke_reason": ext.revoke_reason,
        "active": ext.revoked_at is None and ext.until > timezone.now(),
    }


def _participant_out(p: Participant) -> dict:
    assessment = getattr(p, "assessment_or_none", None)
    return {
        "id": p.pk,
        "unit": _unit(p.unit),
        "group": p.group.code,
        "framework_id": p.framework_id,
        "withdrawn_at": p.withdrawn_at,
        "assessment_id": assessment.pk if assessment else None,
        "assessment_status": assessment.status if assessment else None,
    }


def _task_out(task: Task) -> dict:
    attachments = getattr(task, "live_attachments", None)
    if attachments is None:
        attachments = list(task.attachments.filter(removed_at__isnull=True))
    return {
        "id": task.pk,
        "number": task.number,
        "title": task.title,
        "lead_unit": _unit(task.lead_unit),
        "lead_text": task.lead_text,
        "cooperating_units": [_unit(u) for u in task.cooperating_units.all()],
        "cooperating_text": task.cooperating_text,
        "product": task.product,
        "deadline": task.deadline,
        "status": task.status,
        "status_label": task.get_status_display(),
        "note": task.note,
        "overdue": bool(getattr(task, "is_overdue", False)),
        "completed_at": task.completed_at,
        "attachments": [
            {"id": a.pk, "name": a.original_name, "size": a.size, "sha256": a.sha256, "uploaded_at": a.uploaded_at}
            for a in attachments
        ],
        "updated_at": task.updated_at,
    }


def _display_one(task: Task) -> dict:
    return _task_out(selectors.tasks_for_display(Task.objects.filter(pk=task.pk))[0])


def _scope_unit(cycle: Cycle, unit_id: int, field: str) -> OrgUnit:
    root = cycle.assessor.parent if cycle.assessor.parent_id else cycle.assessor
    unit = OrgUnit.objects.filter(pk=unit_id, path__startswith=root.path).first()
    if unit is None:
        raise ValidationError({field: f"Không có đơn vị id {unit_id} trong phạm vi của {root.name}."})
    return unit


# --- cycles -------------------------------------------------------------------------------------------------------


@router.get("", response={200: CyclePage, **error_responses(401, 403, 422)}, summary="Danh sách đợt đánh giá")
def cycle_list(
    request: HttpRequest,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="Lọc theo năm.")] = None,
    status: Annotated[Literal["draft", "active", "closed"] | None, Query(description="Lọc theo trạng thái.")] = None,
    limit: Annotated[int, limit_param()] = DEFAULT_LIMIT,
    offset: Annotated[int, offset_param()] = 0,
):
    """Các đợt đánh giá bạn được xem: của cơ quan bạn quản lý, có đơn vị của bạn tham gia, hoặc bạn trong hội đồng."""
    qs = access.cycles_visible(request.auth).order_by("-year", "name")
    if year:
        qs = qs.filter(year=year)
    if status:
        qs = qs.filter(status=status)
    result = page(qs, limit=limit, offset=offset)
    result["items"] = [_cycle_out(c) for c in result["items"]]
    return result


@router.post("", response={201: CycleOut, **error_responses(400, 401, 403, 404, 422)}, summary="Tạo đợt đánh giá")
def cycle_create(request: HttpRequest, payload: CycleIn):
    assessor = access.require_cycle_create(request.auth, payload.assessor)
    cycle = services.cycle_create(
        year=payload.year,
        name=payload.name,
        assessor=assessor,
        actor=request.auth,
        decision=payload.decision,
        description=payload.description,
    )
    return Status(201, _cycle_out(cycle))


@router.get(
    "/{cycle_id}", response={200: CycleDetailOut, **error_responses(401, 403, 404, 422)}, summary="Một đợt đánh giá"
)
def cycle_detail(request: HttpRequest, cycle_id: int):
    cycle = access.require_cycle_read(request.auth, cycle_id)
    out = _cycle_out(cycle)
    out["plans"] = [
        {
            "group": p.group.code,
            "group_name": p.group.name,
            "framework_id": p.framework_id,
            "framework_code": p.framework.code,
        }
        for p in selectors.cycle_plans(cycle)
    ]
    out["windows"] = [_window_out(w) for w in selectors.cycle_windows_list(cycle)]
    out["participant_count"] = Participant.objects.filter(cycle=cycle, withdrawn_at__isnull=True).count()
    out["can_manage"] = access.can_manage_cycle(request.auth, cycle)
    return out


@router.post(
    "/{cycle_id}/status",
    response={200: CycleOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Đổi trạng thái đợt đánh giá",
)
def cycle_status(request: HttpRequest, cycle_id: int, payload: CycleStatusIn):
    """Chuẩn bị → triển khai → kết thúc; mở lại (kết thúc → triển khai) hoặc đưa về chuẩn bị cần lý do."""
    cycle = access.require_cycle_manage(request.auth, cycle_id)
    cycle = services.cycle_status_set(cycle=cycle, status=payload.status, actor=request.auth, reason=payload.reason)
    return _cycle_out(cycle)


# --- windows ------------------------------------------------------------------------------------------------------


@router.get(
    "/{cycle_id}/windows",
    response={200: list[CycleWindowOut], **error_responses(401, 403, 404, 422)},
    summary="Các mốc thời hạn",
)
def window_list(request: HttpRequest, cycle_id: int):
    cycle = access.require_cycle_read(request.auth, cycle_id)
    return [_window_out(w) for w in selectors.cycle_windows_list(cycle)]


@router.put(
    "/{cycle_id}/windows/{kind}",
    response={200: CycleWindowOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Đặt hoặc sửa một mốc thời hạn",
)
def window_put(request: HttpRequest, cycle_id: int, kind: KINDS, payload: WindowIn):
    """Đặt lần đầu không cần lý do; sửa thời hạn đã đặt phải có `reason` (ghi nhật ký)."""
    cycle = access.require_cycle_manage(request.auth, cycle_id)
    window = services.window_set(
        cycle=cycle,
        kind=kind,
        opens_at=payload.opens_at,
        closes_at=payload.closes_at,
        actor=request.auth,
        reason=payload.reason,
    )
    return _window_out(window)


@router.get(
    "/{cycle_id}/window-states",
    response={200: list[CycleWindowStateOut], **error_responses(401, 403, 404, 422)},
    summary="Tình trạng các mốc thời hạn (đếm ngược)",
)
def window_states(
    request: HttpRequest,
    cycle_id: int,
    unit: Annotated[int | None, Query(description="id đơn vị: tính cả gia hạn của đơn vị.")] = None,
):
    """Mốc đang mở, chưa mở hay đã đóng, lúc này, theo giờ máy chủ. Với `unit` (đơn vị của bạn, hoặc bất kỳ đơn vị
    tham gia nếu bạn quản lý đợt) tính cả gia hạn của đơn vị đó."""
    cycle = access.require_cycle_read(request.auth, cycle_id)
    chosen = access.require_window_unit(request.auth, cycle, unit) if unit is not None else None
    return [_state_out(s) for s in selectors.window_states(cycle, chosen)]


# --- extensions ---------------------------------------------------------------------------------------------------


@router.get(
    "/{cycle_id}/extensions",
    response={200: list[CycleExtensionOut], **error_responses(401, 403, 404, 422)},
    summary="Các gia hạn của đợt",
)
def extension_list(request: HttpRequest, cycle_id: int):
    """Quản lý Chỉ số thấy mọi gia hạn; người của đơn vị thấy gia hạn của đơn vị mình."""
    cycle = access.require_cycle_read(request.auth, cycle_id)
    extensions = selectors.cycle_extensions(cycle)
    if not access.can_manage_cycle(request.auth, cycle):
        own = {u.pk for u in access.own_units(request.auth, cycle)}
        extensions = [e for e in extensions if e.unit_id in own]
    return [_extension_out(e) for e in extensions]


@router.post(
    "/{cycle_id}/extensions",
    response={201: CycleExtensionOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Gia hạn cho một đơn vị",
)
def extension_grant(request: HttpRequest, cycle_id: int, payload: CycleExtensionIn):
    """Chỉ các giai đoạn của đơn vị (tự đánh giá, bổ sung tài liệu, giải trình), cho đơn vị đang tham gia, đến một
    thời điểm sau thời điểm đóng chung; bắt buộc có lý do."""
    cycle = access.require_cycle_manage(request.auth, cycle_id)
    unit = OrgUnit.objects.filter(pk=payload.unit).first()
    if unit is None:
        raise ValidationError({"unit": f"Không có đơn vị id {payload.unit}."})
    ext = services.extension_grant(
        cycle=cycle, unit=unit, kind=payload.kind, until=payload.until, reason=payload.reason, actor=request.auth
    )
    return Status(201, _extension_out(ext))


@router.post(
    "/{cycle_id}/extensions/{extension_id}/revoke",
    response={200: CycleExtensionOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Thu hồi gia hạn",
)
def extension_revoke(request: HttpRequest, cycle_id: int, extension_id: int, payload: CycleReasonIn):
    ext = access.require_extension(request.auth, cycle_id, extension_id)
    return _extension_out(services.extension_revoke(extension=ext, actor=request.auth, reason=payload.reason))


# --- participants -------------------------------------------------------------------------------------------------


@router.get(
    "/{cycle_id}/participants",
    response={200: list[CycleParticipantOut], **error_responses(401, 403, 404, 422)},
    summary="Đơn vị tham gia",
)
def participant_list(request: HttpRequest, cycle_id: int):
    cycle = access.require_cycle_read(request.auth, cycle_id)
    return [_participant_out(p) for p in selectors.cycle_participants(cycle)]


@router.post(
    "/{cycle_id}/participants",
    response={201: CycleParticipantOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Thêm một đơn vị vào đợt",
)
def participant_add(request: HttpRequest, cycle_id: int, payload: CycleParticipantIn):
    cycle = access.require_cycle_manage(request.auth, cycle_id)
    unit = units_scope(request.auth, MANAGER_ROLES).filter(pk=payload.unit).first()
    if unit is None:
        raise ValidationError({"unit": f"Không có đơn vị id {payload.unit} trong các đơn vị bạn quản lý."})
    group = UnitGroup.objects.filter(code=payload.group, cycle_frameworks__cycle=cycle).first()
    if group is None:
        raise ValidationError({"group": f"Nhóm “{payload.group}” chưa được chọn bộ chỉ số trong đợt này."})
    participant = services.participant_add(cycle=cycle, unit=unit, group=group, actor=request.auth)
    participant.assessment_or_none = getattr(participant, "assessment", None)
    return Status(201, _participant_out(participant))


@router.post(
    "/{cycle_id}/participants/{participant_id}/withdraw",
    response={200: CycleParticipantOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Rút một đơn vị khỏi đợt",
)
def participant_withdraw(request: HttpRequest, cycle_id: int, participant_id: int, payload: CycleReasonIn):
    participant = access.require_participant(request.auth, cycle_id, participant_id)
    participant = services.participant_withdraw(participant=participant, actor=request.auth, reason=payload.reason)
    participant.assessment_or_none = getattr(participant, "assessment", None)
    return _participant_out(participant)


# --- tasks --------------------------------------------------------------------------------------------------------


@router.get(
    "/{cycle_id}/tasks",
    response={200: PlanTaskPage, **error_responses(401, 403, 404, 422)},
    summary="Kế hoạch: nhiệm vụ",
)
def task_list(
    request: HttpRequest,
    cycle_id: int,
    status: Annotated[TASK_STATUSES | None, Query(description="Lọc theo tình trạng.")] = None,
    overdue: Annotated[bool, Query(description="Chỉ nhiệm vụ quá hạn chưa hoàn thành.")] = False,
    unit: Annotated[int | None, Query(description="Nhiệm vụ đơn vị này chủ trì hoặc phối hợp.")] = None,
    limit: Annotated[int, limit_param()] = DEFAULT_LIMIT,
    offset: Annotated[int, offset_param()] = 0,
):
    """Quản lý Chỉ số thấy toàn bộ kế hoạch; đơn vị thấy nhiệm vụ mình chủ trì hoặc phối hợp."""
    cycle = access.require_cycle_read(request.auth, cycle_id)
    visible = access.tasks_visible(request.auth, cycle)
    unit_obj = OrgUnit.objects.filter(pk=unit).first() if unit else None
    if unit and unit_obj is None:
        return {"count": 0, "limit": limit, "offset": offset, "overdue_count": 0, "items": []}
    tasks = selectors.tasks_filter(visible, status=status or "", overdue=overdue, unit=unit_obj)
    items = selectors.tasks_for_display(tasks)
    result = page(items, limit=limit, offset=offset)
    result["overdue_count"] = selectors.overdue_count(visible)
    result["items"] = [_task_out(t) for t in result["items"]]
    return result


@router.post(
    "/{cycle_id}/tasks",
    response={201: PlanTaskOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Thêm nhiệm vụ vào kế hoạch",
)
def task_create(request: HttpRequest, cycle_id: int, payload: PlanTaskIn):
    cycle = access.require_cycle_manage(request.auth, cycle_id)
    values = payload.dict()
    lead = values.pop("lead_unit")
    values["lead_unit"] = _scope_unit(cycle, lead, "lead_unit") if lead else None
    values["cooperating_units"] = [_scope_unit(cycle, u, "cooperating_units") for u in values["cooperating_units"]]
    task = services.task_create(cycle=cycle, actor=request.auth, **values)
    return Status(201, _display_one(task))


@router.get(
    "/{cycle_id}/tasks/{task_id}",
    response={200: PlanTaskOut, **error_responses(401, 403, 404, 422)},
    summary="Một nhiệm vụ",
)
def task_detail(request: HttpRequest, cycle_id: int, task_id: int):
    task = access.require_task_read(request.auth, cycle_id, task_id)
    return _display_one(task)


@router.patch(
    "/{cycle_id}/tasks/{task_id}",
    response={200: PlanTaskOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Sửa nhiệm vụ (kiểm tra phiên bản)",
)
def task_patch(request: HttpRequest, cycle_id: int, task_id: int, payload: PlanTaskPatchIn):
    """Quản lý Chỉ số sửa mọi trường; cơ quan chủ trì chỉ cập nhật `status` (không hủy được) và `note`. Bắt buộc gửi
    `updated_at` đã đọc: nếu nhiệm vụ đã bị người khác thay đổi, trả 409 kèm giá trị hiện có (`current`)."""
    task = access.require_task_read(request.auth, cycle_id, task_id)
    values = payload.dict(exclude_unset=True)
    expected = values.pop("updated_at")
    if access.can_manage_cycle(request.auth, task.cycle):
        cooperating = values.pop("cooperating_units", None)
        if "lead_unit" in values:
            lead = values["lead_unit"]
            values["lead_unit"] = _scope_unit(task.cycle, lead, "lead_unit") if lead else None
        if cooperating is not None:
            cooperating = [_scope_unit(task.cycle, u, "cooperating_units") for u in cooperating]
        for field in ("number", "title", "lead_text", "cooperating_text", "product", "status", "note"):
            if field in values and values[field] is None:
                raise ValidationError({field: "Không được để null."})
        task = services.task_update(
            task=task, actor=request.auth, expected_updated_at=expected, cooperating_units=cooperating, **values
        )
        return _display_one(task)
    task = access.require_task_status(request.auth, cycle_id, task_id)
    extra = set(values) - {"status", "note"}
    if extra:
        raise ValidationError(dict.fromkeys(sorted(extra), "Chỉ quản lý Chỉ số mới sửa được trường này."))
    task = services.task_status_set(
        task=task,
        status=values.get("status") or task.status,
        note=values.get("note"),
        actor=request.auth,
        expected_updated_at=expected,
    )
    return _display_one(task)


@router.post(
    "/{cycle_id}/tasks/{task_id}/cancel",
    response={200: PlanTaskOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Hủy nhiệm vụ",
)
def task_cancel(request: HttpRequest, cycle_id: int, task_id: int, payload: CycleReasonIn):
    task = access.require_task_manage(request.auth, cycle_id, task_id)
    return _display_one(services.task_cancel(task=task, actor=request.auth, reason=payload.reason))


# --- plan export and import ---------------------------------------------------------------------------------------


@router.get(
    "/{cycle_id}/plan.xlsx",
    response={200: None, **error_responses(401, 403, 404, 422)},
    summary="Xuất kế hoạch (XLSX)",
    openapi_extra={
        "responses": {
            200: {
                "description": "Tệp kế hoạch",
                "content": {formats.XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def plan_export(request: HttpRequest, cycle_id: int):
    cycle = access.require_cycle_read(request.auth, cycle_id)
    content = formats.plan_write(cycle, access.tasks_visible(request.auth, cycle))
    response = HttpResponse(content, content_type=formats.XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="ke-hoach-{cycle.year}-{cycle.pk}.xlsx"'
    return response


@router.post(
    "/{cycle_id}/plan",
    response={200: PlanImportOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Nhập kế hoạch từ tệp XLSX",
)
def plan_import(request: HttpRequest, cycle_id: int, file: File[UploadedFile], dry_run: Form[bool] = False):
    """Tất cả hoặc không: khi tệp có lỗi, trả 422 và liệt kê từng lỗi (dòng, cột) trong `errors.file`; không ghi gì.
    Với `dry_run=true` chỉ kiểm tra (200, `applied=false`). Cơ quan chủ trì không khớp đơn vị nào được lưu dạng chữ
    và báo trong `warnings`."""
    cycle = access.require_cycle_manage(request.auth, cycle_id)
    if file.size and file.size > 5 * 1024 * 1024:
        raise ValidationError({"file": ["Tệp quá lớn; giới hạn 5 MB."]})
    content = file.read(5 * 1024 * 1024 + 1)
    result = services.plan_import(
        cycle=cycle, content=content, actor=request.auth, dry_run=dry_run, filename=file.name or ""
    )
    if result.errors:
        raise ValidationError({"file": result.errors})
    return {
        "valid": True,
        "applied": result.applied,
        "errors": [],
        "warnings": result.warnings,
        **result.counts,
    }


# --- responsibility matrix ----------------------------------------------------------------------------------------


def _matrix_out(participant) -> list[dict]:
    out = []
    for row in selectors.responsibility_rows(participant):
        r = row["responsibility"]
        out.append(
            {
                "node": row["node"].code,
                "node_id": row["node"].pk,
                "name": row["node"].name,
                "depth": row["depth"],
                "division": r.division if r else "",
                "cooperating": r.cooperating if r else "",
                "person": r.person_id if r else None,
                "note": r.note if r else "",
            }
        )
    return out


@router.get(
    "/{cycle_id}/responsibilities/{unit_id}",
    response={200: list[ResponsibilityOut], **error_responses(401, 403, 404, 422)},
    summary="Bảng phân công theo tiêu chí của một đơn vị",
)
def matrix_read(request: HttpRequest, cycle_id: int, unit_id: int):
    participant = access.require_matrix_read(request.auth, cycle_id, unit_id)
    return _matrix_out(participant)


@router.put(
    "/{cycle_id}/responsibilities/{unit_id}",
    response={200: MatrixSaveOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Lưu bảng phân công theo tiêu chí",
)
def matrix_write(request: HttpRequest, cycle_id: int, unit_id: int, payload: MatrixIn):
    """Chỉ các tiêu chí gửi lên được thay đổi; `division` rỗng bỏ phân công của tiêu chí. Tất cả hoặc không."""
    participant = access.require_matrix_edit(request.auth, cycle_id, unit_id)
    from django.contrib.auth import get_user_model

    from parindex.frameworks.models import Node

    nodes = {n.code: n for n in Node.objects.filter(framework_id=participant.framework_id)}
    users = get_user_model().objects.in_bulk([r.person for r in payload.rows if r.person])
    rows, errors = {}, {}
    for row in payload.rows:
        node = nodes.get(row.node)
        if node is None:
            errors[row.node] = [f"Không có tiêu chí “{row.node}” trong bộ chỉ số của đơn vị."]
            continue
        if row.person and row.person not in users:
            errors[f"{row.node}.person"] = [f"Tiêu chí {row.node}: không có người dùng id {row.person}."]
            continue
        rows[node.pk] = {
            "division": row.division,
            "cooperating": row.cooperating,
            "note": row.note,
            "person": users.get(row.person) if row.person else None,
        }
    if errors:
        raise ValidationError(errors)
    return services.responsibilities_save(participant=participant, rows=rows, actor=request.auth)
