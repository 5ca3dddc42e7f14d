from django.urls import reverse
from django.utils.translation import gettext as _

from parindex.orgs import access


def navigation(request):
    """Role-aware navigation: each user sees the entries their roles open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [
        {"label": _("Trang chủ"), "url": reverse("home"), "key": "home"},
        {"label": _("Đơn vị"), "url": reverse("orgs:unit_list"), "key": "units"},
        {"label": _("Bộ chỉ số"), "url": reverse("frameworks:list"), "key": "frameworks"},
    ]
    if access.is_manager(user):
        items.append({"label": _("Vai trò & người dùng"), "url": reverse("membership_list"), "key": "members"})
        items.append({"label": _("Nhật ký"), "url": reverse("core:audit_list"), "key": "audit"})
    items.append({"label": _("API"), "url": "/api/v1/docs", "key": "api"})
    if user.is_staff and access.is_system_admin(user):
        items.append({"label": _("Quản trị"), "url": reverse("admin:index"), "key": "admin"})
    return {"nav_items": items}
