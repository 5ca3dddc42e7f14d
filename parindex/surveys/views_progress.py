"""Pages of the survey's progress (seed 003 "Chi tiết tiến độ khảo sát"), its anomaly flags and the survey points.

Every view calls an access helper of ``access_progress`` first; reads go through ``progress``, writes through the
services of ``flags`` and ``points``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from parindex.core.exceptions import ConflictError
from parindex.cycles.windows import format_moment
from parindex.orgs.models import OrgUnit

from . import access_progress as access
from . import flags as flag_services
from . import forms_progress as forms
from . import points as point_services
from . import progress as selectors
from .models import Cancellation, FlagKind, FlagStatus, RespondentGroup, SurveyScore

NAV = "surveys"
FLAG_BADGES = {
    FlagStatus.OPEN: "text-bg-warning",
    FlagStatus.DISMISSED: "text-bg-secondary",
    FlagStatus.CONFIRMED: "text-bg-danger",
}
EVIDENCE_LABELS = {
    "seconds": _lazy("Thời gian trả lời (giây)"),
    "min_seconds": _lazy("Tối thiểu hợp lý (giây)"),
    "started_at": _lazy("Bắt đầu lúc"),
    "submitted_at": _lazy("Nộp lúc"),
    "deadline": _lazy("Hạn khảo sát"),
    "pattern": _lazy("Các phương án đã chọn"),
    "count": _lazy("Số phiếu"),
    "threshold": _lazy("Ngưỡng"),
    "option": _lazy("Phương án"),
    "questions": _lazy("Số câu hỏi"),
    "min_questions": _lazy("Ngưỡng số câu hỏi"),
    "source": _lazy("Nguồn"),
    "value": _lazy("Giá trị"),
    "first": _lazy("Phiếu đầu lúc"),
    "last": _lazy("Phiếu cuối lúc"),
}
EVIDENCE_SOURCES = {
    "ip": _lazy("địa chỉ mạng"),
    "device": _lazy("thiết bị"),
    "email": _lazy("thư điện tử"),
    "phone": _lazy("số điện thoại"),
}
RESPONSE_BADGES = {"submitted": "text-bg-success", "void": "text-bg-danger", "in_progress": "text-bg-info"}


def _messages_of(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [str(m) for ms in exc.message_dict.values() for m in ms]
    return [str(m) for m in exc.messages]


def _next(request, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _group_filter(survey, value) -> RespondentGroup | None:
    if value in (None, ""):
        return None
    try:
        return RespondentGroup.objects.get(survey=survey, pk=int(value))
    except (RespondentGroup.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404(_("Không tìm thấy nhóm người trả lời.")) from None


def _unit_options(survey, scope) -> list[OrgUnit]:
    """Units of the survey the user follows: participants of the cycle with the survey's framework and rated units
    of the respondents."""
    from parindex.cycles.models import Participant

    from .models import Respondent

    participants = Participant.objects.filter(cycle_id=survey.cycle_id, framework_id=survey.framework_id)
    rated = Respondent.objects.filter(survey=survey)
    if scope is not None:
        participants = participants.filter(unit__in=scope)
        rated = rated.filter(rated_unit__in=scope)
    ids = set(participants.values_list("unit_id", flat=True)) | set(
        rated.order_by().values_list("rated_unit_id", flat=True).distinct()
    )
    return list(OrgUnit.objects.filter(pk__in=ids).order_by("name").only("pk", "code", "name"))


def _flag_rows(flags):
    for flag in flags:
        flag.badge = FLAG_BADGES.get(flag.status, "text-bg-light")
        flag.summary = flag.evidence.get("summary", "") if isinstance(flag.evidence, dict) else ""
    return flags


CHART_UNITS = 20


def _progress_chart(data, units_page, unit):
    """Answered against invited: per respondent group for one unit, else per unit of the page shown."""
    from parindex.reports import charts

    if unit is not None:
        rows = [(g["name"], g["counts"].invited, g["counts"].answered) for g in data.groups]
        title = _("Tiến độ trả lời theo nhóm đối tượng — %(unit)s") % {"unit": unit.name}
    else:
        shown = list(units_page)[:CHART_UNITS]
        rows = [(u.name, u.counts.invited, u.counts.answered) for u in shown]
        title = _("Tiến độ trả lời theo đơn vị (tỷ lệ thấp trước)")
        if len(shown) < len(units_page):
            title = _("Tiến độ trả lời của %(n)s đơn vị đầu trang (tỷ lệ thấp trước)") % {"n": len(shown)}
    return charts.survey_progress(rows, title, width=charts.PAGE_WIDTH)


@login_required
@require_GET
def progress(request, survey_id):
    survey = access.require_progress(request.user, survey_id)
    unit = access.require_unit_in_progress(request.user, survey, request.GET.get("don-vi"))
    group = _group_filter(survey, request.GET.get("nhom"))
    scope = access.scope_ids(request.user, survey, access.PROGRESS_ROLES)
    data = selectors.progress_counts(survey=survey, scope=scope, unit=unit, group=group)
    units_page = Paginator(data.units, 50).get_page(request.GET.get("trang"))
    groups = list(survey.groups.all())
    context = {
        "survey": survey,
        "data": data,
        "units_page": units_page,
        "groups": groups,
        "unit": unit,
        "group": group,
        "unit_options": _unit_options(survey, scope),
        "can_review": access.can_review_flags(request.user, survey),
        "nav_active": NAV,
        "progress_chart": _progress_chart(data, units_page, unit),
    }
    if unit is not None:
        context["can_see_personal"] = access.can_see_personal(request.user, survey, unit)
        if context["can_see_personal"]:
            qs = selectors.non_respondents(
                survey=survey, personal=access.personal_q(request.user), unit=unit, group=group
            )
            context["non_respondents"] = Paginator(qs, 100).get_page(request.GET.get("trang-chua-tra-loi"))
        if context["can_review"]:
            context["unit_flags"] = _flag_rows(
                list(access.flags_visible(request.user, survey).filter(unit=unit).order_by("status", "-created_at"))
            )
        context["cancellation"] = Cancellation.objects.filter(survey=survey, unit=unit, revoked_at__isnull=True).first()
    elif context["can_review"]:
        context["open_flags"] = access.flags_visible(request.user, survey).filter(status=FlagStatus.OPEN).count()
    return render(request, "surveys/progress/progress.html", context)


@login_required
@require_GET
def flags(request, survey_id):
    survey = access.require_flags(request.user, survey_id)
    qs = access.flags_visible(request.user, survey).order_by("-created_at", "-pk")
    kind = request.GET.get("loai") or ""
    status = request.GET.get("trang-thai") or ""
    unit = access.require_unit_in_progress(request.user, survey, request.GET.get("don-vi"))
    if kind in FlagKind.values:
        qs = qs.filter(kind=kind)
    if status in FlagStatus.values:
        qs = qs.filter(status=status)
    if unit is not None:
        qs = qs.filter(unit=unit)
    flags_page = Paginator(qs, 50).get_page(request.GET.get("trang"))
    _flag_rows(flags_page.object_list)
    context = {
        "survey": survey,
        "flags_page": flags_page,
        "kinds": FlagKind.choices,
        "statuses": FlagStatus.choices,
        "kind": kind,
        "status": status,
        "unit": unit,
        "unit_options": _unit_options(survey, access.scope_ids(request.user, survey, access.REVIEW_ROLES)),
        "thresholds": {
            "identical": flag_services.IDENTICAL_MIN_RESPONSES,
            "burst": flag_services.BURST_MIN_RESPONSES,
            "burst_minutes": int(flag_services.BURST_WINDOW.total_seconds() // 60),
            "straight": flag_services.STRAIGHT_LINING_MIN_QUESTIONS,
            "one_person": flag_services.ONE_PERSON_MIN_RESPONSES,
        },
        "nav_active": NAV,
    }
    return render(request, "surveys/progress/flags.html", context)


@login_required
@require_POST
def flags_detect(request, survey_id):
    survey = access.require_flags(request.user, survey_id)
    flag_services.detect_flags_request(survey=survey, actor=request.user)
    messages.success(
        request, _("Đã bắt đầu rà soát dấu hiệu bất thường; kết quả hiện trong danh sách khi rà soát xong.")
    )
    return redirect("surveys:flags", survey_id=survey.pk)


def _evidence_items(evidence) -> list[tuple[str, str]]:
    """The figures of a flag's evidence with Vietnamese labels; moments in Vietnam time."""
    from django.utils.dateparse import parse_datetime

    items = []
    for key, value in (evidence if isinstance(evidence, dict) else {}).items():
        label = EVIDENCE_LABELS.get(key)
        if label is None or value in (None, ""):
            continue
        if key == "source":
            value = EVIDENCE_SOURCES.get(value, value)
        elif isinstance(value, str) and (moment := parse_datetime(value)) is not None:
            value = format_moment(moment)
        items.append((str(label), str(value)))
    return items


@login_required
@require_GET
def flag_detail(request, flag_id):
    flag = access.require_flag(request.user, flag_id)
    survey = flag.survey
    responses = list(
        flag.responses.select_related("rated_unit", "group").order_by("submitted_at", "pk")[
            : flag_services.EVIDENCE_LIST_LIMIT * 4
        ]
    )
    for r in responses:
        r.badge = RESPONSE_BADGES.get(r.status, "text-bg-light")
        r.seconds = int((r.submitted_at - r.started_at).total_seconds()) if r.submitted_at else None
        r.submitted_label = format_moment(r.submitted_at) if r.submitted_at else ""
        r.can_void = access.is_manager_of(request.user, survey, r.rated_unit)
    context = {
        "survey": survey,
        "flag": _flag_rows([flag])[0],
        "responses": responses,
        "evidence_items": _evidence_items(flag.evidence),
        "form": forms.FlagReviewForm(initial={"status": flag.status if flag.status != FlagStatus.OPEN else None}),
        "reason_form": forms.ReasonForm(),
        "nav_active": NAV,
    }
    return render(request, "surveys/progress/flag.html", context)


@login_required
@require_POST
def flag_review(request, flag_id):
    flag = access.require_flag(request.user, flag_id)
    form = forms.FlagReviewForm(request.POST)
    if form.is_valid():
        try:
            flag_services.flag_review(
                flag=flag, status=form.cleaned_data["status"], note=form.cleaned_data["note"], actor=request.user
            )
        except ValidationError as exc:
            for message in _messages_of(exc):
                messages.error(request, message)
        else:
            messages.success(request, _("Đã ghi kết luận xem xét."))
    else:
        messages.error(request, _("Chọn kết luận và ghi rõ lý do."))
    return redirect("surveys:flag", flag_id=flag.pk)


@login_required
@require_GET
def response_detail(request, response_id):
    """The evidence behind a flag: one response's answers, timing, address and device, the flags pointing at it, and
    the decisions on it (void, restore)."""
    response = access.require_response(request.user, response_id)
    survey = response.survey
    evidence = selectors.response_evidence(response)
    respondent = None
    if access.can_see_personal(request.user, survey, response.rated_unit):
        respondent = response.invitation.respondent
    context = {
        "survey": survey,
        "response": response,
        "badge": RESPONSE_BADGES.get(response.status, "text-bg-light"),
        "evidence": evidence,
        "flags": _flag_rows(evidence.flags),
        "respondent": respondent,
        "can_void": access.is_manager_of(request.user, survey, response.rated_unit),
        "nav_active": NAV,
    }
    return render(request, "surveys/progress/response.html", context)


def _response_decision(request, response_id, service, done: str):
    response = access.require_response_void(request.user, response_id)
    form = forms.ReasonForm(request.POST)
    default = reverse("surveys:response", args=[response.pk])
    if not form.is_valid():
        messages.error(request, _("Cần ghi rõ lý do."))
        return redirect(_next(request, default))
    try:
        service(response=response, reason=form.cleaned_data["reason"], actor=request.user)
    except ValidationError as exc:
        for message in _messages_of(exc):
            messages.error(request, message)
    except ConflictError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done % {"id": response.pk})
    return redirect(_next(request, default))


@login_required
@require_POST
def response_void(request, response_id):
    return _response_decision(request, response_id, flag_services.response_void, _("Đã hủy phiếu #%(id)s."))


@login_required
@require_POST
def response_restore(request, response_id):
    return _response_decision(request, response_id, flag_services.response_restore, _("Đã khôi phục phiếu #%(id)s."))


@login_required
@require_GET
def points(request, survey_id):
    survey = access.require_progress(request.user, survey_id)
    scope = access.scope_ids(request.user, survey, access.PROGRESS_ROLES)
    unit = access.require_unit_in_progress(request.user, survey, request.GET.get("don-vi"))
    qs = SurveyScore.objects.filter(survey=survey).select_related("unit", "node").order_by("unit__name", "node__code")
    if scope is not None:
        qs = qs.filter(unit__in=scope)
    if unit is not None:
        qs = qs.filter(unit=unit)
    cancellations = Cancellation.objects.filter(survey=survey).select_related("unit", "cancelled_by", "revoked_by")
    if scope is not None:
        cancellations = cancellations.filter(unit__in=scope)
    unit_options = _unit_options(survey, scope)
    manager_units = [u for u in unit_options if access.is_manager_of(request.user, survey, u)]
    can_manage = bool(manager_units)
    cancellations = list(cancellations.order_by("-cancelled_at"))
    for c in cancellations:
        c.can_revoke = access.is_manager_of(request.user, survey, c.unit)
    latest = qs.order_by("-computed_at").values_list("computed_at", flat=True).first()
    context = {
        "survey": survey,
        "scores_page": Paginator(qs, 100).get_page(request.GET.get("trang")),
        "rules": point_services.RULES,
        "unit": unit,
        "unit_options": unit_options,
        "computed_at": format_moment(latest) if latest else "",
        "can_compute": access.is_manager_of(request.user, survey, None),
        "can_manage": can_manage,
        "cancellations": cancellations,
        "cancel_form": forms.CancelUnitForm(units=manager_units) if can_manage else None,
        "reason_form": forms.ReasonForm(),
        "nav_active": NAV,
    }
    return render(request, "surveys/progress/points.html", context)


@login_required
@require_POST
def points_compute(request, survey_id):
    survey = access.require_points_compute(request.user, survey_id)
    rows = point_services.survey_points_compute(survey=survey, actor=request.user)
    messages.success(request, _("Đã tính điểm điều tra XHH: %(rows)s dòng (đơn vị × tiêu chí).") % {"rows": rows})
    return redirect("surveys:points", survey_id=survey.pk)


@login_required
@require_POST
def cancel_unit(request, survey_id):
    survey = access.require_survey_manage(request.user, survey_id)
    unit = access.require_unit_cancel(request.user, survey, request.POST.get("unit"))
    form = forms.CancelUnitForm(request.POST, units=[unit])
    if not form.is_valid():
        messages.error(request, _("Chọn đơn vị và ghi rõ lý do hủy kết quả khảo sát."))
        return redirect("surveys:points", survey_id=survey.pk)
    try:
        flag_services.survey_cancel_unit(
            survey=survey, unit=unit, reason=form.cleaned_data["reason"], actor=request.user
        )
    except ValidationError as exc:
        for message in _messages_of(exc):
            messages.error(request, message)
    except ConflictError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Đã hủy toàn bộ kết quả khảo sát của %(unit)s; điểm điều tra XHH là 0.") % {"unit": unit.name}
        )
    return redirect("surveys:points", survey_id=survey.pk)


@login_required
@require_POST
def cancellation_revoke(request, cancellation_id):
    cancellation = access.require_cancellation(request.user, cancellation_id)
    form = forms.ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Cần ghi rõ lý do."))
    else:
        try:
            flag_services.cancellation_revoke(
                cancellation=cancellation, reason=form.cleaned_data["reason"], actor=request.user
            )
        except ConflictError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Đã thu hồi quyết định hủy kết quả khảo sát của %(unit)s.") % {"unit": cancellation.unit.name},
            )
    return redirect("surveys:points", survey_id=cancellation.survey_id)
