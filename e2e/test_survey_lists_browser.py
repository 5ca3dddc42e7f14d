"""In a real browser: a survey coordinator imports a unit's respondent list from the template, sees the rows the
rules excluded or merged with their reasons, reverses one decision (htmx) and sends the list, which is then frozen."""

import datetime as dt
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from parindex.surveys.tests.listfiles import citizen, citizens, official, xlsx

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


@pytest.fixture
def open_survey(srv, cyc):
    """The survey window around the real clock (the live server does not travel in time)."""
    from parindex.cycles.models import Window

    now = timezone.now()
    Window.objects.filter(cycle=cyc.cycle, kind="survey").update(
        opens_at=now - dt.timedelta(days=1), closes_at=now + dt.timedelta(days=30)
    )
    return srv


def test_a_coordinator_imports_reviews_reverses_and_sends_a_list(page, live_server, cast, open_survey, tmp_path):
    srv = open_survey
    rows = [
        official(),
        official(name="NGUYEN VAN AN", email="", phone="+84 912 345 678"),  # the same person, spelled otherwise
        citizen(name="Chưa Nhận Kết Quả", phone="0987654321", received=None),
        citizen(name="Ở Nơi Khác", phone="0987654322", address="Số 1 phố Huế, Hà Nội"),
        *citizens(10),
    ]
    path = tmp_path / "danh-sach-so-tu-phap.xlsx"
    path.write_bytes(xlsx(rows))

    signed_in(page, live_server, srv.coordinator)
    page.goto(f"/khao-sat/{srv.survey.pk}/")
    page.get_by_test_id("import-list").click()
    form = page.get_by_test_id("import-form")
    form.get_by_label("Đơn vị lập danh sách").select_option(label="Sở Tư pháp")
    form.get_by_label("Tệp danh sách (.xlsx theo mẫu)").set_input_files(str(path))
    page.get_by_test_id("import-submit").click()

    # The list page: counts, and the quota check says what is missing.
    expect(page.get_by_test_id("list-status")).to_have_text("Đang lập")
    expect(page.get_by_test_id("count-included")).to_have_text("11")
    expect(page.get_by_test_id("count-excluded")).to_have_text("2")
    expect(page.get_by_test_id("count-merged")).to_have_text("1")
    expect(page.get_by_test_id("checks")).to_contain_text("cần ít nhất 30 (còn thiếu 20)")

    # Only the excluded rows, each with its reason.
    page.get_by_test_id("filter-excluded").click()
    expect(page.get_by_test_id("reason-4")).to_contain_text("chưa nhận kết quả giải quyết thủ tục")
    expect(page.get_by_test_id("reason-5")).to_contain_text("không ở địa phương")
    expect(page.get_by_test_id("row-2")).to_have_count(0)

    # Reverse one: the coordinator knows the address is local after all.
    decide = page.get_by_test_id("decide-5")
    decide.get_by_label("Quyết định").select_option("included")
    decide.get_by_label("Lý do").fill("Đã xác minh: thường trú tại địa phương")
    decide.get_by_role("button", name="Ghi").click()
    expect(page.get_by_test_id("row-saved")).to_be_visible()
    expect(page.get_by_test_id("status-5")).to_contain_text("Được khảo sát")
    expect(page.get_by_test_id("status-5")).to_contain_text("Đã xác minh: thường trú tại địa phương")
    expect(page.get_by_test_id("status-5")).to_contain_text("Người điều phối Đặng Thị Điều Phối quyết định")

    # The merged row says why.
    page.get_by_test_id("filter-merged").click()
    expect(page.get_by_test_id("reason-3")).to_contain_text("Trùng với dòng 2 (Nguyễn Văn An): cùng số điện thoại")

    # Send: short of the quota, a note is required; then the list is frozen.
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("send-list").click()
    expect(page.get_by_role("alert").first).to_contain_text("Nếu vẫn gửi danh sách này, hãy ghi lý do")
    expect(page.get_by_test_id("list-status")).to_have_text("Đang lập")
    page.get_by_test_id("send-form").get_by_label("Ghi chú").fill("Đơn vị mới có 11 người đủ điều kiện")
    page.get_by_test_id("send-list").click()
    expect(page.get_by_test_id("list-status")).to_have_text("Đã gửi")
    expect(page.get_by_test_id("frozen")).to_be_visible()
    expect(page.get_by_test_id("send-form")).to_have_count(0)
    expect(page.get_by_test_id("decide-2")).to_have_count(0)

    from parindex.surveys.models import Respondent, RespondentList

    lst = RespondentList.objects.get(unit=cast.dept_a)
    assert (lst.status, lst.sent_by, lst.send_note) == ("sent", srv.coordinator, "Đơn vị mới có 11 người đủ điều kiện")
    reversed_row = Respondent.objects.get(respondent_list=lst, row=5)
    assert (reversed_row.status, reversed_row.decided_by) == ("included", srv.coordinator)
