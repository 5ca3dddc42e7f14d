"""Reads on the registry: the tree, and name lookup that real spellings need."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from parindex.core.text import name_key, name_prefix

from .models import OrgUnit, OrgUnitAlias, UnitKind, UnitLineage

# Higher levels first: a bare "Phú Thọ" is the province before the wards named after it.
KIND_RANK = {kind: rank for rank, kind in enumerate(UnitKind.values)}


def _kind_rank() -> Case:
    return Case(
        *[When(kind=kind, then=Value(rank)) for kind, rank in KIND_RANK.items()],
        default=Value(len(KIND_RANK)),
        output_field=IntegerField(),
    )


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

    Exact key matches come first, higher levels (province before commune) first; with ``prefix_match`` units whose
    key starts with the query follow.
    """
    key = name_key(name)
    if not key:
        return []
    units = OrgUnit.objects.annotate(kind_rank=_kind_rank())
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
            "kind_rank", "name", "pk"
        )[:limit]
    )
    if not prefix_match or len(exact) >= limit:
        return exact
    seen = {u.pk for u in exact}
    more = (
        units.filter(Q(name_key__startswith=key) | Q(pk__in=alias_q.filter(name_key__startswith=key).values("unit_id")))
        .exclude(pk__in=seen)
        .order_by("kind_rank", "name", "pk")[: limit - len(exact)]
    )
    return exact + list(more)


def unit_resolve(
    name_or_code: str, *, on: dt.date | None = None, kind: str | None = None, within: OrgUnit | None = None
) -> OrgUnit | None:
    """One unit for a code or a name, or None when there is none or more than one.

    Real names are shared across levels (the province "Phú Thọ" and the wards "Phường Phú Thọ"): a prefix in the
    query ("Phường …") keeps the units named with that prefix; otherwise a single unit of the highest level wins.
    """
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
    found = unit_lookup(value, on=on, kind=kind, within=within, limit=50)
    if len(found) > 1 and (prefix := name_prefix(value)):
        found = [u for u in found if name_prefix(u.name) == prefix] or found
    if len(found) > 1:
        found = [u for u in found if u.kind_rank == found[0].kind_rank]
    return found[0] if len(found) == 1 else None


def unit_successors(unit: OrgUnit) -> QuerySet[UnitLineage]:
    return UnitLineage.objects.filter(predecessor=unit).select_related("successor")


def unit_predecessors(unit: OrgUnit) -> QuerySet[UnitLineage]:
    return UnitLineage.objects.filter(successor=unit).select_related("predecessor")


# --- lists for the API and pickers --------------------------------------------------------------------------------

UNIT_SEARCH_CAP = 500


def unit_search(
    *,
    q: str = "",
    kind: str | None = None,
    on: dt.date | None = None,
    parent: OrgUnit | None = None,
) -> QuerySet[OrgUnit] | list[OrgUnit]:
    """Units for a list or a picker, filtered by kind, validity on ``on`` and direct parent.

    Without ``q``: a queryset in tree order. With ``q``: the units whose code is ``q``, then the units called ``q``
    (names and aliases through ``unit_lookup``, accent-insensitive, prefix match), at most ``UNIT_SEARCH_CAP``."""
    qs = OrgUnit.objects.all()
    if on is not None:
        qs = qs.filter(valid_on_q(on))
    if kind:
        qs = qs.filter(kind=kind)
    if parent is not None:
        qs = qs.filter(parent=parent)
    q = (q or "").strip()
    if not q:
        return qs.order_by("path")
    found = list(qs.filter(code=q).order_by("valid_from", "pk")[:UNIT_SEARCH_CAP])
    seen = {u.pk for u in found}
    for unit in unit_lookup(q, on=on, kind=kind, within=parent, prefix_match=True, limit=UNIT_SEARCH_CAP):
        if unit.pk in seen or (parent is not None and unit.parent_id != parent.pk):
            continue
        seen.add(unit.pk)
        found.append(unit)
    return found[:UNIT_SEARCH_CAP]


def unit_tree(*, root: OrgUnit | None, depth: int, on: dt.date) -> list[OrgUnit]:
    """``root`` (or every top-level unit valid on ``on``) with ``depth`` levels of sub-units valid on ``on``.

    Each unit returned carries ``tree_children`` (a list, empty on the last level) and ``has_children``
    (whether it has sub-units valid on ``on``, shown or not). One query per level."""
    if root is None:
        top = list(OrgUnit.objects.filter(valid_on_q(on), parent__isnull=True).order_by("kind", "name"))
    else:
        top = [root]
    level = top
    for _ in range(depth):
        if not level:
            break
        children = list(OrgUnit.objects.filter(valid_on_q(on), parent__in=level).order_by("kind", "name"))
        by_parent: dict[int, list[OrgUnit]] = {}
        for child in children:
            by_parent.setdefault(child.parent_id, []).append(child)
        for unit in level:
            unit.tree_children = by_parent.get(unit.pk, [])
            unit.has_children = bool(unit.tree_children)
        level = children
    if level:
        with_children = set(
            OrgUnit.objects.filter(valid_on_q(on), parent__in=level).values_list("parent_id", flat=True).distinct()
        )
        for unit in level:
            unit.tree_children = []
            unit.has_children = unit.pk in with_children
    return top


def membership_filter(
    memberships: QuerySet,
    *,
    unit: OrgUnit | None = None,
    user_id: int | None = None,
    role: str | None = None,
    active: bool | None = None,
) -> QuerySet:
    """Narrow memberships already limited by ``access.memberships_visible``."""
    if unit is not None:
        memberships = memberships.filter(unit=unit)
    if user_id is not None:
        memberships = memberships.filter(user_id=user_id)
    if role:
        memberships = memberships.filter(role=role)
    if active is not None:
        memberships = memberships.filter(ended_at__isnull=active)
    return memberships


def user_by_id(user_id: int):
    """An active user, or None."""
    from .models import User

    return User.objects.filter(pk=user_id, is_active=True).first()


def api_tokens_of(user):
    from .models import ApiToken

    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


# --- people and roles ----------------------------------------------------------------------------------------------


def memberships_search(memberships, *, q: str = "", unit: str = "", role: str = "", state: str = ""):
    """Narrow visible memberships: ``q`` a username or part of a full name, ``unit`` a code or part of a name,
    ``state`` "" (active), "ended" or "all"."""
    q = (q or "").strip()
    if q:
        memberships = memberships.filter(
            Q(user__username__icontains=q) | Q(user__full_name__icontains=q) | Q(user__email__iexact=q)
        )
    unit = (unit or "").strip()
    if unit:
        key = name_key(unit)
        condition = Q(unit__code__iexact=unit)
        if key:
            condition |= Q(unit__name_key__contains=key)
        memberships = memberships.filter(condition)
    if role:
        memberships = memberships.filter(role=role)
    if state == "ended":
        memberships = memberships.filter(ended_at__isnull=False)
    elif state != "all":
        memberships = memberships.filter(ended_at__isnull=True)
    return memberships.order_by("unit__path", "user__username", "role")


def units_suggested(units, *, limit: int = 600) -> list[OrgUnit]:
    """Current units of ``units`` for a suggestion list: provinces, departments and others first, communes last."""
    from django.db.models import Case, IntegerField, Value, When

    from .models import UnitKind

    rank = Case(
        When(kind__in=[UnitKind.COMMUNE, UnitKind.DIVISION], then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return list(units.filter(valid_on_q(timezone.localdate())).annotate(_rank=rank).order_by("_rank", "path")[:limit])


def two_factor_status(user) -> dict:
    """The user's second factor: whether an authenticator app is set up, when it was last used, backup codes left."""
    from django_otp.plugins.otp_static.models import StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()
    return {
        "has_totp": device is not None,
        "created_at": getattr(device, "created_at", None),
        "last_used_at": getattr(device, "last_used_at", None),
        "backup_codes_left": StaticToken.objects.filter(device__user=user, device__confirmed=True).count(),
    }
