"""Answering (public: the token of the personal link is the credential) and invitations (coordinators and managers)
on the API, mounted under ``/api/v1/surveys``.

* ``GET /answer/{token}`` — the questionnaire of the respondent's group, the rated unit and the saved progress;
* ``PUT /answer/{token}/draft`` — save answers chosen so far (``null`` clears one);
* ``POST /answer/{token}/submit`` — submit once: a second submission answers 409;
* sending invitations and reminders for a list or a whole survey, recording a bounce, a list's figures.

No business logic here: an access helper (or the token check) first, then a service of ``invitations`` or
``answering``.
"""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from ninja import Router, Schema
from ninja.errors import HttpError
from pydantic import ConfigDict, Field

from parindex.api.auth import PUBLIC_AUTH
from parindex.api.errors import error_responses
from parindex.core.context import client_ip

from . import access_answer, answering, invitations

router = Router()
ANSWER_TAG = ["Trả lời phiếu khảo sát (công khai)"]
INVITATION_TAG = ["Thư mời khảo sát"]
TOO_LARGE = "Dữ liệu gửi lên quá lớn (tối đa 32 KB)."


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class OptionOut(Schema):
    id: int
    code: str
    text: str


class QuestionOut(Schema):
    id: int
    code: str
    number: int = Field(..., description="Số thứ tự hiển thị (1, 2, …).")
    text: str
    options: list[OptionOut]


class AnswerSheetOut(Schema):
    survey: str
    questionnaire: str
    description: str
    group: str
    rated_unit: str = Field(..., description="Tên đơn vị được đánh giá.")
    closes_at: dt.datetime | None = Field(..., description="Hạn trả lời.")
    questions: list[QuestionOut]
    draft: dict[str, int] = Field(..., description="Câu trả lời đã lưu: mã (id) câu hỏi → id phương án.")
    answered: int
    total: int


class DraftIn(InputSchema):
    answers: dict[str, int | None] = Field(
        ...,
        max_length=answering.MAX_ANSWERS,
        description="id câu hỏi → id phương án đã chọn; null để bỏ chọn. Chỉ gửi những câu vừa đổi cũng được.",
    )


class DraftOut(Schema):
    answered: int
    total: int


class SubmitIn(InputSchema):
    answers: dict[str, int] = Field(
        ...,
        max_length=answering.MAX_ANSWERS,
        description="id câu hỏi → id phương án, cho mọi câu hỏi của phiếu (chọn phương án “không biết / không trả "
        "lời” nếu không có ý kiến).",
    )


class SubmittedOut(Schema):
    submitted_at: dt.datetime
    answers: int


def _who(request) -> tuple[str | None, str]:
    return client_ip(request), answering.device_fingerprint(
        request.META.get("HTTP_USER_AGENT", ""), request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    )


def _call(fn, **kwargs):
    """Run an answering service, mapping its refusals onto the API's errors (404, 429; 403/409/422 map already)."""
    try:
        return fn(**kwargs)
    except answering.TokenRefused as exc:
        raise Http404(exc.message) from None
    except answering.Throttled as exc:
        raise HttpError(429, exc.message) from None


def _check_size(request) -> None:
    if len(request.body) > answering.MAX_PAYLOAD_BYTES:
        raise HttpError(413, TOO_LARGE)


@router.get(
    "/answer/{token}",
    auth=PUBLIC_AUTH,
    tags=ANSWER_TAG,
    response={200: AnswerSheetOut, **error_responses(401, 403, 404, 409, 422, 429)},
    summary="Phiếu khảo sát của một đường dẫn cá nhân",
)
def answer_get(request, token: str):
    ip, device = _who(request)
    sheet = _call(answering.answer_open, raw=token, ip=ip, device=device)
    respondent = sheet.invitation.respondent
    return {
        "survey": respondent.survey.name,
        "questionnaire": sheet.questionnaire.name,
        "description": sheet.questionnaire.description,
        "group": respondent.group.name,
        "rated_unit": respondent.rated_unit.name,
        "closes_at": sheet.closes_at,
        "questions": [
            {
                "id": q.pk,
                "code": q.code,
                "number": n,
                "text": q.text,
                "options": [{"id": o.pk, "code": o.code, "text": o.text} for o in q.options.all()],
            }
            for n, q in enumerate(sheet.questions, start=1)
        ],
        "draft": {str(k): v for k, v in sheet.draft.items()},
        "answered": sheet.answered,
        "total": sheet.total,
    }


@router.put(
    "/answer/{token}/draft",
    auth=PUBLIC_AUTH,
    tags=ANSWER_TAG,
    response={200: DraftOut, **error_responses(400, 401, 403, 404, 409, 413, 422, 429)},
    summary="Lưu các câu đã chọn (trả lời tiếp sau)",
)
def answer_draft(request, token: str, payload: DraftIn):
    _check_size(request)
    ip, device = _who(request)
    _response, answered, total = _call(answering.draft_save, raw=token, answers=payload.answers, ip=ip, device=device)
    return {"answered": answered, "total": total}


@router.post(
    "/answer/{token}/submit",
    auth=PUBLIC_AUTH,
    tags=ANSWER_TAG,
    response={200: SubmittedOut, **error_responses(400, 401, 403, 404, 409, 413, 422, 429)},
    summary="Nộp phiếu (một lần)",
)
def answer_submit(request, token: str, payload: SubmitIn):
    _check_size(request)
    ip, device = _who(request)
    submitted = _call(answering.answer_submit, raw=token, answers=payload.answers, ip=ip, device=device)
    return {"submitted_at": submitted.submitted_at, "answers": submitted.answers}


# --- invitations -----------------------------------------------------------------------------------------------------


class SummaryOut(Schema):
    created: int = Field(..., description="Thư mời mới được tạo.")
    to_email: int = Field(..., description="Thư (mời hoặc nhắc) được đưa vào hàng đợi gửi.")
    batches: int = Field(..., description="Số lô gửi (tác vụ chạy nền).")
    without_email: int = Field(..., description="Người không có thư điện tử: cần in đường dẫn.")
    answered: int
    bounced: int
    expires_at: dt.datetime | None


class ListCountsOut(Schema):
    included: int
    invited: int
    emailed: int
    failed: int
    bounced: int
    opened: int
    answered: int
    reminded: int
    without_email: int
    due_reminders: int


class BounceIn(InputSchema):
    reason: str = Field("", max_length=400, description="Lý do do hệ thống thư báo (ví dụ: hộp thư không tồn tại).")


class InvitationOut(Schema):
    id: int
    respondent_id: int
    sent_at: dt.datetime | None
    send_error: str
    bounced_at: dt.datetime | None
    opened_at: dt.datetime | None
    used_at: dt.datetime | None
    reminders_sent: int


@router.get(
    "/lists/{list_id}/invitations",
    tags=INVITATION_TAG,
    response={200: ListCountsOut, **error_responses(401, 403, 404, 422)},
    summary="Số liệu thư mời của một danh sách",
)
def list_invitations(request, list_id: int):
    respondent_list = access_answer.require_list_invite(request.user, list_id)
    return invitations.list_counts(respondent_list)


@router.post(
    "/lists/{list_id}/invitations/send",
    tags=INVITATION_TAG,
    response={200: SummaryOut, **error_responses(401, 403, 404, 422)},
    summary="Tạo và gửi thư mời cho một danh sách đã gửi",
)
def list_invitations_send(request, list_id: int):
    respondent_list = access_answer.require_list_invite(request.user, list_id)
    summary = invitations.invitations_send(
        survey=respondent_list.survey, respondent_list=respondent_list, actor=request.user
    )
    return summary.as_dict()


@router.post(
    "/lists/{list_id}/reminders/send",
    tags=INVITATION_TAG,
    response={200: SummaryOut, **error_responses(401, 403, 404, 422)},
    summary="Gửi thư nhắc người chưa trả lời của một danh sách",
)
def list_reminders_send(request, list_id: int):
    respondent_list = access_answer.require_list_invite(request.user, list_id)
    summary = invitations.reminders_send(
        survey=respondent_list.survey, respondent_list=respondent_list, actor=request.user
    )
    return summary.as_dict()


@router.post(
    "/{survey_id}/invitations/send",
    tags=INVITATION_TAG,
    response={200: SummaryOut, **error_responses(401, 403, 404, 422)},
    summary="Tạo và gửi thư mời cho mọi danh sách đã gửi của cuộc điều tra",
)
def survey_invitations_send(request, survey_id: int):
    survey = access_answer.require_survey_invite(request.user, survey_id)
    return invitations.invitations_send(survey=survey, actor=request.user).as_dict()


@router.post(
    "/{survey_id}/reminders/send",
    tags=INVITATION_TAG,
    response={200: SummaryOut, **error_responses(401, 403, 404, 422)},
    summary="Gửi thư nhắc người chưa trả lời của cả cuộc điều tra",
)
def survey_reminders_send(request, survey_id: int):
    survey = access_answer.require_survey_invite(request.user, survey_id)
    return invitations.reminders_send(survey=survey, actor=request.user).as_dict()


@router.post(
    "/invitations/{invitation_id}/bounce",
    tags=INVITATION_TAG,
    response={200: InvitationOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Ghi nhận thư mời bị trả lại",
)
def invitation_bounce(request, invitation_id: int, payload: BounceIn):
    invitation = access_answer.require_invitation_manage(request.user, invitation_id)
    invitation = invitations.invitation_bounce(invitation=invitation, actor=request.user, reason=payload.reason)
    return {
        "id": invitation.pk,
        "respondent_id": invitation.respondent_id,
        "sent_at": invitation.sent_at,
        "send_error": invitation.send_error,
        "bounced_at": invitation.bounced_at,
        "opened_at": invitation.opened_at,
        "used_at": invitation.used_at,
        "reminders_sent": invitation.reminders_sent,
    }
