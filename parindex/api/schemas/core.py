from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema

from .orgs import UnitRef, UserRef


class AuditEventOut(Schema):
    id: int
    created_at: dt.datetime
    actor: UserRef | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    unit: UnitRef | None
    changes: dict[str, Any]
    reason: str
    ip: str | None


class AuditEventPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AuditEventOut]
