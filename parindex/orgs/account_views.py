from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import access


@login_required
def account(request):
    access.require_login(request.user)
    return render(request, "orgs/account.html", {})


@login_required
def two_factor(request):
    access.require_login(request.user)
    return render(request, "orgs/two_factor.html", {})
