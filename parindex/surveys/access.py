"""Who may see and do what in the sociological survey. Shared by every survey page and endpoint.

* **Index managers** covering the cycle's assessing body (``cycle.assessor``) manage the survey: create it, edit its
  settings and respondent groups, see every list's status and counts — but not the respondents' personal data.
* **Survey coordinators** (role ``survey_coordinator``) covering a list's unit see that list with its personal data,
  enter and import it, decide on its rows (reverse a rule), sample and send it. A coordinator covering a respondent's
  own unit sees and decides on that respondent too.
* A unit's **officers and leaders** enter their unit's own list (import, add and edit rows) and see it while they do;
  they do not decide, sample or send.
* Nobody else sees personal data: not viewers, not appraisers, not other units — and the system administrator's
  bypass does not apply to personal data (an administrator who needs it grants themself the role, which is audited).

Every ``require_*`` returns the object or raises ``Http404`` (it does not exist) / ``PermissionDenied`` (it exists,
you may not); views and endpoints call them first.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from parindex.cycles.access import can_manage_cycle, can_read_cycle, cycles_visible
from parindex.orgs.access import _active_memberships, require_login
from parindex.orgs.models import OrgUnit, Role

from .models import Respondent, RespondentGroup, RespondentList, Survey

COORDINATOR_ROLES = {Role.SURVEY_COORDINATOR}
UNIT_ROLES = {Role.UNIT_OFFICER, Role.UNIT_LEADER}

SURVEY_NOT_FOUND = "Không tìm thấy cuộc điều tra."
SURVEY_DENIED = "Bạn không có quyền xem cuộc điều tra này."
MANAGE_DENIED = "Chỉ quản lý Chỉ số của cơ quan đánh giá mới được thay đổi cuộc điều tra này."
LIST_NOT_FOUND = "Không tìm thấy danh sách người trả lời."
LIST_DENIED = (
    "Bạn không có quyền xem danh sách này: danh sách người trả lời chỉ dành cho người điều phối điều tra XHH phụ trách "
    "đơn vị và cán bộ của chính đơn vị lập danh sách."
)
PERSONAL_DENIED = (
    "Thông tin cá nhân của người trả lời chỉ người điều phối điều tra XHH phụ trách đơn vị và cán bộ của đơn vị lập "
    "danh sách mới được xem."
)
DECIDE_DENIED = "Chỉ người điều phối điều tra XHH phụ trách đơn vị mới được quyết định, chọn mẫu và gửi danh sách."
RESPONDENT_NOT_FOUND = "Không tìm thấy người trả lời."


def _authenticated(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def _covers(membership, unit: OrgUnit) -> bool:
    if membership.unit_id == unit.pk:
        return True
    return membership.includes_subunits and unit.path.startswith(membership.unit.path)


def _holds(user, unit: OrgUnit | None, roles: set[str]) -> bool:
    """A role of the person on the unit (no system administrator's bypass: personal data)."""
    if unit is None or not _authenticated(user):
        return False
    return any(m.role in roles and _covers(m, unit) for m in _active_memberships(user))


def _scope_q(user, roles: set[str], prefix: str) -> Q:
    """Q over ``<prefix>`` (a unit relation) for the units on which the user holds one of ``roles``."""
    condition = Q(pk__in=[])
    if not _authenticated(user):
        return condition
    for m in _active_memberships(user):
        if m.role not in roles:
            continue
        condition |= Q(**{f"{prefix}": m.unit_id})
        if m.includes_subunits:
            condition |= Q(**{f"{prefix}__path__startswith": m.unit.path})
    return condition


# --- predicates -----------------------------------------------------------------------------------------------------


def is_coordinator_for(user, unit: OrgUnit | None) -> bool:
    return _holds(user, unit, COORDINATOR_ROLES)


def is_author_for(user, unit: OrgUnit | None) -> bool:
    """An officer or leader of the unit: enters the unit's own list."""
    return _holds(user, unit, UNIT_ROLES)


def can_manage_survey(user, survey: Survey) -> bool:
    return _authenticated(user) and can_manage_cycle(user, survey.cycle)


def can_read_survey(user, survey: Survey) -> bool:
    if not _authenticated(user):
        return False
    return can_read_cycle(user, survey.cycle) or is_coordinator_for(user, survey.cycle.assessor)


def can_see_personal(user, respondent_list: RespondentList) -> bool:
    """The whole list with names, e-mails, phones and addresses."""
    return is_coordinator_for(user, respondent_list.unit) or is_author_for(user, respondent_list.unit)


def can_edit_list(user, respondent_list: RespondentList) -> bool:
    """Import, add and edit rows (the list must also be a draft: see ``services``)."""
    return can_see_personal(user, respondent_list)


def can_decide_list(user, respondent_list: RespondentList) -> bool:
    """Decide on rows, sample and send the list."""
    return is_coordinator_for(user, respondent_list.unit)


def can_decide(user, respondent: Respondent) -> bool:
    return is_coordinator_for(user, respondent.respondent_list.unit) or is_coordinator_for(user, respondent.unit)


def can_read_list(user, respondent_list: RespondentList) -> bool:
    """The list's page: its authors and coordinators (with personal data), the survey's managers (counts only) and
    coordinators of some of its respondents' units (their rows only)."""
    if can_see_personal(user, respondent_list) or can_manage_survey(user, respondent_list.survey):
        return True
    return respondents_visible(user).filter(respondent_list=respondent_list).exists()


# --- querysets ------------------------------------------------------------------------------------------------------


def surveys_visible(user) -> QuerySet[Survey]:
    """Surveys of the cycles the user may see (and of the cycles whose assessing body they coordinate)."""
    if not _authenticated(user):
        return Survey.objects.none()
    return (
        Survey.objects.select_related("cycle", "cycle__assessor", "framework")
        .filter(Q(cycle__in=cycles_visible(user)) | _scope_q(user, COORDINATOR_ROLES, "cycle__assessor"))
        .distinct()
    )


def lists_visible(user, survey: Survey) -> QuerySet[RespondentList]:
    """Lists of a survey the user may open: all of them for its managers; otherwise those of units the user
    coordinates or works in, and those holding respondents of units the user coordinates."""
    qs = RespondentList.objects.filter(survey=survey).select_related("unit", "survey", "sent_by")
    if can_manage_survey(user, survey):
        return qs
    own = _scope_q(user, COORDINATOR_ROLES | UNIT_ROLES, "unit")
    theirs = Respondent.objects.filter(survey=survey).filter(_scope_q(user, COORDINATOR_ROLES, "unit"))
    return qs.filter(own | Q(pk__in=theirs.values("respondent_list_id")))


def respondents_visible(user, respondent_list: RespondentList | None = None) -> QuerySet[Respondent]:
    """Rows with personal data the user may see: every row of the lists of units they coordinate or work in, and
    the rows of respondents working in a unit they coordinate."""
    qs = Respondent.objects.select_related("group", "unit", "rated_unit", "decided_by", "merged_into")
    if respondent_list is not None:
        qs = qs.filter(respondent_list=respondent_list)
        if can_see_personal(user, respondent_list):
            return qs
        return qs.filter(_scope_q(user, COORDINATOR_ROLES, "unit"))
    return qs.filter(
        _scope_q(user, COORDINATOR_ROLES | UNIT_ROLES, "respondent_list__unit")
        | _scope_q(user, COORDINATOR_ROLES, "unit")
    )


def list_units_for(user, survey: Survey) -> list[OrgUnit]:
    """Units the user may make a list for in this survey: the cycle's participants, its assessing body and the units
    above it, among those the user coordinates or works in."""
    from parindex.cycles.models import Participant

    cycle = survey.cycle
    ids = set(Participant.objects.filter(cycle=cycle, withdrawn_at__isnull=True).values_list("unit_id", flat=True))
    ids.update(int(p) for p in cycle.assessor.path.strip("/").split("/") if p)
    ids.update(RespondentList.objects.filter(survey=survey).values_list("unit_id", flat=True))
    units = OrgUnit.objects.filter(pk__in=ids).order_by("path")
    return [u for u in units if is_coordinator_for(user, u) or is_author_for(user, u)]


# --- checks used by views and endpoints -----------------------------------------------------------------------------


def _get_survey(survey_id) -> Survey:
    try:
        return Survey.objects.select_related("cycle", "cycle__assessor", "framework").get(pk=survey_id)
    except (Survey.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404(SURVEY_NOT_FOUND) from None


def require_survey_read(user, survey_id) -> Survey:
    require_login(user)
    survey = _get_survey(survey_id)
    if not can_read_survey(user, survey):
        raise PermissionDenied(SURVEY_DENIED)
    return survey


def require_survey_manage(user, survey_id) -> Survey:
    survey = require_survey_read(user, survey_id)
    if not can_manage_survey(user, survey):
        raise PermissionDenied(MANAGE_DENIED)
    return survey


def require_survey_create(user, cycle_id):
    """Create a survey for a cycle: a manager of the cycle."""
    from parindex.cycles.access import require_cycle_manage

    return require_cycle_manage(user, cycle_id)


def require_group_manage(user, survey_id, group_id) -> RespondentGroup:
    survey = require_survey_manage(user, survey_id)
    try:
        return RespondentGroup.objects.select_related("survey", "questionnaire").get(pk=group_id, survey=survey)
    except (RespondentGroup.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy nhóm người trả lời.") from None


def _get_list(list_id) -> RespondentList:
    try:
        return RespondentList.objects.select_related("survey", "survey__cycle", "unit", "sent_by").get(pk=list_id)
    except (RespondentList.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404(LIST_NOT_FOUND) from None


def require_list_read(user, list_id) -> RespondentList:
    require_login(user)
    respondent_list = _get_list(list_id)
    if not can_read_list(user, respondent_list):
        raise PermissionDenied(LIST_DENIED)
    return respondent_list


def require_list_edit(user, list_id) -> RespondentList:
    respondent_list = require_list_read(user, list_id)
    if not can_edit_list(user, respondent_list):
        raise PermissionDenied(PERSONAL_DENIED)
    return respondent_list


def require_list_decide(user, list_id) -> RespondentList:
    respondent_list = require_list_read(user, list_id)
    if not can_decide_list(user, respondent_list):
        raise PermissionDenied(DECIDE_DENIED)
    return respondent_list


def require_list_create(user, survey_id, unit_id) -> tuple[Survey, OrgUnit]:
    """Import or start a list for ``unit``: a coordinator covering the unit, or one of its officers or leaders."""
    survey = require_survey_read(user, survey_id)
    try:
        unit = OrgUnit.objects.get(pk=unit_id)
    except (OrgUnit.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy đơn vị.") from None
    if not (is_coordinator_for(user, unit) or is_author_for(user, unit)):
        raise PermissionDenied(
            "Chỉ người điều phối điều tra XHH phụ trách đơn vị hoặc cán bộ của đơn vị mới được lập danh sách của đơn "
            "vị này."
        )
    return survey, unit


def _get_respondent(respondent_id) -> Respondent:
    try:
        return Respondent.objects.select_related(
            "respondent_list", "respondent_list__unit", "respondent_list__survey", "group", "unit", "survey"
        ).get(pk=respondent_id)
    except (Respondent.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404(RESPONDENT_NOT_FOUND) from None


def require_respondent_view(user, respondent_id) -> Respondent:
    require_login(user)
    respondent = _get_respondent(respondent_id)
    if not (can_see_personal(user, respondent.respondent_list) or is_coordinator_for(user, respondent.unit)):
        raise PermissionDenied(PERSONAL_DENIED)
    return respondent


def require_respondent_edit(user, respondent_id) -> Respondent:
    require_login(user)
    respondent = _get_respondent(respondent_id)
    if not can_edit_list(user, respondent.respondent_list):
        raise PermissionDenied(PERSONAL_DENIED)
    return respondent


def require_respondent_decide(user, respondent_id) -> Respondent:
    require_login(user)
    respondent = _get_respondent(respondent_id)
    if not can_decide(user, respondent):
        if can_see_personal(user, respondent.respondent_list):
            raise PermissionDenied(DECIDE_DENIED)
        raise PermissionDenied(PERSONAL_DENIED)
    return respondent
