"""The site's URLs plus this app's pages and API router, for tests written before config/urls.py and the API wire
them in (harmless afterwards: the first match wins)."""

from django.urls import include, path
from ninja import NinjaAPI

from config.urls import handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as site_urlpatterns
from parindex.api.auth import ApiTokenAuth, SessionCsrfAuth
from parindex.api.errors import install_error_handlers
from parindex.api.renderers import ApiRenderer

test_api = NinjaAPI(
    title="parindex API (bộ chỉ số, kiểm thử)",
    urls_namespace="frameworks-test-api",
    auth=[ApiTokenAuth(), SessionCsrfAuth()],
    renderer=ApiRenderer(),
    docs_url=None,
    openapi_url="/openapi-frameworks.json",
)
install_error_handlers(test_api)
test_api.add_router("/frameworks", "parindex.frameworks.api.router")

urlpatterns = [
    path("api/v1/", test_api.urls),
    path("bo-chi-so/", include("parindex.frameworks.urls")),
    *site_urlpatterns,
]
