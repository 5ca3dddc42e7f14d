"""The self-assessment report as an Excel workbook, written from a frozen copy (``selectors.snapshot``).

A submitted report is written from the copy its :class:`Submission` keeps, so later edits never change it; the
current grid is written from a fresh copy. Frozen header, two-decimal number format, filters, formula-safe text.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from parindex.core.exports import cell_safe

from . import selectors

HEADERS = [
    ("STT", 9),
    ("Tiêu chí", 60),
    ("Điểm tối đa", 11),
    ("Số liệu kê khai", 22),
    ("Cách chấm điểm", 40),
    ("Điểm tự chấm", 12),
    ("Cách tính", 40),
    ("Tài liệu kiểm chứng", 60),
    ("Giải trình", 50),
]
POINTS_FORMAT = "0.00"


def _number(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _when(text: str | None) -> str:
    if not text:
        return ""
    moment = parse_datetime(text)
    if moment is None:
        return text
    return timezone.localtime(moment).strftime("%H:%M %d/%m/%Y")


def _evidence_text(items: list[dict]) -> str:
    lines = []
    for item in items:
        parts = [item.get("title") or ""]
        if item.get("number"):
            parts.append(f"số {item['number']}")
        if item.get("issued_on"):
            y, m, d = item["issued_on"].split("-")
            parts.append(f"ngày {d}/{m}/{y}")
        if item.get("url"):
            parts.append(item["url"])
        if item.get("sha256"):
            parts.append(f"SHA-256 {item['sha256'][:16]}…")
        if item.get("supplementary"):
            parts.append("bổ sung sau khi gửi")
        lines.append("; ".join(p for p in parts if p))
    return "\n".join(lines)


def workbook_bytes(data: dict, *, title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Tự đánh giá"
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    info = [
        (title, ""),
        ("Đơn vị", data["unit"]["name"]),
        ("Đợt đánh giá", data["cycle"]["name"]),
        ("Bộ chỉ số", data["framework"]["name"]),
    ]
    if data.get("number"):
        info.append(("Gửi lần", data["number"]))
        info.append(("Gửi lúc", _when(data.get("submitted_at"))))
        info.append(("Người gửi", data.get("submitted_by") or ""))
    else:
        info.append(("Trích xuất lúc", _when(data.get("taken_at"))))
    for label, value in info:
        ws.append([cell_safe(label), cell_safe(value)])
    ws.cell(row=1, column=1).font = Font(bold=True, size=13)
    ws.append([""])
    ws.append([name for name, _width in HEADERS])
    header_row = ws.max_row
    for column, (_name, width) in enumerate(HEADERS, start=1):
        cell = ws.cell(row=header_row, column=column)
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(column)].width = width
    heading_fill = PatternFill("solid", fgColor="F2F2F2")
    for item in data["rows"]:
        indent = "  " * (item["depth"] - 1)
        if item["heading"]:
            values = [
                cell_safe(item["code"]),
                cell_safe(indent + item["name"]),
                _number(item["max_points"]),
                "",
                "",
                _number(item.get("subtotal")),
                "",
                "",
                "",
            ]
        else:
            values = [
                cell_safe(item["code"]),
                cell_safe(indent + item["name"]),
                _number(item["max_points"]),
                cell_safe(item.get("declared_text") or ""),
                cell_safe(item.get("rule_text") or ""),
                _number(item.get("self_points")) if item.get("self_scored") else None,
                cell_safe(item.get("self_note") or ("Không tự chấm" if not item.get("self_scored") else "")),
                cell_safe(_evidence_text(item.get("evidence") or [])),
                cell_safe(item.get("explanation") or ""),
            ]
        ws.append(values)
        row = ws.max_row
        for column in range(1, len(HEADERS) + 1):
            cell = ws.cell(row=row, column=column)
            cell.alignment = wrap
            if column in (3, 6):
                cell.number_format = POINTS_FORMAT
            if item["heading"]:
                cell.font = bold
                cell.fill = heading_fill
    last = ws.max_row
    ws.append(["", cell_safe("Tổng điểm tự chấm"), _number(data["max_total"]), "", "", _number(data["total"])])
    total_row = ws.max_row
    for column in (2, 3, 6):
        ws.cell(row=total_row, column=column).font = bold
    for column in (3, 6):
        ws.cell(row=total_row, column=column).number_format = POINTS_FORMAT
    ws.freeze_panes = ws.cell(row=header_row + 1, column=3)
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(HEADERS))}{max(last, header_row)}"
    if data.get("difficulties") or data.get("proposals"):
        notes = wb.create_sheet("Khó khăn, đề xuất")
        notes.column_dimensions["A"].width = 24
        notes.column_dimensions["B"].width = 100
        for label, value in (
            ("Khó khăn, vướng mắc", data.get("difficulties")),
            ("Đề xuất, kiến nghị", data.get("proposals")),
        ):
            notes.append([cell_safe(label), cell_safe(value or "")])
            notes.cell(row=notes.max_row, column=2).alignment = wrap
            notes.cell(row=notes.max_row, column=1).font = bold
    wb.properties.title = title
    wb.properties.creator = "parindex"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _slug(text: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:60] or "don-vi"


def submission_xlsx(submission) -> bytes:
    return workbook_bytes(submission.data, title=f"Báo cáo tự đánh giá đã gửi (lần {submission.number})")


def submission_filename(submission) -> str:
    unit = submission.data.get("unit", {}).get("code") or "don-vi"
    return f"tu-danh-gia-{_slug(unit)}-lan-{submission.number}.xlsx"


def grid_xlsx(assessment, *, actor=None) -> bytes:
    data = selectors.snapshot(selectors.grid(assessment), actor=actor)
    return workbook_bytes(data, title="Bảng tự đánh giá (bản hiện tại)")


def grid_filename(assessment) -> str:
    return f"tu-danh-gia-{_slug(assessment.unit.code)}-hien-tai.xlsx"
