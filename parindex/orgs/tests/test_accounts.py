"""Accounts: sign-in and lockout, passwords, the second factor, the security policy, personal API tokens."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from parindex.core.models import AuditEvent
from parindex.orgs import services
from parindex.orgs.account_views import TOTP_SETUP_SESSION_KEY
from parindex.orgs.models import ApiToken, Role, SecurityPolicy

PASSWORD = "mat-khau-123"  # UserFactory's


def totp_code(key_hex: str) -> str:
    return f"{totp(bytes.fromhex(key_hex)):06d}"


def require_2fa_for(*roles):
    services.security_policy_update(require_2fa_roles=list(roles), actor=None)


# --- signing in --------------------------------------------------------------------------------------------------


def test_the_login_page_is_in_vietnamese(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Đăng nhập" in body
    assert "Tên đăng nhập" in body and "Mật khẩu" in body
    assert "Quên mật khẩu?" in body


def test_a_user_signs_in_and_lands_on_the_home_page(client, cast):
    response = client.post(reverse("login"), {"username": "officer_a", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Lê Văn Tư Pháp" in response.content.decode()


def test_a_wrong_password_gets_a_vietnamese_message_and_no_session(client, cast):
    response = client.post(reverse("login"), {"username": "officer_a", "password": "sai"})
    assert response.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_five_failed_logins_lock_the_account_even_for_the_right_password(client, cast):
    for _ in range(4):
        response = client.post(reverse("login"), {"username": "officer_a", "password": "sai"})
        assert response.status_code == 200
    response = client.post(reverse("login"), {"username": "officer_a", "password": "sai"})
    assert response.status_code == 429
    body = response.content.decode()
    assert "tạm khóa" in body
    assert "Thời gian khóa: 1 giờ" in body
    assert "Bạn có thể đăng nhập lại sau" in body
    response = client.post(reverse("login"), {"username": "officer_a", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_is_per_account_not_per_address(client, cast):
    for _ in range(5):
        client.post(reverse("login"), {"username": "officer_a", "password": "sai"})
    response = client.post(reverse("login"), {"username": "officer_b", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(cast.officer_b.pk)


def test_logging_out_needs_a_post(login, cast):
    client = login(cast.officer_a)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


# --- passwords -------------------------------------------------------------------------------------------------------


def test_a_user_changes_their_password_and_it_is_audited(login, cast):
    client = login(cast.officer_a)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "Mot-Mat-Khau-Moi-2025", "new_password2": "Mot-Mat-Khau-Moi-2025"},
    )
    assert response.status_code == 302
    cast.officer_a.refresh_from_db()
    assert cast.officer_a.check_password("Mot-Mat-Khau-Moi-2025")
    event = AuditEvent.objects.get(action="user.password_set", object_id=str(cast.officer_a.pk))
    assert event.actor == cast.officer_a
    assert "Mot-Mat-Khau" not in str(event.changes)
    # The session survives the change.
    assert client.get(reverse("account")).status_code == 200


def test_password_change_sends_anonymous_visitors_to_login(client, db):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_password_reset_sends_a_vietnamese_email_whose_link_sets_a_new_password(client, cast):
    response = client.post(reverse("password_reset"), {"email": cast.officer_a.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [cast.officer_a.email]
    assert message.subject == "Đặt lại mật khẩu tài khoản parindex"
    assert "Kính gửi Lê Văn Tư Pháp" in message.body
    link = re.search(r"https?://[^/\s]+(/tai-khoan/dat-mat-khau/\S+)", message.body).group(1)
    response = client.get(link, follow=True)
    assert "Đặt mật khẩu mới" in response.content.decode()
    set_url = response.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": "Mat-Khau-Rat-Moi-9", "new_password2": "Mat-Khau-Rat-Moi-9"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_complete")
    cast.officer_a.refresh_from_db()
    assert cast.officer_a.check_password("Mat-Khau-Rat-Moi-9")
    assert AuditEvent.objects.filter(action="user.password_set", object_id=str(cast.officer_a.pk)).exists()


def test_password_reset_for_an_unknown_address_sends_nothing_but_says_the_same(client, cast):
    response = client.post(reverse("password_reset"), {"email": "khong-ai@example.vn"}, follow=True)
    assert "Hãy kiểm tra hộp thư" in response.content.decode()
    assert mail.outbox == []


# --- the second factor ------------------------------------------------------------------------------------------------


def test_without_a_policy_nobody_is_asked_for_a_second_factor(login, cast):
    assert login(cast.manager).get(reverse("home")).status_code == 200


def test_the_policy_sends_a_required_role_to_set_up_and_verify_a_second_factor(login, cast):
    require_2fa_for(Role.INDEX_MANAGER)
    client = login(cast.manager)
    response = client.get(reverse("core:audit_list") + "?action=unit.create&user=x")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor") + "?next=")
    # No device yet: the two-factor page sends the user to set one up, keeping where they were going.
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_setup"))
    response = client.get(response["Location"])
    assert response.status_code == 200
    body = response.content.decode()
    assert "<svg" in body and "<path" in body
    assert "yêu cầu xác thực hai lớp với vai trò: Quản lý Chỉ số" in body
    key = client.session[TOTP_SETUP_SESSION_KEY]

    response = client.post(reverse("two_factor_setup"), {"token": "000000"})
    assert "Mã xác thực không đúng" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=cast.manager).exists()

    response = client.post(
        reverse("two_factor_setup"), {"token": totp_code(key), "next": "/nhat-ky/?action=unit.create&user=x"}
    )
    assert response.status_code == 200
    assert 'data-testid="backup-codes"' in response.content.decode()
    assert TOTPDevice.objects.get(user=cast.manager, confirmed=True).key == key
    assert StaticToken.objects.filter(device__user=cast.manager).count() == 10
    assert AuditEvent.objects.filter(action="two_factor.enable", object_id=str(cast.manager.pk)).exists()
    # The session is now verified.
    assert client.get(reverse("home")).status_code == 200


def test_a_returning_user_verifies_with_a_real_totp_code(login, cast):
    require_2fa_for(Role.INDEX_MANAGER)
    device = TOTPDevice.objects.create(user=cast.manager, name="app", confirmed=True)
    client = login(cast.manager)
    assert client.get(reverse("home")).status_code == 302
    response = client.get(reverse("two_factor"))
    assert response.status_code == 200
    assert "Mã xác thực" in response.content.decode()
    response = client.post(reverse("two_factor"), {"token": f"{totp(device.bin_key):06d}", "next": "/tai-khoan/"})
    assert response.status_code == 302
    assert response["Location"] == "/tai-khoan/"
    assert client.get(reverse("home")).status_code == 200


def test_a_wrong_code_is_refused_and_the_session_stays_unverified(login, cast):
    require_2fa_for(Role.INDEX_MANAGER)
    device = TOTPDevice.objects.create(user=cast.manager, name="app", confirmed=True)
    wrong = f"{(totp(device.bin_key) + 1) % 1_000_000:06d}"
    client = login(cast.manager)
    response = client.post(reverse("two_factor"), {"token": wrong})
    assert response.status_code == 200
    assert "Mã không đúng" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_an_external_next_is_ignored_after_verification(login, cast):
    device = TOTPDevice.objects.create(user=cast.officer_a, name="app", confirmed=True)
    client = login(cast.officer_a)
    response = client.post(
        reverse("two_factor"), {"token": f"{totp(device.bin_key):06d}", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_a_backup_code_works_once(login, cast):
    require_2fa_for(Role.INDEX_MANAGER)
    TOTPDevice.objects.create(user=cast.manager, name="app", confirmed=True)
    backup = StaticDevice.objects.create(user=cast.manager, name="backup", confirmed=True)
    backup.token_set.create(token="abcd2345")
    client = login(cast.manager)
    response = client.post(reverse("two_factor"), {"token": "ABCD 2345"})
    assert response.status_code == 302
    assert not StaticToken.objects.filter(device=backup).exists()


def test_a_user_who_set_up_a_second_factor_of_their_own_is_always_asked(login, cast):
    TOTPDevice.objects.create(user=cast.officer_a, name="app", confirmed=True)
    response = login(cast.officer_a).get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor"))


def test_an_unverified_session_cannot_replace_or_remove_the_device(login, cast):
    TOTPDevice.objects.create(user=cast.officer_a, name="app", confirmed=True)
    client = login(cast.officer_a)
    response = client.get(reverse("two_factor_setup"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor"))
    response = client.post(reverse("two_factor_remove"))
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=cast.officer_a).exists()


def test_a_verified_user_may_remove_a_voluntary_second_factor(login, cast):
    device = TOTPDevice.objects.create(user=cast.officer_a, name="app", confirmed=True)
    client = login(cast.officer_a)
    client.post(reverse("two_factor"), {"token": f"{totp(device.bin_key):06d}"})
    response = client.post(reverse("two_factor_remove"), {"reason": "đổi điện thoại"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=cast.officer_a).exists()
    assert AuditEvent.objects.get(action="two_factor.disable").reason == "đổi điện thoại"


def test_a_required_second_factor_cannot_be_removed(login, cast):
    require_2fa_for(Role.UNIT_OFFICER)
    device = TOTPDevice.objects.create(user=cast.officer_a, name="app", confirmed=True)
    client = login(cast.officer_a)
    client.post(reverse("two_factor"), {"token": f"{totp(device.bin_key):06d}"})
    client.post(reverse("two_factor_remove"))
    assert TOTPDevice.objects.filter(user=cast.officer_a).exists()


def test_two_factor_pages_send_anonymous_visitors_to_login(client, db):
    for name in ("two_factor", "two_factor_setup"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# --- the security policy ----------------------------------------------------------------------------------------------


def test_a_manager_sets_which_roles_require_a_second_factor(login, cast):
    client = login(cast.manager)
    response = client.get(reverse("security_policy") + "?de-xuat=1")
    assert response.status_code == 200
    body = response.content.decode()
    for role in ("system_admin", "council_chair", "appraiser"):
        assert re.search(rf'value="{role}"[^>]*checked', body)
    assert not re.search(r'value="unit_officer"[^>]*checked', body)
    response = client.post(
        reverse("security_policy"), {"require_2fa_roles": ["council_chair", "appraiser"], "reason": "Quy chế 2025"}
    )
    assert response.status_code == 302
    assert SecurityPolicy.current().require_2fa_roles == ["appraiser", "council_chair"]
    assert AuditEvent.objects.get(action="security.policy_update").reason == "Quy chế 2025"


def test_the_manager_of_another_province_is_a_manager_too(login, cast):
    assert login(cast.other_manager).get(reverse("security_policy")).status_code == 200


@pytest.mark.parametrize("who", ["officer_a", "outsider"])
def test_non_managers_may_not_edit_the_security_policy(login, cast, who):
    client = login(getattr(cast, who))
    response = client.post(reverse("security_policy"), {"require_2fa_roles": ["unit_officer"]})
    assert response.status_code == 403
    assert "quản lý Chỉ số" in response.content.decode()
    assert SecurityPolicy.current().require_2fa_roles == []


def test_the_security_policy_sends_anonymous_visitors_to_login(client, db):
    assert client.get(reverse("security_policy"))["Location"].startswith(reverse("login"))


# --- the account page and API tokens ----------------------------------------------------------------------------------


def test_the_account_page_shows_the_users_own_roles(login, cast):
    response = login(cast.officer_a).get(reverse("account"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Cán bộ đơn vị" in body and "Sở Tư pháp" in body and "Tỉnh Thử Nghiệm" in body
    assert "Sở Tài chính" not in body


def test_the_account_page_sends_anonymous_visitors_to_login(client, db):
    assert client.get(reverse("account"))["Location"].startswith(reverse("login"))


def test_a_user_creates_a_token_sees_the_key_once_and_it_works(login, cast):
    client = login(cast.officer_a)
    response = client.post(reverse("api_tokens"), {"name": "Phần mềm một cửa", "lifetime": "30"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = re.search(r'data-testid="new-token-key">(pi_[^<]+)<', response.content.decode()).group(1)
    assert services.api_token_authenticate(key) == cast.officer_a
    token = ApiToken.objects.get(user=cast.officer_a)
    assert token.expires_at is not None
    # Shown once: the list page does not show it again.
    assert key not in client.get(reverse("api_tokens")).content.decode()


def test_a_user_revokes_their_own_token(login, cast):
    token, key = services.api_token_create(user=cast.officer_a, name="t", actor=cast.officer_a)
    response = login(cast.officer_a).post(reverse("api_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    assert services.api_token_authenticate(key) is None


def test_nobody_revokes_someone_elses_token(login, cast):
    token, key = services.api_token_create(user=cast.officer_a, name="t", actor=cast.officer_a)
    for who in (cast.officer_b, cast.manager, cast.outsider):
        response = login(who).post(reverse("api_token_revoke", args=[token.pk]))
        assert response.status_code == 404
    assert services.api_token_authenticate(key) == cast.officer_a


def test_token_pages_send_anonymous_visitors_to_login(client, cast):
    token, _key = services.api_token_create(user=cast.officer_a, name="t", actor=cast.officer_a)
    assert client.get(reverse("api_tokens"))["Location"].startswith(reverse("login"))
    assert client.post(reverse("api_token_revoke", args=[token.pk]))["Location"].startswith(reverse("login"))
