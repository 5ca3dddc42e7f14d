"""Template helpers of the cycles app: moments in Vietnam's time and the windows' countdowns."""

from django import template

from parindex.cycles import selectors
from parindex.cycles.windows import format_moment

register = template.Library()


@register.filter
def moment(value) -> str:
    """``17:00 ngày 15/12/2026`` (Vietnam's time); empty for None."""
    return format_moment(value) if value else ""


@register.filter
def window_display(state) -> dict:
    """``{"badge", "css", "text", "detail"}`` for a ``WindowState``."""
    return selectors.window_display(state)


@register.simple_tag(takes_context=True)
def windows_given(context):
    """The list of WindowState handed to ``cycles/_windows.html`` as ``windows`` (or ``states``)."""
    return context.get("windows") or context.get("states") or []


@register.simple_tag(takes_context=True)
def windows_refresh(context):
    """The URL the windows block refreshes from (``refresh_url`` or ``windows_refresh_url``), or ""."""
    return context.get("refresh_url") or context.get("windows_refresh_url") or ""
