"""YAML and XLSX formats of a framework: bytes ⇄ spec (see ``spec.py``). No database access.

YAML (``parindex-framework/1``) — human-editable and diff-friendly; nodes nest under ``children``::

    format: parindex-framework/1
    code: so-nganh-2024
    name: Chỉ số CCHC các sở, ban, ngành
    year_from: 2024
    unit_kinds: [department]
    decision: 123/QĐ-UBND
    decision_date: 2024-01-15
    declared_total: 100
    pools: {appraised: 63, survey: 37}
    provenance: illustrative
    nodes:
      - code: '1'
        name: Công tác chỉ đạo, điều hành CCHC
        max_points: 10
        children:
          - code: '1.1'
            name: Ban hành kế hoạch CCHC năm
            max_points: 1
            method: appraised
            rule: {type: yes_no}
            evidence: Kế hoạch CCHC năm được phê duyệt

Node keys: code, name, description, max_points, min_points (negative only for penalties), method (appraised, survey,
statistics, bonus, penalty), rule (see ``rules.py``), evidence, evidence_kinds, appraising_agency, sum_note (why the
children do not add up), provenance (official / illustrative), source, value_provenance ({max_points: official}),
children. Unknown keys are refused. Numbers are read exactly (as decimals); codes may be quoted or not.

XLSX — what officials edit in Excel: sheet "Bộ chỉ số" (one attribute a row) and sheet "Tiêu chí" (one node a row:
Mã, Mã cha, Tên, …, Điểm tối đa, Phương thức, Quy tắc chấm điểm as one-line YAML, Tài liệu kiểm chứng…). Text cells
starting with = + - @ are written with a leading apostrophe (and read back without it); formula cells are refused.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import replace
from decimal import Decimal

import yaml

from . import rules
from .spec import (
    FRAMEWORK_DEFAULTS,
    METHOD_LABELS,
    METHODS,
    NODE_DEFAULTS,
    PROVENANCE_LABELS,
    Problem,
    SpecError,
    children_map,
    depths,
    framework_from_raw,
    node_from_raw,
    tree_order,
    validate,
)

FORMAT_ID = "parindex-framework/1"
MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 8


# --- YAML ---------------------------------------------------------------------------------------------------------


_SafeLoaderBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it: ~10× faster
_SafeDumperBase = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Loader(_SafeLoaderBase):
    """Safe loader that keeps numbers and dates as text (read exactly later) and knows only true/false/null.
    Anchors and aliases are refused before loading (see ``yaml_load``): no "billion laughs"."""


_Loader.yaml_implicit_resolvers = {}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])


class _Dumper(_SafeDumperBase):
    """Never writes anchors and aliases (the loader refuses them): a repeated value is written out again."""

    def ignore_aliases(self, data):
        return True


def _represent_decimal(dumper, value: Decimal):
    if value == value.to_integral_value():
        return dumper.represent_scalar("tag:yaml.org,2002:int", str(int(value)))
    return dumper.represent_scalar("tag:yaml.org,2002:float", format(value.normalize(), "f"))


_Dumper.add_representer(Decimal, _represent_decimal)


def _yaml_error(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f" ở dòng {mark.line + 1}, cột {mark.column + 1}" if mark else ""
    problem = getattr(exc, "problem", None) or str(exc)
    return f"Tệp YAML sai cú pháp{where} (chi tiết kỹ thuật: {problem})."


def yaml_load(text: str):
    for event in yaml.parse(text, Loader=_SafeLoaderBase):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.composer.ComposerError(
                None, None, "không dùng neo (&) hay tham chiếu (*) trong tệp bộ chỉ số", event.start_mark
            )
    return yaml.load(text, Loader=_Loader)  # noqa: S506 — _Loader is a SafeLoader with fewer resolvers


def _check_size(content: bytes) -> None:
    if len(content) > MAX_BYTES:
        size = rules.format_number(Decimal(len(content)) / 1024 / 1024, places=1)
        raise SpecError([f"Tệp quá lớn ({size} MB); giới hạn {MAX_BYTES // 1024 // 1024} MB."])


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SpecError(["Tệp không phải văn bản UTF-8."]) from None


YAML_FRAMEWORK_KEYS = set(FRAMEWORK_DEFAULTS) | {"format", "nodes"}
YAML_NODE_KEYS = (set(NODE_DEFAULTS) - {"parent"}) | {"children"}


def read_yaml(content: bytes) -> dict:
    """A spec from YAML bytes. Raises SpecError listing every problem (nothing partial)."""
    _check_size(content)
    try:
        data = yaml_load(_decode(content))
    except yaml.YAMLError as exc:
        raise SpecError([_yaml_error(exc)]) from None
    if not isinstance(data, dict):
        raise SpecError(["Tệp YAML phải là một bảng khóa–giá trị có code, name và nodes."])
    problems: list[Problem] = []
    unknown = sorted(str(k) for k in set(data) - YAML_FRAMEWORK_KEYS)
    if unknown:
        problems.append(Problem(f"Khóa không hợp lệ ở đầu tệp: {', '.join(unknown)}."))
    if data.get("format") not in (None, FORMAT_ID):
        problems.append(Problem(f"Định dạng “{data.get('format')}” không được hỗ trợ (cần {FORMAT_ID})."))
    spec, more = framework_from_raw({k: v for k, v in data.items() if k in FRAMEWORK_DEFAULTS})
    problems += more
    nodes: list[dict] = []

    def walk(items, parent: str | None, depth: int):
        if items is None:
            return
        if not isinstance(items, list):
            where = f"nút {parent}" if parent else "nodes"
            problems.append(Problem(f"{where}: danh sách nút con phải là một danh sách (- code: …)."))
            return
        if depth > MAX_DEPTH:
            problems.append(Problem(f"Cây quá sâu (quá {MAX_DEPTH} cấp) dưới nút {parent}."))
            return
        for i, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                problems.append(Problem(f"Phần tử thứ {i} dưới {parent or 'nodes'} không phải là một nút."))
                continue
            node, more = node_from_raw({**{k: v for k, v in item.items() if k != "children"}, "parent": parent})
            problems.extend(replace(p, depth=depth) for p in more)
            bad = sorted(str(k) for k in set(item) - YAML_NODE_KEYS)
            if bad:
                problems.append(
                    Problem(f"khóa không hợp lệ: {', '.join(bad)}.", code=node["code"] or f"#{i}", depth=depth)
                )
            nodes.append(node)
            walk(item.get("children"), node["code"] or f"#{i}", depth + 1)

    walk(data.get("nodes"), None, 1)
    spec["nodes"] = nodes
    if problems:
        raise SpecError(problems)
    return spec


def _node_out(node: dict) -> dict:
    out: dict = {"code": node["code"], "name": node["name"]}
    if node["description"]:
        out["description"] = node["description"]
    out["max_points"] = node["max_points"]
    if node["min_points"]:
        out["min_points"] = node["min_points"]
    for key in ("method", "rule", "evidence", "evidence_kinds", "appraising_agency", "sum_note"):
        if node[key]:
            out[key] = node[key]
    for key in ("provenance", "source", "value_provenance"):
        if node[key]:
            out[key] = node[key]
    return out


def write_yaml(spec: dict) -> bytes:
    head: dict = {"format": FORMAT_ID}
    for key, default in FRAMEWORK_DEFAULTS.items():
        value = spec.get(key, default)
        if key in ("code", "name", "declared_total") or (value not in (None, "", [], {}) and value != default):
            head[key] = value
    kids = children_map(spec["nodes"])

    def build(code):
        out = []
        for node in kids.get(code, []):
            item = _node_out(node)
            if kids.get(node["code"]):
                item["children"] = build(node["code"])
            out.append(item)
        return out

    head["nodes"] = build(None)
    text = yaml.dump(head, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=None, width=110)
    banner = (
        f"# Bộ chỉ số “{spec['name']}” — định dạng {FORMAT_ID} của parindex.\n"
        "# Sửa được bằng tay; nhập lại bằng `manage.py import_framework` hoặc trên giao diện.\n"
    )
    return (banner + text).encode("utf-8")


# --- XLSX ---------------------------------------------------------------------------------------------------------

META_SHEET = "Bộ chỉ số"
NODE_SHEET = "Tiêu chí"
META_LABELS = {
    "code": "Mã bộ chỉ số",
    "name": "Tên bộ chỉ số",
    "description": "Mô tả",
    "owner": "Mã cơ quan đánh giá",
    "year_from": "Áp dụng từ năm",
    "year_to": "Áp dụng đến năm",
    "unit_kinds": "Loại đơn vị được đánh giá",
    "unit_groups": "Mã nhóm đơn vị",
    "decision": "Văn bản ban hành",
    "decision_date": "Ngày ban hành",
    "declared_total": "Tổng điểm",
    "provenance": "Tính chính thức",
    "source": "Nguồn",
}
COLUMNS = [
    ("code", "Mã"),
    ("parent", "Mã cha"),
    ("name", "Tên"),
    ("description", "Mô tả"),
    ("max_points", "Điểm tối đa"),
    ("min_points", "Điểm sàn"),
    ("method", "Phương thức"),
    ("rule", "Quy tắc chấm điểm"),
    ("rule_text", "Diễn giải quy tắc"),
    ("evidence", "Tài liệu kiểm chứng"),
    ("evidence_kinds", "Loại tài liệu"),
    ("appraising_agency", "Cơ quan thẩm định"),
    ("sum_note", "Giải thích tổng điểm"),
    ("provenance", "Tính chính thức"),
    ("source", "Nguồn"),
    ("value_provenance", "Đánh dấu từng giá trị"),
]
EXPORT_ONLY = {"rule_text"}
REQUIRED_COLUMNS = {"code", "name", "max_points"}
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "'")


def neutralise(value):
    """Text that Excel would read as a formula gets a leading apostrophe (read back without it)."""
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


def unneutralise(value):
    if isinstance(value, str) and value.startswith("'"):
        return value[1:]
    return value


def _fold(text: str) -> str:
    return rules._fold(str(text or ""))


_COLUMN_KEYS = {}
for _key, _label in COLUMNS:
    _COLUMN_KEYS[_fold(_label)] = _key
    _COLUMN_KEYS[_fold(_key)] = _key
_META_KEYS = {}
for _key, _label in META_LABELS.items():
    _META_KEYS[_fold(_label)] = _key
    _META_KEYS[_fold(_key)] = _key
_METHOD_KEYS = {_fold(label): key for key, label in METHOD_LABELS.items()} | {key: key for key in METHODS}
_PROVENANCE_KEYS = {_fold(label): key for key, label in PROVENANCE_LABELS.items() if key} | {
    "official": "official",
    "illustrative": "illustrative",
}


def _flow(value) -> str:
    return yaml.dump(
        value, Dumper=_Dumper, default_flow_style=True, allow_unicode=True, width=10**6, sort_keys=False
    ).strip()


def write_xlsx(spec: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    meta = wb.active
    meta.title = META_SHEET
    meta.append(["Thuộc tính", "Giá trị", "Diễn giải"])
    for key, label in META_LABELS.items():
        value = spec.get(key, FRAMEWORK_DEFAULTS[key])
        if key in ("unit_kinds", "unit_groups"):
            value = "; ".join(value)
        elif key == "decision_date" and value:
            value = dt.date.fromisoformat(value)
        elif key == "provenance":
            value = PROVENANCE_LABELS.get(value, value)
        elif isinstance(value, Decimal):
            value = float(value) if value != value.to_integral_value() else int(value)
        meta.append([key, neutralise(value if value is not None else ""), label])
    for method, amount in (spec.get("pools") or {}).items():
        meta.append([f"pools.{method}", float(amount), f"Cơ cấu điểm: {METHOD_LABELS.get(method, method)}"])
    meta.column_dimensions["A"].width = 18
    meta.column_dimensions["B"].width = 60
    meta.column_dimensions["C"].width = 40
    for cell in meta[1]:
        cell.font = Font(bold=True)

    ws = wb.create_sheet(NODE_SHEET)
    ws.append([label for _key, label in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.freeze_panes = "C2"
    for node in tree_order(spec["nodes"]):
        row = []
        for key, _label in COLUMNS:
            if key == "rule_text":
                value = (
                    rules.describe(node["rule"], max_points=node["max_points"], min_points=node["min_points"])
                    if node["rule"]
                    else ""
                )
            elif key in ("max_points", "min_points"):
                value = node[key]
                value = int(value) if value == value.to_integral_value() else float(value)
            elif key == "rule":
                value = _flow(node["rule"]) if node["rule"] else ""
            elif key == "method":
                value = METHOD_LABELS.get(node["method"], node["method"])
            elif key == "provenance":
                value = PROVENANCE_LABELS.get(node["provenance"], node["provenance"])
            elif key == "evidence_kinds":
                value = "; ".join(node["evidence_kinds"])
            elif key == "value_provenance":
                value = _flow(node["value_provenance"]) if node["value_provenance"] else ""
            else:
                value = node[key] or ""
            row.append(neutralise(value))
        ws.append(row)
    widths = {"A": 10, "B": 10, "C": 60, "D": 30, "E": 10, "F": 9, "G": 26, "H": 60, "I": 50, "J": 40}
    for column, width in widths.items():
        ws.column_dimensions[column].width = width
    methods = DataValidation(
        type="list", formula1='"' + ",".join(METHOD_LABELS.values()).replace('"', "") + '"', allow_blank=True
    )
    ws.add_data_validation(methods)
    methods.add(f"G2:G{max(ws.max_row, 2) + 200}")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell_value(cell, problems: list[Problem], row: int, column: str):
    if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith("=") and cell.data_type != "s"):
        problems.append(Problem(f"cột “{column}” chứa công thức ({str(cell.value)[:40]}); hãy nhập giá trị.", row=row))
        return None
    value = cell.value
    if isinstance(value, float):
        value = Decimal(repr(value))
    return unneutralise(value)


def read_xlsx(content: bytes) -> dict:
    """A spec from XLSX bytes. Raises SpecError listing every problem (rows and columns named)."""
    _check_size(content)
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = load_workbook(io.BytesIO(content), data_only=False, read_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError, TypeError):
        raise SpecError(["Tệp không phải là tệp Excel (.xlsx) hợp lệ."]) from None
    if NODE_SHEET not in wb.sheetnames:
        raise SpecError([f"Tệp Excel thiếu trang tính “{NODE_SHEET}”."])
    problems: list[Problem] = []

    raw_meta: dict = {}
    if META_SHEET in wb.sheetnames:
        for r, cells in enumerate(wb[META_SHEET].iter_rows(min_row=2), start=2):
            if not cells or cells[0].value in (None, ""):
                continue
            key_text = str(cells[0].value).strip()
            value = _cell_value(cells[1], problems, r, "Giá trị") if len(cells) > 1 else None
            if key_text.startswith("pools."):
                raw_meta.setdefault("pools", {})[key_text[6:]] = value
                continue
            key = _META_KEYS.get(_fold(key_text))
            if key is None:
                problems.append(Problem(f"trang “{META_SHEET}”: thuộc tính “{key_text}” không hợp lệ.", row=r))
                continue
            if key == "provenance" and value:
                value = _PROVENANCE_KEYS.get(_fold(value), value)
            raw_meta[key] = value
    spec, more = framework_from_raw(raw_meta)
    problems += more

    ws = wb[NODE_SHEET]
    rows = ws.iter_rows()
    try:
        header = next(rows)
    except StopIteration:
        raise SpecError([f"Trang “{NODE_SHEET}” trống."]) from None
    columns: list[str | None] = []
    for cell in header:
        text = str(cell.value or "").strip()
        if not text:
            columns.append(None)
            continue
        key = _COLUMN_KEYS.get(_fold(text))
        if key is None:
            problems.append(
                Problem(f"Cột “{text}” không hợp lệ; các cột dùng được: {', '.join(label for _k, label in COLUMNS)}.")
            )
        columns.append(key)
    missing = [label for key, label in COLUMNS if key in REQUIRED_COLUMNS and key not in columns]
    if missing:
        problems.append(Problem(f"Thiếu cột: {', '.join(missing)}."))
    if problems:
        raise SpecError(problems)
    labels = dict(COLUMNS)
    nodes = []
    for r, cells in enumerate(rows, start=2):
        raw: dict = {}
        for key, cell in zip(columns, cells, strict=False):
            if key is None:
                if cell.value not in (None, ""):
                    problems.append(Problem("có dữ liệu ở cột không có tiêu đề.", row=r))
                continue
            if key in EXPORT_ONLY:
                continue
            raw[key] = _cell_value(cell, problems, r, labels[key])
        if all(v in (None, "") for v in raw.values()):
            continue
        if len(nodes) >= 5000:
            problems.append(Problem("Quá nhiều dòng (tối đa 5.000)."))
            break
        code = raw.get("code")
        for key in ("rule", "value_provenance"):
            text = raw.get(key)
            if isinstance(text, str) and text.strip():
                try:
                    raw[key] = yaml_load(text)
                except yaml.YAMLError as exc:
                    problem = getattr(exc, "problem", None) or "cú pháp không hợp lệ"
                    problems.append(Problem(f"cột “{labels[key]}” không đọc được: {problem}.", row=r))
                    raw[key] = None
        method = raw.get("method")
        if isinstance(method, str) and method.strip():
            raw["method"] = _METHOD_KEYS.get(_fold(method), method.strip())
        provenance = raw.get("provenance")
        if isinstance(provenance, str) and provenance.strip():
            raw["provenance"] = _PROVENANCE_KEYS.get(_fold(provenance), provenance.strip())
        node, more = node_from_raw(raw, row=r)
        node["_row"] = r
        if code in (None, ""):
            problems.append(Problem("thiếu mã.", row=r))
        problems.extend(more)
        nodes.append(node)
    spec["nodes"] = nodes
    if problems:
        levels = depths(nodes)
        raise SpecError([replace(p, depth=levels.get(p.code)) if p.code else p for p in problems])
    # rows may come in any order: keep each parent's children in row order, parents first.
    spec["nodes"] = tree_order(nodes) if len(tree_order(nodes)) == len(nodes) else nodes
    return spec


def read(content: bytes, fmt: str) -> dict:
    if fmt == "yaml":
        return read_yaml(content)
    if fmt == "xlsx":
        return read_xlsx(content)
    raise SpecError([f"Định dạng “{fmt}” không được hỗ trợ (yaml hoặc xlsx)."])


def write(spec: dict, fmt: str) -> bytes:
    return write_yaml(spec) if fmt == "yaml" else write_xlsx(spec)


def guess_format(filename: str, content: bytes) -> str:
    name = (filename or "").lower()
    if name.endswith(".xlsx") or content[:2] == b"PK":
        return "xlsx"
    return "yaml"


def read_checked(content: bytes, fmt: str) -> dict:
    """Read and validate: the spec when it may be imported, else SpecError with every problem."""
    spec = read(content, fmt)
    problems = validate(spec)
    if problems:
        raise SpecError(problems)
    for node in spec["nodes"]:
        node.pop("_row", None)
    return spec
