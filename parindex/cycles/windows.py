"""The one place that decides whether a cycle's window is open for a unit, now, on the server.

Every service that writes inside a window calls :func:`window_require_open` inside its transaction; pages and the
API read :func:`window_state` to show countdowns and why something is locked. Times are compared as aware
datetimes and shown in Asia/Ho_Chi_Minh time (``settings.TIME_ZONE``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from parindex.core.exceptions import WindowClosedError

from .models import UNIT_WINDOWS, Cycle, Extension, Window, WindowKind


def format_moment(moment: dt.datetime) -> str:
    """``17:00 ngày 15/10/2026`` in Vietnam's time."""
    local = timezone.localtime(moment)
    return f"{local:%H:%M} ngày {local:%d/%m/%Y}"


@dataclass(frozen=True)
class WindowState:
    kind: str
    label: str
    defined: bool
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None  # the effective close, an extension included
    extended_until: dt.datetime | None
    is_open: bool
    not_yet_open: bool
    message: str  # why it is closed ("" when open)

    @property
    def seconds_left(self) -> int | None:
        if not self.is_open or self.closes_at is None:
            return None
        return max(0, int((self.closes_at - timezone.now()).total_seconds()))


def _label(kind: str) -> str:
    return str(WindowKind(kind).label)


def active_extension(*, cycle: Cycle, kind: str, unit, now: dt.datetime | None = None) -> Extension | None:
    if unit is None or kind not in UNIT_WINDOWS:
        return None
    now = now or timezone.now()
    return (
        Extension.objects.filter(cycle=cycle, unit=unit, kind=kind, revoked_at__isnull=True, until__gt=now)
        .order_by("-until")
        .first()
    )


def window_state(
    *,
    cycle: Cycle,
    kind: str,
    unit=None,
    now: dt.datetime | None = None,
    windows: dict[str, Window] | None = None,
) -> WindowState:
    """Whether ``kind`` is open for ``unit`` at ``now`` (default: this instant). ``windows`` avoids a query when
    the caller already holds the cycle's windows by kind."""
    now = now or timezone.now()
    label = _label(kind)
    window = windows.get(kind) if windows is not None else Window.objects.filter(cycle=cycle, kind=kind).first()
    if window is None:
        return WindowState(
            kind, label, False, None, None, None, False, False, f"Chưa đặt thời hạn “{label}” cho đợt đánh giá này."
        )
    extension = None
    if now >= window.closes_at:
        extension = active_extension(cycle=cycle, kind=kind, unit=unit, now=now)
    closes_at = max(window.closes_at, extension.until) if extension else window.closes_at
    if now < window.opens_at:
        message = f"Thời hạn “{label}” chưa mở: mở từ {format_moment(window.opens_at)}."
        return WindowState(kind, label, True, window.opens_at, closes_at, None, False, True, message)
    if now >= closes_at:
        message = f"Thời hạn “{label}” đã kết thúc lúc {format_moment(closes_at)}; phần mềm đã khóa việc cập nhật."
        if kind in UNIT_WINDOWS:
            message += " Chỉ Quản lý Chỉ số mới có thể gia hạn cho đơn vị."
        return WindowState(kind, label, True, window.opens_at, closes_at, None, False, False, message)
    return WindowState(
        kind, label, True, window.opens_at, closes_at, extension.until if extension else None, True, False, ""
    )


def window_require_open(*, cycle: Cycle, kind: str, unit=None, now: dt.datetime | None = None) -> WindowState:
    """Raise :class:`WindowClosedError` (a PermissionDenied) unless ``kind`` is open for ``unit`` now."""
    state = window_state(cycle=cycle, kind=kind, unit=unit, now=now)
    if not state.is_open:
        raise WindowClosedError(state.message)
    return state


def cycle_windows(cycle: Cycle) -> dict[str, Window]:
    return {w.kind: w for w in Window.objects.filter(cycle=cycle)}


def windows_overview(*, cycle: Cycle, unit=None, now: dt.datetime | None = None) -> list[WindowState]:
    """Every window of the cycle in the order of the cycle's steps, for countdowns."""
    by_kind = cycle_windows(cycle)
    return [window_state(cycle=cycle, kind=k, unit=unit, now=now, windows=by_kind) for k in WindowKind.values]
