"""The web shell: the home page (a unit's to-do list and its own latest result), the user's notices, the dashboard of
a cycle (at a glance, then unit by unit), the leaders' overview of published results, and the friendly error pages.
Every view calls an access helper first."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist, loader
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from parindex.assessments.models import AssessmentStatus
from parindex.core import notifications as notices
from parindex.core.selectors import action_label
from parindex.orgs import access as org_access

from . import access, selectors

NOTICES_PER_PAGE = 30


@login_required
def home(request):
    org_access.require_login(request.user)
    overview = selectors.home_overview(request.user)
    for event in overview.get("recent_events", []):
        event.label = action_label(event.action)
    overview["unit_results"] = selectors.unit_results(request.user)
    overview["overview_url"] = selectors.url_or_empty("web:overview") if access.may_see_overview(request.user) else ""
    return render(request, "web/home.html", {"nav_active": "home", **overview})


# --- notices -------------------------------------------------------------------------------------------------------


@login_required
@require_GET
def notification_list(request):
    org_access.require_login(request.user)
    qs = notices.notifications_of(request.user)
    only_unread = request.GET.get("chua-doc") == "1"
    if only_unread:
        qs = qs.filter(read_at__isnull=True)
    page_obj = Paginator(qs, NOTICES_PER_PAGE).get_page(request.GET.get("page"))
    for notice in page_obj.object_list:
        notice.link = selectors.safe_link(notice.url)
    return render(
        request,
        "web/notifications.html",
        {
            "nav_active": "notifications",
            "page_obj": page_obj,
            "only_unread": only_unread,
            "unread_total": notices.unread_count(request.user),
        },
    )


@login_required
@require_POST
def notification_read(request, notification_id: int):
    """Mark a notice read; with ``open``, go on to the object it is about."""
    notice = access.require_own_notification(request.user, notification_id)
    notices.notification_mark_read(notification=notice)
    link = selectors.safe_link(notice.url)
    if request.POST.get("open") and link:
        return redirect(link)
    return redirect("web:notifications")


@login_required
@require_POST
def notification_read_all(request):
    org_access.require_login(request.user)
    marked = notices.notifications_mark_all_read(user=request.user)
    if marked:
        messages.success(request, _("Đã đánh dấu %(n)d thông báo là đã đọc.") % {"n": marked})
    return redirect("web:notifications")


# --- progress of a cycle -------------------------------------------------------------------------------------------


def _windows_template() -> str:
    """The cycles app's countdown table when it exists, else ours."""
    try:
        loader.get_template("cycles/_windows.html")
    except TemplateDoesNotExist:
        return "web/_windows.html"
    return "cycles/_windows.html"


@login_required
@require_GET
def progress_pick(request):
    access.require_progress_any(request.user)
    cycles = list(access.cycles_with_progress(request.user).select_related("assessor").order_by("-year", "name"))
    return render(request, "web/progress_pick.html", {"nav_active": "progress", "cycles": cycles})


@login_required
@require_GET
def progress(request, cycle_id: int):
    cycle = access.require_progress(request.user, cycle_id)
    status = request.GET.get("trang-thai", "")
    if status not in AssessmentStatus.values:
        status = ""
    group = request.GET.get("nhom", "")
    group_id = int(group) if group.isdigit() and len(group) < 19 else None
    query = request.GET.get("q", "").strip()[:100]
    data = selectors.progress_dashboard(
        cycle, status=status, group_id=group_id, query=query, page=request.GET.get("page")
    )
    glance = selectors.cycle_glance(cycle, request.user, states=data["states"], window_states=data["window_states"])
    base = {k: v for k, v in (("nhom", group_id or ""), ("q", query)) if v}
    filters = {**({"trang-thai": status} if status else {}), **base}
    return render(
        request,
        "web/progress.html",
        {
            "nav_active": "progress",
            "cycle": cycle,
            "status": status,
            "group_id": group_id,
            "query": query,
            "base_query": urlencode(base),
            "filter_query": urlencode(filters),
            "windows_template": _windows_template(),
            "windows_refresh_url": selectors.url_or_empty("cycles:windows", cycle.pk),
            **data,
            **glance,
        },
    )


# --- leaders' overview of published results ------------------------------------------------------------------------


@login_required
@require_GET
def overview(request):
    """The published results of the provinces the user follows, with charts and the year-over-year movement;
    ``?bo=<id>`` shows one earlier published set."""
    access.require_overview(request.user)
    chosen = request.GET.get("bo", "")
    chosen = access.require_overview_set(request.user, chosen) if chosen else None
    data = selectors.leader_overview(request.user, chosen=chosen)
    return render(request, "web/overview.html", {"nav_active": "overview", **data})


# --- error pages ---------------------------------------------------------------------------------------------------


def error_403(request, exception=None):
    message = str(exception) if exception and str(exception) else ""
    return render(request, "403.html", {"message": message}, status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    # Rendered without a request context: the error may come from the database or a context processor.
    return HttpResponseServerError(loader.get_template("500.html").render())
