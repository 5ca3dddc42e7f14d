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


# --- class schemes (thang xếp loại) -----------------------------------------------------------------------------


def require_scheme_manager(user) -> None:
    """The schemes page and API: index managers (of any assessing body) only."""
    require_login(user)
    if not target_owners(user).exists():
        raise PermissionDenied("Chỉ Quản lý Chỉ số mới được quản lý thang xếp loại.")


def schemes_visible(user):
    """The shipped schemes and those of the bodies the user manages (retired ones included)."""
    from django.db.models import Q

    from .models import ClassScheme

    return (
        ClassScheme.objects.filter(Q(builtin=True) | Q(owner__in=target_owners(user)))
        .select_related("owner", "framework", "group")
        .order_by("retired_at", "-builtin", "name")
    )


def require_scheme(user, scheme_id):
    """A scheme the user may read (shipped) or manage (their body's): 404 when it does not exist, 403 otherwise."""
    from .models import ClassScheme

    require_scheme_manager(user)
    try:
        scheme = ClassScheme.objects.select_related("owner", "framework", "group").get(pk=scheme_id)
    except (ClassScheme.DoesNotExist, ValueError, TypeError):
        raise Http404("Không tìm thấy thang xếp loại.") from None
    if not scheme.builtin and not (scheme.owner_id and has_role_for_unit(user, scheme.owner, MANAGER_ROLES)):
        raise PermissionDenied("Thang xếp loại này thuộc cơ quan khác.")
    return scheme


def require_scheme_owner(user, owner: OrgUnit) -> OrgUnit:
    if not target_owners(user).filter(pk=owner.pk).exists():
        raise PermissionDenied(f"Bạn không phải Quản lý Chỉ số của “{owner.name}”.")
    return owner


def require_scheme_attach(user, *, framework=None, group=None) -> None:
    """A scheme may be attached only to a framework or a unit group the user manages."""
    if framework is not None and not has_role_for_unit(user, framework.owner, MANAGER_ROLES):
        raise PermissionDenied(f"Bạn không quản lý bộ chỉ số “{framework.name}”.")
    if group is not None:
        from parindex.orgs.access import is_system_admin

        allowed = has_role_for_unit(user, group.owner, MANAGER_ROLES) if group.owner_id else is_system_admin(user)
        if not allowed:
            raise PermissionDenied(f"Bạn không quản lý nhóm đơn vị “{group.name}”.")
