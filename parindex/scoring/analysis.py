"""Analysis of results (seed 002): component averages over years and their class, where units lose points, which
units fell, the units' average against the province's own index, and self-score versus appraisal gaps.

Reads stored result sets only (published or imported, and computed drafts for managers); arithmetic in the engine's
Decimal rules: averages are exact, then published half-up to two decimals.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce

from . import engine
from .models import LeafScore, ResultSet, ResultStatus, UnitResult
from .selectors import previous_set, ranking_rows
from .services import scheme_bands


def _d(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def component_averages(unit, *, year_from: int | None = None, year_to: int | None = None, scheme=None) -> dict:
    """For one unit, each component's percent per year, its average over the years it was assessed and the class
    of that average; with counts of components per class (seed 002: 1 in A, 3 in B, 3 in C, 2 in D)."""
    rows = UnitResult.objects.filter(unit=unit, result_set__status=ResultStatus.PUBLISHED).select_related("result_set")
    if year_from:
        rows = rows.filter(result_set__year__gte=year_from)
    if year_to:
        rows = rows.filter(result_set__year__lte=year_to)
    rows = sorted(rows, key=lambda r: r.result_set.year)
    years = [r.result_set.year for r in rows]
    names: dict[str, str] = {}
    values: dict[str, dict[int, Decimal]] = defaultdict(dict)
    for r in rows:
        for c in r.result_set.components:
            if c.get("name"):
                names.setdefault(c["code"], c["name"])
        for code, v in (r.components or {}).items():
            pct = _d(v.get("percent"))
            if pct is not None:
                values[code][r.result_set.year] = pct
    bands = scheme_bands(scheme)
    table = []
    counts: dict[str, int] = {b.code: 0 for b in bands}
    for code in sorted(values, key=lambda c: [int(p) if p.isdigit() else p for p in c.split(".")]):
        by_year = values[code]
        average = engine.publish(sum(by_year.values(), Decimal(0)) / len(by_year))
        band = engine.classify(average, bands)
        counts[band.code] = counts.get(band.code, 0) + 1
        table.append(
            {"code": code, "name": names.get(code, ""), "by_year": by_year, "average": average, "class": band.code}
        )
    index = {r.result_set.year: r.percent for r in rows}
    known = [v for v in index.values() if v is not None]
    return {
        "years": years,
        "components": table,
        "class_counts": counts,
        "index_by_year": index,
        "index_average": engine.publish(sum(known, Decimal(0)) / len(known)) if known else None,
    }


def points_lost(result_set: ResultSet, *, limit: int = 50) -> list[dict]:
    """Leaf criteria ranked by the points units lost there (sum and average over units with a value)."""
    final = Coalesce("appraised_points", "survey_points", "statistics_points")
    rows = (
        LeafScore.objects.filter(result_set=result_set)
        .exclude(node__method__in=["bonus", "penalty"])
        .annotate(final=final)
        .filter(final__isnull=False)
        .values("node__code", "node__name", "node__order")
        .annotate(
            total=Sum(ExpressionWrapper(F("node__max_points") - F("final"), output_field=DecimalField())),
            units=Count("id"),
            losing=Count("id", filter=Q(final__lt=F("node__max_points"))),
        )
    )
    out = []
    for r in rows:
        total = Decimal(str(r["total"] or 0)).quantize(engine.CENT)
        out.append(
            {
                "code": r["node__code"],
                "name": r["node__name"],
                "total_lost": total,
                "average_lost": engine.publish(total / r["units"]),
                "units_losing": r["losing"],
                "units": r["units"],
            }
        )
    out = [r for r in out if r["total_lost"] > 0]
    out.sort(key=lambda r: (-r["total_lost"], r["code"]))
    return out[:limit]


def units_fell(result_set: ResultSet) -> list[dict]:
    """Units whose percent fell against the previous year (lineage followed), largest fall first."""
    rows = ranking_rows(result_set, previous=previous_set(result_set))
    fell = [r for r in rows if r["percent_change"] is not None and r["percent_change"] < 0]
    return sorted(fell, key=lambda r: r["percent_change"])


def average_against_province(result_set: ResultSet, province) -> dict:
    """The units' average percent against the province's own published index of the previous year (seed 002's
    target: the average must exceed it)."""
    percents = [p for p in result_set.units.values_list("percent", flat=True) if p is not None]
    average = engine.publish(sum(percents, Decimal(0)) / len(percents)) if percents else None
    previous = (
        UnitResult.objects.filter(
            unit=province, result_set__year=result_set.year - 1, result_set__status=ResultStatus.PUBLISHED
        )
        .order_by("-result_set__published_at", "-result_set__created_at")
        .first()
    )
    province_percent = previous.percent if previous else None
    return {
        "average": average,
        "units": len(percents),
        "province_previous": province_percent,
        "difference": engine.change(average, province_percent),
        "met": None if average is None or province_percent is None else average > province_percent,
    }


def self_vs_appraised(result_set: ResultSet, *, limit: int = 1000) -> list[dict]:
    """Per unit and leaf criterion where the appraisal differs from the self-score: the gap (self − appraised)."""
    rows = (
        LeafScore.objects.filter(result_set=result_set, self_points__isnull=False, appraised_points__isnull=False)
        .exclude(self_points=F("appraised_points"))
        .values_list("unit_id", "unit__name", "node__code", "self_points", "appraised_points")
    )
    gaps = [
        {"unit": name, "unit_id": unit_id, "code": code, "self": s, "appraised": a, "gap": s - a}
        for unit_id, name, code, s, a in rows
    ]
    gaps.sort(key=lambda g: (-abs(g["gap"]), g["unit"], g["code"]))
    return gaps[:limit]
