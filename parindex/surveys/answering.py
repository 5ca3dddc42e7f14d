"""The respondent's side: opening a personal link, saving answers as they are chosen, submitting once.

Respondents have no account; the token of their link is the only credential. It is looked up by its SHA-256
(:func:`invitations.token_hash`); an unknown, malformed or expired token is refused, logged on the
``parindex.surveys`` logger (with the address, never the token) and nothing is stored.

Single use is enforced on the server: :func:`answer_submit` locks the invitation row (``SELECT … FOR UPDATE``),
checks ``used_at``, and marks it used with a conditional update in the same transaction; ``Response.invitation`` is
unique besides. Two submissions at the same moment: one is stored, the other is refused
(:class:`AlreadySubmitted`, a 409). Submissions after the close of the cycle's survey window are refused.

Answers map question ids to option ids. A submission must answer every question of the questionnaire of the
respondent's group (the "không biết / không trả lời" option counts as an answer), with options of that question,
and nothing else; each stored ``Answer`` copies the option's weight and "excluded" flag, so that survey points are
summed in SQL over integers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from parindex.core.exceptions import ConflictError, WindowClosedError
from parindex.cycles.models import Window
from parindex.cycles.windows import format_moment

from .invitations import token_hash
from .models import (
    Invitation,
    Option,
    Question,
    RespondentStatus,
    Response,
    ResponseStatus,
    SurveyStatus,
)

log = logging.getLogger("parindex.surveys")

MAX_PAYLOAD_BYTES = 32 * 1024  # a questionnaire of 300 questions answered fits in under 10 KB
MAX_ANSWERS = 400
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
# Naive throttles (per process cache): refused tokens per address, requests per token.
BAD_TOKENS_PER_ADDRESS = 30
BAD_TOKEN_WINDOW = 10 * 60
REQUESTS_PER_TOKEN = 120
REQUEST_WINDOW = 60

UNKNOWN_MESSAGE = (
    "Đường dẫn trả lời phiếu không đúng hoặc không còn hiệu lực. Nếu ông/bà đã nhận nhiều thư mời, hãy dùng đường dẫn "
    "trong thư mới nhất (mỗi thư mới thay đường dẫn cũ); nếu vẫn không được, xin liên hệ cơ quan đã mời."
)
EXPIRED_MESSAGE = "Đường dẫn trả lời phiếu đã hết hạn lúc {moment}: cuộc khảo sát đã kết thúc."
USED_MESSAGE = (
    "Phiếu khảo sát của đường dẫn này đã được nộp lúc {moment}; mỗi đường dẫn chỉ nộp được một lần. "
    "Xin cảm ơn ông/bà đã tham gia."
)
NOT_READY_MESSAGE = "Phiếu khảo sát chưa sẵn sàng (chưa có câu hỏi); xin quay lại sau."
THROTTLED_MESSAGE = "Quá nhiều yêu cầu trong thời gian ngắn; xin thử lại sau ít phút."


class TokenRefused(Exception):
    """Unknown, malformed or expired token (a 404 for the respondent)."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.message, self.reason = message, reason

    def __str__(self) -> str:
        return self.message


class AlreadySubmitted(ConflictError):
    """The link was used to submit already (a 409)."""

    def __init__(self, submitted_at: dt.datetime | None):
        moment = format_moment(submitted_at) if submitted_at else "trước đó"
        super().__init__(USED_MESSAGE.format(moment=moment), current={"status": "submitted"})
        self.submitted_at = submitted_at


class Throttled(Exception):
    message = THROTTLED_MESSAGE

    def __str__(self) -> str:
        return self.message


def device_fingerprint(user_agent: str, accept_language: str) -> str:
    return hashlib.sha256(f"{user_agent or ''}\n{accept_language or ''}".encode()).hexdigest()


def _over(key: str, limit: int, seconds: int) -> bool:
    cache.add(key, 0, seconds)
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired between add and incr
        cache.set(key, 1, seconds)
        return False


def _refuse(message: str, reason: str, ip: str | None) -> TokenRefused:
    log.warning("survey link refused (%s) from %s", reason, ip or "?")
    if ip:
        _over(f"survey-bad-token:{ip}", BAD_TOKENS_PER_ADDRESS, BAD_TOKEN_WINDOW)
    return TokenRefused(message, reason)


def check_throttle(raw: str, ip: str | None) -> None:
    """Raise :class:`Throttled` when the address guessed too many tokens or the token is used too often."""
    if ip and (cache.get(f"survey-bad-token:{ip}") or 0) >= BAD_TOKENS_PER_ADDRESS:
        log.warning("survey link throttled: too many refused tokens from %s", ip)
        raise Throttled()
    if _over(f"survey-token:{token_hash(raw or '')[:32]}", REQUESTS_PER_TOKEN, REQUEST_WINDOW):
        log.warning("survey link throttled: too many requests for one token from %s", ip or "?")
        raise Throttled()


_RELATED = (
    "respondent",
    "respondent__group",
    "respondent__group__questionnaire",
    "respondent__rated_unit",
    "respondent__survey",
    "respondent__survey__cycle",
)


def _lookup(raw: str, *, ip: str | None, lock: bool = False) -> Invitation:
    if not isinstance(raw, str) or not TOKEN_RE.match(raw):
        raise _refuse(UNKNOWN_MESSAGE, "malformed", ip)
    qs = Invitation.objects.select_related(*_RELATED)
    if lock:
        qs = qs.select_for_update(of=("self",))
    invitation = qs.filter(token_hash=token_hash(raw)).first()
    if invitation is None or invitation.respondent.status != RespondentStatus.INCLUDED:
        raise _refuse(UNKNOWN_MESSAGE, "unknown", ip)
    if timezone.now() >= invitation.expires_at and invitation.used_at is None:
        raise _refuse(EXPIRED_MESSAGE.format(moment=format_moment(invitation.expires_at)), "expired", ip)
    return invitation


def _require_window(invitation: Invitation) -> dt.datetime:
    survey = invitation.respondent.survey
    window = (
        Window.objects.filter(cycle_id=survey.cycle_id, kind="survey").order_by().values_list("opens_at", "closes_at")
    ).first()
    opens, closes = window or (None, None)
    _check_window(name=survey.name, status=survey.status, opens=opens, closes=closes)
    return closes


# --- the questionnaire and the answers --------------------------------------------------------------------------------


def questions_of(questionnaire_id: int) -> list[Question]:
    return list(
        Question.objects.filter(questionnaire_id=questionnaire_id).order_by("order", "id").prefetch_related("options")
    )


def _option_table(questionnaire_id: int) -> tuple[dict[int, str], dict[int, dict[int, tuple[int, bool]]]]:
    """question id → code, and question id → {option id: (weight, excluded)}: one query."""
    codes: dict[int, str] = {}
    options: dict[int, dict[int, tuple[int, bool]]] = {}
    rows = Option.objects.filter(question__questionnaire_id=questionnaire_id).values_list(
        "pk", "question_id", "question__code", "weight", "excluded"
    )
    for pk, question_id, code, weight, excluded in rows:
        codes[question_id] = code
        options.setdefault(question_id, {})[pk] = (weight, excluded)
    return codes, options


def _as_id(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 18:
        return int(value.strip())
    return None


def clean_answers(answers, codes: dict[int, str], options: dict[int, dict], *, complete: bool) -> dict[int, int | None]:
    """``{question id: option id}`` checked against the questionnaire; None clears a draft answer. Raises
    ValidationError (keyed by question code; ``answers`` for the payload) listing every problem."""
    errors: dict[str, list[str]] = {}
    if not isinstance(answers, dict):
        raise ValidationError({"answers": ["Câu trả lời phải là một bảng {mã câu hỏi: mã phương án}."]})
    if len(answers) > min(MAX_ANSWERS, max(len(codes), 1) * 2):
        raise ValidationError({"answers": [f"Có {len(answers)} câu trả lời, nhiều hơn số câu hỏi của phiếu."]})
    cleaned: dict[int, int | None] = {}
    for key, value in answers.items():
        question_id = _as_id(key)
        if question_id is None or question_id not in codes:
            errors.setdefault("answers", []).append(f"Câu hỏi “{str(key)[:20]}” không có trong phiếu này.")
            continue
        code = codes[question_id]
        if value is None or value == "":
            if complete:
                errors.setdefault(code, []).append(f"Câu {code}: chưa chọn phương án trả lời.")
            cleaned[question_id] = None
            continue
        option_id = _as_id(value)
        if option_id is None or option_id not in options[question_id]:
            errors.setdefault(code, []).append(f"Câu {code}: phương án “{str(value)[:20]}” không thuộc câu hỏi này.")
            continue
        cleaned[question_id] = option_id
    if complete:
        for question_id, code in codes.items():
            if question_id not in cleaned and code not in errors:
                errors.setdefault(code, []).append(
                    f"Câu {code}: chưa trả lời (nếu không có ý kiến, chọn “Không biết / không trả lời”)."
                )
    if errors:
        raise ValidationError(errors)
    return cleaned


def draft_answers(response: Response | None, codes: dict[int, str]) -> dict[int, int]:
    """The draft as {question id: option id}, keeping only what still fits the questionnaire."""
    if response is None or not isinstance(response.draft, dict):
        return {}
    out = {}
    for key, value in response.draft.items():
        question_id, option_id = _as_id(key), _as_id(value)
        if question_id in codes and option_id is not None:
            out[question_id] = option_id
    return out


@dataclass
class AnswerSheet:
    """What the answering page and ``GET /answer/{token}`` show."""

    invitation: Invitation
    response: Response
    questions: list[Question]
    draft: dict[int, int]
    closes_at: dt.datetime

    @property
    def questionnaire(self):
        return self.invitation.respondent.group.questionnaire

    @property
    def total(self) -> int:
        return len(self.questions)

    @property
    def answered(self) -> int:
        return len(self.draft)


def _ensure_response(invitation: Invitation, *, ip: str | None, device: str) -> Response:
    respondent = invitation.respondent
    response, _created = Response.objects.get_or_create(
        invitation=invitation,
        defaults={
            "survey_id": respondent.survey_id,
            "group_id": respondent.group_id,
            "rated_unit_id": respondent.rated_unit_id,
            "ip": ip,
            "device": device,
        },
    )
    return response


def answer_open(*, raw: str, ip: str | None, device: str) -> AnswerSheet:
    """Open the link: check it, record when it was first opened and start the response (its ``started_at``)."""
    check_throttle(raw, ip)
    invitation = _lookup(raw, ip=ip)
    if invitation.used_at is not None:
        raise AlreadySubmitted(invitation.used_at)
    closes_at = _require_window(invitation)
    now = timezone.now()
    if invitation.opened_at is None:
        Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=now)
        invitation.opened_at = now
    questions = questions_of(invitation.respondent.group.questionnaire_id)
    if not questions:
        raise PermissionDenied(NOT_READY_MESSAGE)
    response = _ensure_response(invitation, ip=ip, device=device)
    codes = {q.pk: q.code for q in questions}
    return AnswerSheet(invitation, response, questions, draft_answers(response, codes), closes_at)


def draft_save(*, raw: str, answers, ip: str | None, device: str) -> tuple[Response, int, int]:
    """Merge ``answers`` into the saved progress (None clears one). Returns the response, answered and total."""
    check_throttle(raw, ip)
    with transaction.atomic():
        invitation = _lookup(raw, ip=ip, lock=True)
        if invitation.used_at is not None:
            raise AlreadySubmitted(invitation.used_at)
        _require_window(invitation)
        codes, options = _option_table(invitation.respondent.group.questionnaire_id)
        cleaned = clean_answers(answers, codes, options, complete=False)
        response = _ensure_response(invitation, ip=ip, device=device)
        if response.status != ResponseStatus.IN_PROGRESS:
            raise AlreadySubmitted(response.submitted_at)
        draft = {str(k): v for k, v in draft_answers(response, codes).items()}
        for question_id, option_id in cleaned.items():
            if option_id is None:
                draft.pop(str(question_id), None)
            else:
                draft[str(question_id)] = option_id
        if invitation.opened_at is None:
            Invitation.objects.filter(pk=invitation.pk).update(opened_at=timezone.now())
        Response.objects.filter(pk=response.pk).update(draft=draft)
        response.draft = draft
    return response, len(draft), len(codes)


@dataclass(frozen=True)
class _SubmitRow:
    """What a submission needs of the invitation, read in one query with the row lock (the hot path: no model
    instances, no extra query for the survey window or the response started when the link was opened)."""

    invitation_id: int
    used_at: dt.datetime | None
    expires_at: dt.datetime
    opened_at: dt.datetime | None
    respondent_status: str
    survey_id: int
    survey_name: str
    survey_status: str
    group_id: int
    rated_unit_id: int
    questionnaire_id: int
    questionnaire_version: dt.datetime
    response_id: int | None
    response_status: str | None
    response_submitted_at: dt.datetime | None
    window_opens: dt.datetime | None
    window_closes: dt.datetime | None


# The statements of a submission (the hot path skips the ORM's query compilation: about two thirds of a
# submission's CPU time in Python). Every value is a parameter; the tables are the models' (checked by the tests).
SUBMIT_LOOKUP_SQL = """
SELECT i.id, i.used_at, i.expires_at, i.opened_at, p.status, p.survey_id, s.name, s.status, p.group_id,
       p.rated_unit_id, g.questionnaire_id, q.updated_at, r.id, r.status, r.submitted_at, w.opens_at, w.closes_at
FROM surveys_invitation i
JOIN surveys_respondent p ON p.id = i.respondent_id
JOIN surveys_survey s ON s.id = p.survey_id
JOIN surveys_respondentgroup g ON g.id = p.group_id
JOIN surveys_questionnaire q ON q.id = g.questionnaire_id
LEFT JOIN surveys_response r ON r.invitation_id = i.id
LEFT JOIN cycles_window w ON w.cycle_id = s.cycle_id AND w.kind = 'survey'
WHERE i.token_hash = %s"""
SUBMIT_RESPONSE_SQL = """
INSERT INTO surveys_response (invitation_id, survey_id, group_id, rated_unit_id, status, draft, started_at,
                              submitted_at, ip, device, void_reason, restore_reason)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, '', '')"""
SUBMIT_RESPONSE_UPDATE_SQL = """
UPDATE surveys_response SET status = %s, submitted_at = %s, ip = %s, device = %s, draft = %s
WHERE id = %s AND status = %s"""
SUBMIT_ANSWERS_SQL = "INSERT INTO surveys_answer (response_id, question_id, option_id, weight, excluded) VALUES "
# PostgreSQL: after ``WITH r AS (<insert or update of the response> RETURNING id), `` — the answers from arrays, the
# invitation marked used; the response id and whether the invitation was marked come back.
SUBMIT_PG_TAIL = """a AS (
  INSERT INTO surveys_answer (response_id, question_id, option_id, weight, excluded)
  SELECT r.id, x.question_id, x.option_id, x.weight, x.excluded
  FROM r, unnest(%s::bigint[], %s::bigint[], %s::smallint[], %s::boolean[])
          AS x(question_id, option_id, weight, excluded)
), u AS (
  UPDATE surveys_invitation SET used_at = %s, opened_at = COALESCE(opened_at, %s)
  WHERE id = %s AND used_at IS NULL RETURNING id
)
SELECT (SELECT id FROM r), (SELECT count(*) FROM u)"""
SUBMITTED_VALUE = ResponseStatus.SUBMITTED.value
IN_PROGRESS_VALUE = ResponseStatus.IN_PROGRESS.value
SUBMIT_USED_SQL = """
UPDATE surveys_invitation SET used_at = %s, opened_at = COALESCE(opened_at, %s) WHERE id = %s AND used_at IS NULL"""


def _submit_sql() -> dict[str, str]:
    features = connection.features
    lock = " FOR UPDATE OF i" if features.has_select_for_update_of else ""  # the invitation row only
    returning = " RETURNING id" if features.can_return_columns_from_insert else ""
    return {
        "lookup": SUBMIT_LOOKUP_SQL + lock,
        "response": SUBMIT_RESPONSE_SQL + returning,
        "response_update": SUBMIT_RESPONSE_UPDATE_SQL,
        "answers": SUBMIT_ANSWERS_SQL,
        "used": SUBMIT_USED_SQL,
    }


_SQL: dict[str, dict[str, str]] = {}  # database alias → statements


def _sql() -> dict[str, str]:
    statements = _SQL.get(connection.alias)
    if statements is None:
        statements = _SQL[connection.alias] = _submit_sql()
    return statements


def _aware(value):
    """Datetimes read by a raw cursor: SQLite gives them naive, in UTC."""
    if isinstance(value, dt.datetime) and timezone.is_naive(value):
        return value.replace(tzinfo=dt.UTC)
    return value


def _lookup_for_submit(raw: str, *, ip: str | None) -> _SubmitRow:
    """The invitation by its token, locked (``SELECT … FOR UPDATE OF`` the invitation row on PostgreSQL), with what
    a submission needs of the respondent, the survey, the questionnaire's version, the response started at opening
    and the survey window: one statement."""
    if not isinstance(raw, str) or not TOKEN_RE.match(raw):
        raise _refuse(UNKNOWN_MESSAGE, "malformed", ip)
    with connection.cursor() as cursor:
        cursor.execute(_sql()["lookup"], [token_hash(raw)])
        values = cursor.fetchone()
    if values is None:
        raise _refuse(UNKNOWN_MESSAGE, "unknown", ip)
    row = _SubmitRow(*(_aware(v) for v in values))
    if row.respondent_status != RespondentStatus.INCLUDED:
        raise _refuse(UNKNOWN_MESSAGE, "unknown", ip)
    if timezone.now() >= row.expires_at and row.used_at is None:
        raise _refuse(EXPIRED_MESSAGE.format(moment=format_moment(row.expires_at)), "expired", ip)
    return row


def _check_window(*, name: str, status: str, opens, closes) -> None:
    if status == SurveyStatus.CLOSED:
        raise WindowClosedError(f"Cuộc điều tra “{name}” đã kết thúc; không nhận thêm phiếu trả lời.")
    if opens is None or closes is None:
        raise WindowClosedError("Chưa đặt thời hạn khảo sát; chưa nhận phiếu trả lời.")
    now = timezone.now()
    if now < opens:
        raise WindowClosedError(f"Cuộc khảo sát chưa bắt đầu: mở từ {format_moment(opens)}.")
    if now >= closes:
        raise WindowClosedError(
            f"Cuộc khảo sát đã kết thúc lúc {format_moment(closes)}; không nhận thêm phiếu trả lời."
        )


def _cached_option_table(questionnaire_id: int, version: dt.datetime) -> tuple[dict[int, str], dict[int, dict]]:
    """The option table from the cache, keyed by the questionnaire and its ``updated_at``: its structure only
    changes through the services of ``questionnaires``, which bump ``updated_at``, so a changed questionnaire is read
    again."""
    key = f"survey-options:{questionnaire_id}:{version.isoformat() if version else ''}"
    cached = cache.get(key)
    if cached is None:
        cached = _option_table(questionnaire_id)
        cache.set(key, cached, 600)
    return cached


def _response_params(row: _SubmitRow, *, moment, ip, device: str) -> tuple[str, list]:
    """The insert of a new response, or the completion of the one started when the link was opened."""
    sql = _sql()
    if row.response_id is None:
        params = [row.invitation_id, row.survey_id, row.group_id, row.rated_unit_id, SUBMITTED_VALUE, "{}"]
        return sql["response"], [*params, moment, moment, ip, device]
    return sql["response_update"], [SUBMITTED_VALUE, moment, ip, device, "{}", row.response_id, IN_PROGRESS_VALUE]


def _write_in_one_statement(row: _SubmitRow, rows: list[tuple], *, moment, ip, device: str) -> int | None:
    """PostgreSQL: the response, its answers (arrays unnested: a short statement whatever the questionnaire) and the
    invitation marked used, in one statement of data-modifying CTEs. The response id, or None when the response
    was not in progress or the link already used (the caller rolls back)."""
    response_sql, params = _response_params(row, moment=moment, ip=ip, device=device)
    if row.response_id is not None:
        response_sql += " RETURNING id"
    columns = list(zip(*rows, strict=True)) if rows else [(), (), (), ()]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH r AS ({response_sql}), {SUBMIT_PG_TAIL}",
            [*params, *(list(c) for c in columns), moment, moment, row.invitation_id],
        )
        response_id, used = cursor.fetchone()
    return response_id if used == 1 else None


def _write_statements(row: _SubmitRow, rows: list[tuple], *, moment, ip, device: str) -> int | None:
    """Other databases (SQLite): the same writes as three statements."""
    sql = _sql()
    response_sql, params = _response_params(row, moment=moment, ip=ip, device=device)
    with connection.cursor() as cursor:
        cursor.execute(response_sql, params)
        if row.response_id is None:
            response_id = cursor.fetchone()[0]
        elif cursor.rowcount != 1:
            return None
        else:
            response_id = row.response_id
        values = [
            v for question, option, weight, excluded in rows for v in (response_id, question, option, weight, excluded)
        ]
        cursor.execute(sql["answers"] + ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows)), values)
        cursor.execute(sql["used"], [moment, moment, row.invitation_id])
        if cursor.rowcount != 1:  # another submission got there first (no row lock on this database)
            return None
    return response_id


@dataclass(frozen=True)
class Submitted:
    response_id: int
    submitted_at: dt.datetime
    answers: int


def answer_submit(*, raw: str, answers, ip: str | None, device: str) -> Submitted:
    """Store the answers once. Raises TokenRefused (404), AlreadySubmitted (409), WindowClosedError (403),
    ValidationError (422); nothing is stored on any of them.

    Statements: the invitation with its row lock (and the window, the response started at opening); then, on
    PostgreSQL, one statement writing the response (insert or conditional update), its answers and the invitation
    marked used (conditional) — on other databases, three. The questionnaire's options come from the cache."""
    check_throttle(raw, ip)
    with transaction.atomic():
        row = _lookup_for_submit(raw, ip=ip)
        if row.used_at is not None:
            log.warning("survey link used again (invitation %s) from %s", row.invitation_id, ip or "?")
            raise AlreadySubmitted(row.used_at)
        try:
            _check_window(
                name=row.survey_name, status=row.survey_status, opens=row.window_opens, closes=row.window_closes
            )
        except WindowClosedError:
            log.warning("survey submission refused outside the window (invitation %s) from %s", row.invitation_id, ip)
            raise
        codes, options = _cached_option_table(row.questionnaire_id, row.questionnaire_version)
        if not codes:
            raise PermissionDenied(NOT_READY_MESSAGE)
        try:
            cleaned = clean_answers(answers, codes, options, complete=True)
        except ValidationError:
            log.info("survey submission refused: invalid answers (invitation %s)", row.invitation_id)
            raise
        now = timezone.now()
        ops = connection.ops
        if row.response_id is not None and row.response_status != ResponseStatus.IN_PROGRESS:
            raise AlreadySubmitted(row.response_submitted_at)
        rows = [(q, o, *options[q][o]) for q, o in cleaned.items()]  # question, option, weight, excluded
        write = _write_in_one_statement if connection.vendor == "postgresql" else _write_statements
        response_id = write(
            row, rows, moment=ops.adapt_datetimefield_value(now), ip=ops.adapt_ipaddressfield_value(ip), device=device
        )
        if response_id is None:  # the response was submitted, or the link used, by another request meanwhile
            raise AlreadySubmitted(None)
    return Submitted(response_id, now, len(cleaned))
