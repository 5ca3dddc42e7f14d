import datetime as dt
import io
import time
import zipfile

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from parindex.core.models import AuditEvent
from parindex.orgs import services
from parindex.orgs.factories import make_unit
from parindex.orgs.imports import COLUMNS, SHEET, units_export_xlsx, units_import_xlsx, units_template_xlsx
from parindex.orgs.models import OrgUnit, UnitKind

HEADER = [h for _f, h in COLUMNS]


def make_xlsx(rows, *, header=HEADER, sheet=SHEET, merge=None, extra_sheets=()) -> bytes:
    """A small workbook as a user would send it: a header row, then ``rows`` (None for an empty row)."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for row in rows:
        ws.append(list(row) if row else [])
    if merge:
        ws.merge_cells(merge)
    for name in extra_sheets:
        wb.create_sheet(name)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def with_sheet_xml(data: bytes, rows: int, *, dimension: bool = True) -> bytes:
    """Replace the first sheet of ``data`` with ``rows`` generated data rows (fast, unlike openpyxl for 200,000)."""
    cells = "".join(f'<c r="{"ABCDEFG"[i]}1" t="inlineStr"><is><t>{h}</t></is></c>' for i, h in enumerate(HEADER))
    body = [f'<row r="1">{cells}</row>']
    body += [
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>C{r}</t></is></c>'
        f'<c r="B{r}" t="inlineStr"><is><t>x</t></is></c></row>'
        for r in range(2, rows + 2)
    ]
    dim = f'<dimension ref="A1:G{rows + 1}"/>' if dimension else ""
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{dim}<sheetData>{''.join(body)}</sheetData></worksheet>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = xml.encode() if item.filename == "xl/worksheets/sheet1.xml" else src.read(item.filename)
            dst.writestr(item, content)
    return out.getvalue()


def run(cast, data, *, dry_run=False, root=None):
    return units_import_xlsx(file=data, root=root or cast.province, actor=cast.manager, dry_run=dry_run)


@pytest.fixture
def snapshot(cast):
    """What the database holds before an import, to show that a refused import wrote nothing."""

    def take():
        return (
            sorted(OrgUnit.objects.values_list("pk", "code", "name", "kind", "parent_id", "path", "valid_from")),
            AuditEvent.objects.count(),
        )

    return take


def assert_refused(result, snapshot_before, snapshot_after, *fragments):
    assert not result.ok and not result.applied
    text = "\n".join(result.errors)
    for fragment in fragments:
        assert fragment in text, text
    assert snapshot_after == snapshot_before


# --- the happy paths --------------------------------------------------------------------------------------------


def test_it_creates_new_units_with_parents_from_the_same_file(cast):
    data = make_xlsx(
        [
            ("P99-VP-1", "Phòng Hành chính", "Phòng, ban chuyên môn", "P99-VP", None, None, None),
            ("P99-VP", "Văn phòng UBND tỉnh", "department", "", "01/01/2020", None, "VP UBND"),
            None,
            ("P99-TT", "Trung tâm Phục vụ hành chính công", "Đơn vị sự nghiệp công lập", "P99", None, None, None),
        ]
    )

    result = run(cast, data)

    assert result.ok and result.applied, result.errors
    assert result.counts == {"created": 3, "updated": 0, "unchanged": 0}
    office = OrgUnit.objects.get(code="P99-VP")
    division = OrgUnit.objects.get(code="P99-VP-1")
    centre = OrgUnit.objects.get(code="P99-TT")
    assert office.parent == cast.province and office.valid_from == dt.date(2020, 1, 1)
    assert office.short_name == "VP UBND" and office.kind == UnitKind.DEPARTMENT
    assert division.parent == office and division.path == f"{office.path}{division.pk}/"
    assert division.kind == UnitKind.DIVISION
    assert centre.parent == cast.province and centre.kind == UnitKind.PUBLIC_SERVICE_UNIT
    assert AuditEvent.objects.filter(action="unit.create", object_id__in=[office.pk, division.pk]).count() == 2
    summary = AuditEvent.objects.get(action="units.import")
    assert summary.actor == cast.manager and summary.changes["created"] == 3


def test_an_existing_code_under_the_root_updates_that_unit(cast):
    data = make_xlsx(
        [
            ("P99-STP", "Sở Tư pháp tỉnh", "Sở, ban, ngành", "", None, None, None),
            ("P99-STC", "Sở Tài chính", "Sở, ban, ngành", "P99", None, None, None),
        ]
    )

    result = run(cast, data)

    assert result.applied, result.errors
    assert result.counts == {"created": 0, "updated": 1, "unchanged": 1}
    cast.dept_a.refresh_from_db()
    assert cast.dept_a.name == "Sở Tư pháp tỉnh"
    assert AuditEvent.objects.filter(action="unit.update", object_id=str(cast.dept_a.pk)).count() == 1


def test_a_unit_can_be_moved_under_a_unit_created_by_the_same_file(cast):
    data = make_xlsx(
        [
            ("P99-STP", "Sở Tư pháp", "department", "P99-KHOI", None, None, None),
            ("P99-KHOI", "Khối nội chính", "department", "", None, None, None),
        ]
    )

    result = run(cast, data)

    assert result.applied, result.errors
    block = OrgUnit.objects.get(code="P99-KHOI")
    cast.dept_a.refresh_from_db()
    assert cast.dept_a.parent == block and cast.dept_a.path == f"{block.path}{cast.dept_a.pk}/"


def test_a_dry_run_reports_the_plan_and_writes_nothing(cast, snapshot):
    before = snapshot()
    data = make_xlsx(
        [
            ("P99-NEW", "Sở Mới", "department", "", None, None, None),
            ("P99-STP", "Sở Tư pháp 2", "department", "", None, None, None),
        ]
    )

    result = run(cast, data, dry_run=True)

    assert result.ok and not result.applied
    assert [p.code for p in result.creates] == ["P99-NEW"]
    assert [(p.code, p.change_list) for p in result.updates] == [
        ("P99-STP", [("Tên đơn vị", "Sở Tư pháp", "Sở Tư pháp 2")])
    ]
    assert snapshot() == before


def test_export_then_import_changes_nothing(cast):
    make_unit("Phòng Hành chính tư pháp", UnitKind.DIVISION, parent=cast.dept_a, code="P99-STP-HC", short_name="HCTP")
    services.unit_create(
        code="=P99-X",
        name='=HYPERLINK("http://example.com")',
        kind=UnitKind.PUBLIC_SERVICE_UNIT,
        parent=cast.province,
        valid_from=dt.date(2021, 1, 1),
        valid_to=dt.date(2024, 12, 31),
        actor=None,
    )
    exported = units_export_xlsx(root=cast.province)
    events = AuditEvent.objects.count()

    sheet = load_workbook(io.BytesIO(exported))[SHEET]
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(values) == 5
    dangerous = next(row for row in values if "HYPERLINK" in row[1])
    assert dangerous[0] == "'=P99-X" and dangerous[1].startswith("'=")  # neutralised, not a formula
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)

    result = run(cast, exported)

    assert result.applied, result.errors
    assert result.counts == {"created": 0, "updated": 0, "unchanged": 5}
    assert AuditEvent.objects.count() == events + 1  # the summary only
    assert OrgUnit.objects.get(code="=P99-X").valid_to == dt.date(2024, 12, 31)


def test_the_template_has_the_header_and_instructions(db):
    wb = load_workbook(io.BytesIO(units_template_xlsx()))
    assert wb.sheetnames == [SHEET, "Hướng dẫn"]
    assert [c.value for c in wb[SHEET][1]] == HEADER
    assert wb[SHEET].max_row == 1


# --- every way a file can be wrong: a Vietnamese message that names the row, and nothing written --------------


def test_a_file_that_is_not_xlsx_is_refused(cast, snapshot):
    before = snapshot()
    result = run(cast, "Mã đơn vị;Tên đơn vị\nX;Y\n".encode())
    assert_refused(result, before, snapshot(), "không phải là tệp Excel .xlsx")


def test_an_old_xls_or_a_password_protected_file_is_refused(cast, snapshot):
    before = snapshot()
    result = run(cast, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    assert_refused(result, before, snapshot(), "Excel cũ (.xls) hoặc có đặt mật khẩu")


def test_a_corrupt_xlsx_is_refused(cast, snapshot):
    before = snapshot()
    data = make_xlsx([("A", "B", "department", "", None, None, None)])
    result = run(cast, data[: len(data) // 2])
    assert_refused(result, before, snapshot(), "bị hỏng")


def test_a_zip_that_is_not_a_workbook_is_refused(cast, snapshot):
    before = snapshot()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("hello.txt", "xin chào")
    result = run(cast, buffer.getvalue())
    assert_refused(result, before, snapshot(), "bị hỏng")


def test_a_wrong_sheet_name_is_refused(cast, snapshot):
    before = snapshot()
    result = run(cast, make_xlsx([("A", "B", "department", "", None, None, None)], sheet="Sheet1"))
    assert_refused(result, before, snapshot(), "Không có trang tính “Đơn vị”", "“Sheet1”")


def test_missing_columns_are_named(cast, snapshot):
    before = snapshot()
    header = ["Mã đơn vị", "Tên đơn vị", "Mã đơn vị cấp trên", "Hiệu lực từ", "Tên ngắn"]
    result = run(cast, make_xlsx([("A", "B", "", None, None)], header=header))
    assert_refused(result, before, snapshot(), "Dòng 1 thiếu cột", "“Loại đơn vị”", "“Hiệu lực đến”")


def test_formulas_are_refused_with_their_cell(cast, snapshot):
    before = snapshot()
    data = make_xlsx(
        [
            ("P99-A", "Sở A", "department", "", None, None, None),
            ("P99-B", '=CONCAT("Sở ", "B")', "department", "", None, None, None),
        ]
    )
    result = run(cast, data)
    assert_refused(result, before, snapshot(), "Dòng 3, cột “Tên đơn vị”: ô chứa công thức")


def test_merged_cells_are_refused_with_their_rows(cast, snapshot):
    before = snapshot()
    data = make_xlsx(
        [("P99-A", "Sở A", "department", "", None, None, None), ("P99-B", "Sở B", "department", "", None, None, None)],
        merge="B2:B3",
    )
    result = run(cast, data)
    assert_refused(result, before, snapshot(), "Dòng 2–3: ô gộp B2:B3")


def test_empty_rows_are_skipped_and_row_numbers_stay_those_of_excel(cast, snapshot):
    before = snapshot()
    data = make_xlsx([None, None, ("P99-A", "", "department", "", None, None, None), None])
    result = run(cast, data)
    assert_refused(result, before, snapshot(), "Dòng 4: thiếu tên đơn vị")
    assert len(result.errors) == 1


def test_a_file_with_only_a_header_is_refused(cast, snapshot):
    before = snapshot()
    result = run(cast, make_xlsx([None, None]))
    assert_refused(result, before, snapshot(), "không có dòng dữ liệu")


def test_two_hundred_thousand_rows_are_refused_quickly(cast, snapshot):
    before = snapshot()
    data = with_sheet_xml(make_xlsx([]), 200_000)
    started = time.perf_counter()
    result = run(cast, data)
    elapsed = time.perf_counter() - started
    assert_refused(result, before, snapshot(), "vượt giới hạn")
    assert elapsed < 2, elapsed


def test_the_row_limit_holds_when_the_sheet_does_not_declare_its_size(cast, snapshot, settings):
    settings.PARINDEX_IMPORT_MAX_ROWS = 5
    before = snapshot()
    data = with_sheet_xml(make_xlsx([]), 20, dimension=False)
    result = run(cast, data)
    assert_refused(result, before, snapshot(), "hơn 5 dòng")


def test_an_unknown_kind_is_refused(cast, snapshot):
    before = snapshot()
    result = run(cast, make_xlsx([("P99-A", "Sở A", "Sở", "", None, None, None)]))
    assert_refused(result, before, snapshot(), "Dòng 2: loại đơn vị “Sở” không hợp lệ", "Sở, ban, ngành")


def test_a_province_cannot_be_imported_under_a_province(cast, snapshot):
    before = snapshot()
    result = run(cast, make_xlsx([("P97", "Tỉnh Mới", "province", "", None, None, None)]))
    assert_refused(result, before, snapshot(), "Dòng 2: không nhập được đơn vị loại “Tỉnh, thành phố”")


def test_duplicate_codes_in_the_file_are_refused(cast, snapshot):
    before = snapshot()
    data = make_xlsx(
        [
            ("SYT", "Sở Y tế", "department", "", None, None, None),
            ("SGD", "Sở Giáo dục và Đào tạo", "department", "", None, None, None),
            ("SYT", "Sở Y tế (trùng)", "department", "", None, None, None),
        ]
    )
    result = run(cast, data)
    assert_refused(result, before, snapshot(), "Dòng 4: mã “SYT” trùng với dòng 2")


def test_a_code_used_by_a_unit_elsewhere_is_refused(cast, snapshot):
    elsewhere = make_unit("Sở Y tế tỉnh bên", UnitKind.DEPARTMENT, parent=cast.other_province, code="P98-SYT")
    before = snapshot()
    result = run(cast, make_xlsx([("P98-SYT", "Sở Y tế", "department", "", None, None, None)]))
    assert_refused(result, before, snapshot(), "Dòng 2: mã “P98-SYT” đã dùng cho “Sở Y tế tỉnh bên”")
    elsewhere.refresh_from_db()
    assert elsewhere.parent == cast.other_province


def test_the_code_of_the_root_itself_is_refused(cast, snapshot):
    before = snapshot()
    result = run(cast, make_xlsx([("P99", "Tỉnh Thử Nghiệm 2", "department", "", None, None, None)]))
    assert_refused(result, before, snapshot(), "Dòng 2: mã “P99” đã dùng cho “Tỉnh Thử Nghiệm”")


def test_an_unknown_parent_code_is_refused(cast, snapshot):
    before = snapshot()
    data = make_xlsx(
        [
            ("P99-A", "Phòng A", "division", "P99-KHONG-CO", None, None, None),
            ("P99-B", "Phòng B", "division", "P98", None, None, None),  # a unit that exists, but not under the root
        ]
    )
    result = run(cast, data)
    assert_refused(
        result,
        before,
        snapshot(),
        "Dòng 2: mã đơn vị cấp trên “P99-KHONG-CO” không có trong tệp",
        "Dòng 3: mã đơn vị cấp trên “P98” không có trong tệp và không thuộc “Tỉnh Thử Nghiệm”",
    )


def test_a_cycle_in_the_file_is_refused(cast, snapshot):
    before = snapshot()
    data = make_xlsx(
        [
            ("A", "Đơn vị A", "department", "B", None, None, None),
            ("B", "Đơn vị B", "department", "A", None, None, None),
            ("C", "Đơn vị C", "division", "A", None, None, None),
            ("D", "Đơn vị D", "division", "D", None, None, None),
        ]
    )
    result = run(cast, data)
    assert_refused(result, before, snapshot(), "Dòng 2: đơn vị “A”", "vòng lặp (A → B → A)", "Dòng 5", "(D → D)")
    assert len(result.errors) == 2


def test_a_cycle_through_an_existing_unit_is_refused(cast, snapshot):
    division = make_unit("Phòng thuộc Sở Tư pháp", UnitKind.DIVISION, parent=cast.dept_a, code="P99-STP-1")
    before = snapshot()
    # Sở Tư pháp under its own division, which stays (in the database) under Sở Tư pháp.
    result = run(cast, make_xlsx([("P99-STP", "Sở Tư pháp", "department", "P99-STP-1", None, None, None)]))
    assert_refused(result, before, snapshot(), "Dòng 2", "vòng lặp (P99-STP → P99-STP-1 → P99-STP)")
    division.refresh_from_db()
    assert division.parent == cast.dept_a


def test_invalid_and_misordered_dates_are_refused(cast, snapshot):
    before = snapshot()
    data = make_xlsx(
        [
            ("P99-A", "Sở A", "department", "", "31/02/2025", None, None),
            ("P99-B", "Sở B", "department", "", dt.date(2025, 7, 1), "30/06/2025", None),
            ("P99-C", "Sở C", "department", "", 45000, None, None),
        ]
    )
    result = run(cast, data)
    assert_refused(
        result,
        before,
        snapshot(),
        "Dòng 2, cột “Hiệu lực từ”: “31/02/2025” không phải ngày hợp lệ",
        "Dòng 3: ngày hết hiệu lực (30/06/2025) trước ngày có hiệu lực (01/07/2025)",
        "Dòng 4, cột “Hiệu lực từ”: “45000”",
    )


def test_one_bad_row_among_good_ones_writes_nothing(cast, snapshot):
    before = snapshot()
    rows = [(f"P99-{i}", f"Phòng {i}", "division", "P99-STP", None, None, None) for i in range(50)]
    rows.append(("P99-X", "", "division", "", None, None, None))
    result = run(cast, make_xlsx(rows))
    assert_refused(result, before, snapshot(), "Dòng 52: thiếu tên đơn vị")


# --- commands ---------------------------------------------------------------------------------------------------


def test_the_commands_export_and_import_a_province(cast, tmp_path, capsys):
    path = tmp_path / "p99.xlsx"
    call_command("export_units", "--root", "P99", "--output", str(path))
    wb = load_workbook(path)
    ws = wb[SHEET]
    ws.append(["P99-SXD", "Sở Xây dựng", "Sở, ban, ngành", "P99", None, None, None])
    wb.save(path)

    call_command("import_units", str(path), "--root", "P99", "--dry-run")
    assert not OrgUnit.objects.filter(code="P99-SXD").exists()
    assert "tạo mới 1" in capsys.readouterr().out

    call_command("import_units", str(path), "--root", "P99")
    assert OrgUnit.objects.get(code="P99-SXD").parent == cast.province


def test_the_import_command_fails_on_errors_and_on_unknown_roots(cast, tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(make_xlsx([("P99-A", "Sở A", "không rõ", "", None, None, None)]))
    with pytest.raises(CommandError, match="1 lỗi"):
        call_command("import_units", str(path), "--root", "P99")
    with pytest.raises(CommandError, match="Không có đơn vị mã “ZZ”"):
        call_command("import_units", str(path), "--root", "ZZ")
