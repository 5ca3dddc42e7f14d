"""Shapes of units, people, roles and tokens on the wire. No logic: fields, descriptions and validation of form."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import ConfigDict, Field

from parindex.orgs import selectors
from parindex.orgs.models import Role, UnitKind

from .common import AwareIsoDateTime, DbId, IsoDate, Text


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)


# --- units --------------------------------------------------------------------------------------------------------


class UnitRef(Schema):
    id: int
    code: str
    name: str
    kind: str


class UnitOut(Schema):
    id: int
    code: str
    name: str
    short_name: str
    kind: str = Field(..., description="Loại đơn vị: " + ", ".join(UnitKind.values))
    parent_id: int | None
    valid_from: dt.date | None = Field(..., description="Hiệu lực từ ngày (null: không giới hạn).")
    valid_to: dt.date | None = Field(..., description="Hiệu lực đến ngày (null: không giới hạn).")
    updated_at: dt.datetime = Field(..., description="Phiên bản của đơn vị: gửi lại khi sửa (PATCH).")


class UnitPage(Schema):
    count: int = Field(..., description="Tổng số mục khớp điều kiện.")
    limit: int
    offset: int
    items: list[UnitOut]


class AliasOut(Schema):
    name: str
    valid_from: dt.date | None
    valid_to: dt.date | None


class LineageOut(Schema):
    predecessor: UnitRef
    successor: UnitRef
    kind: str = Field(..., description="merged_into, split_into, renamed, continued")
    kind_label: str
    effective_date: dt.date
    note: str

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())


class UnitDetailOut(UnitOut):
    kind_label: str
    parent: UnitRef | None
    source: str
    is_current: bool = Field(..., description="Đơn vị có hiệu lực hôm nay.")
    created_at: dt.datetime
    aliases: list[AliasOut]
    predecessors: list[LineageOut] = Field(..., description="Các đơn vị trước, kế thừa vào đơn vị này.")
    successors: list[LineageOut] = Field(..., description="Các đơn vị sau, kế thừa đơn vị này.")

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_aliases(obj):
        return obj.aliases.order_by("name")

    @staticmethod
    def resolve_predecessors(obj):
        return selectors.unit_predecessors(obj).select_related("successor").order_by("effective_date", "pk")

    @staticmethod
    def resolve_successors(obj):
        return selectors.unit_successors(obj).select_related("predecessor").order_by("effective_date", "pk")


class UnitTreeOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    has_children: bool = Field(..., description="Có đơn vị trực thuộc còn hiệu lực (kể cả khi chưa được trả về).")
    children: list[UnitTreeOut]

    @staticmethod
    def resolve_children(obj):
        return obj.tree_children


class UnitCreateIn(InputSchema):
    code: Text = Field(..., max_length=32, description="Mã đơn vị.")
    name: Text = Field(..., max_length=255)
    kind: UnitKind
    parent: DbId | None = Field(None, description="id đơn vị cấp trên; bỏ trống: đơn vị cấp cao nhất.")
    short_name: Text = Field("", max_length=255)
    valid_from: IsoDate | None = None
    valid_to: IsoDate | None = None
    source: Text = Field("", max_length=255)
    reason: Text = Field("", max_length=1000, description="Lý do, ghi vào nhật ký.")


class UnitPatchIn(InputSchema):
    """Only the fields sent are changed. ``updated_at`` (or the If-Match header) is the version last read."""

    updated_at: AwareIsoDateTime | None = Field(
        None, description="Giá trị updated_at đã đọc; nếu đơn vị đã bị thay đổi sau đó, trả lỗi 409."
    )
    code: Text = Field(None, max_length=32)
    name: Text = Field(None, max_length=255)
    kind: UnitKind = None
    parent: DbId | None = Field(None, description="id đơn vị cấp trên mới; null: chuyển lên cấp cao nhất.")
    short_name: Text = Field(None, max_length=255)
    valid_from: IsoDate | None = None
    valid_to: IsoDate | None = None
    source: Text = Field(None, max_length=255)
    reason: Text = Field("", max_length=1000, description="Lý do, ghi vào nhật ký.")


# --- people, roles, tokens ------------------------------------------------------------------------------------------


class UserRef(Schema):
    id: int
    username: str
    full_name: str


class RoleOut(Schema):
    membership_id: int
    role: str
    role_label: str
    unit: UnitRef
    includes_subunits: bool

    @staticmethod
    def resolve_membership_id(obj) -> int:
        return obj.pk

    @staticmethod
    def resolve_role_label(obj) -> str:
        return str(obj.get_role_display())


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    email: str
    is_manager: bool
    is_system_admin: bool
    roles: list[RoleOut]


class MembershipOut(Schema):
    id: int
    user: UserRef
    unit: UnitRef
    role: str = Field(..., description="Vai trò: " + ", ".join(Role.values))
    role_label: str
    includes_subunits: bool
    is_active: bool
    created_at: dt.datetime
    ended_at: dt.datetime | None

    @staticmethod
    def resolve_role_label(obj) -> str:
        return str(obj.get_role_display())


class MembershipPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[MembershipOut]


class MembershipGrantIn(InputSchema):
    user: DbId = Field(..., description="id người dùng nhận vai trò.")
    unit: DbId = Field(..., description="id đơn vị.")
    role: Role
    includes_subunits: bool = False
    reason: Text = Field("", max_length=1000)


class MembershipEndIn(InputSchema):
    reason: Text = Field(..., min_length=1, max_length=1000, description="Lý do kết thúc vai trò, ghi vào nhật ký.")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(..., description="Vài ký tự đầu của token, để nhận ra token.")
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    is_usable: bool

    @staticmethod
    def resolve_is_usable(obj) -> bool:
        return obj.is_usable()


class TokenCreatedOut(TokenOut):
    key: str = Field(..., description="Token đầy đủ. Chỉ hiển thị một lần; hãy lưu lại ngay.")


class TokenCreateIn(InputSchema):
    name: Text = Field(..., min_length=1, max_length=100)
    expires_at: AwareIsoDateTime | None = Field(None, description="Hết hạn lúc (bỏ trống: không hết hạn).")
