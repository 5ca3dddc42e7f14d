"""What changed between two framework versions. Pure: compares two specs (see ``spec.py``).

Nodes are matched by code; an unmatched removed node and an unmatched added node with the same name are reported as
one node that moved (renumbered). For matched nodes: moved (other parent), renamed, points changed, rule changed,
method changed and other attribute changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import rules
from .spec import depths, kind_label

COMPARED = (
    ("name", "Tên"),
    ("max_points", "Điểm tối đa"),
    ("min_points", "Điểm sàn"),
    ("method", "Phương thức"),
    ("rule", "Quy tắc chấm điểm"),
    ("description", "Mô tả"),
    ("evidence", "Tài liệu kiểm chứng"),
    ("evidence_kinds", "Loại tài liệu"),
    ("appraising_agency", "Cơ quan thẩm định"),
    ("sum_note", "Giải thích tổng điểm"),
    ("provenance", "Tính chính thức"),
    ("source", "Nguồn"),
    ("value_provenance", "Đánh dấu từng giá trị"),
)
FRAMEWORK_COMPARED = (
    ("name", "Tên"),
    ("declared_total", "Tổng điểm"),
    ("year_from", "Áp dụng từ năm"),
    ("year_to", "Áp dụng đến năm"),
    ("decision", "Văn bản ban hành"),
    ("decision_date", "Ngày ban hành"),
    ("unit_kinds", "Loại đơn vị"),
    ("pools", "Cơ cấu điểm"),
)
KINDS = {
    "added": "Thêm",
    "removed": "Bỏ",
    "moved": "Chuyển vị trí",
    "renamed": "Đổi tên",
    "points": "Đổi điểm",
    "rule": "Đổi quy tắc",
    "method": "Đổi phương thức",
    "changed": "Sửa",
}


@dataclass
class NodeChange:
    kind: str
    code: str
    name: str
    old_code: str | None = None
    depth: int = 1
    fields: list[tuple[str, str, object, object]] = field(default_factory=list)  # (key, label, old, new)

    @property
    def label(self) -> str:
        return KINDS[self.kind]

    @property
    def kind_label(self) -> str:
        return kind_label(self.depth)

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "label": self.label,
            "code": self.code,
            "old_code": self.old_code,
            "name": self.name,
            "fields": [{"field": k, "label": lbl, "old": _plain(o), "new": _plain(n)} for k, lbl, o, n in self.fields],
        }


def _plain(value):
    from decimal import Decimal

    if isinstance(value, Decimal):
        return str(value.normalize()) if value != value.to_integral_value() else str(int(value))
    return value


def _rule_key(rule):
    if not rule:
        return None
    try:
        return rules.canonical(rule)
    except rules.RuleError:
        return rule


def _kind_of(key: str) -> str:
    return {"name": "renamed", "max_points": "points", "min_points": "points", "rule": "rule", "method": "method"}.get(
        key, "changed"
    )


def _position(spec: dict) -> dict[str, tuple[str | None, int]]:
    counters: dict[str | None, int] = {}
    found = {}
    for node in spec["nodes"]:
        index = counters.get(node["parent"], 0)
        counters[node["parent"]] = index + 1
        found[node["code"]] = (node["parent"], index)
    return found


def diff(old: dict, new: dict) -> dict:
    """{"framework": [(label, old, new)], "changes": [NodeChange], "counts": {kind: n}}."""
    old_nodes = {n["code"]: n for n in old["nodes"]}
    new_nodes = {n["code"]: n for n in new["nodes"]}
    old_depth, new_depth = depths(old["nodes"]), depths(new["nodes"])
    changes: list[NodeChange] = []

    removed = [c for c in old_nodes if c not in new_nodes]
    added = [c for c in new_nodes if c not in old_nodes]
    # renumbered nodes: same name, one removed and one added
    by_name_removed: dict[str, list[str]] = {}
    for code in removed:
        by_name_removed.setdefault(rules._fold(old_nodes[code]["name"]), []).append(code)
    pairs: list[tuple[str, str]] = []
    for code in list(added):
        candidates = by_name_removed.get(rules._fold(new_nodes[code]["name"]))
        if candidates:
            old_code = candidates.pop(0)
            pairs.append((old_code, code))
            removed.remove(old_code)
            added.remove(code)

    def compare(a: dict, b: dict) -> list[tuple[str, str, object, object]]:
        found = []
        for key, label in COMPARED:
            va, vb = a.get(key), b.get(key)
            if key == "rule":
                va, vb = _rule_key(va), _rule_key(vb)
            if va != vb:
                found.append((key, label, a.get(key), b.get(key)))
        return found

    old_pos, new_pos = _position(old), _position(new)
    for code in new_nodes:
        if code in old_nodes:
            a, b = old_nodes[code], new_nodes[code]
            fields = compare(a, b)
            if a["parent"] != b["parent"]:
                changes.append(
                    NodeChange(
                        "moved",
                        code,
                        b["name"],
                        depth=new_depth[code],
                        fields=[("parent", "Thuộc", a["parent"] or "(gốc)", b["parent"] or "(gốc)")],
                    )
                )
            elif old_pos[code][1] != new_pos[code][1] and _sibling_order_changed(old, new, code):
                changes.append(
                    NodeChange(
                        "moved",
                        code,
                        b["name"],
                        depth=new_depth[code],
                        fields=[("order", "Thứ tự", old_pos[code][1] + 1, new_pos[code][1] + 1)],
                    )
                )
            by_kind: dict[str, list] = {}
            for item in fields:
                by_kind.setdefault(_kind_of(item[0]), []).append(item)
            for kind, items in by_kind.items():
                changes.append(NodeChange(kind, code, b["name"], depth=new_depth[code], fields=items))
    for old_code, code in pairs:
        a, b = old_nodes[old_code], new_nodes[code]
        fields = [("code", "Mã", old_code, code)]
        if a["parent"] != b["parent"]:
            fields.append(("parent", "Thuộc", a["parent"] or "(gốc)", b["parent"] or "(gốc)"))
        changes.append(NodeChange("moved", code, b["name"], old_code=old_code, depth=new_depth[code], fields=fields))
        for item in compare(a, b):
            if item[0] != "name":
                changes.append(NodeChange(_kind_of(item[0]), code, b["name"], depth=new_depth[code], fields=[item]))
    for code in added:
        changes.append(NodeChange("added", code, new_nodes[code]["name"], depth=new_depth[code]))
    for code in removed:
        changes.append(NodeChange("removed", code, old_nodes[code]["name"], depth=old_depth[code]))

    order = {code: i for i, code in enumerate(list(new_nodes) + [c for c in old_nodes if c not in new_nodes])}
    changes.sort(key=lambda c: (order.get(c.code, 10**6), list(KINDS).index(c.kind)))
    framework_changes = [
        (label, old.get(key), new.get(key)) for key, label in FRAMEWORK_COMPARED if old.get(key) != new.get(key)
    ]
    counts: dict[str, int] = {}
    for change in changes:
        counts[change.kind] = counts.get(change.kind, 0) + 1
    return {"framework": framework_changes, "changes": changes, "counts": counts}


def _sibling_order_changed(old: dict, new: dict, code: str) -> bool:
    """True when the node's place among the siblings both versions share has changed (not merely shifted by an
    insertion or a removal)."""
    parent = next(n["parent"] for n in new["nodes"] if n["code"] == code)
    old_sibs = [n["code"] for n in old["nodes"] if n["parent"] == parent]
    new_sibs = [n["code"] for n in new["nodes"] if n["parent"] == parent]
    common = [c for c in new_sibs if c in old_sibs]
    old_common = [c for c in old_sibs if c in common]
    return common.index(code) != old_common.index(code)


def diff_as_dict(result: dict) -> dict:
    return {
        "framework": [{"label": lbl, "old": _plain(o), "new": _plain(n)} for lbl, o, n in result["framework"]],
        "changes": [c.as_dict() for c in result["changes"]],
        "counts": result["counts"],
    }
