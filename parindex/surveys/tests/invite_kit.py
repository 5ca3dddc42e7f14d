"""Sent respondent lists and personal links for the tests of invitations and answering."""

from __future__ import annotations

import re

from django.utils import timezone


def sent_list(survey, unit, *, group, people, status="sent"):
    """A list of ``unit`` in ``status`` with one respondent per item of ``people`` ({name, email, phone, status})."""
    from parindex.surveys.models import Respondent, RespondentList

    respondent_list = RespondentList.objects.create(
        survey=survey, unit=unit, status=status, sent_at=timezone.now() if status == "sent" else None
    )
    for row, person in enumerate(people, start=1):
        Respondent.objects.create(
            respondent_list=respondent_list,
            survey=survey,
            group=group,
            row=row,
            full_name=person["name"],
            name_key=person["name"].lower(),
            email=person.get("email", ""),
            phone=person.get("phone", ""),
            unit=unit,
            rated_unit=person.get("rated_unit", unit),
            status=person.get("status", "included"),
        )
    return respondent_list


PEOPLE = [
    {"name": "Nguyễn Văn An", "email": "an@example.vn"},
    {"name": "Trần Thị Bình", "email": "binh@example.vn"},
    {"name": "Lê Văn Cường", "phone": "0912345678"},
    {"name": "Phạm Thị Dung", "email": "dung@example.vn", "status": "excluded"},
]


def link(invitation_or_respondent):
    """A fresh personal link for an invitation (created if needed): (invitation, raw token)."""
    from parindex.cycles.factories import CLOSES
    from parindex.surveys.invitations import new_token
    from parindex.surveys.models import Invitation, Respondent

    raw, digest = new_token()
    if isinstance(invitation_or_respondent, Respondent):
        invitation = Invitation.objects.create(
            respondent=invitation_or_respondent, token_hash=digest, expires_at=CLOSES["survey"]
        )
    else:
        invitation = invitation_or_respondent
        Invitation.objects.filter(pk=invitation.pk).update(token_hash=digest)
        invitation.refresh_from_db()
    return invitation, raw


TOKEN_IN_TEXT = re.compile(r"/khao-sat/tra-loi/([A-Za-z0-9_-]+)/")


def tokens_in(messages) -> dict[str, str]:
    """{recipient: raw token} from e-mails."""
    found = {}
    for message in messages:
        match = TOKEN_IN_TEXT.search(message.body)
        if match:
            found[message.to[0]] = match.group(1)
    return found


def answers_for(questionnaire, codes: str) -> dict[str, int]:
    """{question id: option id} choosing option ``codes[i]`` for the i-th question."""
    out = {}
    for question, code in zip(questionnaire.questions.order_by("order", "id"), codes, strict=False):
        out[str(question.pk)] = question.options.get(code=code).pk
    return out
