"""Clients for the API tests: a browser session (with or without CSRF checks) and a personal API token."""

import pytest
from django.test import Client

from parindex.orgs import services

API = "/api/v1"
CSRF = "A" * 32  # a CSRF secret: the cookie holds it, the header repeats it


@pytest.fixture
def session():
    """session(user) → a client signed in as ``user`` (test clients skip CSRF, like most tests of views)."""

    def _session(user):
        client = Client()
        client.force_login(user)
        return client

    return _session


@pytest.fixture
def browser():
    """browser(user, csrf=True) → a signed-in client that enforces CSRF like a real browser; with ``csrf`` it sends
    the token the way the site's JavaScript does (cookie + X-CSRFToken header)."""

    def _browser(user, csrf: bool = True):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        if csrf:
            client.cookies["csrftoken"] = CSRF
            client.defaults["HTTP_X_CSRFTOKEN"] = CSRF
        return client

    return _browser


@pytest.fixture
def bearer():
    """bearer(user) → (client, token): a client that authenticates with a fresh personal API token of ``user``, and
    enforces CSRF (a token needs none)."""

    def _bearer(user, **kwargs):
        token, key = services.api_token_create(user=user, name="kiểm thử", actor=user, **kwargs)
        client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {key}"})
        return client, token

    return _bearer


def vietnamese(text: str) -> bool:
    """Crude but enough: Vietnamese messages carry letters outside ASCII."""
    return any(ord(ch) > 127 for ch in text)
