"""The plan in Excel: errors named by row and column, nothing written unless every row is valid, formulas refused on
import and neutralised on export, and export → import changes nothing."""

import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook

from parindex.core.models import AuditEvent
from parindex.cycles import formats, services
from parindex.cycles.models import Task

pytestmark = [pytest.mark.django_db]
HEADER = ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Sản phẩm", "Thời hạn", "Tình trạng", "Ghi chú"]


def workbook(rows, header=HEADER, title_rows=()) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Kế hoạch"
    for row in title_rows:
        ws.append(row)
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


GOOD = [
    [
        1,
        "Xây dựng kế hoạch triển khai",
        "Sở Nội vụ",
        "Sở Tư pháp; Sở Tài chính",
        "Kế hoạch",
        "15/01/2026",
        "Hoàn thành",
        "",
    ],
    [2, "Gửi nội dung tự đánh giá qua phần mềm", "Sở Tư pháp", "Sở Nội vụ", "", dt.datetime(2026, 12, 15), "", ""],
    [
        3,
        "Họp Tổ thẩm định",
        "Thành viên Tổ thẩm định",
        "Các cơ quan có liên quan",
        "",
        "Tháng 01 năm 2027",
        "Chưa thực hiện",
        "",
    ],
]


def test_a_good_plan_is_imported_with_units_resolved_and_text_kept_with_a_warning(cyc, cast):
    result = services.plan_import(cycle=cyc.cycle, content=workbook(GOOD), actor=cast.manager)
    assert result.applied and result.counts == {"created": 3, "updated": 0, "unchanged": 0}
    tasks = {t.number: t for t in Task.objects.filter(cycle=cyc.cycle)}
    assert tasks["1"].lead_unit == cast.home_affairs and tasks["1"].status == "done"
    assert {u.code for u in tasks["1"].cooperating_units.all()} == {"P99-STP", "P99-STC"}
    assert tasks["1"].deadline == dt.date(2026, 1, 15)
    assert tasks["2"].lead_unit == cast.dept_a and tasks["2"].deadline == dt.date(2026, 12, 15)
    assert tasks["3"].lead_unit is None and tasks["3"].lead_text == "Thành viên Tổ thẩm định"
    assert tasks["3"].cooperating_text == "Các cơ quan có liên quan"
    assert tasks["3"].deadline == dt.date(2027, 1, 31)
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("Dòng 4, cột “Cơ quan chủ trì”: “Thành viên Tổ thẩm định”")
    assert AuditEvent.objects.filter(action="cycle.plan_imported").count() == 1
    assert AuditEvent.objects.filter(action="cycle.task_created").count() == 3


def test_every_bad_cell_is_named_by_row_and_column_and_nothing_is_written(cyc, cast):
    rows = [
        [1, "Việc 1", "Sở Nội vụ", "", "", "32/13/2026", "Hoàn thành", ""],
        [2, "Việc 2", "Sở Tư pháp", "", "", "15/12/2026", "Xong rồi", ""],
        [3, "", "", "", "", "", "", ""],
        [1, "Việc trùng STT", "Sở Tư pháp", "", "", "", "", "x"],
    ]
    result = services.plan_import(cycle=cyc.cycle, content=workbook(rows), actor=cast.manager)
    assert not result.applied
    assert result.errors == [
        "Dòng 2, cột “Thời hạn”: “32/13/2026” không phải ngày hợp lệ (ghi theo dạng dd/mm/yyyy).",
        "Dòng 3, cột “Tình trạng”: “Xong rồi” không hợp lệ; dùng một trong: Chưa thực hiện, Đang thực hiện, "
        "Hoàn thành, Hủy bỏ.",
        "Dòng 4, cột “Nhiệm vụ”: thiếu nội dung nhiệm vụ.",
        "Dòng 4, cột “Cơ quan chủ trì”: thiếu cơ quan chủ trì.",
        "Dòng 5, cột “STT”: STT “1” trùng với dòng 2.",
    ]
    assert not Task.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="cycle.task").exists()


def test_a_missing_column_is_named(cyc, cast):
    header = ["STT", "Nhiệm vụ", "Cơ quan phối hợp", "Thời hạn"]
    result = services.plan_import(
        cycle=cyc.cycle, content=workbook([[1, "Việc", "", ""]], header=header), actor=cast.manager
    )
    assert result.errors == ["Dòng 1: thiếu cột “Cơ quan chủ trì”. Hãy dùng tệp xuất làm mẫu."]
    assert not Task.objects.exists()


def test_a_formula_cell_is_refused_with_its_row_and_column(cyc, cast):
    rows = [
        [1, "Việc", "Sở Nội vụ", "", '=HYPERLINK("http://x")', "", "", ""],
        [2, "Việc 2", "=A1", "", "", "", "", ""],
    ]
    result = services.plan_import(cycle=cyc.cycle, content=workbook(rows), actor=cast.manager)
    assert result.errors == [
        'Dòng 2, cột “Sản phẩm”: ô chứa công thức “=HYPERLINK("http://x")”; hãy dán giá trị thay cho công thức.',
        "Dòng 3, cột “Cơ quan chủ trì”: ô chứa công thức “=A1”; hãy dán giá trị thay cho công thức.",
    ]
    assert not Task.objects.exists()


def test_a_file_that_is_not_xlsx_is_refused(cyc, cast):
    result = services.plan_import(cycle=cyc.cycle, content=b"STT,Nhiem vu\n1,x\n", actor=cast.manager)
    assert result.errors and "không phải là tệp Excel .xlsx" in result.errors[0]


def test_a_title_above_the_header_and_old_header_names_are_accepted(cyc, cast):
    header = ["TT", "Nhiệm vụ", "Thời gian thực hiện", "Cơ quan chủ trì", "Cơ quan phối hợp"]
    rows = [[1, "Xây dựng kế hoạch", "Tháng 12 năm 2026", "Sở Nội vụ", "Các cơ quan có liên quan"]]
    content = workbook(rows, header=header, title_rows=[["KẾ HOẠCH TRIỂN KHAI"], []])
    result = services.plan_import(cycle=cyc.cycle, content=content, actor=cast.manager)
    assert result.applied, result.errors
    task = Task.objects.get()
    assert task.deadline == dt.date(2026, 12, 31) and task.status == "not_started"


def test_export_then_import_changes_nothing(cyc, cast):
    services.plan_import(cycle=cyc.cycle, content=workbook(GOOD), actor=cast.manager)
    services.task_create(
        cycle=cyc.cycle,
        actor=cast.manager,
        title="=cmd|' /C calc'!A0",
        lead_unit=cast.dept_b,
        note="+84 912",
        number="4",
    )
    before = list(Task.objects.order_by("id").values())
    exported = formats.plan_write(cyc.cycle)
    ws = load_workbook(io.BytesIO(exported)).active
    assert [c.value for c in ws[1]] == HEADER
    row5 = [c.value for c in ws[5]]
    assert row5[1] == "'=cmd|' /C calc'!A0" and row5[7] == "'+84 912"  # neutralised, never a formula
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    events = AuditEvent.objects.count()
    result = services.plan_import(cycle=cyc.cycle, content=exported, actor=cast.manager)
    assert result.applied and result.counts == {"created": 0, "updated": 0, "unchanged": 4}, result.errors
    assert list(Task.objects.order_by("id").values()) == before
    assert AuditEvent.objects.count() == events + 1  # only the import's own summary


def test_a_row_with_a_known_stt_updates_that_task(cyc, cast, task):
    rows = [[task.number, task.title, "Sở Tư pháp", "Sở Nội vụ", "Báo cáo", "20/12/2026", "Đang thực hiện", "Đã họp"]]
    preview = services.plan_import(cycle=cyc.cycle, content=workbook(rows), actor=cast.manager, dry_run=True)
    assert preview.counts == {"created": 0, "updated": 1, "unchanged": 0}
    assert ("Thời hạn", "15/12/2026", "20/12/2026") in preview.updates[0].changes
    task.refresh_from_db()
    assert task.deadline == dt.date(2026, 12, 15)  # a dry run writes nothing
    services.plan_import(cycle=cyc.cycle, content=workbook(rows), actor=cast.manager)
    task.refresh_from_db()
    assert (task.deadline, task.status, task.note) == (dt.date(2026, 12, 20), "in_progress", "Đã họp")
    assert AuditEvent.objects.filter(action="cycle.task_updated", object_id=str(task.pk)).exists()


def test_the_matrix_exports_every_criterion(cyc, cast):
    from parindex.cycles import selectors
    from parindex.cycles.models import Participant

    participant = Participant.objects.get(cycle=cyc.cycle, unit=cast.dept_a)
    services.responsibilities_save(
        participant=participant, rows={cyc.nodes["1.1"].pk: {"division": "=Phòng TTHC"}}, actor=cast.officer_a
    )
    ws = load_workbook(io.BytesIO(formats.matrix_write(participant, selectors.responsibility_rows(participant)))).active
    codes = [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)]
    assert codes == ["1", "1.1", "1.2", "1.3", "2", "2.1", "3", "3.1"]
    assert ws.cell(row=3, column=4).value == "'=Phòng TTHC"
