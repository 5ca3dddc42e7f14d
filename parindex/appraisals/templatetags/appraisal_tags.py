"""Small display helpers of the appraisal pages: points, moments in Vietnam's time, declared data."""

from django import template

from parindex.cycles.windows import format_moment
from parindex.frameworks import rules

register = template.Library()


@register.filter
def pts(value) -> str:
    """Points as officials write them (9,5); a dash when empty."""
    if value is None or value == "":
        return "—"
    try:
        return rules.format_number(rules.to_decimal(value))
    except (rules.RuleError, ArithmeticError):
        return str(value)


@register.filter
def signed(value) -> str:
    if value is None:
        return "—"
    text = rules.format_number(value)
    return f"+{text}" if value > 0 else text


@register.filter
def moment(value) -> str:
    return format_moment(value) if value else ""


@register.filter
def declared(value) -> str:
    """What the unit declared: a ratio as numerator/denominator, yes/no in words, other values as they are."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, dict):
        if "numerator" in value and "denominator" in value:
            return f"{pts(value['numerator'])}/{pts(value['denominator'])}"
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, int | float) or (isinstance(value, str) and value.replace(".", "", 1).isdigit()):
        return pts(value)
    return str(value)


@register.filter
def get(mapping, key):
    return (mapping or {}).get(key)
