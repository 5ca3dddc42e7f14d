import pytest
from django.test import Client


@pytest.fixture
def api():
    """api(user) → a client signed in as ``user`` (None: anonymous)."""

    def _api(user):
        c = Client()
        if user is not None:
            c.force_login(user)
        return c

    return _api


@pytest.fixture
def task(cyc, cast):
    from parindex.cycles import services

    return services.task_create(
        cycle=cyc.cycle,
        actor=cast.manager,
        title="Gửi báo cáo tự đánh giá qua phần mềm",
        lead_unit=cast.dept_a,
        cooperating_units=[cast.home_affairs],
        product="Báo cáo",
        deadline=__import__("datetime").date(2026, 12, 15),
    )
