"""Pages of the self-assessment: the list, the grid (each row saved as it is edited, through htmx), evidence,
the leader's workflow, submissions and their XLSX. Every view calls an access helper first."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parindex.core.exceptions import ConflictError, WindowClosedError
from parindex.core.files import SizeLimitUploadHandler, max_upload_bytes, too_large_message
from parindex.cycles.models import Cycle, WindowKind
from parindex.cycles.windows import windows_overview

from . import access, exports, forms, selectors, services
from .models import EDITABLE_STATUSES, AssessmentStatus, Submission

NAV = "assessments"
WINDOWS_TEMPLATE = "cycles/_windows.html"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _messages_of(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [str(m) for ms in exc.message_dict.values() for m in ms]
    return [str(m) for m in exc.messages]


def _windows_template() -> str | None:
    """The cycles app's window strip, when it exists."""
    try:
        get_template(WINDOWS_TEMPLATE)
    except TemplateDoesNotExist:
        return None
    return WINDOWS_TEMPLATE


# --- the list ---------------------------------------------------------------------------------------------------


@login_required
@require_GET
def assessment_list(request):
    visible = access.assessments_visible(request.user)
    cycle_id = request.GET.get("dot") or None
    if cycle_id and not str(cycle_id).isdigit():
        cycle_id = None
    status = request.GET.get("trang-thai", "")
    if status not in AssessmentStatus.values:
        status = ""
    query = request.GET.get("q", "").strip()[:100]
    qs = selectors.assessment_list(visible, cycle_id=cycle_id, status=status, query=query)
    page = Paginator(qs, 50).get_page(request.GET.get("trang"))
    items = list(page.object_list)
    cycles = {a.cycle_id: a.cycle for a in items}
    deadlines = {}
    for cycle in cycles.values():
        states = {s.kind: s for s in windows_overview(cycle=cycle)}
        deadlines[cycle.pk] = (states[WindowKind.SELF_ASSESSMENT], states[WindowKind.SUPPLEMENTARY])
    for item in items:
        item.self_window, item.supplementary_window = deadlines[item.cycle_id]
    context = {
        "page": page,
        "items": items,
        "cycles": Cycle.objects.filter(pk__in=visible.values("cycle_id")).order_by("-year", "name"),
        "statuses": AssessmentStatus.choices,
        "filters": {"dot": str(cycle_id or ""), "status": status, "q": query},
        "nav_active": NAV,
    }
    return render(request, "assessments/list.html", context)


# --- the grid ---------------------------------------------------------------------------------------------------


def _flags(user, assessment) -> dict:
    """What this user may do on this report now, and why not."""
    states = windows_overview(cycle=assessment.cycle, unit=assessment.unit)
    by_kind = {s.kind: s for s in states}
    self_state = by_kind[WindowKind.SELF_ASSESSMENT]
    can_fill = access.can_fill_in(user, assessment)
    can_lead = access.can_lead(user, assessment)
    status_editable = assessment.status in EDITABLE_STATUSES
    editable = can_fill and status_editable and self_state.is_open
    reason = ""
    if not can_fill:
        reason = _("Bạn đang xem bản tự đánh giá này; chỉ cán bộ, lãnh đạo của đơn vị mới được cập nhật.")
    elif not status_editable:
        try:
            services.require_editable(assessment)
        except ValidationError as exc:
            reason = " ".join(_messages_of(exc))
    elif not self_state.is_open:
        reason = self_state.message
    evidence_kind = services.evidence_window(assessment)
    evidence_state = by_kind.get(evidence_kind) if evidence_kind else None
    can_add_evidence = bool(can_fill and evidence_state is not None and evidence_state.is_open)
    window_open = self_state.is_open
    return {
        "windows": states,
        "self_window": self_state,
        "evidence_window": evidence_state,
        "can_fill": can_fill,
        "can_lead": can_lead,
        "editable": editable,
        "readonly_reason": reason,
        "can_add_evidence": can_add_evidence,
        "can_remove_evidence": editable,
        "can_send_for_review": can_fill and window_open and services.can_transition(assessment, "send_for_review"),
        "can_return": can_lead and window_open and services.can_transition(assessment, "return"),
        "can_submit": can_lead and window_open and services.can_transition(assessment, "submit"),
        "can_withdraw": can_lead and window_open and services.can_transition(assessment, "withdraw"),
    }


def _grid_context(request, assessment, *, the_grid=None, flags=None, **extra) -> dict:
    the_grid = the_grid or selectors.grid(assessment)
    flags = flags or _flags(request.user, assessment)
    latest = assessment.submissions.order_by("-number").select_related("submitted_by").first()
    return {
        "assessment": assessment,
        "grid": the_grid,
        "flags": flags,
        "latest_submission": latest,
        "windows_template": _windows_template(),
        "narrative_form": forms.NarrativeForm(
            initial={
                "difficulties": assessment.difficulties,
                "proposals": assessment.proposals,
                "version": assessment.version,
            }
        ),
        "reason_form": forms.ReasonForm(),
        "nav_active": NAV,
        **extra,
    }


@login_required
@require_GET
def assessment_grid(request, pk):
    assessment = access.require_assessment_view(request.user, pk)
    return render(request, "assessments/grid.html", _grid_context(request, assessment))


def _row_response(request, assessment, entry_id, *, the_grid=None, flags=None, **row_state):
    """The row re-rendered (with its new version), and the totals, progress and missing-evidence list out of band."""
    the_grid = the_grid or selectors.grid(assessment)
    row = the_grid.row_for(entry_id)
    if row is None:
        raise Http404(_("Không tìm thấy tiêu chí trong bản tự đánh giá này."))
    for name, value in row_state.items():
        setattr(row, name, value)
    context = _grid_context(request, assessment, the_grid=the_grid, flags=flags)
    context.update(row=row, ancestors=the_grid.ancestors_of(row))
    return render(request, "assessments/_row_response.html", context)


def _closed_response(request, assessment, message: str):
    """A write refused because its window closed: the whole grid comes back read-only with the reason."""
    context = _grid_context(request, assessment, closed_message=message)
    response = render(request, "assessments/grid.html#grid-body", context)
    response["HX-Retarget"] = "#grid"
    response["HX-Reswap"] = "outerHTML"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def entry_row(request, pk, entry_id):
    """GET: the row as stored (after a conflict, "keep the new value"). POST: save the row (htmx, on change)."""
    if request.method == "GET":
        assessment = access.require_assessment_view(request.user, pk)
        return _row_response(request, assessment, entry_id)
    assessment = access.require_assessment_fill(request.user, pk)
    form = forms.RowForm(request.POST)
    if not form.is_valid():
        errors = [f"{form.fields[f].label or f}: {' '.join(e)}" for f, e in form.errors.items()]
        return _row_response(request, assessment, entry_id, error=" ".join(errors) or _("Dữ liệu không hợp lệ."))
    trigger = request.htmx.trigger_name if request.htmx else None
    entry = assessment.entries.select_related("node").filter(pk=entry_id).first()
    if entry is None:
        raise Http404(_("Không tìm thấy tiêu chí trong bản tự đánh giá này."))
    values = {}
    if form.has_declared() and trigger in (None, "", "declared"):
        spec, _text, _error = selectors.input_of(entry.node)
        values["declared"] = forms.declared_from_text(spec, form.cleaned_data["declared"])
    if form.has_explanation() and trigger in (None, "", "explanation"):
        values["explanation"] = form.cleaned_data["explanation"]
    typed = {
        "declared": form.cleaned_data.get("declared", ""),
        "explanation": form.cleaned_data.get("explanation", ""),
    }
    try:
        services.entry_self_save(
            entry_id=entry_id,
            version=form.cleaned_data["version"],
            actor=request.user,
            assessment_id=assessment.pk,
            **values,
        )
    except WindowClosedError as exc:
        return _closed_response(request, assessment, exc.message)
    except ConflictError as exc:
        mine = {**typed, "version": (exc.current or {}).get("version", "")}
        return _row_response(
            request,
            assessment,
            entry_id,
            conflict={"message": exc.message, "current": exc.current or {}, "mine": typed},
            mine_json=json.dumps(mine, ensure_ascii=False),
        )
    except ValidationError as exc:
        return _row_response(request, assessment, entry_id, error=" ".join(_messages_of(exc)), typed=typed)
    except PermissionDenied as exc:
        return _row_response(request, assessment, entry_id, error=str(exc))
    return _row_response(request, assessment, entry_id, saved=True)


# --- evidence ---------------------------------------------------------------------------------------------------


@login_required
@require_GET
def evidence_panel(request, pk, entry_id):
    """The attach panel of one row: upload, link, or reuse a document of the same report (loaded on demand)."""
    assessment = access.require_assessment_fill(request.user, pk)
    the_grid = selectors.grid(assessment)
    row = the_grid.row_for(entry_id)
    if row is None:
        raise Http404(_("Không tìm thấy tiêu chí trong bản tự đánh giá này."))
    attached = {link.evidence_id for link in row.links}
    reusable = [d for d in selectors.documents(assessment, include_withdrawn=False) if d.pk not in attached]
    context = {
        "assessment": assessment,
        "row": row,
        "reusable": reusable,
        "upload_form": forms.EvidenceUploadForm(auto_id=f"up-{entry_id}-%s"),
        "link_form": forms.EvidenceLinkForm(auto_id=f"ln-{entry_id}-%s"),
        "max_size": max_upload_bytes(),
    }
    return render(request, "assessments/_evidence_panel.html", context)


def _after_evidence(request, assessment, entry_id, *, error: str = "", notice: str = ""):
    """htmx from a row: the row again (with the message); otherwise back to where the user was."""
    if request.htmx and entry_id:
        return _row_response(
            request, assessment, int(entry_id), evidence_error=error, evidence_notice=notice, panel_open=bool(error)
        )
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    target = reverse("assessments:grid", args=[assessment.pk])
    if request.POST.get("next") == "documents":
        target = reverse("assessments:documents", args=[assessment.pk])
    return HttpResponseRedirect(target)


def _entry_id(request, *, body: bool = True):
    """The row an evidence action comes from: in the query string (readable before the body), or a form field."""
    value = request.GET.get("entry") or (request.POST.get("entry", "") if body else "")
    return int(value) if value.isdigit() else None


@csrf_exempt
@login_required
@require_POST
def evidence_upload(request, pk):
    """Upload a document. Access is checked and the declared size refused before the body is read; the size-limit
    handler is installed before the CSRF check reads it, so that a 2 GB upload is never written anywhere."""
    assessment = access.require_assessment_fill(request.user, pk)
    limit = max_upload_bytes()
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit + 1024 * 1024:
        # Refused on the declared length: the body is never read.
        entry_id = _entry_id(request, body=False)
        if request.htmx and entry_id:
            return _row_response(request, assessment, entry_id, evidence_error=too_large_message())
        if request.htmx:
            return HttpResponse(too_large_message(), status=413)
        messages.error(request, too_large_message())
        return HttpResponseRedirect(reverse("assessments:grid", args=[assessment.pk]))
    request.upload_handlers.insert(0, SizeLimitUploadHandler(request, limit))
    return _evidence_upload(request, assessment)


@csrf_protect
def _evidence_upload(request, assessment):
    entry_id = _entry_id(request)
    if getattr(request, "upload_too_large", False):
        return _after_evidence(request, assessment, entry_id, error=too_large_message())
    form = forms.EvidenceUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        errors = [f"{form.fields[f].label if f in form.fields else ''}: {' '.join(e)}" for f, e in form.errors.items()]
        return _after_evidence(request, assessment, entry_id, error=" ".join(errors))
    try:
        evidence = services.evidence_upload(
            assessment=assessment,
            upload=form.cleaned_data["file"],
            actor=request.user,
            title=form.cleaned_data["title"],
            number=form.cleaned_data["number"],
            issued_on=form.cleaned_data["issued_on"],
            entry_id=entry_id,
        )
    except WindowClosedError as exc:
        if request.htmx and entry_id:
            return _closed_response(request, assessment, exc.message)
        return _after_evidence(request, assessment, None, error=exc.message)
    except (ValidationError, PermissionDenied) as exc:
        text = " ".join(_messages_of(exc)) if isinstance(exc, ValidationError) else str(exc)
        return _after_evidence(request, assessment, entry_id, error=text)
    return _after_evidence(request, assessment, entry_id, notice=_("Đã tải lên “%(t)s”.") % {"t": evidence.title})


@login_required
@require_POST
def evidence_link(request, pk):
    assessment = access.require_assessment_fill(request.user, pk)
    entry_id = _entry_id(request)
    form = forms.EvidenceLinkForm(request.POST)
    if not form.is_valid():
        errors = [f"{form.fields[f].label if f in form.fields else ''}: {' '.join(e)}" for f, e in form.errors.items()]
        return _after_evidence(request, assessment, entry_id, error=" ".join(errors))
    try:
        evidence = services.evidence_link_add(
            assessment=assessment, actor=request.user, entry_id=entry_id, **form.cleaned_data
        )
    except WindowClosedError as exc:
        if request.htmx and entry_id:
            return _closed_response(request, assessment, exc.message)
        return _after_evidence(request, assessment, None, error=exc.message)
    except (ValidationError, PermissionDenied) as exc:
        text = " ".join(_messages_of(exc)) if isinstance(exc, ValidationError) else str(exc)
        return _after_evidence(request, assessment, entry_id, error=text)
    return _after_evidence(request, assessment, entry_id, notice=_("Đã thêm liên kết “%(t)s”.") % {"t": evidence.title})


def _evidence_action(request, assessment, entry_id, action, notice):
    try:
        action()
    except WindowClosedError as exc:
        if request.htmx and entry_id:
            return _closed_response(request, assessment, exc.message)
        return _after_evidence(request, assessment, None, error=exc.message)
    except (ValidationError, PermissionDenied) as exc:
        text = " ".join(_messages_of(exc)) if isinstance(exc, ValidationError) else str(exc)
        return _after_evidence(request, assessment, entry_id, error=text)
    return _after_evidence(request, assessment, entry_id, notice=notice)


@login_required
@require_POST
def evidence_attach(request, pk, entry_id):
    assessment = access.require_assessment_fill(request.user, pk)
    evidence_id = request.POST.get("evidence", "")
    if not evidence_id.isdigit():
        return _after_evidence(request, assessment, entry_id, error=_("Hãy chọn tài liệu cần dùng lại."))
    return _evidence_action(
        request,
        assessment,
        entry_id,
        lambda: services.evidence_attach(
            assessment=assessment, entry_id=entry_id, evidence_id=int(evidence_id), actor=request.user
        ),
        _("Đã gắn tài liệu vào tiêu chí."),
    )


@login_required
@require_POST
def evidence_detach(request, pk, entry_id, evidence_id):
    assessment = access.require_assessment_fill(request.user, pk)
    return _evidence_action(
        request,
        assessment,
        entry_id,
        lambda: services.evidence_detach(
            assessment=assessment, entry_id=entry_id, evidence_id=evidence_id, actor=request.user
        ),
        _("Đã bỏ tài liệu khỏi tiêu chí."),
    )


@login_required
@require_POST
def evidence_withdraw(request, pk, evidence_id):
    assessment = access.require_assessment_fill(request.user, pk)
    return _evidence_action(
        request,
        assessment,
        None,
        lambda: services.evidence_withdraw(
            assessment=assessment, evidence_id=evidence_id, actor=request.user, reason=request.POST.get("reason", "")
        ),
        _("Đã gỡ tài liệu; tài liệu vẫn được lưu nhưng không còn được tính là tài liệu kiểm chứng."),
    )


@login_required
@require_GET
def documents(request, pk):
    assessment = access.require_assessment_view(request.user, pk)
    context = {
        "assessment": assessment,
        "documents": selectors.documents(assessment),
        "flags": _flags(request.user, assessment),
        "upload_form": forms.EvidenceUploadForm(),
        "link_form": forms.EvidenceLinkForm(),
        "max_size": max_upload_bytes(),
        "nav_active": NAV,
    }
    return render(request, "assessments/documents.html", context)


@login_required
@require_GET
def evidence_download(request, evidence_id):
    """Only through here, for people who may see the report; always as an attachment, never rendered inline."""
    evidence = access.require_evidence_download(request.user, evidence_id)
    if evidence.kind == "link":
        if not evidence.url.startswith(("http://", "https://")):
            raise Http404(_("Tài liệu không có tệp."))
        return HttpResponseRedirect(evidence.url)
    if not evidence.file:
        raise Http404(_("Tài liệu không có tệp."))
    try:
        handle = evidence.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404(_("Không tìm thấy tệp của tài liệu trên máy chủ.")) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.original_name or "tai-lieu",
        content_type=evidence.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- workflow ---------------------------------------------------------------------------------------------------


def _back(assessment):
    return redirect("assessments:grid", pk=assessment.pk)


def _workflow(request, assessment, action, success: str):
    try:
        action()
    except (ValidationError, PermissionDenied) as exc:
        for message in _messages_of(exc) if isinstance(exc, ValidationError) else [str(exc)]:
            messages.error(request, message)
        return _back(assessment)
    messages.success(request, success)
    return _back(assessment)


@login_required
@require_POST
def send_for_review(request, pk):
    assessment = access.require_assessment_fill(request.user, pk)
    return _workflow(
        request,
        assessment,
        lambda: services.assessment_send_for_review(assessment=assessment, actor=request.user),
        _("Đã trình lãnh đạo đơn vị duyệt."),
    )


@login_required
@require_POST
def return_to_officers(request, pk):
    assessment = access.require_assessment_lead(request.user, pk)
    form = forms.ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Hãy ghi lý do trả lại để cán bộ biết cần sửa gì."))
        return _back(assessment)
    return _workflow(
        request,
        assessment,
        lambda: services.assessment_return(
            assessment=assessment, actor=request.user, reason=form.cleaned_data["reason"]
        ),
        _("Đã trả lại bản tự đánh giá cho cán bộ."),
    )


@login_required
@require_POST
def submit(request, pk):
    assessment = access.require_assessment_lead(request.user, pk)
    try:
        submission = services.assessment_submit(assessment=assessment, actor=request.user)
    except ValidationError as exc:
        problems = exc.message_dict.get("entries") if hasattr(exc, "error_dict") else None
        if problems:
            assessment = access.require_assessment_view(request.user, pk)
            context = _grid_context(request, assessment, submit_problems=problems)
            return render(request, "assessments/grid.html", context, status=200)
        for message in _messages_of(exc):
            messages.error(request, message)
        return _back(assessment)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return _back(assessment)
    messages.success(
        request,
        _("Đã gửi bản tự đánh giá (lần %(n)s); bản đã gửi được lưu nguyên trạng và có thể tải về dạng Excel.")
        % {"n": submission.number},
    )
    return _back(assessment)


@login_required
@require_POST
def withdraw(request, pk):
    assessment = access.require_assessment_lead(request.user, pk)
    return _workflow(
        request,
        assessment,
        lambda: services.assessment_withdraw(
            assessment=assessment, actor=request.user, reason=request.POST.get("reason", "")
        ),
        _("Đã rút lại bản đã gửi; đơn vị có thể sửa và gửi lại trong thời hạn tự đánh giá."),
    )


@login_required
@require_POST
def narrative(request, pk):
    assessment = access.require_assessment_fill(request.user, pk)
    form = forms.NarrativeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nội dung không hợp lệ (quá dài?)."))
        return _back(assessment)
    try:
        services.assessment_narrative_save(assessment=assessment, actor=request.user, **form.cleaned_data)
    except ConflictError as exc:
        messages.error(request, exc.message)
        return _back(assessment)
    except (ValidationError, PermissionDenied) as exc:
        for message in _messages_of(exc) if isinstance(exc, ValidationError) else [str(exc)]:
            messages.error(request, message)
        return _back(assessment)
    messages.success(request, _("Đã lưu phần khó khăn, vướng mắc và đề xuất, kiến nghị."))
    return _back(assessment)


# --- submissions and exports ------------------------------------------------------------------------------------


@login_required
@require_GET
def submission_list(request, pk):
    assessment = access.require_assessment_view(request.user, pk)
    context = {"assessment": assessment, "submissions": selectors.submissions(assessment), "nav_active": NAV}
    return render(request, "assessments/submissions.html", context)


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def submission_xlsx(request, pk, number):
    assessment = access.require_assessment_view(request.user, pk)
    try:
        submission = assessment.submissions.get(number=number)
    except Submission.DoesNotExist:
        raise Http404(_("Không tìm thấy bản đã gửi.")) from None
    return _xlsx(exports.submission_xlsx(submission), exports.submission_filename(submission))


@login_required
@require_GET
def grid_xlsx(request, pk):
    assessment = access.require_assessment_view(request.user, pk)
    return _xlsx(exports.grid_xlsx(assessment, actor=request.user), exports.grid_filename(assessment))
