"""Writes on frameworks. Each one is atomic and audited; drafts are edited, active frameworks are immutable
(changes make a new version through ``framework_clone``)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from parindex.core.services import audit_record, diff_fields
from parindex.orgs.models import OrgUnit, UnitGroup
from parindex.orgs.selectors import units_valid_on

from . import formats, rules
from .models import Framework, FrameworkStatus, Node
from .selectors import framework_spec
from .spec import (
    CODE_RE,
    FRAMEWORK_CODE_RE,
    METHODS,
    NODE_DEFAULTS,
    PROVENANCES,
    UNIT_KINDS,
    SpecError,
    depths,
    validate,
)

LIBRARY_DIR = Path(__file__).resolve().parent / "library"
FRAMEWORK_EDITABLE_FIELDS = (
    "name",
    "description",
    "year_from",
    "year_to",
    "unit_kinds",
    "decision",
    "decision_date",
    "declared_total",
    "pools",
    "provenance",
    "source",
)
NODE_EDITABLE_FIELDS = tuple(k for k in NODE_DEFAULTS if k != "parent")


def _require_draft(framework: Framework) -> None:
    if framework.status != FrameworkStatus.DRAFT:
        raise ValidationError(
            f"Bộ chỉ số “{framework.name}” ({framework.get_status_display().lower()}) không sửa được; "
            "hãy nhân bản để tạo phiên bản mới."
        )


def _locked_framework(framework: Framework) -> Framework:
    return Framework.objects.select_for_update().get(pk=framework.pk)


# --- creating from a spec -----------------------------------------------------------------------------------------


def _resolve_groups(codes: list[str]) -> list[UnitGroup]:
    groups = list(UnitGroup.objects.filter(code__in=codes))
    missing = sorted(set(codes) - {g.code for g in groups})
    if missing:
        raise SpecError([f"Nhóm đơn vị không tồn tại: {', '.join(missing)}."])
    return groups


def _resolve_owner(code: str) -> OrgUnit:
    units = list(units_valid_on().filter(code=code)[:2]) or list(OrgUnit.objects.filter(code=code)[:2])
    if len(units) != 1:
        raise SpecError([f"Không xác định được cơ quan đánh giá có mã “{code}”; hãy chọn cơ quan đánh giá."])
    return units[0]


def _create_from_spec(
    *, spec: dict, owner: OrgUnit, actor=None, previous_version: Framework | None = None
) -> Framework:
    if Framework.objects.filter(code=spec["code"]).exists():
        raise SpecError([f"Mã bộ chỉ số “{spec['code']}” đã có; hãy dùng mã khác (mỗi phiên bản một mã)."])
    groups = _resolve_groups(spec.get("unit_groups") or [])
    framework = Framework.objects.create(
        code=spec["code"],
        name=spec["name"],
        description=spec.get("description", ""),
        owner=owner,
        year_from=spec.get("year_from"),
        year_to=spec.get("year_to"),
        unit_kinds=list(spec.get("unit_kinds") or []),
        decision=spec.get("decision", ""),
        decision_date=spec.get("decision_date"),
        declared_total=spec["declared_total"],
        pools={k: rules._plain(Decimal(v)) for k, v in (spec.get("pools") or {}).items()},
        provenance=spec.get("provenance", ""),
        source=spec.get("source", ""),
        previous_version=previous_version,
        status=FrameworkStatus.DRAFT,
    )
    if groups:
        framework.unit_groups.set(groups)
    framework.refresh_from_db(fields=["decision_date"])
    _create_nodes(framework, spec["nodes"], actor)
    return framework


def _create_nodes(framework: Framework, items: list[dict], actor=None) -> None:
    """Nodes level by level (parents get their keys first), a few queries whatever the size, history included."""
    by_depth: dict[int, list[dict]] = {}
    levels = depths(items)
    order_in_parent: dict[str | None, int] = {}
    for item in items:
        by_depth.setdefault(levels[item["code"]], []).append(item)
    created: dict[str, Node] = {}
    for depth in sorted(by_depth):
        batch = []
        for item in by_depth[depth]:
            index = order_in_parent.get(item["parent"], 0)
            order_in_parent[item["parent"]] = index + 1
            batch.append(
                Node(
                    framework=framework,
                    parent=created[item["parent"]] if item["parent"] else None,
                    order=index,
                    **{k: item[k] for k in NODE_EDITABLE_FIELDS},
                )
            )
        user = actor if getattr(actor, "is_authenticated", False) else None
        for node in bulk_create_with_history(batch, Node, batch_size=500, default_user=user):
            created[node.code] = node
        if any(n.pk is None for n in created.values()):  # backends without RETURNING
            by_code = {n.code: n for n in Node.objects.filter(framework=framework)}
            created = {code: by_code[code] for code in created}


@transaction.atomic
def framework_import(
    *, content: bytes, fmt: str, owner: OrgUnit | None, actor, code: str | None = None, name: str | None = None
) -> Framework:
    """A new draft from a YAML or XLSX file: everything is checked first; on any problem SpecError, nothing written."""
    spec = formats.read(content, fmt)
    if code:
        spec["code"] = code
    if name:
        spec["name"] = name
    problems = validate(spec)
    if problems:
        raise SpecError(problems)
    if owner is None:
        if not spec.get("owner"):
            raise SpecError(["Chưa chọn cơ quan đánh giá (owner) cho bộ chỉ số."])
        owner = _resolve_owner(spec["owner"])
    framework = _create_from_spec(spec=spec, owner=owner, actor=actor)
    audit_record(
        actor=actor,
        action="framework.import",
        obj=framework,
        unit=owner,
        changes={"code": [None, framework.code], "format": [None, fmt], "nodes": [None, len(spec["nodes"])]},
    )
    return framework


@transaction.atomic
def framework_create(
    *,
    owner: OrgUnit,
    code: str,
    name: str,
    actor,
    declared_total: Decimal = Decimal(100),
    year_from: int | None = None,
    year_to: int | None = None,
    description: str = "",
    unit_kinds: list[str] | None = None,
    decision: str = "",
    decision_date=None,
) -> Framework:
    """An empty draft."""
    values = {
        "code": code.strip(),
        "name": name.strip(),
        "declared_total": declared_total,
        "year_from": year_from,
        "year_to": year_to,
        "description": description,
        "unit_kinds": unit_kinds or [],
        "decision": decision,
        "decision_date": decision_date,
    }
    _check_framework_values(values, creating=True)
    framework = Framework.objects.create(owner=owner, **values)
    audit_record(
        actor=actor, action="framework.create", obj=framework, unit=owner, changes={"code": [None, framework.code]}
    )
    return framework


def _check_framework_values(values: dict, *, creating: bool = False, framework: Framework | None = None) -> None:
    errors: dict[str, list[str]] = {}
    if "code" in values:
        if not FRAMEWORK_CODE_RE.match(values["code"] or ""):
            errors["code"] = ["Mã chỉ gồm chữ không dấu, số, “-”, “_” (tối đa 64 ký tự)."]
        elif Framework.objects.filter(code=values["code"]).exclude(pk=getattr(framework, "pk", None)).exists():
            errors["code"] = [f"Mã “{values['code']}” đã được dùng cho một bộ chỉ số khác."]
    if "name" in values and not (values["name"] or "").strip():
        errors["name"] = ["Tên bộ chỉ số không được để trống."]
    if "declared_total" in values and (values["declared_total"] is None or Decimal(values["declared_total"]) <= 0):
        errors["declared_total"] = ["Tổng điểm phải lớn hơn 0."]
    if values.get("year_from") and values.get("year_to") and values["year_to"] < values["year_from"]:
        errors["year_to"] = ["Năm kết thúc trước năm bắt đầu."]
    for kind in values.get("unit_kinds") or []:
        if kind not in UNIT_KINDS:
            errors.setdefault("unit_kinds", []).append(f"Loại đơn vị “{kind}” không hợp lệ.")
    if "provenance" in values and values["provenance"] not in PROVENANCES:
        errors["provenance"] = ["Tính chính thức không hợp lệ."]
    for method in values.get("pools") or {}:
        if method not in METHODS:
            errors.setdefault("pools", []).append(f"Phương thức “{method}” không hợp lệ.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def framework_update(*, framework: Framework, actor, **values) -> Framework:
    framework = _locked_framework(framework)
    _require_draft(framework)
    unknown = set(values) - set(FRAMEWORK_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    _check_framework_values(values, framework=framework)
    changes = diff_fields(framework, values)
    if changes:
        for key, value in values.items():
            setattr(framework, key, value)
        framework.save(update_fields=[*values.keys(), "updated_at"])
        audit_record(actor=actor, action="framework.update", obj=framework, unit=framework.owner, changes=changes)
    return framework


# --- lifecycle ----------------------------------------------------------------------------------------------------


@transaction.atomic
def framework_activate(*, framework: Framework, actor) -> Framework:
    """draft → active, only when the framework validates completely. From then on it is immutable."""
    framework = _locked_framework(framework)
    if framework.status != FrameworkStatus.DRAFT:
        raise ValidationError("Chỉ bộ chỉ số dự thảo mới được đưa vào áp dụng.")
    problems = validate(framework_spec(framework))
    if problems:
        raise SpecError(problems)
    framework.status = FrameworkStatus.ACTIVE
    framework.activated_at = timezone.now()
    framework.save(update_fields=["status", "activated_at", "updated_at"])
    audit_record(
        actor=actor,
        action="framework.activate",
        obj=framework,
        unit=framework.owner,
        changes={"status": [FrameworkStatus.DRAFT, FrameworkStatus.ACTIVE]},
    )
    return framework


@transaction.atomic
def framework_retire(*, framework: Framework, actor, reason: str = "") -> Framework:
    framework = _locked_framework(framework)
    if framework.status != FrameworkStatus.ACTIVE:
        raise ValidationError("Chỉ bộ chỉ số đang áp dụng mới được ngừng áp dụng.")
    framework.status = FrameworkStatus.RETIRED
    framework.retired_at = timezone.now()
    framework.save(update_fields=["status", "retired_at", "updated_at"])
    audit_record(
        actor=actor,
        action="framework.retire",
        obj=framework,
        unit=framework.owner,
        changes={"status": [FrameworkStatus.ACTIVE, FrameworkStatus.RETIRED]},
        reason=reason,
    )
    return framework


@transaction.atomic
def framework_clone(
    *,
    framework: Framework,
    code: str,
    actor,
    name: str | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    owner: OrgUnit | None = None,
) -> Framework:
    """A new draft version with the same tree, linked to ``framework`` as its previous version."""
    spec = framework_spec(framework)
    spec["code"] = code.strip()
    if name:
        spec["name"] = name.strip()
    if year_from is not None:
        spec["year_from"] = year_from
        spec["year_to"] = year_to
    _check_framework_values(
        {"code": spec["code"], "name": spec["name"], "year_from": spec["year_from"], "year_to": spec["year_to"]}
    )
    clone = _create_from_spec(spec=spec, owner=owner or framework.owner, actor=actor, previous_version=framework)
    audit_record(
        actor=actor,
        action="framework.clone",
        obj=clone,
        unit=clone.owner,
        changes={"code": [framework.code, clone.code], "previous_version": [None, framework.pk]},
    )
    return clone


# --- nodes (drafts only) -------------------------------------------------------------------------------------------


def _clean_node_values(values: dict, *, framework: Framework, node: Node | None = None) -> dict:
    """Field-level checks of a node's values; the tree-level checks (sums, totals) are ``spec.validate``."""
    errors: dict[str, list[str]] = {}
    cleaned = dict(values)
    if "code" in values:
        code = (values["code"] or "").strip()
        cleaned["code"] = code
        if not CODE_RE.match(code):
            errors["code"] = ["Mã chỉ gồm chữ, số, “.”, “-”, “_” (tối đa 32 ký tự)."]
        elif Node.objects.filter(framework=framework, code=code).exclude(pk=getattr(node, "pk", None)).exists():
            errors["code"] = [f"Mã “{code}” đã có trong bộ chỉ số."]
    if "name" in values and not (values["name"] or "").strip():
        errors["name"] = ["Tên không được để trống."]
    for key, label in (("max_points", "Điểm tối đa"), ("min_points", "Điểm sàn")):
        if key in values:
            try:
                number = rules.to_decimal(values[key], label)
            except rules.RuleError as exc:
                errors[key] = [str(exc)]
                continue
            if number != number.quantize(Decimal("0.01")) or abs(number) >= 100000:
                errors[key] = [f"{label}: tối đa 2 chữ số thập phân."]
            elif key == "max_points" and number < 0:
                errors[key] = ["Điểm tối đa không được âm."]
            elif key == "min_points" and number > 0:
                errors[key] = ["Điểm sàn không được dương."]
            cleaned[key] = number
    if values.get("method") and values["method"] not in METHODS:
        errors["method"] = ["Phương thức không hợp lệ."]
    if "provenance" in values and values["provenance"] not in PROVENANCES:
        errors["provenance"] = ["Tính chính thức không hợp lệ."]
    if values.get("rule"):
        try:
            cleaned["rule"] = rules.canonical(values["rule"])
        except (rules.RuleError, ArithmeticError) as exc:
            errors["rule"] = [str(exc)]
    elif "rule" in values:
        cleaned["rule"] = None
    if errors:
        raise ValidationError(errors)
    return cleaned


def _next_order(framework: Framework, parent: Node | None) -> int:
    current = Node.objects.filter(framework=framework, parent=parent).aggregate(m=Max("order"))["m"]
    return 0 if current is None else current + 1


@transaction.atomic
def node_create(*, framework: Framework, actor, parent: Node | None = None, **values) -> Node:
    framework = _locked_framework(framework)
    _require_draft(framework)
    if parent is not None and parent.framework_id != framework.pk:
        raise ValidationError({"parent": ["Nút cha thuộc bộ chỉ số khác."]})
    unknown = set(values) - set(NODE_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    values = {"code": values.get("code", ""), "name": values.get("name", ""), **values}
    cleaned = _clean_node_values(values, framework=framework)
    node = Node.objects.create(framework=framework, parent=parent, order=_next_order(framework, parent), **cleaned)
    audit_record(
        actor=actor,
        action="framework.node_create",
        obj=node,
        unit=framework.owner,
        changes={"code": [None, node.code], "parent": [None, parent.code if parent else None]},
    )
    return node


@transaction.atomic
def node_update(*, node: Node, actor, **values) -> Node:
    framework = _locked_framework(node.framework)
    _require_draft(framework)
    unknown = set(values) - set(NODE_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    node = Node.objects.get(pk=node.pk)
    cleaned = _clean_node_values(values, framework=framework, node=node)
    changes = diff_fields(node, cleaned)
    if changes:
        for key, value in cleaned.items():
            setattr(node, key, value)
        node.save(update_fields=list(cleaned))
        audit_record(actor=actor, action="framework.node_update", obj=node, unit=framework.owner, changes=changes)
    return node


@transaction.atomic
def node_move(*, node: Node, actor, parent: Node | None, position: int | None = None) -> Node:
    """Put ``node`` under ``parent`` (None: a field at the top) at ``position`` among its new siblings
    (at the end when None)."""
    framework = _locked_framework(node.framework)
    _require_draft(framework)
    node = Node.objects.select_related("parent").get(pk=node.pk)
    if parent is not None:
        if parent.framework_id != framework.pk:
            raise ValidationError({"parent": ["Nút cha thuộc bộ chỉ số khác."]})
        ancestor = parent
        while ancestor is not None:
            if ancestor.pk == node.pk:
                raise ValidationError({"parent": [f"Không thể chuyển “{node.code}” vào bên trong chính nó."]})
            ancestor = ancestor.parent
    old_parent = node.parent.code if node.parent_id else None
    old_order = node.order
    siblings = list(Node.objects.filter(framework=framework, parent=parent).exclude(pk=node.pk).order_by("order", "id"))
    position = len(siblings) if position is None else max(0, min(position, len(siblings)))
    siblings.insert(position, node)
    node.parent = parent
    for index, sibling in enumerate(siblings):
        if sibling.pk == node.pk:
            sibling.order = index
            sibling.save(update_fields=["parent", "order"])
        elif sibling.order != index:
            sibling.order = index
            sibling.save(update_fields=["order"])
    audit_record(
        actor=actor,
        action="framework.node_move",
        obj=node,
        unit=framework.owner,
        changes={"parent": [old_parent, parent.code if parent else None], "order": [old_order, node.order]},
    )
    return node


@transaction.atomic
def node_remove(*, node: Node, actor) -> None:
    """Remove a node and its subtree from a draft (an edit of the draft; history keeps the removed rows)."""
    framework = _locked_framework(node.framework)
    _require_draft(framework)
    node = Node.objects.get(pk=node.pk)
    subtree = [node]
    frontier = [node]
    while frontier:
        frontier = list(Node.objects.filter(parent__in=frontier))
        subtree.extend(frontier)
    codes = [n.code for n in subtree]
    audit_record(
        actor=actor,
        action="framework.node_remove",
        obj=node,
        unit=framework.owner,
        changes={"nodes": [codes, None]},
    )
    for item in reversed(subtree):  # children first, one history row each
        item.delete()


# --- the shipped library ----------------------------------------------------------------------------------------


def library_files() -> list[Path]:
    return sorted(LIBRARY_DIR.glob("*.yaml"))


@transaction.atomic
def frameworks_load_library(*, owner: OrgUnit, actor, activate: bool = True) -> list[Framework]:
    """Load the frameworks shipped in ``library/`` for ``owner`` (idempotent: a code already present is kept).
    Returns the frameworks, existing or new. With ``activate`` the new ones are put into use."""
    loaded = []
    for path in library_files():
        spec = formats.read_checked(path.read_bytes(), "yaml")
        existing = Framework.objects.filter(code=spec["code"]).first()
        if existing is not None:
            loaded.append(existing)
            continue
        framework = _create_from_spec(spec=spec, owner=owner, actor=actor)
        audit_record(
            actor=actor,
            action="framework.import",
            obj=framework,
            unit=owner,
            changes={"code": [None, framework.code], "source": [None, f"library/{path.name}"]},
        )
        if activate:
            framework = framework_activate(framework=framework, actor=actor)
        loaded.append(framework)
    return loaded
