"""Forms of the account pages: sign-in, second factor, security policy, API tokens, people and roles."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import OrgUnit, Role, User

TOKEN_LIFETIMES = [
    ("90", _("90 ngày")),
    ("30", _("30 ngày")),
    ("365", _("1 năm")),
    ("", _("Không hết hạn")),
]


def _bootstrap(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.CheckboxSelectMultiple):
            continue
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _(
            "Tên đăng nhập hoặc mật khẩu không đúng (có phân biệt chữ hoa, chữ thường). "
            "Sau %(limit)s lần sai liên tiếp, tài khoản sẽ bị tạm khóa."
        ),
        "inactive": _("Tài khoản này đã bị khóa. Hãy liên hệ quản lý Chỉ số của đơn vị."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        _bootstrap(self)
        self.fields["username"].widget.attrs.update({"autofocus": True, "autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})

    def get_invalid_login_error(self):
        from django.conf import settings

        return forms.ValidationError(
            self.error_messages["invalid_login"],
            code="invalid_login",
            params={"limit": getattr(settings, "AXES_FAILURE_LIMIT", 5)},
        )


class PasswordResetRequestForm(PasswordResetForm):
    email = forms.EmailField(
        label=_("Địa chỉ e-mail của tài khoản"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True, "class": "form-control"}),
    )


class OtpTokenForm(forms.Form):
    token = forms.CharField(
        label=_("Mã xác thực"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "class": "form-control"}
        ),
        help_text=_("Mã 6 chữ số trên ứng dụng xác thực, hoặc một mã dự phòng."),
    )

    def clean_token(self):
        return self.cleaned_data["token"].strip().replace(" ", "").lower()


class TwoFactorSetupForm(forms.Form):
    token = forms.CharField(
        label=_("Mã 6 chữ số trên ứng dụng"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "class": "form-control"}
        ),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do"), required=False, max_length=500, widget=forms.TextInput(attrs={"class": "form-control"})
    )


class MembershipEndForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do kết thúc"),
        max_length=500,
        widget=forms.TextInput(attrs={"class": "form-control", "autofocus": True}),
        help_text=_("Ví dụ: chuyển công tác theo Quyết định số …; ghi vào nhật ký."),
    )


class SecurityPolicyForm(forms.Form):
    require_2fa_roles = forms.MultipleChoiceField(
        label=_("Vai trò bắt buộc xác thực hai lớp"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(label=_("Lý do thay đổi"), required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Tên token"),
        max_length=100,
        help_text=_("Ví dụ: “Đồng bộ phần mềm một cửa”. Tên giúp bạn nhận ra token khi cần thu hồi."),
    )
    lifetime = forms.ChoiceField(label=_("Thời hạn"), choices=TOKEN_LIFETIMES, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)

    def expires_at(self):
        days = self.cleaned_data.get("lifetime")
        return timezone.now() + dt.timedelta(days=int(days)) if days else None


class UnitField(forms.CharField):
    """A unit typed as its code, its name, or "code — name" as the suggestion list offers it."""

    default_error_messages = {
        "missing": _("Không tìm thấy đơn vị “%(value)s” còn hiệu lực."),
        "ambiguous": _("Có nhiều đơn vị tên “%(value)s”; hãy nhập mã đơn vị."),
    }

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        text = value.split(" — ", 1)[0].strip() if " — " in value else value.strip()
        today = timezone.localdate()
        unit = selectors.unit_resolve(text, on=today) or selectors.unit_resolve(value.strip(), on=today)
        if unit is None:
            code = "ambiguous" if len(selectors.unit_lookup(text, on=today, limit=2)) > 1 else "missing"
            raise forms.ValidationError(self.error_messages[code], code=code, params={"value": value})
        return unit


class _RoleFormMixin:
    def _setup_roles(self, roles: list[str]) -> None:
        labels = dict(Role.choices)
        # No default: granting a role is a deliberate choice (a preselected manager role would be a trap).
        self.fields["role"].choices = [("", _("— Chọn vai trò —"))] + [(r, labels[r]) for r in roles]


class MembershipGrantForm(_RoleFormMixin, forms.Form):
    user = forms.CharField(label=_("Tên đăng nhập"), max_length=150)
    unit = UnitField(label=_("Đơn vị (mã hoặc tên)"), max_length=300)
    role = forms.ChoiceField(label=_("Vai trò"))
    includes_subunits = forms.BooleanField(
        label=_("Cả đơn vị trực thuộc"),
        required=False,
        help_text=_("Vai trò có hiệu lực với mọi đơn vị cấp dưới của đơn vị này."),
    )
    reason = forms.CharField(label=_("Lý do / căn cứ"), max_length=500, required=False)

    def __init__(self, *args, roles: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_roles(roles)
        _bootstrap(self)
        self.fields["unit"].widget.attrs["list"] = "unit-suggestions"

    def clean_user(self):
        username = self.cleaned_data["user"].strip()
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            raise forms.ValidationError(
                _("Không có người dùng “%(value)s”. Hãy tạo người dùng mới."), params={"value": username}
            )
        if not user.is_active:
            raise forms.ValidationError(_("Tài khoản “%(value)s” đã bị khóa."), params={"value": username})
        return user


class UserOnboardForm(_RoleFormMixin, forms.Form):
    username = forms.RegexField(
        label=_("Tên đăng nhập"),
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        error_messages={"invalid": _("Chỉ dùng chữ không dấu, chữ số và các ký tự . @ + - _")},
        help_text=_("Ví dụ: nguyenvana.stp"),
    )
    full_name = forms.CharField(label=_("Họ và tên"), max_length=200)
    email = forms.EmailField(label=_("E-mail"), help_text=_("Người dùng nhận thư mời đặt mật khẩu ở địa chỉ này."))
    unit = UnitField(label=_("Đơn vị (mã hoặc tên)"), max_length=300)
    role = forms.ChoiceField(label=_("Vai trò"))
    includes_subunits = forms.BooleanField(label=_("Cả đơn vị trực thuộc"), required=False)
    send_invitation = forms.BooleanField(label=_("Gửi thư mời đặt mật khẩu"), required=False, initial=True)

    def __init__(self, *args, roles: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_roles(roles)
        _bootstrap(self)
        self.fields["unit"].widget.attrs["list"] = "unit-suggestions"

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("Tên đăng nhập “%(value)s” đã tồn tại."), params={"value": username})
        return username


class MembershipFilterForm(forms.Form):
    q = forms.CharField(label=_("Người dùng"), required=False, max_length=200)
    unit = forms.CharField(label=_("Đơn vị (mã hoặc tên)"), required=False, max_length=255)
    role = forms.ChoiceField(label=_("Vai trò"), required=False, choices=[("", _("Tất cả"))] + list(Role.choices))
    state = forms.ChoiceField(
        label=_("Trạng thái"),
        required=False,
        choices=[("", _("Đang hiệu lực")), ("ended", _("Đã kết thúc")), ("all", _("Tất cả"))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            small = "form-select form-select-sm" if name in ("role", "state") else "form-control form-control-sm"
            field.widget.attrs["class"] = small


def unit_suggestions(units) -> list[str]:
    """Options for the unit <datalist>: "code — name"."""
    return [f"{u.code} — {u.name}" for u in units if isinstance(u, OrgUnit)]
