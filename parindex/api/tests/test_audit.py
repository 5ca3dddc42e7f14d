import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from parindex.orgs import services
from parindex.orgs.models import UnitKind

from .conftest import API


def _actions(response) -> list[tuple[str, str]]:
    return [(e["action"], e["object_repr"]) for e in response.json()["items"]]


def test_a_manager_sees_the_events_of_their_units_and_not_of_others(cast, session):
    services.unit_update(unit=cast.dept_a, name="Sở Tư pháp tỉnh", actor=cast.manager)
    services.unit_update(unit=cast.other_province, name="Tỉnh Bên Cạnh Mới", actor=cast.other_manager)
    response = session(cast.manager).get(f"{API}/audit-events")
    assert response.status_code == 200
    units = {e["unit"]["id"] for e in response.json()["items"] if e["unit"]}
    assert cast.dept_a.pk in units
    assert cast.other_province.pk not in units
    assert ("unit.update", "Sở Tư pháp tỉnh") in _actions(response)
    other = session(cast.other_manager).get(f"{API}/audit-events")
    assert ("unit.update", "Tỉnh Bên Cạnh Mới") in _actions(other)
    assert ("unit.update", "Sở Tư pháp tỉnh") not in _actions(other)


def test_the_system_admin_sees_every_event(cast, session):
    services.unit_update(unit=cast.other_province, name="Tỉnh Bên Cạnh Mới", actor=cast.other_manager)
    response = session(cast.admin).get(f"{API}/audit-events", {"action": "unit.update"})
    assert _actions(response) == [("unit.update", "Tỉnh Bên Cạnh Mới")]


@pytest.mark.parametrize("who", ["officer_a", "outsider"])
def test_officers_and_outsiders_may_not_read_the_audit_trail(cast, session, who):
    response = session(getattr(cast, who)).get(f"{API}/audit-events")
    assert response.status_code == 403
    assert response.json()["detail"] == "Chức năng này dành cho quản lý Chỉ số và quản trị hệ thống."


def test_an_anonymous_visitor_may_not_read_the_audit_trail(cast, client):
    assert client.get(f"{API}/audit-events").status_code == 401


def test_events_are_filtered_by_unit_actor_action_and_time(cast, session):
    with time_machine.travel(dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC)):
        services.unit_update(unit=cast.dept_a, short_name="STP", actor=cast.manager)
    with time_machine.travel(dt.datetime(2025, 5, 1, 9, tzinfo=dt.UTC)):
        services.unit_update(unit=cast.dept_b, short_name="STC", actor=cast.admin)
        division = services.unit_create(
            code="D1", name="Phòng 1", kind=UnitKind.DIVISION, parent=cast.dept_a, actor=cast.admin
        )
    client = session(cast.manager)

    by_unit = client.get(f"{API}/audit-events", {"unit": cast.dept_a.pk, "action": "unit.update"})
    assert [e["unit"]["id"] for e in by_unit.json()["items"]] == [cast.dept_a.pk]
    with_subunits = client.get(f"{API}/audit-events", {"unit": cast.dept_a.pk, "subunits": "true", "action": "unit."})
    assert {e["unit"]["id"] for e in with_subunits.json()["items"]} == {cast.dept_a.pk, division.pk}

    by_actor = client.get(f"{API}/audit-events", {"user": cast.admin.pk})
    assert {e["actor"]["username"] for e in by_actor.json()["items"]} == {"admin"}
    assert by_actor.json()["count"] == 2

    spring = client.get(f"{API}/audit-events", {"since": "2025-04-01", "until": "2025-06-01T00:00:00+07:00"})
    assert {e["object_repr"] for e in spring.json()["items"]} == {"Sở Tài chính", "Phòng 1"}


def test_the_audit_trail_is_paginated_newest_first(cast, session):
    for n in range(3):
        with time_machine.travel(timezone.now() + dt.timedelta(minutes=n + 1)):
            services.unit_update(unit=cast.dept_a, short_name=f"S{n}", actor=cast.manager)
    page = session(cast.manager).get(f"{API}/audit-events", {"action": "unit.update", "limit": 2}).json()
    assert page["count"] == 3
    assert [e["changes"]["short_name"][1] for e in page["items"]] == ["S2", "S1"]


def test_a_bad_moment_is_refused_in_vietnamese(cast, session):
    response = session(cast.manager).get(f"{API}/audit-events", {"since": "hôm qua"})
    assert response.status_code == 422
    assert response.json()["errors"]["since"][0].startswith("Thời điểm không hợp lệ")


def test_moments_with_unusual_offsets_are_read_in_utc(cast, session):
    response = session(cast.manager).get(f"{API}/audit-events", {"since": "0199-05-04T18:13:14+16:34"})
    assert response.status_code == 200
    out_of_range = session(cast.manager).get(f"{API}/audit-events", {"since": "0001-01-01T00:00:00+10:00"})
    assert out_of_range.status_code == 422
    assert out_of_range.json()["errors"]["since"] == ["Thời điểm nằm ngoài phạm vi cho phép."]
