from django.urls import path

from . import views

app_name = "appraisals"
urlpatterns = [
    path("", views.home, name="home"),
    path("dot/<int:cycle_id>/hoi-dong/", views.council, name="council"),
    path("dot/<int:cycle_id>/hoi-dong/luu/", views.council_save, name="council_save"),
    path("dot/<int:cycle_id>/hoi-dong/thanh-vien/", views.member_add, name="member_add"),
    path("thanh-vien/<int:member_id>/thoi/", views.member_end, name="member_end"),
    path("dot/<int:cycle_id>/phan-cong/", views.assignments, name="assignments"),
    path("phan-cong/<int:assignment_id>/ket-thuc/", views.assignment_end, name="assignment_end"),
    path("dot/<int:cycle_id>/tong-hop/", views.overview, name="overview"),
    path("danh-gia/<int:assessment_id>/", views.grid, name="grid"),
    path("danh-gia/<int:assessment_id>/giu-diem-vong-1/", views.carry_over, name="carry_over"),
    path("danh-gia/<int:assessment_id>/giai-trinh/", views.explanations, name="explanations"),
    path("danh-gia/<int:assessment_id>/hoi-dong/", views.review, name="review"),
    path("danh-gia/<int:assessment_id>/bieu-quyet/", views.vote, name="vote"),
    path("danh-gia/<int:assessment_id>/xac-nhan/", views.confirm, name="confirm"),
    path("danh-gia/<int:assessment_id>/mo-lai/", views.reopen, name="reopen"),
    path("muc/<int:entry_id>/vong-1/", views.round1, name="round1"),
    path("muc/<int:entry_id>/yeu-cau-giai-trinh/", views.explanation_request, name="explanation_request"),
    path("muc/<int:entry_id>/giai-trinh/", views.explanation_answer, name="explanation_answer"),
    path("muc/<int:entry_id>/vong-2/", views.round2, name="round2"),
    path("muc/<int:entry_id>/lich-su/", views.entry_history, name="entry_history"),
]
