"""Template helpers of the web shell."""

import datetime as dt

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def duration_vi(value) -> str:
    """A timedelta as Vietnamese words: "1 giờ 30 phút"."""
    if not isinstance(value, dt.timedelta):
        return ""
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)d ngày", "%(n)d ngày", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)d giờ", "%(n)d giờ", hours) % {"n": hours})
    if minutes or not parts:
        parts.append(ngettext("%(n)d phút", "%(n)d phút", minutes) % {"n": minutes})
    return " ".join(parts)


@register.simple_tag
def lockout_until(username: str):
    """When the lock on ``username`` ends: the last failed attempt plus the cool-off time (None if unknown)."""
    from axes.helpers import get_cool_off
    from axes.models import AccessAttempt

    cool_off = get_cool_off()
    if not username or not cool_off:
        return None
    last = (
        AccessAttempt.objects.filter(username=username).order_by("-attempt_time").values_list("attempt_time", flat=True)
    ).first()
    return last + cool_off if last else None


@register.filter
def role_label(role: str) -> str:
    from parindex.orgs.models import Role

    return str(dict(Role.choices).get(role, role))


@register.simple_tag
def yes_no(value) -> str:
    return _("Có") if value else _("Không")


@register.simple_tag
def unit_url(unit) -> str:
    """The unit's page in the registry (or the registry searched for its code while that page does not exist)."""
    from urllib.parse import quote

    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("orgs:unit_detail", args=[unit.pk])
    except NoReverseMatch:
        return f"{reverse('orgs:unit_list')}?q={quote(unit.code)}"
