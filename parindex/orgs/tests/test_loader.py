import datetime as dt

import pytest
from django.core.management import call_command

from parindex.core.models import AuditEvent
from parindex.core.text import name_key
from parindex.orgs import loaders
from parindex.orgs.factories import make_unit
from parindex.orgs.models import LineageKind, OrgUnit, OrgUnitAlias, UnitKind, UnitLineage

CURRENT = {"valid_from": dt.date(2025, 7, 1), "valid_to__isnull": True}
LEGACY = {"valid_from__isnull": True, "valid_to": dt.date(2025, 6, 30)}


def test_it_loads_the_official_units_once_and_a_second_run_changes_nothing(db):
    counts = loaders.units_load_official()

    assert counts["created"] == 1 + 34 + 3321 + 63
    assert OrgUnit.objects.filter(kind=UnitKind.PROVINCE, **CURRENT).count() == 34
    assert OrgUnit.objects.filter(kind=UnitKind.COMMUNE, **CURRENT).count() == 3321
    assert OrgUnit.objects.filter(kind=UnitKind.PROVINCE, **LEGACY).count() == 63
    assert OrgUnit.objects.filter(kind=UnitKind.MOHA, code="BNV", parent__isnull=True).count() == 1
    assert UnitLineage.objects.count() == 63
    assert AuditEvent.objects.filter(action="units.load").count() == 1
    assert OrgUnit.history.count() == OrgUnit.objects.count()

    again = loaders.units_load_official()

    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3419)
    assert (again["lineage_created"], again["lineage_updated"]) == (0, 0)
    assert OrgUnit.objects.count() == 3419
    assert UnitLineage.objects.count() == 63
    assert OrgUnitAlias.objects.count() == counts["aliases_created"]
    assert AuditEvent.objects.filter(action="units.load").count() == 1  # nothing changed, nothing recorded


def test_codes_paths_and_keys_are_those_of_the_official_lists(db):
    loaders.units_load_official()

    hanoi = OrgUnit.objects.get(code="01", **CURRENT)
    assert hanoi.name == "Thành phố Hà Nội" and hanoi.parent_id is None
    assert hanoi.path == f"/{hanoi.pk}/"
    ward = OrgUnit.objects.get(code="00070")
    assert ward.name == "Phường Hoàn Kiếm"
    assert ward.parent == hanoi
    assert ward.path == f"{hanoi.path}{ward.pk}/"
    assert ward.name_key == name_key("Phường Hoàn Kiếm") == "hoan kiem"
    cao_bang = OrgUnit.objects.get(code="04", **CURRENT)
    assert cao_bang.name == "Tỉnh Cao Bằng" and cao_bang.short_name == "Cao Bằng"
    assert "vietnam-provinces" in cao_bang.source
    assert "vietnamadminunits" in OrgUnit.objects.get(code="04", **LEGACY).source
    assert OrgUnit.objects.get(code="26536").name == "Phường Rạch Dừa"  # "Phường  Rạch Dừa" in the package
    assert not OrgUnit.objects.filter(name__contains="  ").exists()
    bad_paths = [u for u in OrgUnit.objects.select_related("parent") if u.path != _path(u)]
    assert bad_paths == []


def _path(unit):
    return f"{unit.parent.path if unit.parent_id else '/'}{unit.pk}/"


def test_each_former_province_has_exactly_one_successor(db):
    loaders.units_load_official()

    for old in OrgUnit.objects.filter(kind=UnitKind.PROVINCE, **LEGACY):
        links = list(UnitLineage.objects.filter(predecessor=old))
        assert len(links) == 1, old
        assert links[0].effective_date == dt.date(2025, 7, 1)
        assert links[0].successor.valid_from == dt.date(2025, 7, 1)

    hcm = OrgUnit.objects.get(code="79", **CURRENT)
    merged = UnitLineage.objects.filter(successor=hcm)
    assert {link.predecessor.name for link in merged} == {
        "Thành phố Hồ Chí Minh",
        "Tỉnh Bình Dương",
        "Tỉnh Bà Rịa - Vũng Tàu",
    }
    assert {link.kind for link in merged} == {LineageKind.MERGED_INTO}
    hanoi_link = UnitLineage.objects.get(successor__code="01", successor__valid_from=dt.date(2025, 7, 1))
    assert hanoi_link.kind == LineageKind.CONTINUED
    assert UnitLineage.objects.filter(kind=LineageKind.CONTINUED).count() == 11

    hue = OrgUnit.objects.get(code="46", **LEGACY)
    alias = hue.aliases.get(name="Tỉnh Thừa Thiên Huế")
    assert alias.valid_to == dt.date(2024, 12, 31)


def test_a_changed_name_in_the_package_is_updated_in_place(db, capsys):
    loaders.units_load_official()
    ward = OrgUnit.objects.get(code="00070")
    OrgUnit.objects.filter(pk=ward.pk).update(name="Phường Cũ", name_key="cu")

    call_command("load_units")

    out = capsys.readouterr().out
    assert "cập nhật 1" in out and "tạo mới 0" in out
    ward.refresh_from_db()
    assert ward.name == "Phường Hoàn Kiếm" and ward.name_key == "hoan kiem"
    assert OrgUnit.objects.filter(code="00070").count() == 1
    assert ward.history.first().history_change_reason == "load_units"
    event = AuditEvent.objects.filter(action="units.load").first()
    assert event.changes["updated"] == 1


def test_it_refuses_to_load_over_a_unit_that_uses_an_official_code(db):
    make_unit("Sở Tự Đặt", UnitKind.DEPARTMENT, code="01")

    with pytest.raises(loaders.LoaderError) as err:
        loaders.units_load_official()

    assert "“01”" in str(err.value)
    assert OrgUnit.objects.count() == 1
    assert not AuditEvent.objects.filter(action="units.load").exists()


def test_the_package_tables_must_agree(db, monkeypatch):
    real = loaders._compact
    monkeypatch.setattr(loaders, "_compact", lambda name: "x" + real(name) if "Huế" in name else real(name))

    with pytest.raises(loaders.LoaderError) as err:
        loaders.official_specs()

    assert "thanhphohue" in str(err.value)
