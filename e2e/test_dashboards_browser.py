"""In a real browser: a manager opens a cycle's progress dashboard and filters the units by state; a unit officer
follows the navbar's badge to their notices and marks them read."""

from pathlib import Path

import pytest
import time_machine
from django.test import Client
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser]

if not Path("/usr/bin/chromium").exists():  # the shared fixture skips too; say why here as well
    pytest.skip(
        "Debian chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)", allow_module_level=True
    )


def signed_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_a_manager_filters_the_progress_dashboard_by_state(page, live_server, cast, cyc):
    from parindex.assessments.services import entry_self_save
    from parindex.cycles.factories import entry, inside

    with time_machine.travel(inside("self_assessment")):
        e = entry(cyc.assessment_a, "1.1")
        entry_self_save(entry_id=e.pk, version=e.version, declared="97", actor=cast.officer_a)

    signed_in(page, live_server, cast.manager)
    page.goto("/")
    page.locator('[data-nav="progress"]').click()
    page.get_by_role("link", name="Chỉ số CCHC năm 2026").click()
    rows = page.get_by_test_id("unit-row")
    expect(rows).to_have_count(2)
    expect(page.locator('[data-unit="P99-STP"] [data-testid="missing"]')).to_have_text("1")
    expect(page.locator('[data-unit="P99-STP"] [data-testid="done"]')).to_have_text("1/4")

    # The state's button: only the unit that has started.
    page.locator('[data-testid="state-counts"] [data-state="in_progress"]').click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-unit", "P99-STP")
    expect(page.get_by_test_id("units-count")).to_have_text("(1)")

    # The filter form: the units not started.
    page.get_by_label("Trạng thái").select_option("not_started")
    page.get_by_test_id("filter-submit").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-unit", "P99-STC")
    assert "trang-thai=not_started" in page.url

    page.locator('[data-testid="state-counts"] [data-state="confirmed"]').click()
    expect(page.get_by_test_id("no-units")).to_be_visible()


def test_an_officer_reads_their_notices(page, live_server, cast):
    from parindex.core.notifications import notify

    notify(users=[cast.officer_a], key="t1", title="Đã mở thời hạn “Tự đánh giá, chấm điểm”", url="/", email=False)
    notify(users=[cast.officer_a], key="t2", title="Sắp hết thời hạn “Tự đánh giá, chấm điểm”", email=False)
    notify(users=[cast.officer_a], key="t3", title="Yêu cầu giải trình tiêu chí 1.1", email=False)
    notify(users=[cast.officer_b], key="t1", title="Thông báo của người khác", email=False)

    signed_in(page, live_server, cast.officer_a)
    page.goto("/")
    expect(page.get_by_test_id("unread-badge")).to_contain_text("3")
    page.locator('[data-nav="notifications"]').click()
    notices = page.get_by_test_id("notice")
    expect(notices).to_have_count(3)
    expect(page.locator('[data-testid="notice"][data-unread="1"]')).to_have_count(3)
    expect(page.get_by_text("Thông báo của người khác")).to_have_count(0)

    # Mark the newest read: it loses its highlight, the badge counts down.
    notices.first.get_by_test_id("notice-read").click()
    expect(page.locator('[data-testid="notice"][data-unread="1"]')).to_have_count(2)
    expect(page.get_by_test_id("unread-badge")).to_contain_text("2")

    # Opening a notice with a link marks it read and goes to its page.
    page.get_by_test_id("notice-open").click()
    expect(page.get_by_test_id("greeting")).to_be_visible()
    expect(page.get_by_test_id("unread-badge")).to_contain_text("1")

    page.locator('[data-nav="notifications"]').click()
    page.get_by_test_id("read-all").click()
    expect(page.get_by_text("Đã đánh dấu 1 thông báo là đã đọc.")).to_be_visible()
    expect(page.locator('[data-testid="notice"][data-unread="1"]')).to_have_count(0)
    expect(page.get_by_test_id("unread-badge")).to_have_count(0)
