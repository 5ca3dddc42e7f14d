"""Each tamper signal on synthetic data, none on honest data; reviewing flags, voiding responses and cancelling a
unit's result, with their access rules and audit."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from parindex.core.exceptions import ConflictError
from parindex.core.models import AuditEvent
from parindex.cycles.factories import CLOSES, vn
from parindex.surveys import flags
from parindex.surveys.models import Cancellation, Flag, FlagKind, FlagStatus, ResponseStatus

from .synthetic import honest, respond

MIN_Q = 3  # the fixture's questionnaires have three questions


def _detect(srv):
    return flags.detect_flags(survey=srv.survey, straight_lining_min_questions=MIN_Q)


def _kinds(srv):
    return sorted(Flag.objects.filter(survey=srv.survey).values_list("kind", flat=True))


@pytest.fixture
def honest_data(srv, cast):
    for unit in (cast.dept_a, cast.dept_b):
        honest(srv.survey, group=srv.officials, rated_unit=unit)
        honest(srv.survey, group=srv.citizens, rated_unit=unit)
    return srv


def test_honest_answers_raise_no_flag(honest_data):
    report = _detect(honest_data)
    assert report["found"] == 0 and report["created"] == 0
    assert Flag.objects.count() == 0


def test_an_answer_faster_than_the_minimum_is_flagged(honest_data, cast):
    fast = respond(honest_data.survey, group=honest_data.officials, rated_unit=cast.dept_a, answers="ABD", seconds=12)
    just_enough = respond(
        honest_data.survey, group=honest_data.officials, rated_unit=cast.dept_a, answers="BBA", seconds=60
    )
    _detect(honest_data)
    flag = Flag.objects.get(kind=FlagKind.TOO_FAST)
    assert list(flag.responses.all()) == [fast]
    assert flag.unit == cast.dept_a
    assert flag.evidence["seconds"] == 12 and flag.evidence["min_seconds"] == 60
    assert "12 giây" in flag.evidence["summary"]
    assert not Flag.objects.filter(responses=just_enough).exists()


def test_five_identical_answer_sheets_for_one_unit_are_flagged_four_are_not(honest_data, cast):
    srv = honest_data
    same = [respond(srv.survey, group=srv.citizens, rated_unit=cast.dept_a, answers="BCD") for _ in range(5)]
    for _ in range(4):
        respond(srv.survey, group=srv.citizens, rated_unit=cast.dept_b, answers="CCD")
    _detect(srv)
    assert _kinds(srv) == [FlagKind.IDENTICAL]
    flag = Flag.objects.get()
    assert set(flag.responses.all()) == set(same)
    assert flag.evidence["pattern"] == "B-C-D" and flag.evidence["count"] == 5
    assert flag.unit == cast.dept_a


def test_ten_submissions_from_one_address_within_ten_minutes_are_a_burst(honest_data, cast):
    srv = honest_data
    start = vn(2026, 11, 20, 9)
    burst = [
        respond(
            srv.survey,
            group=srv.citizens,
            rated_unit=cast.dept_b,
            answers=pattern,
            submitted=start + dt.timedelta(seconds=55 * i),
            ip="203.0.113.7",
        )
        for i, pattern in enumerate(["ABC", "BAD", "CBA", "ABD", "BCA", "DAB", "ACB", "BDA", "CAB", "ADB"])
    ]
    # Nine from another address within ten minutes, and ten from a third one spread over an hour: no burst.
    for i, pattern in enumerate(["ABC", "BAD", "CBA", "ABD", "BCA", "DAB", "ACB", "BDA", "CAB"]):
        respond(
            srv.survey,
            group=srv.citizens,
            rated_unit=cast.dept_b,
            answers=pattern,
            submitted=start + dt.timedelta(seconds=50 * i),
            ip="198.51.100.1",
        )
    for i, pattern in enumerate(["ABC", "BAD", "CBA", "ABD", "BCA", "DAB", "ACB", "BDA", "CAB", "ADB"]):
        respond(
            srv.survey,
            group=srv.citizens,
            rated_unit=cast.dept_a,
            answers=pattern,
            submitted=start + dt.timedelta(minutes=6 * i),
            ip="198.51.100.2",
        )
    _detect(srv)
    assert _kinds(srv) == [FlagKind.BURST]
    flag = Flag.objects.get()
    assert set(flag.responses.all()) == set(burst)
    assert flag.evidence["source"] == "ip" and flag.evidence["value"] == "203.0.113.7"
    assert flag.evidence["count"] == 10


def test_bursts_from_one_device_are_flagged_too(honest_data, cast):
    srv = honest_data
    start = vn(2026, 11, 21, 14)
    for i, pattern in enumerate(["ABC", "BAD", "CBA", "ABD", "BCA", "DAB", "ACB", "BDA", "CAB", "ADB", "BAC"]):
        respond(
            srv.survey,
            group=srv.citizens,
            rated_unit=cast.dept_a if i % 2 else cast.dept_b,
            answers=pattern,
            submitted=start + dt.timedelta(seconds=40 * i),
            ip=f"192.0.2.{i + 1}",
            device="d" * 64,
        )
    _detect(srv)
    burst = Flag.objects.get(kind=FlagKind.BURST)
    assert burst.evidence["source"] == "device" and burst.evidence["count"] == 11
    assert burst.unit is None  # two units: reviewed by those covering the whole survey
    # The same device behind eleven responses is also "one person answering many".
    assert Flag.objects.filter(kind=FlagKind.ONE_PERSON_MANY, key__startswith="device:").exists()


def test_straight_lining_is_flagged_from_the_parameterised_number_of_questions(honest_data, cast):
    srv = honest_data
    lined = respond(srv.survey, group=srv.officials, rated_unit=cast.dept_b, answers="CCC")
    respond(srv.survey, group=srv.officials, rated_unit=cast.dept_b, answers="CC-")  # two answers only
    report = flags.detect_flags(survey=srv.survey)  # the default (5 questions): nothing on a 3-question sheet
    assert report["found"] == 0
    _detect(srv)
    flag = Flag.objects.get(kind=FlagKind.STRAIGHT_LINING)
    assert list(flag.responses.all()) == [lined]
    assert flag.evidence["option"] == "C" and flag.evidence["questions"] == 3


def test_answers_submitted_after_the_deadline_are_flagged(honest_data, cast):
    srv = honest_data
    on_time = respond(
        srv.survey, group=srv.officials, rated_unit=cast.dept_a, answers="ADC", submitted=CLOSES["survey"]
    )
    late = respond(
        srv.survey,
        group=srv.officials,
        rated_unit=cast.dept_a,
        answers="DAC",
        submitted=CLOSES["survey"] + dt.timedelta(seconds=1),
    )
    _detect(srv)
    flag = Flag.objects.get(kind=FlagKind.LATE)
    assert list(flag.responses.all()) == [late]
    assert "31/01/2027" in flag.evidence["summary"]
    assert not Flag.objects.filter(responses=on_time).exists()


def test_one_email_behind_three_responses_is_one_person_answering_many(honest_data, cast):
    srv = honest_data
    for pattern, unit in (("ABD", cast.dept_a), ("BDA", cast.dept_a), ("DBA", cast.dept_a)):
        respond(srv.survey, group=srv.citizens, rated_unit=unit, answers=pattern, email="Cung.Mot@Example.vn")
    for pattern in ("ACD", "CAD"):
        respond(srv.survey, group=srv.citizens, rated_unit=cast.dept_b, answers=pattern, phone="0987000111")
    _detect(srv)
    flag = Flag.objects.get(kind=FlagKind.ONE_PERSON_MANY)
    assert flag.evidence["source"] == "email" and flag.evidence["count"] == 3
    assert flag.evidence["value"] == "cu***@example.vn"  # masked: evidence is not a way to read personal data
    assert "cung.mot" not in str(flag.evidence) and "cung.mot" not in flag.key


def test_detection_is_idempotent(honest_data, cast):
    srv = honest_data
    for _ in range(5):
        respond(srv.survey, group=srv.citizens, rated_unit=cast.dept_a, answers="AAA", seconds=5)
    first = _detect(srv)
    count = Flag.objects.count()
    assert first["created"] == count > 0
    second = _detect(srv)
    assert second["created"] == 0 and Flag.objects.count() == count
    # A reviewed flag stays reviewed when detection runs again.
    flag = Flag.objects.filter(kind=FlagKind.TOO_FAST).first()
    flags.flag_review(flag=flag, status=FlagStatus.DISMISSED, note="Người dân quen phiếu", actor=srv.coordinator)
    _detect(srv)
    flag.refresh_from_db()
    assert flag.status == FlagStatus.DISMISSED


def test_the_command_and_the_job_detect_flags(honest_data, cast, capsys):
    srv = honest_data
    respond(srv.survey, group=srv.officials, rated_unit=cast.dept_a, answers="ABD", seconds=3)
    call_command("detect_flags", "--survey", str(srv.survey.pk), "--straight-lining", "3")
    out = capsys.readouterr().out
    assert "1 dấu hiệu, 1 mới" in out and "Trả lời nhanh bất thường: 1" in out
    respond(srv.survey, group=srv.officials, rated_unit=cast.dept_b, answers="ABD", seconds=4)
    assert flags.detect_flags_job.call(srv.survey.pk) == 1
    assert Flag.objects.count() == 2


# --- reviewing --------------------------------------------------------------------------------------------------


@pytest.fixture
def fast_flag(honest_data, cast):
    respond(honest_data.survey, group=honest_data.officials, rated_unit=cast.dept_a, answers="ABD", seconds=9)
    _detect(honest_data)
    return Flag.objects.get(kind=FlagKind.TOO_FAST)


def test_a_coordinator_confirms_a_flag_with_a_note(fast_flag, srv):
    flag = flags.flag_review(flag=fast_flag, status="confirmed", note="Cán bộ xác nhận điền hộ", actor=srv.coordinator)
    assert (flag.status, flag.reviewed_by, flag.note) == ("confirmed", srv.coordinator, "Cán bộ xác nhận điền hộ")
    event = AuditEvent.objects.get(action="survey.flag_reviewed")
    assert event.changes == {"status": ["open", "confirmed"]} and event.reason == "Cán bộ xác nhận điền hộ"


def test_a_review_needs_a_note_and_a_known_conclusion(fast_flag, srv):
    with pytest.raises(ValidationError):
        flags.flag_review(flag=fast_flag, status="dismissed", note="  ", actor=srv.coordinator)
    with pytest.raises(ValidationError):
        flags.flag_review(flag=fast_flag, status="open", note="x", actor=srv.coordinator)
    fast_flag.refresh_from_db()
    assert fast_flag.status == FlagStatus.OPEN and not AuditEvent.objects.filter(action="survey.flag_reviewed")


# --- voiding and cancelling ---------------------------------------------------------------------------------------


def test_a_manager_voids_and_restores_a_response_with_reasons(fast_flag, cast):
    response = fast_flag.responses.get()
    flags.response_void(response=response, reason="Trả lời trong 9 giây", actor=cast.manager)
    response.refresh_from_db()
    assert response.status == ResponseStatus.VOID and response.voided_by == cast.manager
    with pytest.raises(ConflictError):
        flags.response_void(response=response, reason="lần nữa", actor=cast.manager)
    flags.response_restore(response=response, reason="Đã xác minh với người trả lời", actor=cast.manager)
    response.refresh_from_db()
    assert response.status == ResponseStatus.SUBMITTED and response.void_reason == ""
    actions = list(AuditEvent.objects.filter(object_id=str(response.pk)).values_list("action", flat=True))
    assert sorted(actions) == ["survey.response_restored", "survey.response_voided"]


def test_only_an_index_manager_may_void_and_a_reason_is_required(fast_flag, srv, cast):
    response = fast_flag.responses.get()
    for user in (srv.coordinator, cast.officer_a, cast.other_manager, cast.outsider):
        with pytest.raises(PermissionDenied):
            flags.response_void(response=response, reason="x", actor=user)
    with pytest.raises(ValidationError):
        flags.response_void(response=response, reason="", actor=cast.manager)
    response.refresh_from_db()
    assert response.status == ResponseStatus.SUBMITTED


def test_cancelling_a_unit_twice_is_refused_and_revoking_is_for_managers(srv, cast):
    cancellation = flags.survey_cancel_unit(
        survey=srv.survey, unit=cast.dept_a, reason="Vi phạm quy định", actor=cast.manager
    )
    with pytest.raises(ConflictError):
        flags.survey_cancel_unit(survey=srv.survey, unit=cast.dept_a, reason="Lần hai", actor=cast.manager)
    with pytest.raises(PermissionDenied):
        flags.cancellation_revoke(cancellation=cancellation, reason="x", actor=srv.coordinator)
    with pytest.raises(PermissionDenied):
        flags.survey_cancel_unit(survey=srv.survey, unit=cast.dept_b, reason="x", actor=cast.other_manager)
    flags.cancellation_revoke(cancellation=cancellation, reason="Đã xác minh", actor=cast.manager)
    cancellation.refresh_from_db()
    assert cancellation.revoked_at is not None
    with pytest.raises(ConflictError):
        flags.cancellation_revoke(cancellation=cancellation, reason="lần nữa", actor=cast.manager)
    # Once revoked, the unit may be cancelled again.
    flags.survey_cancel_unit(survey=srv.survey, unit=cast.dept_a, reason="Vi phạm mới", actor=cast.manager)
    assert Cancellation.objects.filter(unit=cast.dept_a, revoked_at__isnull=True).count() == 1
    assert AuditEvent.objects.filter(action="survey.unit_cancelled").count() == 2
    assert AuditEvent.objects.filter(action="survey.unit_cancellation_revoked", reason="Đã xác minh").exists()
