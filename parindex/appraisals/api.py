"""The appraisal on the API (mounted at ``/api/v1/appraisals``): the council and its members, assignments and
workload, the appraiser's worklist, round 1 and 2 per entry (409 with the current values on a stale ``version``),
explanation requests and answers, votes, confirmation, reopening, disagreements and the history of an entry.

No business logic here: an access helper first, then a selector (reads) or a service (writes)."""

from __future__ import annotations

from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Path, Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from parindex.api.errors import error_responses
from parindex.api.schemas.common import MAX_ID, DbId, Text
from parindex.assessments.models import Entry
from parindex.frameworks.models import Node
from parindex.orgs.models import OrgUnit, User

from . import access, selectors, services
from .models import Assignment, CouncilMember

router = Router(tags=["Thẩm định"])

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
READ_ERRORS = error_responses(401, 403, 404, 422)
WRITE_ERRORS = error_responses(400, 401, 403, 404, 409, 422)


# --- schemas ------------------------------------------------------------------------------------------------------


class _InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class AppraisalPerson(Schema):
    id: int
    username: str
    name: str


class AppraisalUnit(Schema):
    id: int
    code: str
    name: str


class CouncilMemberOut(Schema):
    id: int
    user: AppraisalPerson
    role: str = Field(..., description="chair, vice_chair, member, secretary, working_group")
    role_label: str
    organisation: AppraisalUnit | None
    position: str
    votes: bool = Field(..., description="Có quyền biểu quyết (tổ giúp việc không biểu quyết).")
    ended_at: str | None


class AppraisalCouncilOut(Schema):
    id: int | None = Field(..., description="null: đợt đánh giá chưa có hội đồng.")
    cycle_id: int
    name: str
    decision: str
    members: list[CouncilMemberOut]


class AppraisalCouncilIn(_InputSchema):
    name: Text = Field(..., min_length=1, max_length=300)
    decision: Text = Field("", max_length=300)


class CouncilMemberIn(_InputSchema):
    user_id: DbId
    role: Literal["chair", "vice_chair", "member", "secretary", "working_group"] = "member"
    organisation_id: DbId | None = None
    position: Text = Field("", max_length=200)


class AppraisalNode(Schema):
    id: int
    code: str
    name: str


class AppraisalAssignmentOut(Schema):
    id: int
    cycle_id: int
    appraiser: AppraisalPerson
    node: AppraisalNode | None = Field(
        ..., description="Lĩnh vực, tiêu chí (cùng các tiêu chí con); null: mọi tiêu chí."
    )
    unit: AppraisalUnit | None = Field(..., description="Đơn vị được thẩm định; null: mọi đơn vị của đợt.")
    agency: AppraisalUnit | None
    ended_at: str | None


class AppraisalAssignmentIn(_InputSchema):
    appraiser_id: DbId
    node_id: DbId | None = None
    unit_id: DbId | None = None
    agency_id: DbId | None = None


class AppraisalAssignmentPatchIn(_InputSchema):
    agency_id: DbId | None = Field(..., description="Cơ quan thẩm định (null: bỏ trống).")


class AppraisalWorkloadOut(Schema):
    appraiser: AppraisalPerson
    assignments: int
    assigned: int = Field(..., description="Số tiêu chí được giao trong mọi đơn vị của đợt.")
    sent: int = Field(..., description="Trong đó thuộc các bản tự đánh giá đã gửi.")
    round1: int
    round2: int


class AppraisalWorkOut(Schema):
    assessment_id: int
    cycle_id: int
    unit: AppraisalUnit
    status: str
    status_label: str
    assigned: int
    round1: int
    round2: int
    requests: int
    answered: int


class AppraisalEntryOut(Schema):
    id: int
    node: str
    self_points: str | None
    round1_points: str | None
    round1_comment: str
    round1_by: str | None
    round1_at: str | None
    explanation_request: str
    explanation_requested_at: str | None
    explanation_answer: str
    explanation_answered_at: str | None
    round2_points: str | None
    round2_comment: str
    round2_by: str | None
    round2_at: str | None
    appraised_points: str | None
    version: int


class AppraisalGridEntryOut(AppraisalEntryOut):
    name: str
    max_points: str
    method: str
    declared: object | None = None
    explanation: str
    appraised: bool = Field(..., description="Tiêu chí được thẩm định (không phải điều tra XHH, thống kê).")
    can_write: bool = Field(..., description="Người gọi được phân công thẩm định tiêu chí này.")


class AppraisalGridOut(Schema):
    assessment_id: int
    unit: AppraisalUnit
    status: str
    self_total: str
    appraised_total: str
    entries: list[AppraisalGridEntryOut]


class Round1In(_InputSchema):
    version: int = Field(
        ..., ge=1, le=2**31 - 1, description="Phiên bản của tiêu chí đã đọc; khác phiên bản hiện tại → 409."
    )
    points: Text | float | None = Field(None, description="Điểm (trong khoảng và theo bước của tiêu chí).")
    comment: Text = Field("", max_length=5000, description="Bắt buộc khi điểm khác điểm tự chấm (vòng 1).")
    confirm: bool = Field(False, description="Vòng 1: giữ điểm tự chấm (bỏ qua `points`).")


class Round2In(_InputSchema):
    version: int = Field(..., ge=1, le=2**31 - 1)
    points: Text | float | None = None
    comment: Text = Field("", max_length=5000, description="Bắt buộc khi điểm khác điểm vòng 1.")
    keep_round1: bool = Field(False, description="Giữ điểm vòng 1 (bỏ qua `points`).")


class EntryTextIn(_InputSchema):
    version: int = Field(..., ge=1, le=2**31 - 1)
    text: Text = Field(..., max_length=5000)


class Round1CarriedOut(Schema):
    count: int
    entries: list[str]


class CouncilVoteIn(_InputSchema):
    member_id: DbId
    choice: Literal["agree", "disagree", "abstain"]
    comment: Text = Field("", max_length=5000)


class CouncilVoteOut(Schema):
    member_id: int
    member: str
    role: str
    round: int
    choice: str | None
    choice_label: str | None
    comment: str


class CouncilVotesOut(Schema):
    assessment_id: int
    round: int
    voting_members: int
    agree: int
    disagree: int
    abstain: int
    needed: int = Field(..., description="Số phiếu đồng ý cần có: quá nửa tổng số thành viên có quyền biểu quyết.")
    passed: bool
    votes: list[CouncilVoteOut]


class AppraisalStatusOut(Schema):
    assessment_id: int
    status: str
    status_label: str
    confirmation_round: int
    confirmed_at: str | None
    confirmed_by: str | None


class AppraisalReopenIn(_InputSchema):
    reason: Text = Field(..., min_length=1, max_length=5000)


class DisagreementOut(Schema):
    entry_id: int
    node: str
    name: str
    self_points: str | None
    appraised_points: str
    difference: str
    round1_comment: str
    explanation_answer: str
    round2_comment: str


class DisagreementsOut(Schema):
    assessment_id: int
    self_total: str
    appraised_total: str
    difference: str
    not_appraised: list[str] = Field(..., description="Mã các tiêu chí chưa có điểm thẩm định.")
    items: list[DisagreementOut]


class ScoreChangeOut(Schema):
    id: int
    stage: str = Field(..., description="self (tự chấm), round1, round2")
    stage_label: str
    old_points: str | None
    new_points: str | None
    old_declared: object | None = None
    new_declared: object | None = None
    reason: str
    actor: str
    created_at: str


# --- helpers ------------------------------------------------------------------------------------------------------


def _person(user) -> dict:
    return {"id": user.pk, "username": user.username, "name": user.display_name}


def _unit(unit) -> dict | None:
    return {"id": unit.pk, "code": unit.code, "name": unit.name} if unit else None


def _moment(value) -> str | None:
    return value.isoformat() if value else None


def _points(value) -> str | None:
    return str(value) if value is not None else None


def _member_out(member: CouncilMember) -> dict:
    from .models import VOTING_ROLES

    return {
        "id": member.pk,
        "user": _person(member.user),
        "role": member.role,
        "role_label": member.get_role_display(),
        "organisation": _unit(member.organisation),
        "position": member.position,
        "votes": member.role in VOTING_ROLES,
        "ended_at": _moment(member.ended_at),
    }


def _council_out(cycle) -> dict:
    council = selectors.council_of(cycle)
    return {
        "id": council.pk if council else None,
        "cycle_id": cycle.pk,
        "name": council.name if council else "",
        "decision": council.decision if council else "",
        "members": [_member_out(m) for m in selectors.council_members(council)],
    }


def _assignment_out(a: Assignment) -> dict:
    return {
        "id": a.pk,
        "cycle_id": a.cycle_id,
        "appraiser": _person(a.appraiser),
        "node": {"id": a.node.pk, "code": a.node.code, "name": a.node.name} if a.node else None,
        "unit": _unit(a.unit),
        "agency": _unit(a.agency),
        "ended_at": _moment(a.ended_at),
    }


def _get(model, pk, field: str, label: str):
    if pk is None:
        return None
    try:
        return model.objects.get(pk=pk)
    except model.DoesNotExist:
        raise ValidationError({field: f"Không tìm thấy {label} có id {pk}."}) from None


def _entry_out(entry: Entry) -> dict:
    entry = Entry.objects.select_related("node", "round1_by", "round2_by").get(pk=entry.pk)
    return services.entry_payload(entry)


def _status_out(assessment) -> dict:
    return {
        "assessment_id": assessment.pk,
        "status": assessment.status,
        "status_label": assessment.get_status_display(),
        "confirmation_round": assessment.confirmation_round,
        "confirmed_at": _moment(assessment.confirmed_at),
        "confirmed_by": assessment.confirmed_by.display_name if assessment.confirmed_by_id else None,
    }


def _votes_out(assessment) -> dict:
    result = services.tally(assessment)
    votes = []
    for member in result["members"]:
        vote = result["votes"].get(member.pk)
        votes.append(
            {
                "member_id": member.pk,
                "member": member.user.display_name,
                "role": member.role,
                "round": assessment.confirmation_round,
                "choice": vote.choice if vote else None,
                "choice_label": vote.get_choice_display() if vote else None,
                "comment": vote.comment if vote else "",
            }
        )
    return {
        "assessment_id": assessment.pk,
        "round": assessment.confirmation_round,
        "voting_members": result["total"],
        "agree": result["agree"],
        "disagree": result["disagree"],
        "abstain": result["abstain"],
        "needed": result["needed"],
        "passed": result["passed"],
        "votes": votes,
    }


# --- council ------------------------------------------------------------------------------------------------------


@router.get(
    "/cycles/{cycle_id}/council", response={200: AppraisalCouncilOut, **READ_ERRORS}, summary="Hội đồng thẩm định"
)
def council_read(request: HttpRequest, cycle_id: Id):
    """Hội đồng của đợt đánh giá và các thành viên (cả người đã thôi tham gia)."""
    cycle = access.require_cycle_read(request.auth, cycle_id)
    return _council_out(cycle)


@router.put(
    "/cycles/{cycle_id}/council",
    response={200: AppraisalCouncilOut, **WRITE_ERRORS},
    summary="Lập, sửa hội đồng thẩm định",
)
def council_write(request: HttpRequest, cycle_id: Id, payload: AppraisalCouncilIn):
    """Quản lý Chỉ số của cơ quan đánh giá lập hội đồng (hoặc sửa tên, quyết định thành lập)."""
    cycle = access.require_cycle_manage(request.auth, cycle_id)
    services.council_save(cycle=cycle, name=payload.name, decision=payload.decision, actor=request.auth)
    return _council_out(cycle)


@router.post(
    "/cycles/{cycle_id}/council/members",
    response={201: CouncilMemberOut, **WRITE_ERRORS},
    summary="Thêm thành viên hội đồng",
)
def member_add(request: HttpRequest, cycle_id: Id, payload: CouncilMemberIn):
    cycle = access.require_cycle_manage(request.auth, cycle_id)
    council = selectors.council_of(cycle)
    if council is None:
        raise ValidationError("Hãy lập hội đồng trước khi thêm thành viên.")
    member = services.council_member_add(
        council=council,
        user=_get(User, payload.user_id, "user_id", "người dùng"),
        role=payload.role,
        organisation=_get(OrgUnit, payload.organisation_id, "organisation_id", "đơn vị"),
        position=payload.position,
        actor=request.auth,
    )
    return Status(201, _member_out(member))


@router.post(
    "/council-members/{member_id}/end",
    response={200: CouncilMemberOut, **WRITE_ERRORS},
    summary="Cho thành viên thôi tham gia",
)
def member_end(request: HttpRequest, member_id: Id):
    member = access.require_member_manage(request.auth, member_id)
    member = services.council_member_end(member=member, actor=request.auth)
    return _member_out(member)


# --- assignments and workload -------------------------------------------------------------------------------------


@router.get(
    "/cycles/{cycle_id}/assignments",
    response={200: list[AppraisalAssignmentOut], **READ_ERRORS},
    summary="Phân công thẩm định",
)
def assignment_list(request: HttpRequest, cycle_id: Id, active: bool = False):
    """Mọi phân công của đợt (`active=true`: chỉ phân công còn hiệu lực)."""
    cycle = access.require_cycle_read(request.auth, cycle_id)
    return [_assignment_out(a) for a in selectors.cycle_assignments(cycle, include_ended=not active)]


@router.post(
    "/cycles/{cycle_id}/assignments",
    response={201: AppraisalAssignmentOut, **WRITE_ERRORS},
    summary="Phân công thẩm định",
)
def assignment_create(request: HttpRequest, cycle_id: Id, payload: AppraisalAssignmentIn):
    """Giao cho người thẩm định một lĩnh vực (nút và các nút con) và/hoặc một đơn vị, ghi cơ quan thẩm định."""
    cycle = access.require_cycle_manage(request.auth, cycle_id)
    assignment = services.assignment_create(
        cycle=cycle,
        appraiser=_get(User, payload.appraiser_id, "appraiser_id", "người dùng"),
        node=_get(Node, payload.node_id, "node_id", "tiêu chí"),
        unit=_get(OrgUnit, payload.unit_id, "unit_id", "đơn vị"),
        agency=_get(OrgUnit, payload.agency_id, "agency_id", "đơn vị"),
        actor=request.auth,
    )
    return Status(201, _assignment_out(assignment))


@router.get(
    "/assignments/{assignment_id}", response={200: AppraisalAssignmentOut, **READ_ERRORS}, summary="Một phân công"
)
def assignment_read(request: HttpRequest, assignment_id: Id):
    return _assignment_out(access.require_assignment_read(request.auth, assignment_id))


@router.patch(
    "/assignments/{assignment_id}",
    response={200: AppraisalAssignmentOut, **WRITE_ERRORS},
    summary="Sửa cơ quan thẩm định",
)
def assignment_update(request: HttpRequest, assignment_id: Id, payload: AppraisalAssignmentPatchIn):
    """Phạm vi (lĩnh vực, đơn vị) không sửa: hãy kết thúc phân công và tạo phân công mới."""
    assignment = access.require_assignment_manage(request.auth, assignment_id)
    assignment = services.assignment_update(
        assignment=assignment, agency=_get(OrgUnit, payload.agency_id, "agency_id", "đơn vị"), actor=request.auth
    )
    return _assignment_out(access.require_assignment_read(request.auth, assignment.pk))


@router.delete(
    "/assignments/{assignment_id}", response={200: AppraisalAssignmentOut, **WRITE_ERRORS}, summary="Kết thúc phân công"
)
def assignment_end(request: HttpRequest, assignment_id: Id):
    """Phân công được kết thúc (ghi thời điểm), không bị xóa."""
    assignment = access.require_assignment_manage(request.auth, assignment_id)
    services.assignment_end(assignment=assignment, actor=request.auth)
    return _assignment_out(access.require_assignment_read(request.auth, assignment.pk))


@router.get(
    "/cycles/{cycle_id}/workload",
    response={200: list[AppraisalWorkloadOut], **READ_ERRORS},
    summary="Khối lượng thẩm định",
)
def workload(request: HttpRequest, cycle_id: Id):
    cycle = access.require_cycle_read(request.auth, cycle_id)
    return [{**row, "appraiser": _person(row["appraiser"])} for row in selectors.workload(cycle)]


# --- the appraiser's work -----------------------------------------------------------------------------------------


@router.get(
    "/worklist", response={200: list[AppraisalWorkOut], **error_responses(401, 403, 422)}, summary="Việc thẩm định"
)
def worklist(request: HttpRequest, cycle: Annotated[DbId | None, Query(description="id đợt đánh giá.")] = None):
    """Các bản tự đánh giá đã gửi có tiêu chí được giao cho người gọi, với tiến độ."""
    user = request.auth
    return [
        {
            "assessment_id": row["assessment"].pk,
            "cycle_id": row["assessment"].cycle_id,
            "unit": _unit(row["assessment"].unit),
            "status": row["assessment"].status,
            "status_label": row["assessment"].get_status_display(),
            **{k: row[k] for k in ("assigned", "round1", "round2", "requests", "answered")},
        }
        for row in selectors.worklist(user, cycle_id=cycle)
    ]


@router.get(
    "/assessments/{assessment_id}/entries",
    response={200: AppraisalGridOut, **READ_ERRORS},
    summary="Bảng thẩm định của đơn vị",
)
def grid(request: HttpRequest, assessment_id: Id):
    assessment = access.require_appraisal_read(request.auth, assessment_id)
    data = selectors.appraisal_grid(assessment, request.auth)
    entries = []
    for row in data["rows"]:
        entry = row["entry"]
        if entry is None:
            continue
        entries.append(
            {
                **services.entry_payload(entry),
                "name": row["node"].name,
                "max_points": str(row["node"].max_points),
                "method": row["node"].method,
                "declared": entry.declared,
                "explanation": entry.explanation,
                "appraised": row["appraised"],
                "can_write": row["can_write"],
            }
        )
    return {
        "assessment_id": assessment.pk,
        "unit": _unit(assessment.unit),
        "status": assessment.status,
        "self_total": str(data["self_total"]),
        "appraised_total": str(data["appraised_total"]),
        "entries": entries,
    }


@router.post(
    "/entries/{entry_id}/round1", response={200: AppraisalEntryOut, **WRITE_ERRORS}, summary="Thẩm định vòng 1"
)
def round1(request: HttpRequest, entry_id: Id, payload: Round1In):
    """Giữ điểm tự chấm (`confirm=true`) hoặc chấm điểm khác kèm nhận xét. Gửi `version` đã đọc: nếu người khác vừa
    lưu, trả 409 kèm giá trị hiện có (`current`) và không ghi gì."""
    entry = access.require_entry_appraise(request.auth, entry_id)
    entry = services.entry_round1_save(
        entry_id=entry.pk,
        version=payload.version,
        points=None if payload.points is None else str(payload.points),
        comment=payload.comment,
        confirm=payload.confirm,
        actor=request.auth,
    )
    return _entry_out(entry)


@router.post(
    "/entries/{entry_id}/explanation-request",
    response={200: AppraisalEntryOut, **WRITE_ERRORS},
    summary="Yêu cầu giải trình",
)
def explanation_request(request: HttpRequest, entry_id: Id, payload: EntryTextIn):
    """Trong thời hạn thẩm định vòng 1; cán bộ, lãnh đạo đơn vị được thông báo."""
    entry = access.require_entry_appraise(request.auth, entry_id)
    entry = services.entry_explanation_request(
        entry_id=entry.pk, version=payload.version, text=payload.text, actor=request.auth
    )
    return _entry_out(entry)


@router.post(
    "/entries/{entry_id}/explanation", response={200: AppraisalEntryOut, **WRITE_ERRORS}, summary="Đơn vị giải trình"
)
def explanation_answer(request: HttpRequest, entry_id: Id, payload: EntryTextIn):
    """Cán bộ, lãnh đạo đơn vị trả lời yêu cầu giải trình trong thời hạn giải trình (hoặc thời hạn được gia hạn)."""
    entry = access.require_explanation_answer(request.auth, entry_id)
    entry = services.entry_explanation_answer(
        entry_id=entry.pk, version=payload.version, text=payload.text, actor=request.auth
    )
    return _entry_out(entry)


@router.get(
    "/assessments/{assessment_id}/explanations",
    response={200: list[AppraisalEntryOut], **READ_ERRORS},
    summary="Các yêu cầu giải trình của đơn vị",
)
def explanations(request: HttpRequest, assessment_id: Id):
    assessment = access.require_explanations_view(request.auth, assessment_id)
    return [_entry_out(e) for e in selectors.explanation_requests(assessment)]


@router.post(
    "/entries/{entry_id}/round2", response={200: AppraisalEntryOut, **WRITE_ERRORS}, summary="Thẩm định vòng 2"
)
def round2(request: HttpRequest, entry_id: Id, payload: Round2In):
    entry = access.require_entry_appraise(request.auth, entry_id)
    entry = services.entry_round2_save(
        entry_id=entry.pk,
        version=payload.version,
        points=None if payload.points is None else str(payload.points),
        comment=payload.comment,
        keep_round1=payload.keep_round1,
        actor=request.auth,
    )
    return _entry_out(entry)


@router.post(
    "/assessments/{assessment_id}/round2/keep-round1",
    response={200: Round1CarriedOut, **WRITE_ERRORS},
    summary="Giữ điểm vòng 1 cho các tiêu chí không yêu cầu giải trình",
)
def carry_over(request: HttpRequest, assessment_id: Id):
    assessment = access.require_appraiser_of(request.auth, assessment_id)
    carried = services.round1_carry_over(assessment_id=assessment.pk, actor=request.auth)
    return {"count": len(carried), "entries": [e.node.code for e in carried]}


@router.get("/entries/{entry_id}/history", response={200: list[ScoreChangeOut], **READ_ERRORS}, summary="Lịch sử điểm")
def entry_history(request: HttpRequest, entry_id: Id):
    """Mọi lần thay đổi điểm (tự chấm, vòng 1, vòng 2): ai, lúc nào, điểm cũ, điểm mới, lý do."""
    entry = access.require_entry_read(request.auth, entry_id)
    return [
        {
            "id": c.pk,
            "stage": c.stage,
            "stage_label": c.get_stage_display(),
            "old_points": _points(c.old_points),
            "new_points": _points(c.new_points),
            "old_declared": c.old_declared,
            "new_declared": c.new_declared,
            "reason": c.reason,
            "actor": c.actor.display_name,
            "created_at": c.created_at.isoformat(),
        }
        for c in selectors.entry_history(entry)
    ]


# --- the council's confirmation -----------------------------------------------------------------------------------


@router.get(
    "/assessments/{assessment_id}/disagreements",
    response={200: DisagreementsOut, **READ_ERRORS},
    summary="Chênh lệch tự chấm và thẩm định",
)
def disagreements(request: HttpRequest, assessment_id: Id):
    assessment = access.require_appraisal_read(request.auth, assessment_id)
    totals = selectors.totals(assessment)
    return {
        "assessment_id": assessment.pk,
        "self_total": str(totals["self"]),
        "appraised_total": str(totals["appraised"]),
        "difference": str(totals["difference"]),
        "not_appraised": totals["missing"],
        "items": [
            {
                "entry_id": d["entry"].pk,
                "node": d["entry"].node.code,
                "name": d["entry"].node.name,
                "self_points": _points(d["self_points"]),
                "appraised_points": str(d["appraised"]),
                "difference": str(d["difference"]),
                "round1_comment": d["entry"].round1_comment,
                "explanation_answer": d["entry"].explanation_answer,
                "round2_comment": d["entry"].round2_comment,
            }
            for d in selectors.disagreements(assessment)
        ],
    }


@router.get("/assessments/{assessment_id}/votes", response={200: CouncilVotesOut, **READ_ERRORS}, summary="Biểu quyết")
def votes(request: HttpRequest, assessment_id: Id):
    assessment = access.require_appraisal_read(request.auth, assessment_id)
    return _votes_out(assessment)


@router.post(
    "/assessments/{assessment_id}/votes", response={200: CouncilVotesOut, **WRITE_ERRORS}, summary="Ghi biểu quyết"
)
def vote_record(request: HttpRequest, assessment_id: Id, payload: CouncilVoteIn):
    """Chủ tịch Hội đồng ghi biểu quyết của từng thành viên; thành viên ghi của mình. Trong thời hạn Hội đồng xác
    nhận; ghi lại thì thay phiếu cũ của cùng lần xác nhận."""
    assessment, member = access.require_vote(request.auth, assessment_id, payload.member_id)
    services.vote_record(
        assessment_id=assessment.pk,
        member_id=member.pk,
        choice=payload.choice,
        comment=payload.comment,
        actor=request.auth,
    )
    assessment.refresh_from_db()
    return _votes_out(assessment)


@router.post(
    "/assessments/{assessment_id}/confirm",
    response={200: AppraisalStatusOut, **WRITE_ERRORS},
    summary="Hội đồng xác nhận",
)
def confirm(request: HttpRequest, assessment_id: Id):
    """Cần phiếu đồng ý của quá nửa tổng số thành viên có quyền biểu quyết (không phải của số người có mặt) và mọi
    tiêu chí thẩm định đã có điểm; 422 kèm số phiếu khi chưa đủ."""
    assessment = access.require_chair(request.auth, assessment_id)
    assessment = services.assessment_confirm(assessment_id=assessment.pk, actor=request.auth)
    return _status_out(assessment)


@router.post(
    "/assessments/{assessment_id}/reopen", response={200: AppraisalStatusOut, **WRITE_ERRORS}, summary="Mở lại kết quả"
)
def reopen(request: HttpRequest, assessment_id: Id, payload: AppraisalReopenIn):
    """Quản lý Chỉ số mở lại kết quả đã xác nhận, với lý do: trở về “Đang thẩm định”, lần xác nhận tăng thêm 1
    (phiếu của các lần trước được giữ lại)."""
    assessment = access.require_reopen(request.auth, assessment_id)
    assessment = services.assessment_reopen(assessment_id=assessment.pk, reason=payload.reason, actor=request.auth)
    return _status_out(assessment)
