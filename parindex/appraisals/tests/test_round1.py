"""Round 1: an appraiser confirms or changes the points of the criteria assigned to them, inside the window, with a
comment when the points differ; every change is kept; a stale version is a conflict."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from parindex.appraisals import services
from parindex.appraisals.models import Assignment
from parindex.assessments.models import AssessmentStatus, ScoreChange, Stage
from parindex.core.exceptions import ConflictError
from parindex.core.models import AuditEvent
from parindex.cycles.factories import CLOSES, WINDOWS, inside

R1 = inside("appraisal_1")


def save(entry, actor, **kw):
    return services.entry_round1_save(entry_id=entry.pk, version=entry.version, actor=actor, **kw)


def test_confirming_takes_the_self_score_and_starts_the_appraisal(cyc, sent, e):
    with time_machine.travel(R1):
        saved = save(e("1.1"), cyc.appraiser, confirm=True)
    assert saved.round1_points == Decimal("3.00") and saved.round1_by == cyc.appraiser
    assert saved.version == 3
    sent.refresh_from_db()
    assert sent.status == AssessmentStatus.UNDER_APPRAISAL
    change = ScoreChange.objects.get(entry=saved, stage=Stage.ROUND1)
    assert change.old_points is None and change.new_points == Decimal("3.00") and change.actor == cyc.appraiser
    assert AuditEvent.objects.filter(action="assessment.status_changed", object_id=str(sent.pk)).exists()


def test_changing_the_points_needs_a_comment_and_keeps_who_when_old_new_why(cyc, sent, e):
    with time_machine.travel(R1):
        with pytest.raises(ValidationError) as err:
            save(e("1.3"), cyc.appraiser, points="1")
        assert "comment" in err.value.message_dict
        assert "khác điểm tự chấm 1,5" in err.value.message_dict["comment"][0]
        assert e("1.3").round1_points is None and e("1.3").version == 2
        save(e("1.3"), cyc.appraiser, points="1", comment="Báo cáo thiếu số liệu quý IV")
        save(e("1.3"), cyc.appraiser, points="0,5", comment="Không có phụ lục")
    changes = list(ScoreChange.objects.filter(entry=e("1.3"), stage=Stage.ROUND1).order_by("id"))
    assert [(c.old_points, c.new_points, c.reason) for c in changes] == [
        (None, Decimal("1.00"), "Báo cáo thiếu số liệu quý IV"),
        (Decimal("1.00"), Decimal("0.50"), "Không có phụ lục"),
    ]
    assert all(c.actor == cyc.appraiser for c in changes)
    event = AuditEvent.objects.filter(action="appraisal.round1_saved").first()
    assert event.changes["round1_points"] == ["1.00", "0.50"]


def test_points_equal_to_the_self_score_need_no_comment(cyc, sent, e):
    with time_machine.travel(R1):
        saved = save(e("1.3"), cyc.appraiser, points="1.5")
    assert saved.round1_points == Decimal("1.50") and saved.round1_comment == ""


@pytest.mark.parametrize(
    "points, message",
    [
        ("2.5", "phải trong khoảng 0–2"),
        ("-0.5", "phải trong khoảng 0–2"),
        ("1.25", "phải theo bước 0,5"),
        ("abc", "không phải là số"),
        ("", "hãy nhập điểm thẩm định"),
    ],
)
def test_bad_points_are_refused_and_nothing_is_stored(cyc, sent, e, points, message):
    with time_machine.travel(R1), pytest.raises(ValidationError) as err:
        save(e("1.3"), cyc.appraiser, points=points, comment="lý do")
    assert message in err.value.message_dict["points"][0]
    assert "1.3" in err.value.message_dict["points"][0]
    fresh = e("1.3")
    assert fresh.round1_points is None and fresh.version == 2
    assert not ScoreChange.objects.filter(entry=fresh, stage=Stage.ROUND1).exists()
    sent.refresh_from_db()
    assert sent.status == AssessmentStatus.SUBMITTED


def test_a_rule_scored_criterion_takes_points_to_the_hundredth(cyc, sent, e):
    with time_machine.travel(R1):
        assert save(e("1.1"), cyc.appraiser, points="2.75", comment="Tỷ lệ thực tế 93%").round1_points == Decimal(
            "2.75"
        )
        with pytest.raises(ValidationError):
            save(e("1.1"), cyc.appraiser, points="2.755", comment="x")


def test_a_survey_criterion_is_not_appraised(cyc, sent, e):
    Assignment.objects.create(cycle=cyc.cycle, appraiser=cyc.appraiser, node=cyc.nodes["3"])
    with time_machine.travel(R1), pytest.raises(ValidationError) as err:
        save(e("3.1"), cyc.appraiser, points="2", comment="x")
    assert "Điều tra xã hội học" in str(err.value)


def test_a_stale_version_is_a_conflict_showing_the_other_value(cyc, sent, e, cast):
    stale = e("1.2")
    Assignment.objects.create(cycle=cyc.cycle, appraiser=cyc.member, node=cyc.nodes["1"])
    with time_machine.travel(R1):
        save(stale, cyc.appraiser, points="0", comment="Chưa công khai trên cổng")
        with pytest.raises(ConflictError) as err:
            save(stale, cyc.member, confirm=True)
    assert err.value.current["round1_points"] == "0.00"
    assert "Vũ Thị Thẩm Định" in err.value.message
    assert "điểm vòng 1 0" in err.value.message
    assert e("1.2").round1_points == Decimal("0.00")


def test_an_appraiser_writes_only_inside_their_assignment(cyc, sent, e, appraiser2):
    with time_machine.travel(R1):
        with pytest.raises(PermissionDenied) as err:
            save(e("2.1"), cyc.appraiser, confirm=True)
        assert "không được phân công thẩm định tiêu chí 2.1" in str(err.value)
        with pytest.raises(PermissionDenied):
            save(e("1.1"), appraiser2, confirm=True)
        assert save(e("2.1"), appraiser2, confirm=True).round1_points == Decimal("1.00")
    assert e("1.1").round1_points is None


def test_an_assignment_limited_to_another_unit_gives_no_right_here(cyc, cast, sent, e):
    from parindex.orgs.factories import UserFactory

    someone = UserFactory(username="only_b")
    Assignment.objects.create(cycle=cyc.cycle, appraiser=someone, node=cyc.nodes["1"], unit=cast.dept_b)
    with time_machine.travel(R1), pytest.raises(PermissionDenied):
        save(e("1.1"), someone, confirm=True)


def test_an_ended_assignment_gives_no_right(cyc, cast, sent, e):
    assignment = Assignment.objects.get(appraiser=cyc.appraiser)
    services.assignment_end(assignment=assignment, actor=cast.manager)
    with time_machine.travel(R1), pytest.raises(PermissionDenied):
        save(e("1.1"), cyc.appraiser, confirm=True)


def test_managers_and_the_chair_do_not_write_points(cyc, cast, sent, e):
    with time_machine.travel(R1):
        for user in (cast.manager, cast.admin, cyc.chair):
            with pytest.raises(PermissionDenied):
                save(e("1.1"), user, confirm=True)


def test_round_1_is_refused_one_second_after_the_window_closes(cyc, sent, e):
    with time_machine.travel(CLOSES["appraisal_1"] - dt.timedelta(seconds=1)):
        save(e("1.1"), cyc.appraiser, confirm=True)
    with time_machine.travel(CLOSES["appraisal_1"] + dt.timedelta(seconds=1)), pytest.raises(PermissionDenied) as err:
        save(e("1.2"), cyc.appraiser, confirm=True)
    assert "17:00 ngày 15/01/2027" in str(err.value)
    assert e("1.2").round1_points is None


def test_round_1_is_refused_before_the_window_opens(cyc, sent, e):
    with (
        time_machine.travel(WINDOWS["appraisal_1"][0] - dt.timedelta(seconds=1)),
        pytest.raises(PermissionDenied) as err,
    ):
        save(e("1.1"), cyc.appraiser, confirm=True)
    assert "chưa mở" in str(err.value)


def test_a_report_not_yet_sent_cannot_be_appraised(cyc, cast):
    from parindex.cycles.factories import entry

    target = entry(cyc.assessment_a, "1.1")
    with time_machine.travel(R1), pytest.raises(ValidationError) as err:
        save(target, cyc.appraiser, points="1", comment="x")
    assert "chưa gửi" in str(err.value)


def test_confirming_needs_a_self_score(cyc, cast):
    from parindex.appraisals.tests.conftest import fill_and_submit
    from parindex.cycles.factories import entry

    fill_and_submit(cyc.assessment_a, cast.officer_a, cyc.leader_a, values={"1.1": "97.5"})
    with time_machine.travel(R1), pytest.raises(ValidationError) as err:
        save(entry(cyc.assessment_a, "1.2"), cyc.appraiser, confirm=True)
    assert "chưa tự chấm" in str(err.value)
