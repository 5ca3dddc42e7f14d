"""Who may request, see and download which report, and who manages the Word templates.

* **Cycle-wide reports** (results, ranking, survey, plan, appraisal minutes, results report, decision): the index
  managers of the cycle's assessing body and the council (its chair, by role or seat, and its members). Leaders with
  the viewer role over the assessing body may request the ranking, the decision and the results report once the
  results they would read are published. Survey coordinators over the assessing body may request the survey report.
* **A unit's reports** (self-assessment, scorecard): whoever may see the unit's self-assessment (its officers and
  leaders, oversight roles covering it, the council, assigned appraisers), and the managers and council. The scorecard
  of a unit whose results are not yet published is for the managers and the council only (drafts are theirs).
* **A job and its file**: the person who asked and the managers of its cycle; to everyone else it does not exist
  (404). Files leave only through a permission-checked view, as attachments.
* **Word templates**: the index managers of the assessing body that owns them.

Each ``require_*`` returns the object or raises ``Http404`` / ``PermissionDenied``; views and endpoints call them
first.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from parindex.cycles.access import can_manage_cycle, cycles_visible
from parindex.cycles.models import Cycle, Participant
from parindex.orgs.access import (
    MANAGER_ROLES,
    has_role_for_unit,
    is_system_admin,
    require_login,
    units_scope,
    user_roles,
)
from parindex.orgs.models import OrgUnit, Role, UnitGroup

from .models import ReportJob, ReportKind
from .registry import SPECS, TEMPLATE_KINDS

CYCLE_KINDS = frozenset(
    {
        ReportKind.RESULTS,
        ReportKind.RANKING,
        ReportKind.SURVEY,
        ReportKind.PLAN,
        ReportKind.APPRAISAL_MINUTES,
        ReportKind.RESULTS_REPORT,
        ReportKind.DECISION,
    }
)
UNIT_KINDS = frozenset({ReportKind.SELF_ASSESSMENT, ReportKind.SCORECARD})
LEADER_KINDS = frozenset({ReportKind.RANKING, ReportKind.DECISION, ReportKind.RESULTS_REPORT})
UNIT_ROLES = {Role.UNIT_OFFICER, Role.UNIT_LEADER}
# Roles that, somewhere, may open a report (used for the navigation entry, no query needed).
REPORT_ROLES = MANAGER_ROLES | {Role.COUNCIL_CHAIR, Role.VIEWER, Role.SURVEY_COORDINATOR}

JOB_NOT_FOUND = "Không tìm thấy báo cáo."
NO_REPORTS = (
    "Bạn không có quyền yêu cầu báo cáo nào: chức năng này dành cho quản lý Chỉ số, Hội đồng thẩm định, lãnh đạo "
    "theo dõi và cán bộ các đơn vị tham gia đợt đánh giá."
)
TEMPLATES_DENIED = "Chỉ quản lý Chỉ số của cơ quan đánh giá mới được quản lý mẫu văn bản."


def _authenticated(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def _id(value):
    """An id from a URL or a body; out of the database's range it names nothing (never a database error)."""
    if isinstance(value, int) and not (0 < value < 2**63):
        return None
    return value


# --- who is who in a cycle -----------------------------------------------------------------------------------------


def _council(user, cycle: Cycle) -> bool:
    """The council of the cycle: the chair by role over the assessing body, or an active seat in its council."""
    from parindex.appraisals.models import CouncilMember

    if has_role_for_unit(user, cycle.assessor, {Role.COUNCIL_CHAIR}):
        return True
    return CouncilMember.objects.filter(council__cycle=cycle, user=user, ended_at__isnull=True).exists()


def is_cycle_staff(user, cycle: Cycle) -> bool:
    """Index managers of the assessing body and the council: every report of the cycle, drafts included."""
    if not _authenticated(user):
        return False
    cache = user.__dict__.setdefault("_parindex_report_staff", {})
    if cycle.pk not in cache:
        cache[cycle.pk] = can_manage_cycle(user, cycle) or _council(user, cycle)
    return cache[cycle.pk]


def _is_viewer(user, cycle: Cycle) -> bool:
    return has_role_for_unit(user, cycle.assessor, {Role.VIEWER})


def _is_coordinator(user, cycle: Cycle) -> bool:
    from parindex.surveys.access import is_coordinator_for

    return is_system_admin(user) or is_coordinator_for(user, cycle.assessor)


def _published_covers(cycle: Cycle, group: UnitGroup | None) -> bool:
    """Whether every result the cycle-wide document would read is published: the group's results, or (without a
    group) those of every group that has computed results."""
    from parindex.scoring.models import JobState, ResultSet, ResultStatus

    sets = ResultSet.objects.filter(cycle=cycle, job_state=JobState.DONE).exclude(status=ResultStatus.SUPERSEDED)
    if group is not None:
        sets = sets.filter(group=group)
    groups = set(sets.values_list("group_id", flat=True))
    published = set(sets.filter(status=ResultStatus.PUBLISHED).values_list("group_id", flat=True))
    return bool(published) and groups == published


def _unit_published(cycle: Cycle, unit: OrgUnit) -> bool:
    from parindex.scoring.models import ResultStatus, UnitResult

    return UnitResult.objects.filter(
        result_set__cycle=cycle, result_set__status=ResultStatus.PUBLISHED, unit=unit
    ).exists()


def report_units(user, cycle: Cycle) -> QuerySet[OrgUnit]:
    """Participating units whose own reports the user may request: all of them for the managers and the council;
    otherwise those whose self-assessment the user may see."""
    participants = Participant.objects.filter(cycle=cycle, withdrawn_at__isnull=True)
    units = OrgUnit.objects.filter(pk__in=participants.values("unit_id")).order_by("name")
    if not _authenticated(user):
        return units.none()
    if is_cycle_staff(user, cycle):
        return units
    from parindex.assessments.access import assessments_visible

    return units.filter(pk__in=assessments_visible(user).filter(cycle=cycle).values("unit_id"))


def can_request_kind(user, cycle: Cycle, kind: str) -> bool:
    """Whether the user may request this kind of report in the cycle for some unit or group."""
    if not _authenticated(user) or kind not in SPECS:
        return False
    if is_cycle_staff(user, cycle):
        return True
    if kind in UNIT_KINDS:
        return report_units(user, cycle).exists()
    if kind == ReportKind.SURVEY and _is_coordinator(user, cycle):
        return True
    if kind in LEADER_KINDS and _is_viewer(user, cycle):
        from parindex.scoring.models import ResultStatus

        return cycle.result_sets.filter(status=ResultStatus.PUBLISHED).exists()
    return False


def kinds_for(user, cycle: Cycle) -> list[str]:
    return [kind for kind in SPECS if can_request_kind(user, cycle, kind)]


def can_request(user, cycle: Cycle, kind: str, unit: OrgUnit | None = None, group: UnitGroup | None = None) -> bool:
    """The full check of one request (the unit or group chosen)."""
    if not can_request_kind(user, cycle, kind):
        return False
    if kind in UNIT_KINDS:
        if unit is None or not report_units(user, cycle).filter(pk=unit.pk).exists():
            return False
        if kind == ReportKind.SCORECARD and not is_cycle_staff(user, cycle):
            return _unit_published(cycle, unit)
        return True
    if is_cycle_staff(user, cycle) or kind == ReportKind.SURVEY:
        return True
    return _published_covers(cycle, group)  # a viewer: published results only


def report_cycles(user) -> list[Cycle]:
    """The cycles in which the user may request at least one report, newest first."""
    if not _authenticated(user):
        return []
    return [cycle for cycle in cycles_visible(user).order_by("-year", "name") if kinds_for(user, cycle)]


def may_request_some(user) -> bool:
    """For the navigation entry: cheap by roles; a unit's people and council members without a role cost one
    query."""
    if not _authenticated(user):
        return False
    roles = user_roles(user)
    if roles & REPORT_ROLES:
        return True
    if roles & (UNIT_ROLES | {Role.APPRAISER}):
        return Participant.objects.filter(withdrawn_at__isnull=True, unit__in=units_scope(user)).exists()
    from parindex.appraisals.models import CouncilMember

    return CouncilMember.objects.filter(user=user, ended_at__isnull=True).exists()


# --- checks used by views and endpoints ----------------------------------------------------------------------------


def require_reports(user) -> None:
    """The reports page: someone who may request some report."""
    require_login(user)
    if not may_request_some(user):
        raise PermissionDenied(NO_REPORTS)


def require_report_cycle(user, cycle_id) -> Cycle:
    """A cycle in which the user may request some report."""
    require_login(user)
    try:
        cycle = Cycle.objects.select_related("assessor").get(pk=_id(cycle_id))
    except (Cycle.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy đợt đánh giá.") from None
    if not kinds_for(user, cycle):
        raise PermissionDenied("Bạn không có quyền yêu cầu báo cáo của đợt đánh giá này.")
    return cycle


def require_report_request(
    user, *, cycle: Cycle, kind: str, unit: OrgUnit | None = None, group: UnitGroup | None = None
) -> None:
    require_login(user)
    if can_request(user, cycle, kind, unit, group):
        return
    label = SPECS[kind].label if kind in SPECS else kind
    if kind in UNIT_KINDS and unit is not None:
        if kind == ReportKind.SCORECARD and report_units(user, cycle).filter(pk=unit.pk).exists():
            raise PermissionDenied(
                f"Kết quả của “{unit.name}” chưa được công bố: phiếu kết quả lúc này chỉ dành cho quản lý Chỉ số và "
                "Hội đồng thẩm định."
            )
        raise PermissionDenied(f"Bạn không có quyền yêu cầu “{label}” của đơn vị “{unit.name}”.")
    if kind in LEADER_KINDS and _is_viewer(user, cycle):
        raise PermissionDenied(
            f"“{label}” chỉ mở cho lãnh đạo theo dõi khi kết quả đã được công bố; hãy chọn nhóm đơn vị đã công bố."
        )
    raise PermissionDenied(f"Bạn không có quyền yêu cầu “{label}” của đợt “{cycle.name}”.")


def can_see_job(user, job: ReportJob) -> bool:
    if not _authenticated(user):
        return False
    return job.requested_by_id == user.pk or can_manage_cycle(user, job.cycle)


def require_job(user, job_id) -> ReportJob:
    """The job for its requester and the managers of its cycle; it does not exist for anyone else."""
    require_login(user)
    try:
        job = ReportJob.objects.select_related("cycle__assessor", "unit", "group", "requested_by").get(pk=_id(job_id))
    except (ReportJob.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404(JOB_NOT_FOUND) from None
    if not can_see_job(user, job):
        raise Http404(JOB_NOT_FOUND)
    return job


def require_job_file(user, job_id) -> ReportJob:
    """A finished job with its file (404 while it is being made or when it failed)."""
    job = require_job(user, job_id)
    if job.state != "done" or not job.file:
        raise Http404("Báo cáo chưa tạo xong hoặc không có tệp.")
    return job


def require_cycle_jobs(user, cycle_id) -> Cycle:
    """Every job of a cycle: its managers."""
    from parindex.cycles.access import require_cycle_manage

    return require_cycle_manage(user, cycle_id)


def jobs_visible(user) -> QuerySet[ReportJob]:
    """Jobs the user asked for, and those of the cycles the user manages."""
    if not _authenticated(user):
        return ReportJob.objects.none()
    qs = ReportJob.objects.select_related("cycle", "unit", "group", "requested_by")
    if is_system_admin(user):
        return qs
    managed = units_scope(user, MANAGER_ROLES)
    return qs.filter(Q(requested_by=user) | Q(cycle__assessor__in=managed))


# --- Word templates ------------------------------------------------------------------------------------------------


def template_owners(user) -> QuerySet[OrgUnit]:
    """Assessing bodies (of a cycle, or owning a unit group) whose templates the user manages."""
    if not _authenticated(user):
        return OrgUnit.objects.none()
    assessors = Q(pk__in=Cycle.objects.values("assessor_id")) | Q(
        pk__in=UnitGroup.objects.filter(owner__isnull=False).values("owner_id")
    )
    return units_scope(user, MANAGER_ROLES).filter(assessors).order_by("path")


def can_manage_templates(user) -> bool:
    return template_owners(user).exists()


def require_template_owner(user, owner_id=None) -> OrgUnit:
    """The assessing body whose templates are managed: the one asked for, or the user's first."""
    require_login(user)
    owners = template_owners(user)
    if owner_id in (None, ""):
        owner = owners.first()
        if owner is None:
            raise PermissionDenied(TEMPLATES_DENIED)
        return owner
    try:
        owner = OrgUnit.objects.get(pk=_id(owner_id))
    except (OrgUnit.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Không tìm thấy cơ quan đánh giá.") from None
    if not owners.filter(pk=owner.pk).exists():
        raise PermissionDenied(TEMPLATES_DENIED)
    return owner


def require_template_kind(user, kind: str) -> str:
    """A document kind whose Word template may be replaced (for the shipped template: any template manager)."""
    require_login(user)
    if kind not in TEMPLATE_KINDS:
        raise Http404("Không có mẫu văn bản Word cho loại báo cáo này.")
    if not can_manage_templates(user):
        raise PermissionDenied(TEMPLATES_DENIED)
    return kind


def require_template_manage(user, owner_id, kind: str) -> tuple[OrgUnit, str]:
    owner = require_template_owner(user, owner_id)
    return owner, require_template_kind(user, kind)
