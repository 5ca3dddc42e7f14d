"""Units, the current user, roles and personal API tokens. Access helper first, then a selector or a service."""

import datetime as dt
from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Header, Path, Query, Router, Status

from parindex.orgs import access, selectors, services
from parindex.orgs.models import OrgUnit, Role, UnitKind

from ..errors import error_responses
from ..lookups import unit_from_field
from ..pagination import DEFAULT_LIMIT, limit_param, offset_param, page
from ..schemas.common import MAX_ID, IsoDate, Text
from ..schemas.orgs import (
    MembershipEndIn,
    MembershipGrantIn,
    MembershipOut,
    MembershipPage,
    MeOut,
    TokenCreatedOut,
    TokenCreateIn,
    TokenOut,
    UnitCreateIn,
    UnitDetailOut,
    UnitPage,
    UnitPatchIn,
    UnitTreeOut,
)

router = Router()

UNITS = ["Đơn vị"]
ACCOUNT = ["Tài khoản"]
ROLES = ["Vai trò"]


def _etag(unit: OrgUnit) -> str:
    return f'"{unit.updated_at.isoformat()}"'


def _version_from_if_match(value: str | None) -> dt.datetime | None:
    """If-Match: "2025-07-01T01:02:03.456789+00:00" (the ETag of GET /units/{id}); W/ and quotes are optional."""
    if not value:
        return None
    text = value.strip().removeprefix("W/").strip().strip('"')
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or timezone.is_naive(moment):
        raise ValidationError(
            {"If-Match": ["Tiêu đề If-Match phải là ETag (giá trị updated_at) của đơn vị, như GET trả về."]}
        )
    return moment


# --- the current user -------------------------------------------------------------------------------------------------


@router.get("/me", response={200: MeOut, **error_responses(401)}, tags=ACCOUNT, summary="Người dùng hiện tại")
def me(request: HttpRequest):
    """Tài khoản đang gọi API và các vai trò còn hiệu lực của tài khoản đó."""
    user = request.auth
    access.require_login(user)
    roles = access.memberships_visible(user).filter(user=user, ended_at__isnull=True).order_by("unit__path", "role")
    return {
        "id": user.pk,
        "username": user.get_username(),
        "full_name": user.full_name,
        "email": user.email,
        "is_manager": access.is_manager(user),
        "is_system_admin": access.is_system_admin(user),
        "roles": list(roles),
    }


# --- units -----------------------------------------------------------------------------------------------------------


@router.get("/units", response={200: UnitPage, **error_responses(401, 422)}, tags=UNITS, summary="Danh mục đơn vị")
def unit_list(
    request: HttpRequest,
    q: Annotated[
        Text,
        Query("", max_length=255, description="Mã đơn vị (khớp đúng) hoặc tên, tên gọi khác (không dấu cũng được)."),
    ] = "",
    kind: Annotated[UnitKind | None, Query(description="Loại đơn vị.")] = None,
    on: Annotated[IsoDate | None, Query(description="Chỉ các đơn vị có hiệu lực vào ngày này (YYYY-MM-DD).")] = None,
    parent: Annotated[int | None, Query(ge=1, le=MAX_ID, description="id đơn vị cấp trên trực tiếp.")] = None,
    limit: Annotated[int, limit_param()] = DEFAULT_LIMIT,
    offset: Annotated[int, offset_param()] = 0,
):
    user = request.auth
    access.require_registry_read(user)
    parent_unit = unit_from_field(user, parent, "parent")
    units = selectors.unit_search(q=q, kind=kind, on=on, parent=parent_unit)
    return page(units, limit=limit, offset=offset)


@router.get(
    "/units/tree",
    response={200: list[UnitTreeOut], **error_responses(401, 404, 422)},
    tags=UNITS,
    summary="Cây đơn vị",
)
def unit_tree(
    request: HttpRequest,
    root: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="id đơn vị gốc; bỏ trống: các đơn vị cấp cao nhất.")
    ] = None,
    depth: Annotated[int, Query(ge=1, le=3, description="Số cấp đơn vị trực thuộc trả về (1–3).")] = 1,
    on: Annotated[IsoDate | None, Query(description="Ngày xét hiệu lực (mặc định: hôm nay).")] = None,
):
    user = request.auth
    access.require_registry_read(user)
    root_unit = access.require_unit(user, root) if root is not None else None
    return selectors.unit_tree(root=root_unit, depth=depth, on=on or timezone.localdate())


@router.get(
    "/units/{unit_id}",
    response={200: UnitDetailOut, **error_responses(401, 404, 422)},
    tags=UNITS,
    summary="Chi tiết đơn vị",
)
def unit_detail(request: HttpRequest, response: HttpResponse, unit_id: Annotated[int, Path(ge=1, le=MAX_ID)]):
    """Đơn vị, cấp trên, tên gọi khác, các đơn vị trước/sau. Tiêu đề ETag dùng cho If-Match khi sửa."""
    unit = access.require_unit(request.auth, unit_id)
    response["ETag"] = _etag(unit)
    return unit


@router.post(
    "/units",
    response={201: UnitDetailOut, **error_responses(400, 401, 403, 409, 422)},
    tags=UNITS,
    summary="Tạo đơn vị",
)
def unit_create(request: HttpRequest, response: HttpResponse, payload: UnitCreateIn):
    """Quản lý Chỉ số của đơn vị cấp trên (đơn vị cấp cao nhất: quản trị hệ thống)."""
    user = request.auth
    access.require_login(user)
    parent = unit_from_field(user, payload.parent, "parent")
    access.require_unit_place(user, parent)
    unit = services.unit_create(actor=user, parent=parent, **payload.model_dump(exclude={"parent"}))
    response["ETag"] = _etag(unit)
    return Status(201, unit)


@router.patch(
    "/units/{unit_id}",
    response={200: UnitDetailOut, **error_responses(400, 401, 403, 404, 409, 422)},
    tags=UNITS,
    summary="Sửa đơn vị",
)
def unit_update(
    request: HttpRequest,
    response: HttpResponse,
    unit_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    payload: UnitPatchIn,
    if_match: Annotated[str | None, Header(alias="If-Match", description="ETag đã đọc (thay cho updated_at).")] = None,
):
    """Chỉ các trường gửi lên được thay đổi. Bắt buộc gửi `updated_at` đã đọc (hoặc tiêu đề If-Match): nếu đơn vị đã
    bị người khác thay đổi sau đó, trả 409 và không ghi gì."""
    user = request.auth
    unit = access.require_unit(user, unit_id)
    access.require_unit_manage(user, unit)
    values = payload.model_dump(exclude_unset=True)
    expected = values.pop("updated_at", None) or _version_from_if_match(if_match)
    reason = values.pop("reason", "")
    if "parent" in values:
        new_parent = unit_from_field(user, values["parent"], "parent")
        if (new_parent.pk if new_parent else None) != unit.parent_id:
            access.require_unit_place(user, new_parent)
        values["parent"] = new_parent
    if expected is None:
        raise ValidationError(
            {
                "updated_at": [
                    "Cần gửi updated_at của đơn vị (hoặc tiêu đề If-Match) để tránh ghi đè thay đổi của người khác."
                ]
            }
        )
    unit = services.unit_update(unit=unit, actor=user, reason=reason, expected_updated_at=expected, **values)
    response["ETag"] = _etag(unit)
    return unit


# --- roles -----------------------------------------------------------------------------------------------------------


@router.get(
    "/memberships",
    response={200: MembershipPage, **error_responses(401, 422)},
    tags=ROLES,
    summary="Danh sách vai trò",
)
def membership_list(
    request: HttpRequest,
    unit: Annotated[int | None, Query(ge=1, le=MAX_ID, description="id đơn vị.")] = None,
    user: Annotated[int | None, Query(ge=1, le=MAX_ID, description="id người dùng.")] = None,
    role: Annotated[Role | None, Query(description="Vai trò.")] = None,
    active: Annotated[bool | None, Query(description="true: còn hiệu lực; false: đã kết thúc.")] = None,
    limit: Annotated[int, limit_param()] = DEFAULT_LIMIT,
    offset: Annotated[int, offset_param()] = 0,
):
    """Vai trò của chính bạn và vai trò trong các đơn vị bạn quản lý."""
    visible = access.memberships_visible(request.auth)
    unit_obj = unit_from_field(request.auth, unit, "unit")
    memberships = selectors.membership_filter(visible, unit=unit_obj, user_id=user, role=role, active=active)
    return page(memberships, limit=limit, offset=offset)


@router.post(
    "/memberships",
    response={201: MembershipOut, **error_responses(400, 401, 403, 422)},
    tags=ROLES,
    summary="Trao vai trò",
)
def membership_grant(request: HttpRequest, payload: MembershipGrantIn):
    """Quản lý Chỉ số của đơn vị trao vai trò cho một người; vai trò quản trị hệ thống chỉ do quản trị hệ thống trao."""
    actor = request.auth
    access.require_login(actor)
    unit = unit_from_field(actor, payload.unit, "unit")
    access.require_role_grant(actor, unit, payload.role)
    grantee = selectors.user_by_id(payload.user)
    if grantee is None:
        raise ValidationError({"user": [f"Không tìm thấy người dùng có id {payload.user}."]})
    membership = services.membership_grant(
        user=grantee,
        unit=unit,
        role=payload.role,
        includes_subunits=payload.includes_subunits,
        actor=actor,
        reason=payload.reason,
    )
    return Status(201, membership)


@router.post(
    "/memberships/{membership_id}/end",
    response={200: MembershipOut, **error_responses(400, 401, 403, 404, 422)},
    tags=ROLES,
    summary="Kết thúc vai trò",
)
def membership_end(
    request: HttpRequest, membership_id: Annotated[int, Path(ge=1, le=MAX_ID)], payload: MembershipEndIn
):
    membership = access.require_membership_end(request.auth, membership_id)
    return services.membership_end(membership=membership, actor=request.auth, reason=payload.reason)


# --- personal API tokens --------------------------------------------------------------------------------------------


@router.get(
    "/tokens", response={200: list[TokenOut], **error_responses(401)}, tags=ACCOUNT, summary="Token API của tôi"
)
def token_list(request: HttpRequest):
    access.require_login(request.auth)
    return selectors.api_tokens_of(request.auth)


@router.post(
    "/tokens",
    response={201: TokenCreatedOut, **error_responses(400, 401, 403, 422)},
    tags=ACCOUNT,
    summary="Tạo token API",
)
def token_create(request: HttpRequest, payload: TokenCreateIn):
    """Trả về token đầy đủ một lần duy nhất (trường `key`); máy chủ chỉ lưu mã băm."""
    user = request.auth
    access.require_login(user)
    token, key = services.api_token_create(user=user, name=payload.name, expires_at=payload.expires_at, actor=user)
    token.key = key
    return Status(201, token)


@router.post(
    "/tokens/{token_id}/revoke",
    response={200: TokenOut, **error_responses(401, 403, 404, 422)},
    tags=ACCOUNT,
    summary="Thu hồi token API",
)
def token_revoke(request: HttpRequest, token_id: Annotated[int, Path(ge=1, le=MAX_ID)]):
    token = access.require_own_api_token(request.auth, token_id)
    return services.api_token_revoke(token=token, actor=request.auth)
