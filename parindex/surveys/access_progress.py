"""Who may follow a survey's progress, see respondents' personal data, review anomaly flags, void responses, cancel
a unit's survey result and compute survey points.

* **Progress** (counts, rates, answers per day): survey coordinators, index managers and leaders who follow the index
  (viewers) — each for the units they cover (coordinators see only their units).
* **Personal data** of respondents (names, e-mails, phones of those who have not answered): only survey coordinators
  covering the respondent's rated unit (as ``access.py`` rules for the lists: not managers, no administrator bypass).
* **Flags**: reviewed (dismissed / confirmed) by coordinators and managers of the flag's unit; flags spanning several
  units by those covering the survey's assessing body.
* **Voiding a response, cancelling a unit's result, revoking either, computing points**: index managers only.

Each helper returns the object or raises ``Http404`` / ``PermissionDenied`` with a Vietnamese message.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from parindex.orgs.access import (
    MANAGER_ROLES,
    _active_memberships,
    has_role_for_unit,
    is_system_admin,
    require_login,
    units_scope,
)
from parindex.orgs.models import OrgUnit, Role

from .access import is_coordinator_for
from .models import Cancellation, Flag, Response, Survey

PROGRESS_ROLES = frozenset(MANAGER_ROLES | {Role.SURVEY_COORDINATOR, Role.VIEWER})
REVIEW_ROLES = frozenset(MANAGER_ROLES | {Role.SURVEY_COORDINATOR})


def _survey(survey_id) -> Survey:
    try:
        return Survey.objects.select_related("cycle", "cycle__assessor", "framework").get(pk=survey_id)
    except (Survey.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy cuộc điều tra.") from None


def scope_ids(user, survey: Survey, roles) -> QuerySet | None:
    """The units of ``survey`` the user may see with ``roles``: None means every unit (system administrators and
    those covering the survey's assessing body); otherwise a queryset of unit ids."""
    if is_system_admin(user) or has_role_for_unit(user, survey.cycle.assessor, set(roles)):
        return None
    return units_scope(user, set(roles)).values("pk")


def _touches(user, survey: Survey, roles) -> bool:
    scope = scope_ids(user, survey, roles)
    if scope is None:
        return True
    from parindex.cycles.models import Participant

    from .models import Respondent

    return (
        Participant.objects.filter(cycle_id=survey.cycle_id, framework_id=survey.framework_id, unit__in=scope).exists()
        or Respondent.objects.filter(survey=survey, rated_unit__in=scope).exists()
    )


def can_follow(user, survey: Survey) -> bool:
    return _touches(user, survey, PROGRESS_ROLES)


def require_progress(user, survey_id) -> Survey:
    """The progress page of a survey: a coordinator, manager or viewer covering at least one of its units."""
    require_login(user)
    survey = _survey(survey_id)
    if not can_follow(user, survey):
        raise PermissionDenied("Chỉ điều phối viên điều tra XHH và quản lý Chỉ số của đơn vị mới xem được tiến độ.")
    return survey


def in_scope(user, survey: Survey, unit: OrgUnit, roles) -> bool:
    return (
        is_system_admin(user)
        or has_role_for_unit(user, survey.cycle.assessor, set(roles))
        or (has_role_for_unit(user, unit, set(roles)))
    )


def require_unit_in_progress(user, survey: Survey, unit_id) -> OrgUnit | None:
    """The unit filter of the progress page: a unit the user follows (None when no filter is given)."""
    if unit_id in (None, ""):
        return None
    try:
        unit = OrgUnit.objects.get(pk=unit_id)
    except (OrgUnit.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy đơn vị.") from None
    if not in_scope(user, survey, unit, PROGRESS_ROLES):
        raise PermissionDenied("Bạn không theo dõi khảo sát của đơn vị này.")
    return unit


def can_see_personal(user, survey: Survey, unit: OrgUnit) -> bool:
    """Names and contacts of respondents rating ``unit``: survey coordinators of that unit only — as for the lists
    (``access.py``): not managers, and no system administrator's bypass."""
    return is_coordinator_for(user, unit)


def require_personal(user, survey: Survey, unit: OrgUnit | None) -> None:
    if unit is not None and not can_see_personal(user, survey, unit):
        raise PermissionDenied(
            "Thông tin cá nhân của người được khảo sát chỉ dành cho người điều phối điều tra XHH phụ trách đơn vị."
        )


def personal_q(user, prefix: str = "rated_unit") -> Q:
    """Q over a unit relation for the units whose respondents' personal data the user may see."""
    condition = Q(pk__in=[])
    for m in _active_memberships(user):
        if m.role != Role.SURVEY_COORDINATOR:
            continue
        condition |= Q(**{prefix: m.unit_id})
        if m.includes_subunits:
            condition |= Q(**{f"{prefix}__path__startswith": m.unit.path})
    return condition


# --- flags ------------------------------------------------------------------------------------------------------


def can_review_flags(user, survey: Survey) -> bool:
    return _touches(user, survey, REVIEW_ROLES)


def require_flags(user, survey_id) -> Survey:
    require_login(user)
    survey = _survey(survey_id)
    if not can_review_flags(user, survey):
        raise PermissionDenied("Chỉ điều phối viên điều tra XHH và quản lý Chỉ số mới xem được dấu hiệu bất thường.")
    return survey


def flags_visible(user, survey: Survey) -> QuerySet[Flag]:
    """Flags of the units the user reviews; flags spanning several units (no unit) for those covering the whole
    survey."""
    qs = Flag.objects.filter(survey=survey).select_related("unit", "reviewed_by")
    scope = scope_ids(user, survey, REVIEW_ROLES)
    if scope is None:
        return qs
    return qs.filter(unit__in=scope)


def require_flag(user, flag_id) -> Flag:
    require_login(user)
    try:
        flag = Flag.objects.select_related("survey", "survey__cycle", "survey__cycle__assessor", "unit").get(pk=flag_id)
    except (Flag.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy dấu hiệu bất thường.") from None
    survey = flag.survey
    allowed = (
        in_scope(user, survey, flag.unit, REVIEW_ROLES)
        if flag.unit_id
        else scope_ids(user, survey, REVIEW_ROLES) is None
    )
    if not allowed:
        raise PermissionDenied("Bạn không xem xét dấu hiệu bất thường của đơn vị này.")
    return flag


# --- managers' decisions ----------------------------------------------------------------------------------------


def is_manager_of(user, survey: Survey, unit: OrgUnit | None) -> bool:
    if unit is None:
        return has_role_for_unit(user, survey.cycle.assessor, MANAGER_ROLES)
    return in_scope(user, survey, unit, MANAGER_ROLES)


def _response(response_id) -> Response:
    try:
        return Response.objects.select_related(
            "survey", "survey__cycle", "survey__cycle__assessor", "rated_unit", "group", "voided_by", "restored_by"
        ).get(pk=response_id)
    except (Response.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy phiếu trả lời.") from None


def require_response(user, response_id) -> Response:
    """A response with its answers and traces (the evidence behind a flag): those who review the flags of its rated
    unit — survey coordinators and index managers. Who answered is shown only to coordinators (``can_see_personal``)."""
    require_login(user)
    response = _response(response_id)
    if not in_scope(user, response.survey, response.rated_unit, REVIEW_ROLES):
        raise PermissionDenied("Bạn không xem xét phiếu trả lời của đơn vị này.")
    return response


def require_response_void(user, response_id) -> Response:
    """Void or restore a response: an index manager of its rated unit."""
    require_login(user)
    response = _response(response_id)
    if not is_manager_of(user, response.survey, response.rated_unit):
        raise PermissionDenied("Chỉ quản lý Chỉ số mới được hủy hoặc khôi phục phiếu trả lời.")
    return response


def require_unit_cancel(user, survey: Survey, unit_id) -> OrgUnit:
    require_login(user)
    try:
        unit = OrgUnit.objects.get(pk=unit_id)
    except (OrgUnit.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy đơn vị.") from None
    if not is_manager_of(user, survey, unit):
        raise PermissionDenied("Chỉ quản lý Chỉ số mới được hủy kết quả khảo sát của đơn vị.")
    return unit


def require_survey_manage(user, survey_id) -> Survey:
    """Compute survey points, cancel a unit's result: an index manager of the survey's assessing body or a unit."""
    require_login(user)
    survey = _survey(survey_id)
    if not _touches(user, survey, MANAGER_ROLES):
        raise PermissionDenied("Chức năng này dành cho quản lý Chỉ số.")
    return survey


def require_cancellation(user, cancellation_id) -> Cancellation:
    require_login(user)
    try:
        cancellation = Cancellation.objects.select_related(
            "survey", "survey__cycle", "survey__cycle__assessor", "unit"
        ).get(pk=cancellation_id)
    except (Cancellation.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy quyết định hủy kết quả khảo sát.") from None
    if not is_manager_of(user, cancellation.survey, cancellation.unit):
        raise PermissionDenied("Chỉ quản lý Chỉ số mới được khôi phục kết quả khảo sát của đơn vị.")
    return cancellation


def require_points_compute(user, survey_id) -> Survey:
    """Computing points replaces every unit's survey points: managers of the survey's assessing body."""
    require_login(user)
    survey = _survey(survey_id)
    if not (is_system_admin(user) or has_role_for_unit(user, survey.cycle.assessor, MANAGER_ROLES)):
        raise PermissionDenied("Chỉ quản lý Chỉ số của cơ quan đánh giá mới được tính điểm điều tra XHH.")
    return survey
