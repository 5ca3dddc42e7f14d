"""Invitations: who is invited, tokens stored hashed, e-mail batches that survive a failing address, bounces,
throttled reminders, the printed list with QR codes, the commands and the API."""

import datetime as dt
import hashlib
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import CommandError, call_command
from django.test import override_settings

from parindex.core.models import AuditEvent
from parindex.cycles.factories import CLOSES, inside
from parindex.surveys import answering, invitations
from parindex.surveys.models import Invitation, Response

from .invite_kit import PEOPLE, answers_for, sent_list, tokens_in

pytestmark = pytest.mark.django_db


class FailingBackend(EmailBackend):
    """The locmem backend, except that one address always fails (a mailbox the server refuses)."""

    def send_messages(self, messages):
        for message in messages:
            if "hong@example.vn" in message.to:
                raise OSError("550 hộp thư không tồn tại")
        return super().send_messages(messages)


@pytest.fixture
def world(srv, cast):
    """Sở Tư pháp's sent list (3 included, one of them without e-mail, 1 excluded) and Sở Tài chính's draft list."""
    sent = sent_list(srv.survey, cast.dept_a, group=srv.officials, people=PEOPLE)
    draft = sent_list(
        srv.survey, cast.dept_b, group=srv.officials, people=[{"name": "Võ Văn Em", "email": "em@x.vn"}], status="draft"
    )
    return sent, draft


def send(survey, actor, respondent_list=None, capture=None):
    with capture(execute=True):
        return invitations.invitations_send(survey=survey, actor=actor, respondent_list=respondent_list)


def test_only_included_respondents_of_sent_lists_are_invited(srv, world, django_capture_on_commit_callbacks):
    sent, _draft = world
    with time_machine.travel(inside("survey")):
        summary = send(srv.survey, srv.coordinator, capture=django_capture_on_commit_callbacks)
    invited = set(Invitation.objects.values_list("respondent__full_name", flat=True))
    assert invited == {"Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"}
    assert summary.created == 3 and summary.to_email == 2 and summary.without_email == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["an@example.vn", "binh@example.vn"]
    assert all(i.expires_at == CLOSES["survey"] for i in Invitation.objects.all())
    assert Invitation.objects.filter(sent_at__isnull=False).count() == 2


def test_the_raw_token_is_never_stored_only_its_sha256(srv, world, django_capture_on_commit_callbacks):
    with time_machine.travel(inside("survey")):
        send(srv.survey, srv.coordinator, capture=django_capture_on_commit_callbacks)
    tokens = tokens_in(mail.outbox)
    assert len(tokens) == 2
    for email, raw in tokens.items():
        assert len(raw) >= 43  # token_urlsafe(32)
        invitation = Invitation.objects.get(respondent__email=email)
        assert invitation.token_hash == hashlib.sha256(raw.encode()).hexdigest()
        assert not Invitation.objects.filter(token_hash=raw).exists()
        for event in AuditEvent.objects.all():
            assert raw not in str(event.changes) and raw not in event.object_repr
    assert "Sở Tư pháp" in mail.outbox[0].body
    assert "Hạn trả lời: 17:00 ngày 31/01/2027" in mail.outbox[0].body


def test_a_failing_address_is_recorded_and_the_batch_goes_on(srv, cast, django_capture_on_commit_callbacks):
    people = [
        {"name": "Người Một", "email": "mot@example.vn"},
        {"name": "Người Hỏng", "email": "hong@example.vn"},
        {"name": "Người Ba", "email": "ba@example.vn"},
    ]
    sent_list(srv.survey, cast.dept_a, group=srv.officials, people=people)
    with (
        time_machine.travel(inside("survey")),
        override_settings(EMAIL_BACKEND="parindex.surveys.tests.test_invitations.FailingBackend"),
    ):
        send(srv.survey, srv.coordinator, capture=django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mail.outbox) == ["ba@example.vn", "mot@example.vn"]
    failed = Invitation.objects.get(respondent__email="hong@example.vn")
    assert failed.sent_at is None
    assert "550 hộp thư không tồn tại" in failed.send_error
    assert Invitation.objects.filter(sent_at__isnull=False, send_error="").count() == 2

    # Sending again retries only the failed one.
    mail.outbox.clear()
    with time_machine.travel(inside("survey")):
        summary = send(srv.survey, srv.coordinator, capture=django_capture_on_commit_callbacks)
    assert summary.created == 0 and summary.to_email == 1
    assert [m.to[0] for m in mail.outbox] == ["hong@example.vn"]
    failed.refresh_from_db()
    assert failed.sent_at is not None and failed.send_error == ""


def test_a_draft_list_cannot_be_invited(srv, world):
    _sent, draft = world
    with time_machine.travel(inside("survey")), pytest.raises(ValidationError):
        invitations.invitations_send(survey=srv.survey, respondent_list=draft, actor=srv.coordinator)
    assert not Invitation.objects.exists()


def test_no_invitation_goes_out_after_the_survey_window(srv, world):
    with time_machine.travel(CLOSES["survey"] + dt.timedelta(seconds=1)), pytest.raises(PermissionDenied):
        invitations.invitations_send(survey=srv.survey, actor=srv.coordinator)
    assert not Invitation.objects.exists()


def test_an_empty_questionnaire_is_not_sent(srv, world):
    srv.officials_q.questions.all().delete()
    with time_machine.travel(inside("survey")), pytest.raises(ValidationError, match="chưa có câu hỏi"):
        invitations.invitations_send(survey=srv.survey, actor=srv.coordinator)
    assert not Invitation.objects.exists()


def test_a_bounce_is_recorded_and_stops_reminders(srv, world, login, cast, django_capture_on_commit_callbacks):
    start = inside("survey")
    with time_machine.travel(start):
        send(srv.survey, srv.coordinator, capture=django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get(respondent__email="an@example.vn")
    with time_machine.travel(start + dt.timedelta(hours=1)):
        refused = login(cast.officer_b).post(
            f"/api/v1/surveys/invitations/{invitation.pk}/bounce", {"reason": "x"}, content_type="application/json"
        )
        assert refused.status_code == 403
        response = login(srv.coordinator).post(
            f"/api/v1/surveys/invitations/{invitation.pk}/bounce",
            {"reason": "Hộp thư không tồn tại"},
            content_type="application/json",
        )
    assert response.status_code == 200, response.content
    invitation.refresh_from_db()
    assert invitation.bounced_at is not None
    assert invitation.send_error == "Thư bị trả lại: Hộp thư không tồn tại"
    assert AuditEvent.objects.filter(action="survey.invitation_bounced").count() == 1
    later = start + dt.timedelta(days=5)
    due = set(invitations.reminders_due(srv.survey, now=later).values_list("respondent__email", flat=True))
    assert due == {"binh@example.vn"}


def test_reminders_are_throttled(srv, world, django_capture_on_commit_callbacks):
    srv.survey.reminder_max, srv.survey.reminder_min_days = 2, 3
    srv.survey.save(update_fields=["reminder_max", "reminder_min_days"])
    day0 = inside("survey")

    def remind(at):
        mail.outbox.clear()
        with time_machine.travel(at), django_capture_on_commit_callbacks(execute=True):
            invitations.reminders_send(survey=srv.survey, actor=srv.coordinator)
        return sorted(m.to[0] for m in mail.outbox)

    with time_machine.travel(day0):
        send(srv.survey, srv.coordinator, capture=django_capture_on_commit_callbacks)
    first_links = tokens_in(mail.outbox)
    # Bình answers; An does not.
    with time_machine.travel(day0 + dt.timedelta(days=1)):
        answering.answer_submit(
            raw=first_links["binh@example.vn"], answers=answers_for(srv.officials_q, "ABC"), ip=None, device=""
        )

    assert remind(day0 + dt.timedelta(days=2, hours=23)) == []  # less than 3 days after the invitation
    assert remind(day0 + dt.timedelta(days=3, minutes=1)) == ["an@example.vn"]
    reminder_link = tokens_in(mail.outbox)["an@example.vn"]
    assert "Nhắc trả lời phiếu khảo sát" in mail.outbox[0].subject
    assert remind(day0 + dt.timedelta(days=4)) == []  # one day after the first reminder
    assert remind(day0 + dt.timedelta(days=6, minutes=2)) == ["an@example.vn"]
    assert remind(day0 + dt.timedelta(days=20)) == []  # at most two reminders
    invitation = Invitation.objects.get(respondent__email="an@example.vn")
    assert invitation.reminders_sent == 2
    # Each reminder carries a new link: the first ones no longer open.
    with time_machine.travel(day0 + dt.timedelta(days=21)):
        for raw in (first_links["an@example.vn"], reminder_link):
            with pytest.raises(answering.TokenRefused):
                answering.answer_open(raw=raw, ip="10.0.0.1", device="")


def test_two_reminder_jobs_at_once_remind_nobody_twice(srv, world, django_capture_on_commit_callbacks):
    day0 = inside("survey")
    with time_machine.travel(day0):
        send(srv.survey, srv.coordinator, capture=django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with time_machine.travel(day0 + dt.timedelta(days=4)):
        ids = list(invitations.reminders_due(srv.survey).values_list("pk", flat=True))
        first = invitations.reminders_email.call(ids)
        second = invitations.reminders_email.call(ids)
    assert first == {"sent": 2, "failed": 0, "skipped": 0}
    assert second == {"sent": 0, "failed": 0, "skipped": 2}
    assert len(mail.outbox) == 2


def test_the_commands_print_their_counts(srv, world):
    out = StringIO()
    with time_machine.travel(inside("survey")):
        call_command("send_invitations", "--survey", str(srv.survey.pk), stdout=out)
    text = out.getvalue()
    assert "Thư mời mới: 3" in text
    assert "Thư điện tử đưa vào hàng đợi: 2 (1 lô)" in text
    assert "Không có thư điện tử (cần in đường dẫn): 1" in text
    out = StringIO()
    with time_machine.travel(inside("survey") + dt.timedelta(days=4)):
        call_command("send_reminders", "--survey", str(srv.survey.pk), stdout=out)
    assert "Chưa trả lời: 3" in out.getvalue()
    with pytest.raises(CommandError, match="Không có cuộc điều tra"):
        call_command("send_invitations", "--survey", "999999", stdout=StringIO())
    with time_machine.travel(CLOSES["survey"] + dt.timedelta(days=1)), pytest.raises(CommandError, match="kết thúc"):
        call_command("send_reminders", "--survey", str(srv.survey.pk), stdout=StringIO())


# --- the printed list with QR codes --------------------------------------------------------------------------------


def test_the_coordinator_prints_new_links_with_qr_codes(srv, world, login, django_capture_on_commit_callbacks):
    sent, _draft = world
    with time_machine.travel(inside("survey")):
        send(srv.survey, srv.coordinator, capture=django_capture_on_commit_callbacks)
        emailed = tokens_in(mail.outbox)
        client = login(srv.coordinator)
        page = client.get(f"/khao-sat/danh-sach/{sent.pk}/thu-moi/in/")
        assert page.status_code == 200
        assert "đường dẫn MỚI" in page.content.decode()
        printed = client.post(f"/khao-sat/danh-sach/{sent.pk}/thu-moi/in/", {"who": "all"})
    assert printed.status_code == 200
    body = printed.content.decode()
    assert body.count("<svg") == 3
    assert "Lê Văn Cường" in body and "Nguyễn Văn An" in body
    assert printed["Cache-Control"] == "no-store"
    links = invitations_in(body)
    assert len(links) == 3
    with time_machine.travel(inside("survey")):
        for raw in links:
            assert answering.answer_open(raw=raw, ip=None, device="").total == 3
        # Printing replaced the e-mailed links.
        with pytest.raises(answering.TokenRefused):
            answering.answer_open(raw=emailed["an@example.vn"], ip=None, device="")
    assert AuditEvent.objects.filter(action="survey.invitations_printed").count() == 1


def invitations_in(html: str) -> list[str]:
    import re

    return sorted(set(re.findall(r"/khao-sat/tra-loi/([A-Za-z0-9_-]{43})/", html)))


def test_by_default_only_those_without_email_are_printed(srv, world, login, django_capture_on_commit_callbacks):
    sent, _draft = world
    with time_machine.travel(inside("survey")):
        send(srv.survey, srv.coordinator, capture=django_capture_on_commit_callbacks)
        printed = login(srv.coordinator).post(f"/khao-sat/danh-sach/{sent.pk}/thu-moi/in/", {"who": "missing"})
    body = printed.content.decode()
    assert "Lê Văn Cường" in body and "Nguyễn Văn An" not in body
    assert len(invitations_in(body)) == 1


@pytest.mark.parametrize("who", ["officer_b", "officer_a", "manager", "outsider"])
def test_only_the_coordinator_may_print_or_send(srv, world, login, cast, who):
    sent, _draft = world
    client = login(getattr(cast, who))
    with time_machine.travel(inside("survey")):
        for method, url in [
            ("get", f"/khao-sat/danh-sach/{sent.pk}/thu-moi/in/"),
            ("post", f"/khao-sat/danh-sach/{sent.pk}/thu-moi/in/"),
            ("get", f"/khao-sat/danh-sach/{sent.pk}/thu-moi/"),
            ("post", f"/khao-sat/danh-sach/{sent.pk}/thu-moi/gui/"),
        ]:
            assert getattr(client, method)(url).status_code == 403, (who, url)
    assert not Invitation.objects.exists()


def test_an_anonymous_visitor_is_sent_to_the_login_page(srv, world, client):
    sent, _draft = world
    response = client.get(f"/khao-sat/danh-sach/{sent.pk}/thu-moi/in/")
    assert response.status_code == 302 and "dang-nhap" in response["Location"]


def test_the_invitations_page_sends_and_shows_counts(srv, world, login, django_capture_on_commit_callbacks):
    sent, _draft = world
    client = login(srv.coordinator)
    with time_machine.travel(inside("survey")):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/khao-sat/danh-sach/{sent.pk}/thu-moi/gui/", follow=True)
        assert response.status_code == 200
        html = response.content.decode()
    assert "Đã tạo 3 thư mời mới" in html
    assert "Lê Văn Cường" in html  # listed for printing
    assert len(mail.outbox) == 2


def test_the_api_sends_a_list_and_refuses_another_province(srv, world, login, cast, django_capture_on_commit_callbacks):
    sent, _draft = world
    with time_machine.travel(inside("survey")):
        refused = login(cast.other_manager).post(f"/api/v1/surveys/lists/{sent.pk}/invitations/send")
        assert refused.status_code == 403
        with django_capture_on_commit_callbacks(execute=True):
            response = login(srv.coordinator).post(f"/api/v1/surveys/lists/{sent.pk}/invitations/send")
        assert response.status_code == 200, response.content
        assert response.json()["created"] == 3
        counts = login(srv.coordinator).get(f"/api/v1/surveys/lists/{sent.pk}/invitations").json()
    assert counts["invited"] == 3 and counts["emailed"] == 2 and counts["without_email"] == 1
    assert Response.objects.count() == 0
