"""Writes on units, groups, users, memberships and tokens. Each one is atomic and audited."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from parindex.core.exceptions import ConflictError
from parindex.core.services import audit_record, diff_fields
from parindex.core.text import name_key

from .models import (
    ApiToken,
    LineageKind,
    Membership,
    OrgUnit,
    OrgUnitAlias,
    Role,
    SecurityPolicy,
    UnitGroup,
    UnitKind,
    UnitLineage,
    User,
)

UNIT_EDITABLE_FIELDS = ("code", "name", "short_name", "kind", "parent", "valid_from", "valid_to", "source")


def _fmt(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "không giới hạn"


def periods_overlap(a_from, a_to, b_from, b_to) -> bool:
    lo = dt.date.min
    hi = dt.date.max
    return (a_from or lo) <= (b_to or hi) and (b_from or lo) <= (a_to or hi)


def validate_unit_values(
    *,
    code: str,
    name: str,
    kind: str,
    parent: OrgUnit | None,
    valid_from: dt.date | None,
    valid_to: dt.date | None,
    unit: OrgUnit | None = None,
) -> None:
    """The rules every unit obeys, whoever writes it (form, API, import). Raises ValidationError by field."""
    errors: dict[str, list[str]] = {}
    code = (code or "").strip()
    if not code:
        errors.setdefault("code", []).append("Mã đơn vị không được để trống.")
    elif len(code) > 32:
        errors.setdefault("code", []).append(f"Mã đơn vị “{code}” dài quá 32 ký tự.")
    if not (name or "").strip():
        errors.setdefault("name", []).append("Tên đơn vị không được để trống.")
    if kind not in UnitKind.values:
        errors.setdefault("kind", []).append(
            f"Loại đơn vị “{kind}” không hợp lệ; dùng một trong: {', '.join(UnitKind.values)}."
        )
    if valid_from and valid_to and valid_to < valid_from:
        errors.setdefault("valid_to", []).append(
            f"Ngày hết hiệu lực ({_fmt(valid_to)}) trước ngày có hiệu lực ({_fmt(valid_from)})."
        )
    if (
        parent is not None
        and unit is not None
        and unit.pk
        and (parent.pk == unit.pk or parent.path.startswith(unit.path))
    ):
        errors.setdefault("parent", []).append(
            f"Không thể đặt “{parent}” làm cấp trên của “{unit}”: cây đơn vị sẽ bị vòng lặp."
        )
    if code and "code" not in errors:
        clash = OrgUnit.objects.filter(code=code)
        if unit is not None and unit.pk:
            clash = clash.exclude(pk=unit.pk)
        for other in clash:
            if periods_overlap(valid_from, valid_to, other.valid_from, other.valid_to):
                errors.setdefault("code", []).append(
                    f"Mã “{code}” đã dùng cho “{other.name}” ({_fmt(other.valid_from)} – {_fmt(other.valid_to)}); "
                    "hai đơn vị cùng mã không được có thời gian hiệu lực chồng nhau."
                )
                break
    if errors:
        raise ValidationError(errors)


def _path_for(unit: OrgUnit) -> str:
    return f"{unit.parent.path if unit.parent_id else '/'}{unit.pk}/"


@transaction.atomic
def unit_create(
    *,
    code: str,
    name: str,
    kind: str,
    parent: OrgUnit | None = None,
    short_name: str = "",
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    source: str = "",
    actor,
    reason: str = "",
) -> OrgUnit:
    code = code.strip()
    validate_unit_values(code=code, name=name, kind=kind, parent=parent, valid_from=valid_from, valid_to=valid_to)
    unit = OrgUnit(
        code=code,
        name=name.strip(),
        short_name=short_name.strip(),
        kind=kind,
        parent=parent,
        valid_from=valid_from,
        valid_to=valid_to,
        source=source,
        name_key=name_key(name),
    )
    unit.save()
    unit.path = _path_for(unit)
    unit.save(update_fields=["path"])
    audit_record(
        actor=actor,
        action="unit.create",
        obj=unit,
        unit=unit,
        reason=reason,
        changes={f: [None, getattr(unit, f)] for f in ("code", "name", "kind", "parent", "valid_from", "valid_to")},
    )
    return unit


@transaction.atomic
def unit_update(
    *, unit: OrgUnit, actor, reason: str = "", expected_updated_at: dt.datetime | None = None, **values
) -> OrgUnit:
    """With ``expected_updated_at`` (the version the caller last saw) a unit changed since then is not overwritten:
    ConflictError is raised instead."""
    unknown = set(values) - set(UNIT_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Unknown unit fields: {sorted(unknown)}")
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    if expected_updated_at is not None and unit.updated_at != expected_updated_at:
        changed = timezone.localtime(unit.updated_at).strftime("%H:%M:%S %d/%m/%Y")
        raise ConflictError(
            f"Đơn vị “{unit}” đã được thay đổi lúc {changed}, sau lần bạn tải dữ liệu; "
            "hãy tải lại đơn vị rồi sửa lại trên dữ liệu mới nhất.",
            current_version=unit.updated_at.isoformat(),
        )
    merged = {f: values.get(f, getattr(unit, f)) for f in UNIT_EDITABLE_FIELDS}
    validate_unit_values(
        code=merged["code"],
        name=merged["name"],
        kind=merged["kind"],
        parent=merged["parent"],
        valid_from=merged["valid_from"],
        valid_to=merged["valid_to"],
        unit=unit,
    )
    changes = diff_fields(unit, values)
    if not changes:
        return unit
    old_path = unit.path
    for field, value in values.items():
        setattr(unit, field, value)
    unit.name_key = name_key(unit.name)
    if "parent" in changes:
        unit.path = _path_for(unit)
    unit.save()
    if unit.path != old_path:
        # Move the whole subtree along with it.
        for child in OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk):
            child.path = unit.path + child.path[len(old_path) :]
            child.save(update_fields=["path"])
    audit_record(actor=actor, action="unit.update", obj=unit, unit=unit, changes=changes, reason=reason)
    return unit


@transaction.atomic
def unit_end(*, unit: OrgUnit, valid_to: dt.date, actor, reason: str) -> OrgUnit:
    """Units are never deleted: they end on a date."""
    if not reason.strip():
        raise ValidationError({"reason": ["Cần nêu lý do kết thúc hiệu lực đơn vị."]})
    return unit_update(unit=unit, valid_to=valid_to, actor=actor, reason=reason)


@transaction.atomic
def alias_add(*, unit: OrgUnit, name: str, valid_from=None, valid_to=None, actor) -> OrgUnitAlias:
    alias, created = OrgUnitAlias.objects.get_or_create(
        unit=unit,
        name=name.strip(),
        defaults={"name_key": name_key(name), "valid_from": valid_from, "valid_to": valid_to},
    )
    if created:
        audit_record(actor=actor, action="unit.alias_add", obj=alias, unit=unit)
    return alias


@transaction.atomic
def lineage_add(
    *,
    predecessor: OrgUnit,
    successor: OrgUnit,
    kind: str,
    effective_date: dt.date,
    actor,
    note: str = "",
    source: str = "",
    weight=None,
) -> UnitLineage:
    errors = {}
    if predecessor is None or successor is None or not predecessor.pk or not successor.pk:
        errors["successor"] = ["Đơn vị kế thừa không tồn tại."]
    elif predecessor.pk == successor.pk:
        errors["successor"] = [f"“{predecessor}” không thể kế thừa chính nó."]
    if kind not in LineageKind.values:
        errors["kind"] = [f"Hình thức kế thừa “{kind}” không hợp lệ."]
    if errors:
        raise ValidationError(errors)
    link = UnitLineage.objects.create(
        predecessor=predecessor,
        successor=successor,
        kind=kind,
        effective_date=effective_date,
        note=note,
        source=source,
        weight=weight,
    )
    audit_record(
        actor=actor,
        action="unit.lineage_add",
        obj=link,
        unit=successor,
        changes={
            "predecessor": [None, predecessor.code],
            "successor": [None, successor.code],
            "kind": [None, kind],
            "effective_date": [None, effective_date],
        },
    )
    return link


# --- groups -----------------------------------------------------------------------------------------------------


@transaction.atomic
def group_create(
    *, code: str, name: str, owner: OrgUnit | None, units: Iterable[OrgUnit] = (), description="", actor
) -> UnitGroup:
    if UnitGroup.objects.filter(code=code).exists():
        raise ValidationError({"code": [f"Mã nhóm “{code}” đã tồn tại."]})
    group = UnitGroup.objects.create(code=code, name=name, owner=owner, description=description)
    units = list(units)
    group.units.set(units)
    audit_record(
        actor=actor, action="group.create", obj=group, unit=owner, changes={"units": [[], [u.code for u in units]]}
    )
    return group


@transaction.atomic
def group_set_units(*, group: UnitGroup, units: Iterable[OrgUnit], actor, reason: str = "") -> UnitGroup:
    units = list(units)
    before = sorted(group.units.values_list("code", flat=True))
    group.units.set(units)
    after = sorted(u.code for u in units)
    if before != after:
        audit_record(
            actor=actor,
            action="group.set_units",
            obj=group,
            unit=group.owner,
            changes={"units": [before, after]},
            reason=reason,
        )
    return group


GROUP_EDITABLE_FIELDS = ("name", "description", "is_active")


@transaction.atomic
def group_update(*, group: UnitGroup, actor, reason: str = "", units: Iterable[OrgUnit] | None = None, **values):
    """Change a group's name, description or state and, when ``units`` is given, its members."""
    unknown = set(values) - set(GROUP_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Unknown group fields: {sorted(unknown)}")
    if "name" in values and not (values["name"] or "").strip():
        raise ValidationError({"name": ["Tên nhóm không được để trống."]})
    group = UnitGroup.objects.select_for_update().get(pk=group.pk)
    changes = diff_fields(group, values)
    if changes:
        for field, value in values.items():
            setattr(group, field, value)
        group.save(update_fields=[*values, "updated_at"])
        audit_record(actor=actor, action="group.update", obj=group, unit=group.owner, changes=changes, reason=reason)
    if units is not None:
        group_set_units(group=group, units=units, actor=actor, reason=reason)
    return group


# --- users and memberships ----------------------------------------------------------------------------------------


@transaction.atomic
def user_create(
    *,
    username: str,
    email: str = "",
    full_name: str = "",
    password: str | None = None,
    actor,
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": [f"Tên đăng nhập “{username}” đã tồn tại."]})
    user = User(username=username, email=email, full_name=full_name, is_staff=is_staff, is_superuser=is_superuser)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_record(
        actor=actor, action="user.create", obj=user, changes={"username": [None, username], "email": [None, email]}
    )
    return user


@transaction.atomic
def membership_grant(
    *, user: User, unit: OrgUnit, role: str, includes_subunits: bool = False, actor, reason: str = ""
) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": [f"Vai trò “{role}” không hợp lệ."]})
    existing = Membership.objects.filter(user=user, unit=unit, role=role, ended_at__isnull=True).first()
    if existing:
        if existing.includes_subunits != includes_subunits:
            changes = diff_fields(existing, {"includes_subunits": includes_subunits})
            existing.includes_subunits = includes_subunits
            existing.save(update_fields=["includes_subunits", "updated_at"])
            audit_record(
                actor=actor, action="membership.update", obj=existing, unit=unit, changes=changes, reason=reason
            )
        return existing
    membership = Membership.objects.create(user=user, unit=unit, role=role, includes_subunits=includes_subunits)
    audit_record(
        actor=actor,
        action="membership.grant",
        obj=membership,
        unit=unit,
        reason=reason,
        changes={"user": [None, user.username], "role": [None, role], "includes_subunits": [None, includes_subunits]},
    )
    return membership


@transaction.atomic
def membership_end(*, membership: Membership, actor, reason: str = "") -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.ended_at is not None:
        return membership
    membership.ended_at = timezone.now()
    membership.save(update_fields=["ended_at", "updated_at"])
    audit_record(
        actor=actor,
        action="membership.end",
        obj=membership,
        unit=membership.unit,
        reason=reason,
        changes={"ended_at": [None, membership.ended_at]},
    )
    return membership


@transaction.atomic
def security_policy_update(*, require_2fa_roles: list[str], actor, reason: str = "") -> SecurityPolicy:
    bad = [r for r in require_2fa_roles if r not in Role.values]
    if bad:
        raise ValidationError({"require_2fa_roles": [f"Vai trò không hợp lệ: {', '.join(bad)}."]})
    policy = SecurityPolicy.current()
    changes = diff_fields(policy, {"require_2fa_roles": sorted(require_2fa_roles)})
    if changes:
        policy.require_2fa_roles = sorted(require_2fa_roles)
        policy.save()
        audit_record(actor=actor, action="security.policy_update", obj=policy, changes=changes, reason=reason)
        transaction.on_commit(lambda: cache.delete(SecurityPolicy.CACHE_KEY))
    return policy


# --- API tokens -------------------------------------------------------------------------------------------------


@transaction.atomic
def api_token_create(*, user: User, name: str, expires_at=None, actor) -> tuple[ApiToken, str]:
    """Returns the token row and the clear key, which is shown once and never stored."""
    if not name.strip():
        raise ValidationError({"name": ["Hãy đặt tên cho token."]})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": ["Thời điểm hết hạn của token phải ở tương lai."]})
    key = "pi_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip(), prefix=key[:10], key_hash=ApiToken.hash_key(key), expires_at=expires_at
    )
    audit_record(actor=actor, action="api_token.create", obj=token, changes={"name": [None, token.name]})
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor, action="api_token.revoke", obj=token, changes={"revoked_at": [None, token.revoked_at]}
        )
    return token


def api_token_authenticate(key: str) -> User | None:
    if not key:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash_key(key)).first()
    if token is None or not token.is_usable() or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)  # usage stamp, not a state change
    return token.user


# --- passwords, invitations, second factor ------------------------------------------------------------------------


@transaction.atomic
def user_set_password(*, user: User, password: str, actor, reason: str = "") -> User:
    """Set a password already checked by the password validators. The audit row never holds the password."""
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(actor=actor, action="user.password_set", obj=user, reason=reason)
    return user


def _send_invitation(*, user_id: int, invited_by: str) -> None:
    from django.conf import settings
    from django.contrib.auth.tokens import default_token_generator
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = User.objects.get(pk=user_id)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": default_token_generator.make_token(user)})
    context = {
        "user": user,
        "invited_by": invited_by,
        "url": settings.SITE_URL.rstrip("/") + path,
        "login_url": settings.SITE_URL.rstrip("/") + reverse("login"),
        "timeout_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }
    subject = "".join(render_to_string("registration/invitation_subject.txt", context).splitlines())
    body = render_to_string("registration/invitation_email.txt", context)
    send_mail(subject, body, None, [user.email])


@transaction.atomic
def user_invite(*, user: User, actor) -> User:
    """E-mail the user a link to choose a password (the password-reset token), after the transaction commits."""
    if not user.email:
        raise ValidationError(
            {"email": [f"Người dùng “{user.get_username()}” chưa có địa chỉ e-mail để nhận lời mời."]}
        )
    audit_record(actor=actor, action="user.invite", obj=user, changes={"email": [None, user.email]})
    invited_by = getattr(actor, "display_name", "") or "parindex"
    transaction.on_commit(lambda: _send_invitation(user_id=user.pk, invited_by=invited_by))
    return user


@transaction.atomic
def user_onboard(
    *,
    username: str,
    email: str,
    full_name: str,
    unit: OrgUnit,
    role: str,
    includes_subunits: bool = False,
    send_invitation: bool = True,
    actor,
) -> tuple[User, Membership]:
    """A new user with a first role, invited by e-mail: all or nothing."""
    user = user_create(username=username, email=email, full_name=full_name, actor=actor)
    membership = membership_grant(user=user, unit=unit, role=role, includes_subunits=includes_subunits, actor=actor)
    if send_invitation:
        user_invite(user=user, actor=actor)
    return user, membership


@transaction.atomic
def two_factor_enable(*, user: User, key: str, token: str, actor) -> tuple[object, list[str]]:
    """Confirm a TOTP secret with a code from the app. Replaces earlier devices and issues ten backup codes.

    Returns the new TOTP device and the backup codes (shown once)."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice(user=user, key=key, name="Ứng dụng xác thực", confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    code = (token or "").strip().replace(" ", "")
    if not (code.isdigit() and totp.verify(int(code), tolerance=device.tolerance)):
        raise ValidationError(
            {"token": ["Mã xác thực không đúng hoặc đã hết hạn; hãy nhập mã đang hiện trên ứng dụng."]}
        )
    device.last_t = totp.t()
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    device.save()
    backup = StaticDevice.objects.create(user=user, name="Mã dự phòng", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(10)]
    StaticToken.objects.bulk_create([StaticToken(device=backup, token=c) for c in codes])
    audit_record(actor=actor, action="two_factor.enable", obj=user, changes={"two_factor": [False, True]})
    return device, codes


@transaction.atomic
def two_factor_disable(*, user: User, actor, reason: str = "") -> int:
    """Remove the user's second-factor devices (own choice, or a reset by a system administrator)."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    removed = TOTPDevice.objects.filter(user=user).delete()[0] + StaticDevice.objects.filter(user=user).delete()[0]
    if removed:
        audit_record(
            actor=actor, action="two_factor.disable", obj=user, changes={"two_factor": [True, False]}, reason=reason
        )
    return removed
