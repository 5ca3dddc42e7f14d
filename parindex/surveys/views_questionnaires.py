"""Questionnaire pages: the questionnaires of a survey's groups, a questionnaire with its questions and options, the
question editor, import (YAML/XLSX, all-or-nothing) and export. Every view calls ``access_answer`` first."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import access, access_answer, questionnaires
from .forms_questionnaires import ImportForm, QuestionForm, QuestionnaireForm, initial_for, option_rows, padded
from .models import Question, RespondentGroup
from .questionnaires import QuestionnaireError

NAV = "surveys"
CONTENT_TYPES = {
    "yaml": "application/yaml; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _groups(survey):
    return RespondentGroup.objects.filter(survey=survey).select_related("questionnaire").order_by("priority", "code")


def _list_context(request, survey, *, form=None, problems=None) -> dict:
    groups = list(_groups(survey))
    seen = {}
    for group in groups:
        q = group.questionnaire
        if q.pk not in seen:
            seen[q.pk] = {
                "questionnaire": q,
                "groups": [],
                "questions": q.questions.count(),
                "locked": questionnaires.questionnaire_locked(q),
            }
        seen[q.pk]["groups"].append(group)
    return {
        "survey": survey,
        "items": list(seen.values()),
        "can_manage": access.can_manage_survey(request.user, survey),
        "form": form or ImportForm(groups=groups),
        "problems": problems or [],
        "criteria": questionnaires.survey_criteria(survey.framework),
        "nav_active": NAV,
    }


@login_required
@require_GET
def questionnaire_list(request, survey_id):
    survey = access.require_survey_read(request.user, survey_id)
    return render(request, "surveys/questionnaires/list.html", _list_context(request, survey))


@login_required
@require_POST
def questionnaire_import(request, survey_id):
    survey = access.require_survey_manage(request.user, survey_id)
    groups = list(_groups(survey))
    form = ImportForm(request.POST, request.FILES, groups=groups)
    problems: list[str] = []
    if form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > questionnaires.MAX_BYTES:
            problems = [_("Tệp quá lớn; giới hạn 2 MB.")]
        else:
            content = upload.read()
            group = next((g for g in groups if str(g.pk) == form.cleaned_data["group"]), None)
            try:
                questionnaire = questionnaires.questionnaire_import(
                    content=content,
                    fmt=questionnaires.guess_format(upload.name, content),
                    survey=survey,
                    group=group,
                    actor=request.user,
                )
            except QuestionnaireError as exc:
                problems = exc.messages
            else:
                messages.success(
                    request,
                    _("Đã nhập phiếu “%(name)s” (%(n)s câu hỏi).")
                    % {"name": questionnaire.name, "n": questionnaire.questions.count()},
                )
                return redirect("surveys:questionnaire", survey_id=survey.pk, questionnaire_id=questionnaire.pk)
    context = _list_context(request, survey, form=form, problems=problems)
    return render(request, "surveys/questionnaires/list.html", context, status=422)


@login_required
@require_GET
def questionnaire_detail(request, survey_id, questionnaire_id):
    survey, questionnaire = access_answer.require_questionnaire_read(request.user, survey_id, questionnaire_id)
    questions = list(questionnaire.questions.order_by("order", "id").prefetch_related("options"))
    can_manage = access.can_manage_survey(request.user, survey)
    context = {
        "survey": survey,
        "questionnaire": questionnaire,
        "questions": questions,
        "groups": [g for g in _groups(survey) if g.questionnaire_id == questionnaire.pk],
        "locked": questionnaires.questionnaire_locked(questionnaire),
        "can_manage": can_manage,
        "form": QuestionnaireForm(initial={"name": questionnaire.name, "description": questionnaire.description}),
        "criteria_names": {c.code: c.name for c in questionnaires.survey_criteria(survey.framework)},
        "nav_active": NAV,
    }
    return render(request, "surveys/questionnaires/detail.html", context)


@login_required
@require_POST
def questionnaire_edit(request, survey_id, questionnaire_id):
    survey, questionnaire = access_answer.require_questionnaire_manage(request.user, survey_id, questionnaire_id)
    form = QuestionnaireForm(request.POST)
    if form.is_valid():
        try:
            questionnaires.questionnaire_update(
                questionnaire=questionnaire,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                actor=request.user,
                unit=survey.cycle.assessor,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
        else:
            messages.success(request, _("Đã lưu tên và lời dẫn của phiếu."))
    else:
        messages.error(request, _("Cần nhập tên phiếu (tối đa 300 ký tự)."))
    return redirect("surveys:questionnaire", survey_id=survey.pk, questionnaire_id=questionnaire.pk)


@login_required
@require_GET
def questionnaire_export(request, survey_id, questionnaire_id, fmt):
    _survey, questionnaire = access_answer.require_questionnaire_read(request.user, survey_id, questionnaire_id)
    if fmt not in CONTENT_TYPES:
        raise Http404(_("Định dạng không được hỗ trợ."))
    content = questionnaires.write(questionnaires.questionnaire_spec(questionnaire), fmt)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{questionnaire.code}.{fmt}"'
    return response


def _question(questionnaire, question_id) -> Question:
    try:
        return Question.objects.get(pk=question_id, questionnaire=questionnaire)
    except (Question.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404(_("Không tìm thấy câu hỏi.")) from None


def _editor(request, survey_id, questionnaire_id, question_id=None):
    survey, questionnaire = access_answer.require_questionnaire_manage(request.user, survey_id, questionnaire_id)
    question = _question(questionnaire, question_id) if question_id is not None else None
    initial, options = initial_for(question)
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        form = QuestionForm(request.POST)
        options = option_rows(request.POST)
        if form.is_valid():
            raw = {
                "code": form.cleaned_data["code"],
                "text": form.cleaned_data["text"],
                "criteria": form.cleaned_data["criteria"],
                "sipas": form.cleaned_data["is_sipas"],
                "order": form.cleaned_data["order"],
                "options": options,
            }
            try:
                questionnaires.question_save(
                    questionnaire=questionnaire, question=question, raw=raw, actor=request.user, survey=survey
                )
            except QuestionnaireError as exc:
                problems = exc.messages
            else:
                messages.success(request, _("Đã lưu câu %(code)s.") % {"code": raw["code"]})
                return redirect("surveys:questionnaire", survey_id=survey.pk, questionnaire_id=questionnaire.pk)
        status = 422
    else:
        form = QuestionForm(initial=initial)
    context = {
        "survey": survey,
        "questionnaire": questionnaire,
        "question": question,
        "form": form,
        "options": padded(options),
        "problems": problems,
        "locked": questionnaires.questionnaire_locked(questionnaire),
        "criteria": questionnaires.survey_criteria(survey.framework),
        "nav_active": NAV,
    }
    return render(request, "surveys/questionnaires/question.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def question_add(request, survey_id, questionnaire_id):
    return _editor(request, survey_id, questionnaire_id)


@login_required
@require_http_methods(["GET", "POST"])
def question_edit(request, survey_id, questionnaire_id, question_id):
    return _editor(request, survey_id, questionnaire_id, question_id)


@login_required
@require_POST
def question_delete(request, survey_id, questionnaire_id, question_id):
    survey, questionnaire = access_answer.require_questionnaire_manage(request.user, survey_id, questionnaire_id)
    question = _question(questionnaire, question_id)
    try:
        questionnaires.question_delete(question=question, actor=request.user)
    except QuestionnaireError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Đã xóa câu %(code)s.") % {"code": question.code})
    return redirect("surveys:questionnaire", survey_id=survey.pk, questionnaire_id=questionnaire.pk)
