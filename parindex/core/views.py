from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from parindex.orgs import access


@login_required
def audit_list(request):
    events = access.audit_events_visible(request.user)[:200]
    return render(request, "core/audit_list.html", {"events": events, "nav_active": "audit"})
