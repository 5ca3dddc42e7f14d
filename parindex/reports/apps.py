"""Excel, Word, PDF, charts (filled by the reports issue)."""

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "parindex.reports"
    label = "reports"
    verbose_name = "Báo cáo"
