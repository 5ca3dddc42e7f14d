"""Pages of the cycles app: the list, a cycle's page (participants, frameworks per group, windows with countdowns,
extensions), the plan's tasks with attachments and Excel import/export, the unit's tasks and the responsibility
matrix. Every view calls an access helper first; writes go through services."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parindex.core.exceptions import ConflictError
from parindex.core.files import SizeLimitUploadHandler, max_upload_bytes, too_large_message
from parindex.orgs.access import MANAGER_ROLES, has_role_for_unit, units_scope
from parindex.orgs.models import OrgUnit, UnitGroup
from parindex.orgs.selectors import unit_resolve, valid_on_q

from . import access, formats, forms, selectors, services
from .models import Participant, Task, TaskStatus, Window, WindowKind
from .windows import format_moment

NAV = "cycles"
SESSION_IMPORTS = "cycles_plan_imports"
ASSESSMENT_BADGES = {
    "not_started": "text-bg-light border",
    "in_progress": "text-bg-info",
    "awaiting_review": "text-bg-primary",
    "returned": "text-bg-warning",
    "submitted": "text-bg-success",
    "under_appraisal": "text-bg-primary",
    "explanation_requested": "text-bg-warning",
    "confirmed": "text-bg-success",
}
TASK_BADGES = {
    TaskStatus.NOT_STARTED: "text-bg-light border",
    TaskStatus.IN_PROGRESS: "text-bg-info",
    TaskStatus.DONE: "text-bg-success",
    TaskStatus.CANCELLED: "text-bg-secondary",
}
CYCLE_BADGES = {"draft": "text-bg-secondary", "active": "text-bg-success", "closed": "text-bg-dark"}


def _messages_of(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [str(m) for ms in exc.message_dict.values() for m in ms]
    return [str(m) for m in exc.messages]


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = field if field in form.fields else None
            for message in errors:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def _scope_units(cycle):
    """Units a task of the cycle may name: current units under the assessing body's parent (or the body itself)."""
    root = cycle.assessor.parent if cycle.assessor.parent_id else cycle.assessor
    return OrgUnit.objects.filter(valid_on_q(timezone.localdate()), path__startswith=root.path).order_by("path")


def _windows_context(request, cycle, unit=None) -> dict:
    refresh = f"{_url('cycles:windows', cycle.pk)}"
    if unit is not None:
        refresh += f"?don-vi={unit.pk}"
    return {
        "windows": selectors.window_states(cycle, unit),
        "windows_unit": unit,
        "windows_refresh_url": refresh,
    }


def _url(name, *args) -> str:
    from django.urls import reverse

    return reverse(name, args=args)


# --- list, create, detail ----------------------------------------------------------------------------------------


@login_required
@require_GET
def cycle_list(request):
    cycles = selectors.cycles_with_counts(access.cycles_visible(request.user))
    context = {
        "cycles": cycles,
        "can_create": access.assessors_for(request.user).exists(),
        "badges": CYCLE_BADGES,
        "nav_active": NAV,
    }
    return render(request, "cycles/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def cycle_create(request):
    access.require_cycle_creator(request.user)
    assessors = access.assessors_for(request.user).order_by("path")
    initial = {"year": timezone.localdate().year}
    form = forms.CycleForm(request.POST or None, assessors=assessors, initial=initial)
    if request.method == "POST" and form.is_valid():
        assessor = access.require_cycle_create(request.user, form.cleaned_data["assessor"].pk)
        try:
            cycle = services.cycle_create(
                year=form.cleaned_data["year"],
                name=form.cleaned_data["name"],
                assessor=assessor,
                actor=request.user,
                decision=form.cleaned_data["decision"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Đã tạo đợt đánh giá “%(name)s”.") % {"name": cycle.name})
            return redirect("cycles:detail", pk=cycle.pk)
    return render(request, "cycles/form.html", {"form": form, "title": _("Tạo đợt đánh giá"), "nav_active": NAV})


@login_required
@require_http_methods(["GET", "POST"])
def cycle_edit(request, pk):
    cycle = access.require_cycle_manage(request.user, pk)
    initial = {"name": cycle.name, "decision": cycle.decision, "description": cycle.description}
    form = forms.CycleEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.cycle_update(cycle=cycle, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Đã lưu thông tin đợt đánh giá."))
            return redirect("cycles:detail", pk=cycle.pk)
    context = {"form": form, "cycle": cycle, "title": _("Sửa đợt đánh giá"), "nav_active": NAV}
    return render(request, "cycles/form.html", context)


@login_required
@require_GET
def cycle_detail(request, pk):
    cycle = access.require_cycle_read(request.user, pk)
    can_manage = access.can_manage_cycle(request.user, cycle)
    unit = access.window_unit(request.user, cycle, request.GET.get("don-vi"))
    own = access.own_units(request.user, cycle)
    participants = selectors.cycle_participants(cycle)
    plans = selectors.cycle_plans(cycle)
    for p in participants:
        p.badge = ASSESSMENT_BADGES.get(getattr(p.assessment_or_none, "status", ""), "text-bg-light border")
        p.can_read_matrix = access.can_read_matrix(request.user, p)
    context = {
        "cycle": cycle,
        "can_manage": can_manage,
        "badges": CYCLE_BADGES,
        "participants": participants,
        "plans": plans,
        "extensions": selectors.cycle_extensions(cycle) if can_manage else [],
        "own_extensions": [e for e in selectors.cycle_extensions(cycle) if e.unit in own] if not can_manage else [],
        "own_units": own,
        "now": timezone.now(),
        "nav_active": NAV,
        **_windows_context(request, cycle, unit),
    }
    if can_manage:
        groups = UnitGroup.objects.filter(is_active=True).order_by("code")
        from parindex.frameworks.access import frameworks_visible
        from parindex.frameworks.models import FrameworkStatus

        frameworks = frameworks_visible(request.user).filter(status=FrameworkStatus.ACTIVE).order_by("code")
        context.update(
            status_form=forms.CycleStatusForm(initial={"status": cycle.status}),
            framework_form=forms.FrameworkSetForm(groups=groups, frameworks=frameworks),
            participant_form=forms.ParticipantAddForm(groups=_plan_groups(cycle)),
        )
    return render(request, "cycles/detail.html", context)


def _plan_groups(cycle):
    return UnitGroup.objects.filter(cycle_frameworks__cycle=cycle).order_by("code")


@login_required
@require_GET
def cycle_windows(request, pk):
    """The windows' countdowns alone (htmx refreshes them every minute)."""
    cycle = access.require_cycle_read(request.user, pk)
    unit = access.window_unit(request.user, cycle, request.GET.get("don-vi"))
    context = {
        "cycle": cycle,
        "can_manage": access.can_manage_cycle(request.user, cycle),
        **_windows_context(request, cycle, unit),
    }
    return render(request, "cycles/_windows.html", context)


@login_required
@require_POST
def cycle_status(request, pk):
    cycle = access.require_cycle_manage(request.user, pk)
    form = forms.CycleStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Trạng thái không hợp lệ."))
        return redirect("cycles:detail", pk=cycle.pk)
    try:
        services.cycle_status_set(cycle=cycle, actor=request.user, **form.cleaned_data)
    except ValidationError as exc:
        for message in _messages_of(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("Đã cập nhật trạng thái đợt đánh giá."))
    return redirect("cycles:detail", pk=cycle.pk)


@login_required
@require_POST
def framework_set(request, pk):
    cycle = access.require_cycle_manage(request.user, pk)
    from parindex.frameworks.access import frameworks_visible

    groups = UnitGroup.objects.filter(is_active=True)
    form = forms.FrameworkSetForm(request.POST, groups=groups, frameworks=frameworks_visible(request.user))
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("cycles:detail", pk=cycle.pk)
    group = form.cleaned_data["group"]
    if group.owner_id and not has_role_for_unit(request.user, group.owner, MANAGER_ROLES):
        raise PermissionDenied(_("Bạn không quản lý nhóm đơn vị này."))
    try:
        services.cycle_framework_set(
            cycle=cycle, group=group, framework=form.cleaned_data["framework"], actor=request.user
        )
    except ValidationError as exc:
        for message in _messages_of(exc):
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Nhóm “%(group)s” dùng bộ chỉ số “%(fw)s”; các đơn vị của nhóm đã được đưa vào đợt.")
            % {"group": group.name, "fw": form.cleaned_data["framework"].name},
        )
    return redirect("cycles:detail", pk=cycle.pk)


# --- participants --------------------------------------------------------------------------------------------------


@login_required
@require_POST
def participant_add(request, pk):
    cycle = access.require_cycle_manage(request.user, pk)
    form = forms.ParticipantAddForm(request.POST, groups=_plan_groups(cycle))
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("cycles:detail", pk=cycle.pk)
    unit = unit_resolve(form.cleaned_data["unit"], on=timezone.localdate())
    if unit is None:
        messages.error(
            request,
            _("Không tìm thấy (duy nhất) đơn vị “%(q)s”; hãy nhập mã đơn vị.") % {"q": form.cleaned_data["unit"]},
        )
        return redirect("cycles:detail", pk=cycle.pk)
    if not units_scope(request.user, MANAGER_ROLES).filter(pk=unit.pk).exists():
        messages.error(request, _("Bạn không quản lý đơn vị “%(unit)s”.") % {"unit": unit.name})
        return redirect("cycles:detail", pk=cycle.pk)
    try:
        services.participant_add(cycle=cycle, unit=unit, group=form.cleaned_data["group"], actor=request.user)
    except ValidationError as exc:
        for message in _messages_of(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("Đã đưa “%(unit)s” vào đợt đánh giá.") % {"unit": unit.name})
    return redirect("cycles:detail", pk=cycle.pk)


@login_required
@require_http_methods(["GET", "POST"])
def participant_withdraw(request, pk, participant_id):
    participant = access.require_participant(request.user, pk, participant_id)
    form = forms.ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.participant_withdraw(
                participant=participant, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Đã rút “%(unit)s” khỏi đợt đánh giá.") % {"unit": participant.unit.name})
            return redirect("cycles:detail", pk=pk)
    context = {
        "cycle": participant.cycle,
        "form": form,
        "title": _("Rút đơn vị khỏi đợt đánh giá"),
        "lead": _("Đơn vị “%(unit)s” sẽ không được đánh giá trong đợt này; bản tự đánh giá vẫn được lưu.")
        % {"unit": participant.unit.name},
        "submit": _("Rút khỏi đợt"),
        "danger": True,
        "nav_active": NAV,
    }
    return render(request, "cycles/form.html", context)


# --- windows and extensions ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def window_edit(request, pk, kind):
    cycle = access.require_cycle_manage(request.user, pk)
    if kind not in WindowKind.values:
        raise Http404(_("Không có giai đoạn này."))
    window = Window.objects.filter(cycle=cycle, kind=kind).first()
    form = forms.WindowForm(request.POST if request.method == "POST" else None, window=window)
    if request.method == "POST" and form.is_valid():
        try:
            services.window_set(
                cycle=cycle,
                kind=kind,
                opens_at=form.cleaned_data["opens_at"],
                closes_at=form.cleaned_data["closes_at"],
                actor=request.user,
                reason=form.cleaned_data.get("reason", ""),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Đã lưu thời hạn “%(kind)s”.") % {"kind": WindowKind(kind).label})
            return redirect("cycles:detail", pk=cycle.pk)
    context = {
        "cycle": cycle,
        "form": form,
        "title": _("Thời hạn: %(kind)s") % {"kind": WindowKind(kind).label},
        "lead": _("Giờ Việt Nam (UTC+7). Mọi thay đổi được ghi nhật ký cùng lý do."),
        "submit": _("Lưu thời hạn"),
        "nav_active": NAV,
    }
    return render(request, "cycles/form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def extension_grant(request, pk):
    cycle = access.require_cycle_manage(request.user, pk)
    units = OrgUnit.objects.filter(
        pk__in=Participant.objects.filter(cycle=cycle, withdrawn_at__isnull=True).values("unit_id")
    ).order_by("name")
    initial = {"unit": request.GET.get("don-vi"), "kind": request.GET.get("giai-doan")}
    form = forms.ExtensionForm(request.POST or None, units=units, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.extension_grant(
                cycle=cycle,
                unit=form.cleaned_data["unit"],
                kind=form.cleaned_data["kind"],
                until=form.cleaned_data["until"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Đã gia hạn cho “%(unit)s”.") % {"unit": form.cleaned_data["unit"].name})
            return redirect("cycles:detail", pk=cycle.pk)
    context = {
        "cycle": cycle,
        "form": form,
        "title": _("Gia hạn cho một đơn vị"),
        "lead": _(
            "Chỉ gia hạn các giai đoạn của đơn vị (tự đánh giá, bổ sung tài liệu, giải trình), đến một thời điểm sau "
            "thời điểm đóng chung. Giờ Việt Nam."
        ),
        "submit": _("Gia hạn"),
        "nav_active": NAV,
    }
    return render(request, "cycles/form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def extension_revoke(request, pk, extension_id):
    extension = access.require_extension(request.user, pk, extension_id)
    form = forms.ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.extension_revoke(extension=extension, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Đã thu hồi gia hạn của “%(unit)s”.") % {"unit": extension.unit.name})
            return redirect("cycles:detail", pk=pk)
    context = {
        "cycle": extension.cycle,
        "form": form,
        "title": _("Thu hồi gia hạn"),
        "lead": _("%(unit)s — %(kind)s, gia hạn đến %(until)s.")
        % {"unit": extension.unit.name, "kind": extension.get_kind_display(), "until": format_moment(extension.until)},
        "submit": _("Thu hồi"),
        "danger": True,
        "nav_active": NAV,
    }
    return render(request, "cycles/form.html", context)


# --- plan and tasks ------------------------------------------------------------------------------------------------


@login_required
@require_GET
def plan(request, pk):
    cycle = access.require_cycle_read(request.user, pk)
    visible = access.tasks_visible(request.user, cycle)
    form = forms.TaskFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    tasks = selectors.tasks_filter(
        visible, status=filters.get("status", ""), overdue=bool(filters.get("overdue")), q=filters.get("q", "")
    )
    context = {
        "cycle": cycle,
        "form": form,
        "tasks": selectors.tasks_for_display(tasks),
        "overdue_count": selectors.overdue_count(visible),
        "can_manage": access.can_manage_cycle(request.user, cycle),
        "task_badges": TASK_BADGES,
        "nav_active": NAV,
    }
    return render(request, "cycles/plan.html", context)


@login_required
@require_GET
def unit_tasks(request, pk):
    """Nhiệm vụ của đơn vị: the tasks the user's units lead or cooperate in."""
    cycle = access.require_cycle_read(request.user, pk)
    units = access.own_units(request.user, cycle)
    asked = access.window_unit(request.user, cycle, request.GET.get("don-vi")) if request.GET.get("don-vi") else None
    if asked is not None:
        units = [asked]
    groups = selectors.unit_tasks(cycle, units)
    for sections in groups.values():
        for task in sections["led"]:
            task.can_status = access.can_update_task_status(request.user, task)
    context = {"cycle": cycle, "groups": groups, "task_badges": TASK_BADGES, "nav_active": NAV}
    return render(request, "cycles/unit_tasks.html", context)


def _version(value: str):
    moment = parse_datetime(value or "")
    return moment if moment and timezone.is_aware(moment) else None


@login_required
@require_http_methods(["GET", "POST"])
def task_create(request, pk):
    cycle = access.require_cycle_manage(request.user, pk)
    form = forms.TaskForm(request.POST or None, units=_scope_units(cycle))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("updated_at", None)
        try:
            task = services.task_create(cycle=cycle, actor=request.user, **data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Đã thêm nhiệm vụ %(n)s.") % {"n": task.number})
            return redirect("cycles:plan", pk=cycle.pk)
    context = {"cycle": cycle, "form": form, "title": _("Thêm nhiệm vụ"), "nav_active": NAV}
    return render(request, "cycles/form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def task_edit(request, pk, task_id):
    task = access.require_task_manage(request.user, pk, task_id)
    initial = {
        "number": task.number,
        "title": task.title,
        "lead_unit": task.lead_unit_id,
        "lead_text": task.lead_text,
        "cooperating_units": list(task.cooperating_units.values_list("pk", flat=True)),
        "cooperating_text": task.cooperating_text,
        "product": task.product,
        "deadline": task.deadline,
        "status": task.status,
        "note": task.note,
        "updated_at": task.updated_at.isoformat(),
    }
    form = forms.TaskForm(request.POST or None, units=_scope_units(task.cycle), initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        expected = _version(data.pop("updated_at", ""))
        cooperating = data.pop("cooperating_units")
        try:
            services.task_update(
                task=task, actor=request.user, expected_updated_at=expected, cooperating_units=cooperating, **data
            )
        except ConflictError as exc:
            conflict = exc
            form.add_error(None, exc.message)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Đã lưu nhiệm vụ %(n)s.") % {"n": task.number})
            return redirect("cycles:task_detail", pk=pk, task_id=task.pk)
    context = {
        "cycle": task.cycle,
        "form": form,
        "title": _("Sửa nhiệm vụ %(n)s") % {"n": task.number},
        "conflict": conflict,
        "nav_active": NAV,
    }
    return render(request, "cycles/form.html", context)


@login_required
@require_GET
def task_detail(request, pk, task_id):
    task = access.require_task_read(request.user, pk, task_id)
    items = selectors.tasks_for_display(Task.objects.filter(pk=task.pk))
    task = items[0]
    can_status = access.can_update_task_status(request.user, task)
    context = {
        "cycle": task.cycle,
        "task": task,
        "can_manage": access.can_manage_cycle(request.user, task.cycle),
        "can_status": can_status and task.status != TaskStatus.CANCELLED,
        "status_form": forms.TaskStatusForm(
            initial={"status": task.status, "note": task.note, "updated_at": task.updated_at.isoformat()}
        ),
        "attachment_form": forms.AttachmentForm(),
        "task_badges": TASK_BADGES,
        "nav_active": NAV,
    }
    return render(request, "cycles/task_detail.html", context)


@login_required
@require_POST
def task_status(request, pk, task_id):
    task = access.require_task_status(request.user, pk, task_id)
    form = forms.TaskStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tình trạng không hợp lệ."))
        return redirect("cycles:task_detail", pk=pk, task_id=task.pk)
    try:
        services.task_status_set(
            task=task,
            status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
            actor=request.user,
            expected_updated_at=_version(form.cleaned_data["updated_at"]),
        )
    except ConflictError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        for message in _messages_of(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("Đã cập nhật tình trạng nhiệm vụ %(n)s.") % {"n": task.number})
    return redirect("cycles:task_detail", pk=pk, task_id=task.pk)


@login_required
@require_http_methods(["GET", "POST"])
def task_cancel(request, pk, task_id):
    task = access.require_task_manage(request.user, pk, task_id)
    form = forms.ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.task_cancel(task=task, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Đã hủy nhiệm vụ %(n)s.") % {"n": task.number})
            return redirect("cycles:plan", pk=pk)
    context = {
        "cycle": task.cycle,
        "form": form,
        "title": _("Hủy nhiệm vụ %(n)s") % {"n": task.number},
        "lead": task.title,
        "submit": _("Hủy nhiệm vụ"),
        "danger": True,
        "nav_active": NAV,
    }
    return render(request, "cycles/form.html", context)


@login_required
@require_POST
def attachment_add(request, pk, task_id):
    """Access and the declared size are checked before the body is read; the size-limit handler stops a huge upload
    before it is written anywhere."""
    task = access.require_task_manage(request.user, pk, task_id)
    limit = max_upload_bytes()
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit + 1024 * 1024:
        messages.error(request, too_large_message())
        return redirect("cycles:task_detail", pk=pk, task_id=task.pk)
    request.upload_handlers.insert(0, SizeLimitUploadHandler(request, limit))
    return _attachment_add(request, task)


@csrf_protect
def _attachment_add(request, task):
    if getattr(request, "upload_too_large", False):
        messages.error(request, too_large_message())
        return redirect("cycles:task_detail", pk=task.cycle_id, task_id=task.pk)
    form = forms.AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Hãy chọn tệp cần đính kèm."))
    else:
        try:
            attachment = services.task_attachment_add(task=task, upload=form.cleaned_data["file"], actor=request.user)
        except ValidationError as exc:
            for message in _messages_of(exc):
                messages.error(request, message)
        else:
            messages.success(request, _("Đã đính kèm “%(name)s”.") % {"name": attachment.original_name})
    return redirect("cycles:task_detail", pk=task.cycle_id, task_id=task.pk)


@login_required
@require_GET
def attachment_download(request, pk, attachment_id):
    """Only through here, for people who may see the task; always as an attachment."""
    attachment = access.require_attachment_download(request.user, pk, attachment_id)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404(_("Không tìm thấy tệp trên máy chủ.")) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name or "tai-lieu",
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def attachment_remove(request, pk, attachment_id):
    attachment = access.require_attachment_manage(request.user, pk, attachment_id)
    services.task_attachment_remove(attachment=attachment, actor=request.user, reason=request.POST.get("reason", ""))
    messages.success(request, _("Đã gỡ tệp “%(name)s”.") % {"name": attachment.original_name})
    return redirect("cycles:task_detail", pk=pk, task_id=attachment.task_id)


# --- plan export and import ----------------------------------------------------------------------------------------


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=formats.XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def plan_export(request, pk):
    cycle = access.require_cycle_read(request.user, pk)
    content = formats.plan_write(cycle, access.tasks_visible(request.user, cycle))
    return _xlsx_response(content, f"ke-hoach-{cycle.year}-{cycle.pk}.xlsx")


def _imports_dir() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "plan_imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _forget_stale_uploads(folder: Path, max_age_seconds: int = 24 * 3600) -> None:
    now = time.time()
    for path in folder.iterdir():
        try:
            if path.is_file() and now - path.stat().st_mtime > max_age_seconds:
                path.unlink(missing_ok=True)
        except OSError:
            continue


@login_required
@require_http_methods(["GET", "POST"])
def plan_import(request, pk):
    """Upload → check every row (nothing written) → preview with warnings; the file waits for the confirmation."""
    cycle = access.require_cycle_manage(request.user, pk)
    form = forms.PlanImportForm(request.POST or None, request.FILES or None)
    context = {"cycle": cycle, "form": form, "nav_active": NAV}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        result = services.plan_import(cycle=cycle, content=content, actor=request.user, dry_run=True)
        context["result"] = result
        if result.ok:
            folder = _imports_dir()
            _forget_stale_uploads(folder)
            token = uuid.uuid4().hex
            (folder / f"{token}.xlsx").write_bytes(content)
            pending = request.session.get(SESSION_IMPORTS, {})
            pending[token] = {"cycle": cycle.pk, "name": Path(upload.name).name[:200]}
            request.session[SESSION_IMPORTS] = pending
            context["token"] = token
    return render(request, "cycles/plan_import.html", context)


@login_required
@require_POST
def plan_import_confirm(request, pk):
    cycle = access.require_cycle_manage(request.user, pk)
    token = request.POST.get("token", "")
    pending = request.session.get(SESSION_IMPORTS, {})
    entry = pending.get(token)
    path = _imports_dir() / f"{token}.xlsx"
    if not entry or entry.get("cycle") != cycle.pk or not token.isalnum() or not path.is_file():
        messages.error(request, _("Tệp đã tải lên không còn (đã nhập hoặc quá hạn); hãy tải lên lại."))
        return redirect("cycles:plan_import", pk=cycle.pk)
    try:
        result = services.plan_import(
            cycle=cycle, content=path.read_bytes(), actor=request.user, filename=entry.get("name", "")
        )
    except ValidationError as exc:
        for message in _messages_of(exc):
            messages.error(request, message)
        return redirect("cycles:plan_import", pk=cycle.pk)
    if not result.applied:
        context = {"cycle": cycle, "form": forms.PlanImportForm(), "result": result, "nav_active": NAV}
        return render(request, "cycles/plan_import.html", context)
    pending.pop(token, None)
    request.session[SESSION_IMPORTS] = pending
    path.unlink(missing_ok=True)
    messages.success(
        request,
        _("Đã nhập kế hoạch: thêm %(created)s, cập nhật %(updated)s, không đổi %(unchanged)s nhiệm vụ.")
        % result.counts,
    )
    return redirect("cycles:plan", pk=cycle.pk)


# --- responsibility matrix -----------------------------------------------------------------------------------------


def _matrix_rows_from_post(post, rows, people) -> dict:
    by_pk = {str(u.pk): u for u in people}
    out = {}
    for row in rows:
        node = row["node"]
        prefix = f"n{node.pk}"
        if f"{prefix}-division" not in post:
            continue
        person_id = post.get(f"{prefix}-person", "")
        out[node.pk] = {
            "division": post.get(f"{prefix}-division", ""),
            "cooperating": post.get(f"{prefix}-cooperating", ""),
            "note": post.get(f"{prefix}-note", ""),
            "person": by_pk.get(person_id) if person_id else None,
        }
        if person_id and person_id not in by_pk:
            out[node.pk]["person"] = False  # refused below with the criterion's code
    return out


@login_required
@require_http_methods(["GET", "POST"])
def matrix(request, pk, unit_id):
    if request.method == "POST":
        participant = access.require_matrix_edit(request.user, pk, unit_id)
    else:
        participant = access.require_matrix_read(request.user, pk, unit_id)
    can_edit = participant.withdrawn_at is None and access.can_edit_matrix(request.user, participant)
    editing = can_edit and (request.method == "POST" or request.GET.get("sua") == "1")
    rows = selectors.responsibility_rows(participant)
    people = list(selectors.unit_people(participant.unit))
    errors: list[str] = []
    posted = {}
    if request.method == "POST":
        posted = _matrix_rows_from_post(request.POST, rows, people)
        bad_person = [nid for nid, v in posted.items() if v["person"] is False]
        if bad_person:
            codes = {r["node"].pk: r["node"].code for r in rows}
            errors = [_("Tiêu chí %(code)s: người theo dõi không hợp lệ.") % {"code": codes[n]} for n in bad_person]
        else:
            try:
                counts = services.responsibilities_save(participant=participant, rows=posted, actor=request.user)
            except ValidationError as exc:
                errors = _messages_of(exc)
            else:
                messages.success(
                    request,
                    _("Đã lưu bảng phân công: thêm %(created)s, sửa %(updated)s, bỏ %(cleared)s tiêu chí.") % counts,
                )
                return redirect("cycles:matrix", pk=pk, unit_id=participant.unit_id)
        for row in rows:
            row["posted"] = posted.get(row["node"].pk)
    context = {
        "cycle": participant.cycle,
        "participant": participant,
        "rows": rows,
        "people": people,
        "can_edit": can_edit,
        "editing": editing,
        "errors": errors,
        "nav_active": NAV,
    }
    return render(request, "cycles/matrix.html", context)


@login_required
@require_GET
def matrix_export(request, pk, unit_id):
    participant = access.require_matrix_read(request.user, pk, unit_id)
    content = formats.matrix_write(participant, selectors.responsibility_rows(participant))
    return _xlsx_response(content, f"phan-cong-{participant.unit.code}-{participant.cycle.year}.xlsx")
