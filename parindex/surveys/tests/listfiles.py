"""Helpers building respondent list files for the tests."""

from __future__ import annotations

import io

from parindex.surveys import lists

HEADER = [h for _f, h in lists.COLUMNS]
FIELDS = [f for f, _h in lists.COLUMNS]


def xlsx(rows: list[dict], *, header: list[str] | None = None, sheet: str = lists.SHEET, setup=None) -> bytes:
    """An .xlsx list: ``rows`` as {field: value} dicts under the template's header (or ``header``)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    header = header or HEADER
    ws.append(header)
    fields = [next((f for f, h in lists.COLUMNS if h == title), title) for title in header]
    for number, row in enumerate(rows, start=1):
        ws.append([row.get(f, number if f == "number" else None) for f in fields])
    if setup:
        setup(ws)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def official(name="Nguyễn Văn An", email="an@example.vn", phone="0912345678", unit="Sở Tư pháp", **more) -> dict:
    row = {
        "full_name": name,
        "email": email,
        "phone": phone,
        "position": "Phó Giám đốc",
        "unit": unit,
        "group": "can-bo",
    }
    row.update(more)
    return row


def citizen(
    name="Trần Thị Dân",
    email="",
    phone="0987000001",
    field="Hộ tịch",
    served="10/03/2026",
    received="20/03/2026",
    address="Số 5 đường Lê Lợi, phường Hòa Bình, tỉnh Thử Nghiệm",
    **more,
) -> dict:
    row = {
        "full_name": name,
        "email": email,
        "phone": phone,
        "group": "nguoi-dan",
        "procedure": "Đăng ký khai sinh",
        "procedure_field": field,
        "served_on": served,
        "result_received_on": received,
        "address": address,
    }
    row.update(more)
    return row


def citizens(n: int, *, fields=("Hộ tịch", "Chứng thực", "Đất đai"), start: int = 0) -> list[dict]:
    return [
        citizen(name=f"Người dân {i}", phone=f"0986{i:06d}", field=fields[i % len(fields)])
        for i in range(start, start + n)
    ]
