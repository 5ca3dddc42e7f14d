"""Property-based run of the respondent-list endpoints against their OpenAPI document (schemathesis), with a survey
and a list in place, as the survey's coordinator: every answer must be declared and match its schema, and no input
may crash the server."""

import pytest
import time_machine
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings

schemathesis = pytest.importorskip("schemathesis")

from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance  # noqa: E402

from parindex.api.api import api  # noqa: E402
from parindex.cycles.factories import inside  # noqa: E402

from .listfiles import citizens, official, xlsx  # noqa: E402

CSRF = "B" * 32
PATHS = r"^/api/v1/surveys/(\{survey_id\}/(groups|lists)|lists/|respondents/)"

schema = schemathesis.openapi.from_dict(api.get_openapi_schema()).include(path_regex=PATHS)
schema.app = get_wsgi_application()


@pytest.fixture
def coordinator_cookies(srv, cast):
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    from parindex.surveys import services

    with time_machine.travel(inside("survey"), tick=True):
        services.respondent_list_import(
            survey=srv.survey, unit=cast.dept_a, content=xlsx([official(), *citizens(5)]), actor=srv.coordinator
        )
        client = Client()
        client.force_login(srv.coordinator)
        yield {"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_list_endpoints_keep_to_their_openapi_document(case, coordinator_cookies):
    case.call_and_validate(
        cookies=coordinator_cookies,
        headers={"X-CSRFToken": CSRF},
        # Data valid by the schema may still break a rule (a decision without reason, a frozen list): a 422 or 403
        # with a message, by design.
        excluded_checks=[ignored_auth, positive_data_acceptance],
    )
