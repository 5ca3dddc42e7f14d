"""Explanation: an appraiser asks in round 1, the unit's officers and leaders are told (in the app and by e-mail),
and they answer inside the explanation window or the unit's extension of it."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from parindex.appraisals import services
from parindex.assessments.models import AssessmentStatus
from parindex.core.exceptions import ConflictError
from parindex.core.models import AuditEvent, Notification
from parindex.cycles.factories import CLOSES, inside
from parindex.cycles.models import Extension

R1, EXPLAIN = inside("appraisal_1"), inside("explanation")
ASK = "Đề nghị cung cấp báo cáo thống kê hồ sơ quý IV"


def ask(entry, actor, text=ASK):
    return services.entry_explanation_request(entry_id=entry.pk, version=entry.version, text=text, actor=actor)


def answer(entry, actor, text="Đã bổ sung báo cáo số 12/BC-STP"):
    return services.entry_explanation_answer(entry_id=entry.pk, version=entry.version, text=text, actor=actor)


@pytest.fixture
def asked(cyc, sent, e):
    with time_machine.travel(R1):
        ask(e("1.1"), cyc.appraiser)
    return e("1.1")


def test_a_request_moves_the_report_to_explanation_requested(cyc, sent, asked):
    sent.refresh_from_db()
    assert sent.status == AssessmentStatus.EXPLANATION_REQUESTED
    assert asked.explanation_request == ASK and asked.explanation_requested_at is not None
    assert asked.version == 3
    assert AuditEvent.objects.filter(action="appraisal.explanation_requested", object_id=str(asked.pk)).exists()


def test_a_request_after_round_1_started_also_moves_the_report(cyc, sent, e):
    with time_machine.travel(R1):
        services.entry_round1_save(entry_id=e("1.2").pk, version=2, confirm=True, actor=cyc.appraiser)
        sent.refresh_from_db()
        assert sent.status == AssessmentStatus.UNDER_APPRAISAL
        ask(e("1.1"), cyc.appraiser)
    sent.refresh_from_db()
    assert sent.status == AssessmentStatus.EXPLANATION_REQUESTED


def test_the_unit_is_notified_once_per_entry_in_the_app_and_by_mail(
    cyc, cast, sent, e, django_capture_on_commit_callbacks
):
    asked = e("1.1")
    with time_machine.travel(R1), django_capture_on_commit_callbacks(execute=True):
        ask(asked, cyc.appraiser)
    notices = Notification.objects.filter(key=f"appraisal.explanation_requested.{asked.pk}")
    assert {n.user for n in notices} == {cast.officer_a, cyc.leader_a}
    assert "1.1" in notices[0].title and ASK in notices[0].body
    assert notices[0].url == f"/tham-dinh/danh-gia/{sent.pk}/giai-trinh/"
    assert sorted(m.to[0] for m in mail.outbox) == ["leader_a@example.vn", "officer_a@example.vn"]
    assert "Yêu cầu giải trình tiêu chí 1.1" in mail.outbox[0].subject
    with time_machine.travel(R1), django_capture_on_commit_callbacks(execute=True):
        ask(e("1.1"), cyc.appraiser, text=ASK + " và quý III")
    assert notices.count() == 2 and len(mail.outbox) == 2
    assert not Notification.objects.filter(user=cast.officer_b).exists()


def test_a_request_needs_text_and_an_assignment(cyc, sent, e, appraiser2):
    with time_machine.travel(R1):
        with pytest.raises(ValidationError) as err:
            ask(e("1.1"), cyc.appraiser, text="   ")
        assert "text" in err.value.message_dict
        with pytest.raises(PermissionDenied):
            ask(e("1.1"), appraiser2)
    assert e("1.1").explanation_request == ""
    assert not Notification.objects.exists()


def test_a_request_is_refused_after_round_1_closes(cyc, sent, e):
    with time_machine.travel(CLOSES["appraisal_1"] + dt.timedelta(seconds=1)), pytest.raises(PermissionDenied):
        ask(e("1.1"), cyc.appraiser)


def test_the_unit_answers_inside_the_explanation_window(cyc, cast, sent, asked, e):
    with time_machine.travel(EXPLAIN):
        saved = answer(asked, cast.officer_a)
    assert saved.explanation_answer == "Đã bổ sung báo cáo số 12/BC-STP" and saved.version == 4
    assert AuditEvent.objects.filter(action="appraisal.explanation_answered", actor=cast.officer_a).exists()
    # the appraiser who covers the criterion hears of it
    assert Notification.objects.filter(user=cyc.appraiser, key=f"appraisal.explanation_answered.{asked.pk}").exists()


def test_an_answer_a_second_after_the_close_is_refused(cyc, cast, sent, asked, e):
    with time_machine.travel(CLOSES["explanation"] - dt.timedelta(seconds=1)):
        answer(asked, cast.officer_a, text="lần 1")
    with time_machine.travel(CLOSES["explanation"] + dt.timedelta(seconds=1)), pytest.raises(PermissionDenied) as err:
        answer(e("1.1"), cast.officer_a, text="lần 2")
    assert "17:00 ngày 25/01/2027" in str(err.value)
    assert e("1.1").explanation_answer == "lần 1"


def test_an_extension_for_the_unit_lets_it_answer_late(cyc, cast, sent, asked, e):
    Extension.objects.create(
        cycle=cyc.cycle,
        unit=cast.dept_a,
        kind="explanation",
        until=CLOSES["explanation"] + dt.timedelta(days=2),
        reason="Đơn vị đang kiểm toán",
        granted_by=cast.manager,
    )
    with time_machine.travel(CLOSES["explanation"] + dt.timedelta(days=1)):
        assert answer(asked, cast.officer_a).explanation_answer
    with time_machine.travel(CLOSES["explanation"] + dt.timedelta(days=2, seconds=1)), pytest.raises(PermissionDenied):
        answer(e("1.1"), cyc.leader_a, text="muộn")


def test_only_the_unit_answers(cyc, cast, sent, asked, e):
    with time_machine.travel(EXPLAIN):
        for user in (cast.officer_b, cyc.appraiser, cast.manager, cast.admin, cast.outsider):
            with pytest.raises(PermissionDenied):
                answer(e("1.1"), user)
    assert e("1.1").explanation_answer == ""


def test_an_entry_without_request_takes_no_answer(cyc, cast, sent, asked, e):
    with time_machine.travel(EXPLAIN), pytest.raises(ValidationError) as err:
        answer(e("1.2"), cast.officer_a)
    assert "không có yêu cầu giải trình" in str(err.value)


def test_a_stale_answer_is_a_conflict(cyc, cast, sent, asked, e):
    with time_machine.travel(EXPLAIN):
        answer(asked, cast.officer_a, text="bản của cán bộ")
        with pytest.raises(ConflictError) as err:
            answer(asked, cyc.leader_a, text="bản của lãnh đạo")
    assert err.value.current["explanation_answer"] == "bản của cán bộ"
    assert e("1.1").explanation_answer == "bản của cán bộ"


def test_once_answered_the_request_cannot_be_rewritten(cyc, cast, sent, asked, e):
    with time_machine.travel(EXPLAIN):
        answer(asked, cast.officer_a)
    with time_machine.travel(R1), pytest.raises(ValidationError) as err:
        ask(e("1.1"), cyc.appraiser, text="yêu cầu khác")
    assert "đã giải trình" in str(err.value)
