"""Computing, approving and publishing result sets.

A computation reads the cycle's points with a few aggregate queries (no per-unit query), runs the pure engine for
each unit, ranks and classifies, and stores the snapshot with the hash of its inputs. It runs as a background job
that reports its progress on the result set.
"""

from __future__ import annotations

import hashlib
import json
import logging
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from parindex.core.services import audit_record

from . import engine
from .models import ClassScheme, JobState, ResultSet, ResultSource, ResultStatus, UnitResult

PROGRESS_EVERY = 200
log = logging.getLogger(__name__)


def node_specs(framework) -> list[engine.NodeSpec]:
    return [
        engine.NodeSpec(
            code=code,
            parent=parent,
            name=name,
            max_points=Decimal(max_points),
            min_points=Decimal(min_points),
            method=method or "",
            order=order,
        )
        for code, parent, name, max_points, min_points, method, order in framework.nodes.values_list(
            "code", "parent__code", "name", "max_points", "min_points", "method", "order"
        )
    ]


def scheme_bands(scheme: ClassScheme | None) -> tuple[engine.ClassBand, ...]:
    if scheme is None:
        return engine.MOHA_CLASSES
    return tuple(engine.ClassBand(str(b["code"]), str(b["name"]), Decimal(str(b["min"]))) for b in scheme.bands)


def scheme_for(*, framework=None, group=None) -> ClassScheme | None:
    """The group's scheme, else the framework's, else None (MOHA's A–D)."""
    if group is not None:
        found = ClassScheme.objects.filter(group=group).first()
        if found:
            return found
    if framework is not None:
        return ClassScheme.objects.filter(framework=framework, group__isnull=True).first()
    return None


def _d(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(engine.CENT)


def _s(value) -> str | None:
    return None if value is None else str(Decimal(value).quantize(engine.CENT))


def cycle_leaf_values(*, cycle, group) -> dict[int, dict[str, engine.LeafValues]]:
    """unit id → leaf code → values, read with one query over the entries (survey points join here later)."""
    from parindex.assessments.models import Entry

    values: dict[int, dict[str, engine.LeafValues]] = {}
    rows = Entry.objects.filter(
        assessment__cycle=cycle,
        assessment__participant__group=group,
        assessment__participant__withdrawn_at__isnull=True,
    ).values_list("assessment__unit_id", "node__code", "self_points", "round1_points", "round2_points", "node__method")
    for unit_id, code, self_points, round1, round2, method in rows:
        appraised = _d(round2 if round2 is not None else round1)
        values.setdefault(unit_id, {})[code] = engine.LeafValues(
            self_points=_d(self_points),
            appraised_points=appraised if method not in ("bonus", "penalty") else None,
            granted_points=appraised if method in ("bonus", "penalty") else None,
        )
    return values


def _inputs_hash(framework_id: int, values: dict[int, dict[str, engine.LeafValues]]) -> str:
    plain = {
        str(unit): {
            code: [
                _s(v.self_points),
                _s(v.appraised_points),
                _s(v.survey_points),
                _s(v.statistics_points),
                _s(v.granted_points),
            ]
            for code, v in sorted(leaves.items())
        }
        for unit, leaves in sorted(values.items())
    }
    return hashlib.sha256(json.dumps([framework_id, plain], sort_keys=True).encode()).hexdigest()


def resultset_compute(*, cycle, group, actor, run_now: bool = False) -> ResultSet:
    """Create a draft result set for ``group`` in ``cycle`` and compute it as a background job (``run_now``: in
    this call, for the command line)."""
    from parindex.cycles.models import CycleFramework

    plan = CycleFramework.objects.filter(cycle=cycle, group=group).select_related("framework").first()
    if plan is None:
        raise ValidationError({"group": f"Nhóm “{group.name}” không tham gia đợt đánh giá “{cycle.name}”."})
    with transaction.atomic():
        result_set = ResultSet.objects.create(
            year=cycle.year,
            cycle=cycle,
            group=group,
            framework=plan.framework,
            scheme=scheme_for(framework=plan.framework, group=group),
            source=ResultSource.COMPUTED,
            title=f"{cycle.name} — {group.name}",
            job_state=JobState.QUEUED,
            computed_by=actor,
        )
        audit_record(actor=actor, action="results.compute_requested", obj=result_set, unit=cycle.assessor)
        if not run_now:
            transaction.on_commit(lambda: resultset_compute_job.enqueue(result_set.pk))
    if run_now:
        try:
            resultset_compute_job.call(result_set.pk)
        except Exception:  # noqa: BLE001 — recorded on the result set (job_state, job_error) for the caller
            log.exception("result set %s failed", result_set.pk)
        result_set.refresh_from_db()
    return result_set


@task()
def resultset_compute_job(result_set_id: int) -> int:
    result_set = ResultSet.objects.select_related("cycle", "group", "framework", "scheme").get(pk=result_set_id)
    try:
        return resultset_fill(result_set)
    except Exception as exc:
        ResultSet.objects.filter(pk=result_set_id).update(
            job_state=JobState.FAILED, job_error=f"Không tính được kết quả: {exc}"[:2000]
        )
        raise


def resultset_fill(result_set: ResultSet) -> int:
    """Compute every participating unit of the set's cycle and group; store the snapshot. Returns the unit count."""
    from parindex.cycles.models import Participant

    cycle, group, framework = result_set.cycle, result_set.group, result_set.framework
    specs = node_specs(framework)
    unit_ids = list(
        Participant.objects.filter(cycle=cycle, group=group, withdrawn_at__isnull=True).values_list(
            "unit_id", flat=True
        )
    )
    ResultSet.objects.filter(pk=result_set.pk).update(job_state=JobState.RUNNING, job_total=len(unit_ids), job_done=0)
    values = cycle_leaf_values(cycle=cycle, group=group)
    total_max = Decimal(framework.declared_total)
    bands = scheme_bands(result_set.scheme)
    top = [s for s in specs if s.parent is None]
    computed: dict[int, engine.UnitResult] = {}
    for i, unit_id in enumerate(unit_ids, start=1):
        computed[unit_id] = engine.compute_unit(specs, values.get(unit_id, {}), total_max=total_max)
        if i % PROGRESS_EVERY == 0:
            ResultSet.objects.filter(pk=result_set.pk).update(job_done=i)
    ranks = engine.rank({uid: r.published_percent for uid, r in computed.items()})
    rows = []
    for unit_id, r in computed.items():
        band = engine.classify(r.published_percent, bands)
        components = {}
        for spec in top:
            node = r.nodes[spec.code]
            component_band = engine.classify(node.published_percent, bands)
            components[spec.code] = {
                "points": _s(node.final_points),
                "max": _s(node.max_points),
                "percent": _s(node.published_percent),
                "class": component_band.code if component_band else "",
                "complete": node.complete,
            }
        rows.append(
            UnitResult(
                result_set=result_set,
                unit_id=unit_id,
                points=r.total_points,
                max_points=r.total_max,
                percent=r.published_percent,
                rank=ranks.get(unit_id),
                class_code=band.code if band else "",
                class_name=band.name if band else "",
                complete=r.complete,
                missing=r.missing,
                components=components,
                nodes={
                    code: {
                        "self": _s(n.self_points),
                        "appraised": _s(n.appraised_points),
                        "final": _s(n.final_points),
                        "max": _s(n.max_points),
                        "reason": n.reason,
                        "source": n.source,
                    }
                    for code, n in r.nodes.items()
                },
            )
        )
    with transaction.atomic():
        UnitResult.objects.filter(result_set=result_set).delete()
        UnitResult.objects.bulk_create(rows, batch_size=500)
        ResultSet.objects.filter(pk=result_set.pk).update(
            job_state=JobState.DONE,
            job_done=len(unit_ids),
            computed_at=timezone.now(),
            inputs_version=_inputs_hash(framework.pk, values),
            components=[{"code": s.code, "name": s.name, "max": _s(s.max_points)} for s in top],
        )
        # Earlier drafts of the same cycle and group are superseded by this one.
        ResultSet.objects.filter(cycle=cycle, group=group, status=ResultStatus.DRAFT).exclude(pk=result_set.pk).update(
            status=ResultStatus.SUPERSEDED
        )
    return len(unit_ids)


def resultset_approve(*, result_set: ResultSet, actor) -> ResultSet:
    with transaction.atomic():
        locked = ResultSet.objects.select_for_update().get(pk=result_set.pk)
        if locked.status != ResultStatus.DRAFT or locked.job_state != JobState.DONE:
            raise ValidationError("Chỉ duyệt được bộ kết quả dự thảo đã tính xong.")
        locked.status, locked.approved_at, locked.approved_by = ResultStatus.APPROVED, timezone.now(), actor
        locked.save(update_fields=["status", "approved_at", "approved_by", "updated_at"])
        audit_record(actor=actor, action="results.approved", obj=locked, changes={"status": ["draft", "approved"]})
    return locked


def resultset_publish(*, result_set: ResultSet, actor, decision: str = "") -> ResultSet:
    with transaction.atomic():
        locked = ResultSet.objects.select_for_update().get(pk=result_set.pk)
        if locked.status != ResultStatus.APPROVED:
            raise ValidationError("Chỉ công bố được bộ kết quả đã được Chủ tịch Hội đồng duyệt.")
        ResultSet.objects.filter(cycle=locked.cycle, group=locked.group, status=ResultStatus.PUBLISHED).update(
            status=ResultStatus.SUPERSEDED
        )
        locked.status, locked.published_at, locked.published_by = ResultStatus.PUBLISHED, timezone.now(), actor
        locked.decision = decision or locked.decision
        locked.save(update_fields=["status", "published_at", "published_by", "decision", "updated_at"])
        audit_record(actor=actor, action="results.published", obj=locked, changes={"status": ["approved", "published"]})
    return locked
