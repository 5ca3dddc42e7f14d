"""Invitations (the coordinator's pages: send, remind, print links with QR codes, bounces) and answering (the public
page of a personal link, working on a phone without an account).

Every coordinator view calls ``access_answer`` first; the respondent's views check the token through ``answering``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parindex.core.context import client_ip
from parindex.cycles.windows import format_moment

from . import access_answer, answering, invitations

# --- the coordinator's pages -------------------------------------------------------------------------------------


def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(str(m) for ms in exc.message_dict.values() for m in ms)
    return " ".join(str(m) for m in exc.messages)


@login_required
@require_GET
def invitation_list(request, list_id):
    respondent_list = access_answer.require_list_invite(request.user, list_id)
    survey = respondent_list.survey
    problems = (
        invitations.invitations_of(survey, respondent_list)
        .filter(used_at__isnull=True)
        .exclude(send_error="")
        .select_related("respondent", "respondent__group")
        .order_by("respondent__full_name")[:500]
    )
    context = {
        "respondent_list": respondent_list,
        "survey": survey,
        "counts": invitations.list_counts(respondent_list),
        "problems": problems,
        "without_email": invitations.invitable(survey, respondent_list)
        .filter(email="")
        .select_related("group")
        .order_by("full_name")[:500],
        "nav_active": "surveys",
    }
    return render(request, "surveys/answer/invitations.html", context)


@login_required
@require_POST
def invitation_send(request, list_id):
    respondent_list = access_answer.require_list_invite(request.user, list_id)
    try:
        summary = invitations.invitations_send(
            survey=respondent_list.survey, respondent_list=respondent_list, actor=request.user
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _(
                "Đã tạo %(created)s thư mời mới; %(emailed)s thư đang được gửi; %(printing)s người không có thư "
                "điện tử cần in đường dẫn."
            )
            % {"created": summary.created, "emailed": summary.to_email, "printing": summary.without_email},
        )
    return redirect("surveys:invitations", list_id=respondent_list.pk)


@login_required
@require_POST
def reminder_send(request, list_id):
    respondent_list = access_answer.require_list_invite(request.user, list_id)
    try:
        summary = invitations.reminders_send(
            survey=respondent_list.survey, respondent_list=respondent_list, actor=request.user
        )
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Đang gửi %(n)s thư nhắc. Chưa đến lúc nhắc: %(soon)s; đã nhắc đủ số lần: %(max)s.")
            % {
                "n": summary.to_email,
                "soon": summary.details.get("too_soon", 0),
                "max": summary.details.get("max_reached", 0),
            },
        )
    return redirect("surveys:invitations", list_id=respondent_list.pk)


@login_required
@require_POST
def invitation_bounce(request, invitation_id):
    invitation = access_answer.require_invitation_manage(request.user, invitation_id)
    invitations.invitation_bounce(invitation=invitation, actor=request.user, reason=request.POST.get("reason", ""))
    messages.success(request, _("Đã ghi nhận thư bị trả lại; người này sẽ không nhận thêm thư nhắc."))
    return redirect("surveys:invitations", list_id=invitation.respondent.respondent_list_id)


@login_required
@require_http_methods(["GET", "POST"])
def invitation_print(request, list_id):
    """GET: what printing does (new links replace the old ones); POST: the printable list with QR codes."""
    respondent_list = access_answer.require_list_invite(request.user, list_id)
    survey = respondent_list.survey
    everyone = request.POST.get("who", request.GET.get("who")) == "all"
    if request.method == "POST":
        try:
            printed = invitations.invitations_print(
                respondent_list=respondent_list, actor=request.user, everyone=everyone
            )
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
            return redirect("surveys:invitation_print", list_id=respondent_list.pk)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return redirect("surveys:invitation_print", list_id=respondent_list.pk)
        rows = [{"link": link, "qr": invitations.qr_svg(link.url)} for link in printed]
        response = render(
            request,
            "surveys/answer/print.html",
            {
                "respondent_list": respondent_list,
                "survey": survey,
                "rows": rows,
                "expires": format_moment(survey_closes(survey)),
                "nav_active": "surveys",
            },
        )
        response["Cache-Control"] = "no-store"
        return response
    context = {
        "respondent_list": respondent_list,
        "survey": survey,
        "to_print": invitations.print_candidates(respondent_list).count(),
        "unanswered": invitations.print_candidates(respondent_list, everyone=True).count(),
        "counts": invitations.list_counts(respondent_list),
        "nav_active": "surveys",
    }
    return render(request, "surveys/answer/print_confirm.html", context)


def survey_closes(survey):
    try:
        return invitations.survey_closes_at(survey)
    except ValidationError:
        return None


# --- the respondent's pages ----------------------------------------------------------------------------------------


def _who(request) -> tuple[str | None, str]:
    ip = client_ip(request)
    device = answering.device_fingerprint(
        request.META.get("HTTP_USER_AGENT", ""), request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    )
    return ip, device


def _private(response):
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _refusal(request, exc: Exception):
    """The page for a refused link: 404 unknown or expired, 409 already submitted, 403 window closed, 429."""
    if isinstance(exc, answering.TokenRefused):
        status, title = 404, _("Không mở được phiếu khảo sát")
    elif isinstance(exc, answering.AlreadySubmitted):
        status, title = 409, _("Phiếu đã được nộp")
    elif isinstance(exc, answering.Throttled):
        status, title = 429, _("Xin thử lại sau")
    elif isinstance(exc, TooLarge):
        status, title = 413, _("Dữ liệu quá lớn")
    else:
        status, title = 403, _("Không nhận phiếu trả lời")
    context = {"title": title, "message": str(exc), "status": status}
    return _private(render(request, "surveys/answer/refused.html", context, status=status))


class TooLarge(Exception):
    def __str__(self) -> str:
        return _("Dữ liệu gửi lên quá lớn; phiếu chưa được lưu.")


REFUSALS = (answering.TokenRefused, answering.AlreadySubmitted, answering.Throttled, PermissionDenied)


def _posted_answers(request) -> dict[str, str]:
    """Form fields ``q<question id>`` → option id."""
    return {key[1:]: value for key, value in request.POST.items() if key.startswith("q") and key[1:].isdigit()}


def _too_large(request) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > answering.MAX_PAYLOAD_BYTES
    except ValueError:
        return True


def _sheet_context(request, sheet: answering.AnswerSheet, token: str, *, errors=None, chosen=None) -> dict:
    chosen = chosen if chosen is not None else sheet.draft
    cards = []
    for number, question in enumerate(sheet.questions, start=1):
        cards.append(
            {
                "number": number,
                "question": question,
                "options": list(question.options.all()),
                "chosen": chosen.get(question.pk),
                "errors": (errors or {}).get(question.code, []),
            }
        )
    respondent = sheet.invitation.respondent
    return {
        "sheet": sheet,
        "cards": cards,
        "token": token,
        "answered": sum(1 for c in cards if c["chosen"]),
        "total": len(cards),
        "questionnaire": respondent.group.questionnaire,
        "rated_unit": respondent.rated_unit,
        "survey": respondent.survey,
        "closes": format_moment(sheet.closes_at) if sheet.closes_at else "",
        "general_errors": (errors or {}).get("answers", []),
    }


@require_GET
def answer_page(request, token):
    ip, device = _who(request)
    try:
        sheet = answering.answer_open(raw=token, ip=ip, device=device)
    except REFUSALS as exc:
        return _refusal(request, exc)
    return _private(render(request, "surveys/answer/page.html", _sheet_context(request, sheet, token)))


@require_POST
def answer_draft(request, token):
    """Autosave: htmx posts one answer when it is chosen (``q<id>=<option id>``); without htmx the whole form is
    saved and the page shown again."""
    ip, device = _who(request)
    if _too_large(request):
        return _refusal(request, TooLarge())
    try:
        _response, answered, total = answering.draft_save(
            raw=token, answers=_posted_answers(request), ip=ip, device=device
        )
    except REFUSALS as exc:
        return _refusal(request, exc)
    except ValidationError as exc:
        if request.htmx:
            context = {"error": _error_text(exc)}
            return _private(render(request, "surveys/answer/_saved.html", context, status=422))
        messages.error(request, _error_text(exc))
        return redirect(reverse("surveys:answer", args=[token]))
    if request.htmx:
        return _private(render(request, "surveys/answer/_saved.html", {"answered": answered, "total": total}))
    messages.success(request, _("Đã lưu các câu trả lời; ông/bà có thể quay lại trả lời tiếp bằng đường dẫn này."))
    return redirect(reverse("surveys:answer", args=[token]))


@require_POST
def answer_submit(request, token):
    ip, device = _who(request)
    if _too_large(request):
        return _refusal(request, TooLarge())
    answers = _posted_answers(request)
    try:
        answering.answer_submit(raw=token, answers=answers, ip=ip, device=device)
    except REFUSALS as exc:
        return _refusal(request, exc)
    except ValidationError as exc:
        # Keep what was chosen, then show the page again with the questions still to answer.
        try:
            answering.draft_save(raw=token, answers={k: v for k, v in answers.items() if v}, ip=ip, device=device)
        except (*REFUSALS, ValidationError):
            pass
        try:
            sheet = answering.answer_open(raw=token, ip=ip, device=device)
        except REFUSALS as again:
            return _refusal(request, again)
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"answers": exc.messages}
        context = _sheet_context(request, sheet, token, errors=errors)
        return _private(render(request, "surveys/answer/page.html", context, status=422))
    return redirect("surveys:answer_thanks")


@require_GET
def answer_thanks(request):
    return _private(render(request, "surveys/answer/thanks.html"))
