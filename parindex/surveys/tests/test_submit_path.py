"""The submission's hot path (precomposed SQL instead of the ORM): the rows it writes are those the models describe,
on both databases, in a fixed handful of statements."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parindex.cycles.factories import inside
from parindex.surveys import answering
from parindex.surveys.models import Answer, Invitation, Response, ResponseStatus

from .invite_kit import answers_for, link, sent_list

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(srv, cast):
    respondent_list = sent_list(
        srv.survey, cast.dept_a, group=srv.officials, people=[{"name": "Nguyễn Văn An", "email": "an@example.vn"}]
    )
    return link(respondent_list.respondents.get())[1]


def test_the_statements_name_the_models_tables():
    from parindex.cycles.models import Window
    from parindex.surveys.models import Questionnaire, Respondent, RespondentGroup, Survey

    for model in (Invitation, Respondent, Survey, RespondentGroup, Questionnaire, Response, Window):
        assert f" {model._meta.db_table} " in answering.SUBMIT_LOOKUP_SQL
    assert Answer._meta.db_table in answering.SUBMIT_ANSWERS_SQL
    assert Answer._meta.db_table in answering.SUBMIT_PG_TAIL and Invitation._meta.db_table in answering.SUBMIT_PG_TAIL
    # Every column of a response the insert does not name has a null or a default the database needs no help with.
    named = {"id", "invitation_id", "survey_id", "group_id", "rated_unit_id", "status", "draft", "started_at"}
    named |= {"submitted_at", "ip", "device", "void_reason", "restore_reason"}
    for field in Response._meta.concrete_fields:
        assert field.column in named or field.null, field.column


def test_a_submission_without_opening_the_link_writes_what_the_models_expect(srv, token):
    moment = inside("survey") + dt.timedelta(hours=2)
    with time_machine.travel(moment, tick=False):
        done = answering.answer_submit(
            raw=token, answers=answers_for(srv.officials_q, "ACX"), ip="2001:db8::7", device="thiet-bi"
        )
    stored = Response.objects.get()
    assert stored.pk == done.response_id and done.answers == 3
    assert (stored.status, stored.started_at, stored.submitted_at) == (ResponseStatus.SUBMITTED, moment, moment)
    assert (stored.ip, stored.device, stored.draft) == ("2001:db8::7", "thiet-bi", {})
    assert (stored.void_reason, stored.restore_reason, stored.voided_by, stored.restored_at) == ("", "", None, None)
    assert (stored.group, stored.rated_unit, stored.survey) == (
        srv.officials,
        stored.invitation.respondent.rated_unit,
        srv.survey,
    )
    rows = sorted(stored.answers.values_list("question__code", "option__code", "weight", "excluded"))
    assert rows == [("Q1", "A", 100, False), ("Q2", "C", 20, False), ("Q3", "X", 0, True)]
    invitation = Invitation.objects.get()
    assert invitation.used_at == moment and invitation.opened_at == moment


def test_a_submission_after_saving_progress_completes_that_response(srv, token):
    opened = inside("survey")
    with time_machine.travel(opened, tick=False):
        sheet = answering.answer_open(raw=token, ip=None, device="d")
        answering.draft_save(raw=token, answers=answers_for(srv.officials_q, "B"), ip=None, device="d")
    with time_machine.travel(opened + dt.timedelta(minutes=4), tick=False):
        answering.answer_submit(raw=token, answers=answers_for(srv.officials_q, "BBD"), ip="203.0.113.5", device="e")
    stored = Response.objects.get()
    assert stored.pk == sheet.response.pk
    assert stored.started_at == opened and stored.submitted_at == opened + dt.timedelta(minutes=4)
    assert (stored.status, stored.draft, stored.ip, stored.device) == (ResponseStatus.SUBMITTED, {}, "203.0.113.5", "e")
    assert Invitation.objects.get().opened_at == opened  # the first opening is kept
    assert Answer.objects.count() == 3


def test_a_submission_takes_a_fixed_handful_of_statements(srv, token):
    answers = answers_for(srv.officials_q, "ABC")
    srv.officials_q.refresh_from_db()
    answering._cached_option_table(srv.officials_q.pk, srv.officials_q.updated_at)  # as after the first submission
    with time_machine.travel(inside("survey")), CaptureQueriesContext(connection) as ctx:
        answering.answer_submit(raw=token, answers=answers, ip=None, device="")
    statements = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    # the invitation (locked) with what the submission needs; then the response, the answers, the invitation used:
    # one statement on PostgreSQL, three elsewhere
    assert len(statements) == (2 if connection.vendor == "postgresql" else 4), statements
