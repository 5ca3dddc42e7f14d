"""When a window is open, decided on the server in Vietnam's time, extensions for one unit included; and how its
countdown reads."""

import datetime as dt

import pytest
import time_machine

from parindex.cycles import selectors, services
from parindex.cycles.factories import CLOSES, WINDOWS, inside, vn
from parindex.cycles.windows import window_state, windows_overview

pytestmark = [pytest.mark.django_db]
SECOND = dt.timedelta(seconds=1)


def test_a_window_is_open_a_second_before_its_close_in_vietnam_time_and_closed_at_it(cyc, cast):
    close = CLOSES["self_assessment"]
    assert close.utcoffset() == dt.timedelta(hours=7)
    before = window_state(cycle=cyc.cycle, kind="self_assessment", now=close - SECOND)
    assert before.is_open
    assert before.seconds_left is None or before.seconds_left >= 0
    at = window_state(cycle=cyc.cycle, kind="self_assessment", now=close)
    after = window_state(cycle=cyc.cycle, kind="self_assessment", now=close + SECOND)
    assert not at.is_open and not after.is_open
    assert "17:00 ngày 15/12/2026" in after.message
    # 17:00 in Hà Nội is 10:00 UTC: a server reading UTC wall-clock time would get this wrong.
    assert window_state(
        cycle=cyc.cycle, kind="self_assessment", now=dt.datetime(2026, 12, 15, 9, 59, 59, tzinfo=dt.UTC)
    ).is_open
    assert not window_state(
        cycle=cyc.cycle, kind="self_assessment", now=dt.datetime(2026, 12, 15, 10, tzinfo=dt.UTC)
    ).is_open


def test_a_window_not_yet_open_says_from_when(cyc):
    opens = WINDOWS["appraisal_1"][0]
    state = window_state(cycle=cyc.cycle, kind="appraisal_1", now=opens - SECOND)
    assert not state.is_open and state.not_yet_open
    assert "mở từ 08:00 ngày 05/01/2027" in state.message
    assert window_state(cycle=cyc.cycle, kind="appraisal_1", now=opens).is_open


def test_an_extension_opens_the_window_for_that_unit_only(cyc, cast):
    until = vn(2026, 12, 20, 17)
    with time_machine.travel(inside("self_assessment")):
        services.extension_grant(
            cycle=cyc.cycle, unit=cast.dept_a, kind="self_assessment", until=until, reason="Ốm", actor=cast.manager
        )
    later = CLOSES["self_assessment"] + dt.timedelta(days=2)
    for_a = window_state(cycle=cyc.cycle, kind="self_assessment", unit=cast.dept_a, now=later)
    for_b = window_state(cycle=cyc.cycle, kind="self_assessment", unit=cast.dept_b, now=later)
    general = window_state(cycle=cyc.cycle, kind="self_assessment", now=later)
    assert for_a.is_open and for_a.extended_until == until and for_a.closes_at == until
    assert not for_b.is_open and not general.is_open
    assert not window_state(cycle=cyc.cycle, kind="self_assessment", unit=cast.dept_a, now=until).is_open
    assert window_state(cycle=cyc.cycle, kind="self_assessment", unit=cast.dept_a, now=until - SECOND).is_open


def test_a_revoked_extension_no_longer_opens_the_window(cyc, cast):
    with time_machine.travel(inside("self_assessment")):
        extension = services.extension_grant(
            cycle=cyc.cycle,
            unit=cast.dept_a,
            kind="self_assessment",
            until=vn(2026, 12, 20, 17),
            reason="Ốm",
            actor=cast.manager,
        )
        services.extension_revoke(extension=extension, actor=cast.manager, reason="Nhầm đơn vị")
    later = CLOSES["self_assessment"] + dt.timedelta(days=2)
    assert not window_state(cycle=cyc.cycle, kind="self_assessment", unit=cast.dept_a, now=later).is_open


def test_an_undefined_window_is_closed_and_says_so(cyc):
    cyc.cycle.windows.filter(kind="publication").delete()
    state = window_state(cycle=cyc.cycle, kind="publication", now=inside("publication"))
    assert not state.defined and not state.is_open
    assert selectors.window_display(state)["badge"] == "Chưa đặt"


def test_countdowns_read_in_vietnamese(cyc, cast):
    now = CLOSES["self_assessment"] - dt.timedelta(days=3, hours=4, minutes=10)
    states = {s.kind: s for s in windows_overview(cycle=cyc.cycle, now=now)}
    assert selectors.window_display(states["self_assessment"], now)["text"] == "còn 3 ngày 4 giờ"
    assert selectors.window_display(states["self_assessment"], now)["badge"] == "Đang mở"
    soon = CLOSES["self_assessment"] - dt.timedelta(hours=5, minutes=12)
    state = window_state(cycle=cyc.cycle, kind="self_assessment", now=soon)
    assert selectors.window_display(state, soon) | {} == {
        "badge": "Sắp đóng",
        "css": "text-bg-warning",
        "text": "còn 5 giờ 12 phút",
        "detail": "đóng lúc 17:00 ngày 15/12/2026",
    }
    assert selectors.window_display(states["appraisal_1"], now)["text"] == "mở từ 08:00 ngày 05/01/2027"
    closed_at = CLOSES["self_assessment"] + SECOND
    state = window_state(cycle=cyc.cycle, kind="self_assessment", now=closed_at)
    assert selectors.window_display(state, closed_at)["text"] == "đã đóng lúc 17:00 ngày 15/12/2026"
    assert selectors.duration_text(30) == "dưới 1 phút"
    assert selectors.duration_text(3600) == "1 giờ"
