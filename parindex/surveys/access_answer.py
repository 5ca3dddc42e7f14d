"""Who may see and change questionnaires, and send, print and follow invitations (see ``access.py`` for the rules).

* **Questionnaires**: read (and exported) by everyone who reads the survey; changed and imported by the survey's
  managers (index managers of the cycle's assessing body). A questionnaire is reached through a survey whose group
  uses it.
* **Invitations of a list** (send, remind, print with QR codes, record bounces): the survey coordinators covering the
  list's unit — who see its personal data and decide on it. Printing makes new personal links: a unit's own officers
  do not print links to answer about their own unit.
* **The whole survey's invitations and reminders** (command, API): the survey's managers, or coordinators covering
  the assessing body.

The respondent's pages need no account: the token of the link is checked by ``answering``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from parindex.orgs.access import require_login

from . import access
from .models import Invitation, Questionnaire, RespondentList, Survey

QUESTIONNAIRE_NOT_FOUND = "Không tìm thấy phiếu khảo sát trong cuộc điều tra này."
INVITE_DENIED = (
    "Chỉ người điều phối điều tra XHH phụ trách đơn vị mới được gửi thư mời, in đường dẫn và ghi nhận thư bị trả lại."
)
SURVEY_INVITE_DENIED = (
    "Chỉ quản lý Chỉ số hoặc người điều phối điều tra XHH của cơ quan đánh giá mới được gửi thư mời cho cả cuộc "
    "điều tra."
)


def _questionnaire(survey: Survey, questionnaire_id) -> Questionnaire:
    try:
        return Questionnaire.objects.select_related("owner").get(pk=questionnaire_id, groups__survey=survey)
    except (Questionnaire.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404(QUESTIONNAIRE_NOT_FOUND) from None
    except Questionnaire.MultipleObjectsReturned:  # two groups of the survey share it
        return Questionnaire.objects.select_related("owner").filter(pk=questionnaire_id).first()


def require_questionnaire_read(user, survey_id, questionnaire_id) -> tuple[Survey, Questionnaire]:
    survey = access.require_survey_read(user, survey_id)
    return survey, _questionnaire(survey, questionnaire_id)


def require_questionnaire_manage(user, survey_id, questionnaire_id) -> tuple[Survey, Questionnaire]:
    survey = access.require_survey_manage(user, survey_id)
    return survey, _questionnaire(survey, questionnaire_id)


def can_invite_list(user, respondent_list: RespondentList) -> bool:
    return access.can_decide_list(user, respondent_list)


def require_list_invite(user, list_id) -> RespondentList:
    require_login(user)
    respondent_list = access.require_list_read(user, list_id)
    if not can_invite_list(user, respondent_list):
        raise PermissionDenied(INVITE_DENIED)
    return respondent_list


def can_invite_survey(user, survey: Survey) -> bool:
    return access.can_manage_survey(user, survey) or access.is_coordinator_for(user, survey.cycle.assessor)


def require_survey_invite(user, survey_id) -> Survey:
    survey = access.require_survey_read(user, survey_id)
    if not can_invite_survey(user, survey):
        raise PermissionDenied(SURVEY_INVITE_DENIED)
    return survey


def require_invitation_manage(user, invitation_id) -> Invitation:
    require_login(user)
    try:
        invitation = Invitation.objects.select_related(
            "respondent", "respondent__respondent_list", "respondent__respondent_list__unit", "respondent__survey"
        ).get(pk=invitation_id)
    except (Invitation.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy thư mời.") from None
    respondent_list = invitation.respondent.respondent_list
    if not (can_invite_list(user, respondent_list) or access.can_decide(user, invitation.respondent)):
        raise PermissionDenied(INVITE_DENIED)
    return invitation
