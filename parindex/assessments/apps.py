"""Self-assessment, evidence and appraisal (filled by the cycle issue)."""

from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "parindex.assessments"
    label = "assessments"
    verbose_name = "Tự đánh giá và thẩm định"
