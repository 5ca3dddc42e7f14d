"""Results on the API (``/api/v1/results``): result sets, rankings with changes, a unit's scorecard, computation
(a background job), approval and publication. Published results are public; drafts need a manager or the chair."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import Field

from parindex.api.auth import PUBLIC_AUTH
from parindex.api.errors import error_responses
from parindex.cycles.models import Cycle, CycleFramework
from parindex.orgs.access import require_login
from parindex.orgs.models import OrgUnit

from . import access, analysis, selectors, services, targets
from .models import ResultSet, ResultStatus

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
