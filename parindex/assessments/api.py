"""Self-assessment on the API (mounted at ``/api/v1/assessments``): the list, the grid, saving one criterion (with the
version read: 409 with the other writer's values on a conflict), evidence, the leader's workflow, submissions and
their XLSX.

No business logic here: an access helper first, then a selector or a service."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from pydantic import ConfigDict, Field

from parindex.api.auth import ApiTokenAuth, SessionCsrfAuth
from parindex.api.errors import error_responses
from parindex.api.pagination import DEFAULT_LIMIT, limit_param, offset_param, page
from parindex.core.files import SizeLimitUploadHandler, max_upload_bytes, too_large_message

from . import access, exports, selectors, services
from .models import AssessmentStatus, Evidence, Submission

router = Router(tags=["Tự đánh giá"])

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- schemas ------------------------------------------------------------------------------------------------------


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class Ref(Schema):
    id: int
    code: str
    name: str


class CycleRef(Schema):
    id: int
    name: str
    year: int


class AssessmentOut(Schema):
    id: int
    cycle: CycleRef
    unit: Ref
    framework: Ref
    status: str = Field(..., description=", ".join(AssessmentStatus.values))
    status_label: str
    status_note: str = Field(..., description="Ví dụ: lý do lãnh đạo trả lại.")
    version: int = Field(..., description="Phiên bản của bản tự đánh giá (gửi lại khi sửa phần khó khăn, đề xuất).")
    submitted_at: dt.datetime | None
    criteria_done: int = Field(..., description="Số tiêu chí tự chấm đã có điểm.")
    criteria_total: int = Field(..., description="Số tiêu chí đơn vị tự chấm.")


class AssessmentPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AssessmentOut]


class NodeRef(Schema):
    id: int
    code: str
    name: str
    parent: str | None = Field(..., description="Mã nút cha.")
    depth: int
    max_points: float
    min_points: float
    method: str


class EntryOut(Schema):
    id: int
    node: NodeRef
    self_scored: bool = Field(..., description="false: tiêu chí chấm theo điều tra XHH/thống kê, đơn vị không tự chấm.")
    input: dict[str, Any] | None = Field(
        ..., description="Dữ liệu cần kê khai: type (percent, number, integer, yes_no, choice, date, points), label…"
    )
    rule_text: str = Field(..., description="Cách chấm điểm, diễn giải bằng lời.")
    declared: Any = Field(..., description="Số liệu kê khai (với quy tắc chấm trực tiếp: số điểm).")
    declared_text: str
    self_points: float | None
    self_note: str = Field(..., description="Cách tính điểm từ số liệu kê khai.")
    explanation: str
    evidence: list[int] = Field(..., description="id các tài liệu kiểm chứng đang gắn (chưa bị gỡ).")
    missing_evidence: bool = Field(..., description="Có điểm nhưng chưa có tài liệu kiểm chứng và chưa giải trình.")
    version: int = Field(..., description="Gửi lại khi sửa tiêu chí; khác phiên bản hiện có → 409.")
    updated_at: dt.datetime | None
    updated_by: str | None


class GridOut(AssessmentOut):
    difficulties: str
    proposals: str
    total: float
    max_total: float
    missing: list[str] = Field(
        ..., description="Mã các tiêu chí có điểm nhưng thiếu tài liệu kiểm chứng và giải trình."
    )
    entries: list[EntryOut]


class EntryPatchIn(InputSchema):
    version: int = Field(..., ge=1, description="Phiên bản của tiêu chí đã đọc.")
    declared: Any = Field(
        None,
        description='Số liệu kê khai: 97.5, "97,5", {"numerator": 45, "denominator": 50}, true/false, mã mức, '
        '"YYYY-MM-DD"; với quy tắc chấm trực tiếp: số điểm. null hoặc "" xóa. Bỏ qua trường: giữ nguyên.',
    )
    explanation: str | None = Field(None, max_length=10000, description="Giải trình. Bỏ qua trường: giữ nguyên.")


class NarrativeIn(InputSchema):
    version: int = Field(..., ge=1)
    difficulties: str | None = Field(None, max_length=20000)
    proposals: str | None = Field(None, max_length=20000)


class ReasonIn(InputSchema):
    reason: str = Field(..., min_length=1, max_length=5000)


class OptionalReasonIn(InputSchema):
    reason: str = Field("", max_length=5000)


class EvidenceOut(Schema):
    id: int
    kind: str = Field(..., description="file hoặc link")
    title: str
    number: str
    issued_on: dt.date | None
    original_name: str
    content_type: str
    size: int
    sha256: str
    url: str
    supplementary: bool = Field(..., description="Bổ sung sau khi gửi.")
    uploaded_by: str
    uploaded_at: dt.datetime
    withdrawn_at: dt.datetime | None
    entries: list[int] = Field(..., description="id các tiêu chí đang gắn tài liệu.")


class LinkIn(InputSchema):
    url: str = Field(..., min_length=1, max_length=1000, description="http:// hoặc https://")
    title: str = Field(..., min_length=1, max_length=500)
    number: str = Field("", max_length=100)
    issued_on: dt.date | None = None
    entry_id: int | None = Field(None, description="Gắn ngay vào tiêu chí này.")


class SubmissionOut(Schema):
    number: int
    submitted_at: dt.datetime
    submitted_by: str
    total_points: float
    withdrawn_at: dt.datetime | None
    withdrawn_by: str | None


# --- helpers ------------------------------------------------------------------------------------------------------


def _assessment_out(assessment, *, done: int | None = None, total: int | None = None) -> dict:
    return {
        "id": assessment.pk,
        "cycle": {"id": assessment.cycle_id, "name": assessment.cycle.name, "year": assessment.cycle.year},
        "unit": {"id": assessment.unit_id, "code": assessment.unit.code, "name": assessment.unit.name},
        "framework": {
            "id": assessment.framework_id,
            "code": assessment.framework.code,
            "name": assessment.framework.name,
        },
        "status": assessment.status,
        "status_label": assessment.get_status_display(),
        "status_note": assessment.status_note,
        "version": assessment.version,
        "submitted_at": assessment.submitted_at,
        "criteria_done": done if done is not None else getattr(assessment, "criteria_done", 0),
        "criteria_total": total if total is not None else getattr(assessment, "criteria_total", 0),
    }


def _entry_out(row: selectors.GridRow, parent_code: str | None) -> dict:
    entry, node = row.entry, row.node
    return {
        "id": entry.pk,
        "node": {
            "id": node.pk,
            "code": node.code,
            "name": node.name,
            "parent": parent_code,
            "depth": row.depth,
            "max_points": float(node.max_points),
            "min_points": float(node.min_points),
            "method": node.method,
        },
        "self_scored": row.self_scored,
        "input": row.spec,
        "rule_text": row.rule_text,
        "declared": entry.declared,
        "declared_text": row.declared_shown,
        "self_points": float(entry.self_points) if entry.self_points is not None else None,
        "self_note": entry.self_note,
        "explanation": entry.explanation,
        "evidence": [link.evidence_id for link in row.links],
        "missing_evidence": row.missing_evidence,
        "version": entry.version,
        "updated_at": entry.self_updated_at,
        "updated_by": entry.self_updated_by.display_name if entry.self_updated_by_id else None,
    }


def _grid_out(assessment) -> dict:
    the_grid = selectors.grid(assessment)
    code_of = {row.node.pk: row.node.code for row in the_grid.rows}
    return {
        **_assessment_out(assessment, done=the_grid.done, total=the_grid.required),
        "difficulties": assessment.difficulties,
        "proposals": assessment.proposals,
        "total": float(the_grid.total),
        "max_total": float(the_grid.max_total),
        "missing": [row.node.code for row in the_grid.missing],
        "entries": [_entry_out(row, code_of.get(row.node.parent_id)) for row in the_grid.rows if row.entry],
    }


def _evidence_out(evidence: Evidence) -> dict:
    return {
        "id": evidence.pk,
        "kind": evidence.kind,
        "title": evidence.title,
        "number": evidence.number,
        "issued_on": evidence.issued_on,
        "original_name": evidence.original_name,
        "content_type": evidence.content_type,
        "size": evidence.size,
        "sha256": evidence.sha256,
        "url": evidence.url,
        "supplementary": evidence.supplementary,
        "uploaded_by": evidence.uploaded_by.display_name,
        "uploaded_at": evidence.uploaded_at,
        "withdrawn_at": evidence.withdrawn_at,
        "entries": sorted(link.entry_id for link in evidence.entry_links.all()),
    }


def _one_evidence(assessment, evidence_id: int) -> dict:
    found = [d for d in selectors.documents(assessment) if d.pk == evidence_id]
    if not found:
        raise Http404("Không tìm thấy tài liệu trong bản tự đánh giá này.")
    return _evidence_out(found[0])


def _submission_out(submission: Submission) -> dict:
    return {
        "number": submission.number,
        "submitted_at": submission.submitted_at,
        "submitted_by": submission.submitted_by.display_name,
        "total_points": float(submission.total_points),
        "withdrawn_at": submission.withdrawn_at,
        "withdrawn_by": submission.withdrawn_by.display_name if submission.withdrawn_by_id else None,
    }


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


XLSX_RESPONSE = {
    "responses": {
        200: {
            "description": "Bảng tính Excel",
            "content": {XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


def upload_guard(request: HttpRequest):
    """Runs before authentication on the upload endpoint; authenticates nobody (returns None).

    A declared length over the limit is refused before the body is read; otherwise the size-limit handler is
    installed first and the body parsed within the limit, so that a 2 GB upload is never written anywhere."""
    if not (request.headers.get("Authorization") or getattr(request.user, "is_authenticated", False)):
        return None
    limit = max_upload_bytes()
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit + 1024 * 1024:
        raise HttpError(413, too_large_message())
    if not hasattr(request, "_files"):
        request.upload_handlers.insert(0, SizeLimitUploadHandler(request, limit))
        request.FILES  # noqa: B018 — parse now, within the limit
    if getattr(request, "upload_too_large", False):
        raise HttpError(413, too_large_message())
    return None


# --- endpoints: reading -------------------------------------------------------------------------------------------


@router.get("", response={200: AssessmentPage, **error_responses(401, 403, 422)}, summary="Danh sách bản tự đánh giá")
def assessment_list(
    request: HttpRequest,
    cycle: Annotated[int | None, Query(description="id đợt đánh giá.")] = None,
    unit: Annotated[int | None, Query(description="id đơn vị.")] = None,
    status: Annotated[
        Literal[
            "not_started",
            "in_progress",
            "awaiting_review",
            "returned",
            "submitted",
            "under_appraisal",
            "explanation_requested",
            "confirmed",
        ]
        | None,
        Query(description="Lọc theo trạng thái."),
    ] = None,
    limit: Annotated[int, limit_param()] = DEFAULT_LIMIT,
    offset: Annotated[int, offset_param()] = 0,
):
    """Các bản tự đánh giá người gọi được xem, với tiến độ (số tiêu chí tự chấm đã có điểm)."""
    access.require_login(request.auth)
    qs = access.assessments_visible(request.auth)
    if unit is not None:
        qs = qs.filter(unit_id=unit) if abs(unit) < 2**63 else qs.none()
    cycle_id = cycle if cycle is not None and abs(cycle) < 2**63 else None
    if cycle is not None and cycle_id is None:
        qs = qs.none()
    result = page(selectors.assessment_list(qs, cycle_id=cycle_id, status=status or ""), limit=limit, offset=offset)
    result["items"] = [_assessment_out(a) for a in result["items"]]
    return result


@router.get(
    "/{assessment_id}",
    response={200: GridOut, **error_responses(401, 403, 404, 422)},
    summary="Bảng tự đánh giá (mọi tiêu chí)",
)
def assessment_grid(request: HttpRequest, assessment_id: int):
    assessment = access.require_assessment_view(request.auth, assessment_id)
    return _grid_out(assessment)


# --- endpoints: writing -------------------------------------------------------------------------------------------


@router.patch(
    "/{assessment_id}/entries/{entry_id}",
    response={200: EntryOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Lưu một tiêu chí (số liệu kê khai, giải trình)",
)
def entry_patch(request: HttpRequest, assessment_id: int, entry_id: int, payload: EntryPatchIn):
    """Điểm được tính theo quy tắc của tiêu chí từ số liệu kê khai (quy tắc chấm trực tiếp: số liệu là số điểm,
    trong khoảng và theo bước của quy tắc). Gửi kèm `version` đã đọc: nếu tiêu chí đã được người khác lưu, trả 409
    với giá trị hiện có trong `current` và không ghi gì. Ngoài thời hạn tự đánh giá: 403 nêu lý do và thời điểm."""
    assessment = access.require_assessment_write(request.auth, assessment_id)
    values = {}
    if "declared" in payload.model_fields_set:
        values["declared"] = payload.declared
    if "explanation" in payload.model_fields_set:
        values["explanation"] = payload.explanation or ""
    entry = services.entry_self_save(
        entry_id=entry_id, version=payload.version, actor=request.auth, assessment_id=assessment.pk, **values
    )
    node = entry.node
    spec, rule_text, _problem = selectors.input_of(node)
    row = selectors.GridRow(node=node, depth=0, ancestors=[], entry=entry, self_scored=True, spec=spec)
    row.rule_text = rule_text
    out = _entry_out(row, None)
    # The row's evidence, without loading the documents; ``missing_evidence`` from the same list.
    out["evidence"] = list(
        entry.evidence_links.filter(evidence__withdrawn_at__isnull=True)
        .order_by("evidence_id")
        .values_list("evidence_id", flat=True)
    )
    out["missing_evidence"] = bool(
        entry.self_points is not None and entry.self_points > 0 and not out["evidence"] and not entry.explanation
    )
    return out


@router.patch(
    "/{assessment_id}",
    response={200: AssessmentOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Sửa phần khó khăn, vướng mắc và đề xuất, kiến nghị",
)
def narrative_patch(request: HttpRequest, assessment_id: int, payload: NarrativeIn):
    assessment = access.require_assessment_fill(request.auth, assessment_id)
    assessment = services.assessment_narrative_save(
        assessment=assessment,
        actor=request.auth,
        version=payload.version,
        difficulties=payload.difficulties,
        proposals=payload.proposals,
    )
    return _assessment_out(assessment)


def _workflow_out(assessment) -> dict:
    return _assessment_out(selectors.with_progress(type(assessment).objects.filter(pk=assessment.pk)).get())


@router.post(
    "/{assessment_id}/send-for-review",
    response={200: AssessmentOut, **error_responses(401, 403, 404, 422)},
    summary="Trình lãnh đạo đơn vị duyệt",
)
def send_for_review(request: HttpRequest, assessment_id: int):
    assessment = access.require_assessment_fill(request.auth, assessment_id)
    return _workflow_out(services.assessment_send_for_review(assessment=assessment, actor=request.auth))


@router.post(
    "/{assessment_id}/return",
    response={200: AssessmentOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Lãnh đạo trả lại cho cán bộ (kèm lý do)",
)
def return_to_officers(request: HttpRequest, assessment_id: int, payload: ReasonIn):
    assessment = access.require_assessment_lead(request.auth, assessment_id)
    return _workflow_out(services.assessment_return(assessment=assessment, actor=request.auth, reason=payload.reason))


@router.post(
    "/{assessment_id}/submit",
    response={201: SubmissionOut, **error_responses(401, 403, 404, 422)},
    summary="Lãnh đạo duyệt và gửi (lưu bản đã gửi nguyên trạng)",
)
def submit(request: HttpRequest, assessment_id: int):
    """Từ chối (422, `errors.entries` liệt kê từng tiêu chí) khi còn tiêu chí chưa chấm hoặc có điểm mà không có tài
    liệu kiểm chứng và không giải trình."""
    assessment = access.require_assessment_lead(request.auth, assessment_id)
    submission = services.assessment_submit(assessment=assessment, actor=request.auth)
    return Status(201, _submission_out(submission))


@router.post(
    "/{assessment_id}/withdraw",
    response={200: AssessmentOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Rút lại bản đã gửi để sửa",
)
def withdraw(request: HttpRequest, assessment_id: int, payload: OptionalReasonIn):
    """Gửi `{}` hoặc `{"reason": "..."}`. Chỉ được khi thời hạn tự đánh giá còn mở và chưa bắt đầu thẩm định; bản đã
    gửi vẫn được lưu, đánh dấu đã rút."""
    assessment = access.require_assessment_lead(request.auth, assessment_id)
    return _workflow_out(services.assessment_withdraw(assessment=assessment, actor=request.auth, reason=payload.reason))


# --- endpoints: evidence ------------------------------------------------------------------------------------------


@router.get(
    "/{assessment_id}/evidence",
    response={200: list[EvidenceOut], **error_responses(401, 403, 404, 422)},
    summary="Tài liệu kiểm chứng của bản tự đánh giá",
)
def evidence_list(request: HttpRequest, assessment_id: int):
    assessment = access.require_assessment_view(request.auth, assessment_id)
    return [_evidence_out(d) for d in selectors.documents(assessment)]


@router.post(
    "/{assessment_id}/evidence",
    response={201: EvidenceOut, **error_responses(400, 401, 403, 404, 413, 422)},
    summary="Tải lên tài liệu kiểm chứng (multipart)",
    auth=[upload_guard, ApiTokenAuth(), SessionCsrfAuth()],
)
def evidence_upload(
    request: HttpRequest,
    assessment_id: int,
    file: File[UploadedFile],
    title: Form[str] = "",
    number: Form[str] = "",
    issued_on: Form[dt.date | None] = None,
    entry_id: Form[int | None] = None,
):
    """pdf, doc, docx, xls, xlsx, odt, jpg, png, nhận biết theo nội dung (không theo tên tệp); vượt giới hạn dung lượng:
    413, không lưu gì. Sau khi đã gửi bản tự đánh giá, tài liệu bổ sung (trong thời hạn bổ sung) được đánh dấu
    `supplementary`."""
    assessment = access.require_assessment_fill(request.auth, assessment_id)
    evidence = services.evidence_upload(
        assessment=assessment,
        upload=file,
        actor=request.auth,
        title=title,
        number=number,
        issued_on=issued_on,
        entry_id=entry_id,
    )
    return Status(201, _one_evidence(assessment, evidence.pk))


@router.post(
    "/{assessment_id}/evidence/link",
    response={201: EvidenceOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Thêm liên kết đến văn bản đã công bố",
)
def evidence_link(request: HttpRequest, assessment_id: int, payload: LinkIn):
    assessment = access.require_assessment_fill(request.auth, assessment_id)
    evidence = services.evidence_link_add(
        assessment=assessment,
        url=payload.url,
        actor=request.auth,
        title=payload.title,
        number=payload.number,
        issued_on=payload.issued_on,
        entry_id=payload.entry_id,
    )
    return Status(201, _one_evidence(assessment, evidence.pk))


@router.post(
    "/{assessment_id}/entries/{entry_id}/evidence/{evidence_id}",
    response={200: EvidenceOut, **error_responses(401, 403, 404, 422)},
    summary="Gắn tài liệu đã có vào tiêu chí",
)
def evidence_attach(request: HttpRequest, assessment_id: int, entry_id: int, evidence_id: int):
    assessment = access.require_assessment_fill(request.auth, assessment_id)
    services.evidence_attach(assessment=assessment, entry_id=entry_id, evidence_id=evidence_id, actor=request.auth)
    return _one_evidence(assessment, evidence_id)


@router.delete(
    "/{assessment_id}/entries/{entry_id}/evidence/{evidence_id}",
    response={200: EvidenceOut, **error_responses(401, 403, 404, 422)},
    summary="Bỏ tài liệu khỏi tiêu chí",
)
def evidence_detach(request: HttpRequest, assessment_id: int, entry_id: int, evidence_id: int):
    assessment = access.require_assessment_fill(request.auth, assessment_id)
    services.evidence_detach(assessment=assessment, entry_id=entry_id, evidence_id=evidence_id, actor=request.auth)
    return _one_evidence(assessment, evidence_id)


@router.post(
    "/{assessment_id}/evidence/{evidence_id}/withdraw",
    response={200: EvidenceOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Gỡ tài liệu (không xóa)",
)
def evidence_withdraw(
    request: HttpRequest, assessment_id: int, evidence_id: int, payload: OptionalReasonIn | None = None
):
    assessment = access.require_assessment_fill(request.auth, assessment_id)
    services.evidence_withdraw(
        assessment=assessment, evidence_id=evidence_id, actor=request.auth, reason=payload.reason if payload else ""
    )
    return _one_evidence(assessment, evidence_id)


@router.get(
    "/{assessment_id}/evidence/{evidence_id}/download",
    response={200: None, **error_responses(401, 403, 404, 422)},
    summary="Tải tệp tài liệu kiểm chứng",
    openapi_extra={
        "responses": {
            200: {
                "description": "Tệp (tải về dạng đính kèm)",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def evidence_download(request: HttpRequest, assessment_id: int, evidence_id: int):
    evidence = access.require_evidence_download(request.auth, evidence_id)
    if evidence.assessment_id != assessment_id:
        raise Http404("Không tìm thấy tài liệu trong bản tự đánh giá này.")
    if evidence.kind != "file" or not evidence.file:
        raise ValidationError({"evidence": f"Tài liệu “{evidence.title}” là liên kết, không có tệp: {evidence.url}"})
    try:
        handle = evidence.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("Không tìm thấy tệp của tài liệu trên máy chủ.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.original_name or "tai-lieu",
        content_type=evidence.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- endpoints: submissions and exports ---------------------------------------------------------------------------


@router.get(
    "/{assessment_id}/submissions",
    response={200: list[SubmissionOut], **error_responses(401, 403, 404, 422)},
    summary="Các bản đã gửi",
)
def submission_list(request: HttpRequest, assessment_id: int):
    assessment = access.require_assessment_view(request.auth, assessment_id)
    return [_submission_out(s) for s in selectors.submissions(assessment)]


@router.get(
    "/{assessment_id}/submissions/{number}/xlsx",
    response={200: None, **error_responses(401, 403, 404, 422)},
    summary="Bản đã gửi dạng Excel (từ bản lưu nguyên trạng)",
    openapi_extra=XLSX_RESPONSE,
)
def submission_xlsx(request: HttpRequest, assessment_id: int, number: int):
    assessment = access.require_assessment_view(request.auth, assessment_id)
    submission = assessment.submissions.filter(number=number).first() if abs(number) < 2**31 else None
    if submission is None:
        raise Http404("Không tìm thấy bản đã gửi.")
    return _xlsx(exports.submission_xlsx(submission), exports.submission_filename(submission))


@router.get(
    "/{assessment_id}/xlsx",
    response={200: None, **error_responses(401, 403, 404, 422)},
    summary="Bảng tự đánh giá hiện tại dạng Excel",
    openapi_extra=XLSX_RESPONSE,
)
def grid_xlsx(request: HttpRequest, assessment_id: int):
    assessment = access.require_assessment_view(request.auth, assessment_id)
    return _xlsx(exports.grid_xlsx(assessment, actor=request.auth), exports.grid_filename(assessment))
