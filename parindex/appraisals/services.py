"""Writes of the appraisal: the council and its members, assignments, round 1 and 2 points, explanation requests and
answers, the council's votes, confirmation and reopening.

Every function runs in one transaction: it checks the window (``cycles.windows``), the assessment's state and the
actor's right (an appraiser writes only the entries assigned to them), locks the row or compares the entry's
``version``, writes with ``update_fields``, records a ``ScoreChange`` for every change of points and an
``AuditEvent``, and sends notices through ``core.notifications.notify`` (e-mailed after commit).

Status of an assessment: submitted → under_appraisal (first round-1 act) → explanation_requested (a request) →
under_appraisal (first round-2 act) → confirmed (the council) → under_appraisal (a manager reopens it).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from parindex.assessments import scoring
from parindex.assessments.access import UNIT_ROLES, can_fill_in
from parindex.assessments.models import Assessment, AssessmentStatus, Entry, ScoreChange, Stage
from parindex.core.exceptions import ConflictError
from parindex.core.notifications import notify
from parindex.core.services import audit_record, diff_fields
from parindex.cycles.models import CycleFramework, Participant, WindowKind
from parindex.cycles.windows import format_moment, window_require_open
from parindex.frameworks.models import Method
from parindex.frameworks.rules import format_number
from parindex.orgs.models import Membership

from . import access
from .models import VOTING_ROLES, Assignment, Council, CouncilMember, MemberRole, Vote, VoteChoice

# Statuses in which appraisers write (a submitted report not yet touched, or one under appraisal).
WORK_STATUSES = {
    AssessmentStatus.SUBMITTED,
    AssessmentStatus.UNDER_APPRAISAL,
    AssessmentStatus.EXPLANATION_REQUESTED,
}
COUNCIL_STATUSES = {AssessmentStatus.UNDER_APPRAISAL, AssessmentStatus.EXPLANATION_REQUESTED}
TEXT_LIMIT = 5000
KEEP_ROUND1_COMMENT = "Giữ điểm vòng 1"


def _shown(points) -> str:
    return format_number(points) if points is not None else "(trống)"


def _text(value, *, field: str, label: str, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: f"Hãy nhập {label}."})
    if len(text) > TEXT_LIMIT:
        raise ValidationError({field: f"{label[:1].upper()}{label[1:]} dài quá {TEXT_LIMIT} ký tự."})
    return text


# --- people to notify ---------------------------------------------------------------------------------------------


def unit_people(unit) -> list:
    """Officers and leaders of the unit (memberships on it, or on a unit above it that include sub-units)."""
    ancestors = [int(p) for p in unit.path.strip("/").split("/") if p] if unit.path else []
    memberships = (
        Membership.objects.filter(role__in=UNIT_ROLES, ended_at__isnull=True, user__is_active=True)
        .filter(Q(unit=unit) | Q(includes_subunits=True, unit_id__in=ancestors))
        .select_related("user")
    )
    return list({m.user_id: m.user for m in memberships}.values())


def entry_appraisers(entry: Entry) -> list:
    assessment = entry.assessment
    parents = access.node_parents(assessment.framework_id)
    assignments = Assignment.objects.filter(cycle_id=assessment.cycle_id, ended_at__isnull=True).select_related(
        "appraiser"
    )
    return list(
        {
            a.appraiser_id: a.appraiser
            for a in assignments
            if access.covers(a, node_id=entry.node_id, unit_id=assessment.unit_id, parents=parents)
        }.values()
    )


# --- the council --------------------------------------------------------------------------------------------------


def council_save(*, cycle, name: str, decision: str = "", actor) -> Council:
    """Create the cycle's council or rename it."""
    name = _text(name, field="name", label="tên hội đồng")[:300]
    decision = (decision or "").strip()[:300]
    with transaction.atomic():
        council = Council.objects.select_for_update().filter(cycle=cycle).first()
        if council is None:
            council = Council.objects.create(cycle=cycle, name=name, decision=decision)
            audit_record(
                actor=actor,
                action="appraisal.council_created",
                obj=council,
                unit=cycle.assessor,
                changes={"name": [None, name], "decision": [None, decision]},
            )
            return council
        changes = diff_fields(council, {"name": name, "decision": decision})
        if changes:
            council.name, council.decision = name, decision
            council.save(update_fields=["name", "decision", "updated_at"])
            audit_record(
                actor=actor, action="appraisal.council_updated", obj=council, unit=cycle.assessor, changes=changes
            )
    return council


def council_member_add(
    *, council: Council, user, role: str, actor, organisation=None, position: str = ""
) -> CouncilMember:
    if role not in MemberRole.values:
        raise ValidationError({"role": "Vai trò trong hội đồng không hợp lệ."})
    if user is None or not user.is_active:
        raise ValidationError({"user": "Hãy chọn một người dùng đang hoạt động."})
    with transaction.atomic():
        Council.objects.select_for_update().filter(pk=council.pk).first()
        if CouncilMember.objects.filter(council=council, user=user, ended_at__isnull=True).exists():
            raise ValidationError({"user": f"{user.display_name} đã là thành viên của hội đồng."})
        if (
            role == MemberRole.CHAIR
            and CouncilMember.objects.filter(council=council, role=MemberRole.CHAIR, ended_at__isnull=True).exists()
        ):
            raise ValidationError({"role": "Hội đồng đã có Chủ tịch; hãy cho Chủ tịch hiện tại thôi tham gia trước."})
        member = CouncilMember.objects.create(
            council=council, user=user, role=role, organisation=organisation, position=(position or "").strip()[:200]
        )
        audit_record(
            actor=actor,
            action="appraisal.council_member_added",
            obj=member,
            object_repr=f"{council.name}: {user.display_name} ({member.get_role_display()})",
            unit=council.cycle.assessor,
            changes={"user": [None, user.pk], "role": [None, role], "organisation": [None, organisation]},
        )
    return member


def council_member_end(*, member: CouncilMember, actor) -> CouncilMember:
    with transaction.atomic():
        member = (
            CouncilMember.objects.select_for_update(of=("self",))
            .select_related("council__cycle", "user")
            .get(pk=member.pk)
        )
        if member.ended_at is not None:
            raise ValidationError(f"{member.user.display_name} đã thôi tham gia hội đồng.")
        member.ended_at = timezone.now()
        member.save(update_fields=["ended_at", "updated_at"])
        audit_record(
            actor=actor,
            action="appraisal.council_member_ended",
            obj=member,
            object_repr=f"{member.council.name}: {member.user.display_name}",
            unit=member.council.cycle.assessor,
            changes={"ended_at": [None, member.ended_at]},
        )
    return member


# --- assignments --------------------------------------------------------------------------------------------------


def cycle_framework_ids(cycle) -> set[int]:
    ids = set(CycleFramework.objects.filter(cycle=cycle).values_list("framework_id", flat=True))
    ids |= set(Participant.objects.filter(cycle=cycle).values_list("framework_id", flat=True))
    return ids


def assignment_create(*, cycle, appraiser, actor, node=None, unit=None, agency=None) -> Assignment:
    """Assign ``appraiser`` a field (a node and its subtree) and/or a unit of the cycle."""
    if appraiser is None or not appraiser.is_active:
        raise ValidationError({"appraiser": "Hãy chọn người thẩm định đang hoạt động."})
    if node is None and unit is None:
        raise ValidationError({"node": "Hãy chọn lĩnh vực, tiêu chí hoặc đơn vị được thẩm định (ít nhất một)."})
    if node is not None and node.framework_id not in cycle_framework_ids(cycle):
        raise ValidationError({"node": f"Tiêu chí {node.code} không thuộc bộ chỉ số nào của đợt đánh giá."})
    if unit is not None and not Participant.objects.filter(cycle=cycle, unit=unit, withdrawn_at__isnull=True).exists():
        raise ValidationError({"unit": f"{unit.name} không tham gia đợt đánh giá này."})
    with transaction.atomic():
        duplicate = Assignment.objects.filter(
            cycle=cycle, appraiser=appraiser, node=node, unit=unit, ended_at__isnull=True
        ).exists()
        if duplicate:
            raise ValidationError({"appraiser": f"{appraiser.display_name} đã được phân công đúng phạm vi này."})
        assignment = Assignment.objects.create(cycle=cycle, appraiser=appraiser, node=node, unit=unit, agency=agency)
        scope = " · ".join(p for p in (node.code if node else "", unit.name if unit else "") if p)
        audit_record(
            actor=actor,
            action="appraisal.assignment_created",
            obj=assignment,
            object_repr=f"{appraiser.display_name} → {scope}",
            unit=cycle.assessor,
            changes={
                "appraiser": [None, appraiser.pk],
                "node": [None, node],
                "unit": [None, unit],
                "agency": [None, agency],
            },
        )
    return assignment


def assignment_update(*, assignment: Assignment, agency, actor) -> Assignment:
    with transaction.atomic():
        assignment = (
            Assignment.objects.select_for_update(of=("self",)).select_related("cycle__assessor").get(pk=assignment.pk)
        )
        if assignment.ended_at is not None:
            raise ValidationError("Phân công này đã kết thúc; hãy tạo phân công mới.")
        changes = diff_fields(assignment, {"agency": agency})
        if changes:
            assignment.agency = agency
            assignment.save(update_fields=["agency", "updated_at"])
            audit_record(
                actor=actor,
                action="appraisal.assignment_updated",
                obj=assignment,
                unit=assignment.cycle.assessor,
                changes=changes,
            )
    return assignment


def assignment_end(*, assignment: Assignment, actor) -> Assignment:
    with transaction.atomic():
        assignment = (
            Assignment.objects.select_for_update(of=("self",)).select_related("cycle__assessor").get(pk=assignment.pk)
        )
        if assignment.ended_at is not None:
            raise ValidationError("Phân công này đã kết thúc.")
        assignment.ended_at = timezone.now()
        assignment.save(update_fields=["ended_at", "updated_at"])
        audit_record(
            actor=actor,
            action="appraisal.assignment_ended",
            obj=assignment,
            unit=assignment.cycle.assessor,
            changes={"ended_at": [None, assignment.ended_at]},
        )
    return assignment


# --- entries: common checks ---------------------------------------------------------------------------------------


def entry_payload(entry: Entry) -> dict:
    """The entry's appraisal as plain data (API answers and conflict messages)."""

    def points(value):
        return str(value) if value is not None else None

    def moment(value):
        return value.isoformat() if value else None

    return {
        "id": entry.pk,
        "node": entry.node.code,
        "self_points": points(entry.self_points),
        "round1_points": points(entry.round1_points),
        "round1_comment": entry.round1_comment,
        "round1_by": entry.round1_by.display_name if entry.round1_by_id else None,
        "round1_at": moment(entry.round1_at),
        "explanation_request": entry.explanation_request,
        "explanation_requested_at": moment(entry.explanation_requested_at),
        "explanation_answer": entry.explanation_answer,
        "explanation_answered_at": moment(entry.explanation_answered_at),
        "round2_points": points(entry.round2_points),
        "round2_comment": entry.round2_comment,
        "round2_by": entry.round2_by.display_name if entry.round2_by_id else None,
        "round2_at": moment(entry.round2_at),
        "appraised_points": points(entry.appraised_points),
        "version": entry.version,
    }


def _conflict(entry: Entry) -> ConflictError:
    """Who wrote last, when, and what the entry holds now."""
    candidates = [
        (entry.round2_at, entry.round2_by, f"điểm vòng 2 {_shown(entry.round2_points)}"),
        (entry.round1_at, entry.round1_by, f"điểm vòng 1 {_shown(entry.round1_points)}"),
        (entry.explanation_answered_at, None, "nội dung giải trình của đơn vị"),
        (entry.explanation_requested_at, None, "yêu cầu giải trình"),
        (entry.self_updated_at, entry.self_updated_by, f"điểm tự chấm {_shown(entry.self_points)}"),
    ]
    moments = [c for c in candidates if c[0] is not None]
    if moments:
        when, who, what = max(moments, key=lambda c: c[0])
        by = who.display_name if who is not None else "người khác"
        told = f"Tiêu chí {entry.node.code} vừa được {by} cập nhật lúc {format_moment(when)} ({what})."
    else:
        told = f"Tiêu chí {entry.node.code} vừa được người khác cập nhật."
    return ConflictError(
        f"{told} Hiện tại: điểm vòng 1 {_shown(entry.round1_points)}, điểm vòng 2 {_shown(entry.round2_points)}. "
        "Dữ liệu của bạn chưa được lưu; hãy xem giá trị mới rồi lưu lại nếu cần.",
        current_version=str(entry.version),
        current=entry_payload(entry),
    )


def _lock_entry(entry_id) -> Entry:
    try:
        return (
            Entry.objects.select_for_update(of=("self",))
            .select_related(
                "assessment__cycle__assessor",
                "assessment__unit",
                "node",
                "round1_by",
                "round2_by",
                "self_updated_by",
            )
            .get(pk=entry_id)
        )
    except (Entry.DoesNotExist, ValueError, TypeError):
        raise ValidationError("Không tìm thấy tiêu chí cần lưu.") from None


def _require_work_status(assessment: Assessment) -> None:
    if assessment.status in WORK_STATUSES:
        return
    if assessment.status == AssessmentStatus.CONFIRMED:
        raise ValidationError(
            "Kết quả thẩm định của đơn vị đã được Hội đồng xác nhận; chỉ Quản lý Chỉ số mới có thể mở lại."
        )
    raise ValidationError(
        f"Bản tự đánh giá đang ở trạng thái “{assessment.get_status_display()}”: "
        "đơn vị chưa gửi nên chưa thể thẩm định."
    )


def _require_assigned(actor, entry: Entry) -> None:
    if not access.can_appraise_entry(actor, entry):
        raise PermissionDenied(
            f"Bạn không được phân công thẩm định tiêu chí {entry.node.code} của {entry.assessment.unit.name}."
        )


def _require_appraised(entry: Entry) -> None:
    """Appraisers set the points of the criteria units score themselves, and of those scored from statistics and
    documents (the council enters them; units do not self-score them)."""
    if not (scoring.is_self_scored(entry.node) or entry.node.method == Method.STATISTICS):
        raise ValidationError(
            {
                "points": f"Tiêu chí {entry.node.code} được chấm theo phương thức “{entry.node.get_method_display()}”, "
                "không qua thẩm định."
            }
        )


def _move(assessment: Assessment, sources: set[str], target: str, now) -> bool:
    """A status change that only happens from ``sources`` (a concurrent writer may have made it already)."""
    moved = Assessment.objects.filter(pk=assessment.pk, status__in=sources).update(
        status=target, updated_at=now, version=F("version") + 1
    )
    if moved:
        old = assessment.status
        assessment.status = target
        return old != target
    return False


def _audit_entry(*, actor, action: str, entry: Entry, changes: dict, reason: str = "") -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=entry,
        object_repr=f"{entry.assessment.unit.name} — {entry.node.code}",
        unit=entry.assessment.unit,
        changes=changes,
        reason=reason,
    )


def _audit_status(*, actor, assessment: Assessment, old: str, reason: str = "") -> None:
    audit_record(
        actor=actor,
        action="assessment.status_changed",
        obj=assessment,
        object_repr=str(assessment),
        unit=assessment.unit,
        changes={"status": [old, assessment.status]},
        reason=reason,
    )


def _explanations_url(assessment: Assessment) -> str:
    return reverse("appraisals:explanations", args=[assessment.pk])


# --- round 1 ------------------------------------------------------------------------------------------------------


def _write_round(entry: Entry, *, round_no: int, points, comment: str, actor, now) -> None:
    """Write round ``round_no``'s points and comment on the locked entry, with its ScoreChange and AuditEvent."""
    prefix = f"round{round_no}"
    old_points, old_comment = getattr(entry, f"{prefix}_points"), getattr(entry, f"{prefix}_comment")
    setattr(entry, f"{prefix}_points", points)
    setattr(entry, f"{prefix}_comment", comment)
    setattr(entry, f"{prefix}_by", actor)
    setattr(entry, f"{prefix}_at", now)
    entry.version += 1
    entry.save(update_fields=[f"{prefix}_points", f"{prefix}_comment", f"{prefix}_by", f"{prefix}_at", "version"])
    changes = {}
    if old_points != points:
        stage = Stage.ROUND1 if round_no == 1 else Stage.ROUND2
        ScoreChange.objects.create(
            entry=entry, stage=stage, old_points=old_points, new_points=points, reason=comment, actor=actor
        )
        changes[f"{prefix}_points"] = [old_points, points]
    if old_comment != comment:
        changes[f"{prefix}_comment"] = [old_comment, comment]
    _audit_entry(actor=actor, action=f"appraisal.{prefix}_saved", entry=entry, changes=changes, reason=comment)


def entry_round1_save(*, entry_id: int, version: int, actor, points=None, comment: str = "", confirm: bool = False):
    """Round 1 for one entry: ``confirm`` takes the unit's self-score, otherwise ``points`` (within the criterion's
    range and step). A comment is required when the points differ from the self-score."""
    with transaction.atomic():
        entry = _lock_entry(entry_id)
        assessment = entry.assessment
        window_require_open(cycle=assessment.cycle, kind=WindowKind.APPRAISAL_1, unit=assessment.unit)
        _require_work_status(assessment)
        _require_assigned(actor, entry)
        _require_appraised(entry)
        if entry.version != version:
            raise _conflict(entry)
        code = entry.node.code
        if confirm:
            if entry.self_points is None:
                raise ValidationError(
                    {"points": f"Tiêu chí {code}: đơn vị chưa tự chấm; hãy nhập điểm thẩm định và nhận xét."}
                )
            points = entry.self_points
        else:
            points = scoring.check_points(entry.node, points, field="points")
            if points is None:
                raise ValidationError({"points": f"Tiêu chí {code}: hãy nhập điểm thẩm định vòng 1."})
        comment = _text(comment, field="comment", label="nhận xét", required=False)
        if points != entry.self_points and not comment:
            raise ValidationError(
                {
                    "comment": f"Tiêu chí {code}: điểm thẩm định {_shown(points)} khác điểm tự chấm "
                    f"{_shown(entry.self_points)}; hãy ghi nhận xét (lý do thay đổi)."
                }
            )
        now = timezone.now()
        _write_round(entry, round_no=1, points=points, comment=comment, actor=actor, now=now)
        old_status = assessment.status
        if _move(assessment, {AssessmentStatus.SUBMITTED}, AssessmentStatus.UNDER_APPRAISAL, now):
            _audit_status(actor=actor, assessment=assessment, old=old_status)
    return entry


def entry_explanation_request(*, entry_id: int, version: int, text: str, actor) -> Entry:
    """Ask the unit to explain one criterion (in round 1); the unit's officers and leaders are notified."""
    with transaction.atomic():
        entry = _lock_entry(entry_id)
        assessment = entry.assessment
        window_require_open(cycle=assessment.cycle, kind=WindowKind.APPRAISAL_1, unit=assessment.unit)
        _require_work_status(assessment)
        _require_assigned(actor, entry)
        _require_appraised(entry)
        if entry.version != version:
            raise _conflict(entry)
        text = _text(text, field="text", label="nội dung yêu cầu giải trình")
        code = entry.node.code
        if entry.explanation_answer:
            raise ValidationError({"text": f"Tiêu chí {code}: đơn vị đã giải trình; không sửa yêu cầu được nữa."})
        now = timezone.now()
        old_text = entry.explanation_request
        entry.explanation_request = text
        entry.explanation_requested_at = now
        entry.version += 1
        entry.save(update_fields=["explanation_request", "explanation_requested_at", "version"])
        _audit_entry(
            actor=actor,
            action="appraisal.explanation_requested",
            entry=entry,
            changes={"explanation_request": [old_text, text]},
        )
        old_status = assessment.status
        if _move(
            assessment,
            {AssessmentStatus.SUBMITTED, AssessmentStatus.UNDER_APPRAISAL},
            AssessmentStatus.EXPLANATION_REQUESTED,
            now,
        ):
            _audit_status(actor=actor, assessment=assessment, old=old_status)
        notify(
            users=unit_people(assessment.unit),
            key=f"appraisal.explanation_requested.{entry.pk}",
            title=f"Yêu cầu giải trình tiêu chí {code} — {assessment.cycle.name}",
            body=(
                f"Thành viên thẩm định đề nghị {assessment.unit.name} giải trình tiêu chí {code} "
                f"“{entry.node.name}”:\n\n{text}\n\nĐơn vị giải trình trong thời hạn giải trình của đợt đánh giá."
            ),
            url=_explanations_url(assessment),
        )
    return entry


# --- explanation --------------------------------------------------------------------------------------------------


def entry_explanation_answer(*, entry_id: int, version: int, text: str, actor) -> Entry:
    """The unit's answer to a request, inside the explanation window (or the unit's extension of it)."""
    with transaction.atomic():
        entry = _lock_entry(entry_id)
        assessment = entry.assessment
        window_require_open(cycle=assessment.cycle, kind=WindowKind.EXPLANATION, unit=assessment.unit)
        if not can_fill_in(actor, assessment):
            raise PermissionDenied("Chỉ cán bộ, lãnh đạo của đơn vị được thẩm định mới được giải trình.")
        code = entry.node.code
        if assessment.status not in COUNCIL_STATUSES:
            raise ValidationError(
                f"Bản tự đánh giá đang ở trạng thái “{assessment.get_status_display()}”, không nhận giải trình."
            )
        if not entry.explanation_request:
            raise ValidationError({"text": f"Tiêu chí {code} không có yêu cầu giải trình."})
        if entry.version != version:
            raise _conflict(entry)
        text = _text(text, field="text", label="nội dung giải trình")
        now = timezone.now()
        old_text = entry.explanation_answer
        entry.explanation_answer = text
        entry.explanation_answered_at = now
        entry.version += 1
        entry.save(update_fields=["explanation_answer", "explanation_answered_at", "version"])
        _audit_entry(
            actor=actor,
            action="appraisal.explanation_answered",
            entry=entry,
            changes={"explanation_answer": [old_text, text]},
        )
        notify(
            users=entry_appraisers(entry),
            key=f"appraisal.explanation_answered.{entry.pk}",
            title=f"{assessment.unit.name} đã giải trình tiêu chí {code}",
            body=text,
            url=reverse("appraisals:grid", args=[assessment.pk]),
        )
    return entry


# --- round 2 ------------------------------------------------------------------------------------------------------


def entry_round2_save(
    *, entry_id: int, version: int, actor, points=None, comment: str = "", keep_round1: bool = False
) -> Entry:
    """Final points for one entry after the explanation. A comment is required when they differ from round 1 (from
    the self-score when round 1 left it untouched)."""
    with transaction.atomic():
        entry = _lock_entry(entry_id)
        assessment = entry.assessment
        window_require_open(cycle=assessment.cycle, kind=WindowKind.APPRAISAL_2, unit=assessment.unit)
        _require_work_status(assessment)
        _require_assigned(actor, entry)
        _require_appraised(entry)
        if entry.version != version:
            raise _conflict(entry)
        code = entry.node.code
        base = entry.round1_points if entry.round1_points is not None else entry.self_points
        if keep_round1:
            if entry.round1_points is None:
                raise ValidationError({"points": f"Tiêu chí {code} chưa có điểm thẩm định vòng 1."})
            points = entry.round1_points
        else:
            points = scoring.check_points(entry.node, points, field="points")
            if points is None:
                raise ValidationError({"points": f"Tiêu chí {code}: hãy nhập điểm thẩm định vòng 2."})
        comment = _text(comment, field="comment", label="nhận xét", required=False)
        if keep_round1 and not comment:
            comment = KEEP_ROUND1_COMMENT
        if points != base and not comment:
            raise ValidationError(
                {
                    "comment": f"Tiêu chí {code}: điểm vòng 2 {_shown(points)} khác điểm trước đó {_shown(base)}; "
                    "hãy ghi nhận xét (lý do thay đổi)."
                }
            )
        now = timezone.now()
        _write_round(entry, round_no=2, points=points, comment=comment, actor=actor, now=now)
        old_status = assessment.status
        if _move(
            assessment,
            {AssessmentStatus.SUBMITTED, AssessmentStatus.EXPLANATION_REQUESTED},
            AssessmentStatus.UNDER_APPRAISAL,
            now,
        ):
            _audit_status(actor=actor, assessment=assessment, old=old_status)
    return entry


def round1_carry_over(*, assessment_id: int, actor) -> list[Entry]:
    """“Giữ điểm vòng 1”: for the actor's assigned entries of one assessment that have round-1 points, no
    explanation request and no round-2 points yet, round 2 takes the round-1 points."""
    with transaction.atomic():
        assessment = _lock_assessment(assessment_id)
        window_require_open(cycle=assessment.cycle, kind=WindowKind.APPRAISAL_2, unit=assessment.unit)
        _require_work_status(assessment)
        candidates = list(
            Entry.objects.select_for_update(of=("self",))
            .select_related("node")
            .filter(assessment=assessment, round1_points__isnull=False, round2_points__isnull=True)
            .filter(Q(explanation_request="") | Q(explanation_request__isnull=True))
        )
        if not access.appraisable_entry_ids(actor, assessment):
            raise PermissionDenied("Bạn không được phân công thẩm định tiêu chí nào của đơn vị này.")
        mine = access.appraisable_entry_ids(actor, assessment, entries=candidates)
        now = timezone.now()
        carried = [e for e in candidates if e.pk in mine and scoring.is_self_scored(e.node)]
        for entry in carried:
            entry.round2_points, entry.round2_comment = entry.round1_points, KEEP_ROUND1_COMMENT
            entry.round2_by, entry.round2_at = actor, now
            entry.version += 1
        Entry.objects.bulk_update(carried, ["round2_points", "round2_comment", "round2_by", "round2_at", "version"])
        ScoreChange.objects.bulk_create(
            [
                ScoreChange(
                    entry=e,
                    stage=Stage.ROUND2,
                    old_points=None,
                    new_points=e.round2_points,
                    reason=KEEP_ROUND1_COMMENT,
                    actor=actor,
                )
                for e in carried
            ]
        )
        audit_record(
            actor=actor,
            action="appraisal.round1_carried_over",
            obj=assessment,
            object_repr=str(assessment),
            unit=assessment.unit,
            changes={"entries": [None, [e.node.code for e in carried]]},
        )
        old_status = assessment.status
        if carried and _move(
            assessment,
            {AssessmentStatus.SUBMITTED, AssessmentStatus.EXPLANATION_REQUESTED},
            AssessmentStatus.UNDER_APPRAISAL,
            now,
        ):
            _audit_status(actor=actor, assessment=assessment, old=old_status)
    return carried


# --- the council's confirmation -----------------------------------------------------------------------------------


def _lock_assessment(assessment_id) -> Assessment:
    try:
        return (
            Assessment.objects.select_for_update(of=("self",))
            .select_related("cycle__assessor", "unit")
            .get(pk=assessment_id)
        )
    except (Assessment.DoesNotExist, ValueError, TypeError):
        raise ValidationError("Không tìm thấy bản tự đánh giá.") from None


def voting_members(cycle_id) -> list[CouncilMember]:
    return list(
        CouncilMember.objects.filter(
            council__cycle_id=cycle_id, ended_at__isnull=True, role__in=[str(r) for r in VOTING_ROLES]
        ).select_related("user")
    )


def tally(assessment: Assessment) -> dict:
    """Votes of the current confirmation round among the council's active voting members."""
    members = voting_members(assessment.cycle_id)
    votes = {
        v.member_id: v
        for v in Vote.objects.filter(assessment=assessment, round=assessment.confirmation_round).select_related(
            "member__user", "recorded_by"
        )
    }
    counted = [votes[m.pk] for m in members if m.pk in votes]
    agree = sum(1 for v in counted if v.choice == VoteChoice.AGREE)
    total = len(members)
    return {
        "members": members,
        "votes": votes,
        "total": total,
        "agree": agree,
        "disagree": sum(1 for v in counted if v.choice == VoteChoice.DISAGREE),
        "abstain": sum(1 for v in counted if v.choice == VoteChoice.ABSTAIN),
        "needed": total // 2 + 1,
        "passed": total > 0 and agree * 2 > total,
    }


def vote_record(*, assessment_id: int, member_id: int, choice: str, actor, comment: str = "") -> Vote:
    """A voting member's vote for the assessment's current confirmation round (a later vote replaces it)."""
    if choice not in VoteChoice.values:
        raise ValidationError({"choice": "Biểu quyết phải là: đồng ý, không đồng ý hoặc không biểu quyết."})
    comment = _text(comment, field="comment", label="ý kiến", required=False)
    with transaction.atomic():
        assessment = _lock_assessment(assessment_id)
        window_require_open(cycle=assessment.cycle, kind=WindowKind.COUNCIL, unit=assessment.unit)
        if assessment.status not in COUNCIL_STATUSES:
            raise ValidationError(
                f"Bản tự đánh giá đang ở trạng thái “{assessment.get_status_display()}”: Hội đồng không biểu quyết."
            )
        try:
            member = CouncilMember.objects.select_related("user").get(
                pk=member_id, council__cycle_id=assessment.cycle_id
            )
        except (CouncilMember.DoesNotExist, ValueError, TypeError):
            raise ValidationError({"member": "Không tìm thấy thành viên hội đồng."}) from None
        if member.ended_at is not None or member.role not in VOTING_ROLES:
            raise ValidationError(
                {"member": f"{member.user.display_name} không có quyền biểu quyết ({member.get_role_display()})."}
            )
        if not access.can_vote_for(actor, assessment, member):
            raise PermissionDenied(
                "Chỉ Chủ tịch Hội đồng ghi biểu quyết của các thành viên; mỗi thành viên ghi của mình."
            )
        vote = (
            Vote.objects.select_for_update()
            .filter(assessment=assessment, member=member, round=assessment.confirmation_round)
            .first()
        )
        old = vote.choice if vote else None
        if vote is None:
            vote = Vote.objects.create(
                assessment=assessment,
                member=member,
                round=assessment.confirmation_round,
                choice=choice,
                comment=comment,
                recorded_by=actor,
            )
        else:
            vote.choice, vote.comment, vote.recorded_by = choice, comment, actor
            vote.save(update_fields=["choice", "comment", "recorded_by"])
        audit_record(
            actor=actor,
            action="appraisal.vote_recorded",
            obj=vote,
            object_repr=f"{assessment.unit.name}: {member.user.display_name} — {vote.get_choice_display()}",
            unit=assessment.unit,
            changes={"choice": [old, choice], "round": [None, assessment.confirmation_round]},
            reason=comment,
        )
    return vote


def _code_key(code: str) -> list:
    """1.10 after 1.9: codes compared part by part, numbers as numbers."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in code.replace("-", ".").split(".")]


def missing_appraisal(assessment: Assessment) -> list[str]:
    """Codes of the appraised-method criteria without appraised points."""
    return sorted(
        Entry.objects.filter(
            assessment=assessment,
            node__method=Method.APPRAISED,
            round1_points__isnull=True,
            round2_points__isnull=True,
        ).values_list("node__code", flat=True),
        key=_code_key,
    )


def assessment_confirm(*, assessment_id: int, actor) -> Assessment:
    """The council confirms the unit's appraised result: agree votes from more than half of the voting members."""
    with transaction.atomic():
        assessment = _lock_assessment(assessment_id)
        window_require_open(cycle=assessment.cycle, kind=WindowKind.COUNCIL, unit=assessment.unit)
        if not access.is_chair(actor, assessment.cycle, assessment.unit):
            raise PermissionDenied("Chỉ Chủ tịch Hội đồng thẩm định mới được ghi nhận xác nhận của Hội đồng.")
        if assessment.status == AssessmentStatus.CONFIRMED:
            raise ValidationError("Kết quả thẩm định của đơn vị đã được Hội đồng xác nhận.")
        if assessment.status not in COUNCIL_STATUSES:
            raise ValidationError(
                f"Bản tự đánh giá đang ở trạng thái “{assessment.get_status_display()}”: chưa thẩm định nên "
                "chưa thể xác nhận."
            )
        missing = missing_appraisal(assessment)
        if missing:
            shown = ", ".join(missing[:20]) + ("…" if len(missing) > 20 else "")
            raise ValidationError(f"Còn {len(missing)} tiêu chí chưa có điểm thẩm định: {shown}.")
        result = tally(assessment)
        if result["total"] == 0:
            raise ValidationError("Hội đồng chưa có thành viên có quyền biểu quyết.")
        if not result["passed"]:
            raise ValidationError(
                f"Chưa đủ biểu quyết: {result['agree']}/{result['total']} thành viên đồng ý; cần ít nhất "
                f"{result['needed']} (quá nửa tổng số thành viên Hội đồng có quyền biểu quyết)."
            )
        now = timezone.now()
        old_status = assessment.status
        assessment.status = AssessmentStatus.CONFIRMED
        assessment.confirmed_at, assessment.confirmed_by = now, actor
        assessment.version += 1
        assessment.save(update_fields=["status", "confirmed_at", "confirmed_by", "version", "updated_at"])
        audit_record(
            actor=actor,
            action="appraisal.confirmed",
            obj=assessment,
            object_repr=str(assessment),
            unit=assessment.unit,
            changes={
                "status": [old_status, assessment.status],
                "votes": [None, f"{result['agree']}/{result['total']}"],
                "round": [None, assessment.confirmation_round],
            },
        )
        notify(
            users=unit_people(assessment.unit),
            key=f"appraisal.confirmed.{assessment.pk}.{assessment.confirmation_round}",
            title=f"Hội đồng thẩm định đã xác nhận kết quả — {assessment.cycle.name}",
            body=(
                f"Hội đồng thẩm định đã xác nhận kết quả thẩm định của {assessment.unit.name} "
                f"({result['agree']}/{result['total']} thành viên đồng ý) lúc {format_moment(now)}."
            ),
            url=_explanations_url(assessment),
        )
    return assessment


def assessment_reopen(*, assessment_id: int, reason: str, actor) -> Assessment:
    """A manager reopens a confirmed appraisal: back under appraisal, a new confirmation round (votes kept)."""
    reason = _text(reason, field="reason", label="lý do mở lại")
    with transaction.atomic():
        assessment = _lock_assessment(assessment_id)
        if not access.is_cycle_manager(actor, assessment.cycle):
            raise PermissionDenied("Chỉ Quản lý Chỉ số mới được mở lại kết quả thẩm định đã xác nhận.")
        if assessment.status != AssessmentStatus.CONFIRMED:
            raise ValidationError(
                f"Bản tự đánh giá đang ở trạng thái “{assessment.get_status_display()}”; chỉ mở lại kết quả đã được "
                "Hội đồng xác nhận."
            )
        old = {
            "status": assessment.status,
            "confirmation_round": assessment.confirmation_round,
            "confirmed_at": assessment.confirmed_at,
        }
        assessment.status = AssessmentStatus.UNDER_APPRAISAL
        assessment.confirmation_round += 1
        assessment.confirmed_at, assessment.confirmed_by = None, None
        assessment.version += 1
        assessment.save(
            update_fields=["status", "confirmation_round", "confirmed_at", "confirmed_by", "version", "updated_at"]
        )
        audit_record(
            actor=actor,
            action="appraisal.reopened",
            obj=assessment,
            object_repr=str(assessment),
            unit=assessment.unit,
            changes={
                "status": [old["status"], assessment.status],
                "confirmation_round": [old["confirmation_round"], assessment.confirmation_round],
                "confirmed_at": [old["confirmed_at"], None],
            },
            reason=reason,
        )
    return assessment
