import os

from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

from parindex.api.api import api

urlpatterns = [
    path("quan-tri/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("tai-khoan/", include("parindex.orgs.account_urls")),
    path("don-vi/", include("parindex.orgs.urls")),
    path("nhat-ky/", include("parindex.core.urls")),
    path("bo-chi-so/", include("parindex.frameworks.urls")),
    path("dot-danh-gia/", include("parindex.cycles.urls")),
    path("tu-danh-gia/", include("parindex.assessments.urls")),
    path("tham-dinh/", include("parindex.appraisals.urls")),
    path("ket-qua/", include("parindex.scoring.urls")),
    path("khao-sat/", include("parindex.surveys.urls")),
    path("bao-cao/", include("parindex.reports.urls")),
    path("", include("parindex.web.urls")),
]

if os.environ.get("PARINDEX_BENCH") == "1":
    # A plain view for bench/home_rps.py: the ceiling the home page is compared with. Never on otherwise.
    def bench_minimal(request):
        return HttpResponse("ok")

    urlpatterns.insert(0, path("bench/minimal/", bench_minimal))

handler403 = "parindex.web.views.error_403"
handler404 = "parindex.web.views.error_404"
handler500 = "parindex.web.views.error_500"
