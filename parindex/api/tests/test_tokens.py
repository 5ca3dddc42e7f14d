import datetime as dt

import pytest
from django.utils import timezone

from parindex.core.models import AuditEvent
from parindex.orgs import services
from parindex.orgs.models import ApiToken

from .conftest import API


def test_a_user_creates_a_token_and_sees_the_key_only_once(cast, session):
    client = session(cast.officer_a)
    response = client.post(f"{API}/tokens", {"name": "Báo cáo tự động"}, content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert body["key"].startswith("pi_") and body["key"].startswith(body["prefix"])
    token = ApiToken.objects.get(pk=body["id"])
    assert token.user == cast.officer_a
    assert token.key_hash == ApiToken.hash_key(body["key"]) and body["key"] not in token.key_hash
    assert AuditEvent.objects.filter(action="api_token.create", object_id=str(token.pk), actor=cast.officer_a).exists()
    listed = client.get(f"{API}/tokens").json()
    assert [t["id"] for t in listed] == [token.pk]
    assert "key" not in listed[0]
    # The key works.
    me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {body['key']}"})
    assert me.json()["username"] == "officer_a"


def test_a_token_with_an_expiry_in_the_past_is_refused(cast, session):
    past = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    response = session(cast.officer_a).post(
        f"{API}/tokens", {"name": "cũ", "expires_at": past}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["errors"]["expires_at"] == ["Thời điểm hết hạn của token phải ở tương lai."]


def test_an_expiry_without_a_time_zone_is_refused(cast, session):
    response = session(cast.officer_a).post(
        f"{API}/tokens", {"name": "x", "expires_at": "2099-01-01T00:00:00"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert "múi giờ" in response.json()["errors"]["expires_at"][0]


def test_a_token_needs_a_name(cast, session):
    response = session(cast.officer_a).post(f"{API}/tokens", {"name": ""}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"]["name"] == ["Cần ít nhất 1 ký tự."]


def test_users_see_only_their_own_tokens(cast, session):
    services.api_token_create(user=cast.officer_b, name="của B", actor=cast.officer_b)
    mine, _key = services.api_token_create(user=cast.officer_a, name="của A", actor=cast.officer_a)
    assert [t["id"] for t in session(cast.officer_a).get(f"{API}/tokens").json()] == [mine.pk]
    assert session(cast.admin).get(f"{API}/tokens").json() == []


def test_a_user_revokes_their_own_token_and_it_stops_working(cast, session):
    token, key = services.api_token_create(user=cast.officer_a, name="tạm", actor=cast.officer_a)
    client = session(cast.officer_a)
    response = client.post(f"{API}/tokens/{token.pk}/revoke")
    assert response.status_code == 200
    assert response.json()["revoked_at"] and response.json()["is_usable"] is False
    assert AuditEvent.objects.filter(action="api_token.revoke", object_id=str(token.pk)).exists()
    from django.test import Client

    assert Client(headers={"Authorization": f"Bearer {key}"}).get(f"{API}/me").status_code == 401


@pytest.mark.parametrize("who", ["admin", "manager", "officer_b", "outsider"])
def test_another_users_token_is_not_found(cast, session, who):
    token, _key = services.api_token_create(user=cast.officer_a, name="của A", actor=cast.officer_a)
    response = session(getattr(cast, who)).post(f"{API}/tokens/{token.pk}/revoke")
    assert response.status_code == 404
    assert response.json()["detail"] == "Không tìm thấy token."
    token.refresh_from_db()
    assert token.revoked_at is None


def test_an_anonymous_visitor_may_not_touch_tokens(cast, client):
    token, _key = services.api_token_create(user=cast.officer_a, name="của A", actor=cast.officer_a)
    assert client.get(f"{API}/tokens").status_code == 401
    assert client.post(f"{API}/tokens", {"name": "x"}, content_type="application/json").status_code == 401
    assert client.post(f"{API}/tokens/{token.pk}/revoke").status_code == 401
