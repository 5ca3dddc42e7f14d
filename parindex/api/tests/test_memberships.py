import pytest

from parindex.core.models import AuditEvent
from parindex.orgs.models import Membership, Role

from .conftest import API, vietnamese


def _usernames(response) -> set[str]:
    return {m["user"]["username"] for m in response.json()["items"]}


# --- listing --------------------------------------------------------------------------------------------------------


def test_a_manager_sees_the_roles_of_the_units_they_manage(cast, session):
    response = session(cast.manager).get(f"{API}/memberships")
    assert response.status_code == 200
    # admin's role sits on the province too, which the manager manages.
    assert _usernames(response) == {"admin", "manager", "officer_a", "officer_b"}
    assert response.json()["count"] == 4


def test_an_officer_sees_only_their_own_roles(cast, session):
    response = session(cast.officer_a).get(f"{API}/memberships")
    assert _usernames(response) == {"officer_a"}


def test_a_manager_of_another_province_does_not_see_ours(cast, session):
    response = session(cast.other_manager).get(f"{API}/memberships")
    assert _usernames(response) == {"other_manager"}
    by_unit = session(cast.other_manager).get(f"{API}/memberships", {"unit": cast.dept_a.pk})
    assert by_unit.json()["count"] == 0


def test_an_outsider_sees_no_roles(cast, session):
    assert session(cast.outsider).get(f"{API}/memberships").json() == {
        "count": 0,
        "limit": 50,
        "offset": 0,
        "items": [],
    }


def test_an_anonymous_visitor_may_not_list_roles(cast, client):
    assert client.get(f"{API}/memberships").status_code == 401


def test_roles_are_filtered_by_unit_user_role_and_activity(cast, session):
    client = session(cast.manager)
    assert _usernames(client.get(f"{API}/memberships", {"unit": cast.dept_a.pk})) == {"officer_a"}
    assert _usernames(client.get(f"{API}/memberships", {"user": cast.officer_b.pk})) == {"officer_b"}
    assert _usernames(client.get(f"{API}/memberships", {"role": "index_manager"})) == {"manager"}
    membership = Membership.objects.get(user=cast.officer_b)
    client.post(f"{API}/memberships/{membership.pk}/end", {"reason": "nghỉ"}, content_type="application/json")
    assert _usernames(client.get(f"{API}/memberships", {"active": "false"})) == {"officer_b"}
    assert "officer_b" not in _usernames(client.get(f"{API}/memberships", {"active": "true"}))


def test_an_unknown_role_in_the_filter_is_refused_in_vietnamese(cast, session):
    response = session(cast.manager).get(f"{API}/memberships", {"role": "king"})
    assert response.status_code == 422
    assert vietnamese(response.json()["errors"]["role"][0])


# --- granting -------------------------------------------------------------------------------------------------------


def _grant(client, cast, **overrides):
    body = {"user": cast.outsider.pk, "unit": cast.dept_a.pk, "role": "unit_officer", "reason": "bổ sung cán bộ"}
    return client.post(f"{API}/memberships", {**body, **overrides}, content_type="application/json")


def test_a_manager_grants_a_role_and_it_is_audited(cast, session):
    response = _grant(session(cast.manager), cast)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["user"]["username"], body["unit"]["id"], body["role"], body["is_active"]) == (
        "outsider",
        cast.dept_a.pk,
        "unit_officer",
        True,
    )
    event = AuditEvent.objects.get(action="membership.grant", object_id=str(body["id"]))
    assert (event.actor, event.unit, event.reason) == (cast.manager, cast.dept_a, "bổ sung cán bộ")


def test_only_a_system_admin_grants_the_system_admin_role(cast, session):
    refused = _grant(session(cast.manager), cast, role=Role.SYSTEM_ADMIN)
    assert refused.status_code == 403
    assert vietnamese(refused.json()["detail"])
    assert _grant(session(cast.admin), cast, role=Role.SYSTEM_ADMIN).status_code == 201


@pytest.mark.parametrize("who", ["officer_a", "officer_b", "other_manager", "outsider"])
def test_others_may_not_grant_a_role(cast, session, who):
    response = _grant(session(getattr(cast, who)), cast)
    assert response.status_code == 403
    assert not Membership.objects.filter(user=cast.outsider).exists()


def test_an_anonymous_visitor_may_not_grant_a_role(cast, client):
    assert _grant(client, cast).status_code == 401


def test_granting_to_an_unknown_user_or_unit_names_the_field(cast, session):
    client = session(cast.admin)
    assert _grant(client, cast, user=999999).json()["errors"]["user"] == ["Không tìm thấy người dùng có id 999999."]
    assert _grant(client, cast, unit=999999).json()["errors"]["unit"] == ["Không tìm thấy đơn vị có id 999999."]
    bad_role = _grant(client, cast, role="king")
    assert bad_role.status_code == 422
    assert bad_role.json()["errors"]["role"][0].startswith("Giá trị không hợp lệ; dùng một trong:")


# --- ending ---------------------------------------------------------------------------------------------------------


def _end(client, membership, reason="chuyển công tác"):
    return client.post(f"{API}/memberships/{membership.pk}/end", {"reason": reason}, content_type="application/json")


def test_a_manager_ends_a_role_with_a_reason_and_it_is_audited(cast, session):
    membership = Membership.objects.get(user=cast.officer_a)
    response = _end(session(cast.manager), membership)
    assert response.status_code == 200
    assert response.json()["is_active"] is False and response.json()["ended_at"]
    membership.refresh_from_db()
    assert membership.ended_at is not None
    event = AuditEvent.objects.get(action="membership.end", object_id=str(membership.pk))
    assert (event.actor, event.reason) == (cast.manager, "chuyển công tác")


def test_an_officer_may_see_but_not_end_their_own_role(cast, session):
    membership = Membership.objects.get(user=cast.officer_a)
    assert _end(session(cast.officer_a), membership).status_code == 403
    membership.refresh_from_db()
    assert membership.ended_at is None


@pytest.mark.parametrize("who", ["officer_b", "other_manager", "outsider"])
def test_a_role_others_cannot_see_is_not_found(cast, session, who):
    membership = Membership.objects.get(user=cast.officer_a)
    response = _end(session(getattr(cast, who)), membership)
    assert response.status_code == 404
    assert response.json()["detail"] == "Không tìm thấy vai trò."


def test_an_anonymous_visitor_may_not_end_a_role(cast, client):
    assert _end(client, Membership.objects.get(user=cast.officer_a)).status_code == 401


def test_ending_a_role_needs_a_reason(cast, session):
    response = _end(session(cast.manager), Membership.objects.get(user=cast.officer_a), reason="")
    assert response.status_code == 422
    assert response.json()["errors"]["reason"] == ["Cần ít nhất 1 ký tự."]


def test_a_filter_given_twice_is_refused(cast, session):
    response = session(cast.manager).get(f"{API}/memberships?active=true&active=false")
    assert response.status_code == 422
    assert response.json()["errors"]["active"] == ["Phải là true hoặc false."]


def test_an_id_no_database_could_hold_is_refused(cast, session):
    client = session(cast.manager)
    response = client.get(f"{API}/memberships", {"user": -91056463078465896902444449792})
    assert response.status_code == 422
    assert response.json()["errors"]["user"] == ["Phải lớn hơn hoặc bằng 1."]
    assert client.get(f"{API}/units/{2**64}").status_code == 422
