"""Report pages: ask for a report (it runs as a job), follow its progress, download the file; history; the cycle's
jobs for its managers; the Word templates of an assessing body. Files leave only through here, as attachments."""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parindex.cycles.access import can_manage_cycle

from . import access, selectors, services
from .forms import ReportRequestForm, TemplateUploadForm
from .registry import CONTENT_TYPES, DOCX, ReportError

NAV = "reports"
PAGE_SIZE = 25


def _attachment(handle, *, filename: str, content_type: str) -> FileResponse:
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def report_list(request):
    """The form to ask for a report, the user's latest reports and, for managers, links to their cycles' jobs."""
    access.require_reports(request.user)
    cycles = access.report_cycles(request.user)
    if request.method == "POST":
        form = ReportRequestForm(request.user, cycles, data=request.POST)
        if form.is_valid():
            data = form.cleaned_data
            access.require_report_request(
                request.user, cycle=data["cycle"], kind=data["kind"], unit=data.get("unit"), group=data.get("group")
            )
            try:
                job = services.report_request(
                    kind=data["kind"],
                    fmt=data["format"],
                    cycle=data["cycle"],
                    unit=data.get("unit"),
                    group=data.get("group"),
                    actor=request.user,
                )
            except ReportError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("reports:job", job.pk)
    else:
        form = ReportRequestForm(request.user, cycles, initial=request.GET.dict())
    return render(
        request,
        "reports/list.html",
        {
            "nav_active": NAV,
            "form": form,
            "recent": selectors.jobs_of(request.user)[:10],
            "managed_cycles": [c for c in cycles if can_manage_cycle(request.user, c)],
            "can_manage_templates": access.can_manage_templates(request.user),
        },
    )


@login_required
@require_GET
def report_mine(request):
    """Báo cáo của tôi: every report the user asked for, newest first."""
    access.require_login(request.user)
    page = Paginator(selectors.jobs_of(request.user), PAGE_SIZE).get_page(request.GET.get("trang"))
    return render(request, "reports/mine.html", {"nav_active": NAV, "page": page, "jobs": page.object_list})


@login_required
@require_GET
def report_cycle_jobs(request, cycle_id: int):
    """Every report of a cycle, for its managers."""
    cycle = access.require_cycle_jobs(request.user, cycle_id)
    page = Paginator(selectors.cycle_jobs(cycle), PAGE_SIZE).get_page(request.GET.get("trang"))
    return render(
        request,
        "reports/cycle_jobs.html",
        {"nav_active": NAV, "cycle": cycle, "page": page, "jobs": page.object_list},
    )


@login_required
@require_GET
def report_job(request, pk: int):
    job = access.require_job(request.user, pk)
    return render(request, "reports/job.html", {"nav_active": NAV, "job": job})


@login_required
@require_GET
def report_job_state(request, pk: int):
    """The state fragment the job page polls (htmx) while the job is queued or running."""
    job = access.require_job(request.user, pk)
    return render(request, "reports/_job_state.html", {"job": job})


@login_required
@require_GET
def report_download(request, pk: int):
    job = access.require_job_file(request.user, pk)
    try:
        handle = job.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404(_("Không tìm thấy tệp báo cáo trên máy chủ.")) from None
    return _attachment(handle, filename=job.filename or job.file.name.rsplit("/", 1)[-1], content_type=_type(job))


def _type(job) -> str:
    return CONTENT_TYPES.get(job.format, "application/octet-stream")


# --- Word templates ------------------------------------------------------------------------------------------------


def _templates_page(request, owner, *, errors: dict | None = None, status: int = 200):
    rows = selectors.template_rows(owner)
    for row in rows:
        row["errors"] = (errors or {}).get(row["kind"], [])
    return render(
        request,
        "reports/templates.html",
        {
            "nav_active": NAV,
            "owner": owner,
            "owners": access.template_owners(request.user),
            "rows": rows,
        },
        status=status,
    )


def _back_to_templates(owner):
    return redirect(f"{reverse('reports:templates')}?co_quan={owner.pk}")


@login_required
@require_GET
def template_list(request):
    owner = access.require_template_owner(request.user, request.GET.get("co_quan"))
    return _templates_page(request, owner)


@login_required
@require_POST
def template_upload(request, owner_id: int, kind: str):
    owner, kind = access.require_template_manage(request.user, owner_id, kind)
    from .doc_templates import document_template_upload

    form = TemplateUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _templates_page(request, owner, errors={kind: [e for es in form.errors.values() for e in es]})
    try:
        template = document_template_upload(
            owner=owner, kind=kind, upload=form.cleaned_data["file"], actor=request.user
        )
    except ValidationError as exc:
        return _templates_page(request, owner, errors={kind: list(exc.messages)})
    messages.success(
        request, _("Đã dùng mẫu “%(name)s” cho “%(kind)s”.") % {"name": template.original_name, "kind": _label(kind)}
    )
    return _back_to_templates(owner)


@login_required
@require_POST
def template_reset(request, owner_id: int, kind: str):
    owner, kind = access.require_template_manage(request.user, owner_id, kind)
    from .doc_templates import document_template_reset

    try:
        document_template_reset(owner=owner, kind=kind, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("“%(kind)s” dùng lại mẫu gốc.") % {"kind": _label(kind)})
    return _back_to_templates(owner)


@login_required
@require_GET
def template_download(request, owner_id: int, kind: str):
    """The template in use by the body (its own upload, or the shipped one)."""
    owner, kind = access.require_template_manage(request.user, owner_id, kind)
    from .doc_templates import template_bytes
    from .models import DocumentTemplate

    current = DocumentTemplate.objects.filter(owner=owner, kind=kind, active=True).first()
    try:
        content = template_bytes(owner=owner, kind=kind)
    except ReportError as exc:
        raise Http404(str(exc)) from None
    return _attachment(
        io.BytesIO(content), filename=selectors.current_filename(current, kind), content_type=CONTENT_TYPES[DOCX]
    )


@login_required
@require_GET
def template_shipped(request, kind: str):
    """The template shipped with parindex."""
    kind = access.require_template_kind(request.user, kind)
    from .doc_templates import shipped_template

    return _attachment(
        io.BytesIO(shipped_template(kind)), filename=selectors.shipped_filename(kind), content_type=CONTENT_TYPES[DOCX]
    )


def _label(kind: str) -> str:
    from .registry import SPECS

    return str(SPECS[kind].label)
