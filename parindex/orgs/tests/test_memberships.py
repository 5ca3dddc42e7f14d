"""People and roles: managers see and change the roles on the units they manage, and nothing else."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from parindex.core.models import AuditEvent
from parindex.orgs.factories import grant
from parindex.orgs.models import Membership, Role, User


def active(user, unit, role):
    return Membership.objects.filter(user=user, unit=unit, role=role, ended_at__isnull=True)


# --- the list --------------------------------------------------------------------------------------------------------


def test_a_manager_sees_the_people_of_the_units_they_manage(login, cast):
    body = login(cast.manager).get(reverse("membership_list")).content.decode()
    assert "Lê Văn Tư Pháp" in body and "Phạm Thị Tài Chính" in body
    assert "Hoàng Văn Bên Cạnh" not in body


def test_the_manager_of_another_province_sees_only_their_own_province(login, cast):
    body = login(cast.other_manager).get(reverse("membership_list")).content.decode()
    assert "Hoàng Văn Bên Cạnh" in body
    assert "Lê Văn Tư Pháp" not in body


def test_the_list_filters_by_unit_and_role(login, cast):
    client = login(cast.manager)
    body = client.get(reverse("membership_list"), {"unit": "tu phap"}).content.decode()
    assert "Lê Văn Tư Pháp" in body and "Phạm Thị Tài Chính" not in body
    body = client.get(reverse("membership_list"), {"role": Role.INDEX_MANAGER}).content.decode()
    assert "Trần Thị Quản Lý" in body and "Lê Văn Tư Pháp" not in body


@pytest.mark.parametrize("who", ["officer_a", "outsider"])
def test_people_who_manage_nothing_may_not_open_the_list(login, cast, who):
    response = login(getattr(cast, who)).get(reverse("membership_list"))
    assert response.status_code == 403
    assert "Chức năng này dành cho quản lý Chỉ số" in response.content.decode()


def test_the_list_sends_anonymous_visitors_to_login(client, db):
    assert client.get(reverse("membership_list"))["Location"].startswith(reverse("login"))


# --- granting a role -------------------------------------------------------------------------------------------------


def test_a_manager_grants_a_role_on_a_unit_they_manage(login, cast):
    response = login(cast.manager).post(
        reverse("membership_grant"),
        {"user": "officer_b", "unit": "P99-STP", "role": Role.UNIT_LEADER, "reason": "QĐ 12/QĐ-SNV"},
    )
    assert response.status_code == 302
    membership = active(cast.officer_b, cast.dept_a, Role.UNIT_LEADER).get()
    assert response["Location"] == reverse("user_detail", args=[cast.officer_b.pk])
    event = AuditEvent.objects.get(action="membership.grant", object_id=str(membership.pk))
    assert event.actor == cast.manager and event.reason == "QĐ 12/QĐ-SNV"


def test_a_unit_may_be_given_by_name_or_as_the_suggestion_list_offers_it(login, cast):
    client = login(cast.manager)
    client.post(reverse("membership_grant"), {"user": "outsider", "unit": "Sở Tài chính", "role": Role.VIEWER})
    client.post(
        reverse("membership_grant"),
        {"user": "outsider", "unit": "P99-STP — Sở Tư pháp", "role": Role.VIEWER, "includes_subunits": "on"},
    )
    assert active(cast.outsider, cast.dept_b, Role.VIEWER).exists()
    assert active(cast.outsider, cast.dept_a, Role.VIEWER).get().includes_subunits


def test_a_manager_may_not_grant_on_a_unit_outside_their_scope(login, cast):
    response = login(cast.manager).post(
        reverse("membership_grant"), {"user": "outsider", "unit": "P98", "role": Role.UNIT_OFFICER}
    )
    assert response.status_code == 200
    assert "Chỉ quản lý Chỉ số của đơn vị này" in response.content.decode()
    assert not Membership.objects.filter(user=cast.outsider).exists()


def test_only_system_admins_grant_the_system_admin_role(login, cast):
    response = login(cast.manager).post(
        reverse("membership_grant"), {"user": "outsider", "unit": "P99", "role": Role.SYSTEM_ADMIN}
    )
    assert response.status_code == 200
    assert not Membership.objects.filter(user=cast.outsider).exists()
    response = login(cast.admin).post(
        reverse("membership_grant"), {"user": "outsider", "unit": "P99", "role": Role.SYSTEM_ADMIN}
    )
    assert response.status_code == 302
    assert active(cast.outsider, cast.province, Role.SYSTEM_ADMIN).exists()


def test_an_unknown_user_or_unit_gets_a_clear_message(login, cast):
    response = login(cast.manager).post(
        reverse("membership_grant"), {"user": "khong-co", "unit": "Sở Không Có", "role": Role.VIEWER}
    )
    body = response.content.decode()
    assert "Không có người dùng “khong-co”" in body
    assert "Không tìm thấy đơn vị “Sở Không Có”" in body


@pytest.mark.parametrize("who", ["officer_a", "outsider"])
def test_non_managers_may_not_grant_roles(login, cast, who):
    response = login(getattr(cast, who)).post(
        reverse("membership_grant"), {"user": who, "unit": "P99-STP", "role": Role.UNIT_LEADER}
    )
    assert response.status_code == 403
    assert not Membership.objects.filter(role=Role.UNIT_LEADER).exists()


def test_granting_sends_anonymous_visitors_to_login(client, db):
    assert client.get(reverse("membership_grant"))["Location"].startswith(reverse("login"))


# --- creating a user --------------------------------------------------------------------------------------------------


def test_a_manager_creates_a_user_who_is_invited_to_choose_a_password(
    login, cast, client, django_capture_on_commit_callbacks
):
    manager = login(cast.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(
            reverse("user_create"),
            {
                "username": "nguyenvana.stp",
                "full_name": "Nguyễn Văn A",
                "email": "a@example.vn",
                "unit": "P99-STP",
                "role": Role.UNIT_OFFICER,
                "send_invitation": "on",
            },
        )
    user = User.objects.get(username="nguyenvana.stp")
    assert response["Location"] == reverse("user_detail", args=[user.pk])
    assert not user.has_usable_password()
    assert active(user, cast.dept_a, Role.UNIT_OFFICER).exists()
    assert {"user.create", "membership.grant", "user.invite"} <= set(
        AuditEvent.objects.values_list("action", flat=True)
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["a@example.vn"]
    assert "Kính gửi Nguyễn Văn A" in message.body and "Trần Thị Quản Lý" in message.body
    path = re.search(r"https?://[^/\s]+(/tai-khoan/dat-mat-khau/\S+)", message.body).group(1)

    manager.logout()
    response = client.get(path, follow=True)
    set_url = response.redirect_chain[-1][0]
    client.post(set_url, {"new_password1": "Mat-Khau-Dau-Tien-7", "new_password2": "Mat-Khau-Dau-Tien-7"})
    response = client.post(reverse("login"), {"username": "nguyenvana.stp", "password": "Mat-Khau-Dau-Tien-7"})
    assert response.status_code == 302


def test_a_taken_username_is_refused_and_nothing_is_written(login, cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = login(cast.manager).post(
            reverse("user_create"),
            {"username": "OFFICER_A", "full_name": "X", "email": "x@example.vn", "unit": "P99-STP", "role": "viewer"},
        )
    assert response.status_code == 200
    assert "đã tồn tại" in response.content.decode()
    assert User.objects.filter(username__iexact="officer_a").count() == 1
    assert mail.outbox == []


def test_a_user_created_outside_the_managers_scope_is_not_created(login, cast):
    response = login(cast.manager).post(
        reverse("user_create"),
        {"username": "moi", "full_name": "Mới", "email": "moi@example.vn", "unit": "P98", "role": "viewer"},
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="moi").exists()


@pytest.mark.parametrize("who", ["officer_a", "outsider"])
def test_non_managers_may_not_create_users(login, cast, who):
    response = login(getattr(cast, who)).get(reverse("user_create"))
    assert response.status_code == 403


def test_creating_users_sends_anonymous_visitors_to_login(client, db):
    assert client.get(reverse("user_create"))["Location"].startswith(reverse("login"))


# --- a person's page -------------------------------------------------------------------------------------------------


def test_a_manager_opens_the_page_of_a_person_in_their_units(login, cast):
    response = login(cast.manager).get(reverse("user_detail", args=[cast.officer_a.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Lê Văn Tư Pháp" in body and "Cán bộ đơn vị" in body and "Kết thúc" in body


def test_a_person_sees_their_own_page_without_management_buttons(login, cast):
    response = login(cast.officer_a).get(reverse("user_detail", args=[cast.officer_a.pk]))
    assert response.status_code == 200
    assert reverse("membership_end", args=[cast.officer_a.memberships.get().pk]) not in response.content.decode()


def test_the_manager_of_another_province_does_not_find_the_person(login, cast):
    assert login(cast.other_manager).get(reverse("user_detail", args=[cast.officer_a.pk])).status_code == 404


def test_a_colleague_or_outsider_may_not_open_someone_elses_page(login, cast):
    assert login(cast.officer_b).get(reverse("user_detail", args=[cast.officer_a.pk])).status_code == 403
    assert login(cast.outsider).get(reverse("user_detail", args=[cast.officer_a.pk])).status_code == 403


def test_a_persons_page_sends_anonymous_visitors_to_login(client, cast):
    response = client.get(reverse("user_detail", args=[cast.officer_a.pk]))
    assert response["Location"].startswith(reverse("login"))


def test_a_manager_resends_an_invitation(login, cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = login(cast.manager).post(reverse("user_invite", args=[cast.officer_a.pk]))
    assert response.status_code == 302
    assert mail.outbox[0].to == [cast.officer_a.email]


def test_the_manager_of_another_province_cannot_send_invitations_to_our_people(
    login, cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = login(cast.other_manager).post(reverse("user_invite", args=[cast.officer_a.pk]))
    assert response.status_code == 404
    assert mail.outbox == []


def test_only_a_system_admin_resets_someone_elses_second_factor(login, cast):
    TOTPDevice.objects.create(user=cast.officer_a, name="app", confirmed=True)
    url = reverse("user_two_factor_reset", args=[cast.officer_a.pk])
    assert login(cast.manager).post(url).status_code == 403
    assert TOTPDevice.objects.filter(user=cast.officer_a).exists()
    response = login(cast.admin).post(url, {"reason": "mất điện thoại"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=cast.officer_a).exists()
    assert AuditEvent.objects.get(action="two_factor.disable").actor == cast.admin


# --- ending a role ---------------------------------------------------------------------------------------------------


def test_a_manager_ends_a_role_with_a_reason(login, cast):
    membership = cast.officer_a.memberships.get()
    client = login(cast.manager)
    assert client.get(reverse("membership_end", args=[membership.pk])).status_code == 200
    response = client.post(reverse("membership_end", args=[membership.pk]), {"reason": "Chuyển công tác"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.ended_at is not None
    event = AuditEvent.objects.get(action="membership.end", object_id=str(membership.pk))
    assert event.reason == "Chuyển công tác" and event.actor == cast.manager
    # Ended, not deleted: it is still listed under "ended".
    body = client.get(reverse("membership_list"), {"state": "ended"}).content.decode()
    assert "Lê Văn Tư Pháp" in body


def test_ending_a_role_needs_a_reason(login, cast):
    membership = cast.officer_a.memberships.get()
    response = login(cast.manager).post(reverse("membership_end", args=[membership.pk]), {"reason": ""})
    assert response.status_code == 200
    membership.refresh_from_db()
    assert membership.ended_at is None


def test_a_person_may_see_but_not_end_their_own_role(login, cast):
    membership = cast.officer_a.memberships.get()
    response = login(cast.officer_a).post(reverse("membership_end", args=[membership.pk]), {"reason": "x"})
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.ended_at is None


def test_the_manager_of_another_province_or_an_outsider_does_not_find_the_role(login, cast):
    membership = cast.officer_a.memberships.get()
    for who in (cast.other_manager, cast.outsider, cast.officer_b):
        response = login(who).post(reverse("membership_end", args=[membership.pk]), {"reason": "x"})
        assert response.status_code == 404
    membership.refresh_from_db()
    assert membership.ended_at is None


def test_an_index_manager_may_not_end_a_system_admin_role(login, cast):
    admin_membership = cast.admin.memberships.get()
    response = login(cast.manager).post(reverse("membership_end", args=[admin_membership.pk]), {"reason": "x"})
    assert response.status_code == 403


def test_ending_a_role_sends_anonymous_visitors_to_login(client, cast):
    membership = cast.officer_a.memberships.get()
    assert client.post(reverse("membership_end", args=[membership.pk]))["Location"].startswith(reverse("login"))


def test_a_role_that_ended_no_longer_opens_the_unit(login, cast):
    membership = grant(cast.outsider, cast.province, Role.INDEX_MANAGER, includes_subunits=True)
    login(cast.admin).post(reverse("membership_end", args=[membership.pk]), {"reason": "hết nhiệm kỳ"})
    assert login(cast.outsider).get(reverse("membership_list")).status_code == 403
