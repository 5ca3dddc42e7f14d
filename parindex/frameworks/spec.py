"""A framework as plain data (a "spec"): what the YAML and XLSX formats read and write, what validation checks and
what the diff compares. Pure Python, no Django import, so that an import is checked completely before anything is
written.

A spec is a dict of framework attributes plus ``nodes``, a list in tree pre-order; each node names its ``parent``
by code, and siblings keep their order in the list::

    {"code": "876-tinh", "name": "…", "declared_total": Decimal("100"), …,
     "nodes": [{"code": "1", "parent": None, "name": "…", "max_points": Decimal("9.5"), …}, …]}
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from . import rules

METHODS = ("appraised", "survey", "statistics", "bonus", "penalty")
EXTRA_METHODS = ("bonus", "penalty")
METHOD_LABELS = {
    "appraised": "Tự đánh giá, Hội đồng thẩm định",
    "survey": "Điều tra xã hội học",
    "statistics": "Số liệu thống kê, tài liệu",
    "bonus": "Điểm thưởng",
    "penalty": "Điểm trừ",
}
PROVENANCES = ("", "official", "illustrative")
PROVENANCE_LABELS = {"": "", "official": "Chính thức", "illustrative": "Minh họa"}
UNIT_KINDS = (
    "moha",
    "ministry",
    "province",
    "department",
    "public_service_unit",
    "central_agency",
    "district",
    "commune",
    "division",
)
MARKABLE_VALUES = ("name", "max_points", "min_points", "method", "rule", "evidence", "appraising_agency")

FRAMEWORK_DEFAULTS = {
    "code": "",
    "name": "",
    "description": "",
    "owner": "",
    "year_from": None,
    "year_to": None,
    "unit_kinds": [],
    "unit_groups": [],
    "decision": "",
    "decision_date": None,
    "declared_total": Decimal(100),
    "pools": {},
    "provenance": "",
    "source": "",
}
NODE_DEFAULTS = {
    "code": "",
    "parent": None,
    "name": "",
    "description": "",
    "max_points": Decimal(0),
    "min_points": Decimal(0),
    "method": "",
    "rule": None,
    "evidence": "",
    "evidence_kinds": [],
    "appraising_agency": "",
    "sum_note": "",
    "provenance": "",
    "source": "",
    "value_provenance": {},
}
NODE_FIELDS = tuple(NODE_DEFAULTS)
FRAMEWORK_FIELDS = tuple(FRAMEWORK_DEFAULTS)
CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._\-]{0,31}$")
FRAMEWORK_CODE_RE = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")
MAX_NODES = 2000


def kind_label(depth: int) -> str:
    return {1: "Lĩnh vực", 2: "Tiêu chí"}.get(depth, "Tiêu chí thành phần")


@dataclass(frozen=True)
class Problem:
    """One thing wrong, naming the node (by code) and, for a spreadsheet, its row."""

    message: str
    code: str | None = None
    row: int | None = None
    depth: int | None = None

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"Dòng {self.row}")
        if self.code:
            label = kind_label(self.depth) if self.depth else "Nút"
            where.append(f"{label} {self.code}" if not self.row else f"({label.lower()} {self.code})")
        prefix = " ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class SpecError(ValueError):
    """Problems that stop an import or an activation. ``problems`` lists them all."""

    def __init__(self, problems: list[Problem] | list[str]):
        self.problems = [p if isinstance(p, Problem) else Problem(str(p)) for p in problems]
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def messages(self) -> list[str]:
        return [str(p) for p in self.problems]


# --- reading loosely typed values (YAML strings, Excel cells) ----------------------------------------------------


def read_decimal(value, what: str) -> Decimal:
    try:
        return rules.to_decimal(value, what)
    except rules.RuleError as exc:
        raise ValueError(str(exc)) from None


def read_int(value, what: str) -> int | None:
    if value is None or value == "":
        return None
    number = read_decimal(value, what)
    if number != number.to_integral_value():
        raise ValueError(f"{what}: “{value}” phải là số nguyên.")
    return int(number)


def read_date(value, what: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"{what}: “{value}” không phải là ngày (dd/mm/yyyy hoặc yyyy-mm-dd).")


def read_text(value, what: str) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        raise ValueError(f"{what}: cần một đoạn chữ.")
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return rules.format_number(rules.to_decimal(value)).replace(".", "").replace(",", ".")
    return str(value).strip()


def read_list(value, what: str) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[;\n]", value) if part.strip()]
    if isinstance(value, list):
        return [read_text(v, what) for v in value if read_text(v, what)]
    raise ValueError(f"{what}: cần một danh sách.")


def framework_from_raw(raw: dict) -> tuple[dict, list[Problem]]:
    """Typed framework attributes from loosely typed values; problems instead of exceptions."""
    problems: list[Problem] = []
    out = {
        k: (list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v)
        for k, v in FRAMEWORK_DEFAULTS.items()
    }
    readers = {
        "code": read_text,
        "name": read_text,
        "description": read_text,
        "owner": read_text,
        "year_from": read_int,
        "year_to": read_int,
        "unit_kinds": read_list,
        "unit_groups": read_list,
        "decision": read_text,
        "decision_date": read_date,
        "declared_total": read_decimal,
        "provenance": read_text,
        "source": read_text,
    }
    labels = {
        "code": "Mã bộ chỉ số",
        "name": "Tên bộ chỉ số",
        "year_from": "Năm bắt đầu áp dụng",
        "year_to": "Năm kết thúc áp dụng",
        "declared_total": "Tổng điểm",
        "decision_date": "Ngày ban hành",
    }
    for key, reader in readers.items():
        if key in raw and raw[key] is not None and raw[key] != "":
            try:
                out[key] = reader(raw[key], labels.get(key, key))
            except ValueError as exc:
                problems.append(Problem(str(exc)))
    pools = raw.get("pools")
    if pools not in (None, "", {}):
        if not isinstance(pools, dict):
            problems.append(Problem("pools (cơ cấu điểm) phải là bảng phương thức → điểm."))
        else:
            for method, value in pools.items():
                try:
                    out["pools"][str(method)] = read_decimal(value, f"Cơ cấu điểm “{method}”")
                except ValueError as exc:
                    problems.append(Problem(str(exc)))
    return out, problems


def node_from_raw(raw: dict, *, row: int | None = None) -> tuple[dict, list[Problem]]:
    """Typed node values from loosely typed ones (YAML scalars as text, Excel cells)."""
    problems: list[Problem] = []
    code = read_text(raw.get("code"), "Mã")
    node = dict(NODE_DEFAULTS)
    node["evidence_kinds"] = []
    node["value_provenance"] = {}
    node["code"] = code

    def fail(message: str) -> None:
        problems.append(Problem(message, code=code or None, row=row))

    for key in ("name", "description", "method", "evidence", "appraising_agency", "sum_note", "provenance", "source"):
        try:
            node[key] = read_text(raw.get(key), key)
        except ValueError as exc:
            fail(str(exc))
    parent = raw.get("parent")
    node["parent"] = read_text(parent, "Mã cha") or None if parent not in (None, "") else None
    for key, label in (("max_points", "điểm tối đa"), ("min_points", "điểm sàn")):
        value = raw.get(key)
        if value is None or value == "":
            continue
        try:
            node[key] = read_decimal(value, f"{label.capitalize()}")
        except ValueError as exc:
            fail(str(exc))
    try:
        node["evidence_kinds"] = read_list(raw.get("evidence_kinds"), "Loại tài liệu")
    except ValueError as exc:
        fail(str(exc))
    marks = raw.get("value_provenance")
    if marks not in (None, "", {}):
        if isinstance(marks, dict):
            node["value_provenance"] = {str(k): read_text(v, "value_provenance") for k, v in marks.items()}
        else:
            fail("value_provenance phải là bảng giá trị → official/illustrative.")
    rule = raw.get("rule")
    if rule not in (None, "", {}):
        try:
            node["rule"] = rules.canonical(rule)
        except (rules.RuleError, ArithmeticError) as exc:
            fail(f"quy tắc chấm điểm không hợp lệ: {exc}")
            node["rule"] = rule if isinstance(rule, dict) else None
    return node, problems


# --- tree ---------------------------------------------------------------------------------------------------------


def children_map(nodes: list[dict]) -> dict[str | None, list[dict]]:
    found: dict[str | None, list[dict]] = {}
    for node in nodes:
        found.setdefault(node["parent"], []).append(node)
    return found


def depths(nodes: list[dict]) -> dict[str, int]:
    by_code = {n["code"]: n for n in nodes}
    result: dict[str, int] = {}
    for node in nodes:
        depth, seen, current = 1, {node["code"]}, node
        while current["parent"] is not None and current["parent"] in by_code:
            current = by_code[current["parent"]]
            if current["code"] in seen:
                break
            seen.add(current["code"])
            depth += 1
        result[node["code"]] = depth
    return result


def tree_order(nodes: list[dict]) -> list[dict]:
    """Nodes in pre-order (parents before children, siblings in their order)."""
    kids = children_map(nodes)
    ordered: list[dict] = []

    def walk(code):
        for child in kids.get(code, []):
            ordered.append(child)
            walk(child["code"])

    walk(None)
    return ordered


def summary(spec: dict) -> dict:
    """Totals the editor and the detail page show: per node, the sum of its children and whether it adds up."""
    nodes = spec["nodes"]
    kids = children_map(nodes)
    per_node = {}
    for node in nodes:
        children = kids.get(node["code"], [])
        if not children:
            continue
        total = sum((c["max_points"] for c in children if c["method"] not in EXTRA_METHODS), Decimal(0))
        per_node[node["code"]] = {
            "children_total": total,
            "adds_up": total == node["max_points"] or bool(node["sum_note"]),
        }
    roots = kids.get(None, [])
    total = sum((n["max_points"] for n in roots if n["method"] not in EXTRA_METHODS), Decimal(0))
    leaves = [n for n in nodes if n["code"] not in per_node]
    pools: dict[str, Decimal] = {}
    components: dict[str, Decimal] = {}
    for leaf in leaves:
        pools[leaf["method"] or ""] = pools.get(leaf["method"] or "", Decimal(0)) + leaf["max_points"]
        if leaf["method"] == "survey" and isinstance(leaf.get("rule"), dict):
            comp = leaf["rule"].get("component") or ""
            components[comp] = components.get(comp, Decimal(0)) + leaf["max_points"]
    d = depths(nodes)
    return {
        "nodes": per_node,
        "roots_total": total,
        "adds_up": total == spec["declared_total"],
        "pools": pools,
        "survey_components": components,
        "counts": {
            "fields": sum(1 for n in nodes if d.get(n["code"]) == 1),
            "criteria": sum(1 for n in nodes if d.get(n["code"]) == 2),
            "sub_criteria": sum(1 for n in nodes if (d.get(n["code"]) or 0) >= 3),
            "leaves": len(leaves),
            "nodes": len(nodes),
        },
    }


# --- validation ---------------------------------------------------------------------------------------------------


def _fmt(value: Decimal) -> str:
    return rules.format_number(value)


def validate(spec: dict) -> list[Problem]:
    """Everything wrong with a framework; empty when it may be activated. Problems name the node (and its row,
    ``_row``, when it was read from a spreadsheet)."""
    problems: list[Problem] = []
    nodes = spec["nodes"]

    if not FRAMEWORK_CODE_RE.match(spec.get("code") or ""):
        problems.append(
            Problem(
                f"Mã bộ chỉ số “{spec.get('code', '')}” chỉ được gồm chữ không dấu, số, “-”, “_” (tối đa 64 ký tự)."
            )
        )
    if not spec.get("name"):
        problems.append(Problem("Bộ chỉ số chưa có tên."))
    if spec["declared_total"] <= 0:
        problems.append(Problem("Tổng điểm của bộ chỉ số phải lớn hơn 0."))
    if spec.get("year_from") and spec.get("year_to") and spec["year_to"] < spec["year_from"]:
        problems.append(Problem(f"Năm kết thúc ({spec['year_to']}) trước năm bắt đầu ({spec['year_from']})."))
    for kind in spec.get("unit_kinds") or []:
        if kind not in UNIT_KINDS:
            problems.append(Problem(f"Loại đơn vị “{kind}” không hợp lệ; dùng: {', '.join(UNIT_KINDS)}."))
    if spec.get("provenance") not in PROVENANCES:
        problems.append(Problem(f"Tính chính thức “{spec['provenance']}” không hợp lệ (official/illustrative)."))
    for method in spec.get("pools") or {}:
        if method not in METHODS:
            problems.append(Problem(f"Cơ cấu điểm: phương thức “{method}” không hợp lệ; dùng: {', '.join(METHODS)}."))
    if len(nodes) > MAX_NODES:
        problems.append(Problem(f"Bộ chỉ số có {len(nodes)} nút, vượt giới hạn {MAX_NODES}."))
    if not nodes:
        problems.append(Problem("Bộ chỉ số chưa có lĩnh vực, tiêu chí nào."))
        return problems

    levels = depths(nodes)
    by_code: dict[str, dict] = {}
    for node in nodes:
        code = node["code"]
        if not code:
            problems.append(Problem(f"Nút “{node['name'] or '?'}” chưa có mã.", row=node.get("_row")))
            continue
        if not CODE_RE.match(code):
            problems.append(
                Problem(
                    "mã chỉ được gồm chữ, số, “.”, “-”, “_” (tối đa 32 ký tự).",
                    code=code,
                    row=node.get("_row"),
                    depth=levels.get(code),
                )
            )
        if code in by_code:
            problems.append(Problem("mã bị trùng.", code=code, row=node.get("_row"), depth=levels.get(code)))
            continue
        by_code[code] = node
    for node in nodes:
        parent = node["parent"]
        if parent is not None and parent not in by_code:
            problems.append(
                Problem(f"mã cha “{parent}” không có trong bộ chỉ số.", code=node["code"], row=node.get("_row"))
            )
    # cycles
    for node in by_code.values():
        seen = {node["code"]}
        current = node
        while current["parent"] is not None and current["parent"] in by_code:
            current = by_code[current["parent"]]
            if current["code"] in seen:
                problems.append(Problem("nút nằm trong một vòng lặp cha–con.", code=node["code"], row=node.get("_row")))
                break
            seen.add(current["code"])
    if problems:
        return problems

    d = depths(nodes)
    kids = children_map(nodes)

    def problem(node, message):
        problems.append(Problem(message, code=node["code"], row=node.get("_row"), depth=d.get(node["code"])))

    for node in tree_order(nodes):
        code = node["code"]
        children = kids.get(code, [])
        if not node["name"]:
            problem(node, "chưa có tên.")
        if node["max_points"] < 0:
            problem(node, f"điểm tối đa {_fmt(node['max_points'])} không được âm.")
        if node["min_points"] > 0:
            problem(node, f"điểm sàn {_fmt(node['min_points'])} không được dương (điểm sàn âm dùng cho điểm trừ).")
        if node["method"] and node["method"] not in METHODS:
            problem(node, f"phương thức “{node['method']}” không hợp lệ; dùng: {', '.join(METHODS)}.")
        if node["provenance"] not in PROVENANCES:
            problem(node, f"tính chính thức “{node['provenance']}” không hợp lệ (official/illustrative).")
        for key, mark in (node.get("value_provenance") or {}).items():
            if key not in MARKABLE_VALUES:
                problem(node, f"không thể đánh dấu tính chính thức cho “{key}” (dùng: {', '.join(MARKABLE_VALUES)}).")
            elif mark not in PROVENANCES[1:]:
                problem(node, f"đánh dấu “{mark}” cho {key} không hợp lệ (official/illustrative).")
        for places_key in ("max_points", "min_points"):
            value = node[places_key]
            if value != value.quantize(Decimal("0.01")) or abs(value) >= 100000:
                problem(node, f"{places_key} {_fmt(value)}: tối đa 2 chữ số thập phân và nhỏ hơn 100.000.")
        if children:
            if node["rule"]:
                problem(node, "nút có nút con không được có quy tắc chấm điểm (quy tắc đặt ở nút lá).")
            total = sum((c["max_points"] for c in children if c["method"] not in EXTRA_METHODS), Decimal(0))
            if total != node["max_points"] and not node["sum_note"]:
                problem(
                    node,
                    f"tổng điểm tối đa các nút con là {_fmt(total)}, khác điểm tối đa {_fmt(node['max_points'])} "
                    "(hoặc ghi giải thích tổng điểm).",
                )
            continue
        # leaves
        if not node["method"]:
            problem(node, "chưa chọn phương thức đánh giá.")
        if not node["rule"]:
            problem(node, "chưa có quy tắc chấm điểm.")
            continue
        for message in rules.rule_problems(node["rule"], max_points=node["max_points"], min_points=node["min_points"]):
            problem(node, f"quy tắc chấm điểm: {message}.")
        kind = node["rule"].get("type") if isinstance(node["rule"], dict) else None
        if kind == "survey" and node["method"] and node["method"] != "survey":
            problem(node, "quy tắc theo điều tra XHH chỉ dùng cho phương thức điều tra xã hội học.")
        if node["method"] == "survey" and kind != "survey":
            problem(node, "phương thức điều tra xã hội học cần quy tắc loại survey.")
        if kind == "bonus" and node["method"] != "bonus":
            problem(node, "quy tắc điểm thưởng chỉ dùng cho phương thức điểm thưởng.")
        if kind == "penalty" and node["method"] != "penalty":
            problem(node, "quy tắc điểm trừ chỉ dùng cho phương thức điểm trừ.")
        if node["method"] == "penalty" and node["max_points"] != 0:
            problem(node, "nút điểm trừ có điểm tối đa 0 và điểm sàn âm.")
        if node["method"] != "penalty" and node["min_points"] != 0:
            problem(node, "chỉ nút điểm trừ mới có điểm sàn âm.")

    roots = kids.get(None, [])
    total = sum((n["max_points"] for n in roots if n["method"] not in EXTRA_METHODS), Decimal(0))
    if total != spec["declared_total"]:
        problems.append(
            Problem(
                f"Tổng điểm tối đa các lĩnh vực là {_fmt(total)}, "
                f"khác tổng điểm khai báo {_fmt(spec['declared_total'])}."
            )
        )
    pools = spec.get("pools") or {}
    if pools:
        found = summary(spec)["pools"]
        for method, expected in pools.items():
            actual = found.get(method, Decimal(0))
            if method in METHODS and actual != expected:
                problems.append(
                    Problem(
                        f"Cơ cấu điểm: {METHOD_LABELS[method].lower()} khai báo {_fmt(expected)} điểm, "
                        f"các tiêu chí cộng lại {_fmt(actual)} điểm."
                    )
                )
    return problems


def full_marks(spec: dict, *, context: dict | None = None) -> Decimal:
    """Total points of an assessment that earns every rule's best outcome (bonus and penalty left at nothing)."""
    kids = children_map(spec["nodes"])
    total = Decimal(0)
    for node in spec["nodes"]:
        if kids.get(node["code"]) or node["method"] in EXTRA_METHODS or not node["rule"]:
            continue
        rule = rules.parse_rule(node["rule"])
        ctx = dict(context or {})
        if rule.type == "bands" and None not in rule.variants and ctx.get("level") not in rule.variants:
            ctx["level"] = next(iter(rule.variants))
        ctx.setdefault("year", 2024)
        value = rules.best_input(rule, max_points=node["max_points"], context=ctx)
        total += rule.evaluate(value, max_points=node["max_points"], min_points=node["min_points"], context=ctx).points
    return total
