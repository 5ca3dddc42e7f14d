from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Framework, FrameworkStatus, Node


class NodeInline(admin.TabularInline):
    model = Node
    fields = ("code", "name", "parent", "max_points", "min_points", "method", "order")
    extra = 0
    show_change_link = True

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.status == FrameworkStatus.DRAFT

    def has_add_permission(self, request, obj=None):
        return obj is None or obj.status == FrameworkStatus.DRAFT

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Framework)
class FrameworkAdmin(SimpleHistoryAdmin):
    """Read-mostly: frameworks are changed through the application (services, audit trail), not here."""

    list_display = ("code", "name", "owner", "year_from", "year_to", "status", "declared_total")
    list_filter = ("status",)
    search_fields = ("code", "name", "decision")
    readonly_fields = ("status", "activated_at", "retired_at", "previous_version", "created_at", "updated_at")
    inlines = [NodeInline]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.status == FrameworkStatus.DRAFT)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Node)
class NodeAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "framework", "max_points", "method")
    list_filter = ("method", "framework")
    search_fields = ("code", "name")

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or obj.framework.status == FrameworkStatus.DRAFT
        )

    def has_delete_permission(self, request, obj=None):
        return False
