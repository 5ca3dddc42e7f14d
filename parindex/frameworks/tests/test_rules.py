"""The scoring-rule evaluator: examples that read like the framework's text, then properties over random rules."""

import ast
import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from parindex.frameworks import rules

ON_TIME = {
    "type": "bands",
    "input": "percent",
    "label": "Tỷ lệ",
    "direction": "increasing",
    "bands": [
        {"min": 99, "fraction": 1},
        {"min": 95, "max": 99, "fraction": 0.75},
        {"min": 90, "max": 95, "fraction": 0.5},
        {"max": 90, "fraction": 0},
    ],
}


def test_the_module_imports_nothing_from_django():
    tree = ast.parse(Path(rules.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert not any((name or "").startswith("django") for name in imported)


def test_a_threshold_rule_explains_itself_with_a_decimal_comma():
    result = rules.evaluate(ON_TIME, "97,5", max_points=2)
    assert result.points == D("1.50")
    assert result.explanation == "Tỷ lệ 97,5% trong khoảng từ 95% đến dưới 99% → 1,5/2 điểm"
    top = {
        "type": "bands",
        "bands": [
            {"min": 95, "fraction": 0.75},
            {"max": 95, "fraction": 0},
        ],
    }
    # the top band alone reads like the framework's text
    top["bands"][0]["fraction"] = 1
    assert rules.evaluate(top, 97.5, max_points=2).explanation == "Tỷ lệ 97,5% ≥ 95% → 2/2 điểm"


def test_a_percent_may_be_declared_as_a_ratio():
    result = rules.evaluate(ON_TIME, {"numerator": 9812, "denominator": 10000}, max_points=2)
    assert result.points == D("1.50")
    assert "9.812/10.000 = 98,12%" in result.explanation


def test_the_upper_end_of_a_percent_range_belongs_to_the_last_band():
    rule = {"type": "bands", "bands": [{"max": 80, "fraction": 0}, {"min": 80, "max": 100, "fraction": 1}]}
    assert rules.rule_problems(rule, max_points=1) == []
    assert rules.evaluate(rule, 100, max_points=1).points == 1


def test_digitisation_targets_depend_on_the_level_of_the_unit():
    rule = {
        "type": "bands",
        "by_level": {
            "province": [{"min": 30, "fraction": 1}, {"max": 30, "fraction": 0}],
            "district": [{"min": 20, "fraction": 1}, {"max": 20, "fraction": 0}],
            "commune": [{"min": 15, "fraction": 1}, {"max": 15, "fraction": 0}],
        },
    }
    assert rules.rule_problems(rule, max_points=1) == []
    assert rules.evaluate(rule, 25, max_points=1, context={"level": "province"}).points == 0
    assert rules.evaluate(rule, 25, max_points=1, context={"level": "district"}).points == 1
    assert rules.evaluate(rule, 16, max_points=1, context={"level": "commune"}).points == 1
    with pytest.raises(rules.InputError, match="cấp của đơn vị"):
        rules.evaluate(rule, 25, max_points=1)


def test_yes_no_and_levels():
    assert rules.evaluate({"type": "yes_no"}, "Có", max_points=1.5).points == D("1.5")
    assert rules.evaluate({"type": "yes_no"}, "không", max_points=1.5).points == 0
    graded = {
        "type": "levels",
        "levels": [
            {"label": "Xuất sắc", "fraction": 1},
            {"label": "Tốt", "fraction": 0.75},
            {"label": "Hoàn thành", "fraction": 0.5},
        ],
    }
    result = rules.evaluate(graded, "tot", max_points=2)
    assert (result.points, result.explanation) == (D("1.50"), "Mức “Tốt” → 1,5/2 điểm")
    with pytest.raises(rules.InputError, match="không phải là một mức"):
        rules.evaluate(graded, "kém", max_points=2)


def test_linear_count_manual_bonus_penalty_survey_deadline():
    linear = {"type": "linear", "from_value": 50, "to_value": 100}
    assert rules.evaluate(linear, 75, max_points=2.5).points == D("1.25")
    assert rules.evaluate(linear, 10, max_points=2.5).points == 0
    count = {"type": "count", "steps": [{"at_least": 3, "fraction": 1}, {"at_least": 2, "fraction": 0.5}]}
    assert [rules.evaluate(count, n, max_points=1).points for n in (0, 2, 3, 9)] == [0, D("0.5"), 1, 1]
    manual = {"type": "manual", "step": 0.25}
    assert rules.evaluate(manual, "0,75", max_points=1).points == D("0.75")
    with pytest.raises(rules.InputError, match="bước"):
        rules.evaluate(manual, "0.3", max_points=1)
    bonus = {"type": "bonus", "per_item": 0.5, "cap": 1}
    assert rules.evaluate(bonus, 5, max_points=1).points == 1
    penalty = {"type": "penalty", "per_item": 0.5, "cap": 2}
    result = rules.evaluate(penalty, 3, max_points=0, min_points=-2)
    assert result.points == D("-1.5")
    assert "trừ 1,5 điểm" in result.explanation
    assert rules.evaluate(penalty, 10, max_points=0, min_points=-2).points == -2
    survey = {"type": "survey", "component": "sipas"}
    assert rules.evaluate(survey, "87,5", max_points=10).explanation == "Điểm SIPAS 87,5% × 10 → 8,75/10 điểm"
    deadline = {"type": "deadline", "due": "12-15", "late_steps": [{"max_days_late": 5, "fraction": 0.5}]}
    ctx = {"year": 2024}
    assert rules.evaluate(deadline, "15/12/2024", max_points=1, context=ctx).points == 1
    assert rules.evaluate(deadline, dt.date(2024, 12, 18), max_points=1, context=ctx).points == D("0.5")
    assert rules.evaluate(deadline, "2025-01-10", max_points=1, context=ctx).points == 0


def test_rounding_is_half_up_to_two_places():
    rule = {"type": "levels", "levels": [{"label": "A", "fraction": 1}, {"label": "B", "fraction": 0.125}]}
    assert rules.evaluate(rule, "B", max_points=1).points == D("0.13")  # 0.125 → 0.13, not banker's 0.12
    assert rules.evaluate({"type": "survey"}, "33.333", max_points=1.5).points == D("0.50")


GAP = {"type": "bands", "bands": [{"min": 90, "fraction": 1}, {"max": 85, "fraction": 0}]}
WRONG_WAY = {"type": "count", "steps": [{"at_least": 2, "fraction": 0.5}, {"at_least": 3, "fraction": 0.25}]}
NOT_RISING = {
    "type": "bands",
    "direction": "increasing",
    "bands": [{"min": 50, "fraction": 0}, {"max": 50, "fraction": 1}],
}


@pytest.mark.parametrize(
    ("rule", "max_points", "message"),
    [
        (
            {"type": "bands", "bands": [{"min": 90, "fraction": 1}, {"max": 85, "fraction": 0}]},
            1,
            "để hở khoảng từ 85%",
        ),
        ({"type": "bands", "bands": [{"min": 80, "fraction": 1}, {"max": 90, "fraction": 0}]}, 1, "chồng lên"),
        ({"type": "bands", "bands": [{"min": 50, "fraction": 1}]}, 1, "dưới 50%"),
        ({"type": "bands", "input": "integer", "bands": [{"max": 5, "fraction": 1}]}, 1, "từ 5 trở lên"),
        ({"type": "bands", "bands": [{"min": 50, "fraction": 2}, {"max": 50, "fraction": 0}]}, 1, "vượt điểm tối đa"),
        ({"type": "yes_no", "yes": {"points": 3}}, 2, "vượt điểm tối đa 2"),
        ({"type": "yes_no", "yes": {"fraction": 0.5}}, 2, "không có trường hợp nào đạt 2 điểm"),
        ({"type": "manual", "step": 0.25}, 1.1, "bước chấm"),
        ({"type": "bonus", "per_item": 0.5, "cap": 3}, 2, "vượt điểm tối đa"),
        (
            {"type": "count", "steps": [{"at_least": 2, "fraction": 0.5}, {"at_least": 3, "fraction": 0.25}]},
            1,
            "không giảm",
        ),
        (
            {
                "type": "bands",
                "direction": "increasing",
                "bands": [{"min": 50, "fraction": 0}, {"max": 50, "fraction": 1}],
            },
            1,
            "không giảm",
        ),
        ({"type": "dice"}, 1, "không hợp lệ"),
        ({"type": "bands", "bands": [{"min": "abc", "fraction": 1}]}, 1, "không phải là số"),
        ({"type": "yes_no", "maybe": 1}, 1, "khóa không hợp lệ maybe"),
    ],
)
def test_rules_that_cannot_be_used_are_explained(rule, max_points, message):
    problems = rules.rule_problems(rule, max_points=max_points)
    assert problems, rule
    assert any(message in p for p in problems), problems


def test_a_penalty_never_goes_below_its_floor():
    assert rules.rule_problems({"type": "penalty", "per_item": 1, "cap": 3}, max_points=0, min_points=-2)


def test_canonical_form_fills_defaults_and_is_stable():
    data = rules.canonical({"type": "yes_no"})
    assert data == {"type": "yes_no", "yes": {"fraction": 1}, "no": {"fraction": 0}}
    assert rules.canonical(data) == data
    assert rules.canonical({"type": "bands", "bands": [{"min": "0.5", "fraction": "1"}, {"max": 0.5, "fraction": 0}]})[
        "bands"
    ][0] == {"min": 0.5, "fraction": 1}


def test_vietnamese_number_format():
    assert rules.format_number(D("12345.678")) == "12.345,678"
    assert rules.format_number(D("1.50")) == "1,5"
    assert rules.format_number(D("-2")) == "-2"


# --- properties ---------------------------------------------------------------------------------------------------

FRACTIONS = st.sampled_from([D(0), D("0.25"), D("0.5"), D("0.75"), D(1)])
MAXES = st.decimals(min_value=D("0.25"), max_value=D(20), places=2)


@st.composite
def band_rules(draw, inp="percent"):
    low, high = (0, 100) if inp == "percent" else (0, 1000)
    cuts = sorted(draw(st.sets(st.integers(min_value=low + 1, max_value=high - 1), min_size=1, max_size=5)))
    fractions = sorted(draw(st.lists(FRACTIONS, min_size=len(cuts) + 1, max_size=len(cuts) + 1)))
    fractions[-1] = D(1)
    edges = [None, *cuts, None]
    bands = []
    for i, fraction in enumerate(fractions):
        band = {"fraction": fraction}
        if edges[i] is not None:
            band["min"] = edges[i]
        if edges[i + 1] is not None:
            band["max"] = edges[i + 1]
        bands.append(band)
    if draw(st.booleans()):
        bands.reverse()
    return {"type": "bands", "input": inp, "direction": "increasing", "bands": bands}


@st.composite
def any_rule(draw):
    kind = draw(st.sampled_from(["bands", "int_bands", "linear", "count", "levels", "yes_no", "survey", "manual"]))
    if kind == "bands":
        return draw(band_rules())
    if kind == "int_bands":
        return draw(band_rules("integer"))
    if kind == "linear":
        a, b = sorted(draw(st.lists(st.integers(0, 100), min_size=2, max_size=2, unique=True)))
        return {"type": "linear", "from_value": a, "to_value": b}
    if kind == "count":
        ns = sorted(draw(st.sets(st.integers(1, 20), min_size=1, max_size=4)))
        fr = sorted(draw(st.lists(FRACTIONS, min_size=len(ns), max_size=len(ns))))
        fr[-1] = D(1)
        return {"type": "count", "steps": [{"at_least": n, "fraction": f} for n, f in zip(ns, fr, strict=True)]}
    if kind == "levels":
        fr = draw(st.lists(FRACTIONS, min_size=1, max_size=5)) + [D(1)]
        return {"type": "levels", "levels": [{"label": f"Mức {i}", "fraction": f} for i, f in enumerate(fr)]}
    if kind == "manual":
        return {"type": "manual", "step": D("0.25")}
    return {"type": kind}


def quarter(value):
    return (value / D("0.25")).to_integral_value() * D("0.25")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(rule=any_rule(), max_points=MAXES, data=st.data())
def test_a_valid_rule_never_gives_more_than_the_max_or_less_than_the_floor(rule, max_points, data):
    if rule["type"] == "manual":
        max_points = quarter(max_points)
        assume(max_points > 0)
    assert rules.rule_problems(rule, max_points=max_points) == []
    parsed = rules.parse_rule(rule)
    value = data.draw(value_strategy(parsed, max_points))
    result = parsed.evaluate(value, max_points=max_points)
    assert D(0) <= result.points <= max_points
    assert result.points == result.points.quantize(D("0.01"))
    assert "điểm" in result.explanation


def value_strategy(parsed, max_points):
    if parsed.input == "percent":
        return st.decimals(min_value=0, max_value=100, places=3)
    if parsed.input == "integer":
        return st.integers(min_value=0, max_value=5000)
    if parsed.input == "yes_no":
        return st.booleans()
    if parsed.input == "choice":
        return st.sampled_from([key for key, _label, _o in parsed.levels])
    if parsed.input == "points":
        steps = int(max_points / parsed.step)
        return st.integers(0, steps).map(lambda n: parsed.step * n)
    return st.decimals(min_value=-1000, max_value=1000, places=2)


@settings(max_examples=200)
@given(rule=any_rule().filter(lambda r: r["type"] not in ("levels", "yes_no")), max_points=MAXES, data=st.data())
def test_rules_that_promise_to_be_monotone_are(rule, max_points, data):
    if rule["type"] == "manual":
        max_points = quarter(max_points)
        assume(max_points > 0)
    parsed = rules.parse_rule(rule)
    assert parsed.monotone == "increasing"
    strategy = value_strategy(parsed, max_points)
    a, b = sorted([data.draw(strategy), data.draw(strategy)])
    assert parsed.evaluate(a, max_points=max_points).points <= parsed.evaluate(b, max_points=max_points).points


@settings(max_examples=300)
@given(
    fractions=st.lists(st.decimals(min_value=-2, max_value=3, places=2), min_size=2, max_size=5),
    points=st.lists(st.decimals(min_value=-5, max_value=5, places=2), min_size=0, max_size=2),
    max_points=MAXES,
    floor=st.sampled_from([D(0), D(-1), D(-2)]),
    data=st.data(),
)
def test_whatever_passes_validation_stays_within_bounds(fractions, points, max_points, floor, data):
    """Random (often wrong) levels rules: when validation accepts one, no input can break the bounds."""
    outcomes = [{"fraction": f} for f in fractions] + [{"points": p} for p in points]
    rule = {"type": "levels", "levels": [{"label": f"L{i}", **o} for i, o in enumerate(outcomes)]}
    if rules.rule_problems(rule, max_points=max_points, min_points=floor):
        return
    key = data.draw(st.sampled_from([f"l{i}" for i in range(len(outcomes))]))
    result = rules.evaluate(rule, key, max_points=max_points, min_points=floor)
    assert floor <= result.points <= max_points


@settings(max_examples=200)
@given(rule=band_rules(), value=st.one_of(st.text(max_size=5), st.decimals(allow_nan=True), st.integers(-5, 500)))
def test_bad_inputs_raise_input_error_and_nothing_else(rule, value):
    try:
        result = rules.evaluate(rule, value, max_points=1)
    except rules.InputError:
        return
    assert 0 <= result.points <= 1


@given(rule=any_rule(), max_points=MAXES)
def test_the_best_input_earns_the_max(rule, max_points):
    if rule["type"] == "manual":
        max_points = quarter(max_points)
        assume(max_points > 0)
    value = rules.best_input(rule, max_points=max_points)
    assert rules.evaluate(rule, value, max_points=max_points).points == max_points.quantize(D("0.01"))


@given(value=st.decimals(min_value=-(10**9), max_value=10**9, places=4))
def test_format_number_round_trips(value):
    text = rules.format_number(value)
    assert D(text.replace(".", "").replace(",", ".")) == value
