from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from parindex.orgs import access


@login_required
def home(request):
    access.require_login(request.user)
    return render(request, "web/home.html", {"nav_active": "home"})


def error_403(request, exception=None):
    return render(request, "403.html", {"message": str(exception) if exception else ""}, status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    return render(request, "500.html", status=500)
