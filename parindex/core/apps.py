"""Base models, the audit trail and shared helpers."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "parindex.core"
    label = "core"
    verbose_name = "Nền tảng chung"
