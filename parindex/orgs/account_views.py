"""Accounts: sign-in, passwords, the second factor, the security policy, API tokens, and people and roles.

Every view starts with its access check; writes go through ``services``; reads through ``selectors``."""

from __future__ import annotations

import base64
from urllib.parse import quote

import django_otp
import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import devices_for_user
from django_otp import verify_token as otp_verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from . import access, selectors, services
from .account_forms import (
    ApiTokenForm,
    LoginForm,
    MembershipEndForm,
    MembershipFilterForm,
    MembershipGrantForm,
    OtpTokenForm,
    PasswordResetRequestForm,
    ReasonForm,
    SecurityPolicyForm,
    TwoFactorSetupForm,
    UserOnboardForm,
    unit_suggestions,
)
from .models import Role, SecurityPolicy

SUGGESTED_2FA_ROLES = [Role.SYSTEM_ADMIN, Role.COUNCIL_CHAIR, Role.APPRAISER]
TOTP_SETUP_SESSION_KEY = "parindex_totp_setup_key"
PAGE_SIZE = 50


def _next_url(request, default: str) -> str:
    url = request.POST.get("next") or request.GET.get("next")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default


def _field_errors(form, err: ValidationError, field: str) -> None:
    for name, errors in getattr(err, "message_dict", {field: err.messages}).items():
        for message in errors:
            form.add_error(name if name in form.fields else None, message)


# --- sign-in, sign-out, passwords -----------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("Bạn đã đăng xuất."))
        return response


class _PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("password_change_done")

    def form_valid(self, form):
        services.user_set_password(
            user=form.user,
            password=form.cleaned_data["new_password1"],
            actor=self.request.user,
            reason="Người dùng tự đổi mật khẩu",
        )
        update_session_auth_hash(self.request, form.user)
        messages.success(self.request, _("Đã đổi mật khẩu."))
        return HttpResponseRedirect(self.get_success_url())


@login_required
def password_change(request):
    access.require_login(request.user)
    return _PasswordChangeView.as_view()(request)


@login_required
def password_change_done(request):
    access.require_login(request.user)
    return redirect("account")


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetRequestForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Also the landing page of an invitation: a new user chooses a first password here."""

    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        services.user_set_password(
            user=form.user,
            password=form.cleaned_data["new_password1"],
            actor=form.user,
            reason="Đặt mật khẩu qua liên kết gửi bằng e-mail",
        )
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


# --- the account page ------------------------------------------------------------------------------------------------


def _policy_roles_for(user) -> list[str]:
    """The user's roles for which the security policy requires a second factor."""
    required = set(SecurityPolicy.current().require_2fa_roles) & access.user_roles(user)
    labels = dict(Role.choices)
    return [str(labels[r]) for r in sorted(required) if r in labels]


@login_required
def account(request):
    access.require_login(request.user)
    user = request.user
    memberships = selectors.membership_filter(
        access.memberships_visible(user), user_id=user.pk, active=True
    ).select_related("unit__parent")
    return render(
        request,
        "orgs/account.html",
        {
            "memberships": memberships,
            "two_factor": selectors.two_factor_status(user),
            "policy_roles": _policy_roles_for(user),
            "is_verified": user.is_verified(),
            "is_manager": access.is_manager(user),
            "active_tokens": sum(1 for t in selectors.api_tokens_of(user) if t.is_usable()),
            "nav_active": "account",
        },
    )


# --- the second factor ---------------------------------------------------------------------------------------------


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    return image.to_string(encoding="unicode")


def _verify(user, token: str):
    """The device that accepts ``token`` (TOTP or backup code), or None and when verification is throttled until."""
    locked_until = None
    for device in devices_for_user(user):
        allowed, info = device.verify_is_allowed()
        if not allowed:
            locked_until = (info or {}).get("locked_until") or locked_until
            continue
        matched = otp_verify_token(user, device.persistent_id, token)
        if matched is not None:
            return matched, None
    return None, locked_until


@never_cache
@login_required
def two_factor(request):
    access.require_login(request.user)
    user = request.user
    next_url = _next_url(request, reverse("home"))
    if user.is_verified():
        return redirect(next_url)
    status = selectors.two_factor_status(user)
    if not status["has_totp"]:
        messages.info(request, _("Tài khoản của bạn cần xác thực hai lớp. Hãy thiết lập ứng dụng xác thực trước."))
        return redirect(f"{reverse('two_factor_setup')}?next={quote(next_url)}")
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device, locked_until = _verify(user, form.cleaned_data["token"])
        if device is not None:
            django_otp.login(request, device)
            messages.success(request, _("Đã xác thực hai lớp cho phiên làm việc này."))
            return redirect(next_url)
        if locked_until:
            form.add_error(
                "token",
                _("Bạn đã nhập sai nhiều lần. Hãy thử lại sau %(time)s.")
                % {"time": timezone.localtime(locked_until).strftime("%H:%M:%S")},
            )
        else:
            form.add_error("token", _("Mã không đúng hoặc đã hết hạn."))
    return render(
        request,
        "orgs/two_factor.html",
        {"form": form, "next_url": next_url, "status": status, "policy_roles": _policy_roles_for(user)},
    )


@never_cache
@login_required
def two_factor_setup(request):
    access.require_login(request.user)
    user = request.user
    next_url = _next_url(request, reverse("account"))
    status = selectors.two_factor_status(user)
    if status["has_totp"] and not user.is_verified():
        messages.info(request, _("Hãy xác thực bằng ứng dụng hiện có trước khi đổi sang thiết bị mới."))
        return redirect(f"{reverse('two_factor')}?next={quote(request.get_full_path())}")
    key = request.session.get(TOTP_SETUP_SESSION_KEY)
    if not key:
        key = random_hex(20)
        request.session[TOTP_SETUP_SESSION_KEY] = key
    form = TwoFactorSetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = services.two_factor_enable(user=user, key=key, token=form.cleaned_data["token"], actor=user)
        except ValidationError as err:
            _field_errors(form, err, "token")
        else:
            del request.session[TOTP_SETUP_SESSION_KEY]
            django_otp.login(request, device)
            response = render(request, "orgs/two_factor_backup_codes.html", {"codes": codes, "next_url": next_url})
            response["Cache-Control"] = "no-store"
            return response
    device = TOTPDevice(user=user, key=key)
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "orgs/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": _qr_svg(device.config_url),
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
            "next_url": next_url,
            "replacing": status["has_totp"],
            "policy_roles": _policy_roles_for(user),
        },
    )


@require_POST
@login_required
def two_factor_remove(request):
    access.require_two_factor_reset(request.user, request.user)
    user = request.user
    if selectors.two_factor_status(user)["has_totp"] and not user.is_verified():
        messages.error(request, _("Hãy xác thực hai lớp cho phiên này trước khi gỡ ứng dụng xác thực."))
        return redirect("two_factor")
    if _policy_roles_for(user):
        messages.error(
            request,
            _("Vai trò của bạn bắt buộc xác thực hai lớp: bạn có thể đổi sang thiết bị khác nhưng không thể gỡ bỏ."),
        )
        return redirect("account")
    form = ReasonForm(request.POST)
    form.is_valid()
    services.two_factor_disable(user=user, actor=user, reason=form.cleaned_data.get("reason", ""))
    messages.success(request, _("Đã gỡ xác thực hai lớp khỏi tài khoản."))
    return redirect("account")


# --- security policy -------------------------------------------------------------------------------------------------


@login_required
def security_policy(request):
    access.require_security_policy_edit(request.user)
    policy = SecurityPolicy.current()
    initial_roles = SUGGESTED_2FA_ROLES if request.GET.get("de-xuat") else policy.require_2fa_roles
    form = SecurityPolicyForm(request.POST or None, initial={"require_2fa_roles": initial_roles})
    if request.method == "POST" and form.is_valid():
        try:
            services.security_policy_update(
                require_2fa_roles=form.cleaned_data["require_2fa_roles"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as err:
            _field_errors(form, err, "require_2fa_roles")
        else:
            messages.success(request, _("Đã lưu chính sách bảo mật."))
            return redirect("security_policy")
    labels = dict(Role.choices)
    return render(
        request,
        "orgs/account_security_policy.html",
        {
            "form": form,
            "policy": policy,
            "suggested": [str(labels[r]) for r in SUGGESTED_2FA_ROLES],
            "nav_active": "account",
        },
    )


# --- API tokens ------------------------------------------------------------------------------------------------------


@never_cache
@login_required
def api_tokens(request):
    access.require_login(request.user)
    form = ApiTokenForm(request.POST or None)
    new_key = new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            new_token, new_key = services.api_token_create(
                user=request.user, name=form.cleaned_data["name"], expires_at=form.expires_at(), actor=request.user
            )
        except ValidationError as err:
            _field_errors(form, err, "name")
        else:
            form = ApiTokenForm()
    return render(
        request,
        "orgs/account_tokens.html",
        {
            "form": form,
            "tokens": selectors.api_tokens_of(request.user),
            "new_key": new_key,
            "new_token": new_token,
            "now": timezone.now(),
            "nav_active": "account",
        },
    )


@require_POST
@login_required
def api_token_revoke(request, pk: int):
    token = access.require_own_api_token(request.user, pk)
    services.api_token_revoke(token=token, actor=request.user)
    messages.success(request, _("Đã thu hồi token “%(name)s”.") % {"name": token.name})
    return redirect("api_tokens")


# --- people and roles ------------------------------------------------------------------------------------------------


def _unit_datalist(user) -> list[str]:
    return unit_suggestions(selectors.units_suggested(access.units_scope(user, access.MANAGER_ROLES)))


@login_required
def membership_list(request):
    access.require_manager(request.user)
    visible = access.memberships_visible(request.user)
    form = MembershipFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    memberships = selectors.memberships_search(visible, **filters)
    page = Paginator(memberships, PAGE_SIZE).get_page(request.GET.get("trang"))
    for membership in page.object_list:
        membership.can_end = membership.ended_at is None and access.can_end_membership(request.user, membership)
    query = request.GET.copy()
    query.pop("trang", None)
    return render(
        request,
        "orgs/membership_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "nav_active": "members"},
    )


def _grant_denied(form, err: PermissionDenied) -> None:
    form.add_error("unit", str(err) or _("Bạn không quản lý đơn vị này."))


@login_required
def membership_grant(request):
    access.require_manager(request.user)
    initial = {"user": request.GET.get("nguoi-dung", ""), "unit": request.GET.get("don-vi", "")}
    form = MembershipGrantForm(request.POST or None, roles=access.grantable_roles(request.user), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            access.require_role_grant(request.user, data["unit"], data["role"])
        except PermissionDenied as err:
            _grant_denied(form, err)
        else:
            try:
                membership = services.membership_grant(
                    user=data["user"],
                    unit=data["unit"],
                    role=data["role"],
                    includes_subunits=data["includes_subunits"],
                    actor=request.user,
                    reason=data["reason"],
                )
            except ValidationError as err:
                _field_errors(form, err, "role")
            else:
                messages.success(request, _("Đã trao vai trò: %(m)s.") % {"m": membership})
                return redirect("user_detail", pk=membership.user_id)
    return render(
        request,
        "orgs/membership_grant.html",
        {"form": form, "unit_options": _unit_datalist(request.user), "nav_active": "members"},
    )


@login_required
def membership_end(request, pk: int):
    membership = access.require_membership_end(request.user, pk)
    if membership.ended_at is not None:
        messages.info(request, _("Vai trò này đã kết thúc trước đó."))
        return redirect("user_detail", pk=membership.user_id)
    form = MembershipEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.membership_end(membership=membership, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("Đã kết thúc vai trò: %(m)s.") % {"m": membership})
        return redirect("user_detail", pk=membership.user_id)
    return render(
        request, "orgs/membership_end.html", {"form": form, "membership": membership, "nav_active": "members"}
    )


@login_required
def user_create(request):
    access.require_manager(request.user)
    form = UserOnboardForm(request.POST or None, roles=access.grantable_roles(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            access.require_role_grant(request.user, data["unit"], data["role"])
        except PermissionDenied as err:
            _grant_denied(form, err)
        else:
            try:
                user, _membership = services.user_onboard(
                    username=data["username"],
                    email=data["email"],
                    full_name=data["full_name"],
                    unit=data["unit"],
                    role=data["role"],
                    includes_subunits=data["includes_subunits"],
                    send_invitation=data["send_invitation"],
                    actor=request.user,
                )
            except ValidationError as err:
                _field_errors(form, err, "username")
            else:
                if data["send_invitation"]:
                    messages.success(
                        request,
                        _("Đã tạo tài khoản “%(u)s” và gửi thư mời đặt mật khẩu tới %(e)s.")
                        % {"u": user.username, "e": user.email},
                    )
                else:
                    messages.success(request, _("Đã tạo tài khoản “%(u)s”.") % {"u": user.username})
                return redirect("user_detail", pk=user.pk)
    return render(
        request,
        "orgs/membership_user_create.html",
        {"form": form, "unit_options": _unit_datalist(request.user), "nav_active": "members"},
    )


@login_required
def user_detail(request, pk: int):
    target = access.require_user_visible(request.user, pk)
    memberships = selectors.membership_filter(access.memberships_visible(request.user), user_id=target.pk).order_by(
        "ended_at", "unit__path", "role"
    )
    memberships = list(memberships.select_related("unit__parent"))
    for membership in memberships:
        membership.can_end = membership.ended_at is None and access.can_end_membership(request.user, membership)
    return render(
        request,
        "orgs/membership_user.html",
        {
            "target": target,
            "memberships": memberships,
            "two_factor": selectors.two_factor_status(target),
            "can_reset_two_factor": target.pk != request.user.pk and access.is_system_admin(request.user),
            "is_manager": access.is_manager(request.user),
            "nav_active": "members",
        },
    )


@require_POST
@login_required
def user_invite(request, pk: int):
    target = access.require_user_visible(request.user, pk)
    try:
        services.user_invite(user=target, actor=request.user)
    except ValidationError as err:
        messages.error(request, " ".join(err.messages))
    else:
        messages.success(request, _("Đã gửi thư mời đặt mật khẩu tới %(e)s.") % {"e": target.email})
    return redirect("user_detail", pk=target.pk)


@require_POST
@login_required
def user_two_factor_reset(request, pk: int):
    target = access.require_user_visible(request.user, pk)
    access.require_two_factor_reset(request.user, target)
    form = ReasonForm(request.POST)
    form.is_valid()
    services.two_factor_disable(user=target, actor=request.user, reason=form.cleaned_data.get("reason", ""))
    messages.success(request, _("Đã đặt lại xác thực hai lớp của %(u)s.") % {"u": target.display_name})
    return redirect("user_detail", pk=target.pk)
