"""Class-scheme pages (``/ket-qua/thang-xep-loai/``): index managers list, create, edit, attach, clone and retire
their schemes; the shipped ones are shown read-only. Access first, then a service (``schemes``)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parindex.core.exceptions import ConflictError
from parindex.frameworks.models import Framework
from parindex.orgs.access import MANAGER_ROLES, units_scope
from parindex.orgs.models import UnitGroup

from . import access, schemes
from .forms import BandFormSet, ClassSchemeForm
from .models import ClassScheme

NAV = "results"
FORMSET_PREFIX = "bands"


def _choices(user) -> dict:
    scope = units_scope(user, MANAGER_ROLES)
    return {
        "owners": access.target_owners(user),
        "frameworks": Framework.objects.filter(owner__in=scope, retired_at__isnull=True).order_by("name"),
        "groups": UnitGroup.objects.filter(owner__in=scope, is_active=True).order_by("name"),
    }


def _initial_bands(bands) -> list[dict]:
    return [
        {"order": i, "code": b["code"], "name": b["name"], "min": str(b["min"]).replace(".", ",")}
        for i, b in enumerate(bands, start=1)
    ]


def _errors_to_form(form: ClassSchemeForm, exc: ValidationError) -> list[str]:
    """Field errors go to the form; the bands' errors are returned to be shown above the bands table."""
    band_errors: list[str] = []
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return band_errors
    for field, errors in exc.message_dict.items():
        if field == "bands":
            band_errors += errors
        else:
            form.add_error(field if field in form.fields else None, errors)
    return band_errors


def _row(scheme: ClassScheme) -> dict:
    return {"scheme": scheme, "ranges": schemes.band_ranges(scheme.bands), "usage": schemes.scheme_usage(scheme)}


@require_GET
def scheme_list(request):
    access.require_scheme_manager(request.user)
    rows = [_row(s) for s in access.schemes_visible(request.user)]
    return render(
        request,
        "scoring/schemes.html",
        {"nav": NAV, "rows": rows, "owners": access.target_owners(request.user)},
    )


@require_http_methods(["GET", "POST"])
def scheme_create(request):
    access.require_scheme_manager(request.user)
    choices = _choices(request.user)
    form = ClassSchemeForm(request.POST or None, creating=True, **choices)
    formset = BandFormSet(
        request.POST or None,
        prefix=FORMSET_PREFIX,
        initial=None if request.POST else _initial_bands(schemes.default_bands()),
    )
    band_errors: list[str] = []
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        access.require_scheme_owner(request.user, data["owner"])
        access.require_scheme_attach(request.user, framework=data["framework"], group=data["group"])
        try:
            scheme = schemes.scheme_create(
                owner=data["owner"],
                name=data["name"],
                bands=[b for b in (f.band() for f in formset) if b],
                framework=data["framework"],
                group=data["group"],
                actor=request.user,
            )
        except ValidationError as exc:
            band_errors = _errors_to_form(form, exc)
        else:
            messages.success(request, _("Đã tạo thang xếp loại “%(name)s”.") % {"name": scheme.name})
            return redirect("scoring:schemes")
    return render(
        request,
        "scoring/schemes_form.html",
        {"nav": NAV, "form": form, "formset": formset, "band_errors": band_errors, "scheme": None},
    )


def _moment(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


@require_http_methods(["GET", "POST"])
def scheme_edit(request, pk: int):
    scheme = access.require_scheme(request.user, pk)
    read_only = scheme.builtin or scheme.retired_at is not None
    context = {
        "nav": NAV,
        "scheme": scheme,
        "read_only": read_only,
        "ranges": schemes.band_ranges(scheme.bands),
        "usage": schemes.scheme_usage(scheme),
        "owners": access.target_owners(request.user),
        "band_errors": [],
    }
    if read_only:
        if request.method == "POST":
            messages.error(request, _("Thang này chỉ đọc; hãy nhân bản để sửa."))
            return redirect("scoring:scheme_edit", scheme.pk)
        return render(request, "scoring/schemes_form.html", context)
    initial = {
        "name": scheme.name,
        "framework": scheme.framework_id,
        "group": scheme.group_id,
        "updated_at": scheme.updated_at.isoformat(),
    }
    form = ClassSchemeForm(request.POST or None, initial=initial, creating=False, **_choices(request.user))
    formset = BandFormSet(
        request.POST or None, prefix=FORMSET_PREFIX, initial=None if request.POST else _initial_bands(scheme.bands)
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        if (data["framework"] and data["framework"].pk != scheme.framework_id) or (
            data["group"] and data["group"].pk != scheme.group_id
        ):
            access.require_scheme_attach(request.user, framework=data["framework"], group=data["group"])
        try:
            schemes.scheme_update(
                scheme=scheme,
                actor=request.user,
                name=data["name"],
                bands=[b for b in (f.band() for f in formset) if b],
                framework=data["framework"],
                group=data["group"],
                expected_updated_at=_moment(data.get("updated_at", "")),
            )
        except ConflictError as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            context["band_errors"] = _errors_to_form(form, exc)
        else:
            messages.success(
                request,
                _("Đã lưu thang “%(name)s”. Kết quả đã tính giữ nguyên xếp loại; tính lại để áp dụng.")
                % {"name": data["name"]},
            )
            return redirect("scoring:schemes")
    context.update({"form": form, "formset": formset})
    return render(request, "scoring/schemes_form.html", context)


@require_POST
def scheme_clone(request, pk: int):
    scheme = access.require_scheme(request.user, pk)
    owners = access.target_owners(request.user)
    owner = owners.filter(pk=request.POST.get("owner") or scheme.owner_id or 0).first() or owners.first()
    access.require_scheme_owner(request.user, owner)
    try:
        clone = schemes.scheme_clone(scheme=scheme, owner=owner, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("scoring:schemes")
    messages.success(request, _("Đã nhân bản thành “%(name)s”; bản sao sửa được.") % {"name": clone.name})
    return redirect("scoring:scheme_edit", clone.pk)


@require_POST
def scheme_retire(request, pk: int):
    scheme = access.require_scheme(request.user, pk)
    try:
        schemes.scheme_retire(scheme=scheme, actor=request.user, reason=request.POST.get("reason", "")[:500])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Đã ngừng dùng thang “%(name)s”.") % {"name": scheme.name})
    return redirect("scoring:schemes")
