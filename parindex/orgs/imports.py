"""Excel (.xlsx) import and export of the units under a unit: a province's departments, public service units,
central agencies, districts, divisions…

The file has one sheet “Đơn vị” with a header row (see ``COLUMNS``) and one unit per row. Every row is checked and
every problem is reported with its row number; nothing is written unless every row is valid, and then everything is
written in one transaction through the unit services (so each unit gets its own audit event and history), followed by
one summary audit event. A code that already exists under the root updates that unit; a new code creates one. Units
under the root that are not in the file are left as they are.

Export writes the same format, so export → import changes nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from parindex.core.services import audit_record
from parindex.core.text import fold

from . import services
from .models import OrgUnit, UnitKind
from .selectors import unit_descendants

SHEET = "Đơn vị"
INSTRUCTIONS_SHEET = "Hướng dẫn"
# (field, header). Headers are the file format: they stay in Vietnamese whatever the interface language.
COLUMNS = [
    ("code", "Mã đơn vị"),
    ("name", "Tên đơn vị"),
    ("kind", "Loại đơn vị"),
    ("parent", "Mã đơn vị cấp trên"),
    ("valid_from", "Hiệu lực từ"),
    ("valid_to", "Hiệu lực đến"),
    ("short_name", "Tên ngắn"),
]
HEADERS = dict(COLUMNS)
# What a province may import under itself. Provinces, ministries and Bộ Nội vụ come from the official loader.
IMPORTABLE_KINDS = [
    UnitKind.DEPARTMENT,
    UnitKind.PUBLIC_SERVICE_UNIT,
    UnitKind.CENTRAL_AGENCY,
    UnitKind.DISTRICT,
    UnitKind.COMMUNE,
    UnitKind.DIVISION,
]
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")
DANGEROUS_PREFIXES = ("=", "+", "-", "@")
_MERGE_RE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)\"")
_UPDATABLE = ("name", "short_name", "kind", "parent", "valid_from", "valid_to")


class ImportRefused(Exception):
    """The file cannot be read as a units sheet at all (not xlsx, wrong sheet, missing columns, too many rows…)."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass
class PlannedRow:
    row: int
    code: str
    name: str
    kind: str
    parent_code: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    short_name: str
    unit: OrgUnit | None = None  # the existing unit this row updates
    changes: dict = field(default_factory=dict)  # field → [old, new], for display
    depth: int = 0  # levels below the root once written: parents are written first

    @property
    def kind_label(self) -> str:
        return str(UnitKind(self.kind).label) if self.kind in UnitKind.values else self.kind

    @property
    def change_list(self) -> list[tuple[str, str, str]]:
        """(column, old, new) in the words of the file, for the preview."""

        def show(name, value):
            if name == "kind" and value in UnitKind.values:
                return str(UnitKind(value).label)
            if isinstance(value, dt.date):
                return value.strftime("%d/%m/%Y")
            return value or "—"

        return [(HEADERS[f], show(f, old), show(f, new)) for f, (old, new) in self.changes.items()]


@dataclass
class ImportResult:
    root: OrgUnit
    dry_run: bool
    errors: list[str] = field(default_factory=list)
    creates: list[PlannedRow] = field(default_factory=list)
    updates: list[PlannedRow] = field(default_factory=list)
    unchanged: list[PlannedRow] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> dict:
        return {"created": len(self.creates), "updated": len(self.updates), "unchanged": len(self.unchanged)}


# --- small helpers ----------------------------------------------------------------------------------------------


def _fmt_date(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else _("không giới hạn")


def neutralise(value: Any) -> Any:
    """A text cell starting with = + - @ is prefixed with ' so that no spreadsheet runs it as a formula."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def _unneutralise(value: str) -> str:
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@":
        return value[1:]
    return value


def _kind_lookup() -> dict[str, str]:
    """Folded label or code → kind, in Vietnamese and in the current language."""
    table = {}
    for kind in UnitKind:
        table[fold(kind.value)] = kind.value
        table[fold(str(kind.label))] = kind.value
        with translation.override("vi"):
            table[fold(str(kind.label))] = kind.value
    return table


def _vi_label(kind: str) -> str:
    with translation.override("vi"):
        return str(UnitKind(kind).label)


def _read_bytes(file) -> tuple[bytes, str]:
    if isinstance(file, bytes | bytearray):
        return bytes(file), ""
    if isinstance(file, str | Path):
        return Path(file).read_bytes(), Path(file).name
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read()
    return data, Path(getattr(file, "name", "") or "").name


# --- reading ----------------------------------------------------------------------------------------------------


def _merged_ranges(data: bytes, worksheet_path: str | None) -> list[str]:
    """Merged ranges of a worksheet, found by streaming its XML (read-only openpyxl does not report them)."""
    if not worksheet_path:
        return []
    refs: list[str] = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf, zf.open(worksheet_path.lstrip("/")) as fh:
        tail = b""
        while chunk := fh.read(1 << 20):
            buf = tail + chunk
            last_end = 0
            for match in _MERGE_RE.finditer(buf):
                refs.append(match.group(1).decode())
                last_end = match.end()
            tail = buf[max(last_end, len(buf) - 512) :]
    return refs


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    text = unicodedata.normalize("NFC", str(value)).strip()
    return _unneutralise(text)


def read_rows(data: bytes) -> list[tuple[int, dict[str, Any]]]:
    """(row number, {field: raw value}) for every non-empty row of an .xlsx file's content. Raises ImportRefused
    for files that cannot be read as a units sheet, and for formulas (all of them at once)."""
    from openpyxl import load_workbook

    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRefused(
            [_("Tệp là bảng tính Excel cũ (.xls) hoặc có đặt mật khẩu. Hãy bỏ mật khẩu và lưu dưới dạng .xlsx.")]
        )
    if not data.startswith(b"PK\x03\x04"):
        raise ImportRefused(
            [_("Tệp không phải là tệp Excel .xlsx (có thể là .xls, .csv hoặc tệp khác). Hãy dùng tệp mẫu.")]
        )
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds of errors on corrupt files
        raise ImportRefused([_("Tệp Excel bị hỏng hoặc không đọc được. Hãy mở lại và lưu dưới dạng .xlsx.")]) from None
    try:
        return _read_sheet(wb, data)
    except ImportRefused:
        raise
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile, OSError, EOFError):
        raise ImportRefused([_("Tệp Excel bị hỏng hoặc không đọc được. Hãy mở lại và lưu dưới dạng .xlsx.")]) from None
    finally:
        wb.close()


def _read_sheet(wb, data: bytes) -> list[tuple[int, dict[str, Any]]]:
    names = {fold(n): n for n in wb.sheetnames}
    if fold(SHEET) not in names:
        raise ImportRefused(
            [
                _("Không có trang tính “%(sheet)s” trong tệp (tệp có: %(found)s). Hãy dùng tệp mẫu.")
                % {"sheet": SHEET, "found": ", ".join(f"“{n}”" for n in wb.sheetnames)}
            ]
        )
    ws = wb[names[fold(SHEET)]]
    limit = settings.PARINDEX_IMPORT_MAX_ROWS
    too_many = _("Tệp có hơn %(limit)s dòng dữ liệu, vượt giới hạn cho một lần nhập; hãy chia thành nhiều tệp.") % {
        "limit": f"{limit:,}".replace(",", ".")
    }
    # The declared size is read from the start of the sheet: a huge file is refused before its rows are read.
    if ws.max_row is not None and ws.max_row - 1 > limit:
        raise ImportRefused([too_many])
    ws.reset_dimensions()  # do not trust the declared size for the rows themselves

    merged = _merged_ranges(data, getattr(ws, "_worksheet_path", None))
    if merged:
        from openpyxl.utils.cell import range_boundaries

        messages = []
        for ref in merged[:20]:
            _c1, r1, _c2, r2 = range_boundaries(ref if ":" in ref else f"{ref}:{ref}")
            rows = f"{r1}" if r1 == r2 else f"{r1}–{r2}"
            messages.append(
                _("Dòng %(rows)s: ô gộp %(ref)s; hãy bỏ gộp ô (Merge & Center) rồi nhập lại.")
                % {"rows": rows, "ref": ref}
            )
        raise ImportRefused(messages)

    rows_iter = ws.iter_rows(min_row=1, values_only=False)
    header_cells = next(rows_iter, ())
    header = [fold(_cell_text(c.value)) for c in header_cells]
    wanted = {fold(h): f for f, h in COLUMNS}
    positions: dict[str, int] = {}
    duplicates = []
    for idx, title in enumerate(header):
        if title in wanted:
            name = wanted[title]
            if name in positions:
                duplicates.append(HEADERS[name])
            positions.setdefault(name, idx)
    missing = [h for f, h in COLUMNS if f not in positions]
    problems = []
    if missing:
        problems.append(
            _("Dòng 1 thiếu cột: %(missing)s. Dòng tiêu đề phải có các cột: %(all)s.")
            % {"missing": ", ".join(f"“{h}”" for h in missing), "all": ", ".join(f"“{h}”" for _f, h in COLUMNS)}
        )
    if duplicates:
        problems.append(
            _("Dòng 1 có cột trùng tên: %(cols)s.") % {"cols": ", ".join(f"“{h}”" for h in sorted(set(duplicates)))}
        )
    if problems:
        raise ImportRefused(problems)

    width = max(positions.values()) + 1
    rows: list[tuple[int, dict[str, Any]]] = []
    formula_errors: list[str] = []
    count = 0
    for number, cells in enumerate(ws.iter_rows(min_row=2, max_col=width, values_only=False), start=2):
        values = {}
        for name, idx in positions.items():
            cell = cells[idx] if idx < len(cells) else None
            value = getattr(cell, "value", None)
            if isinstance(value, str) and not value.strip():
                value = None
            if value is not None and (
                getattr(cell, "data_type", "") == "f" or (isinstance(value, str) and value.lstrip().startswith("="))
            ):
                formula_errors.append(
                    _(
                        "Dòng %(row)s, cột “%(col)s”: ô chứa công thức “%(formula)s”; "
                        "hãy dán giá trị thay cho công thức."
                    )
                    % {"row": number, "col": HEADERS[name], "formula": str(value)[:60]}
                )
                value = None
            values[name] = value
        if all(v is None for v in values.values()):
            continue
        count += 1
        if count > limit:
            raise ImportRefused([too_many])
        rows.append((number, values))
    if formula_errors:
        raise ImportRefused(formula_errors)
    return rows


def _parse_date(value: Any, row: int, column: str, errors: list[str]) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _cell_text(value)
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    errors.append(
        _("Dòng %(row)s, cột “%(col)s”: “%(value)s” không phải ngày hợp lệ (ghi theo dạng dd/mm/yyyy).")
        % {"row": row, "col": HEADERS[column], "value": text[:40]}
    )
    return None


# --- planning ---------------------------------------------------------------------------------------------------


def _plan(rows: list[tuple[int, dict[str, Any]]], root: OrgUnit, errors: list[str]) -> list[PlannedRow]:
    kinds = _kind_lookup()
    planned: list[PlannedRow] = []
    for number, raw in rows:
        code = _cell_text(raw["code"])
        name = _cell_text(raw["name"])
        kind_text = _cell_text(raw["kind"])
        parent_code = _cell_text(raw["parent"])
        short_name = _cell_text(raw["short_name"])
        if not code:
            errors.append(_("Dòng %(row)s: thiếu mã đơn vị.") % {"row": number})
        elif len(code) > 32:
            errors.append(_("Dòng %(row)s: mã “%(code)s” dài quá 32 ký tự.") % {"row": number, "code": code})
        if not name:
            errors.append(_("Dòng %(row)s: thiếu tên đơn vị.") % {"row": number})
        elif len(name) > 255:
            errors.append(_("Dòng %(row)s: tên đơn vị dài quá 255 ký tự.") % {"row": number})
        if len(short_name) > 255:
            errors.append(_("Dòng %(row)s: tên ngắn dài quá 255 ký tự.") % {"row": number})
        kind = kinds.get(fold(kind_text), "")
        if not kind_text:
            errors.append(_("Dòng %(row)s: thiếu loại đơn vị.") % {"row": number})
        elif not kind:
            errors.append(
                _("Dòng %(row)s: loại đơn vị “%(kind)s” không hợp lệ; dùng một trong: %(allowed)s.")
                % {"row": number, "kind": kind_text, "allowed": "; ".join(_vi_label(k) for k in IMPORTABLE_KINDS)}
            )
        elif kind not in IMPORTABLE_KINDS:
            errors.append(
                _("Dòng %(row)s: không nhập được đơn vị loại “%(kind)s” vào danh mục của “%(root)s”.")
                % {"row": number, "kind": _vi_label(kind), "root": root.name}
            )
        valid_from = _parse_date(raw["valid_from"], number, "valid_from", errors)
        valid_to = _parse_date(raw["valid_to"], number, "valid_to", errors)
        if valid_from and valid_to and valid_to < valid_from:
            errors.append(
                _("Dòng %(row)s: ngày hết hiệu lực (%(to)s) trước ngày có hiệu lực (%(from)s).")
                % {"row": number, "to": _fmt_date(valid_to), "from": _fmt_date(valid_from)}
            )
        planned.append(
            PlannedRow(
                row=number,
                code=code,
                name=name,
                kind=kind or kind_text,
                parent_code=parent_code,
                valid_from=valid_from,
                valid_to=valid_to,
                short_name=short_name,
            )
        )

    # Codes: unique in the file; an existing code under the root means "update that unit".
    first_row: dict[str, int] = {}
    for p in planned:
        if not p.code:
            continue
        if p.code in first_row:
            errors.append(
                _("Dòng %(row)s: mã “%(code)s” trùng với dòng %(first)s.")
                % {"row": p.row, "code": p.code, "first": first_row[p.code]}
            )
        else:
            first_row[p.code] = p.row
    existing = list(unit_descendants(root).select_related("parent"))
    by_code: dict[str, list[OrgUnit]] = {}
    for unit in existing:
        by_code.setdefault(unit.code, []).append(unit)
    for p in planned:
        matches = by_code.get(p.code, [])
        if len(matches) > 1:
            matches = [u for u in matches if u.valid_from == p.valid_from]
            if len(matches) != 1:
                errors.append(
                    _(
                        "Dòng %(row)s: mã “%(code)s” ứng với nhiều đơn vị thuộc “%(root)s”; "
                        "ghi đúng ngày “Hiệu lực từ” của đơn vị cần sửa."
                    )
                    % {"row": p.row, "code": p.code, "root": root.name}
                )
                continue
        if matches:
            p.unit = matches[0]

    # The same code elsewhere (under another unit, or a unit of ours not on this row) must not overlap in time.
    codes = sorted(first_row)
    others: dict[str, list[OrgUnit]] = {}
    for i in range(0, len(codes), 900):
        for unit in OrgUnit.objects.filter(code__in=codes[i : i + 900]):
            others.setdefault(unit.code, []).append(unit)
    for p in planned:
        for other in others.get(p.code, []):
            if p.unit is not None and other.pk == p.unit.pk:
                continue
            if services.periods_overlap(p.valid_from, p.valid_to, other.valid_from, other.valid_to):
                errors.append(
                    _(
                        "Dòng %(row)s: mã “%(code)s” đã dùng cho “%(other)s” (%(from)s – %(to)s); hai đơn vị cùng mã "
                        "không được có thời gian hiệu lực chồng nhau."
                    )
                    % {
                        "row": p.row,
                        "code": p.code,
                        "other": other.name,
                        "from": _fmt_date(other.valid_from),
                        "to": _fmt_date(other.valid_to),
                    }
                )
                break

    _check_tree(planned, root, existing, by_code, first_row, errors)
    return planned


ROOT = "root"


def _check_tree(planned, root, existing, by_code, first_row, errors) -> None:
    """Resolve each row's parent (a row of the file, the root, or a unit under the root) and refuse cycles.

    Nodes are ("row", code) for rows of the file and ("unit", pk) for units under the root that are not in it.
    """
    row_by_code = {p.code: p for p in planned if p.code and first_row.get(p.code) == p.row}
    row_of_unit = {p.unit.pk: p for p in row_by_code.values() if p.unit is not None}
    unit_by_pk = {u.pk: u for u in existing}

    def node_of_unit(pk: int):
        if pk == root.pk:
            return ROOT
        if pk in row_of_unit:
            return ("row", row_of_unit[pk].code)
        return ("unit", pk) if pk in unit_by_pk else None

    parent_node: dict = {}
    for p in row_by_code.values():
        if not p.parent_code:
            parent_node[("row", p.code)] = ROOT
        elif p.parent_code in row_by_code:
            parent_node[("row", p.code)] = ("row", p.parent_code)
        elif p.parent_code == root.code:
            parent_node[("row", p.code)] = ROOT
        elif len(by_code.get(p.parent_code, [])) == 1:
            parent_node[("row", p.code)] = node_of_unit(by_code[p.parent_code][0].pk)
        elif by_code.get(p.parent_code):
            errors.append(
                _("Dòng %(row)s: mã đơn vị cấp trên “%(code)s” ứng với nhiều đơn vị; hãy dùng mã khác.")
                % {"row": p.row, "code": p.parent_code}
            )
        else:
            errors.append(
                _("Dòng %(row)s: mã đơn vị cấp trên “%(code)s” không có trong tệp và không thuộc “%(root)s”.")
                % {"row": p.row, "code": p.parent_code, "root": root.name}
            )
    for unit in existing:
        node = node_of_unit(unit.pk)
        if node and node[0] == "unit":
            parent_node[node] = node_of_unit(unit.parent_id)

    reported: set[frozenset] = set()
    for p in row_by_code.values():
        start = ("row", p.code)
        if start not in parent_node:
            continue
        chain = [start]
        node = parent_node.get(start)
        while node not in (ROOT, None) and node not in chain:
            chain.append(node)
            node = parent_node.get(node)
        if node in chain:
            loop = chain[chain.index(node) :]
            if frozenset(loop) in reported:
                continue
            reported.add(frozenset(loop))
            first = min((row_by_code[n[1]] for n in loop if n[0] == "row"), key=lambda r: r.row)
            labels = [n[1] if n[0] == "row" else unit_by_pk[n[1]].code for n in loop + [loop[0]]]
            errors.append(
                _("Dòng %(row)s: đơn vị “%(code)s” và các cấp trên của nó tạo thành vòng lặp (%(loop)s).")
                % {"row": first.row, "code": first.code, "loop": " → ".join(labels)}
            )
        elif node is ROOT:
            p.depth = len(chain)


def _compare(planned: list[PlannedRow], root: OrgUnit, result: ImportResult) -> None:
    for p in planned:
        if p.unit is None:
            result.creates.append(p)
            continue
        unit = p.unit
        current_parent = "" if unit.parent_id == root.pk else (unit.parent.code if unit.parent else "")
        wanted_parent = "" if p.parent_code == root.code else p.parent_code
        before = {
            "name": unit.name,
            "short_name": unit.short_name,
            "kind": unit.kind,
            "parent": current_parent,
            "valid_from": unit.valid_from,
            "valid_to": unit.valid_to,
        }
        after = {
            "name": p.name,
            "short_name": p.short_name,
            "kind": p.kind,
            "parent": wanted_parent,
            "valid_from": p.valid_from,
            "valid_to": p.valid_to,
        }
        p.changes = {f: [before[f], after[f]] for f in _UPDATABLE if before[f] != after[f]}
        (result.updates if p.changes else result.unchanged).append(p)


# --- the import itself ------------------------------------------------------------------------------------------


class _Rollback(Exception):
    pass


def units_import_xlsx(*, file, root: OrgUnit, actor, dry_run: bool, reason: str = "") -> ImportResult:
    """Check every row of ``file`` and, unless ``dry_run`` or any row is wrong, create or update the units under
    ``root`` in one transaction. Nothing is written when there is any error."""
    result = ImportResult(root=root, dry_run=dry_run)
    data, filename = _read_bytes(file)
    try:
        rows = read_rows(data)
    except ImportRefused as refused:
        result.errors = refused.messages
        return result
    if not rows:
        result.errors = [_("Trang tính “%(sheet)s” không có dòng dữ liệu nào.") % {"sheet": SHEET}]
        return result
    planned = _plan(rows, root, result.errors)
    if result.errors:
        return result
    _compare(planned, root, result)
    if dry_run:
        return result
    try:
        with transaction.atomic():
            _apply(result, planned, root, actor, filename, reason)
    except _Rollback:
        result.applied = False
        return result
    result.applied = True
    return result


def _apply(result: ImportResult, planned: list[PlannedRow], root: OrgUnit, actor, filename: str, reason: str) -> None:
    source = (_("Nhập từ Excel: %(file)s") % {"file": filename or "tệp .xlsx"})[:255]
    ids: dict[str, int] = {}  # code in the file → primary key, once written
    for p in planned:
        if p.unit is not None:
            ids[p.code] = p.unit.pk
    todo = [p for p in planned if p.unit is None or p.changes]
    todo.sort(key=lambda p: (getattr(p, "depth", 0), p.row))  # parents before children
    descendants = {u.code: u.pk for u in unit_descendants(root).only("code")}
    for p in todo:
        if not p.parent_code or (p.parent_code == root.code and p.parent_code not in ids):
            parent_pk = root.pk
        else:
            parent_pk = ids.get(p.parent_code) or descendants.get(p.parent_code)
        parent = OrgUnit.objects.get(pk=parent_pk)  # fresh: an earlier row may have moved it
        try:
            if p.unit is None:
                unit = services.unit_create(
                    code=p.code,
                    name=p.name,
                    kind=p.kind,
                    parent=parent,
                    short_name=p.short_name,
                    valid_from=p.valid_from,
                    valid_to=p.valid_to,
                    source=source,
                    actor=actor,
                    reason=reason,
                )
                ids[p.code] = unit.pk
            else:
                values = {
                    "name": p.name,
                    "short_name": p.short_name,
                    "kind": p.kind,
                    "parent": parent,
                    "valid_from": p.valid_from,
                    "valid_to": p.valid_to,
                }
                services.unit_update(
                    unit=p.unit, actor=actor, reason=reason, **{f: values[f] for f in p.changes if f in values}
                )
        except ValidationError as exc:
            for message in exc.messages:
                result.errors.append(_("Dòng %(row)s: %(message)s") % {"row": p.row, "message": message})
    if result.errors:
        raise _Rollback
    audit_record(
        actor=actor,
        action="units.import",
        obj=root,
        unit=root,
        changes={**result.counts, "file": filename},
        reason=reason,
    )


# --- export and template ----------------------------------------------------------------------------------------


def _workbook(units: list[OrgUnit], root: OrgUnit | None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append([h for _f, h in COLUMNS])
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for letter, width in zip("ABCDEFG", (16, 48, 34, 20, 14, 14, 24), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    for column in "ADG":  # codes stay text: "00070" must not become 70
        ws.column_dimensions[column].number_format = "@"
    for unit in units:
        parent_code = unit.parent.code if unit.parent_id and unit.parent else ""
        ws.append(
            [
                neutralise(unit.code),
                neutralise(unit.name),
                _vi_label(unit.kind),
                neutralise(parent_code),
                unit.valid_from,
                unit.valid_to,
                neutralise(unit.short_name) or None,
            ]
        )
    for row in ws.iter_rows(min_row=2, min_col=5, max_col=6):
        for cell in row:
            cell.number_format = "DD/MM/YYYY"
    for row in ws.iter_rows(min_row=2, min_col=1, max_col=7):
        for idx in (0, 3, 6):
            row[idx].number_format = "@"

    info = wb.create_sheet(INSTRUCTIONS_SHEET)
    info.column_dimensions["A"].width = 26
    info.column_dimensions["B"].width = 60
    info.column_dimensions["C"].width = 24
    lines = [
        ("Nhập danh mục đơn vị từ Excel", ""),
        ("", ""),
        ("Đơn vị gốc", f"{root.name} (mã {root.code})" if root else "đơn vị được chọn khi nhập"),
        ("Trang tính", f"Ghi dữ liệu vào trang “{SHEET}”, mỗi dòng một đơn vị, giữ nguyên dòng tiêu đề."),
        ("Mã đơn vị", "Bắt buộc, không trùng nhau trong tệp, tối đa 32 ký tự. Mã đã có thì đơn vị đó được cập nhật."),
        ("Tên đơn vị", "Bắt buộc, ghi đầy đủ (ví dụ: Sở Tư pháp)."),
        ("Loại đơn vị", "Bắt buộc: một trong các loại ở bảng dưới (ghi tên loại hoặc mã loại)."),
        ("Mã đơn vị cấp trên", "Để trống nếu trực thuộc đơn vị gốc; có thể là mã của một dòng khác trong tệp."),
        ("Hiệu lực từ / đến", "Ngày dạng dd/mm/yyyy; để trống nếu không giới hạn."),
        ("Tên ngắn", "Không bắt buộc."),
        ("Lưu ý", "Không dùng công thức, không gộp ô. Chỉ khi mọi dòng hợp lệ thì dữ liệu mới được ghi."),
        (
            "Giới hạn",
            f"Tối đa {settings.PARINDEX_IMPORT_MAX_ROWS:,} dòng mỗi lần nhập.".replace(",", "."),
        ),
        ("", ""),
        ("Loại đơn vị", "Tên loại (ghi vào cột “Loại đơn vị”)", "Mã loại"),
    ]
    for line in lines:
        info.append(list(line))
    info["A1"].font = Font(bold=True, size=13)
    for cell in info[len(lines)]:
        cell.font = bold
    first = len(lines) + 1
    for kind in IMPORTABLE_KINDS:
        info.append(["", _vi_label(kind), kind.value])
    last = first + len(IMPORTABLE_KINDS) - 1
    for row in info.iter_rows(min_row=3, max_row=len(lines) - 2, min_col=2, max_col=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")

    validation = DataValidation(
        type="list", formula1=f"'{INSTRUCTIONS_SHEET}'!$B${first}:$B${last}", allow_blank=True, showErrorMessage=False
    )
    validation.add(f"C2:C{max(len(units) + 1, 1000)}")
    ws.add_data_validation(validation)

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def units_template_xlsx(*, root: OrgUnit | None = None) -> bytes:
    """The empty template with its instructions sheet."""
    return _workbook([], root)


def units_export_xlsx(*, root: OrgUnit) -> bytes:
    """Every unit under ``root`` (all validity periods), parents before children, in the import format."""
    units = list(unit_descendants(root).select_related("parent").order_by("path"))
    return _workbook(units, root)
