"""Read-only admin: report jobs and Word templates are made through the application (services, audit trail).
Files are not linked here: they leave only through the permission-checked download views."""

from django.contrib import admin

from .models import DocumentTemplate, ReportJob


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportJob)
class ReportJobAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "cycle", "unit", "state", "requested_by", "created_at", "finished_at", "size")
    list_filter = ("state", "kind", "format")
    search_fields = ("filename", "requested_by__username", "unit__name", "cycle__name")
    list_select_related = ("cycle", "unit", "requested_by")
    date_hierarchy = "created_at"
    exclude = ("file",)
    readonly_fields = (
        "kind",
        "format",
        "cycle",
        "unit",
        "group",
        "state",
        "progress_done",
        "progress_total",
        "progress_label",
        "error",
        "filename",
        "size",
        "requested_by",
        "started_at",
        "finished_at",
        "created_at",
        "updated_at",
    )


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "owner", "kind", "active", "uploaded_by", "created_at")
    list_filter = ("kind", "active")
    search_fields = ("original_name", "owner__name", "sha256")
    list_select_related = ("owner", "uploaded_by")
    exclude = ("file",)
    readonly_fields = ("kind", "owner", "original_name", "sha256", "active", "uploaded_by", "created_at", "updated_at")
