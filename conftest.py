"""The cast every test can use: one province with two departments, and people in and around them."""

import os
from types import SimpleNamespace

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright under live_server


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The database is rolled back after each test; the cache must not remember it."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def cast(db):
    from parindex.orgs.factories import UserFactory, grant, make_unit
    from parindex.orgs.models import Role, UnitKind

    province = make_unit("Tỉnh Thử Nghiệm", UnitKind.PROVINCE, code="P99")
    home_affairs = make_unit("Sở Nội vụ", UnitKind.DEPARTMENT, parent=province, code="P99-SNV")
    dept_a = make_unit("Sở Tư pháp", UnitKind.DEPARTMENT, parent=province, code="P99-STP")
    dept_b = make_unit("Sở Tài chính", UnitKind.DEPARTMENT, parent=province, code="P99-STC")
    other_province = make_unit("Tỉnh Bên Cạnh", UnitKind.PROVINCE, code="P98")

    admin = UserFactory(username="admin", full_name="Quản trị viên")
    grant(admin, province, Role.SYSTEM_ADMIN, includes_subunits=True)
    manager = UserFactory(username="manager", full_name="Trần Thị Quản Lý")
    grant(manager, province, Role.INDEX_MANAGER, includes_subunits=True)
    officer_a = UserFactory(username="officer_a", full_name="Lê Văn Tư Pháp")
    grant(officer_a, dept_a, Role.UNIT_OFFICER)
    officer_b = UserFactory(username="officer_b", full_name="Phạm Thị Tài Chính")
    grant(officer_b, dept_b, Role.UNIT_OFFICER)
    other_manager = UserFactory(username="other_manager", full_name="Hoàng Văn Bên Cạnh")
    grant(other_manager, other_province, Role.INDEX_MANAGER, includes_subunits=True)
    outsider = UserFactory(username="outsider", full_name="Người Ngoài")
    return SimpleNamespace(
        province=province,
        home_affairs=home_affairs,
        dept_a=dept_a,
        dept_b=dept_b,
        other_province=other_province,
        admin=admin,
        manager=manager,
        officer_a=officer_a,
        officer_b=officer_b,
        other_manager=other_manager,
        outsider=outsider,
    )


@pytest.fixture
def login(client):
    """login(user) → the test client signed in as that user."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def cyc(cast):
    """A cycle in progress over the cast (see ``parindex.cycles.factories.make_cycle``): ``cyc.cycle``,
    ``cyc.assessment_a``/``_b``, ``cyc.nodes``, users ``leader_a``, ``appraiser``, ``chair``, ``member``, ``viewer``.
    Windows are at fixed dates: travel with ``time_machine.travel(factories.inside("self_assessment"))``."""
    from parindex.cycles.factories import make_cycle

    return make_cycle(cast)


@pytest.fixture
def srv(cyc, cast):
    """A survey over ``cyc`` (see ``parindex.surveys.factories.make_survey``): ``srv.survey``, groups
    ``srv.officials`` (priority 1, rate their own unit) and ``srv.citizens`` (priority 2, rate the unit that served
    them), their questionnaires (3 questions feeding criterion 3.1, options A=100 B=60 C=20 D=0 X=excluded) and a
    ``srv.coordinator`` (survey coordinator over the province)."""
    from parindex.surveys.factories import make_survey

    return make_survey(cyc, cast)


@pytest.fixture
def scored(cyc, cast):
    """``cyc`` with self-assessed and appraised points: department A (3+1+1+2) and B (3+1+2+2)."""
    from decimal import Decimal

    import time_machine

    from parindex.assessments.models import Entry
    from parindex.assessments.services import entry_self_save
    from parindex.cycles.factories import entry, inside

    with time_machine.travel(inside("self_assessment")):
        for code, value in (("1.1", "97"), ("1.2", "yes"), ("1.3", "1.5"), ("2.1", "5")):
            e = entry(cyc.assessment_a, code)
            entry_self_save(entry_id=e.pk, version=e.version, declared=value, actor=cast.officer_a)
    for assessment, points in (
        (cyc.assessment_a, (("1.1", "3"), ("1.2", "1"), ("1.3", "1"), ("2.1", "2"))),
        (cyc.assessment_b, (("1.1", "3"), ("1.2", "1"), ("1.3", "2"), ("2.1", "2"))),
    ):
        for code, value in points:
            Entry.objects.filter(assessment=assessment, node__code=code).update(round1_points=Decimal(value))
    return cyc


@pytest.fixture
def res(scored, cast):
    """``scored`` with its draft result set computed: ``res.result_set`` (department B ranks first)."""
    from parindex.scoring.services import resultset_compute

    scored.result_set = resultset_compute(cycle=scored.cycle, group=scored.group, actor=cast.manager, run_now=True)
    return scored
