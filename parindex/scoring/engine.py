"""The score engine: pure Python over ``Decimal``, no Django import.

Given a framework's tree and one unit's values per leaf, it computes for every node the self, appraised and final
points, the percentage of the node's maximum, and whether the node is fully scored; then the components (fields,
the top-level nodes), the total and the index in percent. Ranking and classification work on the published values.

Rules, stated once (and shown to users in the results pages):

* **A leaf's final points** come from its method: appraised criteria take the appraisal (round 2, else round 1);
  survey criteria the survey points; statistics criteria the statistics points; bonus and penalty criteria the
  points granted. A leaf without a value is **not scored** (``None``) with the reason — never zero.
* **A node's points** are the sum of its children's final points: regular children, plus bonus children and minus
  penalty children, then held within ``[0, max_points]`` of the node (a bonus cannot lift a node above its maximum,
  a penalty cannot take it below zero). A node is complete when every regular leaf below it is scored.
* **Percentages** are computed exactly, then **rounded half-up to two decimals** for publication (89.995 → 90.00).
  Points are sums of two-decimal values and need no rounding.
* **Classification** compares the published (rounded) percent with the class thresholds (``≥ min``).
* **Ranking** orders units by published percent, highest first; equal published percents share a rank and the next
  rank skips (1, 2, 2, 4 — "standard competition ranking"). Units not scored are listed apart, not ranked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
EXTRA_METHODS = frozenset({"bonus", "penalty"})
ROUNDING_RULE = (
    "Tỷ lệ phần trăm được làm tròn nửa lên (half-up) đến hai chữ số thập phân; điểm là tổng các điểm đã có hai chữ số."
)
TIE_RULE = "Đơn vị có cùng tỷ lệ (sau làm tròn) đồng hạng; hạng kế tiếp bỏ qua số đơn vị đồng hạng (1, 2, 2, 4)."


def publish(value: Decimal | None) -> Decimal | None:
    """Round half-up to two decimals (the published form)."""
    if value is None:
        return None
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def percent(points: Decimal | None, max_points: Decimal) -> Decimal | None:
    """Exact percentage of ``max_points`` (None when not scored or when the maximum is zero)."""
    if points is None or not max_points:
        return None
    return Decimal(points) * HUNDRED / Decimal(max_points)


# --- input ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NodeSpec:
    code: str
    parent: str | None
    name: str
    max_points: Decimal
    min_points: Decimal = ZERO
    method: str = ""  # for leaves: appraised | survey | statistics | bonus | penalty
    order: int = 0


@dataclass(frozen=True, slots=True)
class LeafValues:
    """What is known of one leaf for one unit. Any of them may be None (not given)."""

    self_points: Decimal | None = None
    appraised_points: Decimal | None = None
    survey_points: Decimal | None = None
    statistics_points: Decimal | None = None
    granted_points: Decimal | None = None  # bonus / penalty decided by the council


# --- output -----------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class NodeResult:
    code: str
    max_points: Decimal
    self_points: Decimal | None
    appraised_points: Decimal | None
    final_points: Decimal | None
    complete: bool
    missing: list[str] = field(default_factory=list)  # codes of unscored leaves below (or this leaf)
    reason: str = ""  # why a leaf is not scored, or why a node was held within its range
    source: str = ""  # for leaves: appraised | survey | statistics | bonus | penalty

    @property
    def percent(self) -> Decimal | None:
        return percent(self.final_points, self.max_points)

    @property
    def published_percent(self) -> Decimal | None:
        return publish(self.percent)

    @property
    def lost_points(self) -> Decimal | None:
        """Points below the maximum (what the unit lost here)."""
        if self.final_points is None:
            return None
        return max(ZERO, self.max_points - self.final_points)


@dataclass(slots=True)
class UnitResult:
    nodes: dict[str, NodeResult]
    components: list[str]  # codes of the top-level nodes, in order
    total_points: Decimal | None
    total_max: Decimal
    complete: bool
    missing: list[str]

    @property
    def percent(self) -> Decimal | None:
        return percent(self.total_points, self.total_max)

    @property
    def published_percent(self) -> Decimal | None:
        return publish(self.percent)

    @property
    def scored(self) -> bool:
        """Some value exists: a unit with nothing at all is not scored (and not ranked)."""
        return self.total_points is not None


class EngineError(ValueError):
    """A framework tree that cannot be computed (cycle, unknown parent). Message in Vietnamese."""


# --- computation ------------------------------------------------------------------------------------------------

_LEAF_REASON = {
    "appraised": "chưa có điểm thẩm định",
    "survey": "chưa có điểm điều tra xã hội học",
    "statistics": "chưa có số liệu thống kê",
    "bonus": "chưa xét điểm thưởng",
    "penalty": "chưa xét điểm trừ",
}


def leaf_value(method: str, values: LeafValues):
    """The value a leaf's method reads (None: not scored). No bonus granted / no penalty imposed is zero, not
    missing: these points are extra to the tree."""
    method = method or "appraised"
    value = {
        "appraised": values.appraised_points,
        "survey": values.survey_points,
        "statistics": values.statistics_points,
        "bonus": values.granted_points,
        "penalty": values.granted_points,
    }.get(method)
    if value is None and method in EXTRA_METHODS:
        return ZERO
    return value


def leaf_hold(method: str, value, *, min_points, max_points):
    """``value`` held within the leaf's range: 0 – maximum, or minimum – 0 for a penalty (Decimal or float)."""
    low, high = (min_points, ZERO) if method == "penalty" else (ZERO, max_points)
    return min(max(value, low), high)


def _leaf(spec: NodeSpec, values: LeafValues | None) -> NodeResult:
    v = values or LeafValues()
    method = spec.method or "appraised"
    final = leaf_value(method, v)
    reason = ""
    if final is None:
        reason = _LEAF_REASON.get(method, "chưa có điểm")
    else:
        held = leaf_hold(method, Decimal(final), min_points=spec.min_points, max_points=spec.max_points)
        if held != final:
            reason = "điểm được giữ trong khoảng cho phép của tiêu chí"
        final = held
    return NodeResult(
        code=spec.code,
        max_points=spec.max_points,
        self_points=v.self_points,
        appraised_points=v.appraised_points,
        final_points=final,
        complete=final is not None,
        missing=[] if final is not None else [spec.code],
        reason=reason,
        source=method,
    )


def _sum(values: Iterable[Decimal | None]) -> Decimal | None:
    known = [v for v in values if v is not None]
    return sum(known, ZERO) if known else None


def compute_unit(
    nodes: Sequence[NodeSpec], values: Mapping[str, LeafValues], *, total_max: Decimal | None = None
) -> UnitResult:
    """Every node's result for one unit. ``values`` maps leaf codes to their values; ``total_max`` defaults to the
    sum of the top-level regular nodes' maxima (the framework's declared total)."""
    by_code = {n.code: n for n in nodes}
    children: dict[str | None, list[NodeSpec]] = {}
    for n in nodes:
        if n.parent is not None and n.parent not in by_code:
            raise EngineError(f"Nút {n.code}: nút cha {n.parent} không có trong bộ chỉ số.")
        children.setdefault(n.parent, []).append(n)
    for kids in children.values():
        kids.sort(key=lambda n: (n.order, n.code))
    results: dict[str, NodeResult] = {}
    visiting: set[str] = set()

    def visit(spec: NodeSpec) -> NodeResult:
        if spec.code in results:
            return results[spec.code]
        if spec.code in visiting:
            raise EngineError(f"Nút {spec.code} nằm trong một vòng lặp cha–con.")
        visiting.add(spec.code)
        kids = children.get(spec.code)
        if not kids:
            result = _leaf(spec, values.get(spec.code))
        else:
            kid_results = [visit(k) for k in kids]
            regular = [r for k, r in zip(kids, kid_results, strict=True) if k.method not in EXTRA_METHODS]
            extra = [r for k, r in zip(kids, kid_results, strict=True) if k.method in EXTRA_METHODS]
            missing = [code for r in regular for code in r.missing]
            raw = _sum(r.final_points for r in regular)
            if raw is not None:
                raw += sum((r.final_points or ZERO for r in extra), ZERO)
            final, reason = raw, ""
            if raw is not None:
                final = min(max(raw, ZERO), spec.max_points)
                if final != raw:
                    reason = "tổng điểm (kể cả điểm thưởng, điểm trừ) được giữ trong khoảng 0 – điểm tối đa của nút"
            result = NodeResult(
                code=spec.code,
                max_points=spec.max_points,
                self_points=_sum(r.self_points for r in kid_results),
                appraised_points=_sum(r.appraised_points for r in kid_results),
                final_points=final,
                complete=not missing,
                missing=missing,
                reason=reason,
            )
        visiting.discard(spec.code)
        results[spec.code] = result
        return result

    roots = children.get(None, [])
    for root in roots:
        visit(root)
    regular_roots = [r for r in roots if r.method not in EXTRA_METHODS]
    extra_roots = [r for r in roots if r.method in EXTRA_METHODS]
    total_max = Decimal(total_max) if total_max is not None else sum((r.max_points for r in regular_roots), ZERO)
    total = _sum(results[r.code].final_points for r in regular_roots)
    if total is not None:
        total += sum((results[r.code].final_points or ZERO for r in extra_roots), ZERO)
        total = min(max(total, ZERO), total_max)
    missing = [code for r in regular_roots for code in results[r.code].missing]
    return UnitResult(
        nodes=results,
        components=[r.code for r in roots],
        total_points=total,
        total_max=total_max,
        complete=not missing,
        missing=missing,
    )


# --- the same from sums (the fast path) -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeafSums:
    """What is known of the leaves directly under one node, for one unit — summed by the database.

    ``final`` sums the regular leaves that have a value, ``extra`` the bonus and penalty leaves (each already held
    within its range), ``known``/``missing`` count the regular leaves with and without a value. For a leaf that is
    itself a top-level node, the sums describe that one leaf."""

    final: Decimal = ZERO
    extra: Decimal = ZERO
    self_points: Decimal | None = None
    appraised_points: Decimal | None = None
    known: int = 0
    missing: int = 0


class Tree:
    """A framework's tree prepared once for :func:`compute_unit_sums` over many units."""

    def __init__(self, nodes: Sequence[NodeSpec]):
        self.nodes = list(nodes)
        self.children: dict[str | None, list[NodeSpec]] = {}
        for n in self.nodes:
            self.children.setdefault(n.parent, []).append(n)
        for kids in self.children.values():
            kids.sort(key=lambda n: (n.order, n.code))
        self.below: dict[str, frozenset[str]] = {}
        for root in self.children.get(None, []):
            self._collect(root)
        # For each node: its children that are not leaves, split into regular and extra (bonus, penalty).
        self.inner: dict[str, tuple[list[NodeSpec], list[NodeSpec]]] = {}
        for n in self.nodes:
            kids = [k for k in self.children.get(n.code, []) if self.children.get(k.code)]
            self.inner[n.code] = (
                [k for k in kids if k.method not in EXTRA_METHODS],
                [k for k in kids if k.method in EXTRA_METHODS],
            )
        self.is_leaf = {n.code: not self.children.get(n.code) for n in self.nodes}

    def _collect(self, spec: NodeSpec) -> frozenset[str]:
        codes = set() if self.children.get(spec.code) else {spec.code}
        for kid in self.children.get(spec.code, []):
            codes |= self._collect(kid)
        self.below[spec.code] = frozenset(codes)
        return self.below[spec.code]


def compute_unit_sums(
    tree: Tree,
    sums: Mapping[str, LeafSums],
    *,
    missing_codes: Sequence[str] = (),
    total_max: Decimal | None = None,
) -> UnitResult:
    """:func:`compute_unit` from per-node sums of leaves (``sums`` maps a node's code to the sums of its leaf
    children; a top-level leaf maps its own code). Results are given for every node that is not a leaf, and for
    top-level leaves; the same rules apply, so both functions agree (property-tested)."""
    results: dict[str, NodeResult] = {}

    def leaf_codes_missing(code: str) -> list[str]:
        under = tree.below.get(code, frozenset())
        return [c for c in missing_codes if c in under]

    empty = LeafSums()

    def visit(spec: NodeSpec) -> NodeResult:
        leaf_sums = sums.get(spec.code, empty)
        if tree.is_leaf[spec.code]:  # a top-level leaf
            extra = spec.method in EXTRA_METHODS
            value = leaf_sums.extra if extra else (leaf_sums.final if leaf_sums.known else None)
            result = NodeResult(
                code=spec.code,
                max_points=spec.max_points,
                self_points=leaf_sums.self_points,
                appraised_points=leaf_sums.appraised_points,
                final_points=value,
                complete=value is not None,
                missing=[] if value is not None else [spec.code],
                reason="" if value is not None else _LEAF_REASON.get(spec.method or "appraised", "chưa có điểm"),
                source=spec.method or "appraised",
            )
            results[spec.code] = result
            return result
        regular_kids, extra_kids = tree.inner[spec.code]
        regular = [visit(k) for k in regular_kids]
        extra = [visit(k) for k in extra_kids]
        kid_results = regular + extra
        parts = [r.final_points for r in regular]
        if leaf_sums.known:
            parts.append(leaf_sums.final)
        raw = _sum(parts)
        if raw is not None:
            raw += leaf_sums.extra + sum((r.final_points or ZERO for r in extra), ZERO)
        final, reason = raw, ""
        if raw is not None:
            final = min(max(raw, ZERO), spec.max_points)
            if final != raw:
                reason = "tổng điểm (kể cả điểm thưởng, điểm trừ) được giữ trong khoảng 0 – điểm tối đa của nút"
        missing = leaf_codes_missing(spec.code) if missing_codes else []
        result = NodeResult(
            code=spec.code,
            max_points=spec.max_points,
            self_points=_sum([*(r.self_points for r in kid_results), leaf_sums.self_points]),
            appraised_points=_sum([*(r.appraised_points for r in kid_results), leaf_sums.appraised_points]),
            final_points=final,
            complete=not missing,
            missing=missing,
            reason=reason,
        )
        results[spec.code] = result
        return result

    roots = tree.children.get(None, [])
    for root in roots:
        visit(root)
    regular_roots = [r for r in roots if r.method not in EXTRA_METHODS]
    extra_roots = [r for r in roots if r.method in EXTRA_METHODS]
    total_max = Decimal(total_max) if total_max is not None else sum((r.max_points for r in regular_roots), ZERO)
    total = _sum(results[r.code].final_points for r in regular_roots)
    if total is not None:
        total += sum((results[r.code].final_points or ZERO for r in extra_roots), ZERO)
        total = min(max(total, ZERO), total_max)
    missing = [code for r in regular_roots for code in results[r.code].missing]
    return UnitResult(
        nodes=results,
        components=[r.code for r in roots],
        total_points=total,
        total_max=total_max,
        complete=not missing,
        missing=missing,
    )


# --- classification and ranking ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClassBand:
    code: str  # "A", "xuat-sac" …
    name: str  # "Loại A", "Xuất sắc" …
    min_percent: Decimal  # inclusive lower bound; the lowest band has 0


MOHA_CLASSES = (
    ClassBand("A", "A", Decimal(90)),
    ClassBand("B", "B", Decimal(80)),
    ClassBand("C", "C", Decimal(70)),
    ClassBand("D", "D", ZERO),
)


def classify(published_percent: Decimal | None, bands: Sequence[ClassBand] = MOHA_CLASSES) -> ClassBand | None:
    """The band whose ``min_percent`` the published percent reaches (highest first); None when not scored."""
    if published_percent is None:
        return None
    for band in sorted(bands, key=lambda b: b.min_percent, reverse=True):
        if published_percent >= band.min_percent:
            return band
    return None


def rank(values: Mapping[str, Decimal | None]) -> dict[str, int]:
    """Standard competition ranks (1, 2, 2, 4) of the keys by value, highest first; keys with None are left out."""
    scored = sorted(((v, k) for k, v in values.items() if v is not None), key=lambda p: p[0], reverse=True)
    ranks: dict[str, int] = {}
    previous: Decimal | None = None
    current = 0
    for position, (value, key) in enumerate(scored, start=1):
        if value != previous:
            current, previous = position, value
        ranks[key] = current
    return ranks


# --- change over time -------------------------------------------------------------------------------------------


def change(current: Decimal | None, previous: Decimal | None) -> Decimal | None:
    if current is None or previous is None:
        return None
    return Decimal(current) - Decimal(previous)


def rank_change(current: int | None, previous: int | None) -> int | None:
    """Positive when the unit moved up (rank 5 → 3 is +2)."""
    if current is None or previous is None:
        return None
    return previous - current


def predecessor_value(parts: Sequence[tuple[Decimal | None, Decimal | None]]) -> Decimal | None:
    """The value a merged unit is compared with: the weighted mean of its predecessors' values (weights default to
    equal shares). Predecessors without a value are left out and the weights renormalised; None when none has one."""
    known = [(Decimal(v), Decimal(w) if w is not None else None) for v, w in parts if v is not None]
    if not known:
        return None
    if any(w is None for _v, w in known):
        return sum((v for v, _w in known), ZERO) / len(known)
    weight = sum((w for _v, w in known), ZERO)
    if not weight:
        return sum((v for v, _w in known), ZERO) / len(known)
    return sum((v * w for v, w in known), ZERO) / weight
