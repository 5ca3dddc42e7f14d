"""Who may compute, read, approve and publish results.

Draft and approved results are visible only to index managers and the council (its chair and members) of the
cycle; published results are public.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from parindex.orgs.access import (
    MANAGER_ROLES,
    OVERSIGHT_ROLES,
    has_role_for_unit,
    is_manager,
    require_login,
    units_scope,
)
from parindex.orgs.models import OrgUnit, Role, UnitKind

from .models import ResultSet, ResultStatus, Target


def can_manage_results(user, cycle) -> bool:
    return getattr(user, "is_authenticated", False) and has_role_for_unit(user, cycle.assessor, MANAGER_ROLES)


def can_approve_results(user, cycle) -> bool:
    return getattr(user, "is_authenticated", False) and has_role_for_unit(user, cycle.assessor, {Role.COUNCIL_CHAIR})


def can_view_result_set(user, result_set: ResultSet) -> bool:
    if result_set.status == ResultStatus.PUBLISHED:
        return True
    if result_set.cycle is None:  # an imported table not yet published: managers only
        return is_manager(user)
    return (
        can_manage_results(user, result_set.cycle)
        or can_approve_results(user, result_set.cycle)
        or _council_member(user, result_set.cycle)
    )


def _council_member(user, cycle) -> bool:
    from parindex.appraisals.models import CouncilMember

    return (
        getattr(user, "is_authenticated", False)
        and CouncilMember.objects.filter(council__cycle=cycle, user=user, ended_at__isnull=True).exists()
    )


def require_results_compute(user, cycle) -> None:
    require_login(user)
    if not can_manage_results(user, cycle):
        raise PermissionDenied("Chỉ Quản lý Chỉ số của cơ quan đánh giá mới được tính kết quả.")


def require_result_set(user, result_set_id) -> ResultSet:
    try:
        result_set = ResultSet.objects.select_related("cycle__assessor", "group__owner", "framework", "scheme").get(
            pk=result_set_id
        )
    except (ResultSet.DoesNotExist, ValueError, TypeError):
        raise Http404("Không tìm thấy bộ kết quả.") from None
    if not can_view_result_set(user, result_set):
        if not getattr(user, "is_authenticated", False):
            raise Http404("Không tìm thấy bộ kết quả.")  # drafts do not exist for the public
        raise PermissionDenied("Kết quả dự thảo chỉ dành cho Quản lý Chỉ số và Chủ tịch Hội đồng.")
    return result_set


def require_result_approve(user, result_set: ResultSet) -> None:
    require_login(user)
    if result_set.cycle is None or not can_approve_results(user, result_set.cycle):
        raise PermissionDenied("Chỉ Chủ tịch Hội đồng thẩm định mới được duyệt kết quả.")


def require_result_publish(user, result_set: ResultSet) -> None:
    require_login(user)
    if result_set.cycle is None or not can_manage_results(user, result_set.cycle):
        raise PermissionDenied("Chỉ Quản lý Chỉ số mới được công bố kết quả.")


def target_owners(user):
    """Units under which the user may set targets (their index-manager units)."""
    if not getattr(user, "is_authenticated", False):
        return OrgUnit.objects.none()
    return units_scope(user, MANAGER_ROLES).filter(
        kind__in=[UnitKind.PROVINCE, UnitKind.DEPARTMENT, UnitKind.MOHA, UnitKind.MINISTRY]
    )


def targets_visible(user):
    """Targets are internal: their owner's managers, leaders (viewers) and council chairs read them."""
    scope = units_scope(user, OVERSIGHT_ROLES)
    return Target.objects.filter(owner__in=scope, ended_at__isnull=True).select_related("unit", "group", "owner")
