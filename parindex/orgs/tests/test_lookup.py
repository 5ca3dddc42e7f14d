"""Name lookup against the real official units, with the spellings officials actually write."""

import datetime as dt

from parindex.orgs import loaders
from parindex.orgs.models import UnitKind
from parindex.orgs.selectors import unit_lookup, unit_resolve

IN_2023 = dt.date(2023, 6, 1)
IN_2026 = dt.date(2026, 1, 1)
LEGACY_TO = dt.date(2025, 6, 30)
CURRENT_FROM = dt.date(2025, 7, 1)


def _is_legacy(unit):
    return unit is not None and unit.valid_from is None and unit.valid_to == LEGACY_TO


def _is_current(unit):
    return unit is not None and unit.valid_from == CURRENT_FROM and unit.valid_to is None


def test_province_names_resolve_whatever_the_spelling_and_the_date(db):
    loaders.units_load_official()

    for spelling in ("TP. Hồ Chí Minh", "Thành phố Hồ Chí Minh", "Hồ Chí Minh", "ho chi minh", "TP.HCM", "tp hcm"):
        now = unit_resolve(spelling, on=IN_2026)
        then = unit_resolve(spelling, on=IN_2023)
        assert _is_current(now) and now.code == "79", spelling
        assert _is_legacy(then) and then.code == "79", spelling
    # Without a date both Ho Chi Minh Cities match: the name alone does not say which one.
    assert len(unit_lookup("Hồ Chí Minh", kind=UnitKind.PROVINCE)) == 2
    assert unit_resolve("Hồ Chí Minh") is None

    vung_tau = unit_resolve("Bà Rịa - Vũng Tàu", on=IN_2023)
    assert _is_legacy(vung_tau) and vung_tau.name == "Tỉnh Bà Rịa - Vũng Tàu"
    assert unit_resolve("Bà Rịa–Vũng Tàu", on=IN_2023) == vung_tau
    assert unit_lookup("Bà Rịa - Vũng Tàu", on=IN_2026) == []
    assert unit_resolve("Bà Rịa - Vũng Tàu", on=IN_2026) is None

    for spelling in ("Đắk Lắk", "Đăk Lăk", "Dak Lak", "tỉnh đắk lắk", "DAK LAK"):
        assert _is_current(unit_resolve(spelling, on=IN_2026)), spelling
        assert _is_legacy(unit_resolve(spelling, on=IN_2023)), spelling

    hanoi_2023 = unit_resolve("Hà Nội", on=IN_2023)
    hanoi_2026 = unit_resolve("Hà Nội", on=IN_2026)
    assert _is_legacy(hanoi_2023) and _is_current(hanoi_2026)
    assert hanoi_2023 != hanoi_2026


def test_former_names_are_found_only_while_they_were_used(db):
    loaders.units_load_official()

    hue_2023 = unit_resolve("Thừa Thiên Huế", on=IN_2023)
    assert _is_legacy(hue_2023) and hue_2023.name == "Thành phố Huế"
    assert unit_resolve("Tỉnh Thừa Thiên Huế", on=IN_2023) == hue_2023
    assert unit_resolve("Thừa Thiên Huế", on=dt.date(2025, 3, 1)) is None  # a city since 1 January 2025
    assert unit_resolve("Huế", on=dt.date(2025, 3, 1)) == hue_2023
    assert unit_resolve("Thừa Thiên Huế", on=IN_2026) is None
    assert _is_current(unit_resolve("Huế", on=IN_2026))


def test_a_province_wins_over_the_wards_named_after_it_unless_the_prefix_says_otherwise(db):
    loaders.units_load_official()

    # "Phú Thọ" is a province, and also wards in Phú Thọ and in Ho Chi Minh City, and a commune in Đồng Tháp.
    names = [u.name for u in unit_lookup("Phú Thọ", on=IN_2026)]
    assert names[0] == "Tỉnh Phú Thọ" and "Phường Phú Thọ" in names
    assert unit_resolve("Phú Thọ", on=IN_2026).kind == UnitKind.PROVINCE
    assert unit_resolve("Tỉnh Phú Thọ", on=IN_2026).kind == UnitKind.PROVINCE
    assert unit_resolve("Phường Phú Thọ", on=IN_2026) is None  # two wards carry that name
    phu_tho = unit_resolve("Phú Thọ", on=IN_2026, kind=UnitKind.PROVINCE)
    ward = unit_resolve("Phường Phú Thọ", on=IN_2026, within=phu_tho)
    assert ward.kind == UnitKind.COMMUNE and ward.parent == phu_tho

    # After 1 July 2025 "Bình Dương" is a ward of Ho Chi Minh City (and a commune of Gia Lai), no longer a province.
    assert unit_resolve("Bình Dương", on=IN_2023).kind == UnitKind.PROVINCE
    assert unit_resolve("Bình Dương", on=IN_2026, kind=UnitKind.PROVINCE) is None
    assert unit_resolve("Phường Bình Dương", on=IN_2026).parent.code == "79"

    assert unit_resolve("Phường Hoàn Kiếm", on=IN_2026).code == "00070"
    assert unit_resolve("00070").name == "Phường Hoàn Kiếm"
    prefix = [u.name for u in unit_lookup("hoan ki", on=IN_2026, prefix_match=True)]
    assert "Phường Hoàn Kiếm" in prefix
