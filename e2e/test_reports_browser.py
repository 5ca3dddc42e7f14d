"""In a real browser: a manager asks for the ranking of a cycle with computed results, follows the job to its end
and downloads the Excel file, which opens."""

from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest
from django.test import Client
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser]

if not Path("/usr/bin/chromium").exists():
    pytest.skip(
        "Debian chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)", allow_module_level=True
    )


def signed_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


@pytest.fixture
def computed(cyc, cast):
    from parindex.assessments.models import Entry
    from parindex.scoring import services

    for assessment, points in ((cyc.assessment_a, "0.5"), (cyc.assessment_b, "1")):
        Entry.objects.filter(assessment=assessment).exclude(node__method="survey").update(round1_points=D(points))
    return services.resultset_compute(cycle=cyc.cycle, group=cyc.group, actor=cast.manager, run_now=True)


def test_a_manager_asks_for_the_ranking_and_downloads_it(page, live_server, cast, cyc, computed, tmp_path):
    signed_in(page, live_server, cast.manager)
    page.goto("/")
    page.locator('[data-nav="reports"]').first.click()
    expect(page.get_by_role("heading", name="Báo cáo", exact=True)).to_be_visible()

    page.get_by_label("Đợt đánh giá").select_option(str(cyc.cycle.pk))
    page.get_by_label("Loại báo cáo").select_option("ranking")
    # htmx re-renders the form for the kind: its description and only its formats
    expect(page.get_by_test_id("kind-description")).to_contain_text("Xếp hạng, xếp loại")
    expect(page.get_by_label("Định dạng").locator("option")).to_have_count(2)
    page.get_by_label("Định dạng").select_option("xlsx")
    page.get_by_role("button", name="Tạo báo cáo").click()

    expect(page.get_by_role("heading", name="Bảng xếp hạng và xếp loại")).to_be_visible()
    state = page.locator("#job-state")
    expect(state).to_have_attribute("data-state", "done")
    expect(page.get_by_test_id("job-state")).to_have_text("Hoàn tất")
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    expect(page.get_by_test_id("requested-by")).to_contain_text("Trần Thị Quản Lý")
    filename = page.get_by_test_id("filename").inner_text()
    assert filename.endswith(".xlsx")

    with page.expect_download() as info:
        page.get_by_test_id("download").click()
    download = info.value
    assert download.suggested_filename == filename
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    book = openpyxl.load_workbook(saved)
    text = " ".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert "Sở Tài chính" in text and "Sở Tư pháp" in text

    page.get_by_role("link", name="Báo cáo của tôi").first.click()
    expect(page.get_by_test_id("jobs").locator("tbody tr")).to_have_count(1)
