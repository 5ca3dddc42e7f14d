"""Deadline notices (``manage.py send_notices``): a notice when a window opens, a warning three days before it closes
(a unit's extension moves its own warning), each sent once per person, e-mailed by the background job."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from parindex.core.models import Notification
from parindex.cycles.factories import CLOSES, WINDOWS, inside
from parindex.cycles.models import Extension

THREE_DAYS = dt.timedelta(days=3)


def run(**kwargs) -> str:
    out = StringIO()
    call_command("send_notices", stdout=out, **kwargs)
    return out.getvalue()


def holders(key: str) -> list[str]:
    return sorted(Notification.objects.filter(key=key).values_list("user__username", flat=True))


def closing(cyc, kind: str) -> str:
    return f"window-closing:{cyc.cycle.pk}:{kind}"


def opening(cyc, kind: str) -> str:
    return f"window-open:{cyc.cycle.pk}:{kind}"


def test_three_days_before_the_self_assessment_closes_every_units_officers_and_leader_are_warned_once(
    cyc, cast, django_capture_on_commit_callbacks
):
    with time_machine.travel(CLOSES["self_assessment"] - THREE_DAYS), django_capture_on_commit_callbacks(execute=True):
        output = run()
    assert holders(closing(cyc, "self_assessment")) == ["leader_a", "officer_a", "officer_b"]
    warning = Notification.objects.get(key=closing(cyc, "self_assessment"), user=cast.officer_a)
    assert "17:00 ngày 15/12/2026" in warning.title
    assert "Đơn vị: Sở Tư pháp." in warning.body and "còn 3 ngày" in warning.body
    assert "Đã tự chấm 0/4 tiêu chí." in warning.body
    assert warning.emailed_at is not None
    # The windows already open were announced too (once), the survey is left to the surveys.
    assert holders(opening(cyc, "self_assessment")) == ["leader_a", "officer_a", "officer_b"]
    assert holders(opening(cyc, "supplementary")) == ["leader_a", "officer_a", "officer_b"]
    assert not Notification.objects.filter(key__contains=":survey").exists()
    assert "send_notices: 1 đợt đang triển khai; 9 thông báo mới (6 mở thời hạn, 3 sắp hết hạn)." in output
    subjects = sorted(m.subject for m in mail.outbox if m.to == ["officer_a@example.vn"])
    assert len(subjects) == 3 and any("Sắp hết thời hạn “Tự đánh giá, chấm điểm”" in s for s in subjects)
    assert len(mail.outbox) == 9


def test_running_it_again_creates_nothing_new(cyc, django_capture_on_commit_callbacks):
    with time_machine.travel(CLOSES["self_assessment"] - THREE_DAYS):
        with django_capture_on_commit_callbacks(execute=True):
            run()
        count, sent = Notification.objects.count(), len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            output = run()
    assert Notification.objects.count() == count
    assert len(mail.outbox) == sent
    assert "0 thông báo mới" in output


def test_a_second_before_the_three_day_mark_there_is_no_warning_yet(cyc):
    with time_machine.travel(CLOSES["self_assessment"] - THREE_DAYS - dt.timedelta(seconds=1)):
        run()
    assert holders(closing(cyc, "self_assessment")) == []
    assert holders(opening(cyc, "self_assessment")) == ["leader_a", "officer_a", "officer_b"]


def test_nothing_is_announced_before_a_window_opens_nor_after_it_closed(cyc):
    with time_machine.travel(WINDOWS["self_assessment"][0] - dt.timedelta(seconds=1)):
        run()
    assert Notification.objects.count() == 0
    with time_machine.travel(CLOSES["supplementary"] + dt.timedelta(seconds=1)):
        run()
    assert holders(opening(cyc, "self_assessment")) == []
    assert holders(closing(cyc, "supplementary")) == []


def test_an_extension_moves_the_units_warning_later(cyc, cast):
    until = CLOSES["self_assessment"] + dt.timedelta(days=5)
    Extension.objects.create(
        cycle=cyc.cycle, unit=cast.dept_a, kind="self_assessment", until=until, reason="lý do", granted_by=cast.manager
    )
    with time_machine.travel(CLOSES["self_assessment"] - THREE_DAYS):
        run()
    assert holders(closing(cyc, "self_assessment")) == ["officer_b"]
    extended_key = f"{closing(cyc, 'self_assessment')}:{int(until.timestamp())}"
    assert holders(extended_key) == []
    with time_machine.travel(until - THREE_DAYS):
        run()
    assert holders(extended_key) == ["leader_a", "officer_a"]
    warning = Notification.objects.get(key=extended_key, user=cast.officer_a)
    assert "17:00 ngày 20/12/2026" in warning.title and "(đã được gia hạn)" in warning.body
    assert holders(closing(cyc, "self_assessment")) == ["officer_b"]  # dept_b's window has closed: nothing more


def test_an_extension_granted_after_the_first_warning_brings_a_second_one(cyc, cast):
    with time_machine.travel(CLOSES["self_assessment"] - THREE_DAYS):
        run()
    until = CLOSES["self_assessment"] + dt.timedelta(days=10)
    Extension.objects.create(
        cycle=cyc.cycle, unit=cast.dept_a, kind="self_assessment", until=until, reason="lý do", granted_by=cast.manager
    )
    with time_machine.travel(until - THREE_DAYS + dt.timedelta(hours=1)):
        run()
    warnings = Notification.objects.filter(user=cast.officer_a, key__startswith=closing(cyc, "self_assessment"))
    assert warnings.count() == 2


def test_a_revoked_extension_does_not_move_the_warning(cyc, cast):
    Extension.objects.create(
        cycle=cyc.cycle,
        unit=cast.dept_a,
        kind="self_assessment",
        until=CLOSES["self_assessment"] + dt.timedelta(days=5),
        reason="lý do",
        granted_by=cast.manager,
        revoked_at=inside("self_assessment"),
        revoked_by=cast.manager,
    )
    with time_machine.travel(CLOSES["self_assessment"] - THREE_DAYS):
        run()
    assert holders(closing(cyc, "self_assessment")) == ["leader_a", "officer_a", "officer_b"]


def test_a_unit_that_has_submitted_gets_no_closing_warning(cyc):
    cyc.assessment_b.status = "submitted"
    cyc.assessment_b.save(update_fields=["status"])
    with time_machine.travel(CLOSES["self_assessment"] - THREE_DAYS):
        run()
    assert holders(closing(cyc, "self_assessment")) == ["leader_a", "officer_a"]


def test_appraisers_council_members_and_managers_are_told_of_their_windows(cyc, cast):
    with time_machine.travel(inside("appraisal_1")):
        run()
    assert holders(opening(cyc, "appraisal_1")) == ["appraiser"]
    with time_machine.travel(CLOSES["appraisal_2"] - THREE_DAYS):
        run()
    assert holders(opening(cyc, "appraisal_2")) == ["appraiser"]
    assert holders(closing(cyc, "appraisal_2")) == ["appraiser"]
    with time_machine.travel(inside("council")):
        run()
    assert holders(opening(cyc, "council")) == ["appraiser", "chair", "member"]
    with time_machine.travel(inside("publication")):
        run()
    # Managers of the assessing body (Sở Nội vụ, covered by the province's roles), not the other province's.
    assert holders(opening(cyc, "publication")) == ["admin", "manager"]


def test_explanation_notices_go_only_to_units_asked_to_explain(cyc):
    entry = cyc.assessment_a.entries.get(node__code="1.1")
    entry.explanation_request = "Đề nghị bổ sung báo cáo"
    entry.explanation_requested_at = inside("appraisal_1")
    entry.save(update_fields=["explanation_request", "explanation_requested_at"])
    with time_machine.travel(CLOSES["explanation"] - THREE_DAYS):
        run()
    assert holders(opening(cyc, "explanation")) == ["leader_a", "officer_a"]
    assert holders(closing(cyc, "explanation")) == ["leader_a", "officer_a"]
    notice = Notification.objects.get(key=opening(cyc, "explanation"), user__username="officer_a")
    assert notice.url == reverse("appraisals:explanations", args=[cyc.assessment_a.pk])


def test_an_answered_explanation_needs_no_warning(cyc):
    entry = cyc.assessment_a.entries.get(node__code="1.1")
    entry.explanation_requested_at = inside("appraisal_1")
    entry.explanation_answer = "Đã bổ sung"
    entry.explanation_answered_at = inside("explanation")
    entry.save(update_fields=["explanation_requested_at", "explanation_answer", "explanation_answered_at"])
    with time_machine.travel(CLOSES["explanation"] - THREE_DAYS):
        run()
    assert holders(closing(cyc, "explanation")) == []


def test_cycles_not_in_progress_send_nothing(cyc):
    cyc.cycle.status = "draft"
    cyc.cycle.save(update_fields=["status"])
    with time_machine.travel(CLOSES["self_assessment"] - THREE_DAYS):
        output = run()
    assert Notification.objects.count() == 0
    assert "0 đợt đang triển khai" in output


def test_a_withdrawn_unit_and_an_ended_role_get_nothing(cyc, cast):
    from django.utils import timezone

    cyc.assessment_b.participant.withdrawn_at = timezone.now()
    cyc.assessment_b.participant.save(update_fields=["withdrawn_at"])
    cast.officer_a.memberships.update(ended_at=timezone.now())
    with time_machine.travel(CLOSES["self_assessment"] - THREE_DAYS):
        run()
    assert holders(closing(cyc, "self_assessment")) == ["leader_a"]


def test_a_leader_of_a_parent_unit_with_sub_units_is_told_once(cyc, cast):
    from parindex.orgs.factories import UserFactory, grant
    from parindex.orgs.models import Role

    boss = UserFactory(username="boss")
    grant(boss, cast.province, Role.UNIT_LEADER, includes_subunits=True)
    with time_machine.travel(CLOSES["self_assessment"] - THREE_DAYS):
        run()
    assert Notification.objects.filter(user=boss, key=closing(cyc, "self_assessment")).count() == 1


def test_now_can_be_given_on_the_command_line(cyc):
    output = run(now=(CLOSES["self_assessment"] - THREE_DAYS).isoformat())
    assert holders(closing(cyc, "self_assessment")) == ["leader_a", "officer_a", "officer_b"]
    assert "3 sắp hết hạn" in output
    run(now="2026-12-12T17:00:00")  # no zone: Vietnam's time, the same moment
    assert holders(closing(cyc, "self_assessment")) == ["leader_a", "officer_a", "officer_b"]


def test_a_bad_now_is_refused_in_vietnamese(db):
    with pytest.raises(CommandError, match="không hợp lệ"):
        run(now="ngày mai")
