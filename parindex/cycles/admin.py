"""Read-mostly admin: cycles are changed through the application (services, audit trail), not here."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Cycle, CycleFramework, Extension, Participant, Responsibility, Task, TaskAttachment, Window


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PlanInline(ReadOnlyInline):
    model = CycleFramework
    fields = ("group", "framework")


class WindowInline(ReadOnlyInline):
    model = Window
    fields = ("kind", "opens_at", "closes_at")


@admin.register(Cycle)
class CycleAdmin(SimpleHistoryAdmin):
    list_display = ("name", "year", "assessor", "status")
    list_filter = ("status", "year")
    search_fields = ("name", "decision")
    readonly_fields = ("year", "assessor", "status", "created_at", "updated_at")
    inlines = [PlanInline, WindowInline]


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ("unit", "cycle", "group", "framework", "withdrawn_at")
    list_filter = ("cycle",)
    search_fields = ("unit__name", "unit__code")
    readonly_fields = ("cycle", "unit", "group", "framework", "withdrawn_at")


@admin.register(Extension)
class ExtensionAdmin(admin.ModelAdmin):
    list_display = ("unit", "cycle", "kind", "until", "granted_by", "revoked_at")
    list_filter = ("kind", "cycle")
    readonly_fields = [f.name for f in Extension._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Task)
class TaskAdmin(SimpleHistoryAdmin):
    list_display = ("number", "title", "cycle", "lead_unit", "deadline", "status")
    list_filter = ("status", "cycle")
    search_fields = ("title", "number", "lead_text")
    readonly_fields = ("cycle", "created_at", "updated_at", "completed_at")


@admin.register(TaskAttachment)
class TaskAttachmentAdmin(admin.ModelAdmin):
    list_display = ("original_name", "task", "size", "uploaded_by", "uploaded_at", "removed_at")
    readonly_fields = [f.name for f in TaskAttachment._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Responsibility)
class ResponsibilityAdmin(admin.ModelAdmin):
    list_display = ("cycle", "unit", "node", "division")
    list_filter = ("cycle",)
    search_fields = ("division", "unit__name")
