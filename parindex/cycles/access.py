"""Who may see and change a cycle, its windows, extensions, plan and responsibility matrix.

* Index managers covering the cycle's assessing body (``cycle.assessor``) manage the cycle: participants, frameworks,
  windows, extensions, status and the plan's tasks.
* Everyone with a role on a participating unit, oversight roles (viewers, council chairs, appraisers…) covering the
  assessing body, members of the cycle's council and assigned appraisers read the cycle and its windows.
* A unit's officers and leaders see the tasks their unit leads or cooperates in, update the status of those it leads,
  and edit the unit's responsibility matrix.

Each ``require_*`` returns the object or raises ``Http404`` (it does not exist) / ``PermissionDenied`` (it exists,
you may not); they are called first in every view and endpoint.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from parindex.orgs.access import (
    MANAGER_ROLES,
    OVERSIGHT_ROLES,
    has_role_for_unit,
    holds_role_for_unit,
    is_system_admin,
    require_login,
    units_scope,
)
from parindex.orgs.models import OrgUnit, Role

from .models import Cycle, Extension, Participant, Task, TaskAttachment

UNIT_ROLES = {Role.UNIT_OFFICER, Role.UNIT_LEADER}

NOT_FOUND = "Không tìm thấy đợt đánh giá."
READ_DENIED = "Bạn không có quyền xem đợt đánh giá này."
MANAGE_DENIED = "Chỉ quản lý Chỉ số của cơ quan đánh giá mới được thay đổi đợt đánh giá này."


def _authenticated(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def can_manage_cycle(user, cycle: Cycle) -> bool:
    return _authenticated(user) and has_role_for_unit(user, cycle.assessor, MANAGER_ROLES)


def _active_participants(cycle: Cycle) -> QuerySet[Participant]:
    return Participant.objects.filter(cycle=cycle, withdrawn_at__isnull=True)


def _council_or_assigned(user, cycle: Cycle) -> bool:
    from parindex.appraisals.models import Assignment, CouncilMember

    if CouncilMember.objects.filter(council__cycle=cycle, user=user, ended_at__isnull=True).exists():
        return True
    return Assignment.objects.filter(cycle=cycle, appraiser=user, ended_at__isnull=True).exists()


def can_read_cycle(user, cycle: Cycle) -> bool:
    if not _authenticated(user):
        return False
    if has_role_for_unit(user, cycle.assessor, OVERSIGHT_ROLES):
        return True
    scope = units_scope(user)  # any role on a participating unit
    if _active_participants(cycle).filter(unit__in=scope).exists():
        return True
    return _council_or_assigned(user, cycle)


def cycles_visible(user) -> QuerySet[Cycle]:
    """The cycles the user may read (for lists)."""
    if not _authenticated(user):
        return Cycle.objects.none()
    qs = Cycle.objects.select_related("assessor")
    if is_system_admin(user):
        return qs
    from parindex.appraisals.models import Assignment, CouncilMember

    oversight = units_scope(user, OVERSIGHT_ROLES)
    participating = Participant.objects.filter(withdrawn_at__isnull=True, unit__in=units_scope(user)).values("cycle_id")
    council = CouncilMember.objects.filter(user=user, ended_at__isnull=True).values("council__cycle_id")
    assigned = Assignment.objects.filter(appraiser=user, ended_at__isnull=True).values("cycle_id")
    return qs.filter(
        Q(assessor__in=oversight) | Q(pk__in=participating) | Q(pk__in=council) | Q(pk__in=assigned)
    ).distinct()


def _get_cycle(cycle_id) -> Cycle:
    try:
        return Cycle.objects.select_related("assessor").get(pk=cycle_id)
    except (Cycle.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404(NOT_FOUND) from None


def require_cycle_read(user, cycle_id) -> Cycle:
    require_login(user)
    cycle = _get_cycle(cycle_id)
    if not can_read_cycle(user, cycle):
        raise PermissionDenied(READ_DENIED)
    return cycle


def require_cycle_manage(user, cycle_id) -> Cycle:
    require_login(user)
    cycle = _get_cycle(cycle_id)
    if not can_manage_cycle(user, cycle):
        if can_read_cycle(user, cycle):
            raise PermissionDenied(MANAGE_DENIED)
        raise PermissionDenied(READ_DENIED)
    return cycle


def assessors_for(user) -> QuerySet[OrgUnit]:
    """Units for which the user may create a cycle (the assessing bodies they manage)."""
    require_login(user)
    return units_scope(user, MANAGER_ROLES)


def require_cycle_creator(user) -> None:
    require_login(user)
    if not assessors_for(user).exists():
        raise PermissionDenied("Chức năng này dành cho quản lý Chỉ số.")


def require_cycle_create(user, assessor_id) -> OrgUnit:
    require_login(user)
    try:
        assessor = OrgUnit.objects.get(pk=assessor_id)
    except (OrgUnit.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy cơ quan đánh giá.") from None
    if not has_role_for_unit(user, assessor, MANAGER_ROLES):
        raise PermissionDenied("Chỉ quản lý Chỉ số của cơ quan này mới được tạo đợt đánh giá cho cơ quan này.")
    return assessor


def require_participant(user, cycle_id, participant_id) -> Participant:
    """A participant of a cycle the user manages."""
    cycle = require_cycle_manage(user, cycle_id)
    try:
        return Participant.objects.select_related("unit", "group", "framework", "cycle").get(
            pk=participant_id, cycle=cycle
        )
    except (Participant.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy đơn vị tham gia.") from None


def require_extension(user, cycle_id, extension_id) -> Extension:
    cycle = require_cycle_manage(user, cycle_id)
    try:
        return Extension.objects.select_related("unit", "cycle").get(pk=extension_id, cycle=cycle)
    except (Extension.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy gia hạn.") from None


# --- units of the user in a cycle ---------------------------------------------------------------------------------


def own_units(user, cycle: Cycle) -> list[OrgUnit]:
    """Participating units where the user is an officer or a leader (their "own" units), by name."""
    if not _authenticated(user):
        return []
    participants = _active_participants(cycle).select_related("unit").order_by("unit__name")
    return [p.unit for p in participants if holds_role_for_unit(user, p.unit, UNIT_ROLES)]


def window_unit(user, cycle: Cycle, unit_id=None) -> OrgUnit | None:
    """The unit whose windows (extensions included) the user sees: the one asked for when the user manages the cycle
    or works there; otherwise the user's own unit when there is exactly one; otherwise none."""
    if unit_id not in (None, ""):
        participant = (
            _active_participants(cycle).select_related("unit").filter(unit_id=unit_id).first()
            if str(unit_id).isdigit()
            else None
        )
        if participant is not None and (
            can_manage_cycle(user, cycle) or holds_role_for_unit(user, participant.unit, UNIT_ROLES)
        ):
            return participant.unit
    units = own_units(user, cycle)
    return units[0] if len(units) == 1 else None


def require_window_unit(user, cycle: Cycle, unit_id) -> OrgUnit:
    """A participating unit whose windows (with its extensions) the user may ask for: their own, or any when they
    manage the cycle. Raises ValidationError on the ``unit`` field otherwise."""
    from django.core.exceptions import ValidationError

    participant = _active_participants(cycle).select_related("unit").filter(unit_id=unit_id).first()
    if participant is None or not (
        can_manage_cycle(user, cycle) or holds_role_for_unit(user, participant.unit, UNIT_ROLES)
    ):
        raise ValidationError({"unit": "Đơn vị không tham gia đợt hoặc bạn không được xem thời hạn của đơn vị này."})
    return participant.unit


# --- tasks ---------------------------------------------------------------------------------------------------------


def tasks_visible(user, cycle: Cycle) -> QuerySet[Task]:
    """Managers and oversight roles see the whole plan; a unit's people see the tasks their unit leads or cooperates
    in. Call after :func:`require_cycle_read`."""
    qs = Task.objects.filter(cycle=cycle)
    if can_manage_cycle(user, cycle) or has_role_for_unit(user, cycle.assessor, OVERSIGHT_ROLES):
        return qs
    scope = units_scope(user)
    return qs.filter(Q(lead_unit__in=scope) | Q(cooperating_units__in=scope)).distinct()


def can_update_task_status(user, task: Task) -> bool:
    """The lead unit's officers and leaders (their own word: no administrator bypass), and the cycle's managers."""
    if can_manage_cycle(user, task.cycle):
        return True
    return task.lead_unit_id is not None and holds_role_for_unit(user, task.lead_unit, UNIT_ROLES)


def _get_task(cycle: Cycle, task_id) -> Task:
    try:
        return Task.objects.select_related("cycle__assessor", "lead_unit").get(pk=task_id, cycle=cycle)
    except (Task.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy nhiệm vụ.") from None


def require_task_read(user, cycle_id, task_id) -> Task:
    cycle = require_cycle_read(user, cycle_id)
    task = _get_task(cycle, task_id)
    if not tasks_visible(user, cycle).filter(pk=task.pk).exists():
        raise PermissionDenied("Nhiệm vụ này không thuộc đơn vị của bạn.")
    return task


def require_task_manage(user, cycle_id, task_id) -> Task:
    cycle = require_cycle_manage(user, cycle_id)
    return _get_task(cycle, task_id)


def require_task_status(user, cycle_id, task_id) -> Task:
    task = require_task_read(user, cycle_id, task_id)
    if not can_update_task_status(user, task):
        raise PermissionDenied("Chỉ cơ quan chủ trì nhiệm vụ (hoặc quản lý Chỉ số) mới được cập nhật tình trạng.")
    return task


def require_attachment_download(user, cycle_id, attachment_id) -> TaskAttachment:
    cycle = require_cycle_read(user, cycle_id)
    try:
        attachment = TaskAttachment.objects.select_related("task").get(
            pk=attachment_id, task__cycle=cycle, removed_at__isnull=True
        )
    except (TaskAttachment.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy tệp đính kèm.") from None
    if not tasks_visible(user, cycle).filter(pk=attachment.task_id).exists():
        raise PermissionDenied("Bạn không có quyền tải tệp đính kèm của nhiệm vụ này.")
    return attachment


def require_attachment_manage(user, cycle_id, attachment_id) -> TaskAttachment:
    cycle = require_cycle_manage(user, cycle_id)
    try:
        return TaskAttachment.objects.select_related("task").get(
            pk=attachment_id, task__cycle=cycle, removed_at__isnull=True
        )
    except (TaskAttachment.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy tệp đính kèm.") from None


# --- responsibility matrix -----------------------------------------------------------------------------------------


def _matrix_participant(user, cycle_id, unit_id) -> Participant:
    cycle = require_cycle_read(user, cycle_id)
    try:
        return Participant.objects.select_related("unit", "framework", "cycle__assessor").get(
            cycle=cycle, unit_id=unit_id
        )
    except (Participant.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Đơn vị này không tham gia đợt đánh giá.") from None


def can_edit_matrix(user, participant: Participant) -> bool:
    return can_manage_cycle(user, participant.cycle) or holds_role_for_unit(user, participant.unit, UNIT_ROLES)


def can_read_matrix(user, participant: Participant) -> bool:
    return can_edit_matrix(user, participant) or has_role_for_unit(user, participant.unit, UNIT_ROLES | OVERSIGHT_ROLES)


def require_matrix_read(user, cycle_id, unit_id) -> Participant:
    participant = _matrix_participant(user, cycle_id, unit_id)
    if not can_read_matrix(user, participant):
        raise PermissionDenied("Bạn không có quyền xem bảng phân công của đơn vị này.")
    return participant


def require_matrix_edit(user, cycle_id, unit_id) -> Participant:
    participant = _matrix_participant(user, cycle_id, unit_id)
    if not can_edit_matrix(user, participant):
        raise PermissionDenied("Chỉ cán bộ, lãnh đạo của đơn vị (hoặc quản lý Chỉ số) mới được sửa bảng phân công.")
    if participant.withdrawn_at is not None:
        raise PermissionDenied("Đơn vị đã rút khỏi đợt đánh giá; không sửa được bảng phân công.")
    return participant
