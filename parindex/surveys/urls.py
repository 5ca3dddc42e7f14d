from django.urls import path

from . import (
    views,  # noqa: F401
    views_lists,
)

app_name = "surveys"

# --- surveys, respondent groups and lists (views_lists) ---
urlpatterns: list = [
    path("", views_lists.survey_list, name="list"),
    path("tao/", views_lists.survey_create, name="create"),
    path("<int:survey_id>/", views_lists.survey_detail, name="detail"),
    path("<int:survey_id>/cai-dat/", views_lists.survey_settings, name="settings"),
    path("<int:survey_id>/nhom/them/", views_lists.group_add, name="group_add"),
    path("<int:survey_id>/nhom/mau/", views_lists.group_presets, name="group_presets"),
    path("<int:survey_id>/nhom/<int:group_id>/", views_lists.group_edit, name="group_edit"),
    path("<int:survey_id>/nhom/<int:group_id>/xoa/", views_lists.group_delete, name="group_delete"),
    path("<int:survey_id>/danh-sach/mau.xlsx", views_lists.list_template, name="list_template"),
    path("<int:survey_id>/danh-sach/nhap/", views_lists.list_import, name="list_import"),
    path("<int:survey_id>/danh-sach/lap/", views_lists.list_start, name="list_start"),
    path("danh-sach/<int:list_id>/", views_lists.respondent_list, name="respondent_list"),
    path("danh-sach/<int:list_id>/them/", views_lists.respondent_add, name="respondent_add"),
    path("danh-sach/<int:list_id>/chon-mau/", views_lists.list_sample, name="list_sample"),
    path("danh-sach/<int:list_id>/gui/", views_lists.list_send, name="list_send"),
    path("nguoi-tra-loi/<int:respondent_id>/sua/", views_lists.respondent_edit, name="respondent_edit"),
    path("nguoi-tra-loi/<int:respondent_id>/quyet-dinh/", views_lists.respondent_decide, name="respondent_decide"),
]

# --- progress, anomaly flags, survey points (views_progress) ---
from . import views_progress  # noqa: E402

urlpatterns += [
    path("<int:survey_id>/tien-do/", views_progress.progress, name="progress"),
    path("<int:survey_id>/dau-hieu-bat-thuong/", views_progress.flags, name="flags"),
    path("<int:survey_id>/dau-hieu-bat-thuong/ra-soat/", views_progress.flags_detect, name="flags_detect"),
    path("dau-hieu-bat-thuong/<int:flag_id>/", views_progress.flag_detail, name="flag"),
    path("dau-hieu-bat-thuong/<int:flag_id>/xem-xet/", views_progress.flag_review, name="flag_review"),
    path("phieu/<int:response_id>/", views_progress.response_detail, name="response"),
    path("phieu/<int:response_id>/huy/", views_progress.response_void, name="response_void"),
    path("phieu/<int:response_id>/khoi-phuc/", views_progress.response_restore, name="response_restore"),
    path("<int:survey_id>/diem/", views_progress.points, name="points"),
    path("<int:survey_id>/diem/tinh/", views_progress.points_compute, name="points_compute"),
    path("<int:survey_id>/huy-ket-qua/", views_progress.cancel_unit, name="cancel_unit"),
    path("huy-ket-qua/<int:cancellation_id>/thu-hoi/", views_progress.cancellation_revoke, name="cancellation_revoke"),
]

# --- questionnaires, invitations, answering (views_questionnaires, views_answer) ---
from . import views_answer, views_questionnaires  # noqa: E402

urlpatterns += [
    path("<int:survey_id>/phieu-khao-sat/", views_questionnaires.questionnaire_list, name="questionnaires"),
    path(
        "<int:survey_id>/phieu-khao-sat/nhap/", views_questionnaires.questionnaire_import, name="questionnaire_import"
    ),
    path(
        "<int:survey_id>/phieu-khao-sat/<int:questionnaire_id>/",
        views_questionnaires.questionnaire_detail,
        name="questionnaire",
    ),
    path(
        "<int:survey_id>/phieu-khao-sat/<int:questionnaire_id>/sua/",
        views_questionnaires.questionnaire_edit,
        name="questionnaire_edit",
    ),
    path(
        "<int:survey_id>/phieu-khao-sat/<int:questionnaire_id>/xuat/<str:fmt>/",
        views_questionnaires.questionnaire_export,
        name="questionnaire_export",
    ),
    path(
        "<int:survey_id>/phieu-khao-sat/<int:questionnaire_id>/cau-hoi/them/",
        views_questionnaires.question_add,
        name="question_add",
    ),
    path(
        "<int:survey_id>/phieu-khao-sat/<int:questionnaire_id>/cau-hoi/<int:question_id>/",
        views_questionnaires.question_edit,
        name="question_edit",
    ),
    path(
        "<int:survey_id>/phieu-khao-sat/<int:questionnaire_id>/cau-hoi/<int:question_id>/xoa/",
        views_questionnaires.question_delete,
        name="question_delete",
    ),
    path("danh-sach/<int:list_id>/thu-moi/", views_answer.invitation_list, name="invitations"),
    path("danh-sach/<int:list_id>/thu-moi/gui/", views_answer.invitation_send, name="invitation_send"),
    path("danh-sach/<int:list_id>/thu-moi/nhac/", views_answer.reminder_send, name="reminder_send"),
    path("danh-sach/<int:list_id>/thu-moi/in/", views_answer.invitation_print, name="invitation_print"),
    path("thu-moi/<int:invitation_id>/bi-tra-lai/", views_answer.invitation_bounce, name="invitation_bounce"),
    path("tra-loi/<str:token>/", views_answer.answer_page, name="answer"),
    path("tra-loi/<str:token>/luu/", views_answer.answer_draft, name="answer_draft"),
    path("tra-loi/<str:token>/nop/", views_answer.answer_submit, name="answer_submit"),
    path("cam-on/", views_answer.answer_thanks, name="answer_thanks"),
]
