"""Small display helpers of the self-assessment pages."""

from django import template

from parindex.core.files import format_size
from parindex.cycles.windows import format_moment

register = template.Library()


@register.filter
def moment(value) -> str:
    """``17:00 ngày 15/12/2026`` in Vietnam's time."""
    return format_moment(value) if value else ""


@register.filter
def filesize(value) -> str:
    return format_size(int(value or 0))


@register.filter
def status_badge(status: str) -> str:
    return {
        "not_started": "text-bg-light border",
        "in_progress": "text-bg-primary",
        "awaiting_review": "text-bg-warning",
        "returned": "text-bg-danger",
        "submitted": "text-bg-success",
        "under_appraisal": "text-bg-info",
        "explanation_requested": "text-bg-warning",
        "confirmed": "text-bg-dark",
    }.get(status, "text-bg-secondary")
