"""Who may call the API at all: personal tokens, browser sessions with CSRF, nobody else."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from parindex.core.models import AuditEvent
from parindex.orgs import services
from parindex.orgs.models import ApiToken, Membership, OrgUnit

from .conftest import API


def _endpoints(cast, user=None):
    """Every endpoint with a body that would succeed for the system admin; the token revoked is ``user``'s own."""
    user = user or cast.officer_a
    membership = Membership.objects.get(user=cast.officer_a)
    token, _key = services.api_token_create(user=user, name="t", actor=user)
    return [
        ("get", "/me", None),
        ("get", "/units", None),
        ("get", "/units/tree", None),
        ("get", f"/units/{cast.dept_a.pk}", None),
        ("post", "/units", {"code": "X", "name": "X", "kind": "department", "parent": cast.province.pk}),
        ("patch", f"/units/{cast.dept_a.pk}", {"name": "X", "updated_at": cast.dept_a.updated_at.isoformat()}),
        ("get", "/memberships", None),
        ("post", "/memberships", {"user": cast.outsider.pk, "unit": cast.dept_a.pk, "role": "viewer"}),
        ("post", f"/memberships/{membership.pk}/end", {"reason": "nghỉ hưu"}),
        ("get", "/tokens", None),
        ("post", "/tokens", {"name": "mới"}),
        ("post", f"/tokens/{token.pk}/revoke", None),
        ("get", "/audit-events", None),
    ]


def _call(client, method, path, body):
    if body is None:
        return getattr(client, method)(API + path)
    return getattr(client, method)(API + path, body, content_type="application/json")


def test_every_endpoint_refuses_an_anonymous_visitor_with_401_in_vietnamese(cast, client):
    for method, path, body in _endpoints(cast):
        response = _call(client, method, path, body)
        assert response.status_code == 401, (method, path)
        assert response.json() == {
            "detail": "Bạn cần đăng nhập, hoặc gửi token API cá nhân trong tiêu đề “Authorization: Bearer <token>”.",
            "errors": None,
        }
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_anonymous_unsafe_call_gets_401_even_with_csrf_checks(cast):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(f"{API}/tokens", {"name": "x"}, content_type="application/json")
    assert response.status_code == 401


def test_a_token_authenticates_every_endpoint_without_csrf(cast, bearer):
    client, _token = bearer(cast.admin)
    for method, path, body in _endpoints(cast, cast.admin):
        response = _call(client, method, path, body)
        assert response.status_code in {200, 201}, (method, path, response.content)


def test_a_token_acts_as_its_owner_in_the_audit_trail_and_the_history(cast, bearer):
    client, _token = bearer(cast.manager)
    response = client.patch(
        f"{API}/units/{cast.dept_a.pk}",
        {"name": "Sở Tư pháp tỉnh", "updated_at": cast.dept_a.updated_at.isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert AuditEvent.objects.get(action="unit.update").actor == cast.manager
    assert OrgUnit.history.filter(id=cast.dept_a.pk).latest("history_date").history_user == cast.manager


def test_a_token_records_when_it_was_last_used(cast, bearer):
    client, token = bearer(cast.officer_a)
    assert client.get(f"{API}/me").json()["username"] == "officer_a"
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_revoked_token_is_refused(cast, bearer):
    client, token = bearer(cast.officer_a)
    services.api_token_revoke(token=token, actor=cast.officer_a)
    response = client.get(f"{API}/me")
    assert response.status_code == 401
    assert response.json()["detail"] == "Token API không hợp lệ, đã hết hạn hoặc đã bị thu hồi."


def test_an_expired_token_is_refused(cast, bearer):
    client, _token = bearer(cast.officer_a, expires_at=timezone.now() + dt.timedelta(days=1))
    assert client.get(f"{API}/me").status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        assert client.get(f"{API}/me").status_code == 401


def test_the_token_of_a_deactivated_user_is_refused(cast, bearer):
    client, _token = bearer(cast.officer_a)
    cast.officer_a.is_active = False
    cast.officer_a.save(update_fields=["is_active"])
    assert client.get(f"{API}/me").status_code == 401


def test_a_wrong_token_does_not_fall_back_to_the_session(cast, session):
    client = session(cast.manager)
    response = client.get(f"{API}/me", headers={"Authorization": "Bearer pi_not-a-real-token"})
    assert response.status_code == 401
    assert ApiToken.objects.count() == 0


def test_a_wrong_token_on_an_unsafe_call_is_401_not_a_csrf_failure(cast):
    from django.test import Client

    client = Client(enforce_csrf_checks=True, headers={"Authorization": "Bearer pi_wrong"})
    response = client.post(f"{API}/tokens", {"name": "x"}, content_type="application/json")
    assert response.status_code == 401


@pytest.mark.parametrize("who", ["admin", "officer_a"])
def test_a_session_post_without_csrf_is_refused_and_nothing_is_written(cast, browser, who):
    client = browser(getattr(cast, who), csrf=False)
    before = AuditEvent.objects.count()
    for method, path, body in _endpoints(cast, getattr(cast, who)):
        if method == "get":
            # Reading needs no CSRF token (officers are refused the audit trail for another reason).
            response = _call(client, method, path, body)
            assert response.status_code in {200, 403}, path
            assert "CSRF" not in response.content.decode(), path
            continue
        response = _call(client, method, path, body)
        assert response.status_code == 403, (method, path)
        assert "CSRF" in response.json()["detail"]
    # _endpoints() itself created one token through the service.
    assert AuditEvent.objects.count() == before + 1


def test_a_session_post_with_the_csrf_token_is_accepted(cast, browser):
    client = browser(cast.manager)
    response = client.post(f"{API}/tokens", {"name": "từ trình duyệt"}, content_type="application/json")
    assert response.status_code == 201
    etag = client.get(f"{API}/units/{cast.dept_a.pk}")["ETag"]
    response = client.patch(
        f"{API}/units/{cast.dept_a.pk}",
        {"short_name": "STP"},
        content_type="application/json",
        headers={"If-Match": etag},
    )
    assert response.status_code == 200


def test_a_session_that_owes_its_second_factor_is_refused_but_a_token_works(cast, session, bearer):
    services.security_policy_update(require_2fa_roles=["index_manager"], actor=None)
    response = session(cast.manager).get(f"{API}/me")
    assert response.status_code == 401
    assert "hai lớp" in response.json()["detail"]
    assert session(cast.officer_a).get(f"{API}/me").status_code == 200  # the policy does not cover officers
    client, _token = bearer(cast.manager)
    assert client.get(f"{API}/me").status_code == 200
