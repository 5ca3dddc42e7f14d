"""The appraisal council: members, assignments, rounds 1 and 2, explanations, votes and confirmation."""

from django.apps import AppConfig


class AppraisalsConfig(AppConfig):
    name = "parindex.appraisals"
    label = "appraisals"
    verbose_name = "Thẩm định"
