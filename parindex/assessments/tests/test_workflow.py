"""The state machine of a unit's report: every allowed and every refused transition, inside and outside the
self-assessment window (a second before and after its close, with an extension for one unit), the frozen copy and
the notices."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from parindex.assessments import selectors, services
from parindex.assessments.models import Assessment, AssessmentStatus, Submission
from parindex.core.models import AuditEvent, Notification
from parindex.cycles.factories import CLOSES, entry, inside

from .conftest import extend, fill, pdf

S = AssessmentStatus
ALL = list(S.values)


def _call(action, assessment, cyc, cast):
    if action == "send_for_review":
        return services.assessment_send_for_review(assessment=assessment, actor=cast.officer_a)
    if action == "return":
        return services.assessment_return(assessment=assessment, actor=cyc.leader_a, reason="Thiếu số liệu 1.1")
    if action == "submit":
        return services.assessment_submit(assessment=assessment, actor=cyc.leader_a)
    return services.assessment_withdraw(assessment=assessment, actor=cyc.leader_a)


AUDIT = {"send_for_review": "sent_for_review", "return": "returned", "submit": "submitted", "withdraw": "withdrawn"}
CASES = [(action, status) for action in services.TRANSITIONS for status in ALL]


@pytest.mark.parametrize(("action", "status"), CASES)
def test_each_transition_is_allowed_exactly_from_its_source_states(action, status, cyc, cast, filled):
    Assessment.objects.filter(pk=filled.pk).update(status=status)
    filled.refresh_from_db()
    version = filled.version
    sources, target = services.TRANSITIONS[action]
    with time_machine.travel(inside("self_assessment")):
        if status in sources:
            _call(action, filled, cyc, cast)
            filled.refresh_from_db()
            assert filled.status == target
            assert filled.version == version + 1
            audited = AUDIT[action]
            event = AuditEvent.objects.get(action=f"assessment.{audited}", object_type="assessments.assessment")
            assert event.object_id == str(filled.pk) and event.changes["status"] == [status, target]
        else:
            with pytest.raises(ValidationError) as err:
                _call(action, filled, cyc, cast)
            assert str(S(status).label) in str(err.value)
            filled.refresh_from_db()
            assert filled.status == status and filled.version == version


def test_the_transitions_are_those_of_the_issue():
    t = services.TRANSITIONS
    assert t["send_for_review"] == ({S.IN_PROGRESS, S.RETURNED}, S.AWAITING_REVIEW)
    assert t["return"] == ({S.AWAITING_REVIEW, S.IN_PROGRESS}, S.RETURNED)
    assert t["submit"] == ({S.IN_PROGRESS, S.AWAITING_REVIEW, S.RETURNED}, S.SUBMITTED)
    assert t["withdraw"] == ({S.SUBMITTED}, S.IN_PROGRESS)


@pytest.mark.parametrize("action", list(services.TRANSITIONS))
def test_every_transition_closes_with_the_self_assessment_window(action, cyc, cast, filled):
    source = sorted(services.TRANSITIONS[action][0])[0]
    Assessment.objects.filter(pk=filled.pk).update(status=source)
    filled.refresh_from_db()
    with time_machine.travel(CLOSES["self_assessment"] + dt.timedelta(seconds=1)), pytest.raises(PermissionDenied) as e:
        _call(action, filled, cyc, cast)
    assert "17:00 ngày 15/12/2026" in str(e.value)
    filled.refresh_from_db()
    assert filled.status == source
    with time_machine.travel(CLOSES["self_assessment"] - dt.timedelta(seconds=1)):
        _call(action, filled, cyc, cast)
    filled.refresh_from_db()
    assert filled.status == services.TRANSITIONS[action][1]


def test_an_extension_for_one_unit_keeps_its_window_open_and_no_other(cyc, cast, filled):
    extend(cyc, cast, cast.dept_a)
    after = CLOSES["self_assessment"] + dt.timedelta(days=1)
    with time_machine.travel(after):
        services.assessment_submit(assessment=filled, actor=cyc.leader_a)
        b = entry(cyc.assessment_b, "1.1")
        with pytest.raises(PermissionDenied):
            services.entry_self_save(entry_id=b.pk, version=1, declared="97", actor=cast.officer_b)
    filled.refresh_from_db()
    assert filled.status == S.SUBMITTED


def test_a_return_needs_a_reason_and_tells_the_officers(cyc, cast, filled):
    with time_machine.travel(inside("self_assessment")):
        with pytest.raises(ValidationError) as err:
            services.assessment_return(assessment=filled, actor=cyc.leader_a, reason="  ")
        assert "lý do" in str(err.value)
        services.assessment_return(assessment=filled, actor=cyc.leader_a, reason="Bổ sung tài liệu tiêu chí 1.1")
    filled.refresh_from_db()
    assert filled.status == S.RETURNED and filled.status_note == "Bổ sung tài liệu tiêu chí 1.1"
    notice = Notification.objects.get(user=cast.officer_a)
    assert "trả lại" in notice.title and "Bổ sung tài liệu" in notice.body
    assert notice.url == f"/tu-danh-gia/{filled.pk}/"
    assert not Notification.objects.filter(user=cast.officer_b).exists()


def test_sending_for_review_tells_the_leader(cyc, cast, filled):
    with time_machine.travel(inside("self_assessment")):
        services.assessment_send_for_review(assessment=filled, actor=cast.officer_a)
    notice = Notification.objects.get(user=cyc.leader_a)
    assert "chờ lãnh đạo duyệt" in notice.title
    assert not Notification.objects.filter(user=cast.officer_a).exists()


def test_submission_refuses_unscored_criteria_and_points_without_evidence_or_explanation(cyc, cast):
    a = cyc.assessment_a
    with time_machine.travel(inside("self_assessment")):
        fill(a, cast.officer_a, {"1.1": "97", "1.2": "yes", "1.3": "0"})  # 2.1 left empty
        with pytest.raises(ValidationError) as err:
            services.assessment_submit(assessment=a, actor=cyc.leader_a)
    problems = err.value.message_dict["entries"]
    assert any(p.startswith("Tiêu chí 2.1") and "chưa tự chấm" in p for p in problems)
    assert any(p.startswith("Tiêu chí 1.1") and "tài liệu kiểm chứng" in p for p in problems)
    assert any(p.startswith("Tiêu chí 1.2") and "tài liệu kiểm chứng" in p for p in problems)
    assert not any("1.3" in p for p in problems)  # zero points claimed: nothing to prove
    assert not any("3.1" in p for p in problems)  # survey: not self-scored
    a.refresh_from_db()
    assert a.status == S.IN_PROGRESS and not Submission.objects.exists()


def test_evidence_or_an_explanation_is_enough_to_submit(cyc, cast):
    a = cyc.assessment_a
    with time_machine.travel(inside("self_assessment")):
        fill(a, cast.officer_a, {"1.1": "97", "1.2": "yes", "1.3": "1.5", "2.1": "6"})
        e11 = entry(a, "1.1")
        services.evidence_upload(assessment=a, upload=pdf(), title="Báo cáo", actor=cast.officer_a, entry_id=e11.pk)
        for code in ("1.2", "1.3"):
            e = entry(a, code)
            services.entry_self_save(entry_id=e.pk, version=e.version, explanation="Đã công khai", actor=cast.officer_a)
        with pytest.raises(ValidationError) as err:
            services.assessment_submit(assessment=a, actor=cyc.leader_a)
        assert [p[:14] for p in err.value.message_dict["entries"]] == ["Tiêu chí 2.1 ("]
        e21 = entry(a, "2.1")
        services.entry_self_save(entry_id=e21.pk, version=e21.version, explanation="Xem cổng DVC", actor=cast.officer_a)
        submission = services.assessment_submit(assessment=a, actor=cyc.leader_a)
    assert submission.number == 1
    assert submission.total_points == Decimal("7.50")


def test_the_frozen_copy_does_not_change_when_the_report_is_withdrawn_and_edited(cyc, cast, filled):
    with time_machine.travel(inside("self_assessment")):
        submission = services.assessment_submit(assessment=filled, actor=cyc.leader_a)
        frozen = Submission.objects.get(pk=submission.pk).data
        services.assessment_withdraw(assessment=filled, actor=cyc.leader_a, reason="Sửa số liệu")
        e = entry(filled, "1.1")
        services.entry_self_save(entry_id=e.pk, version=e.version, declared="99", actor=cast.officer_a)
        services.entry_self_save(entry_id=e.pk, version=e.version + 1, explanation="Có báo cáo", actor=cast.officer_a)
    submission.refresh_from_db()
    assert submission.data == frozen
    assert submission.withdrawn_at is not None and submission.withdrawn_by == cyc.leader_a
    row = next(r for r in submission.data["rows"] if r["code"] == "1.1")
    assert row["declared"] == "90" and row["self_points"] == "0.00" and row["explanation"] == ""
    assert submission.data["total"] == "0.00"
    now = next(r for r in selectors.snapshot(selectors.grid(filled))["rows"] if r["code"] == "1.1")
    assert now["self_points"] == "3.00"
    filled.refresh_from_db()
    assert filled.status == S.IN_PROGRESS and filled.submitted_at is None


def test_the_frozen_copy_keeps_every_value_and_the_evidence_fingerprints(cyc, cast):
    a = cyc.assessment_a
    with time_machine.travel(inside("self_assessment")):
        fill(a, cast.officer_a, {"1.1": {"numerator": 48, "denominator": 50}, "1.2": "no", "1.3": "0", "2.1": "0"})
        e11 = entry(a, "1.1")
        doc = services.evidence_upload(
            assessment=a, upload=pdf(), title="Báo cáo thống kê", number="12/BC", actor=cast.officer_a, entry_id=e11.pk
        )
        submission = services.assessment_submit(assessment=a, actor=cyc.leader_a)
    data = submission.data
    row = next(r for r in data["rows"] if r["code"] == "1.1")
    assert row["name"] == "Tỷ lệ hồ sơ giải quyết đúng hạn" and row["max_points"] == "3.00"
    assert row["declared"] == {"numerator": 48, "denominator": 50}
    assert row["declared_text"] == "48/50 (96%)"
    assert row["self_points"] == "3.00" and "96" in row["self_note"]
    assert row["evidence"][0]["title"] == "Báo cáo thống kê" and row["evidence"][0]["sha256"] == doc.sha256
    field = next(r for r in data["rows"] if r["code"] == "1")
    assert field["heading"] and field["subtotal"] == "3.00"
    survey = next(r for r in data["rows"] if r["code"] == "3.1")
    assert survey["self_scored"] is False
    assert data["total"] == "3.00" and data["submitted_by"] == "Đỗ Văn Lãnh Đạo"


def test_withdrawal_is_refused_once_appraisal_has_started(cyc, cast, filled):
    with time_machine.travel(inside("self_assessment")):
        services.assessment_submit(assessment=filled, actor=cyc.leader_a)
        Assessment.objects.filter(pk=filled.pk).update(status=S.UNDER_APPRAISAL)
        filled.refresh_from_db()
        with pytest.raises(ValidationError) as err:
            services.assessment_withdraw(assessment=filled, actor=cyc.leader_a)
    assert "thẩm định đã bắt đầu" in str(err.value)
    assert Submission.objects.get().withdrawn_at is None


def test_a_submitted_report_cannot_be_edited(cyc, cast, filled):
    with time_machine.travel(inside("self_assessment")):
        services.assessment_submit(assessment=filled, actor=cyc.leader_a)
        e = entry(filled, "1.1")
        with pytest.raises(ValidationError) as err:
            services.entry_self_save(entry_id=e.pk, version=e.version, declared="99", actor=cast.officer_a)
    assert "Đã gửi" in str(err.value)
    e.refresh_from_db()
    assert e.declared == "90"


def test_the_narrative_is_saved_with_its_version_and_a_stale_version_is_a_conflict(cyc, cast, filled):
    from parindex.core.exceptions import ConflictError

    with time_machine.travel(inside("self_assessment")):
        saved = services.assessment_narrative_save(
            assessment=filled, actor=cast.officer_a, version=filled.version, difficulties="Thiếu nhân lực"
        )
        with pytest.raises(ConflictError) as err:
            services.assessment_narrative_save(
                assessment=filled, actor=cyc.leader_a, version=filled.version, proposals="Tăng biên chế"
            )
    assert err.value.current["difficulties"] == "Thiếu nhân lực"
    filled.refresh_from_db()
    assert filled.difficulties == "Thiếu nhân lực" and filled.proposals == "" and filled.version == saved.version


def test_a_save_with_the_entry_of_another_assessment_is_refused(cyc, cast):
    from django.http import Http404

    b = entry(cyc.assessment_b, "1.1")
    with time_machine.travel(inside("self_assessment")), pytest.raises(Http404):
        services.entry_self_save(
            entry_id=b.pk, version=1, declared="97", actor=cast.officer_a, assessment_id=cyc.assessment_a.pk
        )
    b.refresh_from_db()
    assert b.declared is None
