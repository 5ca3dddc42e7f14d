from django.urls import path

from . import views

app_name = "orgs"
urlpatterns = [
    path("", views.unit_list, name="unit_list"),
    path("mau-nhap.xlsx", views.import_template, name="import_template"),
    path("<int:pk>/", views.unit_detail, name="unit_detail"),
    path("<int:pk>/nhap/", views.unit_import, name="unit_import"),
    path("<int:pk>/nhap/xac-nhan/", views.unit_import_confirm, name="unit_import_confirm"),
    path("<int:pk>/xuat.xlsx", views.unit_export, name="unit_export"),
    path("nhom/", views.group_list, name="group_list"),
    path("nhom/<int:pk>/", views.group_detail, name="group_detail"),
    path("nhom/<int:pk>/sua/", views.group_edit, name="group_edit"),
]
