"""Responses for tests, written straight into the tables (Invitation, Response, Answer) without the answering code:
tokens are random and stored hashed as the real invitations are."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from itertools import count

from parindex.cycles.factories import vn

_seq = count(1)


def _list_for(survey, unit):
    from parindex.surveys.models import RespondentList

    found, _ = RespondentList.objects.get_or_create(survey=survey, unit=unit)
    return found


def invite(
    survey,
    *,
    group,
    rated_unit,
    name: str | None = None,
    email: str = "",
    phone: str = "",
    opened: bool = False,
    sent: bool = True,
):
    """A respondent with a personal invitation (not answered)."""
    from parindex.surveys.models import Invitation, Respondent

    n = next(_seq)
    name = name or f"Người trả lời số {n}"
    respondent = Respondent.objects.create(
        respondent_list=_list_for(survey, rated_unit),
        survey=survey,
        group=group,
        full_name=name,
        name_key=name.lower(),
        email=email or f"nguoi{n}@example.vn",
        phone=phone or f"09{n:08d}",
        rated_unit=rated_unit,
        unit=rated_unit,
    )
    token = secrets.token_urlsafe(32)
    return Invitation.objects.create(
        respondent=respondent,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        expires_at=vn(2027, 1, 31, 17),
        sent_at=vn(2026, 11, 2, 8) if sent else None,
        opened_at=vn(2026, 11, 3, 8) if opened else None,
    )


def respond(
    survey,
    *,
    group,
    rated_unit,
    answers: str,
    submitted: dt.datetime | None = None,
    seconds: int = 300,
    status: str = "submitted",
    ip: str | None = None,
    device: str = "",
    email: str = "",
    phone: str = "",
    name: str | None = None,
):
    """A response of ``group`` rating ``rated_unit``: ``answers`` gives one option code per question in order
    ("ABX"; "-" leaves a question unanswered). Submitted at ``submitted`` after ``seconds`` of answering."""
    from parindex.surveys.models import Answer, Invitation, Response

    invitation = invite(survey, group=group, rated_unit=rated_unit, name=name, email=email, phone=phone, opened=True)
    submitted = submitted or vn(2026, 11, 10, 9) + dt.timedelta(minutes=17 * next(_seq))
    is_done = status in ("submitted", "void")
    response = Response.objects.create(
        invitation=invitation,
        survey=survey,
        group=group,
        rated_unit=rated_unit,
        status=status,
        submitted_at=submitted if is_done else None,
        ip=ip,
        device=device,
    )
    Response.objects.filter(pk=response.pk).update(started_at=submitted - dt.timedelta(seconds=seconds))
    if is_done:
        Invitation.objects.filter(pk=invitation.pk).update(used_at=submitted)
    questions = list(group.questionnaire.questions.order_by("order", "id").prefetch_related("options"))
    rows = []
    for question, code in zip(questions, answers, strict=False):
        if code == "-":
            continue
        option = next(o for o in question.options.all() if o.code == code)
        rows.append(
            Answer(response=response, question=question, option=option, weight=option.weight, excluded=option.excluded)
        )
    Answer.objects.bulk_create(rows)
    response.refresh_from_db()
    return response


HONEST_PATTERNS = ["ABC", "BAD", "CBA", "ABD", "BCA", "DAB", "ACB", "BDA", "CAB", "ADB", "BAC", "CDA"]


def honest(survey, *, group, rated_unit, n: int = 12, start: dt.datetime | None = None):
    """``n`` plausible responses: varied answers, several minutes each, hours apart, each from its own address and
    device, inside the survey window."""
    start = start or vn(2026, 11, 5, 8)
    out = []
    for i in range(n):
        out.append(
            respond(
                survey,
                group=group,
                rated_unit=rated_unit,
                answers=HONEST_PATTERNS[i % len(HONEST_PATTERNS)],
                submitted=start + dt.timedelta(hours=3 * i, minutes=7 * i),
                seconds=240 + 13 * i,
                ip=f"10.{rated_unit.pk % 250}.{group.pk % 250}.{i + 1}",
                device=hashlib.sha256(f"thiet-bi-{rated_unit.pk}-{group.pk}-{i}".encode()).hexdigest(),
            )
        )
    return out
