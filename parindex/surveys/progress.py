"""Progress of a survey (seed 003 "Chi tiết tiến độ khảo sát"): per rated unit and respondent group, how many were
invited, opened their link, answered; the response rate; answers per day; who has not answered yet.

Counts come from a few GROUP BY queries whatever the number of units (3,321 communes: one aggregate over the
invitations, one over the answers per day); the per-unit table is paged in Python over those rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import Invitation, Respondent, Response, ResponseStatus, Survey

SUBMITTED = ResponseStatus.SUBMITTED
VOID = ResponseStatus.VOID


def rate(answered: int, invited: int) -> Decimal | None:
    """Response rate in percent, two decimals half-up (None when nobody was invited)."""
    if not invited:
        return None
    return (Decimal(answered) * 100 / Decimal(invited)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class Counts:
    invited: int = 0
    sent: int = 0
    bounced: int = 0
    opened: int = 0
    in_progress: int = 0
    answered: int = 0
    voided: int = 0

    def add(self, other: Counts) -> None:
        for name in ("invited", "sent", "bounced", "opened", "in_progress", "answered", "voided"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def rate(self) -> Decimal | None:
        return rate(self.answered, self.invited)

    @property
    def not_answered(self) -> int:
        return max(0, self.invited - self.answered - self.voided)

    def as_dict(self) -> dict:
        return {
            "invited": self.invited,
            "sent": self.sent,
            "bounced": self.bounced,
            "opened": self.opened,
            "in_progress": self.in_progress,
            "answered": self.answered,
            "voided": self.voided,
            "not_answered": self.not_answered,
            "rate": self.rate,
        }


@dataclass
class UnitRow:
    unit_id: int
    code: str
    name: str
    counts: Counts = field(default_factory=Counts)
    by_group: dict[int, Counts] = field(default_factory=dict)


@dataclass
class Progress:
    total: Counts
    groups: list[dict]  # {"id", "code", "name", "counts"}
    units: list[UnitRow]
    days: list[dict]  # {"day", "answered", "cumulative"}
    flags_open: int = 0


def _scoped(qs: QuerySet, scope, prefix: str) -> QuerySet:
    return qs if scope is None else qs.filter(**{f"{prefix}__in": scope})


def progress_counts(*, survey: Survey, scope=None, unit=None, group=None) -> Progress:
    """Counts per unit and group, per group, in all, and per day. ``scope``: unit ids the caller follows (None: all);
    ``unit`` / ``group``: filters."""
    from parindex.cycles.models import Participant

    invitations = _scoped(Invitation.objects.filter(respondent__survey=survey), scope, "respondent__rated_unit")
    if unit is not None:
        invitations = invitations.filter(respondent__rated_unit=unit)
    if group is not None:
        invitations = invitations.filter(respondent__group=group)
    rows = (
        invitations.values(
            "respondent__rated_unit_id",
            "respondent__rated_unit__code",
            "respondent__rated_unit__name",
            "respondent__group_id",
        )
        .annotate(
            invited=Count("id"),
            sent=Count("sent_at"),
            bounced=Count("bounced_at"),
            opened=Count("id", filter=Q(opened_at__isnull=False) | Q(response__isnull=False)),
            in_progress=Count("id", filter=Q(response__status=ResponseStatus.IN_PROGRESS)),
            answered=Count("id", filter=Q(response__status=SUBMITTED)),
            voided=Count("id", filter=Q(response__status=VOID)),
        )
        .order_by()
    )
    units: dict[int, UnitRow] = {}
    by_group: dict[int, Counts] = {}
    total = Counts()
    for row in rows:
        counts = Counts(
            row["invited"],
            row["sent"],
            row["bounced"],
            row["opened"],
            row["in_progress"],
            row["answered"],
            row["voided"],
        )
        unit_id = row["respondent__rated_unit_id"]
        entry = units.setdefault(
            unit_id, UnitRow(unit_id, row["respondent__rated_unit__code"], row["respondent__rated_unit__name"])
        )
        entry.counts.add(counts)
        entry.by_group[row["respondent__group_id"]] = counts
        by_group.setdefault(row["respondent__group_id"], Counts()).add(counts)
        total.add(counts)
    # Participating units without any invitation yet: shown with zeros (their list is missing).
    if group is None:
        participants = _scoped(
            Participant.objects.filter(
                cycle_id=survey.cycle_id, framework_id=survey.framework_id, withdrawn_at__isnull=True
            ),
            scope,
            "unit",
        )
        if unit is not None:
            participants = participants.filter(unit=unit)
        for unit_id, code, name in participants.values_list("unit_id", "unit__code", "unit__name"):
            units.setdefault(unit_id, UnitRow(unit_id, code, name))
    groups = [
        {"id": g.pk, "code": g.code, "name": g.name, "counts": by_group.get(g.pk, Counts())}
        for g in survey.groups.all()
        if group is None or g.pk == group.pk
    ]
    return Progress(
        total=total,
        groups=groups,
        units=sorted(units.values(), key=lambda u: (u.counts.rate is not None, u.counts.rate or 0, u.name)),
        days=answers_per_day(survey=survey, scope=scope, unit=unit, group=group),
    )


def answers_per_day(*, survey: Survey, scope=None, unit=None, group=None) -> list[dict]:
    """Submitted (not voided) responses per day in Vietnam time, with the running total."""
    qs = _scoped(
        Response.objects.filter(survey=survey, status=SUBMITTED, submitted_at__isnull=False), scope, "rated_unit"
    )
    if unit is not None:
        qs = qs.filter(rated_unit=unit)
    if group is not None:
        qs = qs.filter(group=group)
    rows = (
        qs.annotate(day=TruncDate("submitted_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("day")
    )
    out, running = [], 0
    for row in rows:
        running += row["n"]
        out.append({"day": row["day"], "answered": row["n"], "cumulative": running})
    peak = max((d["answered"] for d in out), default=0)
    for d in out:
        d["bar"] = round(100 * d["answered"] / peak) if peak else 0
    return out


def non_respondents(*, survey: Survey, personal: Q, unit=None, group=None) -> QuerySet[Respondent]:
    """Invited respondents who have not submitted (no response, or one still in progress), among the units whose
    personal data the caller may see (``personal``: a Q over ``rated_unit``)."""
    qs = (
        Respondent.objects.filter(survey=survey, invitation__isnull=False)
        .filter(Q(invitation__response__isnull=True) | Q(invitation__response__status=ResponseStatus.IN_PROGRESS))
        .filter(personal)
        .select_related("group", "rated_unit", "invitation", "invitation__response")
        .order_by("rated_unit__name", "group__priority", "full_name", "pk")
    )
    if unit is not None:
        qs = qs.filter(rated_unit=unit)
    if group is not None:
        qs = qs.filter(group=group)
    return qs


@dataclass
class AnswerLine:
    number: int
    code: str
    text: str
    option_code: str
    option_text: str
    weight: int
    excluded: bool


@dataclass
class ResponseEvidence:
    """What a response shows a reviewer: its answers in questionnaire order, how long it took, where it came from,
    and the flags that point at it."""

    answers: list[AnswerLine]
    seconds: int | None
    flags: list
    same_pattern: bool  # every answer the same option


def response_evidence(response: Response) -> ResponseEvidence:
    from .models import Answer, Flag

    rows = (
        Answer.objects.filter(response=response)
        .order_by("question__order", "question_id")
        .values_list("question__code", "question__text", "option__code", "option__text", "weight", "excluded")
    )
    answers = [AnswerLine(i, *row) for i, row in enumerate(rows, start=1)]
    if not answers and isinstance(response.draft, dict) and response.draft:
        answers = _draft_lines(response)
    seconds = None
    if response.submitted_at and response.started_at:
        seconds = max(0, int((response.submitted_at - response.started_at).total_seconds()))
    flags = list(Flag.objects.filter(responses=response).select_related("unit").order_by("-created_at", "-pk"))
    codes = {a.option_code for a in answers}
    return ResponseEvidence(answers, seconds, flags, len(answers) > 1 and len(codes) == 1)


def _draft_lines(response: Response) -> list[AnswerLine]:
    """The answers saved so far of a response still in progress."""
    from .models import Option, Question

    chosen = {}
    for key, value in response.draft.items():
        if str(key).isdigit() and str(value).isdigit():
            chosen[int(key)] = int(value)
    options = {o.pk: o for o in Option.objects.filter(pk__in=chosen.values(), question_id__in=chosen)}
    lines = []
    questions = Question.objects.filter(pk__in=chosen).order_by("order", "pk")
    for i, q in enumerate(questions, start=1):
        o = options.get(chosen[q.pk])
        if o is not None and o.question_id == q.pk:
            lines.append(AnswerLine(i, q.code, q.text, o.code, o.text, o.weight, o.excluded))
    return lines
