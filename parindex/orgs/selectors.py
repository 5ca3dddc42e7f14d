"""Reads on the registry: the tree, and name lookup that real spellings need."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from parindex.core.text import name_key

from .models import OrgUnit, OrgUnitAlias, UnitLineage


def valid_on_q(day: dt.date, prefix: str = "") -> Q:
    return (Q(**{f"{prefix}valid_from__isnull": True}) | Q(**{f"{prefix}valid_from__lte": day})) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": day})
    )


def units_valid_on(day: dt.date | None = None) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(valid_on_q(day or timezone.localdate()))


def unit_children(unit: OrgUnit | None, *, on: dt.date | None = None) -> QuerySet[OrgUnit]:
    qs = OrgUnit.objects.filter(parent=unit)
    if on is not None:
        qs = qs.filter(valid_on_q(on))
    return qs.order_by("kind", "name")


def unit_descendants(unit: OrgUnit) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(path__startswith=unit.path).exclude(pk=unit.pk)


def unit_ancestors(unit: OrgUnit) -> list[OrgUnit]:
    ids = [int(p) for p in unit.path.strip("/").split("/") if p][:-1]
    by_id = OrgUnit.objects.in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def unit_lookup(
    name: str,
    *,
    on: dt.date | None = None,
    kind: str | None = None,
    within: OrgUnit | None = None,
    prefix_match: bool = False,
    limit: int = 20,
) -> list[OrgUnit]:
    """Units called ``name`` on day ``on`` (any day when None): accent-, case- and prefix-insensitive,
    through current names and aliases (former names, abbreviations) valid on that day.

    Exact key matches come first; with ``prefix_match`` units whose key starts with the query follow.
    """
    key = name_key(name)
    if not key:
        return []
    units = OrgUnit.objects.all()
    if on is not None:
        units = units.filter(valid_on_q(on))
    if kind:
        units = units.filter(kind=kind)
    if within is not None:
        units = units.filter(path__startswith=within.path)
    alias_q = OrgUnitAlias.objects.all()
    if on is not None:
        alias_q = alias_q.filter(valid_on_q(on))

    exact = list(
        units.filter(Q(name_key=key) | Q(pk__in=alias_q.filter(name_key=key).values("unit_id"))).order_by(
            "kind", "name"
        )[:limit]
    )
    if not prefix_match or len(exact) >= limit:
        return exact
    seen = {u.pk for u in exact}
    more = (
        units.filter(Q(name_key__startswith=key) | Q(pk__in=alias_q.filter(name_key__startswith=key).values("unit_id")))
        .exclude(pk__in=seen)
        .order_by("kind", "name")[: limit - len(exact)]
    )
    return exact + list(more)


def unit_resolve(
    name_or_code: str, *, on: dt.date | None = None, kind: str | None = None, within: OrgUnit | None = None
) -> OrgUnit | None:
    """One unit for a code or a name, or None when there is none or more than one."""
    value = (name_or_code or "").strip()
    if not value:
        return None
    by_code = OrgUnit.objects.filter(code=value)
    if on is not None:
        by_code = by_code.filter(valid_on_q(on))
    if kind:
        by_code = by_code.filter(kind=kind)
    if within is not None:
        by_code = by_code.filter(path__startswith=within.path)
    codes = list(by_code[:2])
    if len(codes) == 1:
        return codes[0]
    found = unit_lookup(value, on=on, kind=kind, within=within, limit=2)
    return found[0] if len(found) == 1 else None


def unit_successors(unit: OrgUnit) -> QuerySet[UnitLineage]:
    return UnitLineage.objects.filter(predecessor=unit).select_related("successor")


def unit_predecessors(unit: OrgUnit) -> QuerySet[UnitLineage]:
    return UnitLineage.objects.filter(successor=unit).select_related("predecessor")
