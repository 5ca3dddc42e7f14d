"""Who may read and change frameworks.

Every signed-in user may read active (and retired) frameworks: they are the public rules of the index. Drafts are
seen and edited only by the managers of the framework's owner (the assessing body). Each check returns the object or
raises ``Http404`` / ``PermissionDenied``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from parindex.orgs.access import MANAGER_ROLES, has_role_for_unit, is_system_admin, require_login, units_scope
from parindex.orgs.models import OrgUnit

from .models import Framework, FrameworkStatus, Node


def frameworks_visible(user) -> QuerySet[Framework]:
    require_login(user)
    qs = Framework.objects.select_related("owner")
    if is_system_admin(user):
        return qs
    return qs.filter(~Q(status=FrameworkStatus.DRAFT) | Q(owner__in=units_scope(user, MANAGER_ROLES)))


def can_manage(user, framework: Framework) -> bool:
    return getattr(user, "is_authenticated", False) and has_role_for_unit(user, framework.owner, MANAGER_ROLES)


def require_framework_read(user, framework_id) -> Framework:
    require_login(user)
    try:
        framework = Framework.objects.select_related("owner", "previous_version").get(pk=framework_id)
    except (Framework.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy bộ chỉ số.") from None
    if framework.status == FrameworkStatus.DRAFT and not can_manage(user, framework):
        raise Http404("Không tìm thấy bộ chỉ số.")
    return framework


def require_framework_manage(user, framework_id) -> Framework:
    """Clone, activate, retire, edit: a manager of the owner."""
    framework = require_framework_read(user, framework_id)
    if not can_manage(user, framework):
        raise PermissionDenied("Chỉ quản lý Chỉ số của cơ quan đánh giá mới được thay đổi bộ chỉ số này.")
    return framework


def require_node_manage(user, framework_id, node_id) -> Node:
    framework = require_framework_manage(user, framework_id)
    try:
        return Node.objects.select_related("framework", "parent").get(pk=node_id, framework=framework)
    except (Node.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy tiêu chí.") from None


def owners_for(user) -> QuerySet[OrgUnit]:
    """Units for which the user may create or import frameworks."""
    require_login(user)
    return units_scope(user, MANAGER_ROLES)


def require_framework_create(user, owner_id) -> OrgUnit:
    require_login(user)
    try:
        owner = OrgUnit.objects.get(pk=owner_id)
    except (OrgUnit.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy cơ quan đánh giá.") from None
    if not has_role_for_unit(user, owner, MANAGER_ROLES):
        raise PermissionDenied("Chỉ quản lý Chỉ số của cơ quan này mới được tạo bộ chỉ số cho cơ quan này.")
    return owner


def require_framework_creator(user) -> None:
    """Pages for creating or importing: any manager (the owner is checked when chosen)."""
    require_login(user)
    if not owners_for(user).exists():
        raise PermissionDenied("Chức năng này dành cho quản lý Chỉ số.")
