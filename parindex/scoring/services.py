"""Computing, approving and publishing result sets.

A computation reads the cycle's points with a few aggregate queries (no per-unit query), runs the pure engine for
each unit, ranks and classifies, and stores the snapshot with the hash of its inputs. It runs as a background job
that reports its progress on the result set.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django_tasks import task

from parindex.core.services import audit_record

from . import engine
from .models import ClassScheme, JobState, LeafScore, ResultSet, ResultSource, ResultStatus, UnitResult

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


def scheme_bands(scheme: ClassScheme | list | None) -> tuple[engine.ClassBand, ...]:
    """The engine's bands of a scheme, or of a stored list of bands (``ResultSet.bands``); MOHA's A–D for None."""
    bands = scheme.bands if isinstance(scheme, ClassScheme) else scheme
    if not bands:
        return engine.MOHA_CLASSES
    return tuple(engine.ClassBand(str(b["code"]), str(b["name"]), Decimal(str(b["min"]))) for b in bands)


def stored_bands(bands: tuple[engine.ClassBand, ...]) -> list[dict]:
    """The bands as a result set keeps them (highest first, two-decimal bounds)."""
    ordered = sorted(bands, key=lambda b: b.min_percent, reverse=True)
    return [{"code": b.code, "name": b.name, "min": str(Decimal(b.min_percent).quantize(engine.CENT))} for b in ordered]


def scheme_for(*, framework=None, group=None) -> ClassScheme | None:
    """The group's scheme in use, else the framework's, else None (MOHA's A–D). Retired schemes are not used."""
    active = ClassScheme.objects.filter(retired_at__isnull=True)
    if group is not None:
        found = active.filter(group=group).order_by("-updated_at").first()
        if found:
            return found
    if framework is not None:
        return active.filter(framework=framework, group__isnull=True).order_by("-updated_at").first()
    return None


def _s(value) -> str | None:
    return None if value is None else str(Decimal(value).quantize(engine.CENT))


# Points are summed as integer cents so that SQLite (which keeps decimals as floating point) and PostgreSQL give
# exactly the same totals. A leaf's value is held within its range, as the engine does.
_FINAL = "COALESCE(e.round2_points, e.round1_points)"
_HELD = (
    f"CASE WHEN {_FINAL} > n.max_points THEN n.max_points WHEN {_FINAL} < n.min_points THEN n.min_points "
    f"ELSE {_FINAL} END"
)
_CENTS = "CAST(ROUND(({v}) * 100) AS INTEGER)"
_JOINS = """
FROM assessments_entry e
JOIN assessments_assessment a ON a.id = e.assessment_id
JOIN cycles_participant p ON p.id = a.participant_id
JOIN frameworks_node n ON n.id = e.node_id
"""
_FILTER = """
WHERE a.cycle_id = %s AND p.group_id = %s AND p.withdrawn_at IS NULL
"""
_SCOPE = _JOINS + _FILTER
# The queries are built from the constants above only; values go through parameters.
LEAF_SUMS_SQL = f"""
SELECT a.unit_id,
       COALESCE(n.parent_id, -n.id) AS grp,
       SUM(CASE WHEN n.method NOT IN ('bonus', 'penalty') AND {_FINAL} IS NOT NULL
                THEN {_CENTS.format(v=_HELD)} ELSE 0 END),
       SUM(CASE WHEN n.method IN ('bonus', 'penalty') AND {_FINAL} IS NOT NULL
                THEN {_CENTS.format(v=_HELD)} ELSE 0 END),
       SUM({_CENTS.format(v="e.self_points")}),
       SUM({_CENTS.format(v=_FINAL)}),
       SUM(CASE WHEN n.method NOT IN ('bonus', 'penalty') AND {_FINAL} IS NOT NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN n.method NOT IN ('bonus', 'penalty') AND {_FINAL} IS NULL THEN 1 ELSE 0 END),
       COUNT(*), SUM(e.version), MAX(e.id)
{_SCOPE}
GROUP BY a.unit_id, COALESCE(n.parent_id, -n.id)
"""  # noqa: S608
MISSING_SQL = f"""
SELECT a.unit_id, n.code {_SCOPE}
  AND n.method NOT IN ('bonus', 'penalty') AND {_FINAL} IS NULL
ORDER BY a.unit_id, n."order", n.id
"""  # noqa: S608
# The frozen copy of every leaf value, survey points included, by one INSERT … SELECT (no row travels through Python).
# A survey leaf takes the row of the most recently computed survey of the cycle with the set's framework (several
# surveys may feed one framework, e.g. officials and citizens apart; newest ``computed_at``, then highest id). SQLite
# looks each survey leaf up through the unique index (survey, unit, node); PostgreSQL numbers the survey rows once and
# hash-joins them (a lookup per leaf would depend on fresh statistics of a table just rewritten by the survey).
_SNAPSHOT_INTO = """
INSERT INTO scoring_leafscore (result_set_id, unit_id, node_id, self_points, appraised_points, survey_points)
"""
SNAPSHOT_SQL = f"""{_SNAPSHOT_INTO}
SELECT %s, a.unit_id, e.node_id, e.self_points, {_FINAL},
       CASE WHEN n.method = 'survey' THEN (
           SELECT s.points FROM surveys_survey v
           JOIN surveys_surveyscore s ON s.survey_id = v.id AND s.unit_id = a.unit_id AND s.node_id = e.node_id
           WHERE v.cycle_id = %s AND v.framework_id = %s
           ORDER BY s.computed_at DESC, s.id DESC LIMIT 1
       ) END
{_SCOPE}"""  # noqa: S608
SNAPSHOT_SQL_POSTGRESQL = f"""{_SNAPSHOT_INTO}
SELECT %s, a.unit_id, e.node_id, e.self_points, {_FINAL}, sv.points
{_JOINS}LEFT JOIN (
    SELECT r.unit_id, r.node_id, r.points FROM (
        SELECT s.unit_id, s.node_id, s.points,
               ROW_NUMBER() OVER (PARTITION BY s.unit_id, s.node_id ORDER BY s.computed_at DESC, s.id DESC) AS pick
        FROM surveys_survey v JOIN surveys_surveyscore s ON s.survey_id = v.id
        WHERE v.cycle_id = %s AND v.framework_id = %s
    ) r WHERE r.pick = 1
) sv ON n.method = 'survey' AND sv.unit_id = a.unit_id AND sv.node_id = e.node_id
{_FILTER}"""  # noqa: S608


def _cents(value) -> Decimal | None:
    return None if value is None else Decimal(int(value)) / 100


def cycle_leaf_sums(*, cycle, group, codes: dict[int, str]) -> tuple[dict[int, dict[str, engine.LeafSums]], dict, str]:
    """unit id → node code → sums of that node's leaf children, by one aggregate query; the missing leaves; and a
    fingerprint of the inputs (entries are versioned: any write changes the sum of versions).

    Entries exist for leaves only (``assessment_ensure``). ``codes`` maps node ids to codes (a top-level leaf is
    keyed by its own code)."""
    by_unit: dict[int, dict[str, engine.LeafSums]] = {}
    count = versions = top = 0
    with connection.cursor() as cursor:
        cursor.execute(LEAF_SUMS_SQL, [cycle.pk, group.pk])
        for unit_id, grp, final, extra, self_c, appraised_c, known, missing, n, v, m in cursor.fetchall():
            count, versions, top = count + n, versions + int(v or 0), max(top, int(m or 0))
            code = codes[abs(int(grp))]
            by_unit.setdefault(unit_id, {})[code] = engine.LeafSums(
                final=_cents(final) or engine.ZERO,
                extra=_cents(extra) or engine.ZERO,
                self_points=_cents(self_c),
                appraised_points=_cents(appraised_c),
                known=int(known),
                missing=int(missing),
            )
        cursor.execute(MISSING_SQL, [cycle.pk, group.pk])
        missing_by_unit: dict[int, list[str]] = {}
        for unit_id, code in cursor.fetchall():
            missing_by_unit.setdefault(unit_id, []).append(code)
    fingerprint = hashlib.sha256(f"{cycle.pk}:{group.pk}:{count}:{versions}:{top}".encode()).hexdigest()
    return by_unit, missing_by_unit, fingerprint


def cycle_survey_points(*, cycle, framework) -> tuple[dict[int, dict[str, Decimal]], list[int], str]:
    """unit id → leaf code → survey points (rows without points are left out), the surveys read, and a fingerprint
    of the rows. Several surveys of the cycle may feed the framework (e.g. officials and citizens apart): for each
    unit and leaf the most recently computed row wins."""
    from parindex.surveys.models import SurveyScore

    survey_ids = list(cycle.surveys.filter(framework=framework).values_list("pk", flat=True))
    points: dict[int, dict[str, Decimal]] = {}
    seen: set[tuple[int, str]] = set()
    scores = SurveyScore.objects.filter(survey_id__in=survey_ids, node__framework=framework, node__method="survey")
    for unit_id, code, value in scores.order_by("-computed_at", "-pk").values_list("unit_id", "node__code", "points"):
        if (unit_id, code) in seen:
            continue
        seen.add((unit_id, code))
        if value is not None:
            points.setdefault(unit_id, {})[code] = Decimal(value).quantize(engine.CENT)
    summary = scores.aggregate(count=Count("pk"), latest=Max("computed_at"))
    latest = summary["latest"].isoformat() if summary["latest"] else ""
    return points, survey_ids, f"{summary['count']}:{latest}"


def add_survey_points(
    sums: dict[int, dict[str, engine.LeafSums]],
    missing: dict[int, list[str]],
    survey_points: dict[int, dict[str, Decimal]],
    parents: dict[str, str | None],
) -> None:
    """Move the survey leaves that have points from missing to known in the per-node sums (in place). A survey leaf
    has no appraised value, so ``cycle_leaf_sums`` counted it as missing."""
    for unit_id, by_code in survey_points.items():
        unit_missing = missing.get(unit_id)
        for code, value in by_code.items():
            if not unit_missing or code not in unit_missing:
                continue
            unit_missing.remove(code)
            key = parents.get(code) or code
            current = sums.setdefault(unit_id, {}).get(key, engine.LeafSums())
            sums[unit_id][key] = dataclasses.replace(
                current, final=current.final + value, known=current.known + 1, missing=max(0, current.missing - 1)
            )


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
    """Compute every participating unit of the set's cycle and group and store the snapshot. Returns the unit
    count. Points are summed by the database per node (one aggregate query), composed by the engine, ranked and
    classified in Python; the leaf values are frozen by one INSERT … SELECT."""
    from parindex.cycles.models import Participant

    cycle, group, framework = result_set.cycle, result_set.group, result_set.framework
    specs = node_specs(framework)
    tree = engine.Tree(specs)
    codes = dict(framework.nodes.values_list("pk", "code"))
    unit_ids = list(
        Participant.objects.filter(cycle=cycle, group=group, withdrawn_at__isnull=True).values_list(
            "unit_id", flat=True
        )
    )
    ResultSet.objects.filter(pk=result_set.pk).update(job_state=JobState.RUNNING, job_total=len(unit_ids), job_done=0)
    sums, missing, version = cycle_leaf_sums(cycle=cycle, group=group, codes=codes)
    survey_points, _surveys, survey_version = cycle_survey_points(cycle=cycle, framework=framework)
    add_survey_points(sums, missing, survey_points, {s.code: s.parent for s in specs})
    version = f"{version}:{survey_version}"
    total_max = Decimal(framework.declared_total)
    bands = scheme_bands(result_set.scheme)
    top = [s for s in specs if s.parent is None]
    computed: dict[int, engine.UnitResult] = {}
    for i, unit_id in enumerate(unit_ids, start=1):
        computed[unit_id] = engine.compute_unit_sums(
            tree, sums.get(unit_id, {}), missing_codes=missing.get(unit_id, ()), total_max=total_max
        )
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
            {
                "result_set_id": result_set.pk,
                "unit_id": unit_id,
                "points": r.total_points,
                "max_points": r.total_max,
                "percent": r.published_percent,
                "rank": ranks.get(unit_id),
                "class_code": band.code if band else "",
                "class_name": band.name if band else "",
                "complete": r.complete,
                "missing": r.missing,
                "components": components,
            }
        )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The snapshot need not wait for its WAL to reach the disk at commit: a server crash in the instant after
            # the commit loses the whole transaction (rows and the "done" mark together, never half of it) and the
            # set shows as unfinished, to be computed again. JIT compilation (over a second for the snapshot's plan
            # on a loaded server) gives nothing to a one-pass copy.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
                cursor.execute("SET LOCAL jit = off")
        UnitResult.objects.filter(result_set=result_set).delete()
        LeafScore.objects.filter(result_set=result_set).delete()
        unit_results_store(rows)
        with connection.cursor() as cursor:
            snapshot = SNAPSHOT_SQL_POSTGRESQL if connection.vendor == "postgresql" else SNAPSHOT_SQL
            cursor.execute(snapshot, [result_set.pk, cycle.pk, framework.pk, cycle.pk, group.pk])
        ResultSet.objects.filter(pk=result_set.pk).update(
            job_state=JobState.DONE,
            job_done=len(unit_ids),
            computed_at=timezone.now(),
            inputs_version=hashlib.sha256(f"{framework.pk}:{framework.updated_at}:{version}".encode()).hexdigest(),
            components=[{"code": s.code, "name": s.name, "max": _s(s.max_points)} for s in top],
            bands=stored_bands(bands),
        )
        # Earlier drafts of the same cycle and group are superseded by this one.
        ResultSet.objects.filter(cycle=cycle, group=group, status=ResultStatus.DRAFT).exclude(pk=result_set.pk).update(
            status=ResultStatus.SUPERSEDED
        )
    return len(unit_ids)


UNIT_RESULT_COLUMNS = (
    "result_set_id",
    "unit_id",
    "points",
    "max_points",
    "percent",
    "rank",
    "class_code",
    "class_name",
    "complete",
    "missing",
    "components",
)


def unit_results_store(rows: list[dict]) -> None:
    """Insert the unit rows (dicts keyed by ``UNIT_RESULT_COLUMNS``): by COPY on PostgreSQL (``bulk_create`` would
    quote every JSON value into the statement on the client), by ``bulk_create`` elsewhere. JSON columns are encoded
    as Django's JSONField encodes them."""
    if connection.vendor != "postgresql" or not rows:
        UnitResult.objects.bulk_create([UnitResult(**row) for row in rows], batch_size=1000)
        return
    columns = ", ".join(UNIT_RESULT_COLUMNS)
    json_columns = {"missing", "components"}
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY scoring_unitresult ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(row[c]) if c in json_columns else row[c] for c in UNIT_RESULT_COLUMNS])


def snapshot_values(method: str, self_points, appraised, survey, statistics) -> engine.LeafValues:
    """A leaf's frozen values (LeafScore columns) as the engine reads them. Statistics criteria are entered by the
    appraisers (their value is in the appraised column); a bonus or penalty is what the appraisers granted."""
    extra = method in ("bonus", "penalty")
    return engine.LeafValues(
        self_points=self_points,
        appraised_points=None if extra or method == "statistics" else appraised,
        survey_points=survey,
        statistics_points=appraised if method == "statistics" and statistics is None else statistics,
        granted_points=appraised if extra else None,
    )


def unit_scorecard(result_set: ResultSet, unit_id: int) -> engine.UnitResult | None:
    """The unit's whole tree recomposed by the engine from the frozen leaf values (None when not computed here)."""
    leaves = LeafScore.objects.filter(result_set=result_set, unit_id=unit_id).values_list(
        "node__code", "self_points", "appraised_points", "survey_points", "statistics_points", "node__method"
    )
    values = {code: snapshot_values(method, *points) for code, *points, method in leaves}
    if not values:
        return None
    return engine.compute_unit(node_specs(result_set.framework), values, total_max=result_set.framework.declared_total)


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
        if locked.cycle_id:  # the draft decision with its annex (ranking table), built as a report job
            from parindex.reports.services import report_request

            report_request(kind="decision", fmt="docx", cycle=locked.cycle, group=locked.group, actor=actor)
    return locked
