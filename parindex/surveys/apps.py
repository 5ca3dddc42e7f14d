"""The sociological survey: respondent groups and lists, questionnaires, invitations, answers, flags, points."""

from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "parindex.surveys"
    label = "surveys"
    verbose_name = "Điều tra xã hội học"
