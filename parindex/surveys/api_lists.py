"""Respondent lists on the API (under ``/api/v1/surveys``): the survey's groups, the lists of a survey, importing a
list from the XLSX template (with a dry run), reviewing its rows with the rules' reasons, a coordinator's decision on
a row, sampling and sending.

No business logic here: an access helper first, then a service. Personal data only goes to those ``access`` allows.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict, Field

from parindex.api.errors import error_responses
from parindex.api.pagination import DEFAULT_LIMIT, limit_param, offset_param, page

from . import access, lists, services
from .models import Respondent, RespondentList

router = Router(tags=["Điều tra xã hội học — danh sách"])

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUSES = Literal["included", "excluded", "merged", "not_sampled"]


class ListInputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class ListUnitRef(Schema):
    id: int
    code: str
    name: str


class ListGroupOut(Schema):
    id: int
    code: str
    name: str
    priority: int = Field(..., description="Số nhỏ được ưu tiên khi một người có mặt ở nhiều nhóm.")
    is_citizen: bool
    rates: str
    questionnaire_id: int
    max_organisations: int | None


class RespondentListOut(Schema):
    id: int
    survey_id: int
    unit: ListUnitRef
    status: str = Field(..., description="draft (đang lập), sent (đã gửi)")
    status_label: str
    version: int
    counts: dict[str, int] = Field(..., description="Số người theo trạng thái (included, excluded, merged…).")
    sent_at: dt.datetime | None
    sample_seed: int | None
    population: int | None
    sample_size: int | None
    personal_data: bool = Field(..., description="Người gọi có được xem thông tin cá nhân của danh sách không.")


class RespondentListChecksOut(Schema):
    quota: int | None = Field(..., description="Số người dân tối thiểu (null: không áp dụng cho danh sách này).")
    citizens: int
    required_fields: list[str]
    missing_fields: list[str]
    problems: list[str]


class RespondentListDetailOut(RespondentListOut):
    checks: RespondentListChecksOut
    send_note: str


class RespondentListPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[RespondentListOut]


class ListRespondentOut(Schema):
    id: int
    row: int | None
    full_name: str
    email: str
    phone: str
    position: str
    unit: ListUnitRef | None
    rated_unit: ListUnitRef
    organisation: str
    group: str = Field(..., description="Mã nhóm.")
    procedure: str
    procedure_field: str
    served_on: dt.date | None
    result_received_on: dt.date | None
    address: str
    status: str
    status_label: str
    rule: str = Field(..., description="Quy tắc đã quyết định (rỗng: người điều phối quyết định hoặc được giữ).")
    reason: str
    decided_by: str | None = Field(..., description="Người điều phối đã quyết định (null: do quy tắc).")
    merged_into: int | None


class ListRespondentPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ListRespondentOut]


class ListImportOut(Schema):
    valid: bool
    applied: bool
    list_id: int | None
    rows: int
    counts: dict[str, int]
    rules: dict[str, int] = Field(..., description="Số dòng mỗi quy tắc đã quyết định.")
    errors: list[str]


class ListDecisionIn(ListInputSchema):
    status: Literal["included", "excluded"]
    reason: str = Field(..., min_length=1, max_length=500)


class ListSampleIn(ListInputSchema):
    seed: int | None = Field(None, ge=0, le=2**62, description="Để trống: phần mềm chọn và ghi lại hạt giống.")


class ListSendIn(ListInputSchema):
    note: str = Field("", max_length=2000, description="Bắt buộc khi danh sách chưa đủ số người hoặc thiếu lĩnh vực.")


def _unit(unit) -> dict | None:
    return {"id": unit.pk, "code": unit.code, "name": unit.name} if unit is not None else None


def _counts(respondent_list: RespondentList) -> dict[str, int]:
    rows = Respondent.objects.filter(respondent_list=respondent_list).values("status").annotate(n=Count("pk"))
    return {r["status"]: r["n"] for r in rows}


def _list_out(user, respondent_list: RespondentList) -> dict:
    return {
        "id": respondent_list.pk,
        "survey_id": respondent_list.survey_id,
        "unit": _unit(respondent_list.unit),
        "status": respondent_list.status,
        "status_label": str(respondent_list.get_status_display()),
        "version": respondent_list.version,
        "counts": _counts(respondent_list),
        "sent_at": respondent_list.sent_at,
        "sample_seed": respondent_list.sample_seed,
        "population": respondent_list.population,
        "sample_size": respondent_list.sample_size,
        "personal_data": access.can_see_personal(user, respondent_list),
    }


def _detail_out(user, respondent_list: RespondentList) -> dict:
    checks = lists.list_checks(respondent_list)
    return {
        **_list_out(user, respondent_list),
        "send_note": respondent_list.send_note,
        "checks": {
            "quota": checks.quota,
            "citizens": checks.citizens,
            "required_fields": checks.required_fields,
            "missing_fields": checks.missing_fields,
            "problems": checks.problems,
        },
    }


def _respondent_out(r: Respondent) -> dict:
    return {
        "id": r.pk,
        "row": r.row,
        "full_name": r.full_name,
        "email": r.email,
        "phone": r.phone,
        "position": r.position,
        "unit": _unit(r.unit),
        "rated_unit": _unit(r.rated_unit),
        "organisation": r.organisation,
        "group": r.group.code,
        "procedure": r.procedure,
        "procedure_field": r.procedure_field,
        "served_on": r.served_on,
        "result_received_on": r.result_received_on,
        "address": r.address,
        "status": r.status,
        "status_label": str(r.get_status_display()),
        "rule": r.rule,
        "reason": r.reason,
        "decided_by": r.decided_by.get_username() if r.decided_by_id else None,
        "merged_into": r.merged_into_id,
    }


@router.get(
    "/{survey_id}/groups",
    response={200: list[ListGroupOut], **error_responses(401, 403, 404, 422)},
    summary="Các nhóm người trả lời của cuộc điều tra",
)
def groups_list(request: HttpRequest, survey_id: int):
    survey = access.require_survey_read(request.auth, survey_id)
    return list(survey.groups.order_by("priority", "code"))


@router.get(
    "/{survey_id}/lists",
    response={200: RespondentListPage, **error_responses(401, 403, 404, 422)},
    summary="Các danh sách người trả lời của cuộc điều tra",
)
def lists_list(
    request: HttpRequest,
    survey_id: int,
    limit: Annotated[int, limit_param()] = DEFAULT_LIMIT,
    offset: Annotated[int, offset_param()] = 0,
):
    """Quản lý Chỉ số thấy mọi danh sách (chỉ số lượng); người điều phối và cán bộ đơn vị thấy danh sách của đơn vị
    mình."""
    survey = access.require_survey_read(request.auth, survey_id)
    result = page(access.lists_visible(request.auth, survey).order_by("unit__name", "pk"), limit=limit, offset=offset)
    result["items"] = [_list_out(request.auth, x) for x in result["items"]]
    return result


@router.get(
    "/{survey_id}/lists/template",
    response={200: bytes, **error_responses(401, 403, 404, 422)},
    summary="Tải tệp mẫu danh sách (XLSX)",
    openapi_extra={"responses": {200: {"content": {XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}}}}},
)
def list_template(request: HttpRequest, survey_id: int):
    survey = access.require_survey_read(request.auth, survey_id)
    response = HttpResponse(lists.template_xlsx(survey), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="mau-danh-sach-{survey.pk}.xlsx"'
    return response


@router.post(
    "/{survey_id}/lists/import",
    response={200: ListImportOut, 201: ListImportOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Nhập danh sách người trả lời của một đơn vị từ tệp XLSX",
)
def list_import(
    request: HttpRequest,
    survey_id: int,
    file: File[UploadedFile],
    unit: Form[int],
    dry_run: Form[bool] = False,
):
    """Tất cả hoặc không. Mỗi dòng được kiểm tra; khi có lỗi, trả 422 và liệt kê lỗi theo dòng trong `errors.file`,
    không ghi gì. Với `dry_run=true` chỉ kiểm tra và áp dụng thử các quy tắc (200). Khi hợp lệ, các dòng thay cho
    danh sách đang lập của đơn vị (201)."""
    survey, target = access.require_list_create(request.auth, survey_id, unit)
    if file.size and file.size > lists.MAX_BYTES:
        raise ValidationError({"file": [f"Tệp quá lớn; giới hạn {lists.MAX_BYTES // 1024 // 1024} MB."]})
    content = file.read(lists.MAX_BYTES + 1)
    result = services.respondent_list_import(
        survey=survey, unit=target, content=content, actor=request.auth, dry_run=dry_run, filename=file.name or ""
    )
    if result.errors:
        raise ValidationError({"file": result.errors})
    body = {
        "valid": True,
        "applied": result.applied,
        "list_id": result.respondent_list.pk if result.respondent_list else None,
        "rows": sum(result.by_status.values()),
        "counts": {str(k): v for k, v in result.by_status.items()},
        "rules": result.by_rule,
        "errors": [],
    }
    return Status(201 if result.applied else 200, body)


@router.get(
    "/lists/{list_id}",
    response={200: RespondentListDetailOut, **error_responses(401, 403, 404, 422)},
    summary="Một danh sách: số người theo trạng thái, số người dân so với chỉ tiêu, lĩnh vực còn thiếu",
)
def list_detail(request: HttpRequest, list_id: int):
    respondent_list = access.require_list_read(request.auth, list_id)
    return _detail_out(request.auth, respondent_list)


@router.get(
    "/lists/{list_id}/respondents",
    response={200: ListRespondentPage, **error_responses(401, 403, 404, 422)},
    summary="Các dòng của danh sách, với lý do của từng quyết định",
)
def list_respondents(
    request: HttpRequest,
    list_id: int,
    status: Query[STATUSES | None] = None,
    limit: Annotated[int, limit_param()] = DEFAULT_LIMIT,
    offset: Annotated[int, offset_param()] = 0,
):
    """Thông tin cá nhân: chỉ người điều phối phụ trách đơn vị và cán bộ của đơn vị lập danh sách."""
    respondent_list = access.require_list_read(request.auth, list_id)
    rows = access.respondents_visible(request.auth, respondent_list)
    if not access.can_see_personal(request.auth, respondent_list) and not rows.exists():
        raise PermissionDenied(access.PERSONAL_DENIED)
    if status:
        rows = rows.filter(status=status)
    result = page(rows.order_by("row", "pk"), limit=limit, offset=offset)
    result["items"] = [_respondent_out(r) for r in result["items"]]
    return result


@router.post(
    "/respondents/{respondent_id}/decision",
    response={200: ListRespondentOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Người điều phối quyết định giữ hoặc loại một người (đảo ngược quy tắc)",
)
def respondent_decision(request: HttpRequest, respondent_id: int, payload: ListDecisionIn):
    respondent = access.require_respondent_decide(request.auth, respondent_id)
    respondent = services.respondent_decide(
        respondent=respondent, status=payload.status, reason=payload.reason, actor=request.auth
    )
    return _respondent_out(
        Respondent.objects.select_related("group", "unit", "rated_unit", "decided_by").get(pk=respondent.pk)
    )


@router.post(
    "/lists/{list_id}/sample",
    response={200: RespondentListDetailOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Chọn mẫu phân tầng theo lĩnh vực (n = N / (1 + N·e²)), tái lập được từ hạt giống",
)
def list_sample(request: HttpRequest, list_id: int, payload: ListSampleIn):
    respondent_list = access.require_list_decide(request.auth, list_id)
    respondent_list = services.respondent_list_sample(
        respondent_list=respondent_list, actor=request.auth, seed=payload.seed
    )
    return _detail_out(request.auth, respondent_list)


@router.post(
    "/lists/{list_id}/send",
    response={200: RespondentListDetailOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Gửi danh sách (sau khi gửi, danh sách không sửa được nữa)",
)
def list_send(request: HttpRequest, list_id: int, payload: ListSendIn):
    respondent_list = access.require_list_decide(request.auth, list_id)
    respondent_list = services.respondent_list_send(
        respondent_list=respondent_list, actor=request.auth, note=payload.note
    )
    return _detail_out(request.auth, respondent_list)
