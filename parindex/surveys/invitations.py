"""Personal invitations to answer the survey: tokens, e-mail batches, printed lists with QR codes, reminders, bounces.

Every included respondent of a sent list (``RespondentList.status == "sent"``, ``Respondent.status == "included"``)
gets one :class:`~.models.Invitation`. Its link ``/khao-sat/tra-loi/<token>/`` carries a token made by
``secrets.token_urlsafe(32)`` (256 bits); only its SHA-256 is stored, so a token is known only at the moment it is
delivered. Tokens are therefore made when a link goes out — in the e-mail job, in a reminder, on a printed list — and
each delivery replaces the previous token of that invitation (the answers saved so far are kept: they belong to the
invitation, not to the token). An invitation expires at the close of the cycle's ``survey`` window and is used once.

E-mails go in batches of :data:`EMAIL_BATCH` as background jobs (django-tasks) after the transaction commits; a
failure is recorded on the invitation (``send_error``) and the batch goes on. Bounces reported by the mail system are
recorded with :func:`invitation_bounce`. Reminders go to those who have not answered, at most ``survey.reminder_max``
times and at least ``survey.reminder_min_days`` days after the previous message.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django_tasks import task

from parindex.core.services import audit_record
from parindex.cycles.windows import format_moment, window_require_open, window_state

from .models import (
    Invitation,
    ListStatus,
    Respondent,
    RespondentList,
    RespondentStatus,
    Survey,
    SurveyStatus,
)

log = logging.getLogger("parindex.surveys")

EMAIL_BATCH = 100  # invitations per e-mail job
ANSWER_PATH = "/khao-sat/tra-loi/{token}/"
SURVEY_CLOSED = "Cuộc điều tra “{name}” đã kết thúc; không gửi thêm thư mời."


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh token and its SHA-256 (the only thing stored)."""
    raw = secrets.token_urlsafe(32)
    return raw, token_hash(raw)


def answer_path(raw: str) -> str:
    return ANSWER_PATH.format(token=raw)


def answer_url(raw: str) -> str:
    return getattr(settings, "PARINDEX_BASE_URL", "").rstrip("/") + answer_path(raw)


def survey_closes_at(survey: Survey) -> dt.datetime:
    """When invitations expire: the close of the cycle's survey window."""
    state = window_state(cycle=survey.cycle, kind="survey")
    if not state.defined or state.closes_at is None:
        raise ValidationError(state.message or "Chưa đặt thời hạn khảo sát cho đợt đánh giá.")
    return state.closes_at


def _require_sending(survey: Survey) -> dt.datetime:
    if survey.status == SurveyStatus.CLOSED:
        raise PermissionDenied(SURVEY_CLOSED.format(name=survey.name))
    return window_require_open(cycle=survey.cycle, kind="survey").closes_at


def invitable(survey: Survey, respondent_list: RespondentList | None = None) -> QuerySet[Respondent]:
    """Respondents who are to be invited: included, on a sent list."""
    qs = Respondent.objects.filter(
        survey=survey, status=RespondentStatus.INCLUDED, respondent_list__status=ListStatus.SENT
    )
    if respondent_list is not None:
        qs = qs.filter(respondent_list=respondent_list)
    return qs


def invitations_of(survey: Survey, respondent_list: RespondentList | None = None) -> QuerySet[Invitation]:
    qs = Invitation.objects.filter(respondent__survey=survey, respondent__status=RespondentStatus.INCLUDED)
    if respondent_list is not None:
        qs = qs.filter(respondent__respondent_list=respondent_list)
    return qs


@dataclass
class Summary:
    """What a run did, for the command, the page and the API."""

    created: int = 0
    to_email: int = 0
    batches: int = 0
    without_email: int = 0
    answered: int = 0
    bounced: int = 0
    expires_at: dt.datetime | None = None
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "to_email": self.to_email,
            "batches": self.batches,
            "without_email": self.without_email,
            "answered": self.answered,
            "bounced": self.bounced,
            "expires_at": self.expires_at,
        }


def _create_missing(survey: Survey, respondent_list: RespondentList | None, expires_at: dt.datetime) -> int:
    """Invitations for the invitable respondents that have none, with a token nobody knows (a link is made when it
    is delivered). Existing unused invitations follow the window's close (an extended window extends them)."""
    missing = list(invitable(survey, respondent_list).filter(invitation__isnull=True).values_list("pk", flat=True))
    Invitation.objects.bulk_create(
        [Invitation(respondent_id=pk, token_hash=new_token()[1], expires_at=expires_at) for pk in missing],
        batch_size=1000,
    )
    invitations_of(survey, respondent_list).filter(used_at__isnull=True).exclude(expires_at=expires_at).update(
        expires_at=expires_at
    )
    return len(missing)


def _require_questions(survey: Survey, respondent_list: RespondentList | None) -> None:
    """Refuse to invite to an empty questionnaire (a group's placeholder not written yet)."""
    from .models import RespondentGroup

    groups = RespondentGroup.objects.filter(
        pk__in=invitable(survey, respondent_list).values("group_id"), questionnaire__questions__isnull=True
    ).values_list("name", flat=True)
    names = sorted(set(groups))
    if names:
        raise ValidationError(
            "Phiếu khảo sát của nhóm " + ", ".join(f"“{n}”" for n in names) + " chưa có câu hỏi; hãy soạn hoặc nhập "
            "phiếu trước khi gửi thư mời."
        )


def _scope_unit(survey: Survey, respondent_list: RespondentList | None):
    return respondent_list.unit if respondent_list is not None else survey.cycle.assessor


def invitations_send(*, survey: Survey, actor, respondent_list: RespondentList | None = None) -> Summary:
    """Create the missing invitations of ``survey`` (or of one sent list) and queue the e-mails of those not yet
    e-mailed (failed ones are tried again; bounced and answered ones are not)."""
    if respondent_list is not None and respondent_list.status != ListStatus.SENT:
        raise ValidationError("Danh sách chưa được gửi; chỉ mời được người trả lời của danh sách đã gửi.")
    with transaction.atomic():
        expires_at = _require_sending(survey)
        _require_questions(survey, respondent_list)
        summary = Summary(expires_at=expires_at)
        summary.created = _create_missing(survey, respondent_list, expires_at)
        pending = invitations_of(survey, respondent_list).filter(
            respondent__respondent_list__status=ListStatus.SENT, used_at__isnull=True
        )
        ids = list(
            pending.filter(sent_at__isnull=True, bounced_at__isnull=True)
            .exclude(respondent__email="")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        summary.to_email = len(ids)
        summary.without_email = pending.filter(respondent__email="").count()
        summary.answered = invitations_of(survey, respondent_list).filter(used_at__isnull=False).count()
        summary.bounced = pending.filter(bounced_at__isnull=False).count()
        batches = [ids[i : i + EMAIL_BATCH] for i in range(0, len(ids), EMAIL_BATCH)]
        summary.batches = len(batches)
        for batch in batches:
            transaction.on_commit(lambda batch=batch: invitations_email.enqueue(batch))
        audit_record(
            actor=actor,
            action="survey.invitations_sent",
            obj=respondent_list or survey,
            unit=_scope_unit(survey, respondent_list),
            changes={"created": [None, summary.created], "emailed": [None, summary.to_email]},
        )
    return summary


def _invitation_message(invitation: Invitation, raw: str, *, reminder: bool) -> EmailMessage:
    respondent = invitation.respondent
    survey = respondent.survey
    questionnaire = respondent.group.questionnaire
    lines = [
        f"Kính gửi ông/bà {respondent.full_name},",
        "",
        (
            "Ông/bà chưa trả lời phiếu khảo sát dưới đây; kính mong ông/bà dành ít phút trả lời."
            if reminder
            else f"{survey.cycle.assessor.name} trân trọng mời ông/bà tham gia cuộc điều tra xã hội học "
            f"“{survey.name}”."
        ),
        f"Phiếu: {questionnaire.name} — đánh giá {respondent.rated_unit.name}.",
        "",
        "Đường dẫn trả lời của riêng ông/bà (dùng được trên điện thoại, không cần tài khoản, chỉ nộp được một lần; "
        "xin đừng chuyển cho người khác):",
        answer_url(raw),
        "",
        f"Hạn trả lời: {format_moment(invitation.expires_at)}.",
    ]
    if reminder:
        lines.append("Đường dẫn trong thư trước không còn dùng được; các câu ông/bà đã chọn vẫn được giữ.")
    lines += ["", "Xin trân trọng cảm ơn ông/bà.", "— parindex, Chỉ số cải cách hành chính"]
    subject = "Nhắc trả lời phiếu khảo sát" if reminder else "Mời trả lời phiếu khảo sát"
    return EmailMessage(
        subject=f"[Chỉ số CCHC] {subject}: {survey.name}",
        body="\n".join(lines),
        to=[respondent.email],
    )


def _deliver(messages: list[tuple[Invitation, EmailMessage]], on_sent, on_failed) -> tuple[int, int]:
    """Send each message on one connection; a failure is recorded and the batch goes on (on a new connection)."""
    sent = failed = 0
    connection = get_connection()
    try:
        for invitation, message in messages:
            message.connection = connection
            try:
                message.send()
            except Exception as exc:  # noqa: BLE001 — any transport error is recorded and the batch goes on
                failed += 1
                log.warning("survey invitation %s not e-mailed: %s", invitation.pk, exc)
                on_failed(invitation, str(exc) or exc.__class__.__name__)
                try:
                    connection.close()
                except Exception:  # noqa: BLE001, S110 — the broken connection is replaced anyway
                    pass
                connection = get_connection()
                continue
            sent += 1
            on_sent(invitation)
    finally:
        try:
            connection.close()
        except Exception:  # noqa: BLE001, S110
            pass
    return sent, failed


def _mailable(ids: list[int]) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(pk__in=ids, used_at__isnull=True, bounced_at__isnull=True)
        .exclude(respondent__email="")
        .select_related(
            "respondent",
            "respondent__survey",
            "respondent__survey__cycle",
            "respondent__survey__cycle__assessor",
            "respondent__group__questionnaire",
            "respondent__rated_unit",
        )
        .order_by("pk")
    )


@task()
def invitations_email(invitation_ids: list[int]) -> dict:
    """E-mail one batch of invitations, each with a new token (replacing the unknown one)."""
    messages = []
    for invitation in _mailable(invitation_ids).filter(sent_at__isnull=True):
        raw, digest = new_token()
        if not Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=True, used_at__isnull=True).update(
            token_hash=digest
        ):
            continue
        messages.append((invitation, _invitation_message(invitation, raw, reminder=False)))

    def on_sent(invitation):
        Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now(), send_error="")

    def on_failed(invitation, error):
        Invitation.objects.filter(pk=invitation.pk).update(send_error=f"Gửi thư mời lỗi: {error}"[:500])

    sent, failed = _deliver(messages, on_sent, on_failed)
    return {"sent": sent, "failed": failed}


# --- reminders -------------------------------------------------------------------------------------------------------


def _due_q(survey: Survey, now: dt.datetime) -> Q:
    """Unanswered, e-mailed, not bounced, not expired, fewer than ``reminder_max`` reminders, and the last message
    (invitation or reminder) at least ``reminder_min_days`` ago."""
    gap = now - dt.timedelta(days=survey.reminder_min_days)
    return (
        Q(used_at__isnull=True, bounced_at__isnull=True, sent_at__isnull=False, expires_at__gt=now)
        & Q(reminders_sent__lt=survey.reminder_max)
        & (Q(last_reminder_at__isnull=True, sent_at__lte=gap) | Q(last_reminder_at__lte=gap))
    )


def reminders_due(
    survey: Survey, *, respondent_list: RespondentList | None = None, now: dt.datetime | None = None
) -> QuerySet[Invitation]:
    now = now or timezone.now()
    return invitations_of(survey, respondent_list).filter(_due_q(survey, now)).exclude(respondent__email="")


def reminders_send(*, survey: Survey, actor, respondent_list: RespondentList | None = None) -> Summary:
    """Queue reminders to those who have not answered, within the throttle (see :func:`reminders_due`)."""
    with transaction.atomic():
        expires_at = _require_sending(survey)
        now = timezone.now()
        ids = list(
            reminders_due(survey, respondent_list=respondent_list, now=now).order_by("pk").values_list("pk", flat=True)
        )
        summary = Summary(expires_at=expires_at, to_email=len(ids))
        pending = invitations_of(survey, respondent_list).filter(used_at__isnull=True)
        summary.details = {
            "unanswered": pending.count(),
            "max_reached": pending.filter(reminders_sent__gte=survey.reminder_max).count(),
            "too_soon": pending.filter(reminders_sent__lt=survey.reminder_max)
            .exclude(pk__in=ids)
            .filter(sent_at__isnull=False, bounced_at__isnull=True)
            .exclude(respondent__email="")
            .count(),
        }
        batches = [ids[i : i + EMAIL_BATCH] for i in range(0, len(ids), EMAIL_BATCH)]
        summary.batches = len(batches)
        for batch in batches:
            transaction.on_commit(lambda batch=batch: reminders_email.enqueue(batch))
        audit_record(
            actor=actor,
            action="survey.reminders_sent",
            obj=respondent_list or survey,
            unit=_scope_unit(survey, respondent_list),
            changes={"reminded": [None, len(ids)]},
        )
    return summary


@task()
def reminders_email(invitation_ids: list[int]) -> dict:
    """E-mail one batch of reminders. Each invitation is claimed by a conditional update that re-checks the throttle,
    so two runs at once never remind anyone twice; the reminder carries a new token."""
    messages = []
    skipped = 0
    for invitation in _mailable(invitation_ids):
        survey = invitation.respondent.survey
        now = timezone.now()
        raw, digest = new_token()
        claimed = Invitation.objects.filter(
            Q(pk=invitation.pk, reminders_sent=invitation.reminders_sent) & _due_q(survey, now)
        ).update(reminders_sent=F("reminders_sent") + 1, last_reminder_at=now, token_hash=digest)
        if not claimed:
            skipped += 1
            continue
        messages.append((invitation, _invitation_message(invitation, raw, reminder=True)))

    def on_sent(invitation):
        Invitation.objects.filter(pk=invitation.pk).update(send_error="")

    def on_failed(invitation, error):
        Invitation.objects.filter(pk=invitation.pk).update(send_error=f"Gửi thư nhắc lỗi: {error}"[:500])

    sent, failed = _deliver(messages, on_sent, on_failed)
    return {"sent": sent, "failed": failed, "skipped": skipped}


# --- bounces and printing ------------------------------------------------------------------------------------------


def invitation_bounce(*, invitation: Invitation, actor, reason: str = "") -> Invitation:
    """Record that the mail system returned the invitation (no more e-mails or reminders to that address)."""
    reason = (reason or "").strip()[:400]
    with transaction.atomic():
        locked = Invitation.objects.select_for_update(of=("self",)).select_related("respondent").get(pk=invitation.pk)
        if locked.bounced_at is None:
            old = locked.send_error
            locked.bounced_at = timezone.now()
            locked.send_error = f"Thư bị trả lại: {reason}" if reason else "Thư bị trả lại."
            locked.save(update_fields=["bounced_at", "send_error"])
            audit_record(
                actor=actor,
                action="survey.invitation_bounced",
                obj=locked,
                object_repr=f"thư mời #{locked.pk}",
                unit=locked.respondent.rated_unit,
                changes={"send_error": [old, locked.send_error]},
                reason=reason,
            )
    return locked


@dataclass
class PrintedLink:
    respondent: Respondent
    invitation: Invitation
    token: str

    @property
    def url(self) -> str:
        return answer_url(self.token)


def print_candidates(respondent_list: RespondentList, *, everyone: bool = False) -> QuerySet[Invitation]:
    """Unanswered invitations of the list to print: by default those who cannot get an e-mail (no address, bounced,
    failed); ``everyone``: all who have not answered."""
    qs = invitations_of(respondent_list.survey, respondent_list).filter(
        used_at__isnull=True, respondent__respondent_list__status=ListStatus.SENT
    )
    if not everyone:
        qs = qs.filter(
            Q(respondent__email="") | Q(bounced_at__isnull=False) | (Q(sent_at__isnull=True) & ~Q(send_error=""))
        )
    return qs


def invitations_print(*, respondent_list: RespondentList, actor, everyone: bool = False) -> list[PrintedLink]:
    """New links for the printed list (in-person surveys at one-stop shops): the list's missing invitations are
    created, and each printed invitation gets a new token — a link sent earlier by e-mail stops working."""
    survey = respondent_list.survey
    if respondent_list.status != ListStatus.SENT:
        raise ValidationError("Danh sách chưa được gửi; chỉ in được đường dẫn của danh sách đã gửi.")
    with transaction.atomic():
        expires_at = _require_sending(survey)
        _require_questions(survey, respondent_list)
        _create_missing(survey, respondent_list, expires_at)
        invitations = list(
            print_candidates(respondent_list, everyone=everyone)
            .select_for_update(of=("self",))
            .select_related("respondent", "respondent__group", "respondent__rated_unit")
            .order_by("respondent__group__priority", "respondent__full_name", "pk")
        )
        now = timezone.now()
        printed = []
        for invitation in invitations:
            raw, digest = new_token()
            invitation.token_hash = digest
            if invitation.sent_at is None:
                invitation.sent_at = now
            printed.append(PrintedLink(invitation.respondent, invitation, raw))
        Invitation.objects.bulk_update(invitations, ["token_hash", "sent_at"], batch_size=500)
        audit_record(
            actor=actor,
            action="survey.invitations_printed",
            obj=respondent_list,
            unit=respondent_list.unit,
            changes={"printed": [None, len(printed)], "everyone": [None, everyone]},
        )
    return printed


def qr_svg(data: str) -> str:
    """The QR code of ``data`` as inline SVG (as the TOTP page draws it)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return image.to_string(encoding="unicode")


def list_counts(respondent_list: RespondentList) -> dict[str, int]:
    """Invitation figures of a list (the coordinator's page)."""
    from django.db.models import Count

    survey = respondent_list.survey
    included = invitable(survey, respondent_list).count()
    qs = invitations_of(survey, respondent_list)
    agg = qs.aggregate(
        invited=Count("pk"),
        emailed=Count("pk", filter=Q(sent_at__isnull=False)),
        failed=Count("pk", filter=~Q(send_error="") & Q(bounced_at__isnull=True)),
        bounced=Count("pk", filter=Q(bounced_at__isnull=False)),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        answered=Count("pk", filter=Q(used_at__isnull=False)),
        reminded=Count("pk", filter=Q(reminders_sent__gt=0)),
    )
    agg["included"] = included
    agg["without_email"] = invitable(survey, respondent_list).filter(email="").count()
    agg["due_reminders"] = reminders_due(survey, respondent_list=respondent_list).count()
    return agg
