"""The Excel exports, built through the registry and re-opened with openpyxl: values against the result set, frozen
panes, number formats, filters, formula neutralisation, and a clear error when there is nothing to export."""

import io
import os
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from parindex.orgs.models import OrgUnit
from parindex.reports import excel
from parindex.reports.models import ReportState
from parindex.reports.registry import ReportError, ReportRequest, build
from parindex.scoring.models import LeafScore, ResultSet, ResultStatus, UnitResult

EVIL = '=HYPERLINK("http://evil.example","bấm vào đây")'


def open_book(built):
    return load_workbook(io.BytesIO(built.content))


def make(kind, cycle, **kw):
    return build(ReportRequest(kind=kind, fmt="xlsx", cycle=cycle, **kw))


def header_row(ws):
    """The row of the table's header: the one just above the frozen panes."""
    return ws[ws.freeze_panes].row - 1


def rows_by_code(ws, code_column):
    start = header_row(ws) + 1
    return {row[code_column - 1].value: row for row in ws.iter_rows(min_row=start) if row[code_column - 1].value}


def column_of(ws, row, prefix):
    for cell in ws[row]:
        if isinstance(cell.value, str) and cell.value.startswith(prefix):
            return cell.column
    raise AssertionError(f"no column starting with {prefix!r} in row {row}")


def publish(res, cast):
    from parindex.scoring.services import resultset_approve, resultset_publish

    resultset_approve(result_set=res.result_set, actor=res.chair)
    return resultset_publish(result_set=res.result_set, actor=cast.manager)


# --- the full result table ------------------------------------------------------------------------------------------


def test_the_result_table_holds_every_unit_with_its_totals_and_leaf_points(res, cast):
    from parindex.scoring.services import unit_scorecard

    built = make("results", res.cycle, actor=cast.manager)
    assert built.filename == f"ket-qua-2026-{res.cycle.pk}.xlsx"
    wb = open_book(built)
    assert wb.sheetnames == ["Tổng hợp", "Kết quả", "Tiêu chí", "Ghi chú"]
    ws = wb["Kết quả"]
    assert ws.freeze_panes == "D4"
    assert ws["A1"].value.startswith("Kết quả Chỉ số CCHC năm 2026 — Sở, ban, ngành (dự thảo)")
    rows = rows_by_code(ws, 2)
    assert set(rows) == {cast.dept_a.code, cast.dept_b.code}
    leaf = column_of(ws, 2, "1.3 Chất lượng báo cáo")
    assert [c.value for c in ws[3][leaf - 1 : leaf + 2]] == ["Tự chấm", "Thẩm định", "Điểm cuối cùng"]
    field = column_of(ws, 2, "1. Cải cách thủ tục hành chính")
    for unit in (cast.dept_a, cast.dept_b):
        result = UnitResult.objects.get(result_set=res.result_set, unit=unit)
        row = rows[unit.code]
        rank, _code, name, points, percent, klass = (c.value for c in row[:6])
        assert (rank, name, klass) == (result.rank, unit.name, result.class_name)
        assert D(str(points)) == result.points and D(str(percent)) == result.percent
        assert D(str(row[field - 1].value)) == D(result.components["1"]["points"])
        assert D(str(row[field].value)) == D(result.components["1"]["percent"])
        stored = LeafScore.objects.get(result_set=res.result_set, unit=unit, node=res.nodes["1.3"])
        card = unit_scorecard(res.result_set, unit.pk)
        self_p, appraised, final = (row[leaf - 1 + i].value for i in range(3))
        assert self_p == (float(stored.self_points) if stored.self_points is not None else None)
        assert D(str(appraised)) == stored.appraised_points
        assert D(str(final)) == card.nodes["1.3"].final_points
        for code in ("1.1", "1.2", "2.1"):
            at = column_of(ws, 2, f"{code} ")
            assert D(str(row[at + 1].value)) == card.nodes[code].final_points
    assert rows[cast.dept_b.code][0].value == 1  # department B ranks first
    # Department A self-scored 1.1 (97 % → 3 points); the appraised column is what the council kept.
    at = column_of(ws, 2, "1.1 ")
    assert rows[cast.dept_a.code][at - 1].value == 3 and rows[cast.dept_a.code][at].value == 3


def test_the_result_table_is_formatted_for_reading_and_filtering(res, cast):
    wb = open_book(make("results", res.cycle))
    ws = wb["Kết quả"]
    assert ws.auto_filter.ref == f"A3:{ws.cell(row=3, column=ws.max_column).column_letter}5"
    assert all(c.font.b for c in ws[3]) and ws[2][6].font.b
    rows = rows_by_code(ws, 2)
    row = rows[res.assessment_a.unit.code]
    numbers = [c for c in row[3:] if isinstance(c.value, int | float) and c.column != 1]
    assert numbers and all(c.number_format == "0.00" for c in numbers)
    assert row[0].number_format == "0" and isinstance(row[0].value, int)
    assert ws.column_dimensions["C"].width >= len("Sở Tài chính")
    assert "G2:H2" in {str(r) for r in ws.merged_cells.ranges}  # the field's label spans its two columns
    summary = wb["Tổng hợp"]
    assert summary.freeze_panes == "D3" and summary.auto_filter.ref == "A2:G4"
    assert [c.value for c in summary[2]] == [
        "Hạng",
        "Mã đơn vị",
        "Đơn vị",
        "Tổng điểm",
        "Chỉ số (%)",
        "Xếp loại",
        "Tiêu chí chưa có điểm",
    ]


def test_the_summary_sheet_has_points_percent_rank_and_class_of_each_unit(res, cast):
    ws = open_book(make("results", res.cycle))["Tổng hợp"]
    rows = rows_by_code(ws, 2)
    for result in UnitResult.objects.filter(result_set=res.result_set).select_related("unit"):
        rank, _code, name, points, percent, klass, missing = (c.value for c in rows[result.unit.code])
        assert (rank, name, klass) == (result.rank, result.unit.name, result.class_name)
        assert D(str(points)) == result.points and D(str(percent)) == result.percent
        assert rows[result.unit.code][4].number_format == "0.00"
        assert missing == (", ".join(result.missing) or None)


def test_the_notes_say_draft_or_published_and_the_rounding_rule(res, cast):
    notes = {
        a.value: b.value for a, b in open_book(make("results", res.cycle, actor=cast.manager))["Ghi chú"].iter_rows()
    }
    assert notes["Đợt đánh giá"] == "Chỉ số CCHC năm 2026"
    assert notes["Trạng thái"] == "Dự thảo" and notes["Công bố lúc"] == "chưa công bố"
    assert "half-up" in notes["Quy tắc làm tròn"] and "hai chữ số" in notes["Quy tắc làm tròn"]
    assert notes["Người trích xuất"] == cast.manager.display_name
    assert notes["Tính lúc"]
    publish(res, cast)
    notes = {a.value: b.value for a, b in open_book(make("results", res.cycle))["Ghi chú"].iter_rows()}
    assert notes["Trạng thái"] == "Đã công bố" and notes["Công bố lúc"] != "chưa công bố"


def test_survey_points_have_their_own_column_for_survey_criteria(res, srv, cast):
    from parindex.scoring.services import resultset_compute
    from parindex.surveys.points import survey_points_compute
    from parindex.surveys.tests.synthetic import respond

    for answers in ("AAA", "ABB"):
        respond(srv.survey, group=srv.officials, rated_unit=cast.dept_a, answers=answers)
    survey_points_compute(survey=srv.survey, actor=cast.manager)
    result_set = resultset_compute(cycle=res.cycle, group=res.group, actor=cast.manager, run_now=True)
    ws = open_book(make("results", res.cycle))["Kết quả"]
    at = column_of(ws, 2, "3.1 Khảo sát người dân")
    assert [c.value for c in ws[3][at - 1 : at + 3]] == ["Tự chấm", "Thẩm định", "Điều tra XHH", "Điểm cuối cùng"]
    stored = LeafScore.objects.get(result_set=result_set, unit=cast.dept_a, node=res.nodes["3.1"])
    assert stored.survey_points is not None
    row = rows_by_code(ws, 2)[cast.dept_a.code]
    assert D(str(row[at + 1].value)) == stored.survey_points == D(str(row[at + 2].value))


def test_unit_names_that_look_like_formulas_are_written_as_text(res, cast):
    OrgUnit.objects.filter(pk=cast.dept_a.pk).update(name=EVIL)
    wb = open_book(make("results", res.cycle))
    for sheet in ("Kết quả", "Tổng hợp"):
        names = [c.value for c in wb[sheet]["C"]]
        assert "'" + EVIL in names, sheet
        assert EVIL not in names
    assert all(c.data_type != "f" for ws in wb for row in ws.iter_rows() for c in row)
    ranking = open_book(make("ranking", res.cycle))["Xếp hạng"]
    assert "'" + EVIL in [c.value for c in ranking["C"]]


def test_text_with_markup_and_control_characters_survives_the_stream(res, cast):
    OrgUnit.objects.filter(pk=cast.dept_b.pk).update(name='Sở <Tài> & "Chính"\x01  ')
    ws = open_book(make("results", res.cycle))["Kết quả"]
    assert rows_by_code(ws, 2)[cast.dept_b.code][2].value == 'Sở <Tài> & "Chính"  '


def test_the_result_table_is_refused_when_nothing_was_computed(cyc, cast):
    for kind in ("results", "ranking"):
        with pytest.raises(ReportError, match="chưa có kết quả"):
            make(kind, cyc.cycle)


def test_progress_is_reported_while_the_table_is_written(res, monkeypatch):
    calls = []
    monkeypatch.setattr(excel, "PROGRESS_EVERY", 1)
    build(ReportRequest(kind="results", fmt="xlsx", cycle=res.cycle), lambda d, t, label="": calls.append((d, t)))
    assert (1, 2) in calls and (2, 2) in calls and calls[-1] == (2, 2)


def test_a_failed_build_leaves_no_temporary_file(res, monkeypatch):
    from openpyxl.worksheet import _writer

    def broken(*args, **kwargs):
        yield [1, "x"]
        raise RuntimeError("hỏng giữa chừng")

    before = set(_writer.ALL_TEMP_FILES)  # the files openpyxl's sheets of this process write to
    monkeypatch.setattr(excel, "_result_rows", broken)
    with pytest.raises(RuntimeError):
        make("results", res.cycle)
    left = set(_writer.ALL_TEMP_FILES) - before
    assert not left and not [path for path in left if os.path.exists(path)]


def test_a_requested_report_job_ends_done_with_a_file_that_opens(res, cast, settings, tmp_path):
    from parindex.reports.services import report_request

    settings.MEDIA_ROOT = tmp_path
    job = report_request(kind="results", fmt="xlsx", cycle=res.cycle, actor=cast.manager, run_now=True)
    assert job.state == ReportState.DONE, job.error
    assert job.filename == f"ket-qua-2026-{res.cycle.pk}.xlsx" and job.size > 0
    with job.file.open("rb") as fh:
        wb = load_workbook(fh)
    assert "Kết quả" in wb.sheetnames


def test_a_requested_report_without_results_fails_with_a_readable_message(cyc, cast, settings, tmp_path):
    from parindex.reports.services import report_request

    settings.MEDIA_ROOT = tmp_path
    job = report_request(kind="results", fmt="xlsx", cycle=cyc.cycle, actor=cast.manager, run_now=True)
    assert job.state == ReportState.FAILED and "chưa có kết quả" in job.error and not job.file


# --- the ranking ----------------------------------------------------------------------------------------------------


def test_the_ranking_shows_classes_components_and_changes_against_last_year(res, cast):
    last_year = ResultSet.objects.create(
        year=2025,
        group=res.group,
        source="imported",
        status=ResultStatus.PUBLISHED,
        job_state="done",
        components=[{"code": "1", "name": "Cải cách thủ tục hành chính", "max": "6.00"}],
    )
    UnitResult.objects.create(result_set=last_year, unit=cast.dept_a, points=D(6), percent=D("50.00"), rank=1)
    UnitResult.objects.create(result_set=last_year, unit=cast.dept_b, points=D(5), percent=D("40.00"), rank=2)
    built = make("ranking", res.cycle)
    assert built.filename == f"xep-hang-2026-{res.cycle.pk}.xlsx"
    ws = open_book(built)["Xếp hạng"]
    assert ws.freeze_panes == "D3" and ws.auto_filter.ref.startswith("A2:")
    headers = [c.value for c in ws[2]]
    assert headers[:6] == ["Hạng", "Mã đơn vị", "Đơn vị", "Tổng điểm", "Chỉ số (%)", "Xếp loại"]
    assert "1. Cải cách thủ tục hành chính (%)" in headers and "Chỉ số 2025 (%)" in headers
    rows = rows_by_code(ws, 2)
    for unit, before, rank_before in ((cast.dept_a, D(50), 1), (cast.dept_b, D(40), 2)):
        result = UnitResult.objects.get(result_set=res.result_set, unit=unit)
        row = dict(zip(headers, rows[unit.code], strict=True))
        assert row["Hạng"].value == result.rank and row["Xếp loại"].value == result.class_name
        assert D(str(row["Chỉ số (%)"].value)) == result.percent
        assert D(str(row["1. Cải cách thủ tục hành chính (%)"].value)) == D(result.components["1"]["percent"])
        assert D(str(row["Chỉ số 2025 (%)"].value)) == before
        assert D(str(row["Thay đổi (điểm %)"].value)) == result.percent - before
        assert row["Thay đổi thứ hạng (+ tăng bậc)"].value == rank_before - result.rank
        assert row["Thay đổi (điểm %)"].number_format == "0.00"
    assert "so với năm 2025" in ws["A1"].value


# --- the self-assessment, the survey, the plan ----------------------------------------------------------------------


def test_the_self_assessment_of_a_unit_is_its_current_grid(scored, cast):
    built = make("self_assessment", scored.cycle, unit=cast.dept_a, actor=cast.officer_a)
    assert built.filename == f"tu-danh-gia-2026-{scored.cycle.pk}-p99-stp-hien-tai.xlsx"
    ws = open_book(built)["Tự đánh giá"]
    assert ws["B2"].value == "Sở Tư pháp"
    rows = {r[0].value: r for r in ws.iter_rows(min_row=header_row(ws) + 1)}
    assert rows["1.1"][5].value == 3 and rows["1.1"][5].number_format == "0.00"
    assert ws.auto_filter.ref


def test_the_self_assessment_is_refused_for_a_unit_outside_the_cycle(cyc, cast):
    with pytest.raises(ReportError, match="không tham gia"):
        make("self_assessment", cyc.cycle, unit=cast.home_affairs)
    with pytest.raises(ReportError, match="cần chọn đơn vị"):
        make("self_assessment", cyc.cycle)


def test_the_survey_export_has_progress_and_points_and_no_personal_data(srv, cast):
    from parindex.surveys.points import survey_points_compute
    from parindex.surveys.tests.synthetic import invite, respond

    respond(srv.survey, group=srv.officials, rated_unit=cast.dept_a, answers="ABC", name="Nguyễn Văn Trả Lời")
    respond(srv.survey, group=srv.citizens, rated_unit=cast.dept_a, answers="AAB", email="dan@example.vn")
    invite(srv.survey, group=srv.officials, rated_unit=cast.dept_a, name="Trần Thị Chưa Mở", phone="0912345678")
    invite(srv.survey, group=srv.officials, rated_unit=cast.dept_b, name="Lê Văn Đã Mở", opened=True)
    survey_points_compute(survey=srv.survey, actor=cast.manager)
    built = make("survey", srv.survey.cycle)
    assert built.filename == f"khao-sat-2026-{srv.survey.cycle_id}.xlsx"
    wb = open_book(built)
    assert wb.sheetnames == ["Tiến độ theo đơn vị", "Tiến độ theo nhóm", "Điểm điều tra XHH"]
    ws = wb["Tiến độ theo đơn vị"]
    assert ws.freeze_panes == "C4" and ws.auto_filter.ref.startswith("A3:")
    assert [ws.cell(row=2, column=c).value for c in (3, 7, 11)] == [
        "Lãnh đạo, công chức sở",
        "Người dân, tổ chức",
        "Tổng cộng",
    ]
    rows = rows_by_code(ws, 1)
    a = [c.value for c in rows[cast.dept_a.code]]
    assert a[2:6] == [2, 1, 1, 50] and a[6:10] == [1, 1, 1, 100] and a[10:14] == [3, 2, 2, 66.67]
    assert rows[cast.dept_a.code][13].number_format == "0.00"
    b = [c.value for c in rows[cast.dept_b.code]]
    assert b[10:14] == [1, 1, 0, 0]
    groups = {r[0].value: [c.value for c in r[1:]] for r in wb["Tiến độ theo nhóm"].iter_rows(min_row=3)}
    assert groups["Tổng cộng"][0] == 4 and groups["Tổng cộng"][4] == 2 and groups["Tổng cộng"][7] == 50
    points = wb["Điểm điều tra XHH"]
    at = column_of(points, 2, "3.1 Khảo sát người dân")
    from parindex.surveys.models import SurveyScore

    score = SurveyScore.objects.get(survey=srv.survey, unit=cast.dept_a, node__code="3.1")
    row = rows_by_code(points, 1)[cast.dept_a.code]
    assert D(str(row[at - 1].value)) == score.points and row[at].value == score.answers
    text = " ".join(str(c.value) for ws in wb for r in ws.iter_rows() for c in r if c.value is not None)
    for personal in ("Nguyễn Văn Trả Lời", "Trần Thị Chưa Mở", "Lê Văn Đã Mở", "dan@example.vn", "0912345678", "@"):
        assert personal not in text


def test_the_survey_export_is_refused_when_the_cycle_has_no_survey(cyc):
    with pytest.raises(ReportError, match="không có cuộc điều tra"):
        make("survey", cyc.cycle)


def test_the_plan_export_lists_tasks_neutralised_and_filterable_and_re_imports_unchanged(cyc, cast):
    import datetime as dt

    from parindex.cycles.formats import plan_check
    from parindex.cycles.services import task_create

    task_create(cycle=cyc.cycle, actor=cast.manager, title=EVIL, lead_unit=cast.dept_a, deadline=dt.date(2026, 6, 30))
    task_create(cycle=cyc.cycle, actor=cast.manager, title="Rà soát thủ tục", lead_text="+Văn phòng UBND tỉnh")
    built = make("plan", cyc.cycle)
    assert built.filename == f"ke-hoach-2026-{cyc.cycle.pk}.xlsx"
    ws = open_book(built)["Kế hoạch"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:H3"
    assert ws["B2"].value == "'" + EVIL and ws["C3"].value == "'+Văn phòng UBND tỉnh"
    assert ws["F2"].number_format == "DD/MM/YYYY"
    assert ws.column_dimensions["B"].width >= len(EVIL)
    check = plan_check(cyc.cycle, built.content)
    assert check.ok and check.counts == {"created": 0, "updated": 0, "unchanged": 2}


def test_the_plan_export_is_refused_when_the_plan_is_empty(cyc):
    with pytest.raises(ReportError, match="chưa có nhiệm vụ"):
        make("plan", cyc.cycle)


def test_sheet_titles_are_valid_and_unique():
    used: set[str] = set()
    assert excel.sheet_title("Kết quả - Xã/phường: [đặc biệt]?", used) == "Kết quả - Xã-phường- -đặc biệt-"
    assert excel.sheet_title("Kết quả - Xã/phường: [đặc biệt]?", used) == "Kết quả - Xã-phường- -đặc b (2)"
    assert excel.ascii_slug("Sở Tư pháp Đà Nẵng") == "so-tu-phap-da-nang"
