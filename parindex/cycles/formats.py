"""The plan (Kế hoạch) as an Excel workbook, and the responsibility matrix as one.

The plan's sheet “Kế hoạch” has a header row and one task per row (``PLAN_COLUMNS``), like the tables of the
provinces' plans: STT, Nhiệm vụ, Cơ quan chủ trì, Cơ quan phối hợp, Sản phẩm, Thời hạn, Tình trạng, Ghi chú.
Reading checks every row and reports each problem with its row and column; :func:`plan_check` resolves unit names
(a lead agency that is not a unit is kept as text, with a warning) and matches rows to the cycle's tasks by STT.
Writing neutralises cells a spreadsheet would run as formulas. Export → import changes nothing.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from parindex.core.exports import cell_safe
from parindex.core.text import fold

from .models import Cycle, Task, TaskStatus

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PLAN_SHEET = "Kế hoạch"
# (field, header). Headers are the file format: Vietnamese whatever the interface language.
PLAN_COLUMNS = [
    ("number", "STT"),
    ("title", "Nhiệm vụ"),
    ("lead", "Cơ quan chủ trì"),
    ("cooperating", "Cơ quan phối hợp"),
    ("product", "Sản phẩm"),
    ("deadline", "Thời hạn"),
    ("status", "Tình trạng"),
    ("note", "Ghi chú"),
]
PLAN_HEADERS = dict(PLAN_COLUMNS)
REQUIRED_COLUMNS = ("number", "title", "lead")
# Other spellings of the headers seen in real plans (folded).
HEADER_ALIASES = {
    "tt": "number",
    "so tt": "number",
    "noi dung": "title",
    "noi dung nhiem vu": "title",
    "don vi chu tri": "lead",
    "co quan don vi chu tri": "lead",
    "don vi phoi hop": "cooperating",
    "co quan don vi phoi hop": "cooperating",
    "san pham du kien": "product",
    "thoi gian thuc hien": "deadline",
    "thoi gian hoan thanh": "deadline",
    "trang thai": "status",
}
TEXT_LIMITS = {"number": 16, "lead": 300, "cooperating": 500, "product": 500}
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")
_MONTH_RE = re.compile(r"^(?:thang )?(\d{1,2}) (?:nam )?(\d{4})$")  # on folded text: "thang 12 nam 2026", "12 2026"
_SPLIT_RE = re.compile(r"\s*(?:;|\n)\s*")
FORMULA_PREFIXES = ("=", "+", "-", "@")


class PlanFileError(Exception):
    """The file cannot be read as a plan at all (not .xlsx, no header, missing columns, formulas…)."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


# --- small helpers ------------------------------------------------------------------------------------------------


def _unneutralise(text: str) -> str:
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        return text[1:]
    return text


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    text = unicodedata.normalize("NFC", str(value)).strip()
    return _unneutralise(text)


def status_lookup() -> dict[str, str]:
    table = {}
    for status in TaskStatus:
        table[fold(status.value)] = status.value
        table[fold(str(status.label))] = status.value
    table[fold("Đã hoàn thành")] = TaskStatus.DONE
    table[fold("Chưa bắt đầu")] = TaskStatus.NOT_STARTED
    table[fold("Đã hủy")] = TaskStatus.CANCELLED
    return table


def status_labels() -> str:
    return ", ".join(str(s.label) for s in TaskStatus)


def parse_deadline(value: Any) -> dt.date | None:
    """A date cell, dd/mm/yyyy (or yyyy-mm-dd…), or a month (“12/2026”, “Tháng 12 năm 2026”: its last day).
    Raises ValueError when the cell is none of these."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    if not text:
        return None
    text = re.sub(r"^(?:ngày|ngay)\s+", "", text, flags=re.IGNORECASE)
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    match = _MONTH_RE.match(fold(text))
    if match:
        month, year = int(match.group(1)), int(match.group(2))
        if 1 <= month <= 12 and 1900 <= year <= 2200:
            return dt.date(year, month, calendar.monthrange(year, month)[1])
    raise ValueError(text)


def split_names(text: str) -> list[str]:
    return [part for part in _SPLIT_RE.split(text or "") if part]


# --- writing ------------------------------------------------------------------------------------------------------


def _style_header(ws, widths: list[int]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    for idx, width in enumerate(widths, start=1):
        cell = ws.cell(row=1, column=idx)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(idx)].width = width
    ws.freeze_panes = "A2"


def lead_label(task: Task) -> str:
    return task.lead_unit.name if task.lead_unit_id else task.lead_text


def cooperating_label(task: Task) -> str:
    names = [u.name for u in task.cooperating_units.all()]
    names += split_names(task.cooperating_text)
    return "; ".join(names)


def plan_write(cycle: Cycle, tasks=None) -> bytes:
    """The cycle's tasks (all of them, cancelled included, in the plan's order) as an .xlsx workbook."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    if tasks is None:
        tasks = Task.objects.filter(cycle=cycle)
    tasks = tasks.select_related("lead_unit").prefetch_related("cooperating_units").order_by("order", "id")
    wb = Workbook()
    ws = wb.active
    ws.title = PLAN_SHEET
    ws.append([header for _field, header in PLAN_COLUMNS])
    for task in tasks:
        ws.append(
            [
                cell_safe(task.number),
                cell_safe(task.title),
                cell_safe(lead_label(task)),
                cell_safe(cooperating_label(task)),
                cell_safe(task.product),
                task.deadline,
                str(TaskStatus(task.status).label),
                cell_safe(task.note),
            ]
        )
        row = ws.max_row
        ws.cell(row=row, column=6).number_format = "DD/MM/YYYY"
        for col in range(1, len(PLAN_COLUMNS) + 1):
            ws.cell(row=row, column=col).alignment = Alignment(wrap_text=True, vertical="top")
    _style_header(ws, [7, 60, 28, 32, 32, 13, 16, 30])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def matrix_write(participant, rows: list[dict]) -> bytes:
    """The unit's responsibility matrix (rows from ``selectors.responsibility_rows``) as .xlsx."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Phân công"
    headers = [
        "Mã tiêu chí",
        "Tiêu chí",
        "Điểm tối đa",
        "Bộ phận thực hiện",
        "Bộ phận phối hợp",
        "Người theo dõi",
        "Ghi chú",
    ]
    ws.append(headers)
    for row in rows:
        node, resp = row["node"], row["responsibility"]
        person = resp.person.display_name if resp and resp.person_id else ""
        ws.append(
            [
                cell_safe(node.code),
                cell_safe(node.name),
                float(node.max_points),
                cell_safe(resp.division if resp else ""),
                cell_safe(resp.cooperating if resp else ""),
                cell_safe(person),
                cell_safe(resp.note if resp else ""),
            ]
        )
        r = ws.max_row
        for col in range(1, len(headers) + 1):
            ws.cell(row=r, column=col).alignment = Alignment(wrap_text=True, vertical="top")
        if row["depth"] == 1:
            for col in range(1, len(headers) + 1):
                ws.cell(row=r, column=col).font = Font(bold=True)
    _style_header(ws, [11, 60, 11, 30, 30, 24, 30])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- reading ------------------------------------------------------------------------------------------------------


def _header_map(cells) -> dict[str, int]:
    wanted = {fold(h): f for f, h in PLAN_COLUMNS} | HEADER_ALIASES
    positions: dict[str, int] = {}
    for idx, value in enumerate(cells):
        name = wanted.get(fold(cell_text(value)))
        if name and name not in positions:
            positions[name] = idx
    return positions


def plan_read(content: bytes) -> list[tuple[int, dict[str, Any]]]:
    """(row number, {field: raw value}) for each non-empty row under the header. Raises PlanFileError for a file
    that is not a plan, with every problem of that kind (missing columns, merged cells, formulas) at once."""
    from openpyxl import load_workbook

    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise PlanFileError(["Tệp là bảng tính Excel cũ (.xls) hoặc có đặt mật khẩu; hãy lưu dưới dạng .xlsx."])
    if not content.startswith(b"PK\x03\x04"):
        raise PlanFileError(["Tệp không phải là tệp Excel .xlsx; hãy dùng tệp xuất từ phần mềm làm mẫu."])
    try:
        wb = load_workbook(io.BytesIO(content), data_only=False)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds of errors on corrupt files
        raise PlanFileError(["Tệp Excel bị hỏng hoặc không đọc được; hãy mở lại và lưu dưới dạng .xlsx."]) from None
    try:
        return _read_plan_sheet(wb)
    except PlanFileError:
        raise
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile, OSError, EOFError):
        raise PlanFileError(["Tệp Excel bị hỏng hoặc không đọc được; hãy mở lại và lưu dưới dạng .xlsx."]) from None
    finally:
        wb.close()


def _read_plan_sheet(wb) -> list[tuple[int, dict[str, Any]]]:
    names = {fold(n): n for n in wb.sheetnames}
    ws = wb[names[fold(PLAN_SHEET)]] if fold(PLAN_SHEET) in names else wb.worksheets[0]
    limit = settings.PARINDEX_IMPORT_MAX_ROWS
    if ws.max_row - 1 > limit:
        raise PlanFileError([f"Tệp có hơn {limit} dòng; hãy chia thành nhiều tệp."])
    # The header is the first row (among the first 10) that names the task column: a title may stand above it.
    header_row, positions = None, {}
    for number, cells in enumerate(ws.iter_rows(min_row=1, max_row=10, values_only=True), start=1):
        found = _header_map(cells)
        if "title" in found:
            header_row, positions = number, found
            break
    if header_row is None:
        raise PlanFileError(
            [
                f"Trang tính “{ws.title}” không có dòng tiêu đề với cột “{PLAN_HEADERS['title']}” (trong 10 dòng đầu). "
                f"Các cột cần có: {', '.join(f'“{h}”' for _f, h in PLAN_COLUMNS)}."
            ]
        )
    missing = [PLAN_HEADERS[f] for f in REQUIRED_COLUMNS if f not in positions]
    if missing:
        raise PlanFileError(
            [f"Dòng {header_row}: thiếu cột {', '.join(f'“{h}”' for h in missing)}." + " Hãy dùng tệp xuất làm mẫu."]
        )
    problems = []
    for merged in ws.merged_cells.ranges:
        if merged.max_row > header_row:
            problems.append(f"Dòng {merged.min_row}: ô gộp {merged.coord}; hãy bỏ gộp ô rồi nhập lại.")
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, cells in enumerate(ws.iter_rows(min_row=header_row + 1), start=header_row + 1):
        values: dict[str, Any] = {}
        for name, idx in positions.items():
            cell = cells[idx] if idx < len(cells) else None
            value = getattr(cell, "value", None)
            if isinstance(value, str) and not value.strip():
                value = None
            if value is not None and (
                getattr(cell, "data_type", "") == "f" or (isinstance(value, str) and value.lstrip().startswith("="))
            ):
                problems.append(
                    f"Dòng {number}, cột “{PLAN_HEADERS[name]}”: ô chứa công thức “{str(value)[:60]}”; "
                    "hãy dán giá trị thay cho công thức."
                )
                value = None
            values[name] = value
        if all(v is None for v in values.values()):
            continue
        rows.append((number, values))
    if problems:
        raise PlanFileError(problems)
    return rows


# --- checking against the cycle ------------------------------------------------------------------------------------


@dataclass
class PlannedTask:
    row: int
    values: dict  # task fields found in the file (only the columns present)
    cooperating_units: list | None = None  # None: column absent
    task: Task | None = None  # the existing task with this STT, updated by the row
    changes: list = field(default_factory=list)  # (column, old, new) for the preview

    @property
    def number(self) -> str:
        return self.values.get("number", "")

    @property
    def title(self) -> str:
        return self.values.get("title", "")


@dataclass
class PlanImport:
    cycle: Cycle
    dry_run: bool = True
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    creates: list[PlannedTask] = field(default_factory=list)
    updates: list[PlannedTask] = field(default_factory=list)
    unchanged: list[PlannedTask] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> dict:
        return {"created": len(self.creates), "updated": len(self.updates), "unchanged": len(self.unchanged)}


def _unit_scope(cycle: Cycle):
    return cycle.assessor.parent if cycle.assessor.parent_id else None


def resolve_unit(name: str, cycle: Cycle):
    from parindex.orgs.selectors import unit_resolve

    return unit_resolve(name, on=timezone.localdate(), within=_unit_scope(cycle))


def plan_check(cycle: Cycle, content: bytes) -> PlanImport:
    """Read and check a plan file against ``cycle`` without writing anything."""
    result = PlanImport(cycle=cycle)
    try:
        rows = plan_read(content)
    except PlanFileError as exc:
        result.errors.extend(exc.messages)
        return result
    if not rows:
        result.errors.append("Tệp không có nhiệm vụ nào (các dòng dưới tiêu đề đều trống).")
        return result
    statuses = status_lookup()
    existing = {
        t.number: t
        for t in Task.objects.filter(cycle=cycle).select_related("lead_unit").prefetch_related("cooperating_units")
        if t.number
    }
    seen: dict[str, int] = {}
    resolved: dict[str, Any] = {}

    def unit_for(name: str):
        if name not in resolved:
            resolved[name] = resolve_unit(name, cycle)
        return resolved[name]

    for number, raw in rows:
        errors = result.errors

        def err(column: str, message: str, number=number, errors=errors) -> None:
            errors.append(f"Dòng {number}, cột “{PLAN_HEADERS[column]}”: {message}")

        values: dict[str, Any] = {}
        texts = {name: cell_text(value) for name, value in raw.items() if name != "deadline"}
        for name, limit in TEXT_LIMITS.items():
            if name in texts and len(texts[name]) > limit:
                err(name, f"dài quá {limit} ký tự.")
        stt = texts.get("number", "")
        values["number"] = stt
        if stt:
            if stt in seen:
                err("number", f"STT “{stt}” trùng với dòng {seen[stt]}.")
            else:
                seen[stt] = number
        title = texts.get("title", "")
        if not title:
            err("title", "thiếu nội dung nhiệm vụ.")
        values["title"] = title
        lead = texts.get("lead", "")
        if not lead:
            err("lead", "thiếu cơ quan chủ trì.")
            values["lead_unit"], values["lead_text"] = None, ""
        else:
            unit = unit_for(lead)
            if unit is None:
                values["lead_unit"], values["lead_text"] = None, lead
                result.warnings.append(
                    f"Dòng {number}, cột “{PLAN_HEADERS['lead']}”: “{lead}” không khớp (duy nhất) một đơn vị trong "
                    "danh mục; sẽ được lưu dưới dạng chữ, đơn vị sẽ không thấy nhiệm vụ này trong danh sách của mình."
                )
            else:
                values["lead_unit"], values["lead_text"] = unit, ""
        units = None
        if "cooperating" in raw:
            units, texts_left = [], []
            for part in split_names(texts.get("cooperating", "")):
                unit = unit_for(part)
                if unit is None:
                    texts_left.append(part)
                elif unit not in units:
                    units.append(unit)
            values["cooperating_text"] = "; ".join(texts_left)
            if len(values["cooperating_text"]) > TEXT_LIMITS["cooperating"]:
                err("cooperating", f"dài quá {TEXT_LIMITS['cooperating']} ký tự.")
        if "product" in raw:
            values["product"] = texts.get("product", "")
        if "note" in raw:
            values["note"] = texts.get("note", "")
        if "deadline" in raw:
            try:
                values["deadline"] = parse_deadline(raw["deadline"])
            except ValueError as exc:
                err("deadline", f"“{str(exc)[:40]}” không phải ngày hợp lệ (ghi theo dạng dd/mm/yyyy).")
        if "status" in raw:
            status_text = texts.get("status", "")
            status = statuses.get(fold(status_text)) if status_text else TaskStatus.NOT_STARTED
            if status is None:
                err("status", f"“{status_text[:40]}” không hợp lệ; dùng một trong: {status_labels()}.")
            else:
                values["status"] = status
        planned = PlannedTask(row=number, values=values, cooperating_units=units, task=existing.get(stt))
        if planned.task is None:
            result.creates.append(planned)
            continue
        planned.changes = _changes(planned)
        (result.updates if planned.changes else result.unchanged).append(planned)
    return result


def _shown(name: str, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if name == "status":
        return str(TaskStatus(value).label)
    return str(getattr(value, "name", value))


def _changes(planned: PlannedTask) -> list[tuple[str, str, str]]:
    task, values = planned.task, planned.values
    out = []
    columns = {
        "title": "title",
        "product": "product",
        "deadline": "deadline",
        "status": "status",
        "note": "note",
    }
    for name, column in columns.items():
        if name in values and values[name] != getattr(task, name):
            out.append((PLAN_HEADERS[column], _shown(name, getattr(task, name)), _shown(name, values[name])))
    if (values.get("lead_unit"), values.get("lead_text")) != (task.lead_unit, task.lead_text):
        out.append(
            (PLAN_HEADERS["lead"], lead_label(task) or "—", _shown("lead", values["lead_unit"] or values["lead_text"]))
        )
    if planned.cooperating_units is not None:
        old_ids = sorted(u.pk for u in task.cooperating_units.all())
        new_ids = sorted(u.pk for u in planned.cooperating_units)
        if old_ids != new_ids or values.get("cooperating_text", "") != task.cooperating_text:
            new_label = "; ".join([u.name for u in planned.cooperating_units] + split_names(values["cooperating_text"]))
            out.append((PLAN_HEADERS["cooperating"], cooperating_label(task) or "—", new_label or "—"))
    return out
