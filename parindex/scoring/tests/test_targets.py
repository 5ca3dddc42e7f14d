"""Targets checked year by year against imported (published) results."""

import pytest
from django.core.exceptions import ValidationError

from parindex.core.models import AuditEvent
from parindex.orgs.factories import make_unit
from parindex.orgs.models import UnitKind
from parindex.scoring.history import results_import
from parindex.scoring.models import TargetKind
from parindex.scoring.targets import target_create, target_progress


@pytest.fixture
def provinces(cast):
    make_unit("Tỉnh Ba", UnitKind.PROVINCE, code="P03")
    rows = "year,unit,percent\n2024,P99,85\n2024,P98,88\n2024,P03,80\n2025,P99,89\n2025,P98,87\n2025,P03,86\n"
    assert results_import(content=rows.encode(), filename="t.csv", actor=None, unit_kind="province").ok
    return cast


def test_top_n_and_rise_targets_are_checked_each_year(provinces):
    cast = provinces
    top = target_create(
        owner=cast.home_affairs,
        kind=TargetKind.NATIONAL_TOP,
        unit=cast.province,
        top_n=1,
        year_from=2024,
        year_to=2026,
        actor=cast.manager,
    )
    checks = target_progress(top)
    assert [(c.year, c.met) for c in checks] == [(2024, False), (2025, True), (2026, None)]
    rise = target_create(
        owner=cast.home_affairs,
        kind=TargetKind.RISE_RANK,
        unit=cast.province,
        year_from=2025,
        year_to=2025,
        actor=cast.manager,
    )
    assert target_progress(rise)[0].met is True and "hạng 2 lên hạng 1" in target_progress(rise)[0].detail
    assert AuditEvent.objects.filter(action="target.created").count() == 2


def test_a_target_without_its_subject_is_refused(cast):
    with pytest.raises(ValidationError) as err:
        target_create(
            owner=cast.home_affairs, kind=TargetKind.NATIONAL_TOP, year_from=2025, year_to=2024, actor=cast.manager
        )
    assert set(err.value.message_dict) == {"unit", "top_n", "year_to"}
