from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from parindex.orgs import access

from . import selectors
from .exports import csv_response
from .forms import AuditFilterForm

PAGE_SIZE = 50


def _filtered(request):
    events = access.audit_events_visible(request.user)
    form = AuditFilterForm(request.GET or None, action_choices=selectors.audit_action_choices(events))
    if form.is_bound:
        form.is_valid()
    return form, selectors.audit_events_filter(events, **form.filters())


@login_required
def audit_list(request):
    access.require_manager(request.user)
    form, events = _filtered(request)
    page = Paginator(events.select_related("actor", "unit"), PAGE_SIZE).get_page(request.GET.get("trang"))
    for event in page.object_list:
        event.label = selectors.action_label(event.action)
        event.change_lines = selectors.changes_lines(event.changes)
    query = request.GET.copy()
    query.pop("trang", None)
    return render(
        request,
        "core/audit_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "nav_active": "audit"},
    )


@login_required
def audit_csv(request):
    access.require_manager(request.user)
    _form, events = _filtered(request)
    filename = f"nhat-ky-{timezone.localtime():%Y%m%d-%H%M}.csv"
    return csv_response(selectors.audit_csv_rows(events), filename)
