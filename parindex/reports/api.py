"""Reports on the API (``/api/v1/reports``): the kinds offered, report jobs (ask, follow, download the file) and the
Word templates of an assessing body. A job runs in the background; poll ``GET /jobs/{id}`` until ``state`` is
``done`` (then ``download_url``) or ``failed`` (then ``error``)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from ninja import File, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from pydantic import Field

from parindex.api.errors import error_responses
from parindex.api.pagination import DEFAULT_LIMIT, limit_param, offset_param, page
from parindex.orgs.models import OrgUnit, UnitGroup

from . import access, selectors, services
from .forms import TEMPLATE_MAX_BYTES
from .models import DocumentTemplate, ReportJob
from .registry import CONTENT_TYPES, DOCX, SPECS, ReportError

router = Router(tags=["Báo cáo"])

FILE_RESPONSE = {
    "responses": {
        200: {
            "description": "Tệp (tải về dạng đính kèm)",
            "content": {
                CONTENT_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
                CONTENT_TYPES["docx"]: {"schema": {"type": "string", "format": "binary"}},
                CONTENT_TYPES["pdf"]: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }
}
DOCX_RESPONSE = {
    "responses": {
        200: {
            "description": "Mẫu văn bản Word (.docx), tải về dạng đính kèm",
            "content": {CONTENT_TYPES["docx"]: {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


class ReportKindOut(Schema):
    kind: str
    label: str
    description: str
    formats: list[str] = Field(..., description="xlsx, docx, pdf")
    needs_unit: bool = Field(..., description="true: phải chọn đơn vị (`unit`)")


class ReportJobIn(Schema):
    kind: str = Field(..., description="loại báo cáo, xem `GET /reports/kinds`")
    format: str = Field(..., description="xlsx, docx hoặc pdf (trong các định dạng của loại báo cáo)")
    cycle: int = Field(..., description="id đợt đánh giá")
    unit: int | None = Field(None, description="id đơn vị (với báo cáo của một đơn vị)")
    group: int | None = Field(None, description="id nhóm đơn vị (tùy chọn, để giới hạn báo cáo của đợt)")


class ReportJobOut(Schema):
    id: int
    kind: str
    kind_label: str
    format: str
    cycle: int
    cycle_name: str
    unit: int | None
    unit_name: str | None
    group: int | None
    state: str = Field(..., description="queued, running, done, failed")
    state_label: str
    percent: int
    progress_done: int
    progress_total: int
    label: str = Field(..., description="bước đang làm")
    error: str = Field(..., description="thông báo lỗi khi state = failed")
    filename: str
    size: int
    content_type: str | None
    download_url: str | None = Field(..., description="khi state = done")
    requested_by: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class ReportJobPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ReportJobOut]


class ReportTemplateOut(Schema):
    kind: str
    label: str
    custom: bool = Field(..., description="true: mẫu riêng của cơ quan; false: mẫu gốc")
    original_name: str | None
    sha256: str | None
    uploaded_by: str | None
    uploaded_at: dt.datetime | None
    earlier: int = Field(..., description="số mẫu trước đây được lưu lại")
    fields: list[str] = Field(..., description="các trường dùng được trong mẫu")


class ReportTemplateListOut(Schema):
    owner: int
    owner_name: str
    templates: list[ReportTemplateOut]


def _job_out(job: ReportJob) -> dict:
    done = job.state == "done" and bool(job.file)
    return {
        "id": job.pk,
        "kind": job.kind,
        "kind_label": job.get_kind_display(),
        "format": job.format,
        "cycle": job.cycle_id,
        "cycle_name": job.cycle.name,
        "unit": job.unit_id,
        "unit_name": job.unit.name if job.unit_id else None,
        "group": job.group_id,
        "state": job.state,
        "state_label": job.get_state_display(),
        "percent": job.percent,
        "progress_done": job.progress_done,
        "progress_total": job.progress_total,
        "label": job.progress_label,
        "error": job.error,
        "filename": job.filename,
        "size": job.size,
        "content_type": CONTENT_TYPES.get(job.format) if done else None,
        "download_url": reverse("api:report_job_file", args=[job.pk]) if done else None,
        "requested_by": job.requested_by.display_name if job.requested_by_id else None,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


def _template_out(row: dict) -> dict:
    custom = row["custom"]
    return {
        "kind": row["kind"],
        "label": row["label"],
        "custom": custom is not None,
        "original_name": custom.original_name if custom else None,
        "sha256": custom.sha256 if custom else None,
        "uploaded_by": custom.uploaded_by.display_name if custom and custom.uploaded_by_id else None,
        "uploaded_at": custom.created_at if custom else None,
        "earlier": row["earlier"],
        "fields": row["fields"],
    }


def _attachment(handle, *, filename: str, content_type: str) -> FileResponse:
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- kinds and jobs -------------------------------------------------------------------------------------------------


@router.get(
    "/kinds",
    response={200: list[ReportKindOut], **error_responses(401, 403, 404, 422)},
    summary="Các loại báo cáo, định dạng và việc có cần chọn đơn vị",
)
def report_kinds(request: HttpRequest, cycle: int | None = None):
    """Với `cycle`: chỉ các loại bạn được yêu cầu trong đợt đó."""
    if cycle is None:
        access.require_login(request.auth)
        return selectors.kind_rows()
    found = access.require_report_cycle(request.auth, cycle)
    return selectors.kind_rows(access.kinds_for(request.auth, found))


def _field_error(field: str, message: str):
    return ValidationError({field: [message]})


@router.post(
    "/jobs",
    response={201: ReportJobOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Yêu cầu một báo cáo (chạy nền)",
)
def report_job_create(request: HttpRequest, payload: ReportJobIn):
    """Trả 201 ngay với công việc ở trạng thái `queued` (hoặc đã xong nếu máy chủ chạy ngay). Loại, định dạng, đơn
    vị hay nhóm không hợp lệ: 422 kèm lỗi theo trường; không có quyền: 403; đợt không tồn tại: 404."""
    access.require_reports(request.auth)
    cycle = access.require_report_cycle(request.auth, payload.cycle)
    spec = SPECS.get(payload.kind)
    if spec is None:
        raise _field_error("kind", f"Không có loại báo cáo “{payload.kind}”; dùng một trong: {', '.join(SPECS)}.")
    if payload.format not in spec.formats:
        raise _field_error(
            "format",
            f"“{spec.label}” không có định dạng “{payload.format}”; dùng một trong: {', '.join(spec.formats)}.",
        )
    unit = group = None
    if spec.needs_unit:
        if payload.unit is None:
            raise _field_error("unit", f"“{spec.label}” là báo cáo của một đơn vị: cần `unit`.")
        unit = OrgUnit.objects.filter(pk=payload.unit).first() if 0 < payload.unit < 2**63 else None
        if unit is None or not cycle.participants.filter(unit=unit, withdrawn_at__isnull=True).exists():
            raise _field_error("unit", f"Đơn vị id {payload.unit} không tham gia đợt “{cycle.name}”.")
    elif payload.group is not None:
        group = UnitGroup.objects.filter(pk=payload.group).first() if 0 < payload.group < 2**63 else None
        if group is None or not cycle.plans.filter(group=group).exists():
            raise _field_error("group", f"Nhóm đơn vị id {payload.group} không thuộc đợt “{cycle.name}”.")
    access.require_report_request(request.auth, cycle=cycle, kind=payload.kind, unit=unit, group=group)
    try:
        job = services.report_request(
            kind=payload.kind, fmt=payload.format, cycle=cycle, unit=unit, group=group, actor=request.auth
        )
    except ReportError as exc:
        raise ValidationError(str(exc)) from None
    job = access.require_job(request.auth, job.pk)  # fresh, with its relations (the job may already be done)
    return Status(201, _job_out(job))


@router.get(
    "/jobs",
    response={200: ReportJobPage, **error_responses(401, 422)},
    summary="Báo cáo tôi đã yêu cầu (mới nhất trước)",
)
def report_job_list(
    request: HttpRequest,
    limit: Annotated[int, limit_param()] = DEFAULT_LIMIT,
    offset: Annotated[int, offset_param()] = 0,
):
    access.require_login(request.auth)
    result = page(selectors.jobs_of(request.auth), limit=limit, offset=offset)
    result["items"] = [_job_out(job) for job in result["items"]]
    return result


@router.get(
    "/jobs/{job_id}",
    response={200: ReportJobOut, **error_responses(401, 404, 422)},
    summary="Trạng thái và tiến độ một báo cáo",
)
def report_job_get(request: HttpRequest, job_id: int):
    return _job_out(access.require_job(request.auth, job_id))


@router.get(
    "/jobs/{job_id}/file",
    response={200: None, **error_responses(401, 404, 409, 422)},
    summary="Tải tệp báo cáo",
    url_name="report_job_file",
    openapi_extra=FILE_RESPONSE,
)
def report_job_file(request: HttpRequest, job_id: int):
    """409 khi báo cáo chưa tạo xong hoặc bị lỗi (xem `GET /jobs/{id}`)."""
    job = access.require_job(request.auth, job_id)
    if job.state != "done" or not job.file:
        if job.state == "failed":
            raise HttpError(409, f"Báo cáo bị lỗi, không có tệp: {job.error}")
        raise HttpError(409, f"Báo cáo chưa tạo xong ({job.percent}%); hãy thử lại sau.")
    try:
        handle = job.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404("Không tìm thấy tệp báo cáo trên máy chủ.") from None
    return _attachment(handle, filename=job.filename, content_type=CONTENT_TYPES[job.format])


# --- Word templates ---------------------------------------------------------------------------------------------------


@router.get(
    "/templates",
    response={200: ReportTemplateListOut, **error_responses(401, 403, 404, 422)},
    summary="Mẫu văn bản Word của cơ quan đánh giá",
)
def report_template_list(request: HttpRequest, owner: int | None = None):
    """Không có `owner`: cơ quan đánh giá đầu tiên bạn quản lý."""
    found = access.require_template_owner(request.auth, owner)
    return {
        "owner": found.pk,
        "owner_name": found.name,
        "templates": [_template_out(row) for row in selectors.template_rows(found)],
    }


@router.get(
    "/templates/shipped/{kind}",
    response={200: None, **error_responses(401, 403, 404, 422)},
    summary="Tải mẫu gốc",
    openapi_extra=DOCX_RESPONSE,
)
def report_template_shipped(request: HttpRequest, kind: str):
    kind = access.require_template_kind(request.auth, kind)
    from .doc_templates import shipped_template

    return _attachment(
        io.BytesIO(shipped_template(kind)), filename=selectors.shipped_filename(kind), content_type=CONTENT_TYPES[DOCX]
    )


@router.get(
    "/templates/{owner_id}/{kind}",
    response={200: None, **error_responses(401, 403, 404, 422)},
    summary="Tải mẫu đang dùng (mẫu riêng, hoặc mẫu gốc)",
    openapi_extra=DOCX_RESPONSE,
)
def report_template_current(request: HttpRequest, owner_id: int, kind: str):
    owner, kind = access.require_template_manage(request.auth, owner_id, kind)
    from .doc_templates import template_bytes

    current = DocumentTemplate.objects.filter(owner=owner, kind=kind, active=True).first()
    try:
        content = template_bytes(owner=owner, kind=kind)
    except ReportError as exc:
        raise Http404(str(exc)) from None
    return _attachment(
        io.BytesIO(content),
        filename=selectors.current_filename(current, kind),
        content_type=CONTENT_TYPES[DOCX],
    )


def _one_template(owner, kind: str) -> dict:
    return _template_out(next(row for row in selectors.template_rows(owner) if row["kind"] == kind))


@router.post(
    "/templates/{owner_id}/{kind}",
    response={201: ReportTemplateOut, **error_responses(400, 401, 403, 404, 413, 422)},
    summary="Tải lên mẫu thay thế (multipart, trường `file`)",
)
def report_template_upload(request: HttpRequest, owner_id: int, kind: str, file: File[UploadedFile]):
    """Tệp .docx; mẫu có trường sai tên, thiếu trường bắt buộc hay không phải .docx: 422 với thông báo, không lưu gì.
    Mẫu cũ được giữ lại (không xóa)."""
    owner, kind = access.require_template_manage(request.auth, owner_id, kind)
    if file.size and file.size > TEMPLATE_MAX_BYTES:
        raise HttpError(413, "Tệp quá lớn; mẫu văn bản tối đa 10 MB.")
    from .doc_templates import document_template_upload

    document_template_upload(owner=owner, kind=kind, upload=file, actor=request.auth)
    return Status(201, _one_template(owner, kind))


@router.post(
    "/templates/{owner_id}/{kind}/reset",
    response={200: ReportTemplateOut, **error_responses(401, 403, 404, 422)},
    summary="Dùng lại mẫu gốc",
)
def report_template_reset(request: HttpRequest, owner_id: int, kind: str):
    owner, kind = access.require_template_manage(request.auth, owner_id, kind)
    from .doc_templates import document_template_reset

    document_template_reset(owner=owner, kind=kind, actor=request.auth)
    return _one_template(owner, kind)
