import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from parindex.core.models import AuditEvent
from parindex.orgs import services
from parindex.orgs.factories import make_unit
from parindex.orgs.models import OrgUnit, UnitKind


def test_creating_a_unit_sets_its_path_and_writes_an_audit_event(cast):
    unit = services.unit_create(
        code="X1", name="Sở Xây dựng", kind=UnitKind.DEPARTMENT, parent=cast.province, actor=cast.manager
    )
    assert unit.path == f"{cast.province.path}{unit.pk}/"
    event = AuditEvent.objects.get(action="unit.create", object_id=str(unit.pk))
    assert event.actor == cast.manager
    assert event.changes["name"] == [None, "Sở Xây dựng"]


def test_it_rejects_a_code_whose_validity_overlaps_another_unit(cast):
    with pytest.raises(ValidationError) as err:
        services.unit_create(code="P99-STP", name="Sở Tư pháp mới", kind=UnitKind.DEPARTMENT, actor=None)
    assert "P99-STP" in str(err.value)
    assert OrgUnit.objects.filter(code="P99-STP").count() == 1


def test_a_code_may_be_reused_after_the_first_unit_ended(db):
    old = make_unit("Tỉnh Cũ", UnitKind.PROVINCE, code="05", valid_to=dt.date(2025, 6, 30))
    new = make_unit("Tỉnh Mới", UnitKind.PROVINCE, code="05", valid_from=dt.date(2025, 7, 1))
    assert old.code == new.code


def test_moving_a_unit_under_its_own_descendant_is_refused(cast):
    child = make_unit("Phòng A", UnitKind.DIVISION, parent=cast.dept_a)
    with pytest.raises(ValidationError) as err:
        services.unit_update(unit=cast.dept_a, parent=child, actor=cast.manager)
    assert "vòng lặp" in str(err.value)
    cast.dept_a.refresh_from_db()
    assert cast.dept_a.parent_id == cast.province.pk


def test_moving_a_unit_moves_its_subtree(cast):
    child = make_unit("Phòng A", UnitKind.DIVISION, parent=cast.dept_a)
    services.unit_update(unit=cast.dept_a, parent=cast.other_province, actor=cast.admin, reason="chuyển")
    child.refresh_from_db()
    assert child.path.startswith(cast.other_province.path)
    assert AuditEvent.objects.filter(action="unit.update", object_id=str(cast.dept_a.pk)).exists()


def test_lineage_to_itself_is_refused(cast):
    with pytest.raises(ValidationError):
        services.lineage_add(
            predecessor=cast.dept_a,
            successor=cast.dept_a,
            kind="renamed",
            effective_date=dt.date(2025, 7, 1),
            actor=None,
        )
