"""The charts of the results pages, assembled from what the views already read (``parindex.reports.charts`` draws).

Every function here takes values the caller may show (the caller's access checks decide which result sets those
are); only published sets are cached, because a published set never changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.cache import cache
from django.db.models import Avg
from django.utils.translation import gettext as _

from parindex.orgs.models import UnitKind
from parindex.reports import charts

from .models import JobState, ResultSet, ResultStatus, UnitResult

CENT = Decimal("0.01")
RANKING_FULL = 60  # up to this many units the ranking chart shows them all; above, the head and the tail
RANKING_PART = 25
CACHE_SECONDS = 6 * 3600
WIDTH = charts.PAGE_WIDTH
MOHA_BANDS = [{"code": c, "name": c} for c in "ABCD"]


def _dec(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _mean(values: Iterable[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    return _round(sum(present, Decimal(0)) / len(present)) if present else None


def _round(value) -> Decimal | None:
    value = _dec(value)
    return value.quantize(CENT, rounding=ROUND_HALF_UP) if value is not None else None


def _cached(result_set: ResultSet, name: str, build: Callable[[], charts.Chart]) -> charts.Chart:
    """A finished set is a snapshot (a recomputation makes a new set): its charts are kept (without the matplotlib
    figure) for a while, under a key that changes with its status, so a draft's chart never stands for the
    published one."""
    if result_set.job_state != JobState.DONE:
        return build()
    stamp = result_set.published_at.isoformat() if result_set.published_at else ""
    key = f"parindex:chart:{name}:{result_set.pk}:{result_set.status}:{stamp}:{result_set.inputs_version}"
    chart = cache.get(key)
    if chart is None:
        chart = dataclasses.replace(build(), figure=None)
        cache.set(key, chart, CACHE_SECONDS)
    return chart


def bands_of(result_set: ResultSet) -> list[dict]:
    """The classes of the set, best first: the bands it was classified with, else its scheme's, else MOHA's A–D."""
    bands = getattr(result_set, "bands", None) or (result_set.scheme.bands if result_set.scheme_id else None)
    return [b for b in (bands or MOHA_BANDS) if isinstance(b, dict) and b.get("code") is not None]


def class_label(code: str, name: str = "") -> str:
    """ "Loại A" for a one-letter class, the band's name otherwise ("Tốt")."""
    name = name or code
    return _("Loại %(code)s") % {"code": code} if name == code and len(code) <= 3 else name


def _class_labels(result_set: ResultSet) -> tuple[dict[str, str], list[str]]:
    """(class code or name → its label, the labels best first)."""
    labels: dict[str, str] = {}
    order: list[str] = []
    for band in bands_of(result_set):
        code, name = str(band["code"]), str(band.get("name") or band["code"])
        label = class_label(code, name)
        labels[code] = labels[name] = label
        order.append(label)
    return labels, order


def _distribution(result_set: ResultSet, classes: Iterable[str], title: str) -> charts.Chart:
    labels, order = _class_labels(result_set)
    counts = dict.fromkeys(order, 0)
    unclassed = 0
    for value in classes:
        label = labels.get(value or "", value or "")
        if label:
            counts[label] = counts.get(label, 0) + 1
        else:
            unclassed += 1
    items = list(counts.items())
    if unclassed:
        items.append((charts.NO_CLASS, unclassed))
    return charts.class_distribution(items, title, width=WIDTH)


def result_set_charts(result_set: ResultSet, rows: Sequence[dict]) -> dict[str, charts.Chart]:
    """Ranking bars and the distribution by class for a result set's page; ``rows`` are ``selectors.ranking_rows``
    (all of them, before any filter)."""
    labels, order = _class_labels(result_set)

    def ranking() -> charts.Chart:
        chosen = list(rows)
        title = _("Xếp hạng Chỉ số (%)")
        if len(chosen) > RANKING_FULL:
            ranked = sorted((r for r in chosen if r["percent"] is not None), key=lambda r: -r["percent"])
            chosen = ranked[:RANKING_PART] + ranked[-RANKING_PART:]
            title = _("%(n)s đơn vị dẫn đầu và %(n)s đơn vị cuối bảng (trong %(total)s đơn vị)") % {
                "n": RANKING_PART,
                "total": len(rows),
            }
        data = []
        for r in chosen:
            label = labels.get(r["class"] or "", r["class"] or "")
            data.append({"unit": r["unit"], "percent": r["percent"], "class_code": label, "class_name": label})
        return charts.ranking_bars(data, title, classes=order, width=WIDTH)

    def distribution() -> charts.Chart:
        return _distribution(result_set, (r["class"] for r in rows), _("Số đơn vị theo xếp loại"))

    return {
        "ranking": _cached(result_set, "ranking", ranking),
        "classes": _cached(result_set, "classes", distribution),
    }


def _component_percents(components: dict | None) -> dict[str, Decimal | None]:
    return {str(code): _dec((value or {}).get("percent")) for code, value in (components or {}).items()}


def unit_charts(result_set: ResultSet, row: UnitResult, history: Sequence[UnitResult]) -> dict[str, charts.Chart]:
    """A unit's scorecard: its component profile against the set's average, and its trend over the years of
    ``history`` (the result sets the viewer may see, oldest first) with the average of each year's set."""
    out: dict[str, charts.Chart] = {}
    components = [c for c in (result_set.components or []) if isinstance(c, dict) and "code" in c]
    if components:

        def profile() -> charts.Chart:
            codes = [str(c["code"]) for c in components]
            mine = _component_percents(row.components)
            sums: dict[str, list[Decimal | None]] = {code: [] for code in codes}
            for other in result_set.units.values_list("components", flat=True):
                percents = _component_percents(other)
                for code in codes:
                    sums[code].append(percents.get(code))
            return charts.component_profile(
                [f"{c['code']}. {c.get('name', '')}".strip() for c in components],
                [mine.get(code) for code in codes],
                [_mean(sums[code]) for code in codes],
                _("Tỷ lệ điểm đạt theo lĩnh vực so với bình quân các đơn vị trong bảng"),
                value_label=row.unit.name,
                average_label=_("Bình quân các đơn vị"),
                width=WIDTH,
            )

        out["profile"] = _cached(result_set, f"profile:{row.unit_id}", profile)

    by_year: dict[int, UnitResult] = {}
    for h in [*history, row]:  # one value per year: the shown set wins, else the latest of that year
        year = h.result_set.year
        if year not in by_year or h.result_set_id == result_set.pk or by_year[year].result_set_id != result_set.pk:
            by_year[year] = h
    if by_year:
        years = sorted(by_year)
        set_ids = [by_year[y].result_set_id for y in years]
        averages = dict(
            UnitResult.objects.filter(result_set_id__in=set_ids)
            .values("result_set_id")
            .annotate(avg=Avg("percent"))
            .values_list("result_set_id", "avg")
        )
        series = {
            row.unit.name: [by_year[y].percent for y in years],
            _("Bình quân các đơn vị cùng bảng"): [_round(averages.get(by_year[y].result_set_id)) for y in years],
        }
        out["trend"] = charts.trend(years, series, _("Chỉ số (%) qua các năm"), width=WIDTH)
        names = {str(c["code"]): f"{c['code']}. {c.get('name', '')}" for c in components}
        for y in years:
            for c in by_year[y].result_set.components or []:
                if isinstance(c, dict) and "code" in c:
                    names.setdefault(str(c["code"]), f"{c['code']}. {c.get('name', '')}")
        if len(years) >= 2 and names:
            per_year = {y: _component_percents(by_year[y].components) for y in years}
            component_series = {name: [per_year[y].get(code) for y in years] for code, name in names.items()}
            component_series = {k: v for k, v in component_series.items() if any(x is not None for x in v)}
            if component_series:
                out["components_trend"] = charts.trend(
                    years, component_series, _("Tỷ lệ điểm đạt (%) theo lĩnh vực qua các năm"), width=WIDTH
                )
    return out


def public_charts(sets: Sequence[ResultSet]) -> dict[str, charts.Chart]:
    """For the public list: the average index of each published table over the years, one line per group (or unit
    kind), and the distribution by class of the newest published set. ``sets`` must be published ones."""
    sets = [s for s in sets if s.status == ResultStatus.PUBLISHED]
    if not sets:
        return {}
    averages = dict(
        UnitResult.objects.filter(result_set__in=sets, result_set__status=ResultStatus.PUBLISHED)
        .values("result_set_id")
        .annotate(avg=Avg("percent"))
        .values_list("result_set_id", "avg")
    )
    kinds = dict(UnitKind.choices)
    lines: dict[str, dict[int, Decimal | None]] = {}
    for s in sorted(sets, key=lambda s: (s.year, s.published_at or s.created_at)):
        name = s.group.name if s.group_id else str(kinds.get(s.unit_kind, s.unit_kind) or s.title or s.year)
        value = averages.get(s.pk)
        lines.setdefault(name, {})[s.year] = _round(value)
    years = sorted({year for line in lines.values() for year in line})
    out = {
        "trend": charts.trend(
            years,
            {name: [line.get(year) for year in years] for name, line in list(lines.items())[:8]},
            _("Chỉ số bình quân (%) qua các năm"),
            width=WIDTH,
        )
    }
    newest = max(sets, key=lambda s: (s.year, s.published_at or s.created_at))

    def distribution() -> charts.Chart:
        classes = (name or code for code, name in newest.units.values_list("class_code", "class_name"))
        return _distribution(newest, classes, _("Số đơn vị theo xếp loại — %(set)s") % {"set": newest})

    out["classes"] = _cached(newest, "classes-public", distribution)
    return out
