"""The engine against hand-computed examples, and its properties."""

import ast
import pathlib
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from parindex.scoring import engine
from parindex.scoring.engine import ClassBand, LeafValues, NodeSpec

TREE = [
    NodeSpec("1", None, "Cải cách TTHC", D(6)),
    NodeSpec("1.1", "1", "Đúng hạn", D(3), method="appraised"),
    NodeSpec("1.2", "1", "Công khai", D(3), method="appraised"),
    NodeSpec("2", None, "Hài lòng", D(4)),
    NodeSpec("2.1", "2", "Khảo sát", D(4), method="survey"),
    NodeSpec("3", None, "Điểm thưởng", D(1), method="bonus"),
]


def test_it_sums_appraised_and_survey_points_by_hand():
    result = engine.compute_unit(
        TREE,
        {
            "1.1": LeafValues(self_points=D(3), appraised_points=D("2.5")),
            "1.2": LeafValues(self_points=D(3), appraised_points=D(3)),
            "2.1": LeafValues(survey_points=D("3.21")),
            "3": LeafValues(granted_points=D("0.5")),
        },
    )
    assert result.nodes["1"].final_points == D("5.5")
    assert result.nodes["1"].self_points == D(6)
    assert result.total_points == D("9.21")
    assert result.total_max == D(10)
    assert result.published_percent == D("92.10")
    assert result.complete


def test_a_leaf_without_a_value_is_not_scored_and_says_why():
    result = engine.compute_unit(TREE, {"1.1": LeafValues(appraised_points=D(3))})
    leaf = result.nodes["1.2"]
    assert leaf.final_points is None and leaf.reason == "chưa có điểm thẩm định"
    assert result.nodes["1"].final_points == D(3) and not result.nodes["1"].complete
    assert result.missing == ["1.2", "2.1"]
    assert result.nodes["2"].final_points is None


def test_a_unit_with_nothing_is_not_scored_rather_than_zero():
    result = engine.compute_unit(TREE, {})
    assert result.total_points is None and not result.scored
    assert engine.rank({"a": result.published_percent, "b": D(50)}) == {"b": 1}


def test_bonus_cannot_lift_a_node_above_its_maximum_nor_a_penalty_below_zero():
    tree = [
        NodeSpec("1", None, "Lĩnh vực", D(2)),
        NodeSpec("1.1", "1", "Tiêu chí", D(2), method="appraised"),
        NodeSpec("1.2", "1", "Thưởng", D(1), method="bonus"),
        NodeSpec("1.3", "1", "Trừ", D(0), D(-5), method="penalty"),
    ]
    full = engine.compute_unit(tree, {"1.1": LeafValues(appraised_points=D(2)), "1.2": LeafValues(granted_points=D(1))})
    assert full.nodes["1"].final_points == D(2) and full.nodes["1"].reason
    low = engine.compute_unit(tree, {"1.1": LeafValues(appraised_points=D(1)), "1.3": LeafValues(granted_points=D(-9))})
    assert low.nodes["1.3"].final_points == D(-5)
    assert low.nodes["1"].final_points == D(0)


def test_classification_uses_the_published_percent_at_the_boundaries():
    assert engine.classify(D("90.00")).code == "A"
    assert engine.classify(engine.publish(D("89.995"))).code == "A"
    assert engine.classify(engine.publish(D("89.9949"))).code == "B"
    assert engine.classify(D("69.99")).code == "D"
    assert engine.classify(None) is None
    named = [ClassBand("xs", "Xuất sắc", D(90)), ClassBand("tot", "Tốt", D(80)), ClassBand("yeu", "Yếu", D(0))]
    assert engine.classify(D("85"), named).name == "Tốt"


def test_ties_share_a_rank_and_the_next_rank_skips():
    ranks = engine.rank({"a": D("91.50"), "b": D("88.00"), "c": D("88.00"), "d": D("70"), "e": None})
    assert ranks == {"a": 1, "b": 2, "c": 2, "d": 4}


def test_predecessor_value_is_the_weighted_mean():
    assert engine.predecessor_value([(D(80), D(2)), (D(90), D(1))]) == D(250) / D(3)
    assert engine.predecessor_value([(D(80), None), (D(90), None)]) == D(85)
    assert engine.predecessor_value([(None, D(1)), (D(90), D(1))]) == D(90)
    assert engine.predecessor_value([]) is None
    assert engine.rank_change(3, 5) == 2


def test_the_engine_imports_nothing_from_django():
    source = pathlib.Path(engine.__file__).read_text(encoding="utf-8")
    modules = {
        alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])
    }
    assert not any(m.startswith("django") or m.startswith("parindex") for m in modules)


# --- properties -------------------------------------------------------------------------------------------------

points = st.decimals(min_value=0, max_value=10, places=2, allow_nan=False, allow_infinity=False)
optional_points = st.one_of(st.none(), points)


@st.composite
def trees_and_values(draw):
    fields = draw(st.integers(1, 4))
    nodes, values = [], {}
    for f in range(1, fields + 1):
        leaves = draw(st.integers(1, 4))
        maxima = [draw(st.decimals(min_value=D("0.25"), max_value=10, places=2)) for _ in range(leaves)]
        nodes.append(NodeSpec(str(f), None, f"Lĩnh vực {f}", sum(maxima, D(0))))
        for i, m in enumerate(maxima, start=1):
            code = f"{f}.{i}"
            method = draw(st.sampled_from(["appraised", "survey", "statistics"]))
            nodes.append(NodeSpec(code, str(f), code, m, method=method))
            value = draw(optional_points)
            values[code] = LeafValues(
                appraised_points=value if method == "appraised" else None,
                survey_points=value if method == "survey" else None,
                statistics_points=value if method == "statistics" else None,
            )
    return nodes, values


@settings(max_examples=200, deadline=None)
@given(trees_and_values())
def test_total_is_the_sum_of_components_and_no_node_exceeds_its_maximum(case):
    nodes, values = case
    result = engine.compute_unit(nodes, values)
    components = [result.nodes[c].final_points for c in result.components]
    known = [c for c in components if c is not None]
    assert result.total_points == (sum(known, D(0)) if known else None)
    for node in nodes:
        r = result.nodes[node.code]
        if r.final_points is not None:
            assert D(0) <= r.final_points <= node.max_points


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from("abcdefgh"), points, min_size=2), st.sampled_from("abcdefgh"), points)
def test_raising_one_units_points_never_lowers_its_rank(values, unit, extra):
    values.setdefault(unit, D(0))
    before = engine.rank(values)[unit]
    raised = dict(values, **{unit: values[unit] + extra})
    assert engine.rank(raised)[unit] <= before


@given(st.integers(0, 9999), st.sampled_from([D("0.005"), D("0.0049"), D("0.0051")]))
def test_publishing_rounds_half_up_at_the_boundary(cents, tail):
    value = D(cents) / 100 + tail
    published = engine.publish(value)
    expected = D(cents) / 100 + (D("0.01") if tail >= D("0.005") else D(0))
    assert published == expected.quantize(D("0.01"))


def _sums_from_leaves(nodes, values):
    """What the database aggregate gives: per node, sums over its leaf children (see services.cycle_leaf_sums)."""
    kids = {}
    for n in nodes:
        kids.setdefault(n.parent, []).append(n)
    sums, missing = {}, []
    for n in nodes:
        leaves = [k for k in kids.get(n.code, []) if not kids.get(k.code)]
        group = leaves if kids.get(n.code) else ([n] if n.parent is None else [])
        if not group:
            continue
        final = extra = D(0)
        selfs, appraised, known, unknown = [], [], 0, 0
        for leaf in group:
            r = engine._leaf(leaf, values.get(leaf.code))
            if r.self_points is not None:
                selfs.append(r.self_points)
            if r.appraised_points is not None:
                appraised.append(r.appraised_points)
            if leaf.method in engine.EXTRA_METHODS:
                extra += r.final_points
            elif r.final_points is None:
                unknown += 1
                missing.append(leaf.code)
            else:
                known += 1
                final += r.final_points
        sums[n.code] = engine.LeafSums(
            final=final,
            extra=extra,
            self_points=sum(selfs, D(0)) if selfs else None,
            appraised_points=sum(appraised, D(0)) if appraised else None,
            known=known,
            missing=unknown,
        )
    return sums, missing


@st.composite
def deep_trees(draw):
    nodes, values = [], {}

    def grow(code, parent, depth):
        if depth < 3 and draw(st.booleans()) or parent is None and depth == 1:
            kids = draw(st.integers(1, 3))
            maxima = []
            for i in range(1, kids + 1):
                maxima.append(grow(f"{code}.{i}" if code else str(i), code or None, depth + 1))
            top = sum(maxima, D(0)) + draw(st.sampled_from([D(0), D(1)]))
            nodes.append(NodeSpec(code, parent, code, top))
            if draw(st.booleans()):
                bonus = f"{code}.b"
                nodes.append(NodeSpec(bonus, code, bonus, D(1), method="bonus"))
                values[bonus] = LeafValues(granted_points=draw(optional_points))
            return top
        top = draw(st.decimals(min_value=D("0.25"), max_value=5, places=2))
        method = draw(st.sampled_from(["appraised", "survey"]))
        nodes.append(NodeSpec(code, parent, code, top, method=method))
        value = draw(optional_points)
        values[code] = LeafValues(
            self_points=draw(optional_points),
            appraised_points=value if method == "appraised" else None,
            survey_points=value if method == "survey" else None,
        )
        return top

    for root in range(1, draw(st.integers(1, 3)) + 1):
        grow(str(root), None, 1)
    return nodes, values


@settings(max_examples=300, deadline=None)
@given(deep_trees())
def test_computing_from_database_sums_agrees_with_computing_from_leaves(case):
    nodes, values = case
    by_leaf = engine.compute_unit(nodes, values)
    sums, missing = _sums_from_leaves(nodes, values)
    by_sums = engine.compute_unit_sums(engine.Tree(nodes), sums, missing_codes=missing)
    assert by_sums.total_points == by_leaf.total_points
    assert sorted(by_sums.missing) == sorted(by_leaf.missing)
    for code, result in by_sums.nodes.items():
        expected = by_leaf.nodes[code]
        assert (result.final_points, result.complete) == (expected.final_points, expected.complete), code
        assert result.self_points == expected.self_points, code
