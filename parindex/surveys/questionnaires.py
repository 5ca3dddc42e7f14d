"""Questionnaires (phiếu khảo sát): the YAML and XLSX formats, their checks, and the services that change them.

A questionnaire is a list of questions; each question has answer options, each option a weight in percent (0–100)
or "excluded" (không biết / không trả lời: the answer does not count), and maps to one or more criteria of the
survey's framework — codes of leaf nodes scored by sociological survey (``method: survey``), each with a weight.
A question without options gets the default scale A=100, B=60, C=20, D=0, X excluded.

YAML (``parindex-questionnaire/1``)::

    format: parindex-questionnaire/1
    code: phieu-nguoi-dan
    name: Phiếu khảo sát người dân, tổ chức
    description: Xin ông/bà cho biết ý kiến…
    questions:
      - code: Q1
        text: Ông/bà đánh giá thế nào về thái độ của công chức?
        criteria: [{node: '3.1', weight: 1}]     # or ['3.1'] or '3.1:2; 3.2'
        sipas: true
        options:                                   # optional: the default scale when left out
          - {code: A, text: Rất hài lòng, weight: 100}
          - {code: X, text: Không biết / không trả lời, excluded: true}

XLSX: sheet "Phiếu" (Thuộc tính / Giá trị: Mã phiếu, Tên phiếu, Lời dẫn) and sheet "Câu hỏi", one answer option a
row; the question's columns (Mã câu hỏi, Câu hỏi, Tiêu chí, SIPAS) are filled on its first row and may be left empty
on the rows of its other options.

Imports are all-or-nothing: every problem is listed, naming the question (and the row of the spreadsheet), and
nothing is written while one remains. A questionnaire that respondents have started answering keeps its structure
(codes, weights, criteria): only its wording may still be corrected.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef

from parindex.core.services import audit_record
from parindex.core.text import fold
from parindex.frameworks.formats import _Dumper, neutralise, unneutralise, yaml_load
from parindex.frameworks.rules import RuleError, to_decimal

from .models import Option, Question, Questionnaire, RespondentGroup, Response, Survey

FORMAT_ID = "parindex-questionnaire/1"
MAX_BYTES = 2 * 1024 * 1024
MAX_QUESTIONS = 300
MAX_OPTIONS = 12
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")

DEFAULT_OPTIONS = [
    {"code": "A", "text": "Rất hài lòng", "weight": 100, "excluded": False},
    {"code": "B", "text": "Hài lòng", "weight": 60, "excluded": False},
    {"code": "C", "text": "Chưa hài lòng", "weight": 20, "excluded": False},
    {"code": "D", "text": "Không hài lòng", "weight": 0, "excluded": False},
    {"code": "X", "text": "Không biết / không trả lời", "weight": 0, "excluded": True},
]

META_SHEET = "Phiếu"
QUESTION_SHEET = "Câu hỏi"
META_LABELS = {"code": "Mã phiếu", "name": "Tên phiếu", "description": "Lời dẫn"}
COLUMNS = [
    ("question", "Mã câu hỏi"),
    ("text", "Câu hỏi"),
    ("criteria", "Tiêu chí"),
    ("sipas", "SIPAS"),
    ("option", "Mã phương án"),
    ("option_text", "Phương án"),
    ("weight", "Trọng số (%)"),
    ("excluded", "Không tính"),
]
REQUIRED_COLUMNS = {"question", "text", "option", "option_text"}
YES = {"co", "x", "yes", "true", "1", "dung"}
NO = {"", "khong", "no", "false", "0", "sai"}

YAML_KEYS = {"format", "code", "name", "description", "questions"}
QUESTION_KEYS = {"code", "text", "criteria", "sipas", "options"}
OPTION_KEYS = {"code", "text", "weight", "excluded"}


class QuestionnaireError(ValueError):
    """Problems that stop an import or a save; ``messages`` lists them all (in Vietnamese)."""

    def __init__(self, messages: list[str]):
        self.messages = [str(m) for m in messages]
        super().__init__("\n".join(self.messages))


@dataclass(frozen=True)
class Criterion:
    code: str
    name: str
    method: str
    leaf: bool


# --- reading loosely typed values ----------------------------------------------------------------------------------


def _where(code: str, row: int | None = None, index: int | None = None) -> str:
    label = f"Câu {code}" if code else f"Câu thứ {index}" if index else "Câu hỏi"
    return f"Dòng {row} ({label.lower()})" if row else label


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _flag(value, what: str, problems: list[str], where: str) -> bool:
    if isinstance(value, bool):
        return value
    folded = fold(_text(value))
    if folded in YES:
        return True
    if folded in NO:
        return False
    problems.append(f"{where}: {what} phải là “có” hoặc “không” (nhận được “{_text(value)}”).")
    return False


def _number(value, what: str, problems: list[str], where: str) -> Decimal | None:
    try:
        return to_decimal(value, what)
    except RuleError as exc:
        problems.append(f"{where}: {exc}")
        return None


def _plain_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def parse_criteria(value, problems: list[str], where: str) -> list[dict]:
    """``[{"node": "3.1", "weight": 1}]`` from a list of mappings, a list of codes, or text ``3.1:2; 3.2``."""
    items: list[tuple[str, object]] = []
    if value is None or value == "":
        return []
    if isinstance(value, str):
        for part in re.split(r"[;\n]", value):
            part = part.strip()
            if not part:
                continue
            code, _sep, weight = part.partition(":")
            items.append((code.strip(), weight.strip() or 1))
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                unknown = sorted(str(k) for k in set(item) - {"node", "weight"})
                if unknown:
                    problems.append(f"{where}: khóa không hợp lệ trong tiêu chí: {', '.join(unknown)}.")
                items.append((_text(item.get("node")), item.get("weight", 1)))
            elif isinstance(item, str | int | float):
                items.append((_text(item), 1))
            else:
                problems.append(f"{where}: mỗi tiêu chí là một mã (ví dụ '3.1') hoặc {{node: '3.1', weight: 1}}.")
    else:
        problems.append(f"{where}: “tiêu chí” phải là danh sách mã tiêu chí, ví dụ 3.1: 1; 3.2: 0,5.")
        return []
    out: list[dict] = []
    seen: set[str] = set()
    for code, raw_weight in items:
        if not code:
            problems.append(f"{where}: thiếu mã tiêu chí.")
            continue
        if code in seen:
            problems.append(f"{where}: tiêu chí “{code}” được ghi hai lần.")
            continue
        seen.add(code)
        weight = _number(raw_weight, f"trọng số của tiêu chí “{code}”", problems, where)
        if weight is None:
            continue
        if weight <= 0 or weight > 1000:
            problems.append(f"{where}: trọng số của tiêu chí “{code}” phải lớn hơn 0 và không quá 1.000.")
            continue
        out.append({"node": code, "weight": _plain_number(weight)})
    return out


def criteria_text(criteria: list[dict]) -> str:
    """``3.1; 3.2: 0,5`` — how criteria are written in a spreadsheet cell and in the edit form."""
    parts = []
    for item in criteria or []:
        weight = Decimal(str(item.get("weight", 1)))
        shown = format(weight.normalize(), "f").replace(".", ",")
        parts.append(str(item.get("node")) if weight == 1 else f"{item.get('node')}: {shown}")
    return "; ".join(parts)


def parse_option(raw: dict, problems: list[str], where: str) -> dict:
    code = _text(raw.get("code"))
    text = _text(raw.get("text"))
    label = f"phương án {code}" if code else "phương án"
    if not code:
        problems.append(f"{where}: thiếu mã phương án.")
    elif len(code) > 8 or not CODE_RE.match(code):
        problems.append(f"{where}: mã phương án “{code}” không hợp lệ (tối đa 8 chữ cái, chữ số).")
    if not text:
        problems.append(f"{where}: {label} thiếu nội dung.")
    elif len(text) > 500:
        problems.append(f"{where}: nội dung {label} quá 500 ký tự.")
    excluded = _flag(raw.get("excluded"), f"cột “Không tính” của {label}", problems, where)
    weight_raw = raw.get("weight")
    weight = 0
    if weight_raw not in (None, ""):
        number = _number(weight_raw, f"trọng số của {label}", problems, where)
        if number is not None:
            if number != number.to_integral_value():
                problems.append(f"{where}: trọng số của {label} phải là số nguyên phần trăm (0–100).")
            elif number > 100:
                problems.append(f"{where}: trọng số của {label} là {_plain_number(number)}, vượt quá 100.")
            elif number < 0:
                problems.append(f"{where}: trọng số của {label} không được âm.")
            else:
                weight = int(number)
    elif not excluded:
        problems.append(f"{where}: {label} thiếu trọng số (0–100); nếu không tính điểm, đánh dấu “Không tính”.")
    return {"code": code, "text": text, "weight": 0 if excluded else weight, "excluded": excluded}


def parse_question(raw: dict, problems: list[str], *, row: int | None = None, index: int | None = None) -> dict:
    code = _text(raw.get("code"))
    where = _where(code, row, index)
    if not code:
        problems.append(f"{where}: thiếu mã câu hỏi.")
    elif len(code) > 32 or not CODE_RE.match(code):
        problems.append(f"{where}: mã câu hỏi “{code}” không hợp lệ (tối đa 32 chữ cái, chữ số, dấu chấm, gạch).")
    text = _text(raw.get("text"))
    if not text:
        problems.append(f"{where}: thiếu nội dung câu hỏi.")
    elif len(text) > 2000:
        problems.append(f"{where}: nội dung câu hỏi quá 2.000 ký tự.")
    criteria = parse_criteria(raw.get("criteria"), problems, where)
    sipas = _flag(raw.get("sipas"), "“SIPAS”", problems, where)
    raw_options = raw.get("options")
    options: list[dict] = []
    if raw_options in (None, "", []):
        options = [dict(o) for o in DEFAULT_OPTIONS]
    elif not isinstance(raw_options, list):
        problems.append(f"{where}: “options” phải là danh sách phương án.")
    else:
        for i, item in enumerate(raw_options, start=1):
            if not isinstance(item, dict):
                problems.append(f"{where}: phương án thứ {i} phải là {{code, text, weight}}.")
                continue
            unknown = sorted(str(k) for k in set(item) - OPTION_KEYS - {"row"})
            if unknown:
                problems.append(f"{where}: khóa không hợp lệ trong phương án thứ {i}: {', '.join(unknown)}.")
            options.append(parse_option(item, problems, _where(code, item.get("row") or row, index)))
    return {"code": code, "text": text, "criteria": criteria, "sipas": sipas, "options": options, "row": row}


def check_structure(spec: dict, criteria: dict[str, Criterion] | None, framework_name: str = "") -> list[str]:
    """Problems of a whole questionnaire: codes, duplicates, option counts, and (when ``criteria`` is given) the
    mapping to survey criteria of the framework."""
    problems: list[str] = []
    code = spec.get("code", "")
    if not code:
        problems.append("Thiếu mã phiếu.")
    elif len(code) > 64 or not SLUG_RE.match(code):
        problems.append(f"Mã phiếu “{code}” không hợp lệ: chỉ dùng chữ cái không dấu, chữ số, gạch ngang (tối đa 64).")
    if not spec.get("name"):
        problems.append("Thiếu tên phiếu.")
    elif len(spec["name"]) > 300:
        problems.append("Tên phiếu quá 300 ký tự.")
    questions = spec.get("questions") or []
    if not questions:
        problems.append("Phiếu chưa có câu hỏi nào.")
    if len(questions) > MAX_QUESTIONS:
        problems.append(f"Phiếu có {len(questions)} câu hỏi; tối đa {MAX_QUESTIONS}.")
    seen: dict[str, int] = {}
    for index, question in enumerate(questions, start=1):
        where = _where(question["code"], question.get("row"), index)
        if question["code"]:
            if question["code"] in seen:
                problems.append(f"{where}: mã câu hỏi “{question['code']}” trùng với câu thứ {seen[question['code']]}.")
            else:
                seen[question["code"]] = index
        options = question["options"]
        codes: set[str] = set()
        for option in options:
            if option["code"] and option["code"] in codes:
                problems.append(f"{where}: mã phương án “{option['code']}” bị trùng.")
            codes.add(option["code"])
        if len(options) < 2:
            problems.append(f"{where}: cần ít nhất hai phương án trả lời.")
        if len(options) > MAX_OPTIONS:
            problems.append(f"{where}: tối đa {MAX_OPTIONS} phương án.")
        if options and all(o["excluded"] for o in options):
            problems.append(f"{where}: cần ít nhất một phương án được tính điểm.")
        if criteria is None:
            continue
        for item in question["criteria"]:
            found = criteria.get(item["node"])
            if found is None:
                in_framework = f" của bộ chỉ số “{framework_name}”" if framework_name else ""
                problems.append(f"{where}: không có tiêu chí “{item['node']}” trong bộ chỉ số{in_framework}.")
            elif found.method != "survey":
                problems.append(
                    f"{where}: tiêu chí “{item['node']}” ({found.name}) không được chấm bằng điều tra xã hội học."
                )
            elif not found.leaf:
                problems.append(
                    f"{where}: tiêu chí “{item['node']}” có tiêu chí thành phần; "
                    "hãy gắn câu hỏi với tiêu chí thành phần."
                )
    return problems


# --- YAML ----------------------------------------------------------------------------------------------------------


def _check_size(content: bytes) -> None:
    if len(content) > MAX_BYTES:
        raise QuestionnaireError([f"Tệp quá lớn; giới hạn {MAX_BYTES // 1024 // 1024} MB."])


def read_yaml(content: bytes) -> dict:
    _check_size(content)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise QuestionnaireError(["Tệp không phải văn bản UTF-8."]) from None
    try:
        data = yaml_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" ở dòng {mark.line + 1}, cột {mark.column + 1}" if mark else ""
        raise QuestionnaireError([f"Tệp YAML sai cú pháp{where}."]) from None
    if not isinstance(data, dict):
        raise QuestionnaireError(["Tệp YAML phải là một bảng khóa–giá trị có code, name và questions."])
    problems: list[str] = []
    unknown = sorted(str(k) for k in set(data) - YAML_KEYS)
    if unknown:
        problems.append(f"Khóa không hợp lệ ở đầu tệp: {', '.join(unknown)}.")
    if data.get("format") not in (None, FORMAT_ID):
        problems.append(f"Định dạng “{data.get('format')}” không được hỗ trợ (cần {FORMAT_ID}).")
    spec = {
        "code": _text(data.get("code")),
        "name": _text(data.get("name")),
        "description": _text(data.get("description")),
        "questions": [],
    }
    raw_questions = data.get("questions")
    if raw_questions is not None and not isinstance(raw_questions, list):
        problems.append("“questions” phải là danh sách câu hỏi (- code: …).")
        raw_questions = []
    for index, item in enumerate(raw_questions or [], start=1):
        if not isinstance(item, dict):
            problems.append(f"Câu thứ {index}: phải là một câu hỏi (code, text, criteria, options).")
            continue
        unknown = sorted(str(k) for k in set(item) - QUESTION_KEYS)
        if unknown:
            problems.append(f"{_where(_text(item.get('code')), None, index)}: khóa không hợp lệ: {', '.join(unknown)}.")
        spec["questions"].append(parse_question(item, problems, index=index))
    spec["problems"] = problems
    return spec


def _yaml_question(question: dict) -> dict:
    out: dict = {"code": question["code"], "text": question["text"]}
    if question["criteria"]:
        out["criteria"] = [{"node": c["node"], "weight": c["weight"]} for c in question["criteria"]]
    if question["sipas"]:
        out["sipas"] = True
    options = []
    for option in question["options"]:
        item: dict = {"code": option["code"], "text": option["text"]}
        if option["excluded"]:
            item["excluded"] = True
        else:
            item["weight"] = option["weight"]
        options.append(item)
    out["options"] = options
    return out


def write_yaml(spec: dict) -> bytes:
    head: dict = {"format": FORMAT_ID, "code": spec["code"], "name": spec["name"]}
    if spec.get("description"):
        head["description"] = spec["description"]
    head["questions"] = [_yaml_question(q) for q in spec["questions"]]
    text = yaml.dump(head, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=None, width=110)
    banner = (
        f"# Phiếu khảo sát “{spec['name']}” — định dạng {FORMAT_ID} của parindex.\n"
        "# Sửa được bằng tay; nhập lại bằng `manage.py import_questionnaire` hoặc trên giao diện.\n"
    )
    return (banner + text).encode("utf-8")


# --- XLSX ----------------------------------------------------------------------------------------------------------

_COLUMN_KEYS = {fold(label): key for key, label in COLUMNS} | {fold(key): key for key, _label in COLUMNS}
_COLUMN_KEYS.update({fold("Trọng số"): "weight", fold("Không biết / không trả lời"): "excluded"})
_META_KEYS = {fold(label): key for key, label in META_LABELS.items()} | {key: key for key in META_LABELS}


def write_xlsx(spec: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    meta = wb.active
    meta.title = META_SHEET
    meta.append(["Thuộc tính", "Giá trị"])
    for key, label in META_LABELS.items():
        meta.append([label, neutralise(spec.get(key) or "")])
    meta.column_dimensions["A"].width = 16
    meta.column_dimensions["B"].width = 80
    for cell in meta[1]:
        cell.font = Font(bold=True)

    ws = wb.create_sheet(QUESTION_SHEET)
    ws.append([label for _key, label in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.freeze_panes = "A2"
    for question in spec["questions"]:
        for i, option in enumerate(question["options"]):
            sipas = "có" if question["sipas"] else ""
            head = [question["code"], question["text"], criteria_text(question["criteria"]), sipas]
            if i:
                head = ["", "", "", ""]
            tail = [option["code"], option["text"], "" if option["excluded"] else option["weight"]]
            tail.append("có" if option["excluded"] else "")
            ws.append([neutralise(v) for v in head + tail])
    for column, width in {"A": 12, "B": 70, "C": 16, "D": 8, "E": 13, "F": 36, "G": 12, "H": 11}.items():
        ws.column_dimensions[column].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell(cell, problems: list[str], row: int, label: str):
    if cell.data_type == "f":
        problems.append(f"Dòng {row}: cột “{label}” chứa công thức; hãy nhập giá trị.")
        return None
    value = cell.value
    return unneutralise(value) if isinstance(value, str) else value


def read_xlsx(content: bytes) -> dict:
    _check_size(content)
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = load_workbook(io.BytesIO(content), data_only=False, read_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError, TypeError):
        raise QuestionnaireError(["Tệp không phải là tệp Excel (.xlsx) hợp lệ."]) from None
    if QUESTION_SHEET not in wb.sheetnames:
        raise QuestionnaireError([f"Tệp Excel thiếu trang tính “{QUESTION_SHEET}”."])
    problems: list[str] = []
    spec: dict = {"code": "", "name": "", "description": "", "questions": []}
    if META_SHEET in wb.sheetnames:
        for r, cells in enumerate(wb[META_SHEET].iter_rows(min_row=2), start=2):
            if not cells or cells[0].value in (None, ""):
                continue
            key = _META_KEYS.get(fold(_text(cells[0].value)))
            if key is None:
                problems.append(f"Trang “{META_SHEET}”, dòng {r}: thuộc tính “{_text(cells[0].value)}” không hợp lệ.")
                continue
            spec[key] = _text(_cell(cells[1], problems, r, "Giá trị")) if len(cells) > 1 else ""
    ws = wb[QUESTION_SHEET]
    rows = ws.iter_rows()
    try:
        header = next(rows)
    except StopIteration:
        raise QuestionnaireError([f"Trang “{QUESTION_SHEET}” trống."]) from None
    columns: list[str | None] = []
    for cell in header:
        text = _text(cell.value)
        key = _COLUMN_KEYS.get(fold(text)) if text else None
        if text and key is None:
            problems.append(f"Cột “{text}” không hợp lệ; các cột: {', '.join(label for _k, label in COLUMNS)}.")
        columns.append(key)
    missing = [label for key, label in COLUMNS if key in REQUIRED_COLUMNS and key not in columns]
    if missing:
        problems.append(f"Thiếu cột: {', '.join(missing)}.")
    if problems:
        raise QuestionnaireError(problems)
    labels = dict(COLUMNS)
    raw_questions: list[tuple[int, dict]] = []
    current: dict | None = None
    for r, cells in enumerate(rows, start=2):
        raw: dict = {}
        for key, cell in zip(columns, cells, strict=False):
            if key is not None:
                raw[key] = _cell(cell, problems, r, labels[key])
        if all(v in (None, "") for v in raw.values()):
            continue
        if len(raw_questions) > MAX_QUESTIONS:
            problems.append(f"Quá nhiều câu hỏi (tối đa {MAX_QUESTIONS}).")
            break
        code = _text(raw.get("question"))
        starts = bool(code) and (current is None or code != current["code"])
        if starts or current is None:
            current = {
                "code": code,
                "text": raw.get("text"),
                "criteria": raw.get("criteria"),
                "sipas": raw.get("sipas"),
                "options": [],
            }
            raw_questions.append((r, current))
        elif not code and _text(raw.get("text")) and _text(raw.get("text")) != _text(current.get("text")):
            problems.append(f"Dòng {r}: có nội dung câu hỏi nhưng thiếu “Mã câu hỏi”.")
        if any(raw.get(k) not in (None, "") for k in ("option", "option_text", "weight", "excluded")):
            current["options"].append(
                {
                    "code": raw.get("option"),
                    "text": raw.get("option_text"),
                    "weight": raw.get("weight"),
                    "excluded": raw.get("excluded"),
                    "row": r,
                }
            )
    for index, (r, raw) in enumerate(raw_questions, start=1):
        spec["questions"].append(parse_question(raw, problems, row=r, index=index))
    spec["problems"] = problems
    return spec


def guess_format(filename: str, content: bytes) -> str:
    name = (filename or "").lower()
    if name.endswith(".xlsx") or content[:2] == b"PK":
        return "xlsx"
    return "yaml"


def read_lenient(content: bytes, fmt: str) -> tuple[dict, list[str]]:
    """The spec and the problems found while reading it (raises only when the file cannot be read at all)."""
    if fmt == "yaml":
        spec = read_yaml(content)
    elif fmt == "xlsx":
        spec = read_xlsx(content)
    else:
        raise QuestionnaireError([f"Định dạng “{fmt}” không được hỗ trợ (yaml hoặc xlsx)."])
    return spec, spec.pop("problems", [])


def read(content: bytes, fmt: str) -> dict:
    """The spec of a file; QuestionnaireError listing every problem of reading it."""
    spec, problems = read_lenient(content, fmt)
    if problems:
        raise QuestionnaireError(problems)
    return spec


def write(spec: dict, fmt: str) -> bytes:
    return write_yaml(spec) if fmt == "yaml" else write_xlsx(spec)


# --- reading the database -------------------------------------------------------------------------------------------


def questionnaire_spec(questionnaire: Questionnaire) -> dict:
    questions = []
    for question in questionnaire.questions.order_by("order", "id").prefetch_related("options"):
        questions.append(
            {
                "code": question.code,
                "text": question.text,
                "criteria": [dict(c) for c in question.criteria or [] if isinstance(c, dict)],
                "sipas": question.is_sipas,
                "options": [
                    {"code": o.code, "text": o.text, "weight": o.weight, "excluded": o.excluded}
                    for o in sorted(question.options.all(), key=lambda o: (o.order, o.pk))
                ],
                "row": None,
            }
        )
    return {
        "code": questionnaire.code,
        "name": questionnaire.name,
        "description": questionnaire.description,
        "questions": questions,
    }


def framework_criteria(framework) -> dict[str, Criterion]:
    from parindex.frameworks.models import Node

    has_children = Node.objects.filter(parent=OuterRef("pk"))
    return {
        code: Criterion(code, name, method or "", not inner)
        for code, name, method, inner in Node.objects.filter(framework=framework)
        .annotate(inner=Exists(has_children))
        .values_list("code", "name", "method", "inner")
    }


def survey_criteria(framework) -> list[Criterion]:
    """The criteria a question may feed: leaf nodes scored by survey."""
    return sorted(
        (c for c in framework_criteria(framework).values() if c.method == "survey" and c.leaf),
        key=lambda c: [int(p) if p.isdigit() else p for p in c.code.split(".")],
    )


def questionnaire_surveys(questionnaire: Questionnaire):
    return Survey.objects.filter(groups__questionnaire=questionnaire).select_related("framework").distinct()


def questionnaire_locked(questionnaire: Questionnaire) -> bool:
    """Respondents have started answering it (a response exists for a group using it)."""
    return Response.objects.filter(group__questionnaire=questionnaire).exists()


LOCKED_MESSAGE = (
    "Phiếu “{name}” đã có người trả lời: không thay đổi được mã, trọng số, phương án hay tiêu chí được tính (các câu "
    "trả lời đã ghi theo cấu trúc hiện tại); chỉ sửa được câu chữ."
)


def _check_against_surveys(spec: dict, questionnaire: Questionnaire | None, survey: Survey | None) -> list[str]:
    surveys = list(questionnaire_surveys(questionnaire)) if questionnaire is not None else []
    if survey is not None and all(s.pk != survey.pk for s in surveys):
        surveys.append(survey)
    problems = check_structure(spec, None)
    seen_frameworks = set()
    for item in surveys:
        if item.framework_id in seen_frameworks:
            continue
        seen_frameworks.add(item.framework_id)
        criteria = framework_criteria(item.framework)
        problems += [p for p in check_structure(spec, criteria, item.framework.name) if p not in problems]
    return problems


def _structure(spec: dict) -> list:
    return [
        (
            q["code"],
            sorted((c["node"], str(c["weight"])) for c in q["criteria"]),
            [(o["code"], o["weight"], o["excluded"]) for o in q["options"]],
        )
        for q in spec["questions"]
    ]


def _write_questions(questionnaire: Questionnaire, questions: list[dict]) -> None:
    """Replace the questions (and options) of ``questionnaire`` with ``questions``."""
    questionnaire.questions.all().delete()
    created = Question.objects.bulk_create(
        [
            Question(
                questionnaire=questionnaire,
                code=q["code"],
                text=q["text"],
                order=i,
                criteria=q["criteria"],
                is_sipas=q["sipas"],
            )
            for i, q in enumerate(questions, start=1)
        ]
    )
    if any(q.pk is None for q in created):  # backends that do not return ids from bulk inserts
        created = list(questionnaire.questions.order_by("order"))
    Option.objects.bulk_create(
        [
            _option(question, o, j)
            for question, q in zip(created, questions, strict=True)
            for j, o in enumerate(q["options"])
        ]
    )


def _option(question: Question, item: dict, order: int) -> Option:
    return Option(
        question=question,
        code=item["code"],
        text=item["text"],
        weight=item["weight"],
        excluded=item["excluded"],
        order=order,
    )


def _reword(questionnaire: Questionnaire, spec: dict) -> int:
    """Update only the wording of a locked questionnaire whose structure ``spec`` keeps; returns changed rows."""
    changed = 0
    questions = {q.code: q for q in questionnaire.questions.prefetch_related("options")}
    for item in spec["questions"]:
        question = questions[item["code"]]
        if question.text != item["text"] or question.is_sipas != item["sipas"]:
            question.text, question.is_sipas = item["text"], item["sipas"]
            question.save(update_fields=["text", "is_sipas"])
            changed += 1
        options = {o.code: o for o in question.options.all()}
        for option_item in item["options"]:
            option = options[option_item["code"]]
            if option.text != option_item["text"]:
                option.text = option_item["text"]
                option.save(update_fields=["text"])
                changed += 1
    return changed


# --- services -------------------------------------------------------------------------------------------------------


def questionnaire_check(*, content: bytes, fmt: str, survey: Survey) -> tuple[dict, Questionnaire | None]:
    """Read and check a file for ``survey`` without writing: the spec and the questionnaire it would replace (or
    None: a new one). Raises QuestionnaireError with every problem."""
    spec, problems = read_lenient(content, fmt)
    existing = Questionnaire.objects.filter(code=spec["code"]).first() if spec["code"] else None
    problems += [p for p in _check_against_surveys(spec, existing, survey) if p not in problems]
    if existing is not None:
        others = RespondentGroup.objects.filter(questionnaire=existing).exclude(survey=survey)
        if others.exists():
            problems.append(
                f"Mã phiếu “{existing.code}” đang được dùng cho cuộc điều tra khác; hãy đổi mã phiếu trong tệp để tạo "
                "phiếu mới."
            )
        elif questionnaire_locked(existing) and _structure(spec) != _structure(questionnaire_spec(existing)):
            problems.append(LOCKED_MESSAGE.format(name=existing.name))
    if problems:
        raise QuestionnaireError(problems)
    return spec, existing


def questionnaire_import(*, content: bytes, fmt: str, survey: Survey, actor, group: RespondentGroup | None = None):
    """Create a questionnaire from a file, or replace the one with the same code (used by this survey only); attach
    it to ``group`` when given. All or nothing."""
    with transaction.atomic():
        spec, existing = questionnaire_check(content=content, fmt=fmt, survey=survey)
        if group is not None and group.survey_id != survey.pk:
            raise QuestionnaireError(["Nhóm người trả lời không thuộc cuộc điều tra này."])
        if existing is None:
            questionnaire = Questionnaire.objects.create(
                code=spec["code"], name=spec["name"], description=spec["description"], owner=survey.cycle.assessor
            )
            _write_questions(questionnaire, spec["questions"])
            action, changes = "survey.questionnaire_imported", {"questions": [None, len(spec["questions"])]}
        else:
            questionnaire = Questionnaire.objects.select_for_update().get(pk=existing.pk)
            old_count = questionnaire.questions.count()
            if questionnaire_locked(questionnaire):
                _reword(questionnaire, spec)
            else:
                _write_questions(questionnaire, spec["questions"])
            questionnaire.name, questionnaire.description = spec["name"], spec["description"]
            questionnaire.save(update_fields=["name", "description", "updated_at"])
            action, changes = "survey.questionnaire_replaced", {"questions": [old_count, len(spec["questions"])]}
        if group is not None and group.questionnaire_id != questionnaire.pk:
            locked_group = RespondentGroup.objects.select_for_update().get(pk=group.pk)
            if Response.objects.filter(group=locked_group).exists():
                raise QuestionnaireError(
                    [f"Nhóm “{locked_group.name}” đã có người trả lời; không đổi được phiếu của nhóm."]
                )
            changes["group_questionnaire"] = [locked_group.questionnaire_id, questionnaire.pk]
            locked_group.questionnaire = questionnaire
            locked_group.save(update_fields=["questionnaire"])
        audit_record(actor=actor, action=action, obj=questionnaire, unit=survey.cycle.assessor, changes=changes)
    return questionnaire


def questionnaire_update(*, questionnaire: Questionnaire, name: str, description: str, actor, unit=None):
    name, description = (name or "").strip(), (description or "").strip()
    if not name:
        raise ValidationError({"name": "Cần nhập tên phiếu."})
    if len(name) > 300:
        raise ValidationError({"name": "Tên phiếu tối đa 300 ký tự."})
    with transaction.atomic():
        locked = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
        changes = {}
        if locked.name != name:
            changes["name"] = [locked.name, name]
        if locked.description != description:
            changes["description"] = [locked.description, description]
        if changes:
            locked.name, locked.description = name, description
            locked.save(update_fields=["name", "description", "updated_at"])
            audit_record(actor=actor, action="survey.questionnaire_updated", obj=locked, unit=unit, changes=changes)
    return locked


def question_save(
    *, questionnaire: Questionnaire, raw: dict, actor, question: Question | None = None, survey: Survey | None = None
) -> Question:
    """Add a question (``question`` None) or change one. ``raw``: code, text, criteria (list or ``3.1: 2; 3.2``),
    sipas, order (optional) and options (list of code, text, weight, excluded; empty: the default scale). Raises
    QuestionnaireError with every problem."""
    problems: list[str] = []
    item = parse_question(raw, problems)
    with transaction.atomic():
        locked_q = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
        spec = questionnaire_spec(locked_q)
        before = _structure(spec)
        if question is None:
            spec["questions"].append(item)
        else:
            index = next((i for i, q in enumerate(spec["questions"]) if q["code"] == question.code), None)
            if index is None:
                raise QuestionnaireError(["Câu hỏi không còn trong phiếu; hãy tải lại trang."])
            spec["questions"][index] = item
        problems += [p for p in _check_against_surveys(spec, locked_q, survey) if p not in problems]
        is_locked = questionnaire_locked(locked_q)
        if not problems and is_locked and _structure(spec) != before:
            problems.append(LOCKED_MESSAGE.format(name=locked_q.name))
        if problems:
            raise QuestionnaireError(problems)
        order = raw.get("order")
        if is_locked:
            _reword(locked_q, spec)
            saved = locked_q.questions.get(code=item["code"])
            action, changes = "survey.question_reworded", {"text": [question.text if question else None, item["text"]]}
        elif question is None:
            last = locked_q.questions.order_by("-order").values_list("order", flat=True).first() or 0
            saved = Question.objects.create(
                questionnaire=locked_q,
                code=item["code"],
                text=item["text"],
                order=int(order) if order not in (None, "") else last + 1,
                criteria=item["criteria"],
                is_sipas=item["sipas"],
            )
            _write_options(saved, item["options"])
            action, changes = "survey.question_added", {"code": [None, item["code"]]}
        else:
            saved = Question.objects.select_for_update().get(pk=question.pk)
            changes = {}
            for field, value in (
                ("code", item["code"]),
                ("text", item["text"]),
                ("criteria", item["criteria"]),
                ("is_sipas", item["sipas"]),
            ):
                if getattr(saved, field) != value:
                    changes[field] = [getattr(saved, field), value]
                    setattr(saved, field, value)
            if order not in (None, "") and int(order) != saved.order:
                changes["order"] = [saved.order, int(order)]
                saved.order = int(order)
            saved.save(update_fields=["code", "text", "criteria", "is_sipas", "order"])
            old_options = [(o.code, o.text, o.weight, o.excluded) for o in saved.options.order_by("order", "id")]
            new_options = [(o["code"], o["text"], o["weight"], o["excluded"]) for o in item["options"]]
            if old_options != new_options:
                saved.options.all().delete()
                _write_options(saved, item["options"])
                changes["options"] = [old_options, new_options]
            action = "survey.question_changed"
        locked_q.save(update_fields=["updated_at"])
        audit_record(actor=actor, action=action, obj=saved, unit=locked_q.owner, changes=changes)
    return saved


def _write_options(question: Question, options: list[dict]) -> None:
    Option.objects.bulk_create([_option(question, o, j) for j, o in enumerate(options)])


def question_delete(*, question: Question, actor) -> None:
    with transaction.atomic():
        locked_q = Questionnaire.objects.select_for_update().get(pk=question.questionnaire_id)
        if questionnaire_locked(locked_q):
            raise QuestionnaireError([LOCKED_MESSAGE.format(name=locked_q.name)])
        if locked_q.questions.count() <= 1:
            raise QuestionnaireError(["Phiếu phải còn ít nhất một câu hỏi."])
        audit_record(
            actor=actor,
            action="survey.question_removed",
            obj=question,
            unit=locked_q.owner,
            changes={"code": [question.code, None]},
        )
        question.delete()
        locked_q.save(update_fields=["updated_at"])
