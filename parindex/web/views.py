from django.contrib.auth.decorators import login_required
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from parindex.core.selectors import action_label
from parindex.orgs import access

from . import selectors


@login_required
def home(request):
    access.require_login(request.user)
    overview = selectors.home_overview(request.user)
    for event in overview.get("recent_events", []):
        event.label = action_label(event.action)
    return render(request, "web/home.html", {"nav_active": "home", **overview})


def error_403(request, exception=None):
    message = str(exception) if exception and str(exception) else ""
    return render(request, "403.html", {"message": message}, status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    # Rendered without a request context: the error may come from the database or a context processor.
    return HttpResponseServerError(loader.get_template("500.html").render())
