"""Numbers as Vietnamese officials write them (9,5 — not 9,50) and small labels of the framework pages."""

from django import template

from parindex.frameworks import rules
from parindex.frameworks.spec import METHOD_LABELS, PROVENANCE_LABELS

register = template.Library()


@register.filter
def vn(value) -> str:
    if value is None or value == "":
        return ""
    try:
        return rules.format_number(rules.to_decimal(value))
    except (rules.RuleError, ArithmeticError):
        return str(value)


@register.filter
def method_label(value) -> str:
    return METHOD_LABELS.get(value or "", "")


@register.filter
def provenance_label(value) -> str:
    return PROVENANCE_LABELS.get(value or "", "")


@register.filter
def get(mapping, key):
    return (mapping or {}).get(key)
