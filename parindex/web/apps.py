"""Layout, navigation, home page, error pages."""

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "parindex.web"
    label = "web"
    verbose_name = "Giao diện"
