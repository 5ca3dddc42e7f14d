"""Survey points: for each rated unit and each survey-method leaf criterion of the survey's framework,

    points = criterion's max points × weighted mean of the valid answers to the questions mapped to it.

Rules (shown to users on the points page, ``RULES``):

* **Valid answers**: of responses that are submitted (not in progress, not voided), whose option is not excluded
  ("không biết / không trả lời"). An answer's value is its option's weight, an integer percent (A=100, B=60 …).
* **Within one respondent group**, the mean is weighted by the question's mapping weight
  (``Question.criteria = [{"node": "3.1", "weight": 2}]``): Σ wᵠ·(sum of answer values to q) / Σ wᵠ·(answers to q).
* **Groups** that count (``RespondentGroup.counts``) are combined by their ``weight``. A group with fewer than
  ``survey.min_answers`` valid answers for the unit and criterion has "no answers": with ``no_answer_policy = skip``
  the other groups' weights are rescaled; with ``zero`` it counts as 0. A criterion none of whose counting groups
  has a mapped question is not fed by this survey.
* A unit whose survey result was **cancelled** (``Cancellation`` not revoked) gets 0 with the reason.
* Points are rounded half-up to two decimals. No answers at all under "skip": not scored (``points`` empty).

The counting is one SQL aggregate over integers (SUM of answer weights and COUNT per rated unit, group and question)
so SQLite and PostgreSQL agree exactly; the composition is Python ``Decimal``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Sum
from django.utils import timezone
from django_tasks import task

from parindex.core.services import audit_record

from .models import Answer, Cancellation, Question, ResponseStatus, Survey, SurveyScore

log = logging.getLogger(__name__)

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)

RULES = [
    "Chỉ tính câu trả lời của phiếu đã nộp, không bị hủy; phương án “không biết / không trả lời” không được tính.",
    "Điểm tiêu chí = điểm tối đa × bình quân có trọng số các câu trả lời hợp lệ của những câu hỏi gắn với tiêu chí.",
    "Các nhóm đối tượng được tính điểm được kết hợp theo trọng số nhóm.",
    "Nhóm có ít câu trả lời hợp lệ hơn mức tối thiểu được coi là không có câu trả lời: bỏ qua nhóm (trọng số các "
    "nhóm còn lại được chia lại) hoặc tính 0 điểm, theo thiết lập của cuộc điều tra.",
    "Đơn vị bị hủy kết quả khảo sát được 0 điểm ở mọi tiêu chí điều tra XHH.",
    "Điểm được làm tròn nửa lên đến hai chữ số thập phân.",
]


def _decimal(value) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() and number >= 0 else None


def survey_leaves(survey: Survey) -> dict[str, tuple[int, Decimal]]:
    """code → (node id, max points) of the survey-method leaf criteria of the survey's framework."""
    from parindex.frameworks.models import Node

    has_children = Node.objects.filter(parent=OuterRef("pk"))
    return {
        code: (pk, Decimal(max_points))
        for pk, code, max_points in Node.objects.filter(framework_id=survey.framework_id, method="survey")
        .annotate(inner=Exists(has_children))
        .filter(inner=False)
        .values_list("pk", "code", "max_points")
    }


def question_map(survey: Survey, leaves) -> tuple[dict[int, list[tuple[str, Decimal]]], dict[int, dict]]:
    """question id → [(criterion code, weight)] for the questionnaires of counting groups; and those groups
    (id → {"weight", "name", "nodes": codes their questionnaire feeds})."""
    groups = {
        g.pk: {"weight": Decimal(g.weight), "name": g.name, "questionnaire": g.questionnaire_id, "nodes": set()}
        for g in survey.groups.filter(counts=True)
    }
    by_questionnaire: dict[int, set[str]] = defaultdict(set)
    mapping: dict[int, list[tuple[str, Decimal]]] = {}
    questionnaires = {g["questionnaire"] for g in groups.values()}
    for qid, questionnaire_id, criteria in Question.objects.filter(questionnaire_id__in=questionnaires).values_list(
        "pk", "questionnaire_id", "criteria"
    ):
        targets = []
        for item in criteria if isinstance(criteria, list) else []:
            if not isinstance(item, dict):
                continue
            code, weight = str(item.get("node", "")), _decimal(item.get("weight", 1))
            if code in leaves and weight:
                # Whole weights stay Python ints (exact and faster over many rows); others Decimal.
                targets.append((code, int(weight) if weight == weight.to_integral_value() else weight))
                by_questionnaire[questionnaire_id].add(code)
        if targets:
            mapping[qid] = targets
    for g in groups.values():
        g["nodes"] = by_questionnaire.get(g["questionnaire"], set())
    return mapping, groups


def answer_sums(survey: Survey) -> list[tuple[int, int, int, int, int]]:
    """(rated unit, group, question, SUM of answer weights, COUNT of answers) of the valid answers: one aggregate."""
    return list(
        Answer.objects.filter(response__survey=survey, response__status=ResponseStatus.SUBMITTED, excluded=False)
        .values_list("response__rated_unit_id", "response__group_id", "question_id")
        .annotate(total=Sum("weight"), n=Count("id"))
        .order_by()
    )


@dataclass(slots=True)
class _Acc:
    numerator: int | Decimal = 0  # Σ w·(sum of answer values)
    denominator: int | Decimal = 0  # Σ w·(answers)
    answers: int = 0


@dataclass
class UnitPoints:
    unit_id: int
    code: str
    node_id: int
    points: Decimal | None
    answers: int
    note: str
    groups: list[dict] = field(default_factory=list)


def _group_label(count: int) -> str:
    return f"{count} nhóm"


def compose(
    *,
    survey: Survey,
    leaves: dict[str, tuple[int, Decimal]],
    groups: dict[int, dict],
    sums: dict[tuple[int, str], dict[int, _Acc]],
    unit_ids,
    cancelled: dict[int, str],
) -> list[UnitPoints]:
    """The points of every unit and criterion from the per-(unit, criterion, group) sums."""
    minimum = max(int(survey.min_answers or 0), 1)
    zero_policy = survey.no_answer_policy == "zero"
    out: list[UnitPoints] = []
    relevant_by_code = {
        code: sorted((gid for gid, g in groups.items() if code in g["nodes"]), key=lambda gid: groups[gid]["name"])
        for code in leaves
    }
    for unit_id in sorted(unit_ids):
        for code, (node_id, max_points) in sorted(leaves.items()):
            relevant = relevant_by_code[code]
            if not relevant:
                continue
            by_group = sums.get((unit_id, code), {})
            valid = sum(acc.answers for acc in by_group.values())
            if unit_id in cancelled:
                out.append(
                    UnitPoints(
                        unit_id,
                        code,
                        node_id,
                        ZERO.quantize(CENT),
                        valid,
                        f"Kết quả khảo sát của đơn vị đã bị hủy: {cancelled[unit_id]}"[:500],
                    )
                )
                continue
            weighted, weights, used, notes, details = ZERO, ZERO, 0, [], []
            for gid in relevant:
                group = groups[gid]
                acc = by_group.get(gid)
                count = acc.answers if acc else 0
                if count < minimum or not acc or not acc.denominator:
                    details.append({"group": group["name"], "answers": count, "mean": None})
                    if zero_policy:
                        weights += group["weight"]
                        notes.append(f"nhóm “{group['name']}” có {count} câu trả lời hợp lệ (cần {minimum}): tính 0")
                    else:
                        notes.append(f"nhóm “{group['name']}” có {count} câu trả lời hợp lệ (cần {minimum}): bỏ qua")
                    continue
                mean = Decimal(acc.numerator) / Decimal(acc.denominator)
                details.append({"group": group["name"], "answers": count, "mean": str(mean.quantize(CENT))})
                weighted += group["weight"] * mean
                weights += group["weight"]
                used += 1
            counted = sum(d["answers"] for d in details if d["mean"] is not None)
            if not weights:
                points = None
                head = "Chưa đủ câu trả lời hợp lệ để tính điểm"
            else:
                points = (max_points * weighted / weights / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)
                head = f"{counted} câu trả lời hợp lệ của {_group_label(used)}"
            note = "; ".join([head, *notes])
            out.append(UnitPoints(unit_id, code, node_id, points, valid, note[:500], details))
    return out


def survey_points_preview(*, survey: Survey) -> list[UnitPoints]:
    """Every unit's survey points, computed but not stored."""
    from parindex.cycles.models import Participant

    leaves = survey_leaves(survey)
    if not leaves:
        return []
    mapping, groups = question_map(survey, leaves)
    sums: dict[tuple[int, str], dict[int, _Acc]] = defaultdict(dict)
    unit_ids: set[int] = set(
        Participant.objects.filter(
            cycle_id=survey.cycle_id, framework_id=survey.framework_id, withdrawn_at__isnull=True
        ).values_list("unit_id", flat=True)
    )
    for unit_id, group_id, question_id, total, count in answer_sums(survey):
        unit_ids.add(unit_id)
        if group_id not in groups:
            continue
        total, count = int(total or 0), int(count)
        for code, weight in mapping.get(question_id, ()):
            by_group = sums[(unit_id, code)]
            acc = by_group.get(group_id)
            if acc is None:
                acc = by_group[group_id] = _Acc()
            acc.numerator += weight * total
            acc.denominator += weight * count
            acc.answers += count
    cancelled = dict(
        Cancellation.objects.filter(survey=survey, revoked_at__isnull=True)
        .order_by("cancelled_at")
        .values_list("unit_id", "reason")
    )
    unit_ids |= set(cancelled)
    return compose(survey=survey, leaves=leaves, groups=groups, sums=sums, unit_ids=unit_ids, cancelled=cancelled)


INSERT_SQL = "INSERT INTO surveys_surveyscore (survey_id, unit_id, node_id, points, answers, note, computed_at) VALUES "
INSERT_ROW = "(%s, %s, %s, %s, %s, %s, %s)"
INSERT_BATCH = 1000  # rows per statement (7 parameters each: far below SQLite's 32,766)


def _insert_rows(cursor, rows) -> None:
    for start in range(0, len(rows), INSERT_BATCH):
        batch = rows[start : start + INSERT_BATCH]
        cursor.execute(INSERT_SQL + ", ".join([INSERT_ROW] * len(batch)), [v for row in batch for v in row])


def _copy_rows(cursor, rows) -> None:
    """PostgreSQL: COPY the rows in (psycopg 3), much faster than INSERT statements built on the client."""
    columns = "survey_id, unit_id, node_id, points, answers, note, computed_at"
    with cursor.cursor.copy(f"COPY surveys_surveyscore ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def survey_points_compute(*, survey: Survey, actor=None) -> int:
    """Compute and store the survey's points (``SurveyScore``), replacing its previous ones in one transaction.
    Returns the number of rows stored."""
    with transaction.atomic():
        list(Survey.objects.select_for_update().filter(pk=survey.pk))  # one computation at a time
        results = survey_points_preview(survey=survey)
        ops = connection.ops
        now = ops.adapt_datetimefield_value(timezone.now())
        rows = [
            (
                survey.pk,
                r.unit_id,
                r.node_id,
                ops.adapt_decimalfield_value(r.points, 7, 2),
                r.answers,
                r.note,
                now,
            )
            for r in results
        ]
        SurveyScore.objects.filter(survey=survey).delete()
        # Plain values, in bulk: the 16,605 rows of a national survey go in a fraction of what bulk_create (field
        # preparation per value) or executemany (a round trip per row) take.
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                _copy_rows(cursor, rows)
            else:
                _insert_rows(cursor, rows)
        audit_record(
            actor=actor,
            action="survey.points_computed",
            obj=survey,
            unit=survey.cycle.assessor,
            changes={"rows": [None, len(rows)]},
        )
    return len(rows)


@task()
def survey_points_job(survey_id: int) -> int:
    survey = Survey.objects.select_related("cycle", "cycle__assessor").get(pk=survey_id)
    return survey_points_compute(survey=survey)


def survey_points_refresh(survey: Survey) -> None:
    """After a response is voided or restored, or a unit's result cancelled: recompute the points (as a job, after
    commit) when they have been computed before."""
    if SurveyScore.objects.filter(survey=survey).exists():
        transaction.on_commit(lambda: survey_points_job.enqueue(survey.pk))
