"""In a real browser: a manager opens a cycle's progress dashboard and filters the units by state; a unit officer
follows the navbar's badge to their notices and marks them read; on a phone (390×844), a manager reads the cycle at a
glance, a leader the published results with their movement, a unit officer their own result — no sideways scrolling,
charts within the screen."""

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
    page.get_by_label("Trạng thái", exact=True).select_option("not_started")
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


# --- dashboards on a phone (390×844) -------------------------------------------------------------------------------

PHONE = {"width": 390, "height": 844}


def fits_the_screen(page) -> None:
    """Nothing wider than the phone: no sideways scrolling of the page (wide tables scroll inside their box)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def chart_fits(locator) -> None:
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None and 250 < box["width"] <= PHONE["width"], box


def publish(res, cast):
    from parindex.scoring.services import resultset_approve, resultset_publish

    resultset_approve(result_set=res.result_set, actor=res.chair)
    return resultset_publish(result_set=res.result_set, actor=cast.manager)


def test_a_manager_reads_the_cycle_at_a_glance_on_a_phone(page, live_server, cast, res):
    page.set_viewport_size(PHONE)
    signed_in(page, live_server, cast.manager)
    page.goto(f"/tien-do/{res.cycle.pk}/")
    fits_the_screen(page)
    chart_fits(page.locator('[data-testid="state-chart"] svg'))
    results = page.get_by_test_id("glance-results")
    expect(results.get_by_test_id("result-status")).to_have_text("Dự thảo")
    chart_fits(results.locator('[data-testid="class-chart"] svg'))
    expect(page.get_by_test_id("glance-deadlines")).to_be_visible()
    expect(page.get_by_test_id("no-survey")).to_be_visible()

    # The navigation folds behind its button on a phone.
    expect(page.locator('[data-nav="progress"]')).to_be_hidden()
    page.get_by_label("Mở menu").click()
    expect(page.locator('[data-nav="progress"]')).to_be_visible()
    page.get_by_label("Mở menu").click()

    # Each block leads to its detail: the ranking of the draft.
    results.get_by_role("link", name="Xem bảng xếp hạng").click()
    expect(page.locator("#ranking tbody tr")).to_have_count(2)


def test_a_leader_reads_the_published_results_on_a_phone(page, live_server, cast, res):
    from decimal import Decimal as D

    from parindex.scoring.models import JobState, ResultSet, ResultStatus, UnitResult

    publish(res, cast)
    earlier = ResultSet.objects.create(
        year=2025, group=res.group, status=ResultStatus.PUBLISHED, job_state=JobState.DONE, title="Năm 2025"
    )
    for rank, (unit, percent) in enumerate(((cast.dept_a, "70.00"), (cast.dept_b, "60.00")), 1):
        UnitResult.objects.create(result_set=earlier, unit=unit, percent=D(percent), rank=rank, class_code="C")

    page.set_viewport_size(PHONE)
    signed_in(page, live_server, res.viewer)
    page.goto("/")
    page.get_by_label("Mở menu").click()
    page.locator('[data-nav="overview"]').click()
    expect(page.get_by_role("heading", name="Tổng quan kết quả Chỉ số")).to_be_visible()
    fits_the_screen(page)
    chart_fits(page.locator('[data-testid="ranking-chart"] svg'))
    chart_fits(page.locator('[data-testid="overview-classes"] svg'))
    movement = page.get_by_test_id("movement")
    expect(movement.get_by_test_id("average-change")).to_have_text("-2,50")
    expect(movement.get_by_test_id("rose")).to_contain_text("Sở Tài chính")
    expect(movement.get_by_test_id("fell")).to_contain_text("Sở Tư pháp")

    # A unit's public scorecard from the ranking.
    page.locator('[data-testid="ranking-row"][data-unit="P99-STP"]').get_by_role("link", name="Sở Tư pháp").click()
    expect(page.get_by_role("heading", name="Sở Tư pháp")).to_be_visible()


def test_a_unit_officer_reads_their_result_on_a_phone(page, live_server, cast, res):
    publish(res, cast)
    page.set_viewport_size(PHONE)
    signed_in(page, live_server, cast.officer_a)
    page.goto("/")
    card = page.get_by_test_id("unit-result")
    expect(card).to_have_count(1)
    expect(card.get_by_test_id("unit-index")).to_have_text("58,33")
    expect(card.get_by_test_id("unit-rank")).to_have_text("2/2")
    fits_the_screen(page)
    chart_fits(card.locator('[data-testid="profile-chart"] svg'))
    chart_fits(card.locator('[data-testid="trend-chart"] svg'))
    card.get_by_test_id("unit-scorecard").click()
    expect(page.get_by_role("heading", name="Sở Tư pháp")).to_be_visible()
