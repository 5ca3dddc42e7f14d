"""manage.py export_report: builds the report synchronously and writes the file only when it is complete; bad
arguments and missing data end with a Vietnamese message and no file."""

import io

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def run(*args, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("export_report", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_it_writes_the_ranking_and_prints_its_progress(res, tmp_path):
    target = tmp_path / "xep-hang.xlsx"
    out, err = run("ranking", "--cycle", str(res.cycle.pk), "--format", "xlsx", "--output", str(target))
    assert "Đã ghi" in out and str(target) in out
    assert err.strip()  # progress on stderr
    book = openpyxl.load_workbook(target)
    text = " ".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert "Sở Tài chính" in text
    assert [p.name for p in tmp_path.iterdir()] == ["xep-hang.xlsx"]  # no temporary file left behind


def test_it_writes_a_units_document_and_replaces_an_older_file(cast, scored, tmp_path):
    target = tmp_path / "tu-danh-gia.docx"
    target.write_bytes(b"old")
    run(
        "self_assessment",
        "--cycle",
        str(scored.cycle.pk),
        "--unit",
        "P99-STP",
        "--format",
        "docx",
        "--output",
        str(target),
        "--user",
        "officer_a",
    )
    assert target.read_bytes()[:2] == b"PK"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tu-danh-gia.docx"]


def test_it_narrows_a_report_to_a_group(res, tmp_path):
    target = tmp_path / "nhom.xlsx"
    run("results", "--cycle", str(res.cycle.pk), "--group", res.group.code, "--format", "xlsx", "--output", str(target))
    assert target.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "--format", "xlsx"], "Không có loại báo cáo “nope”"),
        (["ranking", "--format", "odt"], "Định dạng “odt” không hợp lệ"),
        (["results", "--format", "pdf"], "không có định dạng pdf"),
        (["scorecard", "--format", "pdf"], "cần --unit"),
        (["scorecard", "--format", "pdf", "--unit", "KHONG-CO"], "Không có đơn vị mã “KHONG-CO”"),
        (["scorecard", "--format", "pdf", "--unit", "P98"], "Không có đơn vị mã “P98”"),
        (["ranking", "--format", "xlsx", "--unit", "P99-STP"], "bỏ --unit"),
        (["ranking", "--format", "xlsx", "--group", "khong-co"], "Không có nhóm đơn vị mã “khong-co”"),
        (["ranking", "--format", "xlsx", "--user", "ai-do"], "Không có người dùng “ai-do”"),
    ],
)
def test_it_refuses_bad_arguments_and_writes_nothing(cyc, tmp_path, args, message):
    target = tmp_path / "bao-cao.bin"
    with pytest.raises(CommandError, match=message):
        run(*args, "--cycle", str(cyc.cycle.pk), "--output", str(target))
    assert list(tmp_path.iterdir()) == []


def test_it_refuses_an_unknown_cycle(cast, tmp_path):
    with pytest.raises(CommandError, match="Không có đợt đánh giá id 999999"):
        run("ranking", "--cycle", "999999", "--format", "xlsx", "--output", str(tmp_path / "x.xlsx"))
    with pytest.raises(CommandError, match="phải là id"):
        run("ranking", "--cycle", "abc", "--format", "xlsx", "--output", str(tmp_path / "x.xlsx"))
    assert list(tmp_path.iterdir()) == []


def test_a_report_without_its_data_ends_with_the_readable_message_and_no_file(cyc, tmp_path):
    target = tmp_path / "xep-hang.xlsx"
    with pytest.raises(CommandError, match="chưa có kết quả"):
        run("ranking", "--cycle", str(cyc.cycle.pk), "--format", "xlsx", "--output", str(target))
    assert list(tmp_path.iterdir()) == []


def test_a_failed_build_leaves_an_existing_file_untouched(cyc, tmp_path):
    target = tmp_path / "ke-hoach.xlsx"
    target.write_bytes(b"previous")
    with pytest.raises(CommandError, match="chưa có nhiệm vụ"):
        run("plan", "--cycle", str(cyc.cycle.pk), "--format", "xlsx", "--output", str(target))
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["ke-hoach.xlsx"]


def test_it_refuses_a_missing_directory(cyc, tmp_path):
    with pytest.raises(CommandError, match="Không có thư mục"):
        run("plan", "--cycle", str(cyc.cycle.pk), "--format", "xlsx", "--output", str(tmp_path / "khong" / "x.xlsx"))
    with pytest.raises(CommandError, match="là một thư mục"):
        run("plan", "--cycle", str(cyc.cycle.pk), "--format", "xlsx", "--output", str(tmp_path))


def test_the_help_documents_the_kinds_and_the_safe_write(capsys):
    from parindex.reports.management.commands.export_report import Command

    parser = Command().create_parser("manage.py", "export_report")
    text = parser.format_help()
    assert "tệp tạm" in text and "scorecard" in text and "--unit" in text and "--group" in text
