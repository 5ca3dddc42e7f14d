"""Who may see the notices and the progress dashboards of the web shell.

* A notice is its recipient's alone: anyone else gets 404 (its existence is not disclosed).
* A cycle's progress dashboard: index managers (and system administrators) of the cycle's assessing body, and the
  chair of its appraisal council (by role on the assessing body, or by the chair's seat in the cycle's council).
  It shows the cycle's draft results by class to those of them the scoring app lets read drafts.
* The leaders' overview (``/tong-quan/``): anyone following the index (viewers above all); it shows **published**
  results only, of the provinces the user follows.
* A unit's own result on the home page: its officers and leaders, for their own unit; published results only,
  unless the user may read the draft through the scoring app (managers, the council).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from parindex.core.models import Notification
from parindex.orgs.access import (
    MANAGER_ROLES,
    OVERSIGHT_ROLES,
    has_role_for_unit,
    is_system_admin,
    require_login,
    units_scope,
)
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


# --- dashboards: leaders' overview of published results, a unit's own result ----------------------------------------

OVERVIEW_ROLES = OVERSIGHT_ROLES
OVERVIEW_DENIED = (
    "Trang tổng quan kết quả dành cho lãnh đạo theo dõi, quản lý Chỉ số và Hội đồng thẩm định; "
    "đơn vị xem kết quả của mình tại trang chủ."
)
# Roles that work for their own unit: the home page shows them their unit's own result, nobody else's.
UNIT_RESULT_ROLES = {Role.UNIT_OFFICER, Role.UNIT_LEADER}


def may_see_overview(user) -> bool:
    from parindex.orgs.access import user_roles

    return bool(getattr(user, "is_authenticated", False) and user_roles(user) & OVERVIEW_ROLES)


def require_overview(user) -> None:
    """The leaders' overview: anyone following the index (viewers, managers, the council, coordinators)."""
    require_login(user)
    if not may_see_overview(user):
        raise PermissionDenied(OVERVIEW_DENIED)


def _province_or_self(unit):
    """The province a unit lies in (itself when it is one, or when it lies in none: a ministry, MOHA)."""
    from parindex.orgs.models import OrgUnit, UnitKind

    if unit.kind == UnitKind.PROVINCE:
        return unit
    ids = [int(p) for p in unit.path.strip("/").split("/") if p][:-1]
    province = OrgUnit.objects.filter(pk__in=ids, kind=UnitKind.PROVINCE).first() if ids else None
    return province or unit


def overview_result_sets(user) -> QuerySet:
    """Published result sets of the provinces the user follows: sets of cycles assessed by a body in the province of
    one of their oversight units (or of groups owned there). Never a draft, an approved-but-unpublished or a
    superseded set, whatever the user's other roles."""
    from parindex.orgs.access import _active_memberships
    from parindex.scoring.models import JobState, ResultSet, ResultStatus

    published = ResultSet.objects.filter(status=ResultStatus.PUBLISHED, job_state=JobState.DONE)
    if not may_see_overview(user):
        return published.none()
    if is_system_admin(user):
        return published
    condition = Q(pk__in=[])
    for path in {_province_or_self(m.unit).path for m in _active_memberships(user) if m.role in OVERVIEW_ROLES}:
        condition |= Q(cycle__assessor__path__startswith=path) | Q(group__owner__path__startswith=path)
    return published.filter(condition)


def require_overview_set(user, result_set_id):
    """One published set of the overview, chosen by its id: 404 for any other (drafts do not exist here)."""
    from parindex.scoring.models import ResultSet

    require_overview(user)
    try:
        return overview_result_sets(user).select_related("group", "cycle", "scheme").get(pk=result_set_id)
    except (ResultSet.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy kết quả đã công bố.") from None


def own_result_units(user) -> list:
    """The units whose own result the user sees on the home page: those where they are an officer or a leader
    (the unit itself, not the units below it)."""
    from parindex.orgs.access import _active_memberships

    units = {}
    for m in _active_memberships(user):
        if m.role in UNIT_RESULT_ROLES:
            units.setdefault(m.unit_id, m.unit)
    return sorted(units.values(), key=lambda u: (u.name, u.pk))


def can_see_result(user, result_set) -> bool:
    """A published set is public; a draft or approved set only for the cycle's managers and council (the scoring
    app's rule)."""
    from parindex.scoring.access import can_view_result_set
    from parindex.scoring.models import ResultStatus

    if result_set.status == ResultStatus.PUBLISHED:
        return True
    if result_set.status == ResultStatus.SUPERSEDED:
        return False
    return bool(getattr(user, "is_authenticated", False)) and can_view_result_set(user, result_set)
