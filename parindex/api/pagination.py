"""limit/offset pages that say how many items there are in all."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from ninja import Query

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_OFFSET = 10_000_000  # far past any list here, and inside what every database takes for OFFSET


def limit_param() -> Any:
    """``limit: Annotated[int, limit_param()] = DEFAULT_LIMIT``"""
    return Query(ge=1, le=MAX_LIMIT, description=f"Số mục mỗi trang (tối đa {MAX_LIMIT}).")


def offset_param() -> Any:
    """``offset: Annotated[int, offset_param()] = 0``"""
    return Query(ge=0, le=MAX_OFFSET, description="Bỏ qua bao nhiêu mục đầu.")


def page(items: QuerySet | Sequence, *, limit: int, offset: int) -> dict:
    count = items.count() if isinstance(items, QuerySet) else len(items)
    return {"count": count, "limit": limit, "offset": offset, "items": list(items[offset : offset + limit])}
