"""In a real browser: a survey coordinator opens the survey's progress, filters it by unit, sees who has not answered
and a tamper flag with its evidence, then opens the flag and confirms it with a note."""

from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser]

if not Path("/usr/bin/chromium").exists():  # the shared fixture skips too; say why here as well
    pytest.skip(
        "Debian chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)", allow_module_level=True
    )


@pytest.fixture
def world(srv, cast):
    from parindex.surveys.flags import detect_flags
    from parindex.surveys.tests.synthetic import honest, invite, respond

    honest(srv.survey, group=srv.officials, rated_unit=cast.dept_b, n=4)
    honest(srv.survey, group=srv.officials, rated_unit=cast.dept_a, n=3)
    respond(srv.survey, group=srv.citizens, rated_unit=cast.dept_a, answers="ABD", seconds=8)
    invite(
        srv.survey, group=srv.citizens, rated_unit=cast.dept_a, name="Phan Thị Chưa Trả Lời", email="ptctl@example.vn"
    )
    detect_flags(survey=srv.survey, straight_lining_min_questions=3)
    return srv


def signed_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_a_coordinator_follows_progress_and_reviews_a_flag(page, live_server, cast, world):
    signed_in(page, live_server, world.coordinator)
    page.goto(f"/khao-sat/{world.survey.pk}/tien-do/")
    expect(page.get_by_test_id("total-invited")).to_have_text("9")
    expect(page.get_by_test_id("total-answered")).to_have_text("8")
    expect(page.get_by_test_id("open-flags")).to_have_text("1")

    page.get_by_test_id("filter-unit").select_option(label=f"{cast.dept_a.name} ({cast.dept_a.code})")
    page.get_by_test_id("filter-apply").click()
    section = page.get_by_test_id("unit-section")
    expect(section.locator("h2")).to_have_text(cast.dept_a.name)
    expect(page.get_by_test_id("total-invited")).to_have_text("5")
    expect(page.get_by_test_id("non-respondents")).to_contain_text("Phan Thị Chưa Trả Lời")
    expect(page.get_by_test_id("non-respondents")).to_contain_text("ptctl@example.vn")
    flags = page.get_by_test_id("unit-flags")
    expect(flags).to_contain_text("Trả lời nhanh bất thường")
    expect(flags).to_contain_text("được hoàn thành trong 8 giây (thời gian tối thiểu hợp lý: 60 giây)")

    flags.get_by_role("link", name="Trả lời nhanh bất thường").click()
    expect(page.get_by_test_id("flag-status")).to_have_text("Chờ xem xét")
    form = page.get_by_test_id("review-form")
    form.get_by_label("Xác nhận vi phạm").check()
    form.get_by_label("Ghi chú").fill("Người dân xác nhận cán bộ điền hộ phiếu.")
    form.get_by_test_id("review-save").click()
    expect(page.get_by_test_id("flag-status")).to_have_text("Xác nhận vi phạm")
    expect(page.get_by_test_id("review")).to_contain_text("Người dân xác nhận cán bộ điền hộ phiếu.")
