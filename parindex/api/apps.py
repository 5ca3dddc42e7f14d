"""The NinjaAPI and its routers (no business logic)."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "parindex.api"
    label = "api"
    verbose_name = "API"
