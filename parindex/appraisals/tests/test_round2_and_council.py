"""Round 2 (final points, “giữ điểm vòng 1”), the council's votes and confirmation (agree votes from more than half
of the voting members), and reopening by a manager with a reason."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from parindex.appraisals import services
from parindex.appraisals.models import CouncilMember, MemberRole, Vote
from parindex.assessments.models import AssessmentStatus, ScoreChange, Stage
from parindex.core.models import AuditEvent, Notification
from parindex.cycles.factories import CLOSES, inside

R1, EXPLAIN, R2, COUNCIL = (inside(k) for k in ("appraisal_1", "explanation", "appraisal_2", "council"))


def r1(entry, actor, **kw):
    return services.entry_round1_save(entry_id=entry.pk, version=entry.version, actor=actor, **kw)


def r2(entry, actor, **kw):
    return services.entry_round2_save(entry_id=entry.pk, version=entry.version, actor=actor, **kw)


@pytest.fixture
def round1_done(cyc, cast, sent, e, appraiser2):
    """Round 1 of dept_a: 1.1 confirmed (3), 1.2 cut to 0 with a request, 1.3 cut to 1, 2.1 confirmed (1)."""
    with time_machine.travel(R1):
        r1(e("1.1"), cyc.appraiser, confirm=True)
        r1(e("1.2"), cyc.appraiser, points="0", comment="Không thấy trên cổng thông tin")
        services.entry_explanation_request(
            entry_id=e("1.2").pk, version=e("1.2").version, text="Gửi đường dẫn công khai", actor=cyc.appraiser
        )
        r1(e("1.3"), cyc.appraiser, points="1", comment="Thiếu phụ lục")
        r1(e("2.1"), appraiser2, confirm=True)
    with time_machine.travel(EXPLAIN):
        services.entry_explanation_answer(
            entry_id=e("1.2").pk, version=e("1.2").version, text="https://stp.example.vn/tthc", actor=cast.officer_a
        )
    sent.refresh_from_db()
    return sent


@pytest.fixture
def appraised(cyc, round1_done, e):
    """Round 2: 1.2 restored to 1 after the explanation; the rest carried over."""
    with time_machine.travel(R2):
        r2(e("1.2"), cyc.appraiser, points="1", comment="Đơn vị đã giải trình, có đường dẫn")
        services.round1_carry_over(assessment_id=round1_done.pk, actor=cyc.appraiser)
    round1_done.refresh_from_db()
    return round1_done


def vote(assessment, member_user, choice, actor):
    member = CouncilMember.objects.get(council__cycle_id=assessment.cycle_id, user=member_user, ended_at__isnull=True)
    return services.vote_record(assessment_id=assessment.pk, member_id=member.pk, choice=choice, actor=actor)


def confirm(assessment, actor):
    return services.assessment_confirm(assessment_id=assessment.pk, actor=actor)


# --- round 2 ------------------------------------------------------------------------------------------------------


def test_round_2_sets_final_points_and_returns_the_report_under_appraisal(cyc, round1_done, e):
    assert round1_done.status == AssessmentStatus.EXPLANATION_REQUESTED
    with time_machine.travel(R2):
        with pytest.raises(ValidationError) as err:
            r2(e("1.2"), cyc.appraiser, points="1")
        assert "khác điểm trước đó 0" in err.value.message_dict["comment"][0]
        saved = r2(e("1.2"), cyc.appraiser, points="1", comment="Đã giải trình")
    assert saved.round2_points == Decimal("1.00") and saved.appraised_points == Decimal("1.00")
    round1_done.refresh_from_db()
    assert round1_done.status == AssessmentStatus.UNDER_APPRAISAL
    change = ScoreChange.objects.get(entry=saved, stage=Stage.ROUND2)
    assert (change.new_points, change.reason, change.actor) == (Decimal("1.00"), "Đã giải trình", cyc.appraiser)


def test_round_2_outside_its_window_is_refused(cyc, round1_done, e):
    for moment in (R1, CLOSES["appraisal_2"] + dt.timedelta(seconds=1)):
        with time_machine.travel(moment), pytest.raises(PermissionDenied):
            r2(e("1.3"), cyc.appraiser, keep_round1=True)
    assert e("1.3").round2_points is None


def test_keep_round_1_carries_over_only_the_appraisers_entries_without_request(cyc, round1_done, e, appraiser2):
    with time_machine.travel(R2):
        carried = services.round1_carry_over(assessment_id=round1_done.pk, actor=cyc.appraiser)
    assert sorted(x.node.code for x in carried) == ["1.1", "1.3"]
    assert e("1.1").round2_points == Decimal("3.00") and e("1.1").round2_comment == "Giữ điểm vòng 1"
    assert e("1.3").round2_points == Decimal("1.00")
    assert e("1.2").round2_points is None  # explanation requested: the appraiser decides
    assert e("2.1").round2_points is None  # someone else's
    assert e("1.1").version == 4
    assert ScoreChange.objects.filter(stage=Stage.ROUND2).count() == 2


def test_keep_round_1_needs_an_assignment_in_the_unit(cyc, cast, round1_done):
    with time_machine.travel(R2), pytest.raises(PermissionDenied):
        services.round1_carry_over(assessment_id=round1_done.pk, actor=cast.manager)


# --- votes and confirmation ---------------------------------------------------------------------------------------


def test_confirmation_is_refused_with_half_the_votes_and_accepted_with_more(
    cyc, cast, appraised, secretary, django_capture_on_commit_callbacks
):
    with time_machine.travel(COUNCIL):
        vote(appraised, cyc.chair, "agree", cyc.chair)
        vote(appraised, cyc.member, "agree", cyc.chair)
        vote(appraised, cyc.appraiser, "disagree", cyc.chair)
        with pytest.raises(ValidationError) as err:
            confirm(appraised, cyc.chair)
        assert "2/4 thành viên đồng ý; cần ít nhất 3" in str(err.value)
        appraised.refresh_from_db()
        assert appraised.status == AssessmentStatus.UNDER_APPRAISAL
        vote(appraised, secretary, "agree", secretary)
        with django_capture_on_commit_callbacks(execute=True):
            confirmed = confirm(appraised, cyc.chair)
    assert confirmed.status == AssessmentStatus.CONFIRMED
    assert confirmed.confirmed_by == cyc.chair and confirmed.confirmed_at is not None
    notices = Notification.objects.filter(key=f"appraisal.confirmed.{appraised.pk}.1")
    assert {n.user for n in notices} == {cast.officer_a, cyc.leader_a}
    assert any("đã xác nhận" in m.subject for m in mail.outbox)
    event = AuditEvent.objects.get(action="appraisal.confirmed")
    assert event.changes["votes"] == [None, "3/4"]


def test_absent_members_count_against_the_majority(cyc, appraised, secretary):
    """Three of four present, two agree and one abstains: two is not more than half of four."""
    with time_machine.travel(COUNCIL):
        vote(appraised, cyc.chair, "agree", cyc.chair)
        vote(appraised, cyc.member, "agree", cyc.chair)
        vote(appraised, secretary, "abstain", cyc.chair)
        with pytest.raises(ValidationError):
            confirm(appraised, cyc.chair)


def test_the_working_group_does_not_vote_nor_count(cyc, appraised):
    from parindex.orgs.factories import UserFactory

    helper = UserFactory(username="helper")
    CouncilMember.objects.create(council=cyc.council, user=helper, role=MemberRole.WORKING_GROUP)
    with time_machine.travel(COUNCIL):
        with pytest.raises(ValidationError) as err:
            vote(appraised, helper, "agree", cyc.chair)
        assert "không có quyền biểu quyết" in str(err.value)
        vote(appraised, cyc.chair, "agree", cyc.chair)
        vote(appraised, cyc.member, "agree", cyc.member)
        assert confirm(appraised, cyc.chair).status == AssessmentStatus.CONFIRMED  # 2 of 3 voting members


def test_a_member_records_only_their_own_vote_and_a_later_vote_replaces_it(cyc, appraised):
    with time_machine.travel(COUNCIL):
        with pytest.raises(PermissionDenied):
            vote(appraised, cyc.chair, "agree", cyc.member)
        vote(appraised, cyc.member, "disagree", cyc.member)
        vote(appraised, cyc.member, "agree", cyc.member)
    assert list(Vote.objects.values_list("choice", flat=True)) == ["agree"]


def test_only_the_chair_confirms(cyc, cast, appraised):
    with time_machine.travel(COUNCIL):
        for user in (cyc.chair, cyc.member, cyc.appraiser):
            vote(appraised, user, "agree", cyc.chair)
        for user in (cyc.member, cast.manager, cast.officer_a):
            with pytest.raises(PermissionDenied):
                confirm(appraised, user)
        assert confirm(appraised, cyc.chair).status == AssessmentStatus.CONFIRMED


def test_confirmation_needs_appraised_points_on_every_appraised_criterion(cyc, sent, e):
    with time_machine.travel(R1):
        r1(e("1.1"), cyc.appraiser, confirm=True)
    with time_machine.travel(COUNCIL):
        for user in (cyc.chair, cyc.member, cyc.appraiser):
            vote(sent, user, "agree", cyc.chair)
        with pytest.raises(ValidationError) as err:
            confirm(sent, cyc.chair)
    assert "Còn 3 tiêu chí chưa có điểm thẩm định: 1.2, 1.3, 2.1" in str(err.value)


def test_votes_and_confirmation_only_inside_the_council_window(cyc, appraised):
    with time_machine.travel(CLOSES["council"] + dt.timedelta(seconds=1)):
        with pytest.raises(PermissionDenied):
            vote(appraised, cyc.chair, "agree", cyc.chair)
        with pytest.raises(PermissionDenied):
            confirm(appraised, cyc.chair)


def test_a_report_never_appraised_is_not_voted_on(cyc, sent):
    with time_machine.travel(COUNCIL), pytest.raises(ValidationError) as err:
        vote(sent, cyc.chair, "agree", cyc.chair)
    assert "Đã gửi" in str(err.value)


# --- reopening ----------------------------------------------------------------------------------------------------


@pytest.fixture
def confirmed(cyc, appraised):
    with time_machine.travel(COUNCIL):
        for user in (cyc.chair, cyc.member, cyc.appraiser):
            vote(appraised, user, "agree", cyc.chair)
        return confirm(appraised, cyc.chair)


def test_a_confirmed_appraisal_is_frozen(cyc, confirmed, e):
    with time_machine.travel(R2), pytest.raises(ValidationError) as err:
        r2(e("1.1"), cyc.appraiser, points="2", comment="x")
    assert "đã được Hội đồng xác nhận" in str(err.value)


def test_reopening_needs_a_manager_and_a_reason(cyc, cast, confirmed):
    with time_machine.travel(COUNCIL):
        for user in (cyc.chair, cast.officer_a, cast.other_manager):
            with pytest.raises(PermissionDenied):
                services.assessment_reopen(assessment_id=confirmed.pk, reason="Sai sót", actor=user)
        with pytest.raises(ValidationError):
            services.assessment_reopen(assessment_id=confirmed.pk, reason="  ", actor=cast.manager)
    confirmed.refresh_from_db()
    assert confirmed.status == AssessmentStatus.CONFIRMED


def test_reopening_starts_a_new_confirmation_round_keeping_the_earlier_votes(cyc, cast, confirmed):
    with time_machine.travel(COUNCIL):
        reopened = services.assessment_reopen(
            assessment_id=confirmed.pk, reason="Đơn vị khiếu nại tiêu chí 1.3", actor=cast.manager
        )
        assert reopened.status == AssessmentStatus.UNDER_APPRAISAL
        assert reopened.confirmation_round == 2 and reopened.confirmed_at is None
        assert Vote.objects.filter(assessment=reopened, round=1).count() == 3
        assert services.tally(reopened)["agree"] == 0
        event = AuditEvent.objects.get(action="appraisal.reopened")
        assert event.reason == "Đơn vị khiếu nại tiêu chí 1.3" and event.actor == cast.manager
        with pytest.raises(ValidationError):
            confirm(reopened, cyc.chair)
        for user in (cyc.chair, cyc.member):
            vote(reopened, user, "agree", cyc.chair)
        assert confirm(reopened, cyc.chair).status == AssessmentStatus.CONFIRMED
    assert Notification.objects.filter(key=f"appraisal.confirmed.{reopened.pk}.2").exists()


def test_only_a_confirmed_appraisal_is_reopened(cyc, cast, appraised):
    with pytest.raises(ValidationError):
        services.assessment_reopen(assessment_id=appraised.pk, reason="x", actor=cast.manager)
