"""In a real browser: signing in through the form, and a manager filtering the audit trail."""

import re

import pytest
from django.db import transaction

from parindex.core.services import audit_record

pytestmark = pytest.mark.browser

PASSWORD = "mat-khau-123"  # UserFactory's


def sign_in(page, username: str) -> None:
    page.goto("/tai-khoan/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def test_a_user_signs_in_through_the_form_and_sees_the_home_page(page, cast):
    page.goto("/")
    assert "/tai-khoan/dang-nhap/" in page.url  # anonymous visitors are sent to the login page
    sign_in(page, "officer_a")
    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_test_id("greeting").inner_text() == "Xin chào, Lê Văn Tư Pháp"
    assert page.get_by_test_id("user-menu").inner_text() == "Lê Văn Tư Pháp"
    assert "Sở Tư pháp" in page.get_by_test_id("home-unit").inner_text()


def test_a_wrong_password_is_explained_in_vietnamese(page, cast):
    page.goto("/tai-khoan/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill("officer_a")
    page.get_by_label("Mật khẩu").fill("sai-mat-khau")
    page.get_by_role("button", name="Đăng nhập").click()
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in page.get_by_test_id("form-errors").inner_text()


def test_a_manager_opens_the_audit_page_and_filters_it(page, cast):
    with transaction.atomic():
        audit_record(actor=cast.manager, action="unit.update", unit=cast.dept_a, object_repr="Hồ sơ Sở Tư pháp")
        audit_record(actor=cast.manager, action="unit.update", unit=cast.dept_b, object_repr="Hồ sơ Sở Tài chính")
    sign_in(page, "manager")
    page.wait_for_url(re.compile(r"/$"))
    page.get_by_test_id("nav-more").click()  # the audit trail is in the "Khác" menu
    page.locator('[data-nav="audit"]').click()
    page.wait_for_url(re.compile(r"/nhat-ky/"))
    table = page.get_by_test_id("audit-table")
    assert "Hồ sơ Sở Tư pháp" in table.inner_text() and "Hồ sơ Sở Tài chính" in table.inner_text()

    page.get_by_label("Đơn vị (mã hoặc tên)").fill("tư pháp")
    page.get_by_label("Hành động").select_option("unit.update")
    page.get_by_role("button", name="Lọc", exact=True).click()
    page.wait_for_url(re.compile(r"action=unit.update"))
    text = page.get_by_test_id("audit-table").inner_text()
    assert "Hồ sơ Sở Tư pháp" in text
    assert "Hồ sơ Sở Tài chính" not in text
    assert page.get_by_test_id("audit-count").inner_text() == "1 sự kiện"
    # The CSV link carries the same filters.
    assert "action=unit.update" in page.get_by_test_id("audit-csv").get_attribute("href")
