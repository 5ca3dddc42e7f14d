"""Reads on results: which result set stands for a year and group, the ranking with year-over-year changes that
follow units across mergers, and a unit's history."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from parindex.orgs.models import OrgUnit, UnitGroup, UnitKind, UnitLineage

from . import engine
from .models import JobState, ResultSet, ResultStatus, UnitResult


def resolve_group(value: str) -> tuple[UnitGroup | None, str]:
    """A unit-group code, or a unit kind such as ``province``: (group, kind)."""
    group = UnitGroup.objects.filter(code=value).first()
    if group is not None:
        return group, ""
    if value in UnitKind.values:
        return None, value
    raise ValueError(f"“{value}” không phải là mã nhóm đơn vị hay loại đơn vị ({', '.join(UnitKind.values)}).")


def result_set_for(*, year: int, group: UnitGroup | None = None, kind: str = "", published_only: bool = False):
    """The published set of that year (the latest), else — unless ``published_only`` — the latest finished one."""
    sets = ResultSet.objects.filter(year=year).exclude(status=ResultStatus.SUPERSEDED).filter(job_state=JobState.DONE)
    sets = sets.filter(group=group) if group is not None else sets.filter(group__isnull=True, unit_kind=kind)
    published = sets.filter(status=ResultStatus.PUBLISHED).order_by("-published_at", "-created_at").first()
    if published or published_only:
        return published
    return sets.order_by("-created_at").first()


@dataclass
class Comparison:
    previous_percent: Decimal | None
    previous_points: Decimal | None
    previous_rank: int | None
    note: str  # how the previous value was found (same unit, merged predecessors…)


def _lineage_predecessors(unit_ids: list[int], after_year: int, upto_year: int) -> dict[int, list[UnitLineage]]:
    links = UnitLineage.objects.filter(
        successor_id__in=unit_ids, effective_date__year__gt=after_year, effective_date__year__lte=upto_year
    ).select_related("predecessor")
    by_successor: dict[int, list[UnitLineage]] = {}
    for link in links:
        by_successor.setdefault(link.successor_id, []).append(link)
    return by_successor


def compare(rows: list[UnitResult], previous: ResultSet | None) -> dict[int, Comparison]:
    """unit id → its previous value: the same unit's, or for a unit formed by a merger the weighted mean of its
    predecessors' values (weights from the registry's lineage, equal shares when none are stated)."""
    if previous is None:
        return {}
    prev = {r.unit_id: r for r in previous.units.only("unit_id", "percent", "points", "rank")}
    year = previous.year + 1
    missing = [r.unit_id for r in rows if r.unit_id not in prev]
    lineage = _lineage_predecessors(missing, previous.year, year) if missing else {}
    out: dict[int, Comparison] = {}
    for r in rows:
        if r.unit_id in prev:
            p = prev[r.unit_id]
            out[r.unit_id] = Comparison(p.percent, p.points, p.rank, "")
            continue
        links = [link for link in lineage.get(r.unit_id, []) if link.predecessor_id in prev]
        if not links:
            out[r.unit_id] = Comparison(None, None, None, "không có kết quả năm trước")
            continue
        parts = [(prev[link.predecessor_id].percent, link.weight) for link in links]
        value = engine.predecessor_value(parts)
        names = ", ".join(
            f"{link.predecessor.name}{f' (trọng số {link.weight.normalize()})' if link.weight is not None else ''}"
            for link in links
        )
        if len(links) == 1:
            single = prev[links[0].predecessor_id]
            note = f"so với {links[0].predecessor.name} (đơn vị trước sắp xếp)"
            out[r.unit_id] = Comparison(single.percent, single.points, single.rank, note)
        else:
            how = "bình quân gia quyền" if all(link.weight is not None for link in links) else "bình quân"
            note = f"so với {how} của {names}"
            out[r.unit_id] = Comparison(engine.publish(value), None, None, note)
    return out


def ranking_rows(result_set: ResultSet, *, previous: ResultSet | None = None) -> list[dict]:
    """One record per unit, ranked first then the units not scored, with changes against ``previous``."""
    rows = list(
        result_set.units.select_related("unit")
        .only(
            "unit__name",
            "unit__code",
            "points",
            "percent",
            "rank",
            "class_code",
            "class_name",
            "complete",
            "missing",
            "components",
            "imported_rank",
            "result_set_id",
        )
        .order_by("rank", "unit__name")
    )
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.unit.name))
    comparisons = compare(rows, previous)
    records = []
    for r in rows:
        c = comparisons.get(r.unit_id)
        records.append(
            {
                "rank": r.rank,
                "unit": r.unit.name,
                "unit_code": r.unit.code,
                "unit_id": r.unit_id,
                "points": r.points,
                "percent": r.percent,
                "class": r.class_name or r.class_code,
                "percent_change": engine.change(r.percent, c.previous_percent) if c else None,
                "rank_change": engine.rank_change(r.rank, c.previous_rank) if c else None,
                "previous_percent": c.previous_percent if c else None,
                "change_note": c.note if c else "",
                "imported_rank": r.imported_rank,
                "complete": r.complete,
                "missing": r.missing,
                "components": r.components,
            }
        )
    return records


def previous_set(result_set: ResultSet) -> ResultSet | None:
    """The set of the year before for the same group (or unit kind): its published set, else — only when
    ``result_set`` is itself unpublished — its latest finished draft. A published table is never compared with a
    draft (which would also make the draft's values public)."""
    return result_set_for(
        year=result_set.year - 1,
        group=result_set.group,
        kind=result_set.unit_kind,
        published_only=result_set.status == ResultStatus.PUBLISHED,
    )


def unit_history(unit: OrgUnit) -> QuerySet[UnitResult]:
    """The unit's results over the years (published or imported), oldest first."""
    return (
        UnitResult.objects.filter(unit=unit, result_set__status=ResultStatus.PUBLISHED)
        .select_related("result_set")
        .order_by("result_set__year")
    )


def compare_units(units: list[OrgUnit]) -> dict:
    """Published results of several units side by side: years × units (percent, rank, class)."""
    rows = (
        UnitResult.objects.filter(unit__in=units, result_set__status=ResultStatus.PUBLISHED)
        .select_related("result_set")
        .order_by("result_set__year")
    )
    years = sorted({r.result_set.year for r in rows})
    table = {u.pk: {} for u in units}
    for r in rows:
        table[r.unit_id][r.result_set.year] = {
            "percent": r.percent,
            "rank": r.rank,
            "class": r.class_name or r.class_code,
        }
    return {
        "years": years,
        "units": [{"id": u.pk, "code": u.code, "name": u.name, "by_year": table[u.pk]} for u in units],
    }
