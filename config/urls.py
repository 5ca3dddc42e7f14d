from django.contrib import admin
from django.urls import include, path

from parindex.api.api import api

urlpatterns = [
    path("quan-tri/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("tai-khoan/", include("parindex.orgs.account_urls")),
    path("don-vi/", include("parindex.orgs.urls")),
    path("nhat-ky/", include("parindex.core.urls")),
    path("", include("parindex.web.urls")),
]

handler403 = "parindex.web.views.error_403"
handler404 = "parindex.web.views.error_404"
handler500 = "parindex.web.views.error_500"
