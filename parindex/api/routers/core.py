"""The audit trail."""

from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router

from parindex.core import selectors
from parindex.orgs import access

from ..errors import error_responses
from ..lookups import unit_from_field
from ..pagination import DEFAULT_LIMIT, limit_param, offset_param, page
from ..schemas.common import MAX_ID, IsoDateTime, Text
from ..schemas.core import AuditEventPage

router = Router(tags=["Nhật ký"])


@router.get(
    "/audit-events",
    response={200: AuditEventPage, **error_responses(401, 403, 422)},
    summary="Nhật ký thay đổi",
)
def audit_event_list(
    request: HttpRequest,
    unit: Annotated[int | None, Query(ge=1, le=MAX_ID, description="id đơn vị.")] = None,
    subunits: Annotated[bool, Query(description="Gồm cả các đơn vị trực thuộc đơn vị `unit`.")] = False,
    user: Annotated[int | None, Query(ge=1, le=MAX_ID, description="id người thực hiện.")] = None,
    action: Annotated[
        Text | None,
        Query(max_length=100, description="Hành động, ví dụ unit.update; `unit.`: mọi hành động về đơn vị."),
    ] = None,
    since: Annotated[
        IsoDateTime | None, Query(description="Từ thời điểm (gồm cả thời điểm này); không ghi múi giờ: giờ Việt Nam.")
    ] = None,
    until: Annotated[IsoDateTime | None, Query(description="Đến trước thời điểm này.")] = None,
    limit: Annotated[int, limit_param()] = DEFAULT_LIMIT,
    offset: Annotated[int, offset_param()] = 0,
):
    """Quản lý Chỉ số xem nhật ký của các đơn vị mình quản lý; quản trị hệ thống xem toàn bộ. Mới nhất trước."""
    events = access.audit_events_visible(request.auth)
    unit_obj = unit_from_field(request.auth, unit, "unit")
    events = selectors.audit_event_filter(
        events, unit=unit_obj, include_subunits=subunits, actor_id=user, action=action, since=since, until=until
    )
    return page(events, limit=limit, offset=offset)
