"""Loads Vietnam's official units: Bộ Nội vụ, the 34 provinces and 3,321 communes/wards in force since 1 July 2025,
and the 63 provinces that existed until 30 June 2025, each linked to its successor.

Sources are installed packages, never the network:

* ``vietnam-provinces``: the current provinces and their communes/wards (``NESTED_DIVISIONS_JSON_PATH``);
* ``vietnamadminunits``: the former provinces (``parser_legacy.json``) and the 2025 conversion table
  (``converter_2025.json``: new province → the former provinces merged into it).

The load is idempotent: a unit is recognised by (kind, code, valid_from), so running it twice creates nothing and a
newer package only updates the names that changed. Everything is written with bulk queries in one transaction and
recorded as one summary audit event; row history is written in bulk too.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from django.db import models, transaction
from django.db.models.functions import Cast, Concat

from parindex.core.services import audit_record
from parindex.core.text import fold, name_key

from .models import LineageKind, OrgUnit, OrgUnitAlias, UnitKind, UnitLineage
from .services import periods_overlap

CURRENT_FROM = dt.date(2025, 7, 1)
LEGACY_TO = dt.date(2025, 6, 30)
MOHA_CODE = "BNV"
MOHA_NAME = "Bộ Nội vụ"
# Former names worth finding by date. Huế became a centrally-governed city on 1 January 2025.
LEGACY_ALIASES = {
    "46": [("Tỉnh Thừa Thiên Huế", None, dt.date(2024, 12, 31))],
    "79": [("TP. HCM", None, None)],
}
CURRENT_ALIASES = {
    "79": [("TP. HCM", None, None)],
}
_NAME_PREFIXES = ("Thành phố ", "Tỉnh ", "Phường ", "Xã ", "Đặc khu ", "Thị trấn ")
_BATCH = 500


class LoaderError(Exception):
    """The packages disagree with what the loader expects; nothing has been written."""


@dataclass
class UnitSpec:
    code: str
    name: str
    kind: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    source: str
    short_name: str = ""
    parent_key: tuple | None = None
    successor_key: tuple | None = None
    aliases: list = field(default_factory=list)

    @property
    def key(self) -> tuple:
        return (self.kind, self.code, self.valid_from)


def _clean(name: str) -> str:
    """NFC, single spaces: the package has a few names with doubled spaces ("Phường  Rạch Dừa")."""
    return " ".join(unicodedata.normalize("NFC", name or "").split())


def _short(name: str) -> str:
    for prefix in _NAME_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :].strip()
    return name


def _compact(name: str) -> str:
    """The key vietnamadminunits uses for a province: folded, without spaces ("Tỉnh Đắk Lắk" → "tinhdaklak")."""
    return fold(name).replace(" ", "")


def _package_version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:  # pragma: no cover - both are pinned requirements
        return "?"


def official_specs() -> list[UnitSpec]:
    """Every official unit as a spec, parents before children. Raises LoaderError if the packages disagree."""
    import vietnam_provinces

    vp_version = _package_version("vietnam-provinces")
    vp_source = f"vietnam-provinces {vp_version} (dữ liệu {vietnam_provinces.__data_version__})"
    vau_source = f"vietnamadminunits {_package_version('vietnamadminunits')}"
    with open(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH, encoding="utf-8") as fh:
        current = json.load(fh)
    # Only the package's data files are needed: importing it would load its address parser (a second, for nothing).
    vau_spec = importlib.util.find_spec("vietnamadminunits")
    if vau_spec is None or not vau_spec.submodule_search_locations:
        raise LoaderError("Chưa cài gói vietnamadminunits.")
    vau_data = Path(list(vau_spec.submodule_search_locations)[0]) / "data"
    with open(vau_data / "parser_legacy.json", encoding="utf-8") as fh:
        legacy = json.load(fh)["DICT_PROVINCE"]
    with open(vau_data / "converter_2025.json", encoding="utf-8") as fh:
        conversion = json.load(fh)["DICT_PROVINCE"]

    specs = [
        UnitSpec(code=MOHA_CODE, name=MOHA_NAME, kind=UnitKind.MOHA, valid_from=None, valid_to=None, source="parindex")
    ]
    by_compact: dict[str, UnitSpec] = {}
    communes: list[UnitSpec] = []
    for province in current:
        name = _clean(province["name"])
        if province.get("division_type") == "tỉnh" and not name.startswith("Tỉnh "):
            name = f"Tỉnh {name}"
        spec = UnitSpec(
            code=f"{int(province['code']):02d}",
            name=name,
            short_name=_short(name),
            kind=UnitKind.PROVINCE,
            valid_from=CURRENT_FROM,
            valid_to=None,
            source=vp_source,
            aliases=CURRENT_ALIASES.get(f"{int(province['code']):02d}", []),
        )
        specs.append(spec)
        by_compact[_compact(name)] = spec
        for ward in province["wards"]:
            ward_name = _clean(ward["name"])
            communes.append(
                UnitSpec(
                    code=f"{int(ward['code']):05d}",
                    name=ward_name,
                    short_name=_short(ward_name),
                    kind=UnitKind.COMMUNE,
                    valid_from=CURRENT_FROM,
                    valid_to=None,
                    source=vp_source,
                    parent_key=spec.key,
                )
            )

    # The conversion table must name every current province, and every former province exactly once.
    unmatched_new = sorted(set(conversion) - set(by_compact))
    missing_new = sorted(set(by_compact) - set(conversion))
    old_keys = Counter(k for olds in conversion.values() for k in olds)
    unknown_old = sorted(set(old_keys) - set(legacy))
    twice = sorted(k for k, n in old_keys.items() if n > 1)
    not_converted = sorted(set(legacy) - set(old_keys))
    problems = []
    if unmatched_new:
        problems.append(f"tỉnh mới trong bảng chuyển đổi không khớp vietnam-provinces: {', '.join(unmatched_new)}")
    if missing_new:
        problems.append(f"tỉnh của vietnam-provinces không có trong bảng chuyển đổi: {', '.join(missing_new)}")
    if unknown_old:
        problems.append(f"tỉnh cũ không có trong danh mục cũ: {', '.join(unknown_old)}")
    if twice:
        problems.append(f"tỉnh cũ thuộc nhiều tỉnh mới: {', '.join(twice)}")
    if not_converted:
        problems.append(f"tỉnh cũ không có tỉnh kế thừa: {', '.join(not_converted)}")
    if len(by_compact) != 34 or len(legacy) != 63:
        problems.append(f"cần 34 tỉnh mới và 63 tỉnh cũ, gói dữ liệu có {len(by_compact)} và {len(legacy)}")
    if problems:
        raise LoaderError("Dữ liệu đơn vị hành chính không nhất quán: " + "; ".join(problems) + ".")

    successor_of = {old: by_compact[new].key for new, olds in conversion.items() for old in olds}
    for key, info in legacy.items():
        code = f"{int(info['provinceCode']):02d}"
        specs.append(
            UnitSpec(
                code=code,
                name=_clean(info["province"]),
                short_name=_clean(info.get("provinceShort") or _short(_clean(info["province"]))),
                kind=UnitKind.PROVINCE,
                valid_from=None,
                valid_to=LEGACY_TO,
                source=vau_source,
                successor_key=successor_of[key],
                aliases=LEGACY_ALIASES.get(code, []),
            )
        )
    return specs + communes


def _expected_path(unit: OrgUnit, by_pk: dict[int, OrgUnit]) -> str:
    parent_path = by_pk[unit.parent_id].path if unit.parent_id else "/"
    return f"{parent_path}{unit.pk}/"


def _chunks(items: list, size: int = _BATCH):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def units_load_official(*, actor=None, stdout=None) -> dict:
    """Create or refresh the official units, their aliases and lineage. Returns the counts."""
    specs = official_specs()
    with transaction.atomic():
        counts = _load(specs, actor=actor)
    if stdout is not None:
        stdout.write(
            f"Đơn vị: tạo mới {counts['created']}, cập nhật {counts['updated']}, không đổi {counts['unchanged']}.\n"
            f"Quan hệ kế thừa: tạo mới {counts['lineage_created']}, cập nhật {counts['lineage_updated']}, "
            f"không đổi {counts['lineage_unchanged']}.\n"
            f"Tên gọi khác: tạo mới {counts['aliases_created']}, cập nhật {counts['aliases_updated']}, "
            f"không đổi {counts['aliases_unchanged']}.\n"
        )
    return counts


def _load(specs: list[UnitSpec], *, actor) -> dict:
    codes = sorted({s.code for s in specs})
    existing: list[OrgUnit] = []
    for chunk in _chunks(codes, 900):
        existing.extend(OrgUnit.objects.filter(code__in=chunk).select_for_update())
    by_key = {(u.kind, u.code, u.valid_from): u for u in existing}

    # A unit of ours may not share a code, in an overlapping period, with a unit someone else created.
    ours = {s.key for s in specs}
    others_by_code: dict[str, list[OrgUnit]] = {}
    for u in existing:
        if (u.kind, u.code, u.valid_from) not in ours:
            others_by_code.setdefault(u.code, []).append(u)
    clashes = [
        f"mã “{s.code}” ({s.name}) trùng với “{o.name}”"
        for s in specs
        for o in others_by_code.get(s.code, [])
        if periods_overlap(s.valid_from, s.valid_to, o.valid_from, o.valid_to)
    ]
    if clashes:
        raise LoaderError(
            "Không nạp được danh mục vì trùng mã với đơn vị đã có, thời gian hiệu lực chồng nhau: "
            + "; ".join(clashes[:10])
            + ("…" if len(clashes) > 10 else "")
        )

    units: dict[tuple, OrgUnit] = {}
    created: list[OrgUnit] = []
    updated: list[OrgUnit] = []
    changed_fields: set[str] = set()
    unchanged = 0
    moved_paths: list[tuple[str, str]] = []
    # Parents come before children in ``specs``, so the parent of each spec is already in ``units``.
    pending: list[tuple[UnitSpec, OrgUnit]] = []

    def flush_created():
        batch = [u for _, u in pending]
        if batch:
            OrgUnit.objects.bulk_create(batch, batch_size=_BATCH)
            created.extend(batch)
        pending.clear()

    last_level = None
    for spec in specs:
        level = spec.parent_key is not None
        if level != last_level:
            flush_created()  # children need the primary keys of their parents
            last_level = level
        parent = units[spec.parent_key] if spec.parent_key else None
        values = {
            "name": spec.name,
            "short_name": spec.short_name,
            "valid_to": spec.valid_to,
            "source": spec.source,
            "name_key": name_key(spec.name),
            "parent_id": parent.pk if parent else None,
        }
        unit = by_key.get(spec.key)
        if unit is None:
            unit = OrgUnit(code=spec.code, kind=spec.kind, valid_from=spec.valid_from, **values)
            pending.append((spec, unit))
        else:
            diff = {f for f, v in values.items() if getattr(unit, f) != v}
            for f in diff:
                setattr(unit, f, values[f])
            if diff:
                updated.append(unit)
                changed_fields |= diff
            else:
                unchanged += 1
        units[spec.key] = unit
    flush_created()

    # Paths need primary keys: fill them in, parents first, and fix any path that has drifted.
    by_pk = {u.pk: u for u in units.values()}
    created_pks = {u.pk for u in created}
    path_fixed: list[OrgUnit] = []
    for spec in specs:
        unit = units[spec.key]
        want = _expected_path(unit, by_pk)
        if unit.path != want:
            if unit.pk not in created_pks:
                if unit.path:
                    moved_paths.append((unit.path, want))
                path_fixed.append(unit)
            unit.path = want
    updated_pks = {u.pk for u in updated}
    for unit in path_fixed:
        if unit.pk not in updated_pks:
            updated.append(unit)
            unchanged -= 1
    if path_fixed:
        changed_fields.add("path")
    _write_paths(created, by_pk)
    if updated:
        OrgUnit.objects.bulk_update(updated, sorted(changed_fields), batch_size=_BATCH)
    for old, new in moved_paths:  # descendants of a moved unit that are not official units themselves
        for child in OrgUnit.objects.filter(path__startswith=old).exclude(pk__in=by_pk):
            child.path = new + child.path[len(old) :]
            child.save(update_fields=["path"])
    history_user = actor if getattr(actor, "is_authenticated", False) else None
    OrgUnit.history.bulk_history_create(
        created, batch_size=_BATCH, default_user=history_user, default_change_reason="load_units"
    )
    OrgUnit.history.bulk_history_create(
        updated, batch_size=_BATCH, update=True, default_user=history_user, default_change_reason="load_units"
    )

    alias_counts = _load_aliases(specs, units)
    lineage_counts = _load_lineage(specs, units)
    counts = {
        "created": len(created),
        "updated": len(updated),
        "unchanged": unchanged,
        "provinces": sum(1 for s in specs if s.kind == UnitKind.PROVINCE and s.valid_to is None),
        "communes": sum(1 for s in specs if s.kind == UnitKind.COMMUNE),
        "legacy_provinces": sum(1 for s in specs if s.successor_key),
        **alias_counts,
        **lineage_counts,
    }
    changed = ("created", "updated", "lineage_created", "lineage_updated", "aliases_created", "aliases_updated")
    if any(counts[k] for k in changed):
        moha = units[(UnitKind.MOHA, MOHA_CODE, None)]
        audit_record(
            actor=actor,
            action="units.load",
            object_type="orgs.orgunit",
            object_repr="Danh mục đơn vị hành chính chính thức",
            unit=moha,
            changes=counts,
            reason="; ".join(sorted({s.source for s in specs})),
        )
    return counts


def _write_paths(created: list[OrgUnit], by_pk: dict[int, OrgUnit]) -> None:
    """path = parent's path + own pk: one UPDATE per parent, computed by the database."""
    by_parent: dict[int | None, list[int]] = {}
    for unit in created:
        by_parent.setdefault(unit.parent_id, []).append(unit.pk)
    for parent_id, pks in by_parent.items():
        prefix = by_pk[parent_id].path if parent_id else "/"
        for chunk in _chunks(pks, 900):
            path = Concat(
                models.Value(prefix), Cast("pk", models.CharField()), models.Value("/"), output_field=models.CharField()
            )
            OrgUnit.objects.filter(pk__in=chunk).update(path=path)


def _load_aliases(specs: list[UnitSpec], units: dict[tuple, OrgUnit]) -> dict:
    wanted = {}
    for spec in specs:
        for name, valid_from, valid_to in spec.aliases:
            wanted[(units[spec.key].pk, name)] = (valid_from, valid_to)
    existing = {(a.unit_id, a.name): a for a in OrgUnitAlias.objects.filter(unit_id__in={pk for pk, _ in wanted})}
    create, update, same = [], [], 0
    for (unit_pk, name), (valid_from, valid_to) in wanted.items():
        alias = existing.get((unit_pk, name))
        if alias is None:
            create.append(
                OrgUnitAlias(
                    unit_id=unit_pk, name=name, name_key=name_key(name), valid_from=valid_from, valid_to=valid_to
                )
            )
        elif (alias.valid_from, alias.valid_to, alias.name_key) != (valid_from, valid_to, name_key(name)):
            alias.valid_from, alias.valid_to, alias.name_key = valid_from, valid_to, name_key(name)
            update.append(alias)
        else:
            same += 1
    OrgUnitAlias.objects.bulk_create(create)
    OrgUnitAlias.objects.bulk_update(update, ["valid_from", "valid_to", "name_key"])
    return {"aliases_created": len(create), "aliases_updated": len(update), "aliases_unchanged": same}


def _load_lineage(specs: list[UnitSpec], units: dict[tuple, OrgUnit]) -> dict:
    legacy = [s for s in specs if s.successor_key]
    successors_count = Counter(s.successor_key for s in legacy)
    existing = {
        (link.predecessor_id, link.successor_id): link
        for link in UnitLineage.objects.filter(predecessor_id__in=[units[s.key].pk for s in legacy])
    }
    create, update, same = [], [], 0
    for spec in legacy:
        predecessor, successor = units[spec.key], units[spec.successor_key]
        kind = LineageKind.MERGED_INTO if successors_count[spec.successor_key] > 1 else LineageKind.CONTINUED
        values = {"kind": kind, "effective_date": CURRENT_FROM, "source": spec.source}
        link = existing.get((predecessor.pk, successor.pk))
        if link is None:
            create.append(UnitLineage(predecessor=predecessor, successor=successor, **values))
        elif any(getattr(link, f) != v for f, v in values.items()):
            for f, v in values.items():
                setattr(link, f, v)
            update.append(link)
        else:
            same += 1
    UnitLineage.objects.bulk_create(create)
    UnitLineage.objects.bulk_update(update, ["kind", "effective_date", "source"])
    return {"lineage_created": len(create), "lineage_updated": len(update), "lineage_unchanged": same}
