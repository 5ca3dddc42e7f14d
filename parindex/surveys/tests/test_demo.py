"""seed_demo's survey: a survey in progress over the demo cycle, with lists in every state, a few hundred answers
submitted through the answering service, flags to review, survey points in the draft result; twice changes nothing."""

import io

from django.core.management import call_command

from parindex.core.models import AuditEvent, Notification
from parindex.orgs.tests.test_seed_demo import make_can_tho
from parindex.surveys.models import (
    Answer,
    Cancellation,
    Flag,
    FlagKind,
    FlagStatus,
    Invitation,
    ListStatus,
    Respondent,
    RespondentList,
    RespondentStatus,
    Response,
    ResponseStatus,
    Survey,
    SurveyScore,
    SurveyStatus,
)


def _run() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (
            Survey,
            RespondentList,
            Respondent,
            Invitation,
            Response,
            Answer,
            Flag,
            SurveyScore,
            Cancellation,
            AuditEvent,
            Notification,
        )
    }


def test_seed_demo_adds_a_survey_in_progress_once(db):
    make_can_tho()
    output = _run()
    survey = Survey.objects.get()
    assert survey.status == SurveyStatus.OPEN
    assert "Cuộc điều tra XHH minh họa" in output and "demo.coordinator" in output

    # Groups with their questionnaires, feeding the framework's survey criteria.
    groups = {g.code: g for g in survey.groups.select_related("questionnaire")}
    assert set(groups) == {"lanh-dao", "nguoi-dan"}
    assert groups["lanh-dao"].questionnaire.questions.count() == 6
    assert groups["nguoi-dan"].questionnaire.questions.count() == 5

    # Lists: one still being prepared, the others sent; rules and a coordinator's decisions visible.
    statuses = list(RespondentList.objects.filter(survey=survey).values_list("status", flat=True))
    assert statuses.count(ListStatus.DRAFT) == 1 and statuses.count(ListStatus.SENT) >= 10
    assert RespondentList.objects.get(survey=survey, status=ListStatus.DRAFT).unit.code.endswith("-VP")
    rules = set(Respondent.objects.filter(survey=survey).exclude(rule="").values_list("rule", flat=True))
    assert {"not_received", "not_local", "duplicate", "sampling"} <= rules
    decided = Respondent.objects.filter(survey=survey, decided_by__username="demo.coordinator")
    assert decided.filter(status=RespondentStatus.EXCLUDED).exists()
    assert decided.filter(status=RespondentStatus.INCLUDED).exists()

    # A few hundred answers, submitted through the service (one answer per question, weights copied).
    submitted = Response.objects.filter(survey=survey, status=ResponseStatus.SUBMITTED)
    assert 200 <= submitted.count() <= 400
    assert Response.objects.filter(survey=survey, status=ResponseStatus.IN_PROGRESS).exists()
    assert Invitation.objects.filter(used_at__isnull=False).count() == submitted.count() + 1  # + the voided one
    for response in submitted[:20]:
        answers = list(response.answers.select_related("option"))
        assert len(answers) == response.group.questionnaire.questions.count()
        assert all(a.weight == a.option.weight and a.excluded == a.option.excluded for a in answers)
        assert response.submitted_at > response.started_at
    days = {r.submitted_at.date() for r in submitted}
    assert len(days) >= 4  # spread over the days since the lists were sent

    # Flags for the coordinator: straight-lining, fast answers, a burst (dismissed); one confirmed and voided.
    kinds = set(Flag.objects.filter(survey=survey).values_list("kind", flat=True))
    assert {FlagKind.STRAIGHT_LINING, FlagKind.TOO_FAST, FlagKind.BURST} <= kinds
    assert not kinds - {FlagKind.STRAIGHT_LINING, FlagKind.TOO_FAST, FlagKind.BURST}
    assert Flag.objects.filter(status=FlagStatus.OPEN).count() >= 3
    assert Flag.objects.get(kind=FlagKind.BURST).status == FlagStatus.DISMISSED
    assert Response.objects.filter(status=ResponseStatus.VOID).count() == 1
    assert Notification.objects.filter(user__username="demo.coordinator", key__startswith="survey-flags:").exists()

    # Survey points, and the draft result includes them.
    from parindex.scoring.models import LeafScore, ResultSet

    assert SurveyScore.objects.filter(survey=survey, points__isnull=False).count() >= 100
    draft = ResultSet.objects.get(status="draft")
    assert LeafScore.objects.filter(result_set=draft, survey_points__isnull=False).exists()

    first = _counts()
    assert "đã có" in _run()
    assert _counts() == first
