"""Who may see and do what with units, users and memberships.

Every view and API endpoint calls one of these first. They return the object or raise
``Http404`` (the object does not exist) / ``PermissionDenied`` (it exists, you may not).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from .models import Membership, OrgUnit, Role

# Roles that manage the index for the units under them.
MANAGER_ROLES = {Role.SYSTEM_ADMIN, Role.INDEX_MANAGER}
# Roles that may read everything about the units they cover.
OVERSIGHT_ROLES = MANAGER_ROLES | {Role.APPRAISER, Role.COUNCIL_CHAIR, Role.SURVEY_COORDINATOR, Role.VIEWER}


def _active_memberships(user) -> list[Membership]:
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_parindex_memberships", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user, ended_at__isnull=True).select_related("unit"))
        user._parindex_memberships = cached
    return cached


def is_system_admin(user) -> bool:
    return bool(getattr(user, "is_superuser", False)) or any(
        m.role == Role.SYSTEM_ADMIN for m in _active_memberships(user)
    )


def user_roles(user) -> set[str]:
    roles = {m.role for m in _active_memberships(user)}
    if getattr(user, "is_superuser", False):
        roles.add(Role.SYSTEM_ADMIN)
    return roles


def _covers(membership: Membership, unit: OrgUnit) -> bool:
    if membership.unit_id == unit.pk:
        return True
    return membership.includes_subunits and unit.path.startswith(membership.unit.path)


def has_role_for_unit(user, unit: OrgUnit, roles: set[str]) -> bool:
    if is_system_admin(user):
        return True
    return any(m.role in roles and _covers(m, unit) for m in _active_memberships(user))


def units_scope(user, roles: set[str] | None = None) -> QuerySet[OrgUnit]:
    """Units on which the user holds one of ``roles`` (any role when None), sub-units included where granted."""
    if is_system_admin(user):
        return OrgUnit.objects.all()
    condition = Q(pk__in=[])
    for m in _active_memberships(user):
        if roles is not None and m.role not in roles:
            continue
        condition |= Q(pk=m.unit_id)
        if m.includes_subunits:
            condition |= Q(path__startswith=m.unit.path)
    return OrgUnit.objects.filter(condition)


def is_manager(user) -> bool:
    return is_system_admin(user) or any(m.role in MANAGER_ROLES for m in _active_memberships(user))


# --- checks used by views --------------------------------------------------------------------------------------


def require_login(user) -> None:
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Bạn cần đăng nhập.")


def require_registry_read(user) -> None:
    """The registry of units is reference data: every signed-in user may read it."""
    require_login(user)


def require_unit(user, unit_id) -> OrgUnit:
    require_registry_read(user)
    try:
        return OrgUnit.objects.select_related("parent").get(pk=unit_id)
    except (OrgUnit.DoesNotExist, ValueError, TypeError):
        raise Http404("Không tìm thấy đơn vị.") from None


def require_unit_manage(user, unit: OrgUnit) -> OrgUnit:
    """Edit a unit or import its sub-units: a manager of the unit (or above it, with sub-units)."""
    require_login(user)
    if not has_role_for_unit(user, unit, MANAGER_ROLES):
        raise PermissionDenied("Chỉ quản lý Chỉ số của đơn vị này mới được thay đổi danh mục đơn vị.")
    return unit


def require_manager(user) -> None:
    require_login(user)
    if not is_manager(user):
        raise PermissionDenied("Chức năng này dành cho quản lý Chỉ số và quản trị hệ thống.")


def require_system_admin(user) -> None:
    require_login(user)
    if not is_system_admin(user):
        raise PermissionDenied("Chức năng này dành cho quản trị hệ thống.")


def memberships_visible(user) -> QuerySet[Membership]:
    """Your own memberships, plus those of the units you manage."""
    require_login(user)
    qs = Membership.objects.select_related("user", "unit")
    if is_system_admin(user):
        return qs
    managed = units_scope(user, MANAGER_ROLES)
    return qs.filter(Q(user=user) | Q(unit__in=managed))


def require_membership_manage(user, unit: OrgUnit) -> OrgUnit:
    return require_unit_manage(user, unit)


def audit_events_visible(user):
    """Managers see the events of the units they manage (and events with no unit only as system admins)."""
    from parindex.core.models import AuditEvent

    require_manager(user)
    qs = AuditEvent.objects.select_related("actor", "unit")
    if is_system_admin(user):
        return qs
    return qs.filter(unit__in=units_scope(user, MANAGER_ROLES))
