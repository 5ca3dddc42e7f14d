"""Reads on frameworks: the spec of a stored framework, the annotated tree, history."""

from __future__ import annotations

from decimal import Decimal

from . import rules
from .models import Framework, Node
from .spec import EXTRA_METHODS, METHOD_LABELS, kind_label, summary, tree_order


def node_values(node: Node, parent_code: str | None) -> dict:
    return {
        "code": node.code,
        "parent": parent_code,
        "name": node.name,
        "description": node.description,
        "max_points": Decimal(node.max_points).quantize(Decimal("0.01")),
        "min_points": Decimal(node.min_points).quantize(Decimal("0.01")),
        "method": node.method,
        "rule": node.rule,
        "evidence": node.evidence,
        "evidence_kinds": list(node.evidence_kinds or []),
        "appraising_agency": node.appraising_agency,
        "sum_note": node.sum_note,
        "provenance": node.provenance,
        "source": node.source,
        "value_provenance": dict(node.value_provenance or {}),
    }


def framework_spec(framework: Framework, *, nodes: list[Node] | None = None) -> dict:
    """The framework as plain data (what export writes and validation and diff read)."""
    if nodes is None:
        nodes = list(framework.nodes.order_by("order", "id"))
    code_of = {n.pk: n.code for n in nodes}
    items = [node_values(n, code_of.get(n.parent_id)) for n in nodes]
    return {
        "code": framework.code,
        "name": framework.name,
        "description": framework.description,
        "owner": framework.owner.code if framework.owner_id else "",
        "year_from": framework.year_from,
        "year_to": framework.year_to,
        "unit_kinds": list(framework.unit_kinds or []),
        "unit_groups": sorted(framework.unit_groups.values_list("code", flat=True)) if framework.pk else [],
        "decision": framework.decision,
        "decision_date": framework.decision_date.isoformat() if framework.decision_date else None,
        "declared_total": Decimal(framework.declared_total).quantize(Decimal("0.01")),
        "pools": {k: rules.to_decimal(v) for k, v in (framework.pools or {}).items()},
        "provenance": framework.provenance,
        "source": framework.source,
        "nodes": tree_order(items) if len(tree_order(items)) == len(items) else items,
    }


def framework_tree(framework: Framework) -> dict:
    """Rows for the detail page and the editor: each node with its depth, totals and a readable rule."""
    nodes = list(framework.nodes.order_by("order", "id"))
    spec = framework_spec(framework, nodes=nodes)
    by_code = {n.code: n for n in nodes}
    info = summary(spec)
    depth: dict[str, int] = {}
    rows = []
    for item in spec["nodes"]:
        d = depth[item["code"]] = depth.get(item["parent"], 0) + 1
        node = by_code[item["code"]]
        totals = info["nodes"].get(item["code"])
        rows.append(
            {
                "node": node,
                "item": item,
                "depth": d,
                "indent": f"{0.5 + (d - 1) * 1.25:.2f}",
                "kind": kind_label(d),
                "is_leaf": totals is None,
                "children_total": totals["children_total"] if totals else None,
                "adds_up": totals["adds_up"] if totals else True,
                "is_extra": item["method"] in EXTRA_METHODS,
                "method_label": METHOD_LABELS.get(item["method"], ""),
                "rule_text": (
                    rules.describe(item["rule"], max_points=item["max_points"], min_points=item["min_points"])
                    if item["rule"]
                    else ""
                ),
            }
        )
    return {"spec": spec, "rows": rows, "summary": info}


def framework_versions(framework: Framework) -> list[Framework]:
    """Earlier and later versions linked by cloning, oldest first."""
    chain = [framework]
    current = framework
    seen = {framework.pk}
    while current.previous_version_id and current.previous_version_id not in seen:
        current = Framework.objects.get(pk=current.previous_version_id)
        seen.add(current.pk)
        chain.insert(0, current)
    frontier = [framework]
    while frontier:
        nxt = list(Framework.objects.filter(previous_version__in=frontier).exclude(pk__in=seen))
        seen.update(f.pk for f in nxt)
        chain.extend(nxt)
        frontier = nxt
    return chain


def framework_history(framework: Framework, *, limit: int = 500) -> list[dict]:
    """Every recorded change of the framework and its nodes (removed nodes included), newest first."""
    entries = []
    previous_by_id: dict = {}
    records = list(framework.history.select_related("history_user").order_by("history_date", "history_id"))
    node_records = list(
        Node.history.filter(framework_id=framework.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    watched_framework = ("name", "status", "declared_total", "year_from", "year_to", "decision", "code")
    watched_node = ("code", "name", "max_points", "min_points", "method", "rule", "parent_id", "order", "evidence")
    for record, watched, label in [(r, watched_framework, "framework") for r in records] + [
        (r, watched_node, "node") for r in node_records
    ]:
        key = (label, record.id)
        before = previous_by_id.get(key)
        changes = []
        if before is not None and record.history_type == "~":
            for field in watched:
                old, new = getattr(before, field), getattr(record, field)
                if old != new:
                    changes.append((field, old, new))
        previous_by_id[key] = record
        if record.history_type == "~" and not changes:
            continue
        entries.append(
            {
                "when": record.history_date,
                "who": record.history_user,
                "type": {"+": "Tạo", "~": "Sửa", "-": "Xóa"}[record.history_type],
                "what": "Bộ chỉ số" if label == "framework" else f"{record.code}. {record.name}",
                "changes": changes,
            }
        )
    entries.sort(key=lambda e: e["when"], reverse=True)
    return entries[:limit]
