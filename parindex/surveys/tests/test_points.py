"""Survey points against hand-computed values. Criterion 3.1 is worth 4 points; options A=100, B=60, C=20, D=0,
X excluded; both groups count with weight 1 unless a test says otherwise."""

from decimal import Decimal as D

import pytest
from django.core.management import call_command

from parindex.core.models import AuditEvent
from parindex.surveys.flags import cancellation_revoke, response_void, survey_cancel_unit
from parindex.surveys.models import SurveyScore
from parindex.surveys.points import survey_points_compute, survey_points_preview

from .synthetic import respond


def _one_question(srv):
    """Only question Q1 of each questionnaire feeds 3.1, so each response gives one answer."""
    for questionnaire in (srv.officials_q, srv.citizens_q):
        questionnaire.questions.exclude(code="Q1").update(criteria=[])


def _answers(srv, unit, officials: str, citizens: str):
    for code in officials:
        respond(srv.survey, group=srv.officials, rated_unit=unit, answers=code)
    for code in citizens:
        respond(srv.survey, group=srv.citizens, rated_unit=unit, answers=code)


def _score(srv, unit, code="3.1"):
    return SurveyScore.objects.get(survey=srv.survey, unit=unit, node__code=code)


def test_points_are_the_max_times_the_weighted_mean_of_the_groups(srv, cast):
    _one_question(srv)
    # Officials A, B, C, X → (100 + 60 + 20) / 3 = 60 (X is not counted); citizens A, A → 100.
    # Groups weigh 1 and 1: (60 + 100) / 2 = 80 % of 4 points = 3.20.
    _answers(srv, cast.dept_a, "ABCX", "AA")
    rows = survey_points_compute(survey=srv.survey, actor=cast.manager)
    assert rows == 2  # dept_a and dept_b (a participant without answers)
    score = _score(srv, cast.dept_a)
    assert score.points == D("3.20")
    assert score.answers == 5
    assert score.note == "5 câu trả lời hợp lệ của 2 nhóm"
    assert AuditEvent.objects.filter(action="survey.points_computed").count() == 1


def test_group_weights_and_question_weights_are_applied(srv, cast):
    srv.citizens.weight = D(3)
    srv.citizens.save()
    # Citizens: Q1 weight 2, Q2 weight 1, Q3 not mapped.
    questions = {q.code: q for q in srv.citizens_q.questions.all()}
    questions["Q1"].criteria = [{"node": "3.1", "weight": 2}]
    questions["Q1"].save()
    questions["Q3"].criteria = []
    questions["Q3"].save()
    # Officials answer B, B, B on the three questions → 60. Citizens: Q1=A (100, w2), Q2=D (0, w1) → 200/3.
    respond(srv.survey, group=srv.officials, rated_unit=cast.dept_a, answers="BBB")
    respond(srv.survey, group=srv.citizens, rated_unit=cast.dept_a, answers="ADA")
    survey_points_compute(survey=srv.survey)
    # (1 × 60 + 3 × 200/3) / 4 = 65 % → 2.60
    assert _score(srv, cast.dept_a).points == D("2.60")


def test_rounding_is_half_up_to_two_decimals(srv, cast):
    _one_question(srv)
    srv.citizens.counts = False
    srv.citizens.save()
    # dept_a: one C and 31 D → 20 / 32 = 0.625 % of 4 points = 0.025 → 0.03 (half-up, not half-even's 0.02).
    _answers(srv, cast.dept_a, "C" + "D" * 31, "")
    # dept_b: A, A, C → 220 / 3 = 73.33… % of 4 = 2.9333… → 2.93.
    _answers(srv, cast.dept_b, "AAC", "")
    survey_points_compute(survey=srv.survey)
    assert _score(srv, cast.dept_a).points == D("0.03")
    assert _score(srv, cast.dept_b).points == D("2.93")


def test_a_group_below_the_minimum_is_skipped_and_the_others_rescaled(srv, cast):
    _one_question(srv)
    srv.survey.min_answers = 3
    srv.survey.save()
    _answers(srv, cast.dept_a, "ABC", "AA")  # citizens have 2 < 3: no answers
    survey_points_compute(survey=srv.survey)
    score = _score(srv, cast.dept_a)
    assert score.points == D("2.40")  # officials alone: 60 % of 4
    assert "nhóm “Người dân, tổ chức” có 2 câu trả lời hợp lệ (cần 3): bỏ qua" in score.note
    assert score.note.startswith("3 câu trả lời hợp lệ của 1 nhóm")


def test_with_the_zero_policy_a_group_without_answers_counts_as_zero(srv, cast):
    _one_question(srv)
    srv.survey.min_answers = 3
    srv.survey.no_answer_policy = "zero"
    srv.survey.save()
    _answers(srv, cast.dept_a, "ABC", "AA")
    survey_points_compute(survey=srv.survey)
    score = _score(srv, cast.dept_a)
    assert score.points == D("1.20")  # (60 + 0) / 2 = 30 % of 4
    assert "tính 0" in score.note
    # A unit nobody answered for gets 0 under "zero" …
    assert _score(srv, cast.dept_b).points == D("0.00")


def test_a_unit_without_answers_is_not_scored_under_the_skip_policy(srv, cast):
    _answers(srv, cast.dept_a, "A", "")
    survey_points_compute(survey=srv.survey)
    score = _score(srv, cast.dept_b)
    assert score.points is None
    assert score.note.startswith("Chưa đủ câu trả lời hợp lệ")


def test_voided_in_progress_and_excluded_answers_do_not_count(srv, cast):
    _one_question(srv)
    _answers(srv, cast.dept_a, "AXX", "")
    respond(srv.survey, group=srv.officials, rated_unit=cast.dept_a, answers="D", status="in_progress")
    bad = respond(srv.survey, group=srv.officials, rated_unit=cast.dept_a, answers="D")
    response_void(response=bad, reason="Phiếu do cán bộ điền hộ", actor=cast.manager)
    survey_points_compute(survey=srv.survey)
    score = _score(srv, cast.dept_a)
    assert score.points == D("4.00")
    assert score.answers == 1


def test_a_cancelled_unit_gets_zero_with_the_reason_and_revoking_restores_it(srv, cast):
    _one_question(srv)
    _answers(srv, cast.dept_a, "AA", "A")
    survey_points_compute(survey=srv.survey)
    assert _score(srv, cast.dept_a).points == D("4.00")
    cancellation = survey_cancel_unit(
        survey=srv.survey, unit=cast.dept_a, reason="Can thiệp vào việc trả lời phiếu", actor=cast.manager
    )
    # Zero at once, before any recomputation, and after one.
    assert _score(srv, cast.dept_a).points == D("0.00")
    survey_points_compute(survey=srv.survey)
    score = _score(srv, cast.dept_a)
    assert score.points == D("0.00")
    assert score.note == "Kết quả khảo sát của đơn vị đã bị hủy: Can thiệp vào việc trả lời phiếu"
    cancellation_revoke(cancellation=cancellation, reason="Đã xác minh lại", actor=cast.manager)
    survey_points_compute(survey=srv.survey)
    assert _score(srv, cast.dept_a).points == D("4.00")


def test_a_group_that_does_not_count_is_left_out(srv, cast):
    _one_question(srv)
    srv.citizens.counts = False
    srv.citizens.save()
    _answers(srv, cast.dept_a, "C", "AAAA")
    survey_points_compute(survey=srv.survey)
    assert _score(srv, cast.dept_a).points == D("0.80")


def test_computing_again_replaces_the_previous_points(srv, cast):
    _one_question(srv)
    _answers(srv, cast.dept_a, "A", "")
    survey_points_compute(survey=srv.survey)
    _answers(srv, cast.dept_a, "D", "")
    survey_points_compute(survey=srv.survey)
    assert SurveyScore.objects.filter(survey=srv.survey, unit=cast.dept_a).count() == 1
    assert _score(srv, cast.dept_a).points == D("2.00")


def test_invalid_mappings_are_ignored(srv, cast):
    question = srv.officials_q.questions.get(code="Q1")
    question.criteria = [{"node": "1.1", "weight": 1}, {"node": "9.9"}, "rác", {"node": "3.1", "weight": "-1"}]
    question.save()
    srv.officials_q.questions.exclude(code="Q1").update(criteria=[])
    srv.citizens_q.questions.update(criteria=[])
    respond(srv.survey, group=srv.officials, rated_unit=cast.dept_a, answers="A")
    # Nothing feeds 3.1 any more (1.1 is an appraised criterion): no rows.
    assert survey_points_preview(survey=srv.survey) == []


def test_the_command_computes_the_points(srv, cast, capsys):
    _answers(srv, cast.dept_a, "AB", "")
    call_command("survey_points", "--survey", str(srv.survey.pk))
    assert "2 dòng" in capsys.readouterr().out
    assert SurveyScore.objects.filter(survey=srv.survey).count() == 2


def test_the_command_refuses_an_unknown_survey(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Không có cuộc điều tra"):
        call_command("survey_points", "--survey", "999999")
