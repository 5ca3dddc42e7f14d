"""Who may see and do what in the appraisal of a cycle.

* Index managers covering the cycle's assessing body build the council, assign appraisers and reopen a confirmed
  appraisal; they read everything.
* An appraiser writes round 1, round 2 and explanation requests only for the entries an active assignment of theirs
  covers: ``Assignment.node`` is the entry's node or one of its ancestors, and the assignment's unit is the
  assessment's unit or empty. No administrator bypass: the points are the appraiser's own word.
* The council chair (``Role.COUNCIL_CHAIR`` covering the unit, or the council's member with the role chair) reads
  every unit, sees the disagreements, records votes and confirms. A voting member may record their own vote.
* Council members, appraisers with an assignment in the cycle and oversight roles covering the unit read the
  appraisal. The unit's officers and leaders see and answer the explanation requests.
* Nobody else: 403, and 404 for what does not exist.

Each ``require_*`` returns the object or raises ``Http404`` / ``PermissionDenied`` with a message in Vietnamese.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from parindex.assessments.access import can_fill_in
from parindex.assessments.models import Assessment, Entry
from parindex.cycles.models import Cycle
from parindex.orgs.access import MANAGER_ROLES, OVERSIGHT_ROLES, has_role_for_unit, holds_role_for_unit, require_login
from parindex.orgs.models import Role

from .models import Assignment, CouncilMember, MemberRole

# --- predicates ---------------------------------------------------------------------------------------------------


def is_cycle_manager(user, cycle: Cycle) -> bool:
    return getattr(user, "is_authenticated", False) and has_role_for_unit(user, cycle.assessor, MANAGER_ROLES)


def active_seat(user, cycle_id) -> CouncilMember | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        CouncilMember.objects.filter(council__cycle_id=cycle_id, user=user, ended_at__isnull=True)
        .select_related("council")
        .first()
    )


def is_chair(user, cycle: Cycle, unit=None) -> bool:
    """The council chair: the council's member with the role chair, or a ``council_chair`` membership covering the
    unit (the cycle's assessing body when no unit is given)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if holds_role_for_unit(user, unit or cycle.assessor, {Role.COUNCIL_CHAIR}):
        return True
    seat = active_seat(user, cycle.pk)
    return seat is not None and seat.role == MemberRole.CHAIR


def active_assignments(user, cycle_id):
    if not getattr(user, "is_authenticated", False):
        return Assignment.objects.none()
    return Assignment.objects.filter(cycle_id=cycle_id, appraiser=user, ended_at__isnull=True)


def can_read_cycle(user, cycle: Cycle) -> bool:
    """The council and assignments page: managers, the chair, council members and appraisers of the cycle."""
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        is_cycle_manager(user, cycle)
        or is_chair(user, cycle)
        or active_seat(user, cycle.pk) is not None
        or active_assignments(user, cycle.pk).exists()
    )


def can_read_appraisal(user, assessment: Assessment) -> bool:
    """The appraisal grid, the disagreements, the votes of one unit."""
    if not getattr(user, "is_authenticated", False):
        return False
    cycle = assessment.cycle
    if is_cycle_manager(user, cycle) or has_role_for_unit(user, assessment.unit, OVERSIGHT_ROLES):
        return True
    if is_chair(user, cycle, assessment.unit) or active_seat(user, cycle.pk) is not None:
        return True
    return active_assignments(user, cycle.pk).filter(Q(unit__isnull=True) | Q(unit_id=assessment.unit_id)).exists()


def node_parents(framework_id) -> dict[int, int | None]:
    from parindex.frameworks.models import Node

    return dict(Node.objects.filter(framework_id=framework_id).values_list("pk", "parent_id"))


def lineage(node_id: int, parents: dict[int, int | None]) -> set[int]:
    """The node and its ancestors."""
    found: set[int] = set()
    current: int | None = node_id
    while current is not None and current not in found:
        found.add(current)
        current = parents.get(current)
    return found


def covers(assignment: Assignment, *, node_id: int, unit_id: int, parents: dict[int, int | None]) -> bool:
    if assignment.unit_id is not None and assignment.unit_id != unit_id:
        return False
    return assignment.node_id is None or assignment.node_id in lineage(node_id, parents)


def appraisable_entry_ids(user, assessment: Assessment, entries=None) -> set[int]:
    """Entries of the assessment an active assignment of ``user`` covers."""
    mine = list(
        active_assignments(user, assessment.cycle_id).filter(Q(unit__isnull=True) | Q(unit_id=assessment.unit_id))
    )
    if not mine:
        return set()
    parents = node_parents(assessment.framework_id)
    if entries is None:
        entries = assessment.entries.values_list("pk", "node_id")
    else:
        entries = [(e.pk, e.node_id) for e in entries]
    return {
        pk
        for pk, node_id in entries
        if any(covers(a, node_id=node_id, unit_id=assessment.unit_id, parents=parents) for a in mine)
    }


def can_appraise_entry(user, entry: Entry) -> bool:
    assessment = entry.assessment
    mine = list(
        active_assignments(user, assessment.cycle_id).filter(Q(unit__isnull=True) | Q(unit_id=assessment.unit_id))
    )
    if not mine:
        return False
    parents = node_parents(assessment.framework_id)
    return any(covers(a, node_id=entry.node_id, unit_id=assessment.unit_id, parents=parents) for a in mine)


def can_vote_for(user, assessment: Assessment, member: CouncilMember) -> bool:
    """The chair records any member's vote; a member records their own."""
    return is_chair(user, assessment.cycle, assessment.unit) or member.user_id == getattr(user, "pk", None)


# --- checks used by views and the API -----------------------------------------------------------------------------


def _cycle(cycle_id) -> Cycle:
    try:
        return Cycle.objects.select_related("assessor").get(pk=cycle_id)
    except (Cycle.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy đợt đánh giá.") from None


def _assessment(assessment_id) -> Assessment:
    try:
        return Assessment.objects.select_related("cycle__assessor", "unit", "framework").get(pk=assessment_id)
    except (Assessment.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy bản tự đánh giá.") from None


def _entry(entry_id) -> Entry:
    try:
        return Entry.objects.select_related(
            "assessment__cycle__assessor", "assessment__unit", "assessment__framework", "node"
        ).get(pk=entry_id)
    except (Entry.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy tiêu chí.") from None


def require_cycle_read(user, cycle_id) -> Cycle:
    require_login(user)
    cycle = _cycle(cycle_id)
    if not can_read_cycle(user, cycle):
        raise PermissionDenied("Bạn không tham gia hội đồng thẩm định hay công tác thẩm định của đợt đánh giá này.")
    return cycle


def require_council_view(user, cycle_id) -> Cycle:
    """The council's overview of every unit: managers, the chair and council members."""
    require_login(user)
    cycle = _cycle(cycle_id)
    if not (is_cycle_manager(user, cycle) or is_chair(user, cycle) or active_seat(user, cycle.pk) is not None):
        raise PermissionDenied("Trang tổng hợp dành cho Hội đồng thẩm định và Quản lý Chỉ số.")
    return cycle


def require_cycle_manage(user, cycle_id) -> Cycle:
    require_login(user)
    cycle = _cycle(cycle_id)
    if not is_cycle_manager(user, cycle):
        raise PermissionDenied(
            "Chỉ Quản lý Chỉ số của cơ quan đánh giá mới được lập hội đồng, phân công thẩm định hay mở lại kết quả."
        )
    return cycle


def require_member_manage(user, member_id) -> CouncilMember:
    require_login(user)
    try:
        member = CouncilMember.objects.select_related("council__cycle__assessor", "user").get(pk=member_id)
    except (CouncilMember.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy thành viên hội đồng.") from None
    require_cycle_manage(user, member.council.cycle_id)
    return member


def require_assignment_read(user, assignment_id) -> Assignment:
    require_login(user)
    try:
        assignment = Assignment.objects.select_related("cycle__assessor", "appraiser", "node", "unit", "agency").get(
            pk=assignment_id
        )
    except (Assignment.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy phân công thẩm định.") from None
    require_cycle_read(user, assignment.cycle_id)
    return assignment


def require_assignment_manage(user, assignment_id) -> Assignment:
    assignment = require_assignment_read(user, assignment_id)
    require_cycle_manage(user, assignment.cycle_id)
    return assignment


def require_appraisal_read(user, assessment_id) -> Assessment:
    require_login(user)
    assessment = _assessment(assessment_id)
    if not can_read_appraisal(user, assessment):
        raise PermissionDenied("Bạn không có quyền xem kết quả thẩm định của đơn vị này.")
    return assessment


def require_entry_read(user, entry_id) -> Entry:
    """An entry's appraisal and history: appraisal readers and the unit itself."""
    require_login(user)
    entry = _entry(entry_id)
    if not (can_read_appraisal(user, entry.assessment) or can_fill_in(user, entry.assessment)):
        raise PermissionDenied("Bạn không có quyền xem tiêu chí này.")
    return entry


def require_entry_appraise(user, entry_id) -> Entry:
    require_login(user)
    entry = _entry(entry_id)
    if not can_read_appraisal(user, entry.assessment):
        raise PermissionDenied("Bạn không có quyền xem kết quả thẩm định của đơn vị này.")
    if not can_appraise_entry(user, entry):
        raise PermissionDenied(
            f"Bạn không được phân công thẩm định tiêu chí {entry.node.code} của {entry.assessment.unit.name}."
        )
    return entry


def require_appraiser_of(user, assessment_id) -> Assessment:
    """Bulk actions of an appraiser on one assessment: at least one entry assigned."""
    assessment = require_appraisal_read(user, assessment_id)
    if not appraisable_entry_ids(user, assessment):
        raise PermissionDenied("Bạn không được phân công thẩm định tiêu chí nào của đơn vị này.")
    return assessment


def require_explanations_view(user, assessment_id) -> Assessment:
    require_login(user)
    assessment = _assessment(assessment_id)
    if not (can_fill_in(user, assessment) or can_read_appraisal(user, assessment)):
        raise PermissionDenied("Bạn không có quyền xem yêu cầu giải trình của đơn vị này.")
    return assessment


def require_explanation_answer(user, entry_id) -> Entry:
    require_login(user)
    entry = _entry(entry_id)
    if not can_fill_in(user, entry.assessment):
        if can_read_appraisal(user, entry.assessment):
            raise PermissionDenied("Chỉ cán bộ, lãnh đạo của đơn vị được thẩm định mới được giải trình.")
        raise PermissionDenied("Bạn không có quyền giải trình cho đơn vị này.")
    return entry


def require_chair(user, assessment_id) -> Assessment:
    assessment = require_appraisal_read(user, assessment_id)
    if not is_chair(user, assessment.cycle, assessment.unit):
        raise PermissionDenied("Chỉ Chủ tịch Hội đồng thẩm định mới được ghi nhận xác nhận của Hội đồng.")
    return assessment


def require_vote(user, assessment_id, member_id) -> tuple[Assessment, CouncilMember]:
    assessment = require_appraisal_read(user, assessment_id)
    try:
        member = CouncilMember.objects.select_related("user", "council").get(
            pk=member_id, council__cycle_id=assessment.cycle_id
        )
    except (CouncilMember.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy thành viên hội đồng.") from None
    if not can_vote_for(user, assessment, member):
        raise PermissionDenied("Chỉ Chủ tịch Hội đồng ghi biểu quyết của các thành viên; mỗi thành viên ghi của mình.")
    return assessment, member


def require_reopen(user, assessment_id) -> Assessment:
    require_login(user)
    assessment = _assessment(assessment_id)
    if not is_cycle_manager(user, assessment.cycle):
        if can_read_appraisal(user, assessment):
            raise PermissionDenied("Chỉ Quản lý Chỉ số mới được mở lại kết quả thẩm định đã xác nhận.")
        raise PermissionDenied("Bạn không có quyền xem kết quả thẩm định của đơn vị này.")
    return assessment
