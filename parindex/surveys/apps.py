"""Respondent lists, questionnaires, responses (filled by the survey issue)."""

from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "parindex.surveys"
    label = "surveys"
    verbose_name = "Điều tra xã hội học"
