"""Results pages: the list (with computation for managers), a result set's ranking with progress while it is
computed, approval and publication, a unit's scorecard, open data. Published results need no login; drafts are for
managers and the council chair only (see ``access``)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parindex.core.exports import cell_safe, csv_response
from parindex.core.text import fold
from parindex.cycles.models import Cycle, CycleFramework
from parindex.frameworks.spec import tree_order
from parindex.orgs.access import require_login
from parindex.orgs.models import OrgUnit, UnitKind
from parindex.orgs.selectors import unit_ancestors
from parindex.reports.selectors import latest_job

from . import access, analysis, engine, page_charts, selectors, services, targets
from .forms import TargetForm
from .models import JobState, ResultSet, ResultStatus

NAV = "results"
OPEN_DATA_FIELDS = ["rank", "unit", "unit_code", "points", "percent", "class", "percent_change", "rank_change"]


def _plain(value):
    return None if value is None else (value if isinstance(value, int | str | bool) else str(value))


@require_GET
def results_list(request):
    published = ResultSet.objects.filter(status=ResultStatus.PUBLISHED).select_related("group", "cycle")
    computable = []
    drafts = ResultSet.objects.none()
    if request.user.is_authenticated:
        cycles, viewable = [], []
        for cycle in Cycle.objects.select_related("assessor"):
            if access.can_manage_results(request.user, cycle):
                cycles.append(cycle)
            elif access.can_approve_results(request.user, cycle):
                viewable.append(cycle)
        computable = list(CycleFramework.objects.filter(cycle__in=cycles).select_related("cycle", "group", "framework"))
        drafts = (
            ResultSet.objects.filter(cycle__in=cycles + viewable)
            .exclude(status__in=[ResultStatus.PUBLISHED, ResultStatus.SUPERSEDED])
            .select_related("group", "cycle")
        )
    return render(
        request,
        "scoring/list.html",
        {"nav": NAV, "published": published, "drafts": drafts, "computable": computable},
    )


@require_POST
def results_compute(request, cycle_id: int, group_id: int):
    require_login(request.user)
    cycle = get_object_or_404(Cycle.objects.select_related("assessor"), pk=cycle_id)
    access.require_results_compute(request.user, cycle)
    plan = get_object_or_404(CycleFramework.objects.select_related("group"), cycle=cycle, group_id=group_id)
    try:
        result_set = services.resultset_compute(cycle=cycle, group=plan.group, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("scoring:list")
    return redirect("scoring:detail", result_set.pk)


PAGE_SIZES = (50, 100, 200, 500)


def _ranking_context(request, result_set: ResultSet) -> dict:
    previous = selectors.previous_set(result_set)
    rows = selectors.ranking_rows(result_set, previous=previous) if result_set.job_state == JobState.DONE else []
    classes = sorted({r["class"] for r in rows} - {""})
    charts = page_charts.result_set_charts(result_set, rows) if rows else {}
    klass = request.GET.get("xep_loai", "")
    if klass:
        rows = [r for r in rows if r["class"] == klass]
    query = request.GET.get("q", "").strip()
    if query:
        key = fold(query)
        rows = [r for r in rows if key in fold(r["unit"]) or query.upper() == (r["unit_code"] or "").upper()]
    order = request.GET.get("sap_xep", "rank")
    if order == "name":
        rows.sort(key=lambda r: r["unit"])
    elif order == "change":
        rows.sort(key=lambda r: (r["percent_change"] is None, -(r["percent_change"] or 0)))
    size = _int(request.GET.get("so_dong")) or 100
    size = size if size in PAGE_SIZES else 100
    page = Paginator(rows, size).get_page(request.GET.get("trang"))
    components = result_set.components
    for r in page.object_list:
        r["cells"] = [(r["components"] or {}).get(c["code"], {}).get("points") for c in components]
    params = request.GET.copy()
    params.pop("trang", None)
    return {
        "nav": NAV,
        "result_set": result_set,
        "previous": previous,
        "rows": page.object_list,
        "page": page,
        "page_sizes": PAGE_SIZES,
        "size": size,
        "query": query,
        "params": params.urlencode(),
        "classes": classes,
        "klass": klass,
        "order": order,
        "can_approve": result_set.cycle_id
        and result_set.status == ResultStatus.DRAFT
        and access.can_approve_results(request.user, result_set.cycle),
        "can_publish": result_set.cycle_id
        and result_set.status == ResultStatus.APPROVED
        and access.can_manage_results(request.user, result_set.cycle),
        "rounding_rule": engine.ROUNDING_RULE,
        "tie_rule": engine.TIE_RULE,
        "charts": charts,
    }


@require_GET
def results_detail(request, pk: int):
    result_set = access.require_result_set(request.user, pk)
    context = _ranking_context(request, result_set)
    if result_set.cycle_id and access.can_manage_results(request.user, result_set.cycle):
        context["decision_job"] = latest_job(cycle=result_set.cycle, kind="decision", group=result_set.group)
    return render(request, "scoring/detail.html", context)


@require_GET
def results_progress(request, pk: int):
    result_set = access.require_result_set(request.user, pk)
    if result_set.job_state == JobState.DONE and request.htmx:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "scoring/_progress.html", {"result_set": result_set})


@require_POST
def results_approve(request, pk: int):
    result_set = access.require_result_set(request.user, pk)
    access.require_result_approve(request.user, result_set)
    try:
        services.resultset_approve(result_set=result_set, actor=request.user)
        messages.success(request, _("Đã duyệt kết quả."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("scoring:detail", pk)


@require_POST
def results_publish(request, pk: int):
    result_set = access.require_result_set(request.user, pk)
    access.require_result_publish(request.user, result_set)
    try:
        services.resultset_publish(
            result_set=result_set, actor=request.user, decision=request.POST.get("decision", "").strip()[:300]
        )
        messages.success(request, _("Đã công bố kết quả; trang công khai đã mở."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("scoring:detail", pk)


@require_GET
def results_unit(request, pk: int, unit_id: int):
    result_set = access.require_result_set(request.user, pk)
    row = result_set.units.select_related("unit").filter(unit_id=unit_id).first()
    if row is None:
        raise Http404(_("Đơn vị không có trong bộ kết quả này."))
    criteria = []
    card = services.unit_scorecard(result_set, unit_id) if result_set.framework_id else None
    if card is not None:
        items = [
            {"code": code, "name": name, "parent": parent}
            for code, name, parent in result_set.framework.nodes.order_by("order", "id").values_list(
                "code", "name", "parent__code"
            )
        ]
        for item in tree_order(items):
            code, name, parent = item["code"], item["name"], item["parent"]
            node = card.nodes.get(code)
            if node is not None:
                criteria.append(
                    {
                        "code": code,
                        "name": name,
                        "is_field": parent is None,
                        "max": node.max_points,
                        "self": node.self_points,
                        "appraised": node.appraised_points,
                        "final": node.final_points,
                        "lost": node.lost_points,
                        "reason": node.reason,
                    }
                )
    history = [
        h
        for h in selectors.unit_history(row.unit)
        if h.result_set.status == ResultStatus.PUBLISHED or h.result_set_id == result_set.pk
    ]
    return render(
        request,
        "scoring/unit.html",
        {
            "nav": NAV,
            "result_set": result_set,
            "row": row,
            "criteria": criteria,
            "history": history,
            "charts": page_charts.unit_charts(result_set, row, history),
        },
    )


@require_GET
def results_open_data(request, pk: int, fmt: str):
    result_set = access.require_result_set(request.user, pk)
    if result_set.status != ResultStatus.PUBLISHED and not request.user.is_authenticated:
        raise PermissionDenied
    records = selectors.ranking_rows(result_set, previous=selectors.previous_set(result_set))
    out = [{f: _plain(r[f]) for f in OPEN_DATA_FIELDS} for r in records]
    name = f"chi-so-cchc-{result_set.year}-{result_set.pk}"
    if fmt == "json":
        response = HttpResponse(
            json.dumps({"year": result_set.year, "title": result_set.title, "rows": out}, ensure_ascii=False),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.json"'
        return response
    if fmt != "csv":
        raise Http404
    rows = [OPEN_DATA_FIELDS] + [[cell_safe(r[f]) for f in OPEN_DATA_FIELDS] for r in out]
    return csv_response(rows, f"{name}.csv")


@require_GET
def public_list(request):
    sets = ResultSet.objects.filter(status=ResultStatus.PUBLISHED).select_related("group").order_by("-year")
    return render(
        request,
        "scoring/public_list.html",
        {"nav": "public", "sets": sets, "charts": page_charts.public_charts(list(sets))},
    )


def _province_of(unit):
    if unit is None:
        return None
    if unit.kind == UnitKind.PROVINCE:
        return unit
    return next((u for u in reversed(unit_ancestors(unit)) if u.kind == UnitKind.PROVINCE), None)


@require_GET
def results_analysis(request, pk: int):
    result_set = access.require_result_set(request.user, pk)
    province = _province_of(result_set.cycle.assessor if result_set.cycle_id else None)
    return render(
        request,
        "scoring/analysis.html",
        {
            "nav": NAV,
            "result_set": result_set,
            "lost": analysis.points_lost(result_set, limit=30),
            "fell": analysis.units_fell(result_set),
            "gaps": analysis.self_vs_appraised(result_set)[:200],
            "province": province,
            "against": analysis.average_against_province(result_set, province) if province else None,
        },
    )


@require_GET
def unit_analysis(request, unit_id: int):
    unit = get_object_or_404(OrgUnit, pk=unit_id)
    year_from = _int(request.GET.get("tu_nam"))
    year_to = _int(request.GET.get("den_nam"))
    table = analysis.component_averages(unit, year_from=year_from, year_to=year_to)
    return render(
        request,
        "scoring/unit_analysis.html",
        {"nav": NAV, "unit": unit, "table": table, "year_from": year_from, "year_to": year_to},
    )


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_http_methods(["GET", "POST"])
def target_list(request):
    require_login(request.user)
    owners = access.target_owners(request.user)
    form = TargetForm(request.POST or None, owners=owners) if owners else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("Chỉ Quản lý Chỉ số mới được đặt mục tiêu."))
        if form.is_valid():
            try:
                targets.target_create(actor=request.user, **form.cleaned_data)
                messages.success(request, _("Đã ghi mục tiêu."))
                return redirect("scoring:targets")
            except ValidationError as exc:
                for field_name, errors in exc.message_dict.items():
                    form.add_error(field_name if field_name in form.fields else None, errors)
    rows = [(t, targets.target_progress(t)) for t in access.targets_visible(request.user)]
    return render(request, "scoring/targets.html", {"nav": NAV, "rows": rows, "form": form})


@require_GET
def results_compare(request):
    codes = [c.strip() for c in request.GET.get("don_vi", "").replace(";", ",").split(",") if c.strip()][:10]
    units = list(OrgUnit.objects.filter(code__in=codes))
    unknown = sorted(set(codes) - {u.code for u in units})
    units.sort(key=lambda u: codes.index(u.code))
    return render(
        request,
        "scoring/compare.html",
        {"nav": NAV, "codes": ", ".join(codes), "unknown": unknown, "table": selectors.compare_units(units)},
    )
