"""In a real browser: the chair approves computed results, the manager publishes them, and a visitor without an
account reads the ranking and opens a unit's scorecard."""

from decimal import Decimal as D
from pathlib import Path

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


def test_results_are_approved_published_and_read_by_the_public(page, live_server, cast, cyc, computed):
    signed_in(page, live_server, cyc.chair)
    page.goto(f"/ket-qua/{computed.pk}/")
    expect(page.locator("#ranking tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Duyệt kết quả").click()
    expect(page.get_by_text("Đã duyệt kết quả.")).to_be_visible()

    page.context.clear_cookies()
    signed_in(page, live_server, cast.manager)
    page.goto(f"/ket-qua/{computed.pk}/")
    page.get_by_placeholder("Số quyết định công bố").fill("QĐ 15/QĐ-UBND")
    page.get_by_role("button", name="Công bố").click()
    expect(page.get_by_text("Đã công bố kết quả")).to_be_visible()

    page.context.clear_cookies()
    page.goto("/ket-qua/cong-khai/")
    page.get_by_role("link", name=str(computed)).click()
    first = page.locator("#ranking tbody tr").first
    expect(first).to_contain_text("Sở Tài chính")
    expect(first.locator("td").first).to_have_text("1")
    first.get_by_role("link", name="Sở Tài chính").click()
    expect(page.get_by_role("heading", name="Sở Tài chính")).to_be_visible()
    expect(page.get_by_text("Điểm theo tiêu chí")).to_be_visible()
