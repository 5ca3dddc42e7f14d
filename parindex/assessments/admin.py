"""Read-only administration: self-assessments change through the application (services, windows, audit trail)."""

from django.contrib import admin

from .models import Assessment, Entry, EntryEvidence, Evidence, ScoreChange, Submission


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ("unit", "cycle", "framework", "status", "submitted_at", "version")
    list_filter = ("status", "cycle")
    search_fields = ("unit__name", "unit__code")
    list_select_related = ("unit", "cycle", "framework")


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ("assessment", "node", "self_points", "round1_points", "round2_points", "version")
    list_select_related = ("assessment__unit", "assessment__cycle", "node")
    search_fields = ("assessment__unit__name", "node__code")


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = (
        "title",
        "assessment",
        "kind",
        "original_name",
        "size",
        "supplementary",
        "uploaded_at",
        "withdrawn_at",
    )
    list_filter = ("kind", "supplementary")
    search_fields = ("title", "number", "sha256", "original_name")
    list_select_related = ("assessment__unit", "assessment__cycle")


@admin.register(EntryEvidence)
class EntryEvidenceAdmin(ReadOnlyAdmin):
    list_display = ("entry", "evidence", "attached_by", "attached_at", "supplementary")


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ("assessment", "number", "total_points", "submitted_by", "submitted_at", "withdrawn_at")
    list_select_related = ("assessment__unit", "assessment__cycle", "submitted_by")


@admin.register(ScoreChange)
class ScoreChangeAdmin(ReadOnlyAdmin):
    list_display = ("entry", "stage", "old_points", "new_points", "actor", "created_at")
    list_filter = ("stage",)
