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


def holds_role_for_unit(user, unit: OrgUnit, roles: set[str]) -> bool:
    """Like :func:`has_role_for_unit` without the system administrator's bypass: for acts that are a unit's own
    word (its self-assessment) or a person's own (an appraiser's points)."""
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


# --- accounts, people and roles ------------------------------------------------------------------------------------


def users_visible(user):
    """People holding (or having held) a role on a unit the user manages; system admins see everyone."""
    from .models import User

    require_manager(user)
    if is_system_admin(user):
        return User.objects.all()
    managed = units_scope(user, MANAGER_ROLES)
    return User.objects.filter(memberships__unit__in=managed).distinct()


def require_user_visible(user, user_id):
    """A person's page: the person themself, or a manager of one of their units."""
    from .models import User

    require_login(user)
    if str(getattr(user, "pk", "")) == str(user_id):
        return user
    require_manager(user)
    try:
        return users_visible(user).get(pk=user_id)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404("Không tìm thấy người dùng.") from None


def grantable_roles(user) -> list[str]:
    """Only system administrators hand out the system administrator role (it reaches every unit)."""
    if is_system_admin(user):
        return list(Role.values)
    return [r for r in Role.values if r != Role.SYSTEM_ADMIN]


def require_role_grant(user, unit: OrgUnit, role: str) -> OrgUnit:
    require_membership_manage(user, unit)
    if role not in grantable_roles(user):
        raise PermissionDenied("Chỉ quản trị hệ thống mới được trao hoặc thu hồi vai trò quản trị hệ thống.")
    return unit


def can_end_membership(user, membership: Membership) -> bool:
    """Whether ``user`` may end ``membership`` (for showing the button; views still call require_membership_end)."""
    return has_role_for_unit(user, membership.unit, MANAGER_ROLES) and membership.role in grantable_roles(user)


def require_membership_end(user, membership_id) -> Membership:
    try:
        membership = memberships_visible(user).get(pk=membership_id)
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise Http404("Không tìm thấy vai trò.") from None
    require_role_grant(user, membership.unit, membership.role)
    return membership


def require_own_api_token(user, token_id):
    from .models import ApiToken

    require_login(user)
    try:
        return ApiToken.objects.get(pk=token_id, user=user)
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise Http404("Không tìm thấy token.") from None


def require_security_policy_edit(user) -> None:
    require_manager(user)


def require_two_factor_reset(user, target) -> None:
    """Resetting someone else's second factor hands the account to whoever knows the password: system admins only."""
    require_login(user)
    if target.pk != user.pk:
        require_system_admin(user)


# --- the registry tree and the API --------------------------------------------------------------------------------


def require_unit_place(user, parent: OrgUnit | None) -> None:
    """Create a unit under ``parent`` or move one there: a manager of ``parent``. Top-level units (no parent) reach
    across the whole registry: system administrators only."""
    require_login(user)
    if parent is None:
        if not is_system_admin(user):
            raise PermissionDenied("Chỉ quản trị hệ thống mới được tạo hoặc chuyển đơn vị lên cấp cao nhất.")
        return
    require_unit_manage(user, parent)


def needs_second_factor(user) -> bool:
    """A signed-in session that still owes its second factor: the security policy requires it for one of the user's
    roles, or the user set up a device of their own accord. Pages send such a session to the two-factor form; the
    API refuses it (personal API tokens are not affected)."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .models import SecurityPolicy

    if not getattr(user, "is_authenticated", False):
        return False
    is_verified = getattr(user, "is_verified", None)
    if is_verified is not None and is_verified():
        return False
    if SecurityPolicy.required_2fa_roles() & user_roles(user):
        return True
    # Has the user a confirmed device of either kind? One query instead of one per device kind.
    devices = (
        TOTPDevice.objects.filter(user=user, confirmed=True)
        .values("pk")
        .union(StaticDevice.objects.filter(user=user, confirmed=True).values("pk"))
    )
    return devices.exists()


# --- unit groups ----------------------------------------------------------------------------------------------------


def require_group(user, group_id):
    """Unit groups are reference data too: every signed-in user may read them."""
    from .models import UnitGroup

    require_registry_read(user)
    try:
        return UnitGroup.objects.select_related("owner").get(pk=group_id)
    except (UnitGroup.DoesNotExist, ValueError, TypeError):
        raise Http404("Không tìm thấy nhóm đơn vị.") from None


def can_manage_group(user, group) -> bool:
    """Managers of the group's owner (the assessing body); groups without an owner: system administrators."""
    if group.owner_id is None:
        return is_system_admin(user)
    return has_role_for_unit(user, group.owner, MANAGER_ROLES)


def require_group_manage(user, group):
    require_login(user)
    if not can_manage_group(user, group):
        raise PermissionDenied("Chỉ quản lý Chỉ số của cơ quan đánh giá mới được sửa nhóm đơn vị này.")
    return group
