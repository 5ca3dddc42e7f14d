"""Shared reads for the builders: the result sets a cycle's documents are about."""

from __future__ import annotations

from parindex.scoring.models import JobState, ResultSet, ResultStatus

from .registry import ReportError, ReportRequest


def cycle_result_sets(req: ReportRequest, *, published_only: bool = False) -> list[ResultSet]:
    """Per group of the cycle (or the requested group): its published result set, else its latest computed draft.
    Raises ``ReportError`` when there is none."""
    sets = (
        ResultSet.objects.filter(cycle=req.cycle, job_state=JobState.DONE)
        .exclude(status=ResultStatus.SUPERSEDED)
        .select_related("group", "framework", "scheme", "cycle")
        .order_by("group__name", "-published_at", "-created_at")
    )
    if req.group is not None:
        sets = sets.filter(group=req.group)
    chosen: dict[int | None, ResultSet] = {}
    for result_set in sets:
        current = chosen.get(result_set.group_id)
        if current is None or (
            result_set.status == ResultStatus.PUBLISHED and current.status != ResultStatus.PUBLISHED
        ):
            chosen[result_set.group_id] = result_set
    found = [s for s in chosen.values() if not published_only or s.status == ResultStatus.PUBLISHED]
    if not found:
        what = "đã công bố" if published_only else "đã tính"
        raise ReportError(f"Đợt “{req.cycle.name}” chưa có kết quả {what}: hãy tính (và công bố) kết quả trước.")
    return found


def unit_result_set(req: ReportRequest) -> ResultSet:
    """The result set of the cycle that holds the requested unit. Raises ``ReportError`` when the unit has none."""
    for result_set in cycle_result_sets(req):
        if result_set.units.filter(unit=req.unit).exists():
            return result_set
    raise ReportError(f"Đơn vị “{req.unit.name}” chưa có kết quả trong đợt “{req.cycle.name}”.")
