from django.contrib import admin

from .models import Assignment, Council, CouncilMember, Vote


class CouncilMemberInline(admin.TabularInline):
    model = CouncilMember
    extra = 0
    raw_id_fields = ["user", "organisation"]
    readonly_fields = ["ended_at"]


@admin.register(Council)
class CouncilAdmin(admin.ModelAdmin):
    list_display = ["name", "cycle", "decision"]
    inlines = [CouncilMemberInline]
    raw_id_fields = ["cycle"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["appraiser", "cycle", "node", "unit", "agency", "ended_at"]
    list_filter = ["cycle"]
    raw_id_fields = ["cycle", "appraiser", "node", "unit", "agency"]


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    """Votes are recorded through the council's page; here they are only read."""

    list_display = ["assessment", "member", "round", "choice", "recorded_by", "created_at"]
    list_filter = ["round", "choice"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
