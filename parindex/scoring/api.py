"""Results on the API (``/api/v1/results``): result sets, rankings with changes, a unit's scorecard, computation
(a background job), approval and publication. Published results are public; drafts need a manager or the chair."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Path, Router, Schema, Status
from pydantic import Field

from parindex.api.auth import PUBLIC_AUTH
from parindex.api.errors import error_responses
from parindex.api.lookups import unit_from_field
from parindex.api.schemas.common import MAX_ID, AwareIsoDateTime, DbId, Text
from parindex.cycles.models import Cycle, CycleFramework
from parindex.frameworks.models import Framework
from parindex.orgs.access import require_login
from parindex.orgs.models import OrgUnit, UnitGroup

from . import access, analysis, schemes, selectors, services, targets
from .models import ClassScheme, ResultSet, ResultStatus

router = Router(tags=["Kết quả Chỉ số"])


class ResultSetOut(Schema):
    id: int
    year: int
    title: str
    status: str = Field(..., description="draft, approved, published, superseded")
    source: str = Field(..., description="computed, imported")
    cycle_id: int | None
    group: str | None = Field(..., description="mã nhóm đơn vị")
    unit_kind: str
    job_state: str = Field(..., description="queued, running, done, failed")
    job_done: int
    job_total: int
    job_error: str
    inputs_version: str
    decision: str
    components: list[dict]


class RankingRow(Schema):
    rank: int | None
    unit: str
    unit_code: str
    unit_id: int
    points: str | None
    percent: str | None
    class_: str = Field(..., alias="class")
    percent_change: str | None
    rank_change: int | None
    change_note: str
    imported_rank: int | None
    complete: bool
    missing: list[str]
    components: dict


class UnitScorecard(Schema):
    unit_id: int
    unit: str
    points: str | None
    max_points: str | None
    percent: str | None
    rank: int | None
    class_code: str
    class_name: str
    complete: bool
    missing: list[str]
    components: dict
    nodes: dict


class ComputeIn(Schema):
    cycle_id: int
    group_id: int


class PublishIn(Schema):
    decision: str = ""


def _out(rs: ResultSet) -> dict:
    return {
        "id": rs.pk,
        "year": rs.year,
        "title": str(rs),
        "status": rs.status,
        "source": rs.source,
        "cycle_id": rs.cycle_id,
        "group": rs.group.code if rs.group_id else None,
        "unit_kind": rs.unit_kind,
        "job_state": rs.job_state,
        "job_done": rs.job_done,
        "job_total": rs.job_total,
        "job_error": rs.job_error,
        "inputs_version": rs.inputs_version,
        "decision": rs.decision,
        "components": rs.components,
    }


def _s(value):
    return None if value is None else str(value)


@router.get(
    "", response={200: list[ResultSetOut], **error_responses(401)}, auth=PUBLIC_AUTH, summary="Các bộ kết quả xem được"
)
def results_list(request: HttpRequest):
    sets = ResultSet.objects.exclude(status=ResultStatus.SUPERSEDED).select_related("group", "cycle__assessor")
    return [_out(rs) for rs in sets if access.can_view_result_set(request.user, rs)]


@router.get("/targets", response={200: list[dict], **error_responses(401)}, summary="Mục tiêu và kết quả từng năm")
def targets_list(request: HttpRequest):
    require_login(request.user)
    return [
        {
            "id": t.pk,
            "kind": t.kind,
            "label": t.get_kind_display(),
            "unit": t.unit.code if t.unit_id else None,
            "group": t.group.code if t.group_id else None,
            "top_n": t.top_n,
            "year_from": t.year_from,
            "year_to": t.year_to,
            "years": [{"year": c.year, "met": c.met, "detail": c.detail} for c in targets.target_progress(t)],
        }
        for t in access.targets_visible(request.user)
    ]


# --- class schemes (thang xếp loại) ---------------------------------------------------------------------------
# Declared before the result-set routes; "/schemes" never matches "/{result_set_id}" (an integer) anyway.

SCHEMES = ["Thang xếp loại"]
SchemeId = Annotated[int, Path(ge=1, le=MAX_ID)]


class ClassSchemeBand(Schema):
    code: Text = Field(..., max_length=32, description="Mã mức, ví dụ A, B, xuat-sac")
    name: Text = Field("", max_length=100, description="Tên mức; để trống thì dùng mã")
    min: Decimal = Field(..., description="Ngưỡng dưới (%), kể cả ngưỡng: 0–100, tối đa hai chữ số thập phân")
    order: int | None = Field(None, ge=1, le=1000, description="Thứ tự, 1 là mức cao nhất; bỏ trống: theo danh sách")


class ClassSchemeBandOut(Schema):
    code: str
    name: str
    min: str = Field(..., description="Ngưỡng dưới (%), kể cả ngưỡng")
    max: str | None = Field(..., description="Ngưỡng dưới của mức cao hơn (không kể); null với mức cao nhất")


class ClassSchemeOut(Schema):
    id: int
    code: str
    name: str
    builtin: bool = Field(..., description="Thang có sẵn trong phần mềm: chỉ đọc, nhân bản để sửa")
    owner_id: int | None
    framework_id: int | None = Field(..., description="Bộ chỉ số được gắn (áp dụng khi nhóm không có thang riêng)")
    group_id: int | None = Field(..., description="Nhóm đơn vị được gắn")
    cloned_from_id: int | None
    retired_at: dt.datetime | None
    updated_at: dt.datetime = Field(..., description="Gửi lại khi sửa để tránh ghi đè thay đổi của người khác")
    bands: list[ClassSchemeBandOut]
    published_uses: int = Field(..., description="Số bộ kết quả đã công bố xếp loại theo thang này")


class ClassSchemeCreateIn(Schema):
    owner_id: DbId = Field(..., description="Cơ quan quản lý thang (cơ quan bạn là Quản lý Chỉ số)")
    name: Text = Field(..., min_length=1, max_length=200)
    code: Text = Field("", max_length=64, description="Mã thang; để trống thì tạo từ tên")
    bands: list[ClassSchemeBand] = Field(..., max_length=40)
    framework_id: DbId | None = None
    group_id: DbId | None = None


class ClassSchemePatchIn(Schema):
    updated_at: AwareIsoDateTime = Field(..., description="Giá trị updated_at đã đọc")
    name: Text | None = Field(None, min_length=1, max_length=200)
    bands: list[ClassSchemeBand] | None = Field(None, max_length=40)
    framework_id: DbId | None = Field(None, description="null: gỡ khỏi bộ chỉ số")
    group_id: DbId | None = Field(None, description="null: gỡ khỏi nhóm")
    reason: Text = Field("", max_length=500)


class ClassSchemeCloneIn(Schema):
    owner_id: DbId | None = Field(None, description="Cơ quan quản lý bản sao; mặc định: cơ quan của thang gốc")
    name: Text = Field("", max_length=200)


class ClassSchemeRetireIn(Schema):
    reason: Text = Field("", max_length=500)


def _scheme_out(scheme: ClassScheme) -> dict:
    return {
        "id": scheme.pk,
        "code": scheme.code,
        "name": scheme.name,
        "builtin": scheme.builtin,
        "owner_id": scheme.owner_id,
        "framework_id": scheme.framework_id,
        "group_id": scheme.group_id,
        "cloned_from_id": scheme.cloned_from_id,
        "retired_at": scheme.retired_at,
        "updated_at": scheme.updated_at,
        "bands": [
            {"code": r["code"], "name": r["name"], "min": str(r["min"]), "max": _s(r["max"])}
            for r in schemes.band_ranges(scheme.bands)
        ],
        "published_uses": schemes.scheme_usage(scheme)["published"],
    }


def _framework_from(framework_id: int | None) -> Framework | None:
    if framework_id is None:
        return None
    framework = Framework.objects.select_related("owner").filter(pk=framework_id).first()
    if framework is None:
        raise ValidationError({"framework_id": [f"Không tìm thấy bộ chỉ số có id {framework_id}."]})
    return framework


def _group_from(group_id: int | None) -> UnitGroup | None:
    if group_id is None:
        return None
    group = UnitGroup.objects.select_related("owner").filter(pk=group_id).first()
    if group is None:
        raise ValidationError({"group_id": [f"Không tìm thấy nhóm đơn vị có id {group_id}."]})
    return group


def _bands_in(bands: list[ClassSchemeBand]) -> list[dict]:
    return [b.model_dump() for b in bands]


@router.get(
    "/schemes",
    response={200: list[ClassSchemeOut], **error_responses(401, 403)},
    tags=SCHEMES,
    summary="Các thang xếp loại: thang có sẵn và thang của cơ quan bạn quản lý",
)
def schemes_list(request: HttpRequest):
    access.require_scheme_manager(request.user)
    return [_scheme_out(s) for s in access.schemes_visible(request.user)]


@router.post(
    "/schemes",
    response={201: ClassSchemeOut, **error_responses(400, 401, 403, 422)},
    tags=SCHEMES,
    summary="Tạo thang xếp loại",
)
def schemes_create(request: HttpRequest, payload: ClassSchemeCreateIn):
    """Các mức phủ kín 0–100 không hở, không chồng: mỗi mức tính từ ngưỡng dưới (kể cả) đến ngưỡng dưới của mức cao
    hơn (không kể), mức thấp nhất từ 0. Lỗi nêu rõ mức nào."""
    user = request.user
    access.require_scheme_manager(user)
    owner = unit_from_field(user, payload.owner_id, "owner_id")
    access.require_scheme_owner(user, owner)
    framework = _framework_from(payload.framework_id)
    group = _group_from(payload.group_id)
    access.require_scheme_attach(user, framework=framework, group=group)
    scheme = schemes.scheme_create(
        owner=owner,
        name=payload.name,
        code=payload.code,
        bands=_bands_in(payload.bands),
        framework=framework,
        group=group,
        actor=user,
    )
    return Status(201, _scheme_out(scheme))


@router.get(
    "/schemes/{scheme_id}",
    response={200: ClassSchemeOut, **error_responses(401, 403, 404, 422)},
    tags=SCHEMES,
    summary="Một thang xếp loại",
)
def schemes_get(request: HttpRequest, scheme_id: SchemeId):
    return _scheme_out(access.require_scheme(request.user, scheme_id))


@router.patch(
    "/schemes/{scheme_id}",
    response={200: ClassSchemeOut, **error_responses(400, 401, 403, 404, 409, 422)},
    tags=SCHEMES,
    summary="Sửa thang xếp loại: tên, các mức, gắn với bộ chỉ số hoặc nhóm",
)
def schemes_update(request: HttpRequest, scheme_id: SchemeId, payload: ClassSchemePatchIn):
    """Chỉ các trường gửi lên được thay đổi; `framework_id`/`group_id` bằng null thì gỡ. Bắt buộc gửi `updated_at`
    đã đọc: nếu thang đã bị người khác sửa sau đó, trả 409 và không ghi gì. Thang có sẵn và thang đã ngừng dùng chỉ
    đọc (422). Bộ kết quả đã tính giữ nguyên xếp loại; tính lại để áp dụng."""
    user = request.user
    scheme = access.require_scheme(user, scheme_id)
    values = payload.model_dump(exclude_unset=True)
    changes: dict = {}
    if "name" in values:
        if values["name"] is None:
            raise ValidationError({"name": ["Cần tên thang xếp loại."]})
        changes["name"] = values["name"]
    if "bands" in values:
        if values["bands"] is None:
            raise ValidationError({"bands": ["Cần các mức xếp loại."]})
        changes["bands"] = values["bands"]
    if "framework_id" in values or "group_id" in values:
        framework = _framework_from(values["framework_id"]) if "framework_id" in values else scheme.framework
        group = _group_from(values["group_id"]) if "group_id" in values else scheme.group
        access.require_scheme_attach(
            user,
            framework=framework if framework is not None and framework.pk != scheme.framework_id else None,
            group=group if group is not None and group.pk != scheme.group_id else None,
        )
        changes["framework"], changes["group"] = framework, group
    scheme = schemes.scheme_update(
        scheme=scheme,
        actor=user,
        expected_updated_at=payload.updated_at,
        reason=values.get("reason", ""),
        **changes,
    )
    return _scheme_out(scheme)


@router.post(
    "/schemes/{scheme_id}/clone",
    response={201: ClassSchemeOut, **error_responses(400, 401, 403, 404, 422)},
    tags=SCHEMES,
    summary="Nhân bản một thang (thang có sẵn, đã ngừng hoặc của cơ quan bạn) thành một thang sửa được",
)
def schemes_clone(request: HttpRequest, scheme_id: SchemeId, payload: ClassSchemeCloneIn):
    user = request.user
    scheme = access.require_scheme(user, scheme_id)
    if payload.owner_id is not None:
        owner = unit_from_field(user, payload.owner_id, "owner_id")
    else:
        owner = scheme.owner or access.target_owners(user).first()
    access.require_scheme_owner(user, owner)
    clone = schemes.scheme_clone(scheme=scheme, owner=owner, actor=user, name=payload.name)
    return Status(201, _scheme_out(clone))


@router.post(
    "/schemes/{scheme_id}/retire",
    response={200: ClassSchemeOut, **error_responses(400, 401, 403, 404, 422)},
    tags=SCHEMES,
    summary="Ngừng dùng một thang: không dùng cho lần tính sau; kết quả đã tính giữ nguyên",
)
def schemes_retire(request: HttpRequest, scheme_id: SchemeId, payload: ClassSchemeRetireIn):
    scheme = access.require_scheme(request.user, scheme_id)
    return _scheme_out(schemes.scheme_retire(scheme=scheme, actor=request.user, reason=payload.reason))


@router.get(
    "/compare",
    response={200: dict, **error_responses(401, 422)},
    auth=PUBLIC_AUTH,
    summary="So sánh kết quả đã công bố của nhiều đơn vị qua các năm (units: mã, cách nhau bởi dấu phẩy)",
)
def results_compare(request: HttpRequest, units: str):
    codes = [c.strip() for c in units.split(",") if c.strip()][:10]
    found = sorted(OrgUnit.objects.filter(code__in=codes), key=lambda u: codes.index(u.code))
    return _jsonable(selectors.compare_units(found))


@router.post(
    "/compute",
    response={202: ResultSetOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Tính kết quả dự thảo của một nhóm trong đợt (công việc nền)",
)
def results_compute(request: HttpRequest, payload: ComputeIn):
    require_login(request.user)
    cycle = get_object_or_404(Cycle.objects.select_related("assessor"), pk=payload.cycle_id)
    access.require_results_compute(request.user, cycle)
    plan = get_object_or_404(CycleFramework.objects.select_related("group"), cycle=cycle, group_id=payload.group_id)
    rs = services.resultset_compute(cycle=cycle, group=plan.group, actor=request.user)
    return Status(202, _out(rs))


@router.get(
    "/{result_set_id}",
    response={200: ResultSetOut, **error_responses(401, 403, 404, 422)},
    auth=PUBLIC_AUTH,
    summary="Một bộ kết quả (tiến độ tính)",
)
def results_get(request: HttpRequest, result_set_id: int):
    return _out(access.require_result_set(request.user, result_set_id))


@router.get(
    "/{result_set_id}/ranking",
    response={200: list[RankingRow], **error_responses(401, 403, 404, 422)},
    auth=PUBLIC_AUTH,
    summary="Bảng xếp hạng với thay đổi so với năm trước",
    by_alias=True,
)
def results_ranking(request: HttpRequest, result_set_id: int):
    rs = access.require_result_set(request.user, result_set_id)
    rows = selectors.ranking_rows(rs, previous=selectors.previous_set(rs))
    return [
        {**r, "points": _s(r["points"]), "percent": _s(r["percent"]), "percent_change": _s(r["percent_change"])}
        for r in rows
    ]


@router.get(
    "/{result_set_id}/units/{unit_id}",
    response={200: UnitScorecard, **error_responses(401, 403, 404, 422)},
    auth=PUBLIC_AUTH,
    summary="Kết quả của một đơn vị: lĩnh vực, tiêu chí",
)
def results_unit(request: HttpRequest, result_set_id: int, unit_id: int):
    rs = access.require_result_set(request.user, result_set_id)
    row = get_object_or_404(rs.units.select_related("unit"), unit_id=unit_id)
    return {
        "unit_id": row.unit_id,
        "unit": row.unit.name,
        "points": _s(row.points),
        "max_points": _s(row.max_points),
        "percent": _s(row.percent),
        "rank": row.rank,
        "class_code": row.class_code,
        "class_name": row.class_name,
        "complete": row.complete,
        "missing": row.missing,
        "components": row.components,
        "nodes": _card(rs, row.unit_id),
    }


def _card(rs: ResultSet, unit_id: int) -> dict:
    card = services.unit_scorecard(rs, unit_id) if rs.framework_id else None
    if card is None:
        return {}
    return {
        code: {
            "self": _s(n.self_points),
            "appraised": _s(n.appraised_points),
            "final": _s(n.final_points),
            "max": _s(n.max_points),
            "reason": n.reason,
        }
        for code, n in card.nodes.items()
    }


@router.post(
    "/{result_set_id}/approve",
    response={200: ResultSetOut, **error_responses(401, 403, 404, 422)},
    summary="Chủ tịch Hội đồng duyệt kết quả",
)
def results_approve(request: HttpRequest, result_set_id: int):
    rs = access.require_result_set(request.user, result_set_id)
    access.require_result_approve(request.user, rs)
    return _out(services.resultset_approve(result_set=rs, actor=request.user))


@router.post(
    "/{result_set_id}/publish",
    response={200: ResultSetOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Công bố kết quả đã duyệt",
)
def results_publish(request: HttpRequest, result_set_id: int, payload: PublishIn):
    rs = access.require_result_set(request.user, result_set_id)
    access.require_result_publish(request.user, rs)
    return _out(services.resultset_publish(result_set=rs, actor=request.user, decision=payload.decision[:300]))


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


@router.get(
    "/{result_set_id}/analysis",
    response={200: dict, **error_responses(401, 403, 404, 422)},
    auth=PUBLIC_AUTH,
    summary="Phân tích: tiêu chí mất điểm, đơn vị giảm điểm, chênh lệch tự chấm – thẩm định",
)
def results_analysis(request: HttpRequest, result_set_id: int):
    rs = access.require_result_set(request.user, result_set_id)
    fell = [
        {k: r[k] for k in ("unit", "unit_code", "percent", "previous_percent", "percent_change", "change_note")}
        for r in analysis.units_fell(rs)
    ]
    return _jsonable(
        {"points_lost": analysis.points_lost(rs), "units_fell": fell, "gaps": analysis.self_vs_appraised(rs)}
    )


@router.get(
    "/units/{unit_id}/components",
    response={200: dict, **error_responses(401, 404, 422)},
    auth=PUBLIC_AUTH,
    summary="Chỉ số thành phần của một đơn vị qua các năm đã công bố, trung bình và xếp loại",
)
def unit_components(request: HttpRequest, unit_id: int, year_from: int | None = None, year_to: int | None = None):
    unit = get_object_or_404(OrgUnit, pk=unit_id)
    return _jsonable(analysis.component_averages(unit, year_from=year_from, year_to=year_to))
