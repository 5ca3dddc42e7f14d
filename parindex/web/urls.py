from django.urls import include, path

from . import views

# Names under the "web" namespace; the home page keeps its plain name "home" too (LOGIN_REDIRECT_URL, links).
# "web:progress" without arguments is the cycle picker, with a cycle id that cycle's dashboard.
web_patterns = [
    path("", views.home, name="home"),
    path("thong-bao/", views.notification_list, name="notifications"),
    path("thong-bao/<int:notification_id>/da-doc/", views.notification_read, name="notification_read"),
    path("thong-bao/da-doc-tat-ca/", views.notification_read_all, name="notifications_read_all"),
    path("tien-do/", views.progress_pick, name="progress"),
    path("tien-do/<int:cycle_id>/", views.progress, name="progress"),
    path("tong-quan/", views.overview, name="overview"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("", include((web_patterns, "web"))),
]
