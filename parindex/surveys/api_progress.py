"""Survey progress, non-respondents, anomaly flags, voided responses, cancelled units and survey points on the API
(mounted with the survey router at ``/api/v1/surveys``). An access helper first, then a selector or a service."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from parindex.api.errors import error_responses
from parindex.api.pagination import DEFAULT_LIMIT, limit_param, offset_param, page

from . import access_progress as access
from . import flags as flag_services
from . import points as point_services
from . import progress as selectors
from .models import Cancellation, Flag, RespondentGroup, Response, SurveyScore

router = Router(tags=["Điều tra xã hội học: tiến độ, bất thường, điểm"])


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class CountsOut(Schema):
    invited: int = Field(..., description="Số người được mời (có đường dẫn cá nhân).")
    sent: int
    bounced: int
    opened: int = Field(..., description="Số người đã mở đường dẫn.")
    in_progress: int
    answered: int = Field(..., description="Số phiếu đã nộp (không tính phiếu bị hủy).")
    voided: int
    not_answered: int
    rate: Decimal | None = Field(..., description="Tỷ lệ trả lời (%), làm tròn hai chữ số.")


class GroupProgressOut(Schema):
    id: int
    code: str
    name: str
    counts: CountsOut


class UnitGroupCountsOut(Schema):
    group_id: int
    counts: CountsOut


class UnitProgressOut(Schema):
    unit_id: int
    code: str
    name: str
    counts: CountsOut
    groups: list[UnitGroupCountsOut]


class UnitProgressPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[UnitProgressOut]


class DayOut(Schema):
    day: dt.date
    answered: int
    cumulative: int


class ProgressOut(Schema):
    survey_id: int
    total: CountsOut
    groups: list[GroupProgressOut]
    units: UnitProgressPage = Field(..., description="Theo đơn vị được đánh giá, tỷ lệ trả lời thấp trước.")
    days: list[DayOut]


class NonRespondentOut(Schema):
    id: int
    full_name: str
    position: str
    email: str
    phone: str
    group_id: int
    group: str
    unit_id: int
    unit: str
    sent_at: dt.datetime | None
    bounced: bool
    opened: bool
    started: bool
    reminders_sent: int


class NonRespondentPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[NonRespondentOut]


class FlagOut(Schema):
    id: int
    kind: str
    kind_label: str
    unit_id: int | None
    unit: str | None
    key: str
    summary: str
    evidence: dict
    responses: list[int]
    status: str
    status_label: str
    note: str
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    created_at: dt.datetime


class FlagPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[FlagOut]


class DetectOut(Schema):
    found: int
    created: int
    updated: int
    by_kind: dict[str, int]
    notified: int = Field(0, description="Thông báo gửi người điều phối (một thông báo mỗi đơn vị có dấu hiệu mới).")


class FlagReviewIn(InputSchema):
    status: Literal["dismissed", "confirmed"] = Field(..., description="dismissed: không vi phạm; confirmed: vi phạm.")
    note: str = Field(..., min_length=1, max_length=2000)


class ReasonIn(InputSchema):
    reason: str = Field(..., min_length=1, max_length=2000)


class ResponseOut(Schema):
    id: int
    survey_id: int
    unit_id: int
    group_id: int
    status: str
    submitted_at: dt.datetime | None
    void_reason: str
    voided_by: str | None
    voided_at: dt.datetime | None
    restore_reason: str = Field(..., description="Lý do của lần khôi phục gần nhất (phiếu từng bị hủy).")
    restored_by: str | None
    restored_at: dt.datetime | None


class ResponseAnswerOut(Schema):
    question: str = Field(..., description="Mã câu hỏi.")
    text: str
    option: str = Field(..., description="Mã phương án đã chọn.")
    option_text: str
    weight: int
    excluded: bool = Field(..., description="Phương án “không biết / không trả lời”: không tính điểm.")


class ResponseFlagOut(Schema):
    id: int
    kind: str
    kind_label: str
    status: str
    summary: str


class ResponseDetailOut(ResponseOut):
    unit: str
    group: str
    started_at: dt.datetime
    seconds: int | None = Field(..., description="Thời gian từ lúc mở phiếu đến lúc nộp (giây).")
    ip: str | None
    device: str = Field(..., description="Dấu vân tay thiết bị (băm).")
    answers: list[ResponseAnswerOut] = Field(..., description="Câu trả lời đã nộp (hoặc đã lưu, khi chưa nộp).")
    flags: list[ResponseFlagOut]


class CancellationIn(InputSchema):
    unit: int = Field(..., description="id đơn vị bị hủy kết quả khảo sát.")
    reason: str = Field(..., min_length=1, max_length=2000)


class CancellationOut(Schema):
    id: int
    survey_id: int
    unit_id: int
    unit: str
    reason: str
    cancelled_by: str
    cancelled_at: dt.datetime
    revoked_at: dt.datetime | None
    revoked_by: str | None
    revoke_reason: str
    active: bool


class ComputeOut(Schema):
    rows: int
    computed_at: dt.datetime | None


class ScoreOut(Schema):
    unit_id: int
    unit: str
    node: str
    node_name: str
    points: Decimal | None
    max_points: Decimal
    answers: int
    note: str
    computed_at: dt.datetime


class ScorePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ScoreOut]


# --- helpers ------------------------------------------------------------------------------------------------------


def _counts(c: selectors.Counts) -> dict:
    return c.as_dict()


def _group(survey, group_id) -> RespondentGroup | None:
    if group_id is None:
        return None
    from django.http import Http404

    group = RespondentGroup.objects.filter(survey=survey, pk=group_id).first()
    if group is None:
        raise Http404("Không tìm thấy nhóm người trả lời.")
    return group


def _flag_out(flag: Flag, response_ids: list[int] | None = None) -> dict:
    return {
        "id": flag.pk,
        "kind": flag.kind,
        "kind_label": flag.get_kind_display(),
        "unit_id": flag.unit_id,
        "unit": flag.unit.name if flag.unit_id else None,
        "key": flag.key,
        "summary": str(flag.evidence.get("summary", "")) if isinstance(flag.evidence, dict) else "",
        "evidence": flag.evidence if isinstance(flag.evidence, dict) else {},
        "responses": response_ids if response_ids is not None else [r.pk for r in flag.responses.all()],
        "status": flag.status,
        "status_label": flag.get_status_display(),
        "note": flag.note,
        "reviewed_by": str(flag.reviewed_by) if flag.reviewed_by_id else None,
        "reviewed_at": flag.reviewed_at,
        "created_at": flag.created_at,
    }


def _response_out(r: Response) -> dict:
    return {
        "id": r.pk,
        "survey_id": r.survey_id,
        "unit_id": r.rated_unit_id,
        "group_id": r.group_id,
        "status": r.status,
        "submitted_at": r.submitted_at,
        "void_reason": r.void_reason,
        "voided_by": str(r.voided_by) if r.voided_by_id else None,
        "voided_at": r.voided_at,
        "restore_reason": r.restore_reason,
        "restored_by": str(r.restored_by) if r.restored_by_id else None,
        "restored_at": r.restored_at,
    }


def _cancellation_out(c: Cancellation) -> dict:
    return {
        "id": c.pk,
        "survey_id": c.survey_id,
        "unit_id": c.unit_id,
        "unit": c.unit.name,
        "reason": c.reason,
        "cancelled_by": str(c.cancelled_by),
        "cancelled_at": c.cancelled_at,
        "revoked_at": c.revoked_at,
        "revoked_by": str(c.revoked_by) if c.revoked_by_id else None,
        "revoke_reason": c.revoke_reason,
        "active": c.revoked_at is None,
    }


# --- progress -----------------------------------------------------------------------------------------------------


@router.get(
    "/{survey_id}/progress",
    response={200: ProgressOut, **error_responses(401, 403, 404, 422)},
    summary="Tiến độ khảo sát theo đơn vị, nhóm và ngày",
)
def progress(
    request,
    survey_id: int,
    unit: int | None = None,
    group: int | None = None,
    limit: Annotated[int, limit_param()] = DEFAULT_LIMIT,
    offset: Annotated[int, offset_param()] = 0,
):
    survey = access.require_progress(request.user, survey_id)
    unit_obj = access.require_unit_in_progress(request.user, survey, unit)
    data = selectors.progress_counts(
        survey=survey,
        scope=access.scope_ids(request.user, survey, access.PROGRESS_ROLES),
        unit=unit_obj,
        group=_group(survey, group),
    )
    units = [
        {
            "unit_id": u.unit_id,
            "code": u.code,
            "name": u.name,
            "counts": _counts(u.counts),
            "groups": [{"group_id": gid, "counts": _counts(c)} for gid, c in sorted(u.by_group.items())],
        }
        for u in data.units
    ]
    return {
        "survey_id": survey.pk,
        "total": _counts(data.total),
        "groups": [{**g, "counts": _counts(g["counts"])} for g in data.groups],
        "units": page(units, limit=limit, offset=offset),
        "days": [{k: d[k] for k in ("day", "answered", "cumulative")} for d in data.days],
    }


@router.get(
    "/{survey_id}/non-respondents",
    response={200: NonRespondentPage, **error_responses(401, 403, 404, 422)},
    summary="Người chưa trả lời (để đôn đốc) — chỉ người điều phối của đơn vị",
)
def non_respondents(
    request,
    survey_id: int,
    unit: int | None = None,
    group: int | None = None,
    limit: Annotated[int, limit_param()] = DEFAULT_LIMIT,
    offset: Annotated[int, offset_param()] = 0,
):
    survey = access.require_progress(request.user, survey_id)
    unit_obj = access.require_unit_in_progress(request.user, survey, unit)
    access.require_personal(request.user, survey, unit_obj)
    qs = selectors.non_respondents(
        survey=survey, personal=access.personal_q(request.user), unit=unit_obj, group=_group(survey, group)
    )
    result = page(qs, limit=limit, offset=offset)
    items = []
    for r in result["items"]:
        inv = r.invitation
        response = getattr(inv, "response", None)
        items.append(
            {
                "id": r.pk,
                "full_name": r.full_name,
                "position": r.position,
                "email": r.email,
                "phone": r.phone,
                "group_id": r.group_id,
                "group": r.group.name,
                "unit_id": r.rated_unit_id,
                "unit": r.rated_unit.name,
                "sent_at": inv.sent_at,
                "bounced": inv.bounced_at is not None,
                "opened": inv.opened_at is not None or response is not None,
                "started": response is not None,
                "reminders_sent": inv.reminders_sent,
            }
        )
    return {**result, "items": items}


# --- flags --------------------------------------------------------------------------------------------------------


@router.get(
    "/{survey_id}/flags",
    response={200: FlagPage, **error_responses(401, 403, 404, 422)},
    summary="Dấu hiệu bất thường",
)
def flags_list(
    request,
    survey_id: int,
    unit: int | None = None,
    kind: Literal["too_fast", "identical", "burst", "straight_lining", "late", "one_person_many"] | None = None,
    status: Literal["open", "dismissed", "confirmed"] | None = None,
    limit: Annotated[int, limit_param()] = DEFAULT_LIMIT,
    offset: Annotated[int, offset_param()] = 0,
):
    survey = access.require_flags(request.user, survey_id)
    qs = access.flags_visible(request.user, survey).order_by("-created_at", "-pk")
    if unit is not None:
        qs = qs.filter(unit_id=unit)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    result = page(qs, limit=limit, offset=offset)
    through = Flag.responses.through
    links: dict[int, list[int]] = {}
    for flag_id, response_id in through.objects.filter(flag_id__in=[f.pk for f in result["items"]]).values_list(
        "flag_id", "response_id"
    ):
        links.setdefault(flag_id, []).append(response_id)
    return {**result, "items": [_flag_out(f, sorted(links.get(f.pk, []))) for f in result["items"]]}


@router.post(
    "/{survey_id}/flags/detect",
    response={200: DetectOut, **error_responses(401, 403, 404, 422)},
    summary="Rà soát dấu hiệu bất thường (chạy lại nhiều lần không tạo trùng)",
)
def flags_detect(
    request,
    survey_id: int,
    straight_lining_min_questions: Annotated[
        int, Query(ge=2, le=200, description="Số câu hỏi tối thiểu để xét “mọi câu cùng một phương án”.")
    ] = flag_services.STRAIGHT_LINING_MIN_QUESTIONS,
):
    survey = access.require_flags(request.user, survey_id)
    return flag_services.detect_flags(
        survey=survey, straight_lining_min_questions=straight_lining_min_questions, actor=request.user
    )


@router.get(
    "/flags/{flag_id}",
    response={200: FlagOut, **error_responses(401, 403, 404, 422)},
    summary="Một dấu hiệu bất thường và bằng chứng",
)
def flag_detail(request, flag_id: int):
    flag = access.require_flag(request.user, flag_id)
    return _flag_out(flag)


@router.post(
    "/flags/{flag_id}/review",
    response={200: FlagOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Xem xét dấu hiệu: không vi phạm hoặc xác nhận vi phạm, kèm ghi chú",
)
def flag_review(request, flag_id: int, payload: FlagReviewIn):
    flag = access.require_flag(request.user, flag_id)
    flag = flag_services.flag_review(flag=flag, status=payload.status, note=payload.note, actor=request.user)
    return _flag_out(Flag.objects.select_related("unit", "reviewed_by").get(pk=flag.pk))


# --- voiding and cancelling ---------------------------------------------------------------------------------------


@router.get(
    "/responses/{response_id}",
    response={200: ResponseDetailOut, **error_responses(401, 403, 404, 422)},
    summary="Một phiếu trả lời: câu trả lời, dấu vết và các dấu hiệu bất thường (bằng chứng khi xem xét)",
)
def response_detail(request, response_id: int):
    response = access.require_response(request.user, response_id)
    evidence = selectors.response_evidence(response)
    return {
        **_response_out(response),
        "unit": response.rated_unit.name,
        "group": response.group.name,
        "started_at": response.started_at,
        "seconds": evidence.seconds,
        "ip": response.ip,
        "device": response.device,
        "answers": [
            {
                "question": a.code,
                "text": a.text,
                "option": a.option_code,
                "option_text": a.option_text,
                "weight": a.weight,
                "excluded": a.excluded,
            }
            for a in evidence.answers
        ],
        "flags": [
            {
                "id": f.pk,
                "kind": f.kind,
                "kind_label": f.get_kind_display(),
                "status": f.status,
                "summary": str(f.evidence.get("summary", "")) if isinstance(f.evidence, dict) else "",
            }
            for f in evidence.flags
        ],
    }


@router.post(
    "/responses/{response_id}/void",
    response={200: ResponseOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Hủy một phiếu trả lời (quản lý Chỉ số, kèm lý do)",
)
def response_void(request, response_id: int, payload: ReasonIn):
    response = access.require_response_void(request.user, response_id)
    return _response_out(flag_services.response_void(response=response, reason=payload.reason, actor=request.user))


@router.post(
    "/responses/{response_id}/restore",
    response={200: ResponseOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Khôi phục phiếu đã hủy (quản lý Chỉ số, kèm lý do)",
)
def response_restore(request, response_id: int, payload: ReasonIn):
    response = access.require_response_void(request.user, response_id)
    return _response_out(flag_services.response_restore(response=response, reason=payload.reason, actor=request.user))


@router.get(
    "/{survey_id}/cancellations",
    response={200: list[CancellationOut], **error_responses(401, 403, 404, 422)},
    summary="Các quyết định hủy kết quả khảo sát của đơn vị",
)
def cancellations_list(request, survey_id: int):
    survey = access.require_progress(request.user, survey_id)
    qs = (
        Cancellation.objects.filter(survey=survey)
        .select_related("unit", "cancelled_by", "revoked_by")
        .order_by("-cancelled_at")
    )
    scope = access.scope_ids(request.user, survey, access.PROGRESS_ROLES)
    if scope is not None:
        qs = qs.filter(unit__in=scope)
    return [_cancellation_out(c) for c in qs]


@router.post(
    "/{survey_id}/cancellations",
    response={201: CancellationOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Hủy toàn bộ kết quả khảo sát của một đơn vị (quản lý Chỉ số, kèm lý do)",
)
def cancellation_create(request, survey_id: int, payload: CancellationIn):
    survey = access.require_survey_manage(request.user, survey_id)
    unit = access.require_unit_cancel(request.user, survey, payload.unit)
    cancellation = flag_services.survey_cancel_unit(survey=survey, unit=unit, reason=payload.reason, actor=request.user)
    return Status(201, _cancellation_out(cancellation))


@router.post(
    "/cancellations/{cancellation_id}/revoke",
    response={200: CancellationOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Thu hồi quyết định hủy kết quả khảo sát (quản lý Chỉ số, kèm lý do)",
)
def cancellation_revoke(request, cancellation_id: int, payload: ReasonIn):
    cancellation = access.require_cancellation(request.user, cancellation_id)
    return _cancellation_out(
        flag_services.cancellation_revoke(cancellation=cancellation, reason=payload.reason, actor=request.user)
    )


# --- survey points ------------------------------------------------------------------------------------------------


@router.post(
    "/{survey_id}/points/compute",
    response={200: ComputeOut, **error_responses(401, 403, 404, 422)},
    summary="Tính điểm điều tra XHH của mọi đơn vị (thay kết quả tính trước)",
)
def points_compute(request, survey_id: int):
    survey = access.require_points_compute(request.user, survey_id)
    rows = point_services.survey_points_compute(survey=survey, actor=request.user)
    latest = SurveyScore.objects.filter(survey=survey).order_by("-computed_at").values_list("computed_at", flat=True)
    return {"rows": rows, "computed_at": latest.first()}


@router.get(
    "/{survey_id}/points",
    response={200: ScorePage, **error_responses(401, 403, 404, 422)},
    summary="Điểm điều tra XHH theo đơn vị và tiêu chí",
)
def points_list(
    request,
    survey_id: int,
    unit: int | None = None,
    node: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, limit_param()] = DEFAULT_LIMIT,
    offset: Annotated[int, offset_param()] = 0,
):
    survey = access.require_progress(request.user, survey_id)
    qs = (
        SurveyScore.objects.filter(survey=survey)
        .select_related("unit", "node")
        .order_by("unit__name", "node__order", "node__code")
    )
    scope = access.scope_ids(request.user, survey, access.PROGRESS_ROLES)
    if scope is not None:
        qs = qs.filter(unit__in=scope)
    if unit is not None:
        qs = qs.filter(unit_id=unit)
    if node:
        qs = qs.filter(node__code=node)
    result = page(qs, limit=limit, offset=offset)
    return {
        **result,
        "items": [
            {
                "unit_id": s.unit_id,
                "unit": s.unit.name,
                "node": s.node.code,
                "node_name": s.node.name,
                "points": s.points,
                "max_points": s.node.max_points,
                "answers": s.answers,
                "note": s.note,
                "computed_at": s.computed_at,
            }
            for s in result["items"]
        ],
    }
