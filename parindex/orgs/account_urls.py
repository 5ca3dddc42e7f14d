from django.urls import path

from . import account_views as views

urlpatterns = [
    # Signing in and out, passwords.
    path("dang-nhap/", views.LoginView.as_view(), name="login"),
    path("dang-xuat/", views.LogoutView.as_view(), name="logout"),
    path("doi-mat-khau/", views.password_change, name="password_change"),
    path("doi-mat-khau/xong/", views.password_change_done, name="password_change_done"),
    path("quen-mat-khau/", views.PasswordResetView.as_view(), name="password_reset"),
    path("quen-mat-khau/da-gui/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "dat-mat-khau/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("dat-mat-khau/xong/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    # The account page, the second factor, API tokens.
    path("", views.account, name="account"),
    path("xac-thuc-hai-lop/", views.two_factor, name="two_factor"),
    path("xac-thuc-hai-lop/thiet-lap/", views.two_factor_setup, name="two_factor_setup"),
    path("xac-thuc-hai-lop/go-bo/", views.two_factor_remove, name="two_factor_remove"),
    path("token-api/", views.api_tokens, name="api_tokens"),
    path("token-api/<int:pk>/thu-hoi/", views.api_token_revoke, name="api_token_revoke"),
    path("chinh-sach-bao-mat/", views.security_policy, name="security_policy"),
    # People and roles (managers).
    path("vai-tro/", views.membership_list, name="membership_list"),
    path("vai-tro/trao/", views.membership_grant, name="membership_grant"),
    path("vai-tro/<int:pk>/ket-thuc/", views.membership_end, name="membership_end"),
    path("nguoi-dung/them/", views.user_create, name="user_create"),
    path("nguoi-dung/<int:pk>/", views.user_detail, name="user_detail"),
    path("nguoi-dung/<int:pk>/gui-loi-moi/", views.user_invite, name="user_invite"),
    path("nguoi-dung/<int:pk>/dat-lai-hai-lop/", views.user_two_factor_reset, name="user_two_factor_reset"),
]
