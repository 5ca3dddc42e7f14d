"""Answering through a personal link: opening, saving progress, submitting once (also under concurrency), refusing
bad tokens, bad answers, oversized payloads and late submissions — with nothing stored when refused."""

import datetime as dt
import json
import logging
import threading

import pytest
import time_machine
from django.db import connection
from django.test import Client

from parindex.cycles.factories import CLOSES, inside
from parindex.surveys import answering
from parindex.surveys.models import Answer, Invitation, Response, ResponseStatus

from .invite_kit import answers_for, link, sent_list

pytestmark = pytest.mark.django_db

UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"


@pytest.fixture
def respondent(srv, cast):
    respondent_list = sent_list(
        srv.survey, cast.dept_a, group=srv.officials, people=[{"name": "Nguyễn Văn An", "email": "an@example.vn"}]
    )
    return respondent_list.respondents.get()


@pytest.fixture
def token(respondent):
    return link(respondent)[1]


def form(questionnaire, codes: str) -> dict:
    return {f"q{k}": v for k, v in answers_for(questionnaire, codes).items()}


def api_submit(client, raw, answers, **extra):
    return client.post(
        f"/api/v1/surveys/answer/{raw}/submit",
        json.dumps({"answers": answers}),
        content_type="application/json",
        **extra,
    )


def test_opening_the_link_shows_the_questionnaire_and_records_the_opening(client, srv, token, cast):
    with time_machine.travel(inside("survey"), tick=False):
        page = client.get(f"/khao-sat/tra-loi/{token}/", HTTP_USER_AGENT=UA)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Phiếu cán bộ, công chức" in html and "Sở Tư pháp" in html
    assert "0/3" in html and html.count('type="radio"') == 15
    assert page["Cache-Control"] == "no-store"
    invitation = Invitation.objects.get()
    assert invitation.opened_at == inside("survey")
    assert Response.objects.get().status == ResponseStatus.IN_PROGRESS


@pytest.mark.parametrize(
    "raw", ["not-a-token", "A" * 43, "x" * 200, "%2e%2e", "Zm9vYmFyYmF6cXV1eHF1dXh6b3J0Zm9vYmFyYmF6cXV1eA"]
)
def test_an_unknown_or_guessed_token_gets_a_clear_404_and_nothing_is_stored(client, srv, token, raw, caplog):
    with time_machine.travel(inside("survey")), caplog.at_level(logging.WARNING, logger="parindex.surveys"):
        page = client.get(f"/khao-sat/tra-loi/{raw}/")
        submitted = client.post(f"/khao-sat/tra-loi/{raw}/nop/", form(srv.officials_q, "AAA"))
    assert page.status_code == 404 and submitted.status_code == 404
    assert "Đường dẫn trả lời phiếu không đúng hoặc không còn hiệu lực" in page.content.decode()
    assert not Response.objects.exists() and not Answer.objects.exists()
    assert Invitation.objects.get().opened_at is None
    ours = [r.getMessage() for r in caplog.records if r.name == "parindex.surveys"]
    assert any("survey link refused" in message for message in ours)
    assert all(raw not in message for message in ours)


def test_an_expired_token_is_refused(client, srv, token):
    with time_machine.travel(CLOSES["survey"] + dt.timedelta(seconds=1)):
        page = client.get(f"/khao-sat/tra-loi/{token}/")
        response = api_submit(client, token, answers_for(srv.officials_q, "AAA"))
    assert page.status_code == 404
    assert "đã hết hạn lúc 17:00 ngày 31/01/2027" in page.content.decode()
    assert response.status_code == 404
    assert not Answer.objects.exists()


def test_submitting_stores_the_answers_with_their_weights_once(client, srv, token):
    with time_machine.travel(inside("survey")):
        client.get(f"/khao-sat/tra-loi/{token}/", HTTP_USER_AGENT=UA)
    with time_machine.travel(inside("survey") + dt.timedelta(minutes=5), tick=False):
        response = client.post(
            f"/khao-sat/tra-loi/{token}/nop/",
            form(srv.officials_q, "ABX"),
            HTTP_USER_AGENT=UA,
            HTTP_ACCEPT_LANGUAGE="vi-VN",
            REMOTE_ADDR="203.0.113.7",
        )
    assert response.status_code == 302 and response["Location"] == "/khao-sat/cam-on/"
    stored = Response.objects.get()
    assert stored.status == ResponseStatus.SUBMITTED
    assert stored.submitted_at == inside("survey") + dt.timedelta(minutes=5)
    assert stored.ip == "203.0.113.7"
    assert stored.device == answering.device_fingerprint(UA, "vi-VN")
    assert stored.rated_unit.name == "Sở Tư pháp"
    rows = sorted(stored.answers.values_list("question__code", "option__code", "weight", "excluded"))
    assert rows == [("Q1", "A", 100, False), ("Q2", "B", 60, False), ("Q3", "X", 0, True)]
    assert Invitation.objects.get().used_at == stored.submitted_at

    # The link refuses a second use, on the page and through the API.
    with time_machine.travel(inside("survey") + dt.timedelta(minutes=6)):
        again = client.post(f"/khao-sat/tra-loi/{token}/nop/", form(srv.officials_q, "DDD"))
        reopened = client.get(f"/khao-sat/tra-loi/{token}/")
        api_again = api_submit(client, token, answers_for(srv.officials_q, "DDD"))
    assert again.status_code == 409 and reopened.status_code == 409 and api_again.status_code == 409
    assert "chỉ nộp được một lần" in again.content.decode()
    assert "chỉ nộp được một lần" in api_again.json()["detail"]
    assert sorted(Answer.objects.values_list("option__code", flat=True)) == ["A", "B", "X"]


@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_the_same_moment_store_one_response(srv, token):
    """Threads on PostgreSQL (the row lock decides); on SQLite, which serialises writers, one after the other."""
    answers = answers_for(srv.officials_q, "ABC")
    outcomes = []

    def submit():
        try:
            answering.answer_submit(raw=token, answers=answers, ip="198.51.100.1", device="d")
            outcomes.append("stored")
        except answering.AlreadySubmitted:
            outcomes.append("refused")
        except Exception as exc:  # noqa: BLE001 — a lock timeout on SQLite is also a refusal
            outcomes.append(f"error: {exc.__class__.__name__}")
        finally:
            connection.close()

    traveller = time_machine.travel(inside("survey"), tick=True)
    traveller.start()  # once, for every thread (time-machine patches the clock of the whole process)
    try:
        if connection.vendor == "postgresql":
            barrier = threading.Barrier(4)

            def racer():
                barrier.wait()
                submit()

            threads = [threading.Thread(target=racer) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert sorted(outcomes) == ["refused", "refused", "refused", "stored"]
        else:
            submit()
            submit()
            assert outcomes == ["stored", "refused"]
    finally:
        traveller.stop()
    assert Response.objects.count() == 1
    assert Answer.objects.count() == 3
    assert Invitation.objects.get().used_at is not None


def test_an_option_of_another_question_is_refused(client, srv, token):
    answers = answers_for(srv.officials_q, "AAA")
    q1, q2 = list(answers)[:2]
    answers[q1] = answers[q2]  # Q2's option given to Q1
    with time_machine.travel(inside("survey")):
        response = api_submit(client, token, answers)
    assert response.status_code == 422
    assert "không thuộc câu hỏi này" in response.json()["errors"]["Q1"][0]
    assert not Answer.objects.exists() and Invitation.objects.get().used_at is None


def test_an_option_out_of_range_is_refused(client, srv, token):
    answers = answers_for(srv.officials_q, "AAA")
    answers[next(iter(answers))] = 10**9
    with time_machine.travel(inside("survey")):
        response = api_submit(client, token, answers)
    assert response.status_code == 422
    assert not Answer.objects.exists()


def test_a_question_not_in_the_questionnaire_is_refused(client, srv, token):
    answers = answers_for(srv.officials_q, "AAA")
    other = srv.citizens_q.questions.first()
    answers[str(other.pk)] = other.options.first().pk
    with time_machine.travel(inside("survey")):
        response = api_submit(client, token, answers)
        page = client.post(f"/khao-sat/tra-loi/{token}/nop/", {**form(srv.officials_q, "AAA"), "q999999": "1"})
    assert response.status_code == 422
    assert "không có trong phiếu này" in response.json()["errors"]["answers"][0]
    assert page.status_code == 422
    assert not Answer.objects.exists()


def test_an_unanswered_question_is_named_and_the_chosen_answers_are_kept(client, srv, token):
    answers = form(srv.officials_q, "AB")
    with time_machine.travel(inside("survey")):
        page = client.post(f"/khao-sat/tra-loi/{token}/nop/", answers)
    assert page.status_code == 422
    assert "Câu Q3: chưa trả lời" in page.content.decode()
    assert "2/3" in page.content.decode()
    stored = Response.objects.get()
    assert stored.status == ResponseStatus.IN_PROGRESS and len(stored.draft) == 2
    assert not Answer.objects.exists()


def test_an_oversized_payload_is_refused(client, srv, token):
    answers = answers_for(srv.officials_q, "AAA")
    too_many = {str(10**12 + i): 1 for i in range(answering.MAX_ANSWERS + 1)}
    too_big = {**answers, "9" * (answering.MAX_PAYLOAD_BYTES + 10): 1}  # few entries, many bytes
    with time_machine.travel(inside("survey")):
        many = api_submit(client, token, {**answers, **too_many})
        big = api_submit(client, token, too_big)
        page = client.post(f"/khao-sat/tra-loi/{token}/nop/", {**form(srv.officials_q, "AAA"), "x": "x" * 40_000})
    assert many.status_code == 422
    assert big.status_code == 413 and "quá lớn" in big.json()["detail"]
    assert page.status_code == 413 and "quá lớn" in page.content.decode()
    assert not Answer.objects.exists() and Invitation.objects.get().used_at is None


def test_a_submission_a_second_before_the_close_is_taken(client, srv, token):
    with time_machine.travel(CLOSES["survey"] - dt.timedelta(seconds=1)):
        response = api_submit(client, token, answers_for(srv.officials_q, "CCC"))
    assert response.status_code == 200, response.content
    assert Answer.objects.count() == 3


def test_a_submission_after_the_window_closes_is_refused(client, srv, token, cyc, cast):
    # Even if the invitation still ran (the window was shortened after the links went out).
    from parindex.cycles import services as cycle_services
    from parindex.cycles.factories import WINDOWS

    Invitation.objects.update(expires_at=CLOSES["survey"] + dt.timedelta(days=30))
    early_close = CLOSES["survey"] - dt.timedelta(days=10)
    cycle_services.window_set(
        cycle=cyc.cycle,
        kind="survey",
        opens_at=WINDOWS["survey"][0],
        closes_at=early_close,
        actor=cast.manager,
        reason="Rút ngắn thời hạn khảo sát",
    )
    with time_machine.travel(early_close + dt.timedelta(seconds=1)):
        response = api_submit(client, token, answers_for(srv.officials_q, "AAA"))
        page = client.post(f"/khao-sat/tra-loi/{token}/nop/", form(srv.officials_q, "AAA"))
    assert response.status_code == 403 and "đã kết thúc" in response.json()["detail"]
    assert page.status_code == 403
    assert not Answer.objects.exists()


def test_progress_is_saved_per_answer_and_shown_again(client, srv, token):
    q1 = srv.officials_q.questions.get(code="Q1")
    option = q1.options.get(code="B")
    with time_machine.travel(inside("survey")):
        client.get(f"/khao-sat/tra-loi/{token}/")
        saved = client.post(f"/khao-sat/tra-loi/{token}/luu/", {f"q{q1.pk}": option.pk}, HTTP_HX_REQUEST="true")
        again = client.get(f"/khao-sat/tra-loi/{token}/")
    assert saved.status_code == 200 and "Đã lưu." in saved.content.decode()
    assert "1/3" in saved.content.decode()
    assert Response.objects.get().draft == {str(q1.pk): option.pk}
    assert f'value="{option.pk}" checked' in again.content.decode()
    assert "1/3" in again.content.decode()


def test_the_api_reads_saves_and_submits(client, srv, token):
    with time_machine.travel(inside("survey")):
        sheet = client.get(f"/api/v1/surveys/answer/{token}")
        assert sheet.status_code == 200
        data = sheet.json()
        assert data["rated_unit"] == "Sở Tư pháp" and data["total"] == 3
        assert "weight" not in data["questions"][0]["options"][0]
        first = data["questions"][0]
        draft = client.put(
            f"/api/v1/surveys/answer/{token}/draft",
            json.dumps({"answers": {str(first["id"]): first["options"][0]["id"]}}),
            content_type="application/json",
        )
        assert draft.json() == {"answered": 1, "total": 3}
        bad_draft = client.put(
            f"/api/v1/surveys/answer/{token}/draft",
            json.dumps({"answers": {str(first["id"]): 123456789}}),
            content_type="application/json",
        )
        assert bad_draft.status_code == 422
        assert client.get(f"/api/v1/surveys/answer/{token}").json()["draft"] == {
            str(first["id"]): first["options"][0]["id"]
        }
        done = api_submit(client, token, answers_for(srv.officials_q, "DCB"))
    assert done.status_code == 200 and done.json()["answers"] == 3


def test_nothing_opens_before_the_survey_window(client, srv, token):
    with time_machine.travel(inside("survey") - dt.timedelta(days=2)):
        page = client.get(f"/khao-sat/tra-loi/{token}/")
        api = client.get(f"/api/v1/surveys/answer/{token}")
    assert page.status_code == 403 and "chưa bắt đầu" in page.content.decode()
    assert api.status_code == 403
    assert not Response.objects.exists()


def test_an_address_guessing_tokens_is_slowed_down(srv, token):
    guesser = Client(REMOTE_ADDR="192.0.2.66")
    with time_machine.travel(inside("survey")):
        codes = [guesser.get(f"/khao-sat/tra-loi/{'G' * 43}{i}/").status_code for i in range(35)]
        blocked = guesser.get(f"/khao-sat/tra-loi/{token}/")
        other = Client(REMOTE_ADDR="192.0.2.67").get(f"/khao-sat/tra-loi/{token}/")
    assert codes[:30] == [404] * 30 and codes[-1] == 429
    assert blocked.status_code == 429
    assert other.status_code == 200
