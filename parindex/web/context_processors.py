from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from parindex.appraisals.models import CouncilMember, MemberRole
from parindex.orgs import access
from parindex.orgs.models import Role

from . import access as web_access


def _url(name: str) -> str:
    """The page's address, or an empty string while it does not exist yet (its entry is then left out)."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def _council_seats(user) -> set[str]:
    """The roles of the user's active seats in councils (one query)."""
    return set(CouncilMember.objects.filter(user=user, ended_at__isnull=True).values_list("role", flat=True))


def _items(user) -> list[dict]:
    roles = access.user_roles(user)
    unit_roles = {Role.UNIT_OFFICER, Role.UNIT_LEADER}
    appraisal_roles = access.MANAGER_ROLES | {Role.APPRAISER, Role.COUNCIL_CHAIR}
    entries = [
        (_("Trang chủ"), "home", "home", True),
        (_("Đơn vị"), "orgs:unit_list", "units", True),
        (_("Bộ chỉ số"), "frameworks:list", "frameworks", True),
        (_("Đợt đánh giá"), "cycles:list", "cycles", True),
        (_("Tự đánh giá"), "assessments:list", "assessments", bool(roles & (unit_roles | access.OVERSIGHT_ROLES))),
        (_("Thẩm định"), "appraisals:home", "appraisals", None),  # decided below: roles, or a council seat
        (_("Tiến độ"), "web:progress", "progress", None),
        (_("Tổng quan"), "web:overview", "overview", bool(roles & access.OVERSIGHT_ROLES)),
        (_("Điều tra XHH"), "surveys:list", "surveys", bool(roles & (unit_roles | access.OVERSIGHT_ROLES))),
        (_("Kết quả"), "scoring:list", "results", True),
    ]
    seats = None  # read once, and only when the roles alone do not decide
    items = []
    for label, name, key, allowed in entries:
        if allowed is None:
            needed = appraisal_roles if key == "appraisals" else web_access.PROGRESS_ROLES
            allowed = bool(roles & needed)
            if not allowed:
                seats = _council_seats(user) if seats is None else seats
                allowed = bool(seats) if key == "appraisals" else MemberRole.CHAIR in seats
        url = _url(name) if allowed else ""
        if url:
            items.append({"label": label, "url": url, "key": key})
    from parindex.reports.access import may_request_some

    reports_url = _url("reports:list")
    if reports_url and may_request_some(user):
        items.append({"label": _("Báo cáo"), "url": reports_url, "key": "reports"})
    if access.is_manager(user):
        items.append({"label": _("Vai trò & người dùng"), "url": reverse("membership_list"), "key": "members"})
        items.append({"label": _("Nhật ký"), "url": reverse("core:audit_list"), "key": "audit"})
    notices_url = _url("web:notifications")
    if notices_url:
        items.append({"label": _("Thông báo"), "url": notices_url, "key": "notifications", "badge": True})
    items.append({"label": _("API"), "url": "/api/v1/docs", "key": "api"})
    if user.is_staff and access.is_system_admin(user):
        items.append({"label": _("Quản trị"), "url": reverse("admin:index"), "key": "admin"})
    for item in items:  # reference and administration pages go in one menu, so the bar fits a laptop screen
        item["more"] = item["key"] in MORE_KEYS
    return items


MORE_KEYS = frozenset({"units", "frameworks", "members", "audit", "api", "admin"})


class _Lazy:
    """A value computed the first time a template asks for it, then remembered: a page fragment (htmx) that does
    not show the navigation pays no query for it."""

    def __init__(self, compute):
        self._compute = compute
        self._done = False
        self._value = None

    def __call__(self):
        if not self._done:
            self._value, self._done = self._compute(), True
        return self._value


def navigation(request):
    """Role-aware navigation: each user sees the entries their roles open; the unread notices' badge (one COUNT,
    only for signed-in users and only when the page shows it)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "unread_notices": 0}
    from parindex.core.notifications import unread_count

    return {
        "nav_items": SimpleLazyObject(lambda: _items(user)),
        "unread_notices": _Lazy(lambda: unread_count(user)),
    }
