"""Self-assessment: entries, evidence, submissions and the history of points."""

from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "parindex.assessments"
    label = "assessments"
    verbose_name = "Tự đánh giá"
