"""Property-based run of the whole API against its own OpenAPI document (schemathesis): every answer must be
declared, match its schema, and no input may crash the server."""

import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings

schemathesis = pytest.importorskip("schemathesis")

from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance  # noqa: E402

from parindex.api.api import api  # noqa: E402

from .conftest import CSRF  # noqa: E402

# The framework router has its own run (parindex/frameworks/tests/test_api_schemathesis.py) with data it needs.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema()).exclude(path_regex="^/api/v1/frameworks")
schema.app = get_wsgi_application()


@pytest.fixture
def keep_connection():
    """The raw WSGI handler closes database connections at the end of each request, which would end the test's
    transaction on PostgreSQL; Django's own test client unhooks the same signals."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_cookies(cast, keep_connection):
    # A session, not a token: the run may revoke tokens or end roles, which must not lock it out.
    cast.admin.is_superuser = True
    cast.admin.save(update_fields=["is_superuser"])
    client = Client()
    client.force_login(cast.admin)
    return {"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF}


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_api_keeps_to_its_openapi_document(case, admin_cookies):
    case.call_and_validate(
        cookies=admin_cookies,
        headers={"X-CSRFToken": CSRF},
        excluded_checks=[
            # The session is always sent, so the auth schemathesis generates on purpose never reaches the API.
            ignored_auth,
            # Data valid by the schema may still break a rule of the registry (codes whose validity overlaps, an end
            # before the start, an id that names nothing): that is a 422 with a message, by design.
            positive_data_acceptance,
        ],
    )
