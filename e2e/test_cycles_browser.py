"""In a real browser: after the self-assessment deadline, a manager moves the next window and grants one unit an
extension, and sees the countdowns change."""

import datetime as dt
import re
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


def test_a_manager_moves_a_window_and_grants_an_extension(page, live_server, cast):
    from parindex.cycles.factories import CLOSES, make_cycle
    from parindex.cycles.models import Extension

    cyc = make_cycle(cast)
    with time_machine.travel(CLOSES["self_assessment"] + dt.timedelta(hours=1), tick=True):
        signed_in(page, live_server, cast.manager)
        page.goto(f"/dot-danh-gia/{cyc.cycle.pk}/")
        expect(page.get_by_test_id("countdown-self_assessment")).to_have_text("đã đóng lúc 17:00 ngày 15/12/2026")
        expect(page.get_by_test_id("countdown-appraisal_1")).to_have_text("mở từ 08:00 ngày 05/01/2027")

        # Appraisal round 1 starts earlier: the date is typed in Vietnam's time, with a reason.
        page.get_by_test_id("edit-window-appraisal_1").click()
        page.get_by_label("Mở từ ngày").fill("2026-12-28")
        page.get_by_label("Lý do thay đổi (bắt buộc)").fill("Theo Công văn 45/SNV")
        page.get_by_test_id("submit").click()
        expect(page.get_by_role("alert")).to_contain_text("Đã lưu thời hạn “Thẩm định vòng 1”")
        expect(page.get_by_test_id("countdown-appraisal_1")).to_have_text("mở từ 08:00 ngày 28/12/2026")

        # Sở Tư pháp gets three more days; a date before the close is refused first.
        page.get_by_test_id("grant-extension").click()
        page.get_by_label("Đơn vị").select_option(label="Sở Tư pháp")
        page.get_by_label("Giai đoạn").select_option("self_assessment")
        page.get_by_label("Gia hạn đến ngày").fill("2026-12-14")
        page.get_by_label("Lý do gia hạn").fill("Mất điện diện rộng ngày 14/12")
        page.get_by_test_id("submit").click()
        expect(page.get_by_test_id("cycle-form")).to_contain_text("Gia hạn phải sau thời điểm đóng")
        page.get_by_label("Gia hạn đến ngày").fill("2026-12-18")
        page.get_by_test_id("submit").click()
        expect(page.get_by_test_id("extensions")).to_contain_text("Mất điện diện rộng")
        expect(page.get_by_test_id("extensions")).to_contain_text("17:00 ngày 18/12/2026")

        # The unit's windows now count down to the extension; the general one stays closed.
        expect(page.get_by_test_id("countdown-self_assessment")).to_have_text("đã đóng lúc 17:00 ngày 15/12/2026")
        page.get_by_test_id("participants").get_by_role("row", name=re.compile("Sở Tư pháp")).get_by_role(
            "link", name="Thời hạn"
        ).click()
        expect(page.get_by_test_id("countdown-self_assessment")).to_have_text(re.compile(r"^còn 2 ngày 2[23] giờ$"))
        expect(page.get_by_test_id("window-self_assessment")).to_contain_text("được gia hạn đến 17:00 ngày 18/12/2026")
    assert Extension.objects.get().granted_by == cast.manager
