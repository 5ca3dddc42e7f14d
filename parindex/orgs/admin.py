from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from .models import ApiToken, Membership, OrgUnit, OrgUnitAlias, SecurityPolicy, UnitGroup, UnitLineage, User


class AliasInline(admin.TabularInline):
    model = OrgUnitAlias
    extra = 0


@admin.register(OrgUnit)
class OrgUnitAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "kind", "parent", "valid_from", "valid_to"]
    list_filter = ["kind"]
    search_fields = ["code", "name", "name_key"]
    raw_id_fields = ["parent"]
    readonly_fields = ["path", "name_key"]
    inlines = [AliasInline]

    def has_delete_permission(self, request, obj=None):
        return False  # units end on a date; they are never deleted


@admin.register(UnitLineage)
class UnitLineageAdmin(admin.ModelAdmin):
    list_display = ["predecessor", "kind", "successor", "effective_date"]
    list_filter = ["kind", "effective_date"]
    raw_id_fields = ["predecessor", "successor"]
    search_fields = ["predecessor__name", "successor__name"]


@admin.register(UnitGroup)
class UnitGroupAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "owner", "is_active"]
    filter_horizontal = ["units"]
    raw_id_fields = ["owner"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (("parindex", {"fields": ("full_name", "phone", "position")}),)
    list_display = ["username", "full_name", "email", "is_active", "is_superuser"]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "role", "unit", "includes_subunits", "ended_at"]
    list_filter = ["role"]
    raw_id_fields = ["user", "unit"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["key_hash", "prefix"]


admin.site.register(SecurityPolicy, SimpleHistoryAdmin)
admin.site.site_header = "parindex — Quản trị"
admin.site.site_title = "parindex"
