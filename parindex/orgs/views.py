from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import access


@login_required
def unit_list(request):
    access.require_registry_read(request.user)
    return render(request, "orgs/unit_list.html", {"nav_active": "units"})
