"""The framework library on the API (mounted at ``/api/v1/frameworks``): list, read, export, import (with a dry run),
clone, activate, retire, diff, validation, node editing on drafts and rule evaluation.

No business logic here: an access helper first, then a selector or a service."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict, Field

from parindex.api.errors import error_responses
from parindex.api.pagination import DEFAULT_LIMIT, limit_param, offset_param, page

from . import access, diff, formats, rules, selectors, services
from .models import Framework, Node
from .spec import METHODS, SpecError, summary, validate

router = Router(tags=["Bộ chỉ số"])

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YAML_TYPE = "application/yaml"


# --- schemas ------------------------------------------------------------------------------------------------------


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class OwnerRef(Schema):
    id: int
    code: str
    name: str


class FrameworkOut(Schema):
    id: int
    code: str
    name: str
    description: str
    status: str = Field(..., description="draft (dự thảo), active (đang áp dụng), retired (ngừng áp dụng)")
    status_label: str
    owner: OwnerRef
    year_from: int | None
    year_to: int | None
    unit_kinds: list[str]
    decision: str
    decision_date: str | None = Field(..., description="YYYY-MM-DD")
    declared_total: float
    pools: dict[str, float]
    provenance: str
    source: str
    previous_version_id: int | None


class FrameworkPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[FrameworkOut]


class NodeOut(Schema):
    id: int
    code: str
    parent: str | None = Field(..., description="Mã nút cha (null: lĩnh vực).")
    depth: int
    name: str
    description: str
    max_points: float
    min_points: float
    method: str = Field(..., description=", ".join(METHODS))
    rule: dict[str, Any] | None
    rule_text: str = Field(..., description="Quy tắc diễn giải bằng lời.")
    evidence: str
    evidence_kinds: list[str]
    appraising_agency: str
    sum_note: str
    children_total: float | None = Field(..., description="Tổng điểm tối đa các nút con (null: nút lá).")
    adds_up: bool
    provenance: str
    source: str
    value_provenance: dict[str, str]


class FrameworkDetailOut(FrameworkOut):
    nodes: list[NodeOut]
    roots_total: float
    pools_found: dict[str, float] = Field(..., description="Tổng điểm các tiêu chí lá theo phương thức.")
    problems: list[str] = Field(..., description="Các lỗi cần sửa trước khi đưa vào áp dụng (rỗng: hợp lệ).")


class ProblemsOut(Schema):
    valid: bool
    problems: list[str]


class ImportPreviewOut(Schema):
    valid: bool
    problems: list[str]
    code: str | None = None
    name: str | None = None
    nodes: int = 0
    fields: int = 0
    leaves: int = 0
    roots_total: float | None = None
    pools: dict[str, float] = {}


class CloneIn(InputSchema):
    code: str = Field(..., min_length=1, max_length=64, description="Mã của phiên bản mới.")
    name: str | None = Field(None, max_length=300)
    year_from: int | None = Field(None, ge=1990, le=2100)
    year_to: int | None = Field(None, ge=1990, le=2100)


class RetireIn(InputSchema):
    reason: str = Field("", max_length=1000)


class DiffFieldOut(Schema):
    field: str
    label: str
    old: Any
    new: Any


class DiffChangeOut(Schema):
    kind: str = Field(..., description="added, removed, moved, renamed, points, rule, method, changed")
    label: str
    code: str
    old_code: str | None
    name: str
    fields: list[DiffFieldOut]


class DiffOut(Schema):
    old: int
    new: int
    framework: list[dict[str, Any]]
    changes: list[DiffChangeOut]
    counts: dict[str, int]


class NodeIn(InputSchema):
    code: str = Field(..., min_length=1, max_length=32)
    name: str = Field(..., min_length=1, max_length=500)
    parent: int | None = Field(None, description="id nút cha (null: lĩnh vực).")
    description: str = ""
    max_points: Decimal = Field(Decimal(0), ge=0, le=99999, decimal_places=2)
    min_points: Decimal = Field(Decimal(0), le=0, ge=-99999, decimal_places=2)
    method: Literal["", "appraised", "survey", "statistics", "bonus", "penalty"] = ""
    rule: dict[str, Any] | None = None
    evidence: str = ""
    evidence_kinds: list[str] = []
    appraising_agency: str = Field("", max_length=300)
    sum_note: str = Field("", max_length=500)


class NodePatchIn(InputSchema):
    code: str | None = Field(None, min_length=1, max_length=32)
    name: str | None = Field(None, min_length=1, max_length=500)
    description: str | None = None
    max_points: Decimal | None = Field(None, ge=0, le=99999, decimal_places=2)
    min_points: Decimal | None = Field(None, le=0, ge=-99999, decimal_places=2)
    method: Literal["", "appraised", "survey", "statistics", "bonus", "penalty"] | None = None
    rule: dict[str, Any] | None = None
    evidence: str | None = None
    evidence_kinds: list[str] | None = None
    appraising_agency: str | None = Field(None, max_length=300)
    sum_note: str | None = Field(None, max_length=500)
    parent: int | None = Field(None, description="id nút cha mới (chuyển nút); dùng cùng move=true.")
    move: bool = Field(False, description="true: chuyển nút sang nút cha `parent` (null: lên cấp lĩnh vực).")
    position: int | None = Field(None, ge=0, description="Vị trí trong các nút cùng cấp khi chuyển.")


class EvaluateIn(InputSchema):
    value: Any = Field(
        ...,
        description='Dữ liệu đầu vào: số hoặc tỷ lệ (97.5, "97,5" hoặc {numerator, denominator}), true/false, '
        "mã mức, ngày YYYY-MM-DD…",
    )
    level: str | None = Field(None, description="Cấp của đơn vị (province, district, commune…) cho ngưỡng theo cấp.")
    year: int | None = Field(None, ge=1990, le=2100, description="Năm đánh giá (cho quy tắc theo thời hạn).")


class RuleEvaluateIn(EvaluateIn):
    rule: dict[str, Any]
    max_points: Decimal = Field(..., ge=0, le=99999)
    min_points: Decimal = Field(Decimal(0), le=0, ge=-99999)


class EvaluateOut(Schema):
    points: float
    max_points: float
    explanation: str


# --- helpers ------------------------------------------------------------------------------------------------------


def _framework_out(framework: Framework) -> dict:
    return {
        "id": framework.pk,
        "code": framework.code,
        "name": framework.name,
        "description": framework.description,
        "status": framework.status,
        "status_label": framework.get_status_display(),
        "owner": {"id": framework.owner_id, "code": framework.owner.code, "name": framework.owner.name},
        "year_from": framework.year_from,
        "year_to": framework.year_to,
        "unit_kinds": framework.unit_kinds or [],
        "decision": framework.decision,
        "decision_date": framework.decision_date.isoformat() if framework.decision_date else None,
        "declared_total": float(framework.declared_total),
        "pools": {k: float(rules.to_decimal(v)) for k, v in (framework.pools or {}).items()},
        "provenance": framework.provenance,
        "source": framework.source,
        "previous_version_id": framework.previous_version_id,
    }


def _detail_out(framework: Framework) -> dict:
    tree = selectors.framework_tree(framework)
    nodes = []
    for row in tree["rows"]:
        item = row["item"]
        nodes.append(
            {
                "id": row["node"].pk,
                "code": item["code"],
                "parent": item["parent"],
                "depth": row["depth"],
                "name": item["name"],
                "description": item["description"],
                "max_points": float(item["max_points"]),
                "min_points": float(item["min_points"]),
                "method": item["method"],
                "rule": item["rule"],
                "rule_text": row["rule_text"],
                "evidence": item["evidence"],
                "evidence_kinds": item["evidence_kinds"],
                "appraising_agency": item["appraising_agency"],
                "sum_note": item["sum_note"],
                "children_total": float(row["children_total"]) if row["children_total"] is not None else None,
                "adds_up": row["adds_up"],
                "provenance": item["provenance"],
                "source": item["source"],
                "value_provenance": item["value_provenance"],
            }
        )
    return {
        **_framework_out(framework),
        "nodes": nodes,
        "roots_total": float(tree["summary"]["roots_total"]),
        "pools_found": {k or "": float(v) for k, v in tree["summary"]["pools"].items()},
        "problems": [str(p) for p in validate(tree["spec"])],
    }


def _spec_error(exc: SpecError, field: str = "__all__") -> ValidationError:
    return ValidationError({field: exc.messages})


def _context(payload: EvaluateIn) -> dict:
    context = {}
    if payload.level:
        context["level"] = payload.level
    if payload.year:
        context["year"] = payload.year
    return context


def _evaluate(rule, value, *, max_points, min_points, context) -> dict:
    try:
        result = rules.evaluate(rule, value, max_points=max_points, min_points=min_points, context=context)
    except (rules.RuleError, rules.InputError) as exc:
        raise ValidationError({"value": [str(exc)]}) from None
    return {"points": float(result.points), "max_points": float(result.max_points), "explanation": result.explanation}


# --- endpoints ----------------------------------------------------------------------------------------------------


@router.get("", response={200: FrameworkPage, **error_responses(401, 403, 422)}, summary="Danh sách bộ chỉ số")
def framework_list(
    request: HttpRequest,
    status: Annotated[Literal["draft", "active", "retired"] | None, Query(description="Lọc theo trạng thái.")] = None,
    owner: Annotated[int | None, Query(description="id cơ quan đánh giá.")] = None,
    limit: Annotated[int, limit_param()] = DEFAULT_LIMIT,
    offset: Annotated[int, offset_param()] = 0,
):
    """Mọi người dùng đã đăng nhập xem các bộ chỉ số đang và đã áp dụng; bản dự thảo chỉ quản lý Chỉ số của cơ quan
    đánh giá mới thấy."""
    qs = access.frameworks_visible(request.auth)
    if status:
        qs = qs.filter(status=status)
    if owner is not None:
        qs = qs.filter(owner_id=owner) if abs(owner) < 2**63 else qs.none()
    result = page(qs.order_by("-year_from", "code"), limit=limit, offset=offset)
    result["items"] = [_framework_out(f) for f in result["items"]]
    return result


# Literal paths first: "/import" must not be taken for a framework id.


@router.post(
    "/import",
    response={200: ImportPreviewOut, 201: FrameworkOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Nhập bộ chỉ số từ tệp YAML hoặc XLSX",
)
def framework_import(
    request: HttpRequest,
    file: File[UploadedFile],
    owner: Form[int],
    code: Form[str | None] = None,
    dry_run: Form[bool] = False,
):
    """Tạo một bản dự thảo. Với `dry_run=true` chỉ kiểm tra và trả về bản xem trước (200), không ghi gì. Khi tệp có
    lỗi, trả 422 và liệt kê từng lỗi (nêu mã tiêu chí hoặc số dòng) trong `errors.file`; không ghi gì."""
    owner_unit = access.require_framework_create(request.auth, owner)
    if file.size and file.size > formats.MAX_BYTES:
        raise ValidationError({"file": [f"Tệp quá lớn; giới hạn {formats.MAX_BYTES // 1024 // 1024} MB."]})
    content = file.read(formats.MAX_BYTES + 1)
    fmt = formats.guess_format(file.name or "", content)
    if dry_run:
        try:
            spec = formats.read(content, fmt)
        except SpecError as exc:
            return Status(200, {"valid": False, "problems": exc.messages})
        if code:
            spec["code"] = code
        info = summary(spec)
        problems = [str(p) for p in validate(spec)]
        return Status(
            200,
            {
                "valid": not problems,
                "problems": problems,
                "code": spec["code"],
                "name": spec["name"],
                "nodes": info["counts"]["nodes"],
                "fields": info["counts"]["fields"],
                "leaves": info["counts"]["leaves"],
                "roots_total": float(info["roots_total"]),
                "pools": {k or "": float(v) for k, v in info["pools"].items()},
            },
        )
    try:
        framework = services.framework_import(
            content=content, fmt=fmt, owner=owner_unit, actor=request.auth, code=code or None
        )
    except SpecError as exc:
        raise _spec_error(exc, "file") from None
    return Status(201, _framework_out(framework))


@router.post(
    "/rules/evaluate",
    response={200: EvaluateOut, **error_responses(400, 401, 403, 422)},
    summary="Chấm thử một quy tắc bất kỳ",
)
def rule_evaluate(request: HttpRequest, payload: RuleEvaluateIn):
    """Kiểm tra quy tắc rồi chấm thử một giá trị (không ghi gì)."""
    access.require_login(request.auth)
    problems = rules.rule_problems(payload.rule, max_points=payload.max_points, min_points=payload.min_points)
    if problems:
        raise ValidationError({"rule": problems})
    return _evaluate(
        payload.rule,
        payload.value,
        max_points=payload.max_points,
        min_points=payload.min_points,
        context=_context(payload),
    )


@router.get(
    "/{framework_id}",
    response={200: FrameworkDetailOut, **error_responses(401, 403, 404, 422)},
    summary="Bộ chỉ số và cây tiêu chí",
)
def framework_detail(request: HttpRequest, framework_id: int):
    framework = access.require_framework_read(request.auth, framework_id)
    return _detail_out(framework)


@router.get(
    "/{framework_id}/export",
    response={200: None, **error_responses(401, 403, 404, 422)},
    summary="Xuất bộ chỉ số (YAML hoặc XLSX)",
    openapi_extra={
        "responses": {
            200: {
                "description": "Tệp bộ chỉ số",
                "content": {
                    YAML_TYPE: {"schema": {"type": "object", "description": "Tệp YAML parindex-framework/1"}},
                    XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    },
)
def framework_export(
    request: HttpRequest,
    framework_id: int,
    format: Literal["yaml", "xlsx"] = "yaml",  # noqa: A002
):
    framework = access.require_framework_read(request.auth, framework_id)
    content = formats.write(selectors.framework_spec(framework), format)
    response = HttpResponse(content, content_type=YAML_TYPE if format == "yaml" else XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{framework.code}.{format}"'
    return response


@router.get(
    "/{framework_id}/validation",
    response={200: ProblemsOut, **error_responses(401, 403, 404, 422)},
    summary="Kiểm tra bộ chỉ số",
)
def framework_validation(request: HttpRequest, framework_id: int):
    framework = access.require_framework_read(request.auth, framework_id)
    problems = [str(p) for p in validate(selectors.framework_spec(framework))]
    return {"valid": not problems, "problems": problems}


@router.post(
    "/{framework_id}/clone",
    response={201: FrameworkOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Nhân bản thành phiên bản mới (dự thảo)",
)
def framework_clone(request: HttpRequest, framework_id: int, payload: CloneIn):
    framework = access.require_framework_manage(request.auth, framework_id)
    try:
        clone = services.framework_clone(
            framework=framework,
            code=payload.code,
            name=payload.name,
            year_from=payload.year_from,
            year_to=payload.year_to,
            actor=request.auth,
        )
    except SpecError as exc:
        raise _spec_error(exc, "code") from None
    return Status(201, _framework_out(clone))


@router.post(
    "/{framework_id}/activate",
    response={200: FrameworkOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Đưa bộ chỉ số vào áp dụng",
)
def framework_activate(request: HttpRequest, framework_id: int):
    """Chỉ bản dự thảo hợp lệ; từ đó bộ chỉ số không sửa được nữa (muốn thay đổi: nhân bản)."""
    framework = access.require_framework_manage(request.auth, framework_id)
    try:
        framework = services.framework_activate(framework=framework, actor=request.auth)
    except SpecError as exc:
        raise _spec_error(exc) from None
    return _framework_out(framework)


@router.post(
    "/{framework_id}/retire",
    response={200: FrameworkOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Ngừng áp dụng bộ chỉ số",
)
def framework_retire(request: HttpRequest, framework_id: int, payload: RetireIn):
    framework = access.require_framework_manage(request.auth, framework_id)
    return _framework_out(services.framework_retire(framework=framework, actor=request.auth, reason=payload.reason))


@router.get(
    "/{framework_id}/diff",
    response={200: DiffOut, **error_responses(401, 403, 404, 422)},
    summary="So sánh hai phiên bản",
)
def framework_diff(
    request: HttpRequest,
    framework_id: int,
    other: Annotated[int | None, Query(description="id phiên bản cũ (mặc định: phiên bản trước).")] = None,
):
    """Những gì đã thay đổi từ phiên bản `other` (cũ) đến phiên bản này (mới): thêm, bỏ, chuyển vị trí, đổi tên,
    đổi điểm, đổi quy tắc."""
    framework = access.require_framework_read(request.auth, framework_id)
    other_id = other if other is not None else framework.previous_version_id
    if other_id is None:
        raise ValidationError({"other": ["Bộ chỉ số này không có phiên bản trước; hãy chọn bộ chỉ số để so sánh."]})
    old = access.require_framework_read(request.auth, other_id)
    result = diff.diff(selectors.framework_spec(old), selectors.framework_spec(framework))
    return {"old": old.pk, "new": framework.pk, **diff.diff_as_dict(result)}


def _parent(framework: Framework, parent_id: int | None) -> Node | None:
    if parent_id is None:
        return None
    parent = Node.objects.filter(framework=framework, pk=parent_id).first() if abs(parent_id) < 2**63 else None
    if parent is None:
        raise ValidationError({"parent": [f"Không có nút id {parent_id} trong bộ chỉ số."]})
    return parent


@router.post(
    "/{framework_id}/nodes",
    response={201: NodeOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Thêm tiêu chí (bản dự thảo)",
)
def node_create(request: HttpRequest, framework_id: int, payload: NodeIn):
    framework = access.require_framework_manage(request.auth, framework_id)
    values = payload.dict(exclude={"parent"})
    node = services.node_create(
        framework=framework, parent=_parent(framework, payload.parent), actor=request.auth, **values
    )
    return Status(201, _node_out(node))


def _node_out(node: Node) -> dict:
    detail = _detail_out(node.framework)
    return next(n for n in detail["nodes"] if n["id"] == node.pk)


@router.patch(
    "/{framework_id}/nodes/{node_id}",
    response={200: NodeOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Sửa hoặc chuyển tiêu chí (bản dự thảo)",
)
def node_update(request: HttpRequest, framework_id: int, node_id: int, payload: NodePatchIn):
    node = access.require_node_manage(request.auth, framework_id, node_id)
    values = payload.dict(exclude_unset=True, exclude={"parent", "move", "position"})
    if "rule" in values and values["rule"] is None:
        values["rule"] = None
    if values:
        node = services.node_update(node=node, actor=request.auth, **values)
    if payload.move:
        node = services.node_move(
            node=node, actor=request.auth, parent=_parent(node.framework, payload.parent), position=payload.position
        )
    return _node_out(Node.objects.select_related("framework").get(pk=node.pk))


@router.delete(
    "/{framework_id}/nodes/{node_id}",
    response={204: None, **error_responses(400, 401, 403, 404, 422)},
    summary="Bỏ tiêu chí khỏi bản dự thảo",
)
def node_delete(request: HttpRequest, framework_id: int, node_id: int):
    """Bỏ nút và các nút con khỏi bản dự thảo (lịch sử vẫn giữ). Bộ chỉ số đang áp dụng không sửa được."""
    node = access.require_node_manage(request.auth, framework_id, node_id)
    services.node_remove(node=node, actor=request.auth)
    return Status(204, None)


@router.post(
    "/{framework_id}/nodes/{node_id}/evaluate",
    response={200: EvaluateOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Chấm thử quy tắc của một tiêu chí",
)
def node_evaluate(request: HttpRequest, framework_id: int, node_id: int, payload: EvaluateIn):
    framework = access.require_framework_read(request.auth, framework_id)
    node = Node.objects.filter(framework=framework, pk=node_id).first() if node_id < 2**63 else None
    if node is None:
        raise Http404("Không tìm thấy tiêu chí.")
    if not node.rule:
        raise ValidationError({"rule": [f"Tiêu chí {node.code} chưa có quy tắc chấm điểm."]})
    return _evaluate(
        node.rule, payload.value, max_points=node.max_points, min_points=node.min_points, context=_context(payload)
    )
