"""Questionnaires on the API, mounted under ``/api/v1/surveys``: list and read the questionnaires of a survey's
groups, export (YAML/XLSX), import (all-or-nothing, with a dry run), add, change and remove questions.

No business logic here: an access helper first, then ``questionnaires``."""

from __future__ import annotations

from typing import Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict, Field

from parindex.api.errors import error_responses

from . import access, access_answer, questionnaires
from .models import Question, RespondentGroup
from .questionnaires import QuestionnaireError

router = Router(tags=["Phiếu khảo sát"])
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YAML_TYPE = "application/yaml"


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class CriterionRef(Schema):
    node: str = Field(..., description="Mã tiêu chí chấm bằng điều tra XHH (nút lá của bộ chỉ số).")
    weight: float = Field(..., description="Trọng số của câu hỏi trong tiêu chí.")


class OptionSchema(Schema):
    code: str = Field(..., min_length=1, max_length=8)
    text: str = Field(..., min_length=1, max_length=500)
    weight: int = Field(0, ge=0, le=100, description="Trọng số (%) 0–100; bỏ qua khi excluded.")
    excluded: bool = Field(False, description="Không biết / không trả lời: không tính điểm.")


class QuestionOut(Schema):
    id: int
    code: str
    order: int
    text: str
    criteria: list[CriterionRef]
    is_sipas: bool
    options: list[OptionSchema]


class QuestionnaireSummaryOut(Schema):
    id: int
    code: str
    name: str
    groups: list[str] = Field(..., description="Mã các nhóm người trả lời dùng phiếu này.")
    questions: int
    locked: bool = Field(..., description="Đã có người trả lời: chỉ sửa được câu chữ.")


class QuestionnaireOut(Schema):
    id: int
    code: str
    name: str
    description: str
    locked: bool
    questions: list[QuestionOut]


class ImportOut(Schema):
    valid: bool
    problems: list[str]
    questionnaire: QuestionnaireSummaryOut | None = None


class CriterionIn(InputSchema):
    node: str = Field(..., min_length=1, max_length=32)
    weight: float = Field(1, gt=0, le=1000)


class OptionIn(InputSchema):
    code: str = Field(..., min_length=1, max_length=8)
    text: str = Field(..., min_length=1, max_length=500)
    weight: int | None = Field(None, ge=0, le=100)
    excluded: bool = False


class QuestionIn(InputSchema):
    code: str = Field(..., min_length=1, max_length=32)
    text: str = Field(..., min_length=1, max_length=2000)
    order: int | None = Field(None, ge=0, le=100000)
    criteria: list[CriterionIn] = Field(default_factory=list, max_length=20)
    is_sipas: bool = False
    options: list[OptionIn] = Field(
        default_factory=list, max_length=questionnaires.MAX_OPTIONS, description="Để trống: thang mặc định A–D, X."
    )


def _refused(exc: QuestionnaireError, field: str = "__all__") -> ValidationError:
    return ValidationError({field: exc.messages})


def _question_out(question: Question) -> dict:
    return {
        "id": question.pk,
        "code": question.code,
        "order": question.order,
        "text": question.text,
        "criteria": [
            {"node": str(c.get("node")), "weight": float(c.get("weight", 1))}
            for c in question.criteria or []
            if isinstance(c, dict)
        ],
        "is_sipas": question.is_sipas,
        "options": [
            {"code": o.code, "text": o.text, "weight": o.weight, "excluded": o.excluded}
            for o in question.options.order_by("order", "id")
        ],
    }


def _summary(survey, questionnaire) -> dict:
    return {
        "id": questionnaire.pk,
        "code": questionnaire.code,
        "name": questionnaire.name,
        "groups": list(
            RespondentGroup.objects.filter(survey=survey, questionnaire=questionnaire).values_list("code", flat=True)
        ),
        "questions": questionnaire.questions.count(),
        "locked": questionnaires.questionnaire_locked(questionnaire),
    }


@router.get(
    "/{survey_id}/questionnaires",
    response={200: list[QuestionnaireSummaryOut], **error_responses(401, 403, 404, 422)},
    summary="Các phiếu khảo sát của cuộc điều tra",
)
def questionnaire_list(request, survey_id: int):
    survey = access.require_survey_read(request.user, survey_id)
    seen = {}
    for group in RespondentGroup.objects.filter(survey=survey).select_related("questionnaire").order_by("priority"):
        seen.setdefault(group.questionnaire_id, group.questionnaire)
    return [_summary(survey, q) for q in seen.values()]


@router.post(
    "/{survey_id}/questionnaires/import",
    response={200: ImportOut, 201: ImportOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Nhập phiếu khảo sát từ tệp YAML hoặc XLSX",
)
def questionnaire_import(
    request,
    survey_id: int,
    file: File[UploadedFile],
    group: Form[str | None] = None,
    dry_run: Form[bool] = False,
):
    """Tạo phiếu mới, hoặc thay phiếu cùng mã (chỉ dùng trong cuộc điều tra này); `group` (mã nhóm) để gắn phiếu cho
    nhóm. Với `dry_run=true` chỉ kiểm tra (200). Tệp có lỗi: 422, liệt kê từng lỗi (nêu câu hỏi, số dòng) trong
    `errors.file`; không ghi gì."""
    survey = access.require_survey_manage(request.user, survey_id)
    target = None
    if group:
        target = RespondentGroup.objects.filter(survey=survey, code=group).first()
        if target is None:
            raise ValidationError({"group": [f"Không có nhóm người trả lời mã “{group[:64]}” trong cuộc điều tra."]})
    if file.size and file.size > questionnaires.MAX_BYTES:
        raise ValidationError({"file": ["Tệp quá lớn; giới hạn 2 MB."]})
    content = file.read(questionnaires.MAX_BYTES + 1)
    fmt = questionnaires.guess_format(file.name or "", content)
    if dry_run:
        try:
            questionnaires.questionnaire_check(content=content, fmt=fmt, survey=survey)
        except QuestionnaireError as exc:
            return Status(200, {"valid": False, "problems": exc.messages})
        return Status(200, {"valid": True, "problems": []})
    try:
        questionnaire = questionnaires.questionnaire_import(
            content=content, fmt=fmt, survey=survey, group=target, actor=request.user
        )
    except QuestionnaireError as exc:
        raise _refused(exc, "file") from None
    return Status(201, {"valid": True, "problems": [], "questionnaire": _summary(survey, questionnaire)})


@router.get(
    "/{survey_id}/questionnaires/{questionnaire_id}",
    response={200: QuestionnaireOut, **error_responses(401, 403, 404, 422)},
    summary="Một phiếu khảo sát với câu hỏi và phương án",
)
def questionnaire_detail(request, survey_id: int, questionnaire_id: int):
    _survey, questionnaire = access_answer.require_questionnaire_read(request.user, survey_id, questionnaire_id)
    return {
        "id": questionnaire.pk,
        "code": questionnaire.code,
        "name": questionnaire.name,
        "description": questionnaire.description,
        "locked": questionnaires.questionnaire_locked(questionnaire),
        "questions": [
            _question_out(q) for q in questionnaire.questions.order_by("order", "id").prefetch_related("options")
        ],
    }


@router.get(
    "/{survey_id}/questionnaires/{questionnaire_id}/export",
    response={200: None, **error_responses(401, 403, 404, 422)},
    summary="Xuất phiếu khảo sát (YAML hoặc XLSX)",
    openapi_extra={
        "responses": {
            200: {
                "description": "Tệp phiếu khảo sát",
                "content": {
                    YAML_TYPE: {"schema": {"type": "object", "description": "Tệp YAML parindex-questionnaire/1"}},
                    XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    },
)
def questionnaire_export(
    request,
    survey_id: int,
    questionnaire_id: int,
    format: Literal["yaml", "xlsx"] = "yaml",  # noqa: A002
):
    _survey, questionnaire = access_answer.require_questionnaire_read(request.user, survey_id, questionnaire_id)
    content = questionnaires.write(questionnaires.questionnaire_spec(questionnaire), format)
    response = HttpResponse(content, content_type=YAML_TYPE if format == "yaml" else XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{questionnaire.code}.{format}"'
    return response


def _raw(payload: QuestionIn) -> dict:
    return {
        "code": payload.code,
        "text": payload.text,
        "order": payload.order,
        "criteria": [{"node": c.node, "weight": c.weight} for c in payload.criteria],
        "sipas": payload.is_sipas,
        "options": [
            {"code": o.code, "text": o.text, "weight": o.weight, "excluded": o.excluded} for o in payload.options
        ],
    }


def _question(questionnaire, question_id: int) -> Question:
    question = Question.objects.filter(pk=question_id, questionnaire=questionnaire).first()
    if question is None:
        raise Http404("Không tìm thấy câu hỏi trong phiếu này.")
    return question


@router.post(
    "/{survey_id}/questionnaires/{questionnaire_id}/questions",
    response={201: QuestionOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Thêm câu hỏi",
)
def question_add(request, survey_id: int, questionnaire_id: int, payload: QuestionIn):
    survey, questionnaire = access_answer.require_questionnaire_manage(request.user, survey_id, questionnaire_id)
    try:
        question = questionnaires.question_save(
            questionnaire=questionnaire, raw=_raw(payload), actor=request.user, survey=survey
        )
    except QuestionnaireError as exc:
        raise _refused(exc) from None
    return Status(201, _question_out(question))


@router.put(
    "/{survey_id}/questionnaires/{questionnaire_id}/questions/{question_id}",
    response={200: QuestionOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Sửa câu hỏi (đã có người trả lời: chỉ câu chữ)",
)
def question_change(request, survey_id: int, questionnaire_id: int, question_id: int, payload: QuestionIn):
    survey, questionnaire = access_answer.require_questionnaire_manage(request.user, survey_id, questionnaire_id)
    question = _question(questionnaire, question_id)
    try:
        saved = questionnaires.question_save(
            questionnaire=questionnaire, question=question, raw=_raw(payload), actor=request.user, survey=survey
        )
    except QuestionnaireError as exc:
        raise _refused(exc) from None
    return _question_out(saved)


@router.delete(
    "/{survey_id}/questionnaires/{questionnaire_id}/questions/{question_id}",
    response={204: None, **error_responses(401, 403, 404, 422)},
    summary="Xóa câu hỏi (khi chưa có người trả lời)",
)
def question_remove(request, survey_id: int, questionnaire_id: int, question_id: int):
    _survey, questionnaire = access_answer.require_questionnaire_manage(request.user, survey_id, questionnaire_id)
    question = _question(questionnaire, question_id)
    try:
        questionnaires.question_delete(question=question, actor=request.user)
    except QuestionnaireError as exc:
        raise _refused(exc) from None
    return Status(204, None)
