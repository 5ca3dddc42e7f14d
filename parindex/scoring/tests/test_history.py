"""Published results imported from tables; rankings with year-over-year changes across a merger."""

import datetime as dt
import json
from decimal import Decimal as D
from io import BytesIO

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from parindex.orgs.factories import make_unit
from parindex.orgs.models import UnitKind, UnitLineage
from parindex.scoring.history import results_import
from parindex.scoring.models import ResultSet, ResultStatus, UnitResult


@pytest.fixture
def provinces(db):
    """Three provinces until 30/6/2025; from 1/7/2025 Tỉnh Hợp Nhất (from Bắc and Nam, weights 2:1) and Đông."""
    until = {"valid_to": dt.date(2025, 6, 30)}
    bac = make_unit("Tỉnh Bắc", UnitKind.PROVINCE, code="91", **until)
    nam = make_unit("Tỉnh Nam", UnitKind.PROVINCE, code="92", **until)
    dong_old = make_unit("Tỉnh Đông", UnitKind.PROVINCE, code="93", **until)
    since = {"valid_from": dt.date(2025, 7, 1)}
    hop = make_unit("Tỉnh Hợp Nhất", UnitKind.PROVINCE, code="94", **since)
    dong = make_unit("Tỉnh Đông", UnitKind.PROVINCE, code="95", **since)
    effective = dt.date(2025, 7, 1)
    UnitLineage.objects.create(predecessor=bac, successor=hop, kind="merged_into", effective_date=effective, weight=2)
    UnitLineage.objects.create(predecessor=nam, successor=hop, kind="merged_into", effective_date=effective, weight=1)
    UnitLineage.objects.create(predecessor=dong_old, successor=dong, kind="continued", effective_date=effective)
    return {"bac": bac, "nam": nam, "dong_old": dong_old, "hop": hop, "dong": dong}


CSV_2024 = (
    "năm,đơn vị,tỷ lệ,xếp hạng,1,2\n2024,Tỉnh Bắc,90.30,1,8.5,9\n2024,Nam,81.00,3,7,8\n2024,Tỉnh Đông,84.00,2,7.5,8\n"
)
CSV_2025 = "year,unit,percent,rank\n2025,Tỉnh Hợp Nhất,88.00,1\n2025,95,86.50,2\n"


def _import(content, name="kq.csv", **kw):
    return results_import(content=content.encode(), filename=name, actor=None, unit_kind="province", **kw)


def test_it_imports_a_published_table_with_vietnamese_headers_and_computes_ranks(provinces):
    report = _import(CSV_2024)
    assert report.ok, report.errors
    result_set = ResultSet.objects.get(year=2024)
    assert result_set.status == ResultStatus.PUBLISHED
    assert [b["code"] for b in result_set.bands] == ["A", "B", "C", "D"]  # it keeps the bands it was classified with
    nam = UnitResult.objects.get(unit=provinces["nam"])
    assert nam.percent == D("81.00") and nam.rank == 3 and nam.imported_rank == 3 and nam.class_code == "B"
    assert UnitResult.objects.get(unit=provinces["bac"]).components["1"] == {
        "points": None,
        "max": None,
        "percent": "8.50",
        "class": "D",
    }


def test_nothing_is_imported_when_a_row_is_wrong_and_every_error_names_its_row(provinces):
    bad = (
        "year,unit,percent\n2024,Tỉnh Bắc,90.3\n2024,Tỉnh Không Có,80\n2024,Tỉnh Bắc,70\n2024,Tỉnh Nam,101\n"
        "2024,Tỉnh Đông,abc\n"
    )
    report = _import(bad)
    assert not report.ok
    text = "\n".join(report.errors)
    assert "Dòng 3" in text and "Tỉnh Không Có" in text
    assert "Dòng 4" in text and "dòng 2" in text
    assert "Dòng 5, cột percent" in text and "Dòng 6, cột percent" in text
    assert not ResultSet.objects.exists()


def test_mixed_decimal_separators_are_refused(provinces):
    report = _import('year,unit,percent\n2024,Tỉnh Bắc,"85,78"\n2024,Tỉnh Nam,85.78\n2024,Tỉnh Đông,80.1\n')
    assert not report.ok and "dòng 2" in report.errors[0]


def test_a_formula_in_a_workbook_is_refused(provinces):
    wb = openpyxl.Workbook()
    wb.active.append(["year", "unit", "percent"])
    wb.active.append([2024, "Tỉnh Bắc", "=1+1"])
    buf = BytesIO()
    wb.save(buf)
    with pytest.raises(ValidationError):
        results_import(content=buf.getvalue(), filename="kq.xlsx", actor=None, unit_kind="province")


def test_ranking_follows_units_across_the_merger(provinces, capsys):
    assert _import(CSV_2024).ok and _import(CSV_2025).ok
    call_command("ranking", "--year", "2025", "--group", "province", "--format", "json")
    rows = {r["unit_code"]: r for r in json.loads(capsys.readouterr().out)}
    # Hợp Nhất against (90.30 × 2 + 81.00 × 1) / 3 = 87.20; Đông against its own 84.00 and rank 2 → 2.
    assert rows["94"]["rank"] == 1 and rows["94"]["percent_change"] == "0.80" and rows["94"]["rank_change"] is None
    assert rows["95"]["percent_change"] == "2.50" and rows["95"]["rank_change"] == 0
    assert set(rows["94"]) == {
        "rank",
        "unit",
        "unit_code",
        "points",
        "percent",
        "class",
        "percent_change",
        "rank_change",
    }


def test_ranking_prints_csv_and_names_a_missing_year(provinces, capsys):
    assert _import(CSV_2024).ok
    call_command("ranking", "--year", "2024", "--group", "province")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "rank,unit,unit_code,points,percent,class,percent_change,rank_change"
    assert lines[1].startswith("1,Tỉnh Bắc,91,")
    with pytest.raises(CommandError, match="2023"):
        call_command("ranking", "--year", "2023", "--group", "province")


def test_the_import_command_reports_errors_and_writes_nothing(provinces, tmp_path):
    path = tmp_path / "kq.csv"
    path.write_text("year,unit,percent\n2024,Không Rõ,80\n", encoding="utf-8")
    with pytest.raises(CommandError, match="không nhập"):
        call_command("import_results", str(path), "--kind", "province")
    assert not ResultSet.objects.exists()


def test_a_published_table_is_compared_only_with_a_published_previous_year(db):
    from parindex.orgs.models import UnitKind
    from parindex.scoring.models import JobState, ResultSet, ResultSource, ResultStatus
    from parindex.scoring.selectors import previous_set

    def make(year, status):
        return ResultSet.objects.create(
            year=year, unit_kind=UnitKind.PROVINCE, source=ResultSource.IMPORTED, status=status, job_state=JobState.DONE
        )

    draft_before = make(2023, ResultStatus.DRAFT)
    published = make(2024, ResultStatus.PUBLISHED)
    draft_now = make(2024, ResultStatus.DRAFT)
    assert previous_set(published) is None  # the 2023 draft must not leak into a public comparison
    assert previous_set(draft_now) == draft_before  # managers comparing drafts may see it
    published_before = make(2023, ResultStatus.PUBLISHED)
    assert previous_set(published) == published_before
