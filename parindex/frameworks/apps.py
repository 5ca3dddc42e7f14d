"""Framework versions and scoring rules (filled by the framework issue)."""

from django.apps import AppConfig


class FrameworksConfig(AppConfig):
    name = "parindex.frameworks"
    label = "frameworks"
    verbose_name = "Bộ chỉ số"
