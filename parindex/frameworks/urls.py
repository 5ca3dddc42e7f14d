from django.urls import path

from . import views

app_name = "frameworks"
urlpatterns = [
    path("", views.framework_list, name="list"),
    path("nhap/", views.framework_import, name="import"),
    path("nhap/xac-nhan/", views.framework_import_confirm, name="import_confirm"),
    path("<int:pk>/", views.framework_detail, name="detail"),
    path("<int:pk>/xuat/<str:fmt>/", views.framework_export, name="export"),
    path("<int:pk>/lich-su/", views.framework_history, name="history"),
    path("<int:pk>/so-sanh/", views.framework_diff, name="diff"),
    path("<int:pk>/nhan-ban/", views.framework_clone, name="clone"),
    path("<int:pk>/ap-dung/", views.framework_activate, name="activate"),
    path("<int:pk>/ngung-ap-dung/", views.framework_retire, name="retire"),
    path("<int:pk>/soan-thao/", views.framework_editor, name="editor"),
    path("<int:pk>/soan-thao/cay/", views.editor_tree, name="editor_tree"),
    path("<int:pk>/soan-thao/thong-tin/", views.editor_meta, name="editor_meta"),
    path("<int:pk>/soan-thao/them/", views.editor_add, name="editor_add"),
    path("<int:pk>/soan-thao/cham-thu/", views.editor_preview, name="editor_preview"),
    path("<int:pk>/soan-thao/nut/<int:node_id>/", views.editor_node, name="editor_node"),
    path("<int:pk>/soan-thao/nut/<int:node_id>/chuyen/", views.editor_move, name="editor_move"),
    path("<int:pk>/soan-thao/nut/<int:node_id>/bo/", views.editor_remove, name="editor_remove"),
]
