"""In a real browser: the unit officer fills the self-assessment grid (each row saved through htmx as it is edited,
totals and progress updated, evidence attached, a conflict resolved), and the leader submits the report and
downloads the frozen copy as XLSX."""

import io
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook
from playwright.sync_api import expect

from parindex.assessments import services
from parindex.assessments.models import AssessmentStatus, Evidence, Submission
from parindex.cycles.factories import entry, inside

pytestmark = [pytest.mark.browser]

if not Path("/usr/bin/chromium").exists():  # the shared fixture skips too; say why here as well
    pytest.skip(
        "Debian chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)", allow_module_level=True
    )

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def during_self_assessment():
    with time_machine.travel(inside("self_assessment"), tick=True):
        yield


def signed_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_the_officer_fills_the_grid_row_by_row(page, live_server, cast, cyc, during_self_assessment):
    a = cyc.assessment_a
    signed_in(page, live_server, cast.officer_a)
    page.goto(f"/tu-danh-gia/{a.pk}/")
    expect(page.get_by_test_id("progress")).to_have_text("0/4 tiêu chí")
    expect(page.get_by_test_id("row-3.1")).to_contain_text("không tự chấm")

    # A ratio: saved on change, the row comes back with its points; subtotal, total and progress follow.
    page.get_by_test_id("declared-1.1").fill("97,5")
    page.get_by_test_id("declared-1.1").press("Tab")
    row = page.get_by_test_id("row-1.1")
    expect(row.get_by_test_id("saved")).to_be_visible()
    expect(page.get_by_test_id("points-1.1")).to_have_text("3")
    expect(page.get_by_test_id("sum-1")).to_have_text("3")
    expect(page.get_by_test_id("total")).to_have_text("3")
    expect(page.get_by_test_id("total-foot")).to_have_text("3")
    expect(page.get_by_test_id("progress")).to_have_text("1/4 tiêu chí")
    # Points claimed without evidence: flagged.
    expect(row.get_by_test_id("needs-explanation")).to_be_visible()
    expect(page.get_by_test_id("missing")).to_contain_text("1.1")

    # Yes/no, then an explanation for it.
    page.get_by_test_id("declared-1.2").select_option("yes")
    expect(page.get_by_test_id("points-1.2")).to_have_text("1")
    expect(page.get_by_test_id("sum-1")).to_have_text("4")
    page.get_by_test_id("explanation-1.2").fill("Đã công khai trên cổng thông tin của Sở.")
    page.get_by_test_id("explanation-1.2").press("Tab")
    expect(page.get_by_test_id("row-1.2").get_by_test_id("needs-explanation")).to_have_count(0)
    expect(page.get_by_test_id("progress")).to_have_text("2/4 tiêu chí")

    # A refused value: the message in the row, nothing stored.
    page.get_by_test_id("declared-1.3").fill("3")
    page.get_by_test_id("declared-1.3").press("Tab")
    expect(page.get_by_test_id("row-1.3").get_by_test_id("row-error")).to_contain_text("phải trong khoảng 0–2")
    assert entry(a, "1.3").self_points is None

    # Evidence for 1.1: upload a PDF from the row.
    page.get_by_test_id("attach-1.1").click()
    panel = page.get_by_test_id("upload-form")
    panel.get_by_label("Tệp").set_input_files(
        files=[{"name": "bao-cao-thong-ke.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    panel.get_by_label("Trích yếu").fill("Báo cáo thống kê hồ sơ năm 2026")
    panel.get_by_label("Số, ký hiệu").fill("15/BC-STP")
    panel.get_by_test_id("upload-button").click()
    expect(row.get_by_test_id("evidence")).to_contain_text("Báo cáo thống kê hồ sơ năm 2026")
    expect(row.get_by_test_id("needs-explanation")).to_have_count(0)
    expect(page.get_by_test_id("missing")).to_contain_text("không có")
    assert Evidence.objects.get().entry_links.get().entry_id == entry(a, "1.1").pk

    # Someone else saves 2.1 while the page still shows version 1: the officer sees both values and chooses.
    e21 = entry(a, "2.1")
    services.entry_self_save(entry_id=e21.pk, version=1, declared="2", actor=cyc.leader_a)
    page.get_by_test_id("declared-2.1").fill("6")
    page.get_by_test_id("declared-2.1").press("Tab")
    conflict = page.get_by_test_id("row-2.1").get_by_test_id("conflict")
    expect(conflict).to_contain_text("Đỗ Văn Lãnh Đạo")
    expect(conflict.get_by_test_id("conflict-theirs")).to_have_text("2")
    expect(conflict.get_by_test_id("conflict-mine")).to_have_text("6")
    expect(page.get_by_test_id("points-2.1")).to_have_text("1")  # the stored value is shown, not overwritten
    conflict.get_by_test_id("use-mine").click()
    expect(page.get_by_test_id("row-2.1").get_by_test_id("saved")).to_be_visible()
    expect(page.get_by_test_id("points-2.1")).to_have_text("2")
    expect(page.get_by_test_id("sum-2")).to_have_text("2")
    expect(page.get_by_test_id("progress")).to_have_text("3/4 tiêu chí")
    e21.refresh_from_db()
    assert e21.declared == 6 and e21.version == 3

    # After a reload everything is where it was left.
    page.reload()
    expect(page.get_by_test_id("declared-1.1")).to_have_value("97,5")
    expect(page.get_by_test_id("total")).to_have_text("6")


def test_the_leader_submits_and_downloads_the_xlsx(page, live_server, cast, cyc, during_self_assessment):
    from parindex.assessments.tests.conftest import fill

    a = cyc.assessment_a
    fill(a, cast.officer_a, {"1.1": "96", "1.2": "no", "1.3": "1,5", "2.1": "0"})
    for code in ("1.1", "1.3"):
        e = entry(a, code)
        services.entry_self_save(
            entry_id=e.pk, version=e.version, explanation="Có văn bản kèm theo", actor=cast.officer_a
        )
    signed_in(page, live_server, cyc.leader_a)
    page.goto(f"/tu-danh-gia/{a.pk}/")
    expect(page.get_by_test_id("total")).to_have_text("4,5")
    page.get_by_test_id("submit").click()
    expect(page.get_by_text("Đã gửi bản tự đánh giá (lần 1)")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("Đã gửi")
    expect(page.get_by_test_id("declared-1.1")).to_have_text("96%")  # read-only now
    a.refresh_from_db()
    assert a.status == AssessmentStatus.SUBMITTED and Submission.objects.get().total_points == 4.5

    with page.expect_download() as info:
        page.get_by_test_id("submission-xlsx").click()
    download = info.value
    assert download.suggested_filename == "tu-danh-gia-p99-stp-lan-1.xlsx"
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    rows = {r[0]: r for r in sheet.iter_rows(values_only=True) if r and r[0]}
    assert rows["1.1"][3] == "96%" and rows["1.1"][5] == 3
    assert rows["1.3"][5] == 1.5 and rows["1.3"][8] == "Có văn bản kèm theo"
    total = next(r for r in sheet.iter_rows(values_only=True) if r and r[1] == "Tổng điểm tự chấm")
    assert total[5] == 4.5
