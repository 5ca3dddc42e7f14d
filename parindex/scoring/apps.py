"""Score engine, results, rankings (filled by the results issue)."""

from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "parindex.scoring"
    label = "scoring"
    verbose_name = "Kết quả Chỉ số"
