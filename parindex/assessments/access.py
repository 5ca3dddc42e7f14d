"""Who may see and write a unit's assessment.

* The unit's officers and leaders see and fill in their own unit's assessment; only a leader sends it back,
  submits or withdraws it.
* Index managers, council chairs, appraisers and viewers covering the unit (by membership) see it, and so do the
  members of the cycle's council and appraisers assigned to the unit or to one of its fields.
* Nobody else: another unit's people get 403, a missing assessment 404.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from parindex.orgs.access import (
    OVERSIGHT_ROLES,
    has_role_for_unit,
    holds_role_for_unit,
    is_system_admin,
    require_login,
    units_scope,
)
from parindex.orgs.models import Role

from .models import Assessment, Evidence

UNIT_ROLES = {Role.UNIT_OFFICER, Role.UNIT_LEADER}


def _council_or_assigned(user, assessment: Assessment) -> bool:
    from parindex.appraisals.models import Assignment, CouncilMember

    if CouncilMember.objects.filter(council__cycle_id=assessment.cycle_id, user=user, ended_at__isnull=True).exists():
        return True
    return (
        Assignment.objects.filter(cycle_id=assessment.cycle_id, appraiser=user, ended_at__isnull=True)
        .filter(Q(unit__isnull=True) | Q(unit_id=assessment.unit_id))
        .exists()
    )


def can_view_assessment(user, assessment: Assessment) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if has_role_for_unit(user, assessment.unit, UNIT_ROLES | OVERSIGHT_ROLES):
        return True
    return _council_or_assigned(user, assessment)


def can_fill_in(user, assessment: Assessment) -> bool:
    """Officers and leaders of the unit itself; no bypass for administrators: the self-assessment is the unit's word."""
    return holds_role_for_unit(user, assessment.unit, UNIT_ROLES)


def can_lead(user, assessment: Assessment) -> bool:
    return holds_role_for_unit(user, assessment.unit, {Role.UNIT_LEADER})


def _get(assessment_id) -> Assessment:
    if isinstance(assessment_id, int) and not (0 < assessment_id < 2**63):
        raise Http404("Không tìm thấy bản tự đánh giá.")
    try:
        return Assessment.objects.select_related("cycle", "unit", "framework").get(pk=assessment_id)
    except (Assessment.DoesNotExist, ValueError, TypeError):
        raise Http404("Không tìm thấy bản tự đánh giá.") from None


def require_assessment_view(user, assessment_id) -> Assessment:
    require_login(user)
    assessment = _get(assessment_id)
    if not can_view_assessment(user, assessment):
        raise PermissionDenied("Bạn không có quyền xem bản tự đánh giá của đơn vị này.")
    return assessment


def require_assessment_fill(user, assessment_id) -> Assessment:
    assessment = require_assessment_view(user, assessment_id)
    if not can_fill_in(user, assessment):
        raise PermissionDenied("Chỉ cán bộ, lãnh đạo của đơn vị mới được cập nhật bản tự đánh giá của đơn vị.")
    return assessment


def require_assessment_write(user, assessment_id) -> Assessment:
    """:func:`require_assessment_fill` for the hot path (saving one criterion): the assessment with its unit only,
    in a narrow row."""
    require_login(user)
    if isinstance(assessment_id, int) and not (0 < assessment_id < 2**63):
        raise Http404("Không tìm thấy bản tự đánh giá.")
    try:
        assessment = (
            Assessment.objects.select_related("unit")
            .only("id", "cycle_id", "unit_id", "status", "unit__id", "unit__path", "unit__name", "unit__code")
            .get(pk=assessment_id)
        )
    except (Assessment.DoesNotExist, ValueError, TypeError):
        raise Http404("Không tìm thấy bản tự đánh giá.") from None
    if not can_view_assessment(user, assessment):
        raise PermissionDenied("Bạn không có quyền xem bản tự đánh giá của đơn vị này.")
    if not can_fill_in(user, assessment):
        raise PermissionDenied("Chỉ cán bộ, lãnh đạo của đơn vị mới được cập nhật bản tự đánh giá của đơn vị.")
    return assessment


def require_assessment_lead(user, assessment_id) -> Assessment:
    assessment = require_assessment_view(user, assessment_id)
    if not can_lead(user, assessment):
        raise PermissionDenied("Chỉ lãnh đạo đơn vị mới được duyệt, trả lại, gửi hoặc rút bản tự đánh giá.")
    return assessment


def assessments_visible(user) -> QuerySet[Assessment]:
    """Assessments the user may see (for lists and dashboards)."""
    if not getattr(user, "is_authenticated", False):
        return Assessment.objects.none()
    if is_system_admin(user):
        return Assessment.objects.all()
    from parindex.appraisals.models import Assignment, CouncilMember

    scope = units_scope(user, UNIT_ROLES | OVERSIGHT_ROLES)
    council_cycles = CouncilMember.objects.filter(user=user, ended_at__isnull=True).values("council__cycle_id")
    assigned = Assignment.objects.filter(appraiser=user, ended_at__isnull=True)
    return Assessment.objects.filter(
        Q(unit__in=scope)
        | Q(cycle_id__in=council_cycles)
        | Q(cycle_id__in=assigned.filter(unit__isnull=True).values("cycle_id"))
        | Q(
            pk__in=Assessment.objects.filter(cycle_id__in=assigned.values("cycle_id"))
            .filter(unit_id__in=assigned.values("unit_id"))
            .values("pk")
        )
    )


def require_evidence_download(user, evidence_id) -> Evidence:
    if isinstance(evidence_id, int) and not (0 < evidence_id < 2**63):
        raise Http404("Không tìm thấy tài liệu.")
    try:
        evidence = Evidence.objects.select_related("assessment__unit").get(pk=evidence_id)
    except (Evidence.DoesNotExist, ValueError, TypeError):
        raise Http404("Không tìm thấy tài liệu.") from None
    require_login(user)
    if not can_view_assessment(user, evidence.assessment):
        raise PermissionDenied("Bạn không có quyền xem tài liệu kiểm chứng của đơn vị này.")
    return evidence
