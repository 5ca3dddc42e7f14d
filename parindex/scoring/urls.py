from django.urls import path

from . import views, views_schemes

app_name = "scoring"
urlpatterns = [
    path("", views.results_list, name="list"),
    path("cong-khai/", views.public_list, name="public"),
    path("tinh/<int:cycle_id>/<int:group_id>/", views.results_compute, name="compute"),
    path("<int:pk>/", views.results_detail, name="detail"),
    path("<int:pk>/tien-trinh/", views.results_progress, name="progress"),
    path("<int:pk>/duyet/", views.results_approve, name="approve"),
    path("<int:pk>/cong-bo/", views.results_publish, name="publish"),
    path("<int:pk>/don-vi/<int:unit_id>/", views.results_unit, name="unit"),
    path("<int:pk>/du-lieu.<str:fmt>", views.results_open_data, name="open_data"),
    path("<int:pk>/phan-tich/", views.results_analysis, name="analysis"),
    path("phan-tich/don-vi/<int:unit_id>/", views.unit_analysis, name="unit_analysis"),
    path("muc-tieu/", views.target_list, name="targets"),
    path("so-sanh/", views.results_compare, name="compare"),
    path("thang-xep-loai/", views_schemes.scheme_list, name="schemes"),
    path("thang-xep-loai/moi/", views_schemes.scheme_create, name="scheme_create"),
    path("thang-xep-loai/<int:pk>/", views_schemes.scheme_edit, name="scheme_edit"),
    path("thang-xep-loai/<int:pk>/nhan-ban/", views_schemes.scheme_clone, name="scheme_clone"),
    path("thang-xep-loai/<int:pk>/ngung/", views_schemes.scheme_retire, name="scheme_retire"),
]
