"""The audit page and its CSV export: who sees which events, the filters, and a CSV that Excel opens safely."""

import csv
import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse

from parindex.core.exports import cell_safe
from parindex.core.models import AuditEvent
from parindex.core.services import audit_record
from parindex.orgs import services
from parindex.orgs.factories import make_unit
from parindex.orgs.models import UnitKind

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def record(*, unit, action="unit.update", actor=None, reason="", obj_repr="x"):
    with transaction.atomic():
        return audit_record(actor=actor, action=action, unit=unit, reason=reason, object_repr=obj_repr)


def listed(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


# --- who sees what ----------------------------------------------------------------------------------------------------


def test_a_manager_sees_the_events_of_their_units_only(login, cast):
    record(unit=cast.dept_a, obj_repr="Sự kiện của Sở Tư pháp")
    record(unit=cast.other_province, obj_repr="Sự kiện của tỉnh bên cạnh")
    body = listed(login(cast.manager).get(reverse("core:audit_list")))
    assert "Sự kiện của Sở Tư pháp" in body
    assert "Sự kiện của tỉnh bên cạnh" not in body


def test_the_manager_of_another_province_sees_their_own_events_only(login, cast):
    record(unit=cast.dept_a, obj_repr="Sự kiện của Sở Tư pháp")
    record(unit=cast.other_province, obj_repr="Sự kiện của tỉnh bên cạnh")
    body = listed(login(cast.other_manager).get(reverse("core:audit_list")))
    assert "Sự kiện của tỉnh bên cạnh" in body
    assert "Sự kiện của Sở Tư pháp" not in body


def test_a_system_admin_also_sees_events_without_a_unit(login, cast):
    record(unit=None, obj_repr="Sự kiện toàn hệ thống")
    assert "Sự kiện toàn hệ thống" in listed(login(cast.admin).get(reverse("core:audit_list")))
    assert "Sự kiện toàn hệ thống" not in listed(login(cast.manager).get(reverse("core:audit_list")))


@pytest.mark.parametrize("name", ["core:audit_list", "core:audit_csv"])
@pytest.mark.parametrize("who", ["officer_a", "outsider"])
def test_people_who_manage_nothing_may_not_read_the_audit_trail(login, cast, who, name):
    response = login(getattr(cast, who)).get(reverse(name))
    assert response.status_code == 403
    assert "Chức năng này dành cho quản lý Chỉ số" in response.content.decode()


@pytest.mark.parametrize("name", ["core:audit_list", "core:audit_csv"])
def test_the_audit_trail_sends_anonymous_visitors_to_login(client, db, name):
    assert client.get(reverse(name))["Location"].startswith(reverse("login"))


# --- filters ----------------------------------------------------------------------------------------------------------


def test_it_filters_by_unit_code_or_name(login, cast):
    record(unit=cast.dept_a, obj_repr="Tư pháp 1")
    record(unit=cast.dept_b, obj_repr="Tài chính 1")
    client = login(cast.manager)
    body = listed(client.get(reverse("core:audit_list"), {"unit": "P99-STP"}))
    assert "Tư pháp 1" in body and "Tài chính 1" not in body
    body = listed(client.get(reverse("core:audit_list"), {"unit": "tai chinh"}))
    assert "Tài chính 1" in body and "Tư pháp 1" not in body


def test_the_unit_filter_may_include_sub_units(login, cast):
    division = make_unit("Phòng Hành chính tư pháp", UnitKind.DIVISION, parent=cast.dept_a)
    record(unit=division, obj_repr="Sự kiện của phòng")
    client = login(cast.manager)
    assert "Sự kiện của phòng" not in listed(client.get(reverse("core:audit_list"), {"unit": "P99-STP"}))
    body = listed(client.get(reverse("core:audit_list"), {"unit": "P99-STP", "include_subunits": "on"}))
    assert "Sự kiện của phòng" in body


def test_it_filters_by_user_and_action(login, cast):
    services.unit_update(unit=cast.dept_a, short_name="STP", actor=cast.manager)
    services.unit_update(unit=cast.dept_b, short_name="STC", actor=cast.admin)
    client = login(cast.manager)
    body = listed(client.get(reverse("core:audit_list"), {"user": "manager", "action": "unit.update"}))
    assert "Sở Tư pháp" in body and "Sở Tài chính</td>" not in body
    body = listed(client.get(reverse("core:audit_list"), {"user": "Quản trị", "action": "unit.update"}))
    assert "STC" in body and "STP" not in body
    # Changes are shown with Vietnamese field names.
    assert "Tên ngắn: — → STC" in body
    # The action list names actions in Vietnamese.
    assert re.search(r'<option value="unit.update"( selected)?>Sửa đơn vị</option>', body)


def test_dates_are_whole_days_in_vietnam_time(login, cast):
    # 23:30 on 1 March in Vietnam is 16:30 UTC on the same day; 00:30 on 2 March is 17:30 UTC on 1 March.
    with time_machine.travel(dt.datetime(2025, 3, 1, 23, 30, tzinfo=VN), tick=False):
        record(unit=cast.dept_a, obj_repr="Tối 1/3")
    with time_machine.travel(dt.datetime(2025, 3, 2, 0, 30, tzinfo=VN), tick=False):
        record(unit=cast.dept_a, obj_repr="Sáng 2/3")
    client = login(cast.manager)
    body = listed(client.get(reverse("core:audit_list"), {"date_from": "2025-03-01", "date_to": "2025-03-01"}))
    assert "Tối 1/3" in body and "Sáng 2/3" not in body
    body = listed(client.get(reverse("core:audit_list"), {"date_from": "02/03/2025"}))
    assert "Sáng 2/3" in body and "Tối 1/3" not in body
    assert "01/03/2025 23:30" in listed(client.get(reverse("core:audit_list")))


def test_an_end_date_before_the_start_date_is_explained(login, cast):
    body = listed(
        login(cast.manager).get(reverse("core:audit_list"), {"date_from": "2025-03-02", "date_to": "2025-03-01"})
    )
    assert "“Đến ngày” phải sau hoặc bằng “Từ ngày”" in body


def test_the_list_is_paginated_and_keeps_the_filters(login, cast):
    for i in range(55):
        record(unit=cast.dept_a, obj_repr=f"Sự kiện số {i}")
    client = login(cast.manager)
    filters = {"unit": "P99-STP", "action": "unit.update"}
    body = listed(client.get(reverse("core:audit_list"), filters))
    assert "55 sự kiện" in body and "Trang 1/2" in body
    assert "unit=P99-STP&amp;action=unit.update&amp;trang=2" in body
    assert "Trang 2/2" in listed(client.get(reverse("core:audit_list"), {**filters, "trang": 2}))


# --- CSV --------------------------------------------------------------------------------------------------------------


def read_csv(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="nhat-ky-')
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_the_csv_export_holds_the_filtered_events_with_a_bom_and_vietnamese_text(login, cast):
    services.unit_update(unit=cast.dept_a, short_name="Tư pháp", actor=cast.manager, reason="Đổi tên ngắn")
    record(unit=cast.dept_b, obj_repr="Không được xuất")
    rows = read_csv(login(cast.manager).get(reverse("core:audit_csv"), {"unit": "P99-STP", "action": "unit.update"}))
    assert rows[0][:4] == ["Thời điểm", "Người thực hiện", "Họ và tên", "Hành động"]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Hành động"] == "Sửa đơn vị"
    assert row["Đơn vị"] == "Sở Tư pháp" and row["Mã đơn vị"] == "P99-STP"
    assert row["Họ và tên"] == "Trần Thị Quản Lý"
    assert row["Lý do"] == "Đổi tên ngắn"
    assert "Tư pháp" in row["Thay đổi"]


def test_the_csv_export_neutralises_formulas(login, cast):
    record(unit=cast.dept_a, reason='=HYPERLINK("http://evil.example","bấm")', obj_repr="+1-2")
    record(unit=cast.dept_a, reason="@SUM(A1)", obj_repr="-3")
    rows = read_csv(login(cast.manager).get(reverse("core:audit_csv")))
    cells = [cell for row in rows[1:] for cell in row]
    assert '\'=HYPERLINK("http://evil.example","bấm")' in cells
    assert "'@SUM(A1)" in cells and "'+1-2" in cells and "'-3" in cells
    assert not any(cell[:1] in "=+-@" for cell in cells if cell)


def test_the_csv_export_of_another_province_leaves_our_events_out(login, cast):
    record(unit=cast.dept_a, obj_repr="Của chúng tôi")
    rows = read_csv(login(cast.other_manager).get(reverse("core:audit_csv")))
    assert all("Của chúng tôi" not in row for row in rows)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("+84 90", "'+84 90"), ("-5", "'-5"), ("@x", "'@x"), ("\tx", "'\tx"), ("Sở", "Sở"), (None, "")],
)
def test_cell_safe(value, expected):
    assert cell_safe(value) == expected


def test_events_are_counted_in_the_page(login, cast):
    assert AuditEvent.objects.count() > 0  # the cast's own units and roles
    body = listed(login(cast.admin).get(reverse("core:audit_list")))
    assert f"{AuditEvent.objects.count()} sự kiện" in body
