from __future__ import annotations

import datetime as dt
from typing import Any

from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder


class FullPrecisionEncoder(NinjaJSONEncoder):
    """Django's encoder cuts microseconds to milliseconds; ``updated_at`` is sent back for optimistic concurrency
    and must compare equal, so moments keep every digit."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime | dt.time):
            return o.isoformat()
        return super().default(o)


class ApiRenderer(JSONRenderer):
    encoder_class = FullPrecisionEncoder
    json_dumps_params = {"ensure_ascii": False}
