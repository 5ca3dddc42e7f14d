"""Analysis reproduces seed 002's table of component averages from imported data."""

import datetime as dt
from decimal import Decimal as D

import pytest

from parindex.orgs.factories import make_unit
from parindex.orgs.models import UnitKind
from parindex.scoring import analysis
from parindex.scoring.history import results_import

# Seed 002: "Tỷ lệ điểm các Chỉ số thành phần … tỉnh Sóc Trăng", 2016–2021 (component 8 assessed in 2016 only).
SEED_002 = {
    "1": ["79.41", "79.40", "88.10", "86.00", "87.65", "97.87"],
    "2": ["93.33", "85.60", "90.90", "91.90", "90.10", "91.70"],
    "3": ["83.33", "77.50", "80.70", "83.86", "90.74", "97.91"],
    "4": ["65.38", "72.70", "78.60", "76.08", "91.65", "92.96"],
    "5": ["47.37", "59.00", "77.80", "82.86", "88.00", "76.89"],
    "6": ["62.50", "74.60", "61.30", "70.08", "83.42", "91.91"],
    "7": ["30.56", "66.40", "70.70", "80.54", "81.80", "85.25"],
    "8": ["56.25", "-", "-", "-", "-", "-"],
    "9": ["80.14", "87.10", "83.00", "86.44", "73.75", "74.66"],
}
INDEX = ["72.53", "76.30", "79.00", "80.85", "82.60", "86.35"]  # illustrative provincial index


@pytest.fixture
def soc_trang(db):
    unit = make_unit("Tỉnh Sóc Trăng", UnitKind.PROVINCE, code="94-old", valid_to=dt.date(2025, 6, 30))
    header = "năm,đơn vị,tỷ lệ," + ",".join(SEED_002)
    lines = [header]
    for i, year in enumerate(range(2016, 2022)):
        lines.append(f"{year},Tỉnh Sóc Trăng,{INDEX[i]}," + ",".join(v[i] for v in SEED_002.values()))
    report = results_import(
        content="\n".join(lines).encode(), filename="soc-trang.csv", actor=None, unit_kind="province"
    )
    assert report.ok, report.errors
    return unit


def test_component_averages_and_class_counts_match_seed_002(soc_trang):
    table = analysis.component_averages(soc_trang, year_from=2016, year_to=2021)
    averages = {row["code"]: (row["average"], row["class"]) for row in table["components"]}
    assert averages["1"] == (D("86.41"), "B")
    assert averages["2"] == (D("90.59"), "A")
    assert averages["7"] == (D("69.21"), "D")
    assert averages["8"] == (D("56.25"), "D")  # the average of the one year it was assessed
    assert table["class_counts"] == {"A": 1, "B": 3, "C": 3, "D": 2}
    assert table["years"] == [2016, 2017, 2018, 2019, 2020, 2021]
    assert table["index_average"] == D("79.61")


@pytest.fixture
def computed(scored, cast):
    from parindex.scoring import services

    return services.resultset_compute(cycle=scored.cycle, group=scored.group, actor=cast.manager, run_now=True)


def test_points_lost_rank_the_criteria_where_units_lose_most(computed):
    lost = analysis.points_lost(computed)
    # dept_a lost 1 point on 1.3 (1 of 2); dept_b lost nothing there; nobody lost on the others.
    assert lost[0]["code"] == "1.3" and lost[0]["total_lost"] == D(1) and lost[0]["units_losing"] == 1
    assert "3.1" not in {r["code"] for r in lost}  # not scored: nothing is "lost" yet


def test_self_versus_appraised_gaps(computed, cast):
    gaps = analysis.self_vs_appraised(computed)
    assert [(g["unit_id"], g["code"], g["gap"]) for g in gaps] == [(cast.dept_a.pk, "1.3", D("0.50"))]


def test_the_units_average_against_the_provinces_previous_index(computed, cast):
    results_import(content=b"year,unit,percent\n2025,P99,60.00\n", filename="p.csv", actor=None, unit_kind="province")
    result = analysis.average_against_province(computed, cast.province)
    # (58.33 + 66.67) / 2 = 62.50 > 60.00
    assert result["average"] == D("62.50") and result["province_previous"] == D("60.00") and result["met"] is True
