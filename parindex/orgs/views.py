"""Pages of the registry: units (list, search, detail, Excel import/export) and unit groups."""

import time
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, prefetch_related_objects
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import access, imports, selectors, services
from .forms import GroupForm, UnitImportForm, UnitSearchForm
from .models import UnitGroup, UnitKind

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORT_TTL_SECONDS = 24 * 3600
SESSION_IMPORTS = "orgs_pending_imports"


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- units ---------------------------------------------------------------------------------------------------------


@login_required
@require_GET
def unit_list(request):
    access.require_registry_read(request.user)
    form = UnitSearchForm(request.GET or None)
    q, kind, on = "", "", timezone.localdate()
    if form.is_valid():
        q = form.cleaned_data["q"].strip()
        kind = form.cleaned_data["kind"]
        on = None if form.cleaned_data["all_periods"] else (form.cleaned_data["on"] or on)
    if not q and not kind:
        kind = UnitKind.PROVINCE  # by default: the provinces in force
    units = selectors.unit_search(q=q, kind=kind or None, on=on)
    page = Paginator(units, PAGE_SIZE).get_page(request.GET.get("page"))
    prefetch_related_objects(page.object_list, "parent")
    context = {"form": form, "page": page, "q": q, "on": on, "nav_active": "units"}
    template = "orgs/unit_list.html#results" if request.htmx else "orgs/unit_list.html"
    return render(request, template, context)


@login_required
@require_GET
def unit_detail(request, pk):
    unit = access.require_unit(request.user, pk)
    context = {
        "unit": unit,
        "ancestors": selectors.unit_ancestors(unit),
        "children": selectors.unit_children(unit).select_related("parent"),
        "aliases": unit.aliases.order_by("valid_from", "name"),
        "predecessors": selectors.unit_predecessors(unit),
        "successors": selectors.unit_successors(unit),
        "groups": unit.unit_groups.order_by("code"),
        "can_manage": access.has_role_for_unit(request.user, unit, access.MANAGER_ROLES),
        "nav_active": "units",
    }
    return render(request, "orgs/unit_detail.html", context)


@login_required
@require_GET
def import_template(request):
    access.require_registry_read(request.user)
    return _xlsx_response(imports.units_template_xlsx(), "mau-nhap-don-vi.xlsx")


@login_required
@require_GET
def unit_export(request, pk):
    unit = access.require_unit_manage(request.user, access.require_unit(request.user, pk))
    return _xlsx_response(imports.units_export_xlsx(root=unit), f"don-vi-{unit.code}.xlsx")


def _imports_dir() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _forget_stale_uploads(folder: Path) -> None:
    cutoff = time.time() - IMPORT_TTL_SECONDS
    for old in folder.glob("*.xlsx"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass


@login_required
@require_http_methods(["GET", "POST"])
def unit_import(request, pk):
    """Upload → check every row (nothing written) → preview; the file waits under MEDIA_ROOT/imports for confirm."""
    unit = access.require_unit_manage(request.user, access.require_unit(request.user, pk))
    form = UnitImportForm(request.POST or None, request.FILES or None)
    context = {"unit": unit, "form": form, "nav_active": "units"}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = imports.units_import_xlsx(file=upload, root=unit, actor=request.user, dry_run=True)
        context["result"] = result
        if result.ok:
            folder = _imports_dir()
            _forget_stale_uploads(folder)
            token = uuid.uuid4().hex
            upload.seek(0)
            (folder / f"{token}.xlsx").write_bytes(upload.read())
            pending = request.session.get(SESSION_IMPORTS, {})
            pending[token] = {"unit": unit.pk, "name": Path(upload.name).name[:200]}
            request.session[SESSION_IMPORTS] = pending
            context["token"] = token
    return render(request, "orgs/unit_import.html", context)


@login_required
@require_POST
def unit_import_confirm(request, pk):
    unit = access.require_unit_manage(request.user, access.require_unit(request.user, pk))
    token = request.POST.get("token", "")
    pending = request.session.get(SESSION_IMPORTS, {})
    entry = pending.get(token)
    path = _imports_dir() / f"{token}.xlsx"
    if not entry or entry.get("unit") != unit.pk or not token.isalnum() or not path.is_file():
        messages.error(request, _("Tệp đã tải lên không còn (đã nhập hoặc quá hạn); hãy tải lên lại."))
        return redirect("orgs:unit_import", pk=unit.pk)
    file = _NamedBytes(path.read_bytes(), entry.get("name", ""))
    reason = _("Nhập từ Excel: %(file)s") % {"file": file.name}
    result = imports.units_import_xlsx(file=file, root=unit, actor=request.user, dry_run=False, reason=reason)
    if not result.applied:
        context = {"unit": unit, "form": UnitImportForm(), "result": result, "nav_active": "units"}
        return render(request, "orgs/unit_import.html", context)
    pending.pop(token, None)
    request.session[SESSION_IMPORTS] = pending
    path.unlink(missing_ok=True)
    counts = result.counts
    messages.success(
        request,
        _("Đã nhập: tạo mới %(created)s, cập nhật %(updated)s, không đổi %(unchanged)s đơn vị.") % counts,
    )
    return redirect("orgs:unit_detail", pk=unit.pk)


class _NamedBytes:
    """The stored upload, read back with its original file name."""

    def __init__(self, data: bytes, name: str):
        self._data = data
        self.name = name

    def read(self) -> bytes:
        return self._data


# --- unit groups ---------------------------------------------------------------------------------------------------


@login_required
@require_GET
def group_list(request):
    access.require_registry_read(request.user)
    groups = UnitGroup.objects.select_related("owner").annotate(unit_count=Count("units"))
    groups = groups.order_by("-is_active", "code")
    page = Paginator(groups, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "orgs/group_list.html", {"page": page, "nav_active": "units"})


@login_required
@require_GET
def group_detail(request, pk):
    group = access.require_group(request.user, pk)
    context = {
        "group": group,
        "members": group.units.select_related("parent").order_by("path"),
        "can_manage": access.can_manage_group(request.user, group),
        "nav_active": "units",
    }
    return render(request, "orgs/group_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def group_edit(request, pk):
    group = access.require_group_manage(request.user, access.require_group(request.user, pk))
    initial = {
        "name": group.name,
        "description": group.description,
        "unit_codes": "\n".join(group.units.order_by("path").values_list("code", flat=True)),
    }
    form = GroupForm(request.POST or None, initial=initial, group=group)
    if request.method == "POST" and form.is_valid():
        try:
            services.group_update(
                group=group,
                actor=request.user,
                name=form.cleaned_data["name"].strip(),
                description=form.cleaned_data["description"].strip(),
                units=form.cleaned_data["unit_codes"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Đã lưu nhóm đơn vị “%(name)s”.") % {"name": form.cleaned_data["name"]})
            return redirect("orgs:group_detail", pk=group.pk)
    return render(request, "orgs/group_form.html", {"group": group, "form": form, "nav_active": "units"})
