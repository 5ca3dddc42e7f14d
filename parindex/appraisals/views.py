"""Pages of the appraisal: the council and assignments of a cycle, the appraiser's worklist and grid (rounds 1 and 2,
saved row by row with htmx), the unit's explanations, the council's review of one unit (disagreements, totals,
votes, confirmation, reopening) and the history of an entry. Every view calls an access helper first."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parindex.assessments.access import can_fill_in
from parindex.assessments.models import AssessmentStatus, Entry
from parindex.core.exceptions import ConflictError
from parindex.cycles.models import Cycle, CycleStatus, WindowKind
from parindex.cycles.windows import window_state

from . import access, selectors, services
from .forms import AssignmentForm, CouncilForm, MemberForm, PointsForm, ReopenForm, TextForm, VoteForm

NAV = "appraisals"


def _messages_of(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [str(m) for ms in exc.message_dict.values() for m in ms]
    return [str(m) for m in exc.messages]


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _windows(assessment) -> dict:
    kinds = (WindowKind.APPRAISAL_1, WindowKind.EXPLANATION, WindowKind.APPRAISAL_2, WindowKind.COUNCIL)
    return {kind: window_state(cycle=assessment.cycle, kind=kind, unit=assessment.unit) for kind in kinds}


def _mode(assessment, windows: dict) -> str | None:
    """Which round the grid's controls write now (None: read only)."""
    if assessment.status not in services.WORK_STATUSES:
        return None
    if windows[WindowKind.APPRAISAL_1].is_open:
        return "round1"
    if windows[WindowKind.APPRAISAL_2].is_open:
        return "round2"
    return None


# --- home: the worklist and the cycles ----------------------------------------------------------------------------


@login_required
@require_GET
def home(request):
    user = request.user
    cycles = [
        c
        for c in Cycle.objects.exclude(status=CycleStatus.CLOSED).select_related("assessor").order_by("-year", "name")
        if access.can_read_cycle(user, c)
    ]
    context = {
        "worklist": selectors.worklist(user),
        "cycles": [{"cycle": c, "manage": access.is_cycle_manager(user, c)} for c in cycles],
        "nav_active": NAV,
    }
    return render(request, "appraisals/home.html", context)


# --- the council --------------------------------------------------------------------------------------------------


@login_required
@require_GET
def council(request, cycle_id):
    cycle = access.require_cycle_read(request.user, cycle_id)
    council_obj = selectors.council_of(cycle)
    can_manage = access.is_cycle_manager(request.user, cycle)
    context = {
        "cycle": cycle,
        "council": council_obj,
        "members": selectors.council_members(council_obj),
        "can_manage": can_manage,
        "council_form": CouncilForm(
            initial={
                "name": council_obj.name if council_obj else _("Hội đồng thẩm định Chỉ số CCHC"),
                "decision": council_obj.decision if council_obj else "",
            }
        )
        if can_manage
        else None,
        "member_form": MemberForm(cycle=cycle) if can_manage and council_obj else None,
        "nav_active": NAV,
    }
    return render(request, "appraisals/council.html", context)


@login_required
@require_POST
def council_save(request, cycle_id):
    cycle = access.require_cycle_manage(request.user, cycle_id)
    form = CouncilForm(request.POST)
    if form.is_valid():
        try:
            services.council_save(cycle=cycle, actor=request.user, **form.cleaned_data)
            messages.success(request, _("Đã lưu thông tin hội đồng thẩm định."))
        except ValidationError as exc:
            messages.error(request, " ".join(_messages_of(exc)))
    else:
        messages.error(request, _("Hãy nhập tên hội đồng."))
    return redirect("appraisals:council", cycle_id=cycle.pk)


@login_required
@require_POST
def member_add(request, cycle_id):
    cycle = access.require_cycle_manage(request.user, cycle_id)
    council_obj = selectors.council_of(cycle)
    if council_obj is None:
        messages.error(request, _("Hãy lập hội đồng trước khi thêm thành viên."))
        return redirect("appraisals:council", cycle_id=cycle.pk)
    form = MemberForm(request.POST, cycle=cycle)
    if form.is_valid():
        try:
            services.council_member_add(council=council_obj, actor=request.user, **form.cleaned_data)
            messages.success(request, _("Đã thêm thành viên hội đồng."))
        except ValidationError as exc:
            messages.error(request, " ".join(_messages_of(exc)))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("appraisals:council", cycle_id=cycle.pk)


@login_required
@require_POST
def member_end(request, member_id):
    member = access.require_member_manage(request.user, member_id)
    try:
        services.council_member_end(member=member, actor=request.user)
        messages.success(request, _("%(name)s đã thôi tham gia hội đồng.") % {"name": member.user.display_name})
    except ValidationError as exc:
        messages.error(request, " ".join(_messages_of(exc)))
    return redirect("appraisals:council", cycle_id=member.council.cycle_id)


# --- assignments --------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def assignments(request, cycle_id):
    cycle = access.require_cycle_read(request.user, cycle_id)
    can_manage = access.is_cycle_manager(request.user, cycle)
    form = None
    if can_manage:
        form = AssignmentForm(request.POST or None, cycle=cycle, nodes=selectors.cycle_nodes(cycle))
    if request.method == "POST":
        access.require_cycle_manage(request.user, cycle_id)
        if form.is_valid():
            try:
                services.assignment_create(cycle=cycle, actor=request.user, **form.cleaned_data)
                messages.success(request, _("Đã phân công thẩm định."))
                return redirect("appraisals:assignments", cycle_id=cycle.pk)
            except ValidationError as exc:
                _add_errors(form, exc)
    context = {
        "cycle": cycle,
        "assignments": selectors.cycle_assignments(cycle),
        "workload": selectors.workload(cycle),
        "can_manage": can_manage,
        "form": form,
        "nav_active": NAV,
    }
    return render(request, "appraisals/assignments.html", context, status=422 if form and form.errors else 200)


@login_required
@require_POST
def assignment_end(request, assignment_id):
    assignment = access.require_assignment_manage(request.user, assignment_id)
    try:
        services.assignment_end(assignment=assignment, actor=request.user)
        messages.success(request, _("Đã kết thúc phân công."))
    except ValidationError as exc:
        messages.error(request, " ".join(_messages_of(exc)))
    return redirect("appraisals:assignments", cycle_id=assignment.cycle_id)


# --- the appraisal grid -------------------------------------------------------------------------------------------


@login_required
@require_GET
def grid(request, assessment_id):
    assessment = access.require_appraisal_read(request.user, assessment_id)
    windows = _windows(assessment)
    data = selectors.appraisal_grid(assessment, request.user)
    context = {
        "assessment": assessment,
        "grid": data,
        "windows": windows,
        "mode": _mode(assessment, windows),
        "can_review": access.is_chair(request.user, assessment.cycle, assessment.unit)
        or access.is_cycle_manager(request.user, assessment.cycle)
        or access.active_seat(request.user, assessment.cycle_id) is not None,
        "nav_active": NAV,
    }
    return render(request, "appraisals/grid.html", context)


def _row_response(request, entry: Entry, *, error: str = "", saved: str = "", posted: dict | None = None):
    row = selectors.grid_row(entry, request.user)
    assessment = row["entry"].assessment
    windows = _windows(assessment)
    context = {
        "row": row,
        "mode": _mode(assessment, windows),
        "error": error,
        "saved": saved,
        "posted": posted or {},
        "assessment": assessment,
    }
    if request.htmx:
        return render(request, "appraisals/_row.html", context)
    if error:
        messages.error(request, error)
    elif saved:
        messages.success(request, saved)
    return redirect("appraisals:grid", assessment_id=assessment.pk)


def _run(request, entry, action, posted: dict, done: str):
    """Call a write service for one row and answer with the row (htmx) or the grid."""
    try:
        action()
    except ConflictError as exc:
        return _row_response(request, entry, error=exc.message, posted=posted)
    except ValidationError as exc:
        return _row_response(request, entry, error=" ".join(_messages_of(exc)), posted=posted)
    except PermissionDenied as exc:  # a window that closed, an assignment that ended meanwhile
        return _row_response(request, entry, error=str(exc), posted=posted)
    return _row_response(request, entry, saved=done)


@login_required
@require_POST
def round1(request, entry_id):
    entry = access.require_entry_appraise(request.user, entry_id)
    form = PointsForm(request.POST)
    if not form.is_valid():
        return _row_response(request, entry, error=_("Dữ liệu gửi lên không hợp lệ; hãy tải lại trang."))
    data = form.cleaned_data
    confirm = data["action"] == "confirm"
    return _run(
        request,
        entry,
        lambda: services.entry_round1_save(
            entry_id=entry.pk,
            version=data["version"],
            points=data["points"],
            comment=data["comment"],
            confirm=confirm,
            actor=request.user,
        ),
        {"points": data["points"], "comment": data["comment"]},
        _("Đã giữ điểm tự chấm.") if confirm else _("Đã lưu điểm vòng 1."),
    )


@login_required
@require_POST
def explanation_request(request, entry_id):
    entry = access.require_entry_appraise(request.user, entry_id)
    form = TextForm(request.POST)
    if not form.is_valid():
        return _row_response(request, entry, error=_("Dữ liệu gửi lên không hợp lệ; hãy tải lại trang."))
    data = form.cleaned_data
    return _run(
        request,
        entry,
        lambda: services.entry_explanation_request(
            entry_id=entry.pk, version=data["version"], text=data["text"], actor=request.user
        ),
        {"text": data["text"]},
        _("Đã gửi yêu cầu giải trình cho đơn vị."),
    )


@login_required
@require_POST
def round2(request, entry_id):
    entry = access.require_entry_appraise(request.user, entry_id)
    form = PointsForm(request.POST)
    if not form.is_valid():
        return _row_response(request, entry, error=_("Dữ liệu gửi lên không hợp lệ; hãy tải lại trang."))
    data = form.cleaned_data
    keep = data["action"] == "keep"
    return _run(
        request,
        entry,
        lambda: services.entry_round2_save(
            entry_id=entry.pk,
            version=data["version"],
            points=data["points"],
            comment=data["comment"],
            keep_round1=keep,
            actor=request.user,
        ),
        {"points": data["points"], "comment": data["comment"]},
        _("Đã giữ điểm vòng 1.") if keep else _("Đã lưu điểm vòng 2."),
    )


@login_required
@require_POST
def carry_over(request, assessment_id):
    assessment = access.require_appraiser_of(request.user, assessment_id)
    try:
        carried = services.round1_carry_over(assessment_id=assessment.pk, actor=request.user)
        messages.success(
            request,
            _("Đã giữ điểm vòng 1 cho %(count)s tiêu chí không có yêu cầu giải trình.") % {"count": len(carried)},
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(_messages_of(exc)) if isinstance(exc, ValidationError) else str(exc))
    return redirect("appraisals:grid", assessment_id=assessment.pk)


# --- explanations -------------------------------------------------------------------------------------------------


@login_required
@require_GET
def explanations(request, assessment_id):
    assessment = access.require_explanations_view(request.user, assessment_id)
    state = window_state(cycle=assessment.cycle, kind=WindowKind.EXPLANATION, unit=assessment.unit)
    can_answer = can_fill_in(request.user, assessment)
    context = {
        "assessment": assessment,
        "items": selectors.explanation_requests(assessment),
        "window": state,
        "can_answer": can_answer and state.is_open and assessment.status in services.COUNCIL_STATUSES,
        "is_unit": can_answer,
        "evidence_url": selectors.optional_url("assessments:documents", assessment.pk),
        "nav_active": NAV,
    }
    return render(request, "appraisals/explanations.html", context)


@login_required
@require_POST
def explanation_answer(request, entry_id):
    entry = access.require_explanation_answer(request.user, entry_id)
    form = TextForm(request.POST)
    error = saved = ""
    posted = {}
    if not form.is_valid():
        error = _("Dữ liệu gửi lên không hợp lệ; hãy tải lại trang.")
    else:
        posted = {"text": form.cleaned_data["text"]}
        try:
            services.entry_explanation_answer(
                entry_id=entry.pk,
                version=form.cleaned_data["version"],
                text=form.cleaned_data["text"],
                actor=request.user,
            )
            saved = _("Đã gửi giải trình.")
        except ConflictError as exc:
            error = exc.message
        except ValidationError as exc:
            error = " ".join(_messages_of(exc))
        except PermissionDenied as exc:
            error = str(exc)
    assessment = entry.assessment
    if request.htmx:
        entry = Entry.objects.select_related("node").get(pk=entry.pk)
        state = window_state(cycle=assessment.cycle, kind=WindowKind.EXPLANATION, unit=assessment.unit)
        assessment.refresh_from_db(fields=["status"])
        context = {
            "item": entry,
            "can_answer": state.is_open and assessment.status in services.COUNCIL_STATUSES,
            "error": error,
            "saved": saved,
            "posted": posted if error else {},
        }
        return render(request, "appraisals/_explanation.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, saved)
    return redirect("appraisals:explanations", assessment_id=assessment.pk)


# --- the council's review of one unit -----------------------------------------------------------------------------


@login_required
@require_GET
def review(request, assessment_id):
    assessment = access.require_appraisal_read(request.user, assessment_id)
    user = request.user
    data = selectors.council_review(assessment)
    is_chair = access.is_chair(user, assessment.cycle, assessment.unit)
    seat = access.active_seat(user, assessment.cycle_id)
    state = window_state(cycle=assessment.cycle, kind=WindowKind.COUNCIL, unit=assessment.unit)
    open_for_votes = state.is_open and assessment.status in services.COUNCIL_STATUSES
    context = {
        "assessment": assessment,
        **data,
        "window": state,
        "is_chair": is_chair,
        "seat": seat,
        "can_vote_all": open_for_votes and is_chair,
        "can_vote_own": open_for_votes and seat is not None,
        "can_confirm": open_for_votes and is_chair,
        "can_reopen": assessment.status == AssessmentStatus.CONFIRMED
        and access.is_cycle_manager(user, assessment.cycle),
        "vote_form": VoteForm(),
        "reopen_form": ReopenForm(),
        "nav_active": NAV,
    }
    return render(request, "appraisals/review.html", context)


@login_required
@require_POST
def vote(request, assessment_id):
    form = VoteForm(request.POST)
    if not form.is_valid():
        access.require_appraisal_read(request.user, assessment_id)
        messages.error(request, _("Hãy chọn thành viên và biểu quyết."))
        return redirect("appraisals:review", assessment_id=assessment_id)
    assessment, member = access.require_vote(request.user, assessment_id, form.cleaned_data["member"])
    try:
        services.vote_record(
            assessment_id=assessment.pk,
            member_id=member.pk,
            choice=form.cleaned_data["choice"],
            comment=form.cleaned_data["comment"],
            actor=request.user,
        )
        messages.success(request, _("Đã ghi biểu quyết của %(name)s.") % {"name": member.user.display_name})
    except ValidationError as exc:
        messages.error(request, " ".join(_messages_of(exc)))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect("appraisals:review", assessment_id=assessment.pk)


@login_required
@require_POST
def confirm(request, assessment_id):
    assessment = access.require_chair(request.user, assessment_id)
    try:
        services.assessment_confirm(assessment_id=assessment.pk, actor=request.user)
        messages.success(request, _("Hội đồng đã xác nhận kết quả thẩm định của %(unit)s.") % {"unit": assessment.unit})
    except ValidationError as exc:
        messages.error(request, " ".join(_messages_of(exc)))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect("appraisals:review", assessment_id=assessment.pk)


@login_required
@require_POST
def reopen(request, assessment_id):
    assessment = access.require_reopen(request.user, assessment_id)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Hãy nhập lý do mở lại."))
        return redirect("appraisals:review", assessment_id=assessment.pk)
    try:
        services.assessment_reopen(assessment_id=assessment.pk, reason=form.cleaned_data["reason"], actor=request.user)
        messages.success(request, _("Đã mở lại kết quả thẩm định; Hội đồng cần xác nhận lại."))
    except ValidationError as exc:
        messages.error(request, " ".join(_messages_of(exc)))
    return redirect("appraisals:review", assessment_id=assessment.pk)


@login_required
@require_GET
def overview(request, cycle_id):
    cycle = access.require_council_view(request.user, cycle_id)
    context = {
        "cycle": cycle,
        "rows": selectors.council_overview(cycle),
        "window": window_state(cycle=cycle, kind=WindowKind.COUNCIL),
        "nav_active": NAV,
    }
    return render(request, "appraisals/overview.html", context)


# --- history ------------------------------------------------------------------------------------------------------


@login_required
@require_GET
def entry_history(request, entry_id):
    entry = access.require_entry_read(request.user, entry_id)
    entry = Entry.objects.select_related(
        "node", "assessment__unit", "assessment__cycle", "round1_by", "round2_by", "self_updated_by"
    ).get(pk=entry.pk)
    context = {
        "entry": entry,
        "assessment": entry.assessment,
        "changes": selectors.entry_history(entry),
        "can_read_appraisal": access.can_read_appraisal(request.user, entry.assessment),
        "nav_active": NAV,
    }
    return render(request, "appraisals/entry_history.html", context)
