"""Lists cost a fixed number of queries, however many rows they show."""

import pytest

from parindex.orgs import services
from parindex.orgs.factories import UserFactory, grant, make_unit
from parindex.orgs.models import Role, UnitKind

from .conftest import API


@pytest.fixture
def crowd(cast):
    for n in range(15):
        unit = make_unit(f"Phòng {n}", UnitKind.DIVISION, parent=cast.dept_a)
        services.alias_add(unit=unit, name=f"P{n}", actor=cast.manager)
        grant(UserFactory(), unit, Role.UNIT_OFFICER)
        services.unit_update(unit=unit, short_name=f"P{n}", actor=cast.manager)
    return cast


@pytest.mark.parametrize(
    "path",
    [
        "/me",
        "/units",
        "/units?q=phong",
        "/units/tree?depth=3",
        "/memberships",
        "/audit-events",
        "/tokens",
    ],
)
def test_a_list_costs_a_fixed_number_of_queries(crowd, bearer, django_assert_max_num_queries, path):
    client, _token = bearer(crowd.admin)
    client.get(API + path)  # warm up: the security policy row, the token's last use
    with django_assert_max_num_queries(8):
        response = client.get(API + path)
    assert response.status_code == 200
