"""Survey points feed the score engine: a unit's total includes its survey criterion, the frozen leaf values carry
them, and the scorecard shows them."""

from decimal import Decimal as D

from parindex.scoring import services
from parindex.surveys.flags import survey_cancel_unit
from parindex.surveys.points import survey_points_compute
from parindex.surveys.tests.synthetic import respond


def _survey_answers(srv, cast):
    """dept_a: officials A, B, C, X on Q1 (60 %), citizens A, A (100 %) → 80 % of 4 points = 3.20. dept_b: none."""
    for questionnaire in (srv.officials_q, srv.citizens_q):
        questionnaire.questions.exclude(code="Q1").update(criteria=[])
    for code in "ABCX":
        respond(srv.survey, group=srv.officials, rated_unit=cast.dept_a, answers=code)
    for code in "AA":
        respond(srv.survey, group=srv.citizens, rated_unit=cast.dept_a, answers=code)
    survey_points_compute(survey=srv.survey)


def test_a_units_total_includes_its_survey_points(scored, srv, cast):
    _survey_answers(srv, cast)
    result_set = services.resultset_compute(cycle=scored.cycle, group=scored.group, actor=cast.manager, run_now=True)
    a = result_set.units.get(unit=cast.dept_a)
    # 7 appraised points + 3.20 survey points = 10.20 of 12 = 85.00 %
    assert a.points == D("10.20") and a.percent == D("85.00")
    assert a.complete and a.missing == []
    assert a.components["3"]["points"] == "3.20"
    # dept_b has no answers (skip policy: not scored): its survey criterion is still missing.
    b = result_set.units.get(unit=cast.dept_b)
    assert b.points == D("8.00") and b.missing == ["3.1"] and not b.complete
    assert a.rank == 1 and b.rank == 2


def test_the_scorecard_shows_the_survey_points(scored, srv, cast):
    _survey_answers(srv, cast)
    result_set = services.resultset_compute(cycle=scored.cycle, group=scored.group, actor=cast.manager, run_now=True)
    leaf = result_set.leaf_scores.get(unit=cast.dept_a, node__code="3.1")
    assert leaf.survey_points == D("3.20") and leaf.appraised_points is None
    assert result_set.leaf_scores.get(unit=cast.dept_b, node__code="3.1").survey_points is None
    assert result_set.leaf_scores.get(unit=cast.dept_a, node__code="1.1").survey_points is None
    card = services.unit_scorecard(result_set, cast.dept_a.pk)
    node = card.nodes["3.1"]
    assert (node.final_points, node.source, node.reason) == (D("3.20"), "survey", "")
    assert card.total_points == result_set.units.get(unit=cast.dept_a).points


def test_a_cancelled_unit_scores_zero_on_the_survey_and_a_recomputation_changes_the_inputs(scored, srv, cast):
    _survey_answers(srv, cast)
    before = services.resultset_compute(cycle=scored.cycle, group=scored.group, actor=cast.manager, run_now=True)
    survey_cancel_unit(survey=srv.survey, unit=cast.dept_a, reason="Can thiệp trả lời phiếu", actor=cast.manager)
    survey_points_compute(survey=srv.survey)
    after = services.resultset_compute(cycle=scored.cycle, group=scored.group, actor=cast.manager, run_now=True)
    a = after.units.get(unit=cast.dept_a)
    assert a.points == D("7.00") and a.complete  # 0 survey points is a value, not a missing one
    assert services.unit_scorecard(after, cast.dept_a.pk).nodes["3.1"].final_points == D("0.00")
    assert after.inputs_version != before.inputs_version


def test_the_latest_computed_survey_wins_when_two_feed_the_same_criterion(scored, srv, cast):
    from parindex.surveys.models import Survey, SurveyScore

    _survey_answers(srv, cast)
    redo = Survey.objects.create(cycle=scored.cycle, framework=scored.framework, name="Điều tra bổ sung")
    SurveyScore.objects.create(survey=redo, unit=cast.dept_a, node=scored.nodes["3.1"], points=D("1.50"), answers=9)
    result_set = services.resultset_compute(cycle=scored.cycle, group=scored.group, actor=cast.manager, run_now=True)
    assert result_set.units.get(unit=cast.dept_a).points == D("8.50")
    assert result_set.leaf_scores.get(unit=cast.dept_a, node__code="3.1").survey_points == D("1.50")
