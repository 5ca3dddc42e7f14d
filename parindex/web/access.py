"""Who may see the notices and the progress dashboards of the web shell.

* A notice is its recipient's alone: anyone else gets 404 (its existence is not disclosed).
* A cycle's progress dashboard: index managers (and system administrators) of the cycle's assessing body, and the
  chair of its appraisal council (by role on the assessing body, or by the chair's seat in the cycle's council).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from parindex.core.models import Notification
from parindex.orgs.access import MANAGER_ROLES, has_role_for_unit, is_system_admin, require_login, units_scope
from parindex.orgs.models import Role

PROGRESS_ROLES = MANAGER_ROLES | {Role.COUNCIL_CHAIR}
PROGRESS_DENIED = "Bảng tiến độ dành cho quản lý Chỉ số của cơ quan đánh giá và Chủ tịch Hội đồng thẩm định."


def require_own_notification(user, notification_id) -> Notification:
    require_login(user)
    try:
        return Notification.objects.get(pk=notification_id, user=user)
    except (Notification.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy thông báo.") from None


def _chair_cycle_ids(user) -> QuerySet:
    from parindex.appraisals.models import CouncilMember, MemberRole

    return CouncilMember.objects.filter(user=user, role=MemberRole.CHAIR, ended_at__isnull=True).values(
        "council__cycle_id"
    )


def can_see_progress(user, cycle) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if has_role_for_unit(user, cycle.assessor, PROGRESS_ROLES):
        return True
    return _chair_cycle_ids(user).filter(council__cycle_id=cycle.pk).exists()


def may_see_any_progress(user) -> bool:
    """For the navigation: a manager or a council chair (by role or by seat), without looking at cycles."""
    from parindex.orgs.access import user_roles

    if not getattr(user, "is_authenticated", False):
        return False
    if user_roles(user) & PROGRESS_ROLES:
        return True
    return _chair_cycle_ids(user).exists()


def cycles_with_progress(user) -> QuerySet:
    """Cycles whose progress the user may see (the cycle picker)."""
    from parindex.cycles.models import Cycle

    if not getattr(user, "is_authenticated", False):
        return Cycle.objects.none()
    if is_system_admin(user):
        return Cycle.objects.all()
    scope = units_scope(user, PROGRESS_ROLES)
    return Cycle.objects.filter(Q(assessor__in=scope) | Q(pk__in=_chair_cycle_ids(user)))


def require_progress_any(user) -> None:
    """The cycle picker: only those who may see some cycle's progress."""
    require_login(user)
    if not may_see_any_progress(user):
        raise PermissionDenied(PROGRESS_DENIED)


def require_progress(user, cycle_id):
    from parindex.cycles.models import Cycle

    require_login(user)
    try:
        cycle = Cycle.objects.select_related("assessor").get(pk=cycle_id)
    except (Cycle.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy đợt đánh giá.") from None
    if not can_see_progress(user, cycle):
        raise PermissionDenied(PROGRESS_DENIED)
    return cycle
