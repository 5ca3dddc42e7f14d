"""In a real browser: an appraiser's round 1 — one row's points changed with a comment (refused first without it),
an explanation requested on another row; each row saves on its own through htmx."""

from decimal import Decimal
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


def test_an_appraiser_changes_points_and_asks_for_an_explanation(page, live_server, cast, cyc):
    from parindex.appraisals.tests.conftest import fill_and_submit
    from parindex.assessments.models import AssessmentStatus, ScoreChange
    from parindex.core.models import Notification
    from parindex.cycles.factories import entry, inside

    sent = fill_and_submit(cyc.assessment_a, cast.officer_a, cyc.leader_a)
    with time_machine.travel(inside("appraisal_1")):
        signed_in(page, live_server, cyc.appraiser)
        page.goto("/tham-dinh/")
        page.get_by_test_id("work-P99-STP").get_by_role("link", name="Thẩm định").click()
        page.get_by_test_id("grid").wait_for()
        expect(page.get_by_test_id("status")).to_have_text("Đã gửi")

        # 1.3: the unit claimed 1,5 of 2; cut to 1 — refused without a comment, saved with one.
        row = page.get_by_test_id("row-1.3")
        expect(row.get_by_test_id("self-points")).to_have_text("1,5")
        row.get_by_test_id("points").fill("1")
        row.get_by_test_id("save").click()
        expect(page.get_by_test_id("row-1.3").get_by_test_id("row-error")).to_contain_text("hãy ghi nhận xét")
        assert entry(sent, "1.3").round1_points is None
        row = page.get_by_test_id("row-1.3")
        expect(row.get_by_test_id("points")).to_have_value("1")
        row.get_by_test_id("comment").fill("Báo cáo thiếu phụ lục số liệu")
        row.get_by_test_id("save").click()
        expect(page.get_by_test_id("row-1.3").get_by_test_id("row-saved")).to_have_text("Đã lưu điểm vòng 1.")
        expect(page.get_by_test_id("row-1.3").get_by_test_id("round1")).to_contain_text("Báo cáo thiếu phụ lục số liệu")

        # 1.2: ask the unit to explain.
        row = page.get_by_test_id("row-1.2")
        row.get_by_text("Yêu cầu giải trình", exact=True).click()
        row.get_by_test_id("request-text").fill("Đề nghị gửi đường dẫn công khai thủ tục hành chính")
        row.get_by_test_id("request").click()
        expect(page.get_by_test_id("row-1.2").get_by_test_id("explanation")).to_contain_text(
            "Đề nghị gửi đường dẫn công khai thủ tục hành chính"
        )
        expect(page.get_by_test_id("row-1.2").get_by_test_id("row-saved")).to_have_text(
            "Đã gửi yêu cầu giải trình cho đơn vị."
        )

        # The grid, reloaded, shows the new state of the report and the appraised total.
        page.reload()
        expect(page.get_by_test_id("status")).to_have_text("Yêu cầu giải trình")

    e13, e12 = entry(sent, "1.3"), entry(sent, "1.2")
    assert e13.round1_points == Decimal("1.00") and e13.round1_comment == "Báo cáo thiếu phụ lục số liệu"
    assert ScoreChange.objects.filter(entry=e13, stage="round1", new_points=Decimal("1.00")).count() == 1
    assert e12.explanation_request.startswith("Đề nghị gửi đường dẫn")
    sent.refresh_from_db()
    assert sent.status == AssessmentStatus.EXPLANATION_REQUESTED
    assert Notification.objects.filter(user=cast.officer_a, key=f"appraisal.explanation_requested.{e12.pk}").exists()
