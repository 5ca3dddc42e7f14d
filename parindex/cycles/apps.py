"""Assessment cycles, windows and plans (filled by the cycle issue)."""

from django.apps import AppConfig


class CyclesConfig(AppConfig):
    name = "parindex.cycles"
    label = "cycles"
    verbose_name = "Đợt đánh giá"
