from django.urls import path

from . import views

app_name = "cycles"
urlpatterns = [
    path("", views.cycle_list, name="list"),
    path("tao-moi/", views.cycle_create, name="create"),
    path("<int:pk>/", views.cycle_detail, name="detail"),
    path("<int:pk>/sua/", views.cycle_edit, name="edit"),
    path("<int:pk>/trang-thai/", views.cycle_status, name="status"),
    path("<int:pk>/bo-chi-so/", views.framework_set, name="framework_set"),
    path("<int:pk>/don-vi/them/", views.participant_add, name="participant_add"),
    path("<int:pk>/don-vi/<int:participant_id>/rut/", views.participant_withdraw, name="participant_withdraw"),
    path("<int:pk>/thoi-han/", views.cycle_windows, name="windows"),
    path("<int:pk>/thoi-han/<str:kind>/", views.window_edit, name="window_edit"),
    path("<int:pk>/gia-han/", views.extension_grant, name="extension_grant"),
    path("<int:pk>/gia-han/<int:extension_id>/thu-hoi/", views.extension_revoke, name="extension_revoke"),
    path("<int:pk>/ke-hoach/", views.plan, name="plan"),
    path("<int:pk>/ke-hoach/them/", views.task_create, name="task_create"),
    path("<int:pk>/ke-hoach/xuat.xlsx", views.plan_export, name="plan_export"),
    path("<int:pk>/ke-hoach/nhap/", views.plan_import, name="plan_import"),
    path("<int:pk>/ke-hoach/nhap/xac-nhan/", views.plan_import_confirm, name="plan_import_confirm"),
    path("<int:pk>/ke-hoach/<int:task_id>/", views.task_detail, name="task_detail"),
    path("<int:pk>/ke-hoach/<int:task_id>/sua/", views.task_edit, name="task_edit"),
    path("<int:pk>/ke-hoach/<int:task_id>/tinh-trang/", views.task_status, name="task_status"),
    path("<int:pk>/ke-hoach/<int:task_id>/huy/", views.task_cancel, name="task_cancel"),
    path("<int:pk>/ke-hoach/<int:task_id>/dinh-kem/", views.attachment_add, name="attachment_add"),
    path("<int:pk>/dinh-kem/<int:attachment_id>/", views.attachment_download, name="attachment_download"),
    path("<int:pk>/dinh-kem/<int:attachment_id>/go/", views.attachment_remove, name="attachment_remove"),
    path("<int:pk>/nhiem-vu-don-vi/", views.unit_tasks, name="unit_tasks"),
    path("<int:pk>/phan-cong/<int:unit_id>/", views.matrix, name="matrix"),
    path("<int:pk>/phan-cong/<int:unit_id>/xuat.xlsx", views.matrix_export, name="matrix_export"),
]
