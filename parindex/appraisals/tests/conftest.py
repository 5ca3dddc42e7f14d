"""A report of dept_a filled in and sent for appraisal, without depending on the submission service."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from parindex.appraisals.models import CouncilMember, MemberRole
from parindex.assessments.models import Assessment, AssessmentStatus
from parindex.assessments.services import entry_self_save
from parindex.cycles.factories import WINDOWS, entry, inside

# 1.1 ratio 97.5% → 3/3, 1.2 yes → 1/1, 1.3 manual 1.5/2 (step 0.5), 2.1 three services → 1/2.
SELF = {"1.1": "97.5", "1.2": "có", "1.3": "1.5", "2.1": "3"}


def fill_and_submit(assessment, officer, leader, values=None):
    with time_machine.travel(inside("self_assessment")):
        for code, value in (values or SELF).items():
            e = entry(assessment, code)
            entry_self_save(entry_id=e.pk, version=e.version, declared=value, actor=officer)
    Assessment.objects.filter(pk=assessment.pk).update(
        status=AssessmentStatus.SUBMITTED,
        submitted_at=WINDOWS["self_assessment"][1] - dt.timedelta(days=1),
        submitted_by=leader,
    )
    assessment.refresh_from_db()
    return assessment


@pytest.fixture
def sent(cyc, cast):
    """dept_a's report, sent: self-scores 3, 1, 1.5 and 1."""
    return fill_and_submit(cyc.assessment_a, cast.officer_a, cyc.leader_a)


@pytest.fixture
def sent_b(cyc, cast):
    return fill_and_submit(cyc.assessment_b, cast.officer_b, cast.officer_b)


@pytest.fixture
def e(sent):
    """e("1.1") → the entry of dept_a's sent report, fresh from the database."""

    def _e(code):
        return entry(sent, code)

    return _e


@pytest.fixture
def appraiser2(cyc, cast):
    """Another appraiser, assigned field 2 only (in every unit)."""
    from parindex.appraisals.models import Assignment
    from parindex.orgs.factories import UserFactory, grant
    from parindex.orgs.models import Role

    user = UserFactory(username="appraiser2", full_name="Đinh Văn Tài Chính")
    grant(user, cast.dept_b, Role.APPRAISER)
    Assignment.objects.create(cycle=cyc.cycle, appraiser=user, node=cyc.nodes["2"], agency=cast.dept_b)
    return user


@pytest.fixture
def secretary(cyc):
    """A fourth voting member: the council now has 4 voting members (chair, member, appraiser, secretary)."""
    from parindex.orgs.factories import UserFactory

    user = UserFactory(username="secretary", full_name="Mai Thị Thư Ký")
    CouncilMember.objects.create(council=cyc.council, user=user, role=MemberRole.SECRETARY)
    return user


@pytest.fixture
def api(settings):
    """api(user) → a client signed in as that user; the session outlives the tests' travels in time."""
    settings.SESSION_COOKIE_AGE = 20 * 365 * 24 * 3600

    def _api(user):
        c = Client()
        if user is not None:
            c.force_login(user)
        return c

    return _api
