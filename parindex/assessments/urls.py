from django.urls import path

from . import views

app_name = "assessments"
urlpatterns = [
    path("", views.assessment_list, name="list"),
    path("<int:pk>/", views.assessment_grid, name="grid"),
    path("<int:pk>/dong/<int:entry_id>/", views.entry_row, name="row"),
    path("<int:pk>/dong/<int:entry_id>/tai-lieu/", views.evidence_panel, name="evidence_panel"),
    path("<int:pk>/dong/<int:entry_id>/gan-tai-lieu/", views.evidence_attach, name="evidence_attach"),
    path("<int:pk>/dong/<int:entry_id>/bo-tai-lieu/<int:evidence_id>/", views.evidence_detach, name="evidence_detach"),
    path("<int:pk>/tai-lieu/", views.documents, name="documents"),
    path("<int:pk>/tai-lieu/tai-len/", views.evidence_upload, name="evidence_upload"),
    path("<int:pk>/tai-lieu/lien-ket/", views.evidence_link, name="evidence_link"),
    path("<int:pk>/tai-lieu/<int:evidence_id>/go/", views.evidence_withdraw, name="evidence_withdraw"),
    path("tai-lieu/<int:evidence_id>/tai-ve/", views.evidence_download, name="evidence_download"),
    path("<int:pk>/trinh-duyet/", views.send_for_review, name="send_for_review"),
    path("<int:pk>/tra-lai/", views.return_to_officers, name="return"),
    path("<int:pk>/gui/", views.submit, name="submit"),
    path("<int:pk>/rut-lai/", views.withdraw, name="withdraw"),
    path("<int:pk>/kho-khan-de-xuat/", views.narrative, name="narrative"),
    path("<int:pk>/xlsx/", views.grid_xlsx, name="grid_xlsx"),
    path("<int:pk>/ban-da-gui/", views.submission_list, name="submissions"),
    path("<int:pk>/ban-da-gui/<int:number>/xlsx/", views.submission_xlsx, name="submission_xlsx"),
]
