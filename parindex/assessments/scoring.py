"""How one entry is scored from what the unit declares: the framework's rule, evaluated with the unit's context.

Kept apart from the services so the grid, the API, the import and the appraisal all use the same call.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError

from parindex.frameworks import rules
from parindex.frameworks.models import Method

# Methods a unit scores itself; survey and statistics criteria are shown but scored elsewhere.
SELF_SCORED_METHODS = {Method.APPRAISED, Method.BONUS, Method.PENALTY}
MANUAL_RULE = {"type": "manual", "step": "0.25"}


def is_self_scored(node) -> bool:
    return node.method in SELF_SCORED_METHODS


def rule_of(node) -> dict:
    """The node's rule; a self-scored leaf without one is scored directly (manual, step 0.25)."""
    return node.rule or MANUAL_RULE


def is_manual(node) -> bool:
    return rule_of(node).get("type") == "manual"


# The administrative level whose thresholds apply to a unit kind that a rule does not name itself.
FALLBACK_LEVELS = {
    "department": ("province",),
    "public_service_unit": ("province",),
    "central_agency": ("province",),
    "division": ("district",),
}


def context_for(*, unit, year: int) -> dict:
    level = unit.kind if unit.kind in rules.LEVEL_LABELS else None
    return {"level": level, "year": year, "fallback_levels": FALLBACK_LEVELS.get(unit.kind, ())}


def score(node, value, *, context: dict, field: str = "declared") -> tuple[Decimal | None, str]:
    """Points and the rule's explanation for ``value`` (None or "" clears the score).

    Raises ValidationError on ``field`` naming the criterion."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, ""
    try:
        result = rules.evaluate(
            rule_of(node), value, max_points=node.max_points, min_points=node.min_points, context=context
        )
    except (rules.InputError, rules.RuleError) as exc:
        raise ValidationError({field: f"Tiêu chí {node.code}: {exc}"}) from None
    return result.points, result.explanation


def check_points(node, points, *, field: str = "points") -> Decimal | None:
    """Points entered by an appraiser: within the node's range and on the rule's step when it is manual."""
    if points is None or (isinstance(points, str) and not points.strip()):
        return None
    try:
        number, _shown = rules.coerce_number(points, "number")
    except rules.InputError as exc:
        raise ValidationError({field: f"Tiêu chí {node.code}: {exc}"}) from None
    low, high = Decimal(node.min_points), Decimal(node.max_points)
    if not (low <= number <= high):
        raise ValidationError(
            {
                field: f"Tiêu chí {node.code}: điểm {rules.format_number(number)} phải trong khoảng "
                f"{rules.format_number(low)}–{rules.format_number(high)}."
            }
        )
    step = rules.to_decimal(rule_of(node).get("step", "0.01")) if is_manual(node) else Decimal("0.01")
    if (number - low) % step != 0:
        shown, step_shown = rules.format_number(number), rules.format_number(step)
        raise ValidationError({field: f"Tiêu chí {node.code}: điểm {shown} phải theo bước {step_shown}."})
    return rules.quantize(number)
