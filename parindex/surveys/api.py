"""The survey on the API (``/api/v1/surveys``). Each part of the survey has its own router module, added here."""

from ninja import Router

from . import api_answer, api_lists, api_progress, api_questionnaires

router = Router(tags=["Điều tra xã hội học"])
router.add_router("", api_lists.router)  # groups, respondent lists, decisions, sampling, sending
router.add_router("", api_questionnaires.router)  # questionnaires
router.add_router("", api_answer.router)  # invitations and answering
router.add_router("", api_progress.router)  # progress, flags, survey points
