"""Pages of the survey's set-up and respondent lists: surveys, settings and respondent groups (managers), importing or
typing a list (coordinators, the unit's officers), reviewing it with the rules' reasons, reversing a decision,
sampling and sending (coordinators). Every view calls an access helper first."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parindex.cycles.access import can_manage_cycle, cycles_visible
from parindex.cycles.windows import window_state

from . import access, access_answer, lists, services
from .forms import (
    DecisionForm,
    GroupForm,
    ListImportForm,
    PresetForm,
    RespondentForm,
    SampleForm,
    SendForm,
    SurveyCreateForm,
    SurveyForm,
)
from .models import ListStatus, Respondent, RespondentStatus

NAV = "surveys"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 200
STATUS_FILTERS = {s.value: s.label for s in RespondentStatus}


def _messages_of(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [str(m) for ms in exc.message_dict.values() for m in ms]
    return [str(m) for m in exc.messages]


def _refusal(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(_messages_of(exc))
    return str(exc.args[0]) if exc.args else _("Thao tác bị từ chối.")


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            target = name if name in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        for error in exc.messages:
            form.add_error(None, error)


# --- surveys ------------------------------------------------------------------------------------------------------


@login_required
@require_GET
def survey_list(request):
    surveys = access.surveys_visible(request.user).order_by("-cycle__year", "name")
    manageable = [c for c in cycles_visible(request.user) if can_manage_cycle(request.user, c)]
    context = {"surveys": surveys, "can_create": bool(manageable), "nav_active": NAV}
    return render(request, "surveys/lists/survey_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def survey_create(request):
    from parindex.frameworks.models import Framework

    manageable = [c.pk for c in cycles_visible(request.user) if can_manage_cycle(request.user, c)]
    if not manageable:
        raise PermissionDenied(_("Chức năng này dành cho quản lý Chỉ số của cơ quan đánh giá."))
    from parindex.cycles.models import Cycle

    cycles = Cycle.objects.filter(pk__in=manageable).order_by("-year", "name")
    frameworks = Framework.objects.filter(cycle_uses__cycle__in=cycles).distinct().order_by("code")
    initial = {"margin_of_error": "0.05", "commune_quota": 30}
    if request.GET.get("dot"):
        initial["cycle"] = request.GET.get("dot")
    form = SurveyCreateForm(request.POST or None, cycles=cycles, frameworks=frameworks, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        cycle = access.require_survey_create(request.user, data["cycle"].pk)
        try:
            survey = services.survey_create(
                cycle=cycle,
                framework=data["framework"],
                name=data["name"],
                actor=request.user,
                served_from=data["served_from"],
                served_to=data["served_to"],
                margin_of_error=data["margin_of_error"],
                commune_quota=data["commune_quota"],
                required_fields=data["required_fields"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Đã tạo cuộc điều tra “%(name)s”.") % {"name": survey.name})
            return redirect("surveys:detail", survey.pk)
    return render(request, "surveys/lists/survey_form.html", {"form": form, "nav_active": NAV})


def _lists_overview(user, survey):
    visible = list(access.lists_visible(user, survey).order_by("unit__name"))
    counts: dict[int, dict[str, int]] = {}
    rows = (
        Respondent.objects.filter(respondent_list__in=[x.pk for x in visible])
        .values_list("respondent_list_id", "status")
        .annotate(n=Count("pk"))
    )
    for list_id, status, n in rows:
        counts.setdefault(list_id, {})[status] = n
    return [
        {
            "list": x,
            "counts": counts.get(x.pk, {}),
            "total": sum(counts.get(x.pk, {}).values()),
            "can_invite": x.status == ListStatus.SENT and access_answer.can_invite_list(user, x),
        }
        for x in visible
    ]


@login_required
@require_GET
def survey_detail(request, survey_id):
    survey = access.require_survey_read(request.user, survey_id)
    can_manage = access.can_manage_survey(request.user, survey)
    start, end = lists.served_window(survey)
    context = {
        "survey": survey,
        "can_manage": can_manage,
        "groups": survey.groups.select_related("questionnaire").order_by("priority", "code"),
        "lists": _lists_overview(request.user, survey),
        "list_units": access.list_units_for(request.user, survey),
        "window": window_state(cycle=survey.cycle, kind="survey"),
        "served_from": start,
        "served_to": end,
        "settings_form": SurveyForm(
            initial={
                "name": survey.name,
                "served_from": survey.served_from,
                "served_to": survey.served_to,
                "margin_of_error": survey.margin_of_error,
                "commune_quota": survey.commune_quota,
                "required_fields": "\n".join(survey.required_fields or []),
            }
        )
        if can_manage
        else None,
        "preset_form": PresetForm() if can_manage else None,
        "nav_active": NAV,
    }
    return render(request, "surveys/lists/survey_detail.html", context)


@login_required
@require_POST
def survey_settings(request, survey_id):
    survey = access.require_survey_manage(request.user, survey_id)
    form = SurveyForm(request.POST)
    if form.is_valid():
        try:
            services.survey_update(survey=survey, actor=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _refusal(exc))
        else:
            messages.success(request, _("Đã lưu cài đặt cuộc điều tra."))
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return redirect("surveys:detail", survey.pk)


# --- respondent groups ------------------------------------------------------------------------------------------


def _group_values(data: dict) -> dict:
    return {
        "code": data["code"],
        "name": data["name"],
        "priority": data["priority"],
        "is_citizen": data["is_citizen"],
        "rates": data["rates"],
        "questionnaire": data["questionnaire"],
        "max_organisations": data["max_organisations"] or None,
    }


def _questionnaires(user, survey):
    """Questionnaires a manager may attach to a group: those of the units they manage and those already used."""
    from django.db.models import Q

    from parindex.orgs.access import MANAGER_ROLES, units_scope

    from .models import Questionnaire

    return (
        Questionnaire.objects.filter(Q(owner__in=units_scope(user, MANAGER_ROLES)) | Q(groups__survey=survey))
        .distinct()
        .order_by("code")
    )


@login_required
@require_http_methods(["GET", "POST"])
def group_add(request, survey_id):
    survey = access.require_survey_manage(request.user, survey_id)
    form = GroupForm(
        request.POST or None,
        initial={"priority": survey.groups.count() + 1, "rates": "province"},
        questionnaires=_questionnaires(request.user, survey),
    )
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_create(survey=survey, actor=request.user, **_group_values(form.cleaned_data))
        except ValidationError as exc:
            _form_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, _refusal(exc))
        else:
            messages.success(request, _("Đã thêm nhóm “%(g)s”.") % {"g": group.name})
            return redirect("surveys:detail", survey.pk)
    context = {"survey": survey, "form": form, "group": None, "nav_active": NAV}
    return render(request, "surveys/lists/group_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def group_edit(request, survey_id, group_id):
    group = access.require_group_manage(request.user, survey_id, group_id)
    survey = group.survey
    initial = {
        "code": group.code,
        "name": group.name,
        "priority": group.priority,
        "is_citizen": group.is_citizen,
        "rates": group.rates,
        "questionnaire": group.questionnaire_id,
        "max_organisations": group.max_organisations,
    }
    form = GroupForm(request.POST or None, initial=initial, questionnaires=_questionnaires(request.user, survey))
    if request.method == "POST" and form.is_valid():
        try:
            services.group_update(group=group, actor=request.user, **_group_values(form.cleaned_data))
        except ValidationError as exc:
            _form_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, _refusal(exc))
        else:
            messages.success(request, _("Đã lưu nhóm “%(g)s”.") % {"g": form.cleaned_data["name"]})
            return redirect("surveys:detail", survey.pk)
    context = {"survey": survey, "form": form, "group": group, "nav_active": NAV}
    return render(request, "surveys/lists/group_form.html", context)


@login_required
@require_POST
def group_delete(request, survey_id, group_id):
    group = access.require_group_manage(request.user, survey_id, group_id)
    try:
        services.group_delete(group=group, actor=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, _("Đã xóa nhóm “%(g)s”.") % {"g": group.name})
    return redirect("surveys:detail", group.survey_id)


@login_required
@require_POST
def group_presets(request, survey_id):
    survey = access.require_survey_manage(request.user, survey_id)
    form = PresetForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Hãy chọn một mẫu nhóm."))
        return redirect("surveys:detail", survey.pk)
    try:
        created = services.groups_from_preset(survey=survey, preset=form.cleaned_data["preset"], actor=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
    else:
        if created:
            messages.success(
                request,
                _("Đã tạo %(n)s nhóm theo mẫu: %(names)s.")
                % {"n": len(created), "names": ", ".join(f"“{g.name}”" for g in created)},
            )
        else:
            messages.info(request, _("Cuộc điều tra đã có đủ các nhóm của mẫu này."))
    return redirect("surveys:detail", survey.pk)


# --- respondent lists -------------------------------------------------------------------------------------------


@login_required
@require_GET
def list_template(request, survey_id):
    survey = access.require_survey_read(request.user, survey_id)
    response = HttpResponse(lists.template_xlsx(survey), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="mau-danh-sach-dieu-tra-{survey.pk}.xlsx"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def list_import(request, survey_id):
    survey = access.require_survey_read(request.user, survey_id)
    units = access.list_units_for(request.user, survey)
    if not units:
        raise PermissionDenied(
            _("Chỉ người điều phối điều tra XHH hoặc cán bộ của đơn vị tham gia mới được nhập danh sách.")
        )
    from parindex.orgs.models import OrgUnit

    queryset = OrgUnit.objects.filter(pk__in=[u.pk for u in units]).order_by("path")
    initial = {"unit": request.GET.get("don-vi") or (units[0].pk if len(units) == 1 else None)}
    form = ListImportForm(request.POST or None, request.FILES or None, units=queryset, initial=initial)
    result = None
    if request.method == "POST" and form.is_valid():
        survey, unit = access.require_list_create(request.user, survey.pk, form.cleaned_data["unit"].pk)
        upload = form.cleaned_data["file"]
        try:
            result = services.respondent_list_import(
                survey=survey,
                unit=unit,
                content=upload.read(),
                actor=request.user,
                dry_run=form.cleaned_data["dry_run"],
                filename=upload.name or "",
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, _refusal(exc))
        else:
            if result.applied:
                messages.success(
                    request,
                    _("Đã nhập %(n)s dòng vào danh sách của %(unit)s; xem lại các dòng bị loại hoặc gộp bên dưới.")
                    % {"n": sum(result.by_status.values()), "unit": unit.name},
                )
                return redirect("surveys:respondent_list", result.respondent_list.pk)
    context = {
        "survey": survey,
        "form": form,
        "result": result,
        "status_labels": STATUS_FILTERS,
        "nav_active": NAV,
    }
    return render(request, "surveys/lists/import.html", context)


@login_required
@require_POST
def list_start(request, survey_id):
    survey, unit = access.require_list_create(request.user, survey_id, request.POST.get("unit"))
    try:
        respondent_list = services.respondent_list_start(survey=survey, unit=unit, actor=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
        return redirect("surveys:detail", survey.pk)
    return redirect("surveys:respondent_list", respondent_list.pk)


def _list_context(request, respondent_list):
    user = request.user
    personal = access.can_see_personal(user, respondent_list)
    counts = dict(
        Respondent.objects.filter(respondent_list=respondent_list)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    status = request.GET.get("trang-thai") or ""
    if status not in STATUS_FILTERS:
        status = ""
    rows = access.respondents_visible(user, respondent_list).order_by("row", "pk")
    if status:
        rows = rows.filter(status=status)
    visible = personal or rows.exists()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("trang")) if visible else None
    draft = respondent_list.status == ListStatus.DRAFT
    return {
        "survey": respondent_list.survey,
        "respondent_list": respondent_list,
        "personal": personal,
        "visible": visible,
        "page": page,
        "counts": counts,
        "total": sum(counts.values()),
        "status": status,
        "status_labels": STATUS_FILTERS,
        "checks": lists.list_checks(respondent_list),
        "can_edit": draft and access.can_edit_list(user, respondent_list),
        "can_decide": draft and access.can_decide_list(user, respondent_list),
        "can_decide_rows": draft and (access.can_decide_list(user, respondent_list) or not personal),
        "can_invite": not draft and access_answer.can_invite_list(user, respondent_list),
        "decision_form": DecisionForm(),
        "sample_form": SampleForm(),
        "send_form": SendForm(),
        "nav_active": NAV,
    }


@login_required
@require_GET
def respondent_list(request, list_id):
    respondent_list = access.require_list_read(request.user, list_id)
    return render(request, "surveys/lists/list.html", _list_context(request, respondent_list))


def _respondent_initial(respondent) -> dict:
    return {
        "full_name": respondent.full_name,
        "group": respondent.group.code,
        "email": respondent.email,
        "phone": respondent.phone,
        "position": respondent.position,
        "unit": respondent.unit.code if respondent.unit_id else "",
        "organisation": respondent.organisation,
        "procedure": respondent.procedure,
        "procedure_field": respondent.procedure_field,
        "served_on": respondent.served_on,
        "result_received_on": respondent.result_received_on,
        "address": respondent.address,
    }


@login_required
@require_http_methods(["GET", "POST"])
def respondent_add(request, list_id):
    respondent_list = access.require_list_edit(request.user, list_id)
    groups = respondent_list.survey.groups.order_by("priority", "code")
    form = RespondentForm(request.POST or None, groups=groups)
    if request.method == "POST" and form.is_valid():
        try:
            respondent = services.respondent_add(
                respondent_list=respondent_list, data=form.cleaned_data, actor=request.user
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, _refusal(exc))
        else:
            messages.success(
                request,
                _("Đã thêm %(name)s (%(status)s).")
                % {"name": respondent.full_name, "status": respondent.get_status_display()},
            )
            return redirect("surveys:respondent_list", respondent_list.pk)
    context = {"respondent_list": respondent_list, "survey": respondent_list.survey, "form": form, "respondent": None}
    return render(request, "surveys/lists/respondent_form.html", {**context, "nav_active": NAV})


@login_required
@require_http_methods(["GET", "POST"])
def respondent_edit(request, respondent_id):
    respondent = access.require_respondent_edit(request.user, respondent_id)
    respondent_list = respondent.respondent_list
    groups = respondent_list.survey.groups.order_by("priority", "code")
    form = RespondentForm(request.POST or None, groups=groups, initial=_respondent_initial(respondent))
    if request.method == "POST" and form.is_valid():
        try:
            services.respondent_update(respondent=respondent, data=form.cleaned_data, actor=request.user)
        except ValidationError as exc:
            _form_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, _refusal(exc))
        else:
            messages.success(request, _("Đã lưu dòng của %(name)s.") % {"name": form.cleaned_data["full_name"]})
            return redirect("surveys:respondent_list", respondent_list.pk)
    context = {
        "respondent_list": respondent_list,
        "survey": respondent_list.survey,
        "form": form,
        "respondent": respondent,
        "nav_active": NAV,
    }
    return render(request, "surveys/lists/respondent_form.html", context)


@login_required
@require_POST
def respondent_decide(request, respondent_id):
    respondent = access.require_respondent_decide(request.user, respondent_id)
    form = DecisionForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            respondent = services.respondent_decide(
                respondent=respondent,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except (ValidationError, PermissionDenied) as exc:
            error = _refusal(exc)
    else:
        error = _("Hãy chọn quyết định và ghi lý do.")
    if request.htmx:
        row = access.respondents_visible(request.user, respondent.respondent_list).get(pk=respondent.pk)
        context = {
            "r": row,
            "can_decide_rows": True,
            "can_edit": access.can_edit_list(request.user, respondent.respondent_list),
            "decision_form": DecisionForm(),
            "row_error": error,
            "row_saved": not error,
        }
        return render(request, "surveys/lists/_row.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Đã ghi quyết định cho %(name)s.") % {"name": respondent.full_name})
    return redirect("surveys:respondent_list", respondent.respondent_list_id)


@login_required
@require_POST
def list_sample(request, list_id):
    respondent_list = access.require_list_decide(request.user, list_id)
    form = SampleForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for es in form.errors.values() for e in es))
        return redirect("surveys:respondent_list", respondent_list.pk)
    try:
        respondent_list = services.respondent_list_sample(
            respondent_list=respondent_list, actor=request.user, seed=form.cleaned_data["seed"]
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(
            request,
            _("Đã chọn mẫu %(n)s trong %(N)s người (hạt giống %(seed)s).")
            % {"n": respondent_list.sample_size, "N": respondent_list.population, "seed": respondent_list.sample_seed},
        )
    return redirect("surveys:respondent_list", respondent_list.pk)


@login_required
@require_POST
def list_send(request, list_id):
    respondent_list = access.require_list_decide(request.user, list_id)
    form = SendForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.respondent_list_send(respondent_list=respondent_list, actor=request.user, note=note)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, _("Đã gửi danh sách của %(unit)s.") % {"unit": respondent_list.unit.name})
    return redirect("surveys:respondent_list", respondent_list.pk)
