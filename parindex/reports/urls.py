from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("cua-toi/", views.report_mine, name="mine"),
    path("dot/<int:cycle_id>/", views.report_cycle_jobs, name="cycle_jobs"),
    path("<int:pk>/", views.report_job, name="job"),
    path("<int:pk>/trang-thai/", views.report_job_state, name="job_state"),
    path("<int:pk>/tai-ve/", views.report_download, name="download"),
    path("mau-van-ban/", views.template_list, name="templates"),
    path("mau-van-ban/mau-goc/<slug:kind>/", views.template_shipped, name="template_shipped"),
    path("mau-van-ban/<int:owner_id>/<slug:kind>/", views.template_download, name="template_download"),
    path("mau-van-ban/<int:owner_id>/<slug:kind>/tai-len/", views.template_upload, name="template_upload"),
    path("mau-van-ban/<int:owner_id>/<slug:kind>/mau-goc/", views.template_reset, name="template_reset"),
]
