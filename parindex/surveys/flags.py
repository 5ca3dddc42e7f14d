"""Tamper detection (seed 003: "phần mềm phát hiện có vi phạm"), and the decisions that follow it.

:func:`detect_flags` looks at the survey's submitted responses and records a :class:`~.models.Flag` for each signal,
with its evidence (``Flag.evidence``: a Vietnamese ``summary`` plus the figures). It is idempotent: a flag is keyed by
what makes it unique (``Flag.key``, unique per survey and kind), so running it again adds only what is new; the
evidence of a flag still open is refreshed, a reviewed flag is left as reviewed.

Signals and thresholds (module constants; the straight-lining size is also a parameter):

* ``too_fast`` — submitted less than ``survey.min_seconds`` after the response was started; one flag per response.
* ``identical`` — the same answers (the same option to every question) in at least ``IDENTICAL_MIN_RESPONSES``
  responses of one group rating one unit. Short questionnaires give honest coincidences more often: the coordinator
  judges. Found by one SQL pass computing a signature of each response's options (count, sum and sum of squares of
  the option ids), then checked exactly on the candidates.
* ``burst`` — at least ``BURST_MIN_RESPONSES`` submissions from one network address, or one device, within
  ``BURST_WINDOW``; one flag per episode. A one-stop shop surveying citizens on its own tablet looks the same: the
  evidence says which address or device, the coordinator decides.
* ``straight_lining`` — every answer the same option, on at least ``min_questions`` answered questions
  (``STRAIGHT_LINING_MIN_QUESTIONS`` = 5 by default).
* ``late`` — submitted after the close of the cycle's survey window.
* ``one_person_many`` — the same device, or the same respondent e-mail or phone, behind at least
  ``ONE_PERSON_MIN_RESPONSES`` submitted responses (e-mails and phones appear masked in the evidence).

Decisions: coordinators dismiss or confirm a flag with a note (:func:`flag_review`); index managers void a response
(:func:`response_void`, reversible by :func:`response_restore`) or cancel a unit's whole survey result
(:func:`survey_cancel_unit`, reversible by :func:`cancellation_revoke`). All with a reason, audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, DurationField, ExpressionWrapper, F
from django.db.models.functions import Lower
from django.utils import timezone
from django_tasks import task

from parindex.core.exceptions import ConflictError
from parindex.core.services import audit_record

from .models import (
    Answer,
    Cancellation,
    Flag,
    FlagKind,
    FlagStatus,
    Response,
    ResponseStatus,
    Survey,
    SurveyScore,
)

IDENTICAL_MIN_RESPONSES = 5
BURST_MIN_RESPONSES = 10
BURST_WINDOW = dt.timedelta(minutes=10)
STRAIGHT_LINING_MIN_QUESTIONS = 5
ONE_PERSON_MIN_RESPONSES = 3
EVIDENCE_LIST_LIMIT = 50  # responses listed in a flag's evidence (all are linked through Flag.responses)


@dataclass
class Finding:
    kind: str
    key: str
    unit_id: int | None
    evidence: dict
    response_ids: list[int] = field(default_factory=list)


def _moment(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{local:%H:%M:%S} ngày {local:%d/%m/%Y}"


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _single_unit(unit_ids: Iterable[int]) -> int | None:
    units = set(unit_ids)
    return units.pop() if len(units) == 1 else None


def _mask_email(email: str) -> str:
    name, _, domain = email.partition("@")
    return f"{name[:2]}***@{domain}" if domain else "***"


def _mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-3:]}" if len(phone) > 6 else "***"


def _submitted(survey: Survey):
    return Response.objects.filter(survey=survey, status=ResponseStatus.SUBMITTED, submitted_at__isnull=False)


# --- the signals --------------------------------------------------------------------------------------------------


def find_too_fast(survey: Survey) -> list[Finding]:
    limit = dt.timedelta(seconds=int(survey.min_seconds or 0))
    if not limit:
        return []
    rows = (
        _submitted(survey)
        .annotate(took=ExpressionWrapper(F("submitted_at") - F("started_at"), output_field=DurationField()))
        .filter(took__lt=limit)
        .values_list("pk", "rated_unit_id", "started_at", "submitted_at")
    )
    out = []
    for pk, unit_id, started, submitted in rows:
        seconds = max(0, int((submitted - started).total_seconds()))
        out.append(
            Finding(
                FlagKind.TOO_FAST,
                f"response:{pk}",
                unit_id,
                {
                    "summary": f"Phiếu #{pk} được hoàn thành trong {seconds} giây "
                    f"(thời gian tối thiểu hợp lý: {survey.min_seconds} giây).",
                    "seconds": seconds,
                    "min_seconds": survey.min_seconds,
                    "started_at": _iso(started),
                    "submitted_at": _iso(submitted),
                },
                [pk],
            )
        )
    return out


def find_late(survey: Survey) -> list[Finding]:
    from parindex.cycles.models import Window

    window = Window.objects.filter(cycle_id=survey.cycle_id, kind="survey").first()
    if window is None:
        return []
    rows = (
        _submitted(survey).filter(submitted_at__gt=window.closes_at).values_list("pk", "rated_unit_id", "submitted_at")
    )
    return [
        Finding(
            FlagKind.LATE,
            f"response:{pk}",
            unit_id,
            {
                "summary": f"Phiếu #{pk} được nộp lúc {_moment(submitted)}, sau thời hạn khảo sát "
                f"({_moment(window.closes_at)}).",
                "submitted_at": _iso(submitted),
                "deadline": _iso(window.closes_at),
            },
            [pk],
        )
        for pk, unit_id, submitted in rows
    ]


def find_straight_lining(survey: Survey, *, min_questions: int = STRAIGHT_LINING_MIN_QUESTIONS) -> list[Finding]:
    rows = (
        Answer.objects.filter(
            response__survey=survey,
            response__status=ResponseStatus.SUBMITTED,
            response__submitted_at__isnull=False,
        )
        .values("response_id", "response__rated_unit_id")
        .annotate(n=Count("id"), codes=Count("option__code", distinct=True))
        .filter(n__gte=max(int(min_questions), 2), codes=1)
        .order_by("response_id")
    )
    found = list(rows)
    if not found:
        return []
    code_of = dict(
        Answer.objects.filter(response_id__in=[r["response_id"] for r in found])
        .order_by("response_id", "question__order")
        .values_list("response_id", "option__code")
    )
    return [
        Finding(
            FlagKind.STRAIGHT_LINING,
            f"response:{r['response_id']}",
            r["response__rated_unit_id"],
            {
                "summary": f"Phiếu #{r['response_id']} chọn cùng phương án {code_of.get(r['response_id'], '?')} "
                f"cho cả {r['n']} câu hỏi.",
                "option": code_of.get(r["response_id"], ""),
                "questions": r["n"],
                "min_questions": int(min_questions),
            },
            [r["response_id"]],
        )
        for r in found
    ]


SIGNATURE_SQL = """
SELECT r.id, r.rated_unit_id, r.group_id, COUNT(*), SUM(a.option_id), SUM(a.option_id * a.option_id)
FROM surveys_answer a JOIN surveys_response r ON r.id = a.response_id
WHERE r.survey_id = %s AND r.status = %s AND r.submitted_at IS NOT NULL
GROUP BY r.id, r.rated_unit_id, r.group_id
"""


def find_identical(survey: Survey) -> list[Finding]:
    """Responses of one group for one unit with the very same options. The signature (count, Σ id, Σ id²) groups the
    candidates in SQL; their options are then compared exactly (signatures can collide)."""
    buckets: dict[tuple, list[int]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(SIGNATURE_SQL, [survey.pk, ResponseStatus.SUBMITTED])
        for rid, unit_id, group_id, n, s1, s2 in cursor.fetchall():
            if n >= 2:
                buckets[(unit_id, group_id, n, int(s1), int(s2))].append(rid)
    candidates = {key: ids for key, ids in buckets.items() if len(ids) >= IDENTICAL_MIN_RESPONSES}
    if not candidates:
        return []
    ids = [rid for group in candidates.values() for rid in group]
    options: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    for rid, option_id, code, order in Answer.objects.filter(response_id__in=ids).values_list(
        "response_id", "option_id", "option__code", "question__order"
    ):
        options[rid].append((order, code, option_id))
    times = dict(Response.objects.filter(pk__in=ids).values_list("pk", "submitted_at"))
    out = []
    for (unit_id, group_id, _n, _s1, _s2), rids in candidates.items():
        exact: dict[tuple[int, ...], list[int]] = defaultdict(list)
        for rid in rids:
            exact[tuple(sorted(o[2] for o in options[rid]))].append(rid)
        for option_ids, same in exact.items():
            if len(same) < IDENTICAL_MIN_RESPONSES:
                continue
            same.sort()
            pattern = "-".join(code for _order, code, _id in sorted(options[same[0]]))
            digest = hashlib.sha256(",".join(map(str, option_ids)).encode()).hexdigest()[:20]
            moments = sorted(times[r] for r in same)
            out.append(
                Finding(
                    FlagKind.IDENTICAL,
                    f"{unit_id}:{group_id}:{digest}",
                    unit_id,
                    {
                        "summary": f"{len(same)} phiếu của cùng một nhóm đánh giá cùng đơn vị có câu trả lời giống "
                        f"hệt nhau ({pattern}), nộp từ {_moment(moments[0])} đến {_moment(moments[-1])}.",
                        "pattern": pattern,
                        "count": len(same),
                        "threshold": IDENTICAL_MIN_RESPONSES,
                        "group_id": group_id,
                        "responses": same[:EVIDENCE_LIST_LIMIT],
                    },
                    same,
                )
            )
    return out


def _episodes(rows: list[tuple[int, int, dt.datetime]]) -> list[list[tuple[int, int, dt.datetime]]]:
    """Maximal runs of submissions where at least BURST_MIN_RESPONSES fall within BURST_WINDOW (rows sorted by time)."""
    marked = [False] * len(rows)
    start = 0
    for end in range(len(rows)):
        while rows[end][2] - rows[start][2] > BURST_WINDOW:
            start += 1
        if end - start + 1 >= BURST_MIN_RESPONSES:
            for i in range(start, end + 1):
                marked[i] = True
    episodes, current = [], []
    for i, row in enumerate(rows):
        if marked[i] and current and row[2] - current[-1][2] <= BURST_WINDOW:
            current.append(row)
        elif marked[i]:
            if current:
                episodes.append(current)
            current = [row]
    if current:
        episodes.append(current)
    return [e for e in episodes if len(e) >= BURST_MIN_RESPONSES]


def find_bursts(survey: Survey) -> list[Finding]:
    out = []
    for fieldname, label, blank in (("ip", "địa chỉ mạng", None), ("device", "thiết bị", "")):
        base = _submitted(survey).exclude(**{f"{fieldname}__isnull": True})
        if blank is not None:
            base = base.exclude(**{fieldname: blank})
        heavy = [
            row[fieldname]
            for row in base.values(fieldname).annotate(n=Count("id")).filter(n__gte=BURST_MIN_RESPONSES).order_by()
        ]
        if not heavy:
            continue
        by_value: dict[str, list] = defaultdict(list)
        for pk, value, unit_id, submitted in (
            base.filter(**{f"{fieldname}__in": heavy})
            .order_by(fieldname, "submitted_at", "pk")
            .values_list("pk", fieldname, "rated_unit_id", "submitted_at")
        ):
            by_value[value].append((pk, unit_id, submitted))
        for value, rows in by_value.items():
            for episode in _episodes(rows):
                first, last = episode[0][2], episode[-1][2]
                shown = value if fieldname == "ip" else f"{value[:12]}…"
                out.append(
                    Finding(
                        FlagKind.BURST,
                        f"{fieldname}:{value}:{first.isoformat()}"[:200],
                        _single_unit(r[1] for r in episode),
                        {
                            "summary": f"{len(episode)} phiếu được nộp từ cùng {label} {shown} trong khoảng "
                            f"{_moment(first)} – {_moment(last)} (ngưỡng: {BURST_MIN_RESPONSES} phiếu trong "
                            f"{int(BURST_WINDOW.total_seconds() // 60)} phút).",
                            "source": fieldname,
                            "value": shown,
                            "count": len(episode),
                            "first": _iso(first),
                            "last": _iso(last),
                            "units": sorted({r[1] for r in episode}),
                            "responses": [r[0] for r in episode][:EVIDENCE_LIST_LIMIT],
                        },
                        [r[0] for r in episode],
                    )
                )
    return out


def find_one_person_many(survey: Survey) -> list[Finding]:
    out = []
    sources = (
        ("device", "device", "thiết bị", lambda v: f"{v[:12]}…"),
        ("email", Lower("invitation__respondent__email"), "thư điện tử", _mask_email),
        ("phone", F("invitation__respondent__phone"), "số điện thoại", _mask_phone),
    )
    for name, expression, label, mask in sources:
        base = _submitted(survey).annotate(identity=F(expression) if isinstance(expression, str) else expression)
        base = base.exclude(identity="").exclude(identity__isnull=True)
        heavy = [
            row["identity"]
            for row in base.values("identity")
            .annotate(n=Count("id"))
            .filter(n__gte=ONE_PERSON_MIN_RESPONSES)
            .order_by()
        ]
        if not heavy:
            continue
        by_value: dict[str, list] = defaultdict(list)
        for pk, value, unit_id in (
            base.filter(identity__in=heavy).order_by("identity", "pk").values_list("pk", "identity", "rated_unit_id")
        ):
            by_value[value].append((pk, unit_id))
        for value, rows in by_value.items():
            digest = value if name == "device" else hashlib.sha256(value.encode()).hexdigest()[:24]
            units = sorted({r[1] for r in rows})
            out.append(
                Finding(
                    FlagKind.ONE_PERSON_MANY,
                    f"{name}:{digest}"[:200],
                    _single_unit(units),
                    {
                        "summary": f"{len(rows)} phiếu trả lời qua {len(rows)} đường dẫn khác nhau có cùng {label} "
                        f"{mask(value)} (ngưỡng: {ONE_PERSON_MIN_RESPONSES}).",
                        "source": name,
                        "value": mask(value),
                        "count": len(rows),
                        "units": units,
                        "responses": [r[0] for r in rows][:EVIDENCE_LIST_LIMIT],
                    },
                    [r[0] for r in rows],
                )
            )
    return out


# --- notices -------------------------------------------------------------------------------------------------------


def coordinators_covering(unit_ids: Iterable[int]) -> dict[int, list]:
    """unit id → active users holding the survey coordinator role on the unit, or above it with its sub-units. One
    query for the units, one for the memberships."""
    from parindex.orgs.models import Membership, OrgUnit, Role

    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=set(unit_ids)).only("pk", "path")}
    chains = {pk: [int(p) for p in (u.path or "").strip("/").split("/") if p] or [pk] for pk, u in units.items()}
    above = {pk for chain in chains.values() for pk in chain}
    memberships = (
        Membership.objects.filter(
            role=Role.SURVEY_COORDINATOR, ended_at__isnull=True, user__is_active=True, unit_id__in=above
        )
        .select_related("user")
        .order_by("user_id")
    )
    direct: dict[int, list] = defaultdict(list)
    wide: dict[int, list] = defaultdict(list)
    for m in memberships:
        direct[m.unit_id].append(m.user)
        if m.includes_subunits:
            wide[m.unit_id].append(m.user)
    out: dict[int, list] = {}
    for pk, chain in chains.items():
        users = {u.pk: u for u in direct.get(pk, [])}
        for ancestor in chain:
            if ancestor != pk:
                users.update({u.pk: u for u in wide.get(ancestor, [])})
        out[pk] = list(users.values())
    return out


def _notify_new_flags(survey: Survey, new: list[tuple[int, Finding]]) -> int:
    """One notice per unit and detection run to the unit's survey coordinators, however many flags the run found
    there (flags spanning several units go to the coordinators of the survey's assessing body). Returns the number
    of notices created."""
    if not new:
        return 0
    from django.urls import reverse

    from parindex.core.notifications import notify_batch
    from parindex.orgs.models import OrgUnit

    assessor_id = survey.cycle.assessor_id
    by_unit: dict[int | None, list[tuple[int, Finding]]] = defaultdict(list)
    for flag_id, finding in new:
        by_unit[finding.unit_id].append((flag_id, finding))
    people = coordinators_covering({unit_id or assessor_id for unit_id in by_unit})
    names = dict(OrgUnit.objects.filter(pk__in=[u for u in by_unit if u]).values_list("pk", "name"))
    base = reverse("surveys:flags", args=[survey.pk])
    labels = dict(FlagKind.choices)
    items = []
    for unit_id, found in sorted(by_unit.items(), key=lambda kv: kv[0] or 0):
        users = people.get(unit_id or assessor_id) or []
        if not users:
            continue
        kinds = Counter(f.kind for _pk, f in found)
        lines = [f"• {labels[k]}: {n}" for k, n in sorted(kinds.items(), key=lambda kv: str(labels[kv[0]]))]
        where = names.get(unit_id, "") if unit_id else "nhiều đơn vị"
        items.append(
            {
                "users": users,
                # The newest flag of the run makes the key unique to this run and this unit.
                "key": f"survey-flags:{survey.pk}:{unit_id or 0}:{max(pk for pk, _f in found)}",
                "title": f"{len(found)} dấu hiệu bất thường mới — {where} ({survey.name})",
                "body": f"Lần rà soát phiếu khảo sát “{survey.name}” vừa phát hiện {len(found)} dấu hiệu bất thường "
                f"mới ở {where}, cần người điều phối xem xét:\n" + "\n".join(lines),
                "url": f"{base}?don-vi={unit_id}&trang-thai=open" if unit_id else f"{base}?trang-thai=open",
            }
        )
    return len(notify_batch(items))


# --- recording ----------------------------------------------------------------------------------------------------


def detect_flags(
    *, survey: Survey, straight_lining_min_questions: int = STRAIGHT_LINING_MIN_QUESTIONS, actor=None
) -> dict:
    """Run every detector and record the new flags; the survey coordinators of each unit with new flags get one
    notice (:func:`_notify_new_flags`). Returns ``{"found", "created", "updated", "by_kind", "notified"}``."""
    findings = [
        *find_too_fast(survey),
        *find_identical(survey),
        *find_bursts(survey),
        *find_straight_lining(survey, min_questions=straight_lining_min_questions),
        *find_late(survey),
        *find_one_person_many(survey),
    ]
    through = Flag.responses.through
    with transaction.atomic():
        existing = {
            (kind, key): (pk, status, evidence)
            for pk, kind, key, status, evidence in Flag.objects.filter(survey=survey).values_list(
                "pk", "kind", "key", "status", "evidence"
            )
        }
        new = [f for f in findings if (f.kind, f.key) not in existing]
        Flag.objects.bulk_create(
            [Flag(survey=survey, kind=f.kind, key=f.key, unit_id=f.unit_id, evidence=f.evidence) for f in new],
            batch_size=1000,
            ignore_conflicts=True,
        )
        ids = {(kind, key): pk for pk, kind, key in Flag.objects.filter(survey=survey).values_list("pk", "kind", "key")}
        links = [
            through(flag_id=ids[(f.kind, f.key)], response_id=rid)
            for f in new
            if (f.kind, f.key) in ids
            for rid in f.response_ids
        ]
        updated = 0
        for f in findings:
            pk, status, evidence = existing.get((f.kind, f.key), (None, None, None))
            if pk is None or status != FlagStatus.OPEN or evidence == f.evidence:
                continue
            Flag.objects.filter(pk=pk).update(evidence=f.evidence, unit_id=f.unit_id)
            have = set(through.objects.filter(flag_id=pk).values_list("response_id", flat=True))
            links += [through(flag_id=pk, response_id=rid) for rid in f.response_ids if rid not in have]
            updated += 1
        through.objects.bulk_create(links, batch_size=2000, ignore_conflicts=True)
        by_kind = dict(Counter(f.kind for f in findings))
        notified = _notify_new_flags(survey, [(ids[(f.kind, f.key)], f) for f in new if (f.kind, f.key) in ids])
        audit_record(
            actor=actor,
            action="survey.flags_detected",
            obj=survey,
            unit=survey.cycle.assessor,
            changes={"created": [None, len(new)], "updated": [None, updated]},
        )
    return {"found": len(findings), "created": len(new), "updated": updated, "by_kind": by_kind, "notified": notified}


@task()
def detect_flags_job(survey_id: int) -> int:
    survey = Survey.objects.select_related("cycle", "cycle__assessor").get(pk=survey_id)
    return detect_flags(survey=survey)["created"]


def detect_flags_request(*, survey: Survey, actor) -> None:
    """Queue a detection run (a background job, after commit)."""
    with transaction.atomic():
        audit_record(actor=actor, action="survey.flags_detection_requested", obj=survey, unit=survey.cycle.assessor)
        transaction.on_commit(lambda: detect_flags_job.enqueue(survey.pk))


# --- decisions ----------------------------------------------------------------------------------------------------


def _reason(reason: str, field_name: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field_name: "Cần ghi rõ lý do."})
    if len(reason) > 2000:
        raise ValidationError({field_name: "Lý do tối đa 2.000 ký tự."})
    return reason


def _require_manager(actor, survey: Survey, unit) -> None:
    from .access_progress import is_manager_of

    if not is_manager_of(actor, survey, unit):
        raise PermissionDenied("Chỉ quản lý Chỉ số mới được quyết định việc này.")


REVIEW_STATUSES = {FlagStatus.DISMISSED, FlagStatus.CONFIRMED}
DECISION_FIELDS = ["status", "void_reason", "voided_by", "voided_at", "restore_reason", "restored_by", "restored_at"]


def flag_review(*, flag: Flag, status: str, note: str, actor) -> Flag:
    """The coordinator's decision on a flag: dismissed (no violation) or confirmed, with a note."""
    if status not in REVIEW_STATUSES:
        raise ValidationError({"status": "Chọn “Không vi phạm” hoặc “Xác nhận vi phạm”."})
    note = _reason(note, "note")
    with transaction.atomic():
        locked = Flag.objects.select_for_update(of=("self",)).select_related("survey__cycle").get(pk=flag.pk)
        old = locked.status
        locked.status, locked.note, locked.reviewed_by, locked.reviewed_at = status, note, actor, timezone.now()
        locked.save(update_fields=["status", "note", "reviewed_by", "reviewed_at"])
        audit_record(
            actor=actor,
            action="survey.flag_reviewed",
            obj=locked,
            unit=locked.unit,
            changes={"status": [old, status]},
            reason=note,
        )
    return locked


def response_void(*, response: Response, reason: str, actor) -> Response:
    """Void a submitted response: its answers no longer count. Index managers only; reversible by
    :func:`response_restore`."""
    reason = _reason(reason)
    with transaction.atomic():
        locked = Response.objects.select_for_update(of=("self",)).select_related("survey__cycle").get(pk=response.pk)
        _require_manager(actor, locked.survey, locked.rated_unit)
        if locked.status != ResponseStatus.SUBMITTED:
            raise ConflictError(
                f"Chỉ hủy được phiếu đã nộp; phiếu này đang ở trạng thái “{ResponseStatus(locked.status).label}”.",
                current={"status": locked.status},
            )
        locked.status, locked.void_reason = ResponseStatus.VOID, reason
        locked.voided_by, locked.voided_at = actor, timezone.now()
        locked.restore_reason, locked.restored_by, locked.restored_at = "", None, None
        locked.save(update_fields=DECISION_FIELDS)
        audit_record(
            actor=actor,
            action="survey.response_voided",
            obj=locked,
            unit=locked.rated_unit,
            changes={"status": [ResponseStatus.SUBMITTED, ResponseStatus.VOID]},
            reason=reason,
        )
        from .points import survey_points_refresh

        survey_points_refresh(locked.survey)
    return locked


def response_restore(*, response: Response, reason: str, actor) -> Response:
    """Undo :func:`response_void`: the response counts again. Index managers only. The restoration (who, when, why)
    stays on the response until it is voided again; every step is in the audit trail."""
    reason = _reason(reason)
    with transaction.atomic():
        locked = Response.objects.select_for_update(of=("self",)).select_related("survey__cycle").get(pk=response.pk)
        _require_manager(actor, locked.survey, locked.rated_unit)
        if locked.status != ResponseStatus.VOID:
            raise ConflictError("Phiếu này không bị hủy.", current={"status": locked.status})
        old_reason = locked.void_reason
        locked.status, locked.void_reason, locked.voided_by, locked.voided_at = ResponseStatus.SUBMITTED, "", None, None
        locked.restore_reason, locked.restored_by, locked.restored_at = reason, actor, timezone.now()
        locked.save(update_fields=DECISION_FIELDS)
        audit_record(
            actor=actor,
            action="survey.response_restored",
            obj=locked,
            unit=locked.rated_unit,
            changes={"status": [ResponseStatus.VOID, ResponseStatus.SUBMITTED], "void_reason": [old_reason, ""]},
            reason=reason,
        )
        from .points import survey_points_refresh

        survey_points_refresh(locked.survey)
    return locked


def survey_cancel_unit(*, survey: Survey, unit, reason: str, actor) -> Cancellation:
    """Cancel a unit's whole survey result (seed 003): its survey points become zero, with the reason."""
    reason = _reason(reason)
    with transaction.atomic():
        list(Survey.objects.select_for_update().filter(pk=survey.pk))
        _require_manager(actor, survey, unit)
        active = Cancellation.objects.filter(survey=survey, unit=unit, revoked_at__isnull=True).first()
        if active is not None:
            raise ConflictError(
                f"Kết quả khảo sát của {unit.name} đã bị hủy trước đó.",
                current={"cancellation": active.pk, "reason": active.reason},
            )
        cancellation = Cancellation.objects.create(survey=survey, unit=unit, reason=reason, cancelled_by=actor)
        SurveyScore.objects.filter(survey=survey, unit=unit).update(
            points=0, note=f"Kết quả khảo sát của đơn vị đã bị hủy: {reason}"[:500], computed_at=timezone.now()
        )
        audit_record(
            actor=actor,
            action="survey.unit_cancelled",
            obj=cancellation,
            unit=unit,
            changes={"cancelled": [False, True]},
            reason=reason,
        )
        from .points import survey_points_refresh

        survey_points_refresh(survey)
    return cancellation


def cancellation_revoke(*, cancellation: Cancellation, reason: str, actor) -> Cancellation:
    """Undo a cancellation (index managers): the unit's answers count again at the next computation. The cancellation
    stays, marked revoked with who, when and why."""
    reason = _reason(reason)
    with transaction.atomic():
        locked = (
            Cancellation.objects.select_for_update(of=("self",))
            .select_related("survey__cycle", "unit")
            .get(pk=cancellation.pk)
        )
        _require_manager(actor, locked.survey, locked.unit)
        if locked.revoked_at is not None:
            raise ConflictError("Quyết định hủy này đã được thu hồi.", current={"revoked_at": locked.revoked_at})
        locked.revoked_at, locked.revoked_by, locked.revoke_reason = timezone.now(), actor, reason
        locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        audit_record(
            actor=actor,
            action="survey.unit_cancellation_revoked",
            obj=locked,
            unit=locked.unit,
            changes={"cancelled": [True, False]},
            reason=reason,
        )
        from .points import survey_points_refresh

        survey_points_refresh(locked.survey)
    return locked
