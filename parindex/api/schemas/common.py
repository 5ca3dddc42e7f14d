"""Field types shared by the schemas: what every database accepts, refused with a Vietnamese message otherwise."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from django.utils import timezone
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}:?\d{2})?", re.IGNORECASE)
# C0 control characters other than tab and line breaks; PostgreSQL refuses NUL outright.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

DATE_MESSAGE = "Ngày không hợp lệ; dùng dạng YYYY-MM-DD."
DATETIME_MESSAGE = "Thời điểm không hợp lệ; dùng dạng ISO 8601, ví dụ 2025-07-01T08:00:00+07:00."


def _iso_date(value: Any) -> Any:
    # Pydantic would also read numbers as Unix timestamps: 20250701 would become a day in 1970.
    if isinstance(value, dt.date) or (isinstance(value, str) and _DATE.fullmatch(value.strip())):
        return value
    raise ValueError(DATE_MESSAGE)


def _iso_datetime(value: Any) -> Any:
    if isinstance(value, dt.datetime) or (isinstance(value, str) and _DATETIME.fullmatch(value.strip())):
        return value
    raise ValueError(DATETIME_MESSAGE)


def _utc(value: dt.datetime) -> dt.datetime:
    """Moments travel to the database in UTC: offsets past ±15:59 and years at the edge are not for every database."""
    try:
        if timezone.is_naive(value):
            value = timezone.make_aware(value)  # Vietnam time, the site's zone
        return value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise ValueError("Thời điểm nằm ngoài phạm vi cho phép.") from None


def _clean_text(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("Không được chứa ký tự điều khiển (như NUL).")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Chuỗi ký tự không hợp lệ (không mã hóa được bằng UTF-8).") from None
    return value


MAX_ID = 2**63 - 1  # the largest key a BIGINT column holds

DbId = Annotated[int, Field(ge=1, le=MAX_ID)]
"""The id of a row."""

Text = Annotated[str, AfterValidator(_clean_text)]
"""Text a person would type: no control characters, valid UTF-8."""

IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
"""A day written YYYY-MM-DD."""

IsoDateTime = Annotated[dt.datetime, BeforeValidator(_iso_datetime), AfterValidator(_utc)]
"""A moment in ISO 8601; without a time zone it is Vietnam time."""

AwareIsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime), AfterValidator(_utc)]
"""A moment in ISO 8601 with its time zone."""
