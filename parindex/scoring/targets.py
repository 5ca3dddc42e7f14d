"""Targets (seed 002) and whether each was met, year by year, from stored published results."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from parindex.core.services import audit_record

from . import analysis
from .models import ResultSet, ResultStatus, Target, TargetKind, UnitResult
from .selectors import previous_set, ranking_rows, result_set_for


@dataclass
class YearCheck:
    year: int
    met: bool | None  # None: no result to judge yet
    detail: str


def target_create(
    *, owner, kind: str, year_from: int, year_to: int, actor, unit=None, group=None, top_n=None, note: str = ""
) -> Target:
    errors = {}
    if kind not in TargetKind.values:
        errors["kind"] = "Loại mục tiêu không hợp lệ."
    if year_to < year_from:
        errors["year_to"] = "Năm kết thúc phải sau năm bắt đầu."
    if kind in (TargetKind.NATIONAL_TOP, TargetKind.RISE_RANK, TargetKind.AVERAGE_ABOVE_PROVINCE) and unit is None:
        errors["unit"] = "Cần chọn tỉnh được theo dõi."
    if kind in (TargetKind.EACH_UNIT_ABOVE_PREVIOUS, TargetKind.AVERAGE_ABOVE_PROVINCE) and group is None:
        errors["group"] = "Cần chọn nhóm đơn vị."
    if kind == TargetKind.NATIONAL_TOP and not top_n:
        errors["top_n"] = "Cần số N của nhóm dẫn đầu."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        target = Target.objects.create(
            owner=owner, kind=kind, unit=unit, group=group, top_n=top_n, year_from=year_from, year_to=year_to, note=note
        )
        audit_record(
            actor=actor,
            action="target.created",
            obj=target,
            unit=owner,
            changes={"kind": [None, kind], "years": [None, f"{year_from}-{year_to}"]},
        )
    return target


def _province_row(unit, year: int) -> UnitResult | None:
    return (
        UnitResult.objects.filter(unit=unit, result_set__year=year, result_set__status=ResultStatus.PUBLISHED)
        .select_related("result_set")
        .order_by("-result_set__published_at", "-result_set__created_at")
        .first()
    )


def _group_set(group, year: int) -> ResultSet | None:
    return result_set_for(year=year, group=group, published_only=True)


def check_year(target: Target, year: int) -> YearCheck:
    kind = target.kind
    if kind == TargetKind.NATIONAL_TOP:
        row = _province_row(target.unit, year)
        if row is None or row.rank is None:
            return YearCheck(year, None, "chưa có kết quả công bố")
        met = row.rank <= target.top_n
        final = " (năm mục tiêu)" if year == target.year_to else ""
        return YearCheck(year, met, f"xếp hạng {row.rank}, mục tiêu nhóm {target.top_n} dẫn đầu{final}")
    if kind == TargetKind.RISE_RANK:
        row, before = _province_row(target.unit, year), _province_row(target.unit, year - 1)
        if row is None or before is None or row.rank is None or before.rank is None:
            return YearCheck(year, None, "chưa đủ kết quả hai năm liền kề")
        rise = before.rank - row.rank
        return YearCheck(year, rise >= 1, f"từ hạng {before.rank} lên hạng {row.rank} ({rise:+d} bậc)")
    if kind == TargetKind.EACH_UNIT_ABOVE_PREVIOUS:
        rs = _group_set(target.group, year)
        if rs is None:
            return YearCheck(year, None, "chưa có kết quả công bố của nhóm")
        rows = [r for r in ranking_rows(rs, previous=previous_set(rs)) if r["percent"] is not None]
        judged = [r for r in rows if r["percent_change"] is not None]
        if not judged:
            return YearCheck(year, None, "chưa có kết quả năm trước để so sánh")
        not_up = [r["unit"] for r in judged if r["percent_change"] <= 0]
        if not_up:
            return YearCheck(year, False, f"{len(not_up)}/{len(judged)} đơn vị không tăng: {', '.join(not_up[:10])}")
        return YearCheck(year, True, f"cả {len(judged)} đơn vị đều tăng")
    if kind == TargetKind.AVERAGE_ABOVE_PROVINCE:
        rs = _group_set(target.group, year)
        if rs is None:
            return YearCheck(year, None, "chưa có kết quả công bố của nhóm")
        result = analysis.average_against_province(rs, target.unit)
        if result["met"] is None:
            return YearCheck(year, None, "chưa có Chỉ số của tỉnh năm trước")
        return YearCheck(
            year,
            result["met"],
            f"bình quân {result['average']}% so với {result['province_previous']}% của tỉnh năm {year - 1}",
        )
    return YearCheck(year, None, "")


def target_progress(target: Target) -> list[YearCheck]:
    return [check_year(target, year) for year in range(target.year_from, target.year_to + 1)]
