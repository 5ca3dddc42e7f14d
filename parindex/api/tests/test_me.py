from parindex.orgs import services

from .conftest import API


def test_me_shows_the_user_and_their_active_roles(cast, session):
    body = session(cast.manager).get(f"{API}/me").json()
    assert (body["username"], body["full_name"], body["email"]) == ("manager", "Trần Thị Quản Lý", "manager@example.vn")
    assert (body["is_manager"], body["is_system_admin"]) == (True, False)
    [role] = body["roles"]
    assert role["role"] == "index_manager"
    assert role["role_label"] == "Quản lý Chỉ số"
    assert role["includes_subunits"] is True
    assert role["unit"] == {"id": cast.province.pk, "code": "P99", "name": "Tỉnh Thử Nghiệm", "kind": "province"}


def test_me_leaves_out_ended_roles(cast, session):
    membership = cast.officer_a.memberships.get()
    services.membership_end(membership=membership, actor=cast.manager, reason="chuyển công tác")
    body = session(cast.officer_a).get(f"{API}/me").json()
    assert body["roles"] == []
    assert body["is_manager"] is False


def test_me_of_a_user_without_roles(cast, session):
    body = session(cast.outsider).get(f"{API}/me").json()
    assert body["username"] == "outsider"
    assert body["roles"] == []


def test_me_of_the_system_admin(cast, session):
    body = session(cast.admin).get(f"{API}/me").json()
    assert body["is_system_admin"] is True and body["is_manager"] is True


def test_me_refuses_an_anonymous_visitor(client):
    assert client.get(f"{API}/me").status_code == 401
