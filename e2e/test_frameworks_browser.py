"""In a real browser: a manager edits a draft framework in the htmx editor — totals turn red when a field stops
adding up, a rule is tried on sample inputs before saving, nodes are added and removed."""

import re
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
def draft(cast):
    from parindex.frameworks import formats, services
    from parindex.frameworks.tests.conftest import small_spec_data

    spec = small_spec_data()
    return services.framework_import(
        content=formats.write_yaml(spec), fmt="yaml", owner=cast.home_affairs, actor=cast.manager
    )


def signed_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_a_manager_edits_a_draft_in_the_browser(page, live_server, cast, draft):
    signed_in(page, live_server, cast.manager)
    page.goto(f"/bo-chi-so/{draft.pk}/soan-thao/")
    assert page.get_by_test_id("roots-total").inner_text() == "10 / 10"
    assert "hợp lệ" in page.get_by_test_id("problems").inner_text()

    # Raise 1.2 to 3 points: field 1 now adds up to 7 of 6 and turns red.
    page.get_by_test_id("node-1.2").click()
    form = page.get_by_test_id("node-form")
    expect(form.locator("h2")).to_have_text("Sửa 1.2")
    form.get_by_role("textbox", name="Điểm tối đa", exact=True).fill("3")
    form.get_by_test_id("save-node").click()
    page.get_by_test_id("saved").wait_for()
    total = page.get_by_test_id("sum-1")
    assert total.inner_text() == "7"
    assert "text-danger" in total.get_attribute("class")
    assert (
        "Lĩnh vực 1: tổng điểm tối đa các nút con là 7, khác điểm tối đa 6"
        in page.get_by_test_id("problems").inner_text()
    )

    # Put it back: everything adds up again.
    page.get_by_test_id("node-form").get_by_role("textbox", name="Điểm tối đa", exact=True).fill("2")
    page.get_by_test_id("save-node").click()
    page.wait_for_function("document.querySelector('[data-testid=sum-1]').innerText === '6'")
    assert "text-danger" not in page.get_by_test_id("sum-1").get_attribute("class")

    # Try the rule of 1.1 on sample inputs, then rewrite it with a middle band and try again before saving.
    page.get_by_test_id("node-1.1").click()
    expect(page.get_by_test_id("node-form").locator("h2")).to_have_text("Sửa 1.1")
    page.get_by_label("Giá trị thử").fill("97,5")
    page.get_by_test_id("preview-button").click()
    expect_text(page, "preview-result", "Tỷ lệ 97,5% ≥ 95% → 4/4 điểm")
    page.get_by_label("Quy tắc chấm điểm (YAML)").fill(
        "type: bands\nbands:\n- {min: 98, fraction: 1}\n- {min: 95, max: 98, fraction: 0.75}\n- {max: 95, fraction: 0}"
    )
    page.get_by_test_id("preview-button").click()
    expect_text(page, "preview-result", "Tỷ lệ 97,5% trong khoảng từ 95% đến dưới 98% → 3/4 điểm")
    page.get_by_label("Giá trị thử").fill("abc")
    page.get_by_test_id("preview-button").click()
    page.get_by_test_id("preview-error").wait_for()
    assert "không phải là số" in page.get_by_test_id("preview-error").inner_text()
    page.get_by_test_id("save-node").click()
    page.get_by_test_id("saved").wait_for()
    assert draft.nodes.get(code="1.1").rule["bands"][1] == {"min": 95, "max": 98, "fraction": 0.75}

    # Add a criterion under field 2, then remove it again.
    add = page.get_by_test_id("add-form")
    add.get_by_label("Thêm vào").select_option(label="2. Hài lòng của người dân")
    add.get_by_label("Mã", exact=True).fill("2.2")
    add.get_by_label("Tên", exact=True).fill("Đối thoại với người dân")
    add.get_by_role("button", name="Thêm").click()
    page.get_by_test_id("node-2.2").wait_for()
    assert page.get_by_test_id("node-form").locator("h2").inner_text() == "Sửa 2.2"
    assert "2.2: chưa chọn phương thức" in page.get_by_test_id("problems").inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("remove-2.2").click()
    page.get_by_test_id("node-2.2").wait_for(state="detached")
    assert not draft.nodes.filter(code="2.2").exists()

    # Valid again: activate it from the editor; the editor then sends back to the read-only page.
    page.get_by_role("button", name="Đưa vào áp dụng").click()
    page.wait_for_url(re.compile(rf"/bo-chi-so/{draft.pk}/$"))
    assert page.get_by_test_id("status").inner_text() == "Đang áp dụng"


def expect_text(page, test_id: str, text: str) -> None:
    locator = page.get_by_test_id(test_id)
    locator.wait_for()
    page.wait_for_function(
        "([id, text]) => document.querySelector(`[data-testid=${id}]`)?.innerText.includes(text)", arg=[test_id, text]
    )
    assert text in locator.inner_text()
