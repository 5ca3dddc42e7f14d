"""On a phone-sized screen, without an account: a respondent opens a personal link, chooses answers (saved one by
one), reloads and finds them again, is told which question is left, submits, and the link then refuses a second
use."""

from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser]

if not Path("/usr/bin/chromium").exists():  # the shared fixture skips too; say why here as well
    pytest.skip(
        "Debian chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)", allow_module_level=True
    )

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def phone(browser, live_server, transactional_db):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
        user_agent=IPHONE,
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def test_a_citizen_answers_on_a_phone_and_cannot_answer_twice(phone, srv, cast):
    from parindex.cycles.factories import inside
    from parindex.surveys.models import Invitation, Response
    from parindex.surveys.tests.invite_kit import link, sent_list

    respondent_list = sent_list(
        srv.survey,
        cast.dept_a,
        group=srv.citizens,
        people=[{"name": "Hoàng Thị Dân", "phone": "0987654321"}],
    )
    _invitation, token = link(respondent_list.respondents.get())
    page = phone

    with time_machine.travel(inside("survey"), tick=True):
        response = page.goto(f"/khao-sat/tra-loi/{token}/")
        assert response.status == 200
        expect(page.get_by_test_id("rated-unit")).to_have_text("Sở Tư pháp")
        expect(page.locator("h1")).to_have_text("Phiếu người dân, tổ chức")
        expect(page.get_by_test_id("answered-count")).to_have_text("0/3")

        # Large answer buttons: nearly the width of the screen, tall enough for a thumb.
        option = page.get_by_test_id("option-Q1-B")
        box = option.bounding_box()
        assert box["width"] > 300 and box["height"] >= 40
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        option.tap()
        expect(page.get_by_test_id("answered-count")).to_have_text("1/3")
        expect(page.get_by_test_id("saved")).to_be_visible()
        page.get_by_test_id("option-Q2-A").tap()
        expect(page.get_by_test_id("answered-count")).to_have_text("2/3")

        # Reloading keeps what was chosen (saved on the server, not in the browser).
        page.reload()
        expect(page.get_by_test_id("answered-count")).to_have_text("2/3")
        q1_b = srv.citizens_q.questions.get(code="Q1").options.get(code="B")
        q2_a = srv.citizens_q.questions.get(code="Q2").options.get(code="A")
        expect(page.locator(f"#o{q1_b.pk}")).to_be_checked()
        expect(page.locator(f"#o{q2_a.pk}")).to_be_checked()

        # Submitting with a question left names it and keeps the answers.
        page.get_by_test_id("submit-answers").tap()
        expect(page.get_by_test_id("question-Q3")).to_contain_text("Câu Q3: chưa trả lời")
        expect(page.locator(f"#o{q1_b.pk}")).to_be_checked()
        assert not Response.objects.filter(status="submitted").exists()

        page.get_by_test_id("option-Q3-X").tap()
        expect(page.get_by_test_id("answered-count")).to_have_text("3/3")
        page.get_by_test_id("submit-answers").tap()
        expect(page.get_by_test_id("answer-thanks")).to_be_visible()

        stored = Response.objects.get()
        assert stored.status == "submitted"
        assert sorted(stored.answers.values_list("question__code", "option__code")) == [
            ("Q1", "B"),
            ("Q2", "A"),
            ("Q3", "X"),
        ]
        assert Invitation.objects.get().used_at is not None

        # The link refuses a second use.
        again = page.goto(f"/khao-sat/tra-loi/{token}/")
        assert again.status == 409
        expect(page.get_by_test_id("refusal-message")).to_contain_text("chỉ nộp được một lần")

        assert stored.answers.count() == 3 and Response.objects.count() == 1
