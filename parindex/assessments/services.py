"""Writes on self-assessments. Every function checks the window and the state, writes, and audits in one
transaction.

Saving one entry is a small write (the hot path of the grid): lock the row, compare versions, evaluate the rule,
write the entry, its ScoreChange and an AuditEvent. Totals are not recomputed here.

The assessment's row is the point where writers meet: every service here locks it (entry saves too, after the
entry) and reads its status from the locked row, so that a save racing a submission either lands before the frozen
copy is taken or is refused after it.

State machine of a unit's report (``AssessmentStatus``)::

    not_started ─(first save)─▶ in_progress ─send_for_review─▶ awaiting_review
    in_progress / returned ─send_for_review─▶ awaiting_review          (officer or leader)
    awaiting_review / in_progress ─return(reason)─▶ returned           (leader)
    in_progress / awaiting_review / returned ─submit─▶ submitted        (leader; every criterion scored, evidence or
                                                                          an explanation for every point claimed)
    submitted ─withdraw─▶ in_progress                                   (leader; self-assessment window open and
                                                                          appraisal not started)

All four happen inside the self-assessment window (a unit's extension counts).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from parindex.core.exceptions import ConflictError
from parindex.core.files import check_upload
from parindex.core.notifications import notify
from parindex.core.services import audit_record
from parindex.cycles.models import WindowKind
from parindex.cycles.windows import format_moment, window_require_open
from parindex.orgs.models import Role

from . import scoring, selectors
from .models import (
    EDITABLE_STATUSES,
    Assessment,
    AssessmentStatus,
    Entry,
    EntryEvidence,
    Evidence,
    EvidenceKind,
    ScoreChange,
    Stage,
    Submission,
)

_UNSET = object()


def assessment_ensure(*, participant) -> Assessment:
    """The participant's assessment with one entry per scored leaf of its framework (idempotent)."""
    from parindex.frameworks.models import Node

    assessment, _created = Assessment.objects.get_or_create(
        participant=participant,
        defaults={
            "cycle_id": participant.cycle_id,
            "unit_id": participant.unit_id,
            "framework_id": participant.framework_id,
        },
    )
    nodes = Node.objects.filter(framework_id=participant.framework_id)
    parents = set(nodes.exclude(parent__isnull=True).values_list("parent_id", flat=True))
    have = set(assessment.entries.values_list("node_id", flat=True))
    Entry.objects.bulk_create(
        [
            Entry(assessment=assessment, node_id=pk)
            for pk in nodes.values_list("pk", flat=True)
            if pk not in parents and pk not in have
        ]
    )
    return assessment


def entry_payload(entry: Entry) -> dict:
    """The entry as plain data (API answers, conflict messages, frozen copies)."""
    return {
        "id": entry.pk,
        "node": entry.node.code,
        "declared": entry.declared,
        "self_points": str(entry.self_points) if entry.self_points is not None else None,
        "self_note": entry.self_note,
        "explanation": entry.explanation,
        "version": entry.version,
        "updated_at": entry.self_updated_at.isoformat() if entry.self_updated_at else None,
        "updated_by": entry.self_updated_by.display_name if entry.self_updated_by_id else None,
    }


def _conflict(entry: Entry) -> ConflictError:
    who = entry.self_updated_by.display_name if entry.self_updated_by_id else "người khác"
    when = format_moment(entry.self_updated_at) if entry.self_updated_at else ""
    shown = entry.self_points if entry.self_points is not None else "(trống)"
    return ConflictError(
        f"Tiêu chí {entry.node.code} vừa được {who} lưu lúc {when} với điểm {shown}"
        f"{f', số liệu {entry.declared}' if entry.declared not in (None, '') else ''}. "
        "Dữ liệu của bạn chưa được lưu; hãy xem giá trị mới rồi lưu lại nếu cần.",
        current_version=str(entry.version),
        current=entry_payload(entry),
    )


def require_editable(assessment: Assessment) -> None:
    if assessment.status not in EDITABLE_STATUSES:
        raise ValidationError(
            f"Bản tự đánh giá đang ở trạng thái “{assessment.get_status_display()}”, không thể sửa. "
            "Lãnh đạo đơn vị có thể rút lại bản đã gửi khi thời hạn tự đánh giá còn mở và chưa bắt đầu thẩm định."
        )


def _lock_assessment(assessment_id: int, related=("cycle", "unit", "framework")) -> Assessment:
    """The assessment's row, locked, with its cycle, unit and framework (status read from the locked row).

    FOR NO KEY UPDATE: writers of the same report wait for each other, while rows that merely point at the report
    (evidence, submissions, audit) are inserted without waiting."""
    try:
        return (
            Assessment.objects.select_for_update(of=("self",), no_key=True)
            .select_related(*related)
            .get(pk=assessment_id)
        )
    except Assessment.DoesNotExist:
        raise Http404("Không tìm thấy bản tự đánh giá.") from None


_ENTRY_FIELDS = (
    "id",
    "assessment_id",
    "version",
    "declared",
    "self_points",
    "self_note",
    "explanation",
    "self_updated_at",
    "self_updated_by_id",
    "node__id",
    "node__code",
    "node__name",
    "node__method",
    "node__rule",
    "node__max_points",
    "node__min_points",
)
_ASSESSMENT_FIELDS = (
    "id",
    "status",
    "cycle__id",
    "cycle__year",
    "unit__id",
    "unit__code",
    "unit__name",
    "unit__kind",
    "unit__path",
)


def entry_self_save(
    *,
    entry_id: int,
    version: int,
    actor,
    declared=_UNSET,
    explanation=_UNSET,
    assessment_id: int | None = None,
) -> Entry:
    """Save what the unit declares for one criterion (for manual rules, the declared value is the points) and/or
    its explanation. ``version`` is the entry's version the writer last read. With ``assessment_id`` the entry must
    belong to that assessment (views and the API pass the assessment they checked access to)."""
    with transaction.atomic():
        try:
            # The hot path: only the columns the save reads (a narrow row compiles and converts faster).
            entry = (
                Entry.objects.select_for_update(of=("self",), no_key=True)
                .select_related("node")
                .only(*_ENTRY_FIELDS)
                .get(pk=entry_id)
            )
        except (Entry.DoesNotExist, ValueError, TypeError):
            raise ValidationError("Không tìm thấy tiêu chí cần lưu.") from None
        if assessment_id is not None and entry.assessment_id != int(assessment_id):
            raise Http404("Không tìm thấy tiêu chí trong bản tự đánh giá này.")
        assessment = (
            Assessment.objects.select_for_update(of=("self",), no_key=True)
            .select_related("cycle", "unit")
            .only(*_ASSESSMENT_FIELDS)
            .get(pk=entry.assessment_id)
        )
        entry.assessment = assessment
        window_require_open(cycle=assessment.cycle, kind=WindowKind.SELF_ASSESSMENT, unit=assessment.unit)
        require_editable(assessment)
        if not scoring.is_self_scored(entry.node):
            method = entry.node.get_method_display()
            raise ValidationError(
                {"declared": f"Tiêu chí {entry.node.code} được chấm theo phương thức “{method}”, đơn vị không tự chấm."}
            )
        if entry.version != version:
            raise _conflict(entry)
        old_points, old_declared, old_explanation = entry.self_points, entry.declared, entry.explanation
        fields = ["version", "self_updated_at", "self_updated_by"]
        if declared is not _UNSET:
            if isinstance(declared, str):
                declared = declared.strip()
            elif isinstance(declared, Decimal | dt.date):
                declared = str(declared) if isinstance(declared, Decimal) else declared.isoformat()  # JSON-safe
            points, note = scoring.score(
                entry.node, declared, context=scoring.context_for(unit=assessment.unit, year=assessment.cycle.year)
            )
            entry.declared = None if declared in ("", None) else declared
            entry.self_points, entry.self_note = points, note
            fields += ["declared", "self_points", "self_note"]
        if explanation is not _UNSET:
            entry.explanation = (explanation or "").strip()
            fields.append("explanation")
        now = timezone.now()
        entry.version += 1
        entry.self_updated_at, entry.self_updated_by = now, actor
        entry.save(update_fields=fields)
        if entry.self_points != old_points or entry.declared != old_declared:
            ScoreChange.objects.create(
                entry=entry,
                stage=Stage.SELF,
                old_points=old_points,
                new_points=entry.self_points,
                old_declared=old_declared,
                new_declared=entry.declared,
                actor=actor,
            )
        if assessment.status == AssessmentStatus.NOT_STARTED:
            Assessment.objects.filter(pk=assessment.pk, status=AssessmentStatus.NOT_STARTED).update(
                status=AssessmentStatus.IN_PROGRESS, updated_at=now
            )
            assessment.status = AssessmentStatus.IN_PROGRESS
        changes = {}
        if entry.self_points != old_points:
            changes["self_points"] = [old_points, entry.self_points]
        if entry.declared != old_declared:
            changes["declared"] = [old_declared, entry.declared]
        if entry.explanation != old_explanation:
            changes["explanation"] = [old_explanation, entry.explanation]
        audit_record(
            actor=actor,
            action="assessment.entry_saved",
            obj=entry,
            object_repr=f"{assessment.unit.name} — {entry.node.code}",
            unit=assessment.unit,
            changes=changes,
        )
    return entry


# --- workflow ---------------------------------------------------------------------------------------------------

# action → (states it starts from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "send_for_review": (
        frozenset({AssessmentStatus.IN_PROGRESS, AssessmentStatus.RETURNED}),
        AssessmentStatus.AWAITING_REVIEW,
    ),
    "return": (
        frozenset({AssessmentStatus.AWAITING_REVIEW, AssessmentStatus.IN_PROGRESS}),
        AssessmentStatus.RETURNED,
    ),
    "submit": (
        frozenset({AssessmentStatus.IN_PROGRESS, AssessmentStatus.AWAITING_REVIEW, AssessmentStatus.RETURNED}),
        AssessmentStatus.SUBMITTED,
    ),
    "withdraw": (frozenset({AssessmentStatus.SUBMITTED}), AssessmentStatus.IN_PROGRESS),
}
ACTION_LABELS = {
    "send_for_review": "trình lãnh đạo duyệt",
    "return": "trả lại",
    "submit": "gửi",
    "withdraw": "rút lại",
}


def can_transition(assessment: Assessment, action: str) -> bool:
    return assessment.status in TRANSITIONS[action][0]


def _require_transition(assessment: Assessment, action: str) -> str:
    sources, target = TRANSITIONS[action]
    if assessment.status not in sources:
        allowed = ", ".join(f"“{AssessmentStatus(s).label}”" for s in sorted(sources))
        message = (
            f"Không thể {ACTION_LABELS[action]} bản tự đánh giá đang ở trạng thái “{assessment.get_status_display()}”"
            f" (chỉ được khi ở trạng thái {allowed})."
        )
        if action == "withdraw" and assessment.status not in EDITABLE_STATUSES:
            message += " Việc thẩm định đã bắt đầu hoặc đã kết thúc."
        raise ValidationError(message)
    return target


def _grid_url(assessment: Assessment) -> str:
    return reverse("assessments:grid", args=[assessment.pk])


def _set_status(assessment: Assessment, target: str, *, actor, action: str, reason: str = "", extra=None) -> None:
    old = assessment.status
    assessment.status = target
    assessment.status_note = reason
    assessment.version += 1
    fields = ["status", "status_note", "version", "updated_at", *(extra or [])]
    assessment.save(update_fields=fields)
    audit_record(
        actor=actor,
        action=f"assessment.{action}",
        obj=assessment,
        unit=assessment.unit,
        changes={"status": [old, target]},
        reason=reason,
    )


def assessment_send_for_review(*, assessment: Assessment, actor) -> Assessment:
    """The officer hands the report to the unit's leader (who is notified)."""
    with transaction.atomic():
        assessment = _lock_assessment(assessment.pk)
        window_require_open(cycle=assessment.cycle, kind=WindowKind.SELF_ASSESSMENT, unit=assessment.unit)
        target = _require_transition(assessment, "send_for_review")
        _set_status(assessment, target, actor=actor, action="sent_for_review")
        notify(
            users=selectors.unit_people(assessment.unit, {Role.UNIT_LEADER}),
            key=f"assessment:{assessment.pk}:review:{assessment.version}",
            title=f"Bản tự đánh giá của {assessment.unit.name} chờ lãnh đạo duyệt",
            body=f"{actor.display_name} đã trình bản tự đánh giá “{assessment.cycle.name}” để lãnh đạo duyệt và gửi.",
            url=_grid_url(assessment),
        )
    return assessment


def assessment_return(*, assessment: Assessment, actor, reason: str) -> Assessment:
    """The leader sends the report back to the officers with a reason (who are notified)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Hãy ghi lý do trả lại để cán bộ biết cần sửa gì."})
    with transaction.atomic():
        assessment = _lock_assessment(assessment.pk)
        window_require_open(cycle=assessment.cycle, kind=WindowKind.SELF_ASSESSMENT, unit=assessment.unit)
        target = _require_transition(assessment, "return")
        _set_status(assessment, target, actor=actor, action="returned", reason=reason)
        notify(
            users=selectors.unit_people(assessment.unit, {Role.UNIT_OFFICER}),
            key=f"assessment:{assessment.pk}:returned:{assessment.version}",
            title=f"Lãnh đạo đã trả lại bản tự đánh giá của {assessment.unit.name}",
            body=f"{actor.display_name} trả lại bản tự đánh giá “{assessment.cycle.name}”. Lý do: {reason}",
            url=_grid_url(assessment),
        )
    return assessment


def assessment_submit(*, assessment: Assessment, actor) -> Submission:
    """The leader submits: every self-scored criterion has a value, every point claimed has evidence or an
    explanation; a frozen copy of every value is kept as a :class:`Submission`."""
    with transaction.atomic():
        assessment = _lock_assessment(assessment.pk)
        window_require_open(cycle=assessment.cycle, kind=WindowKind.SELF_ASSESSMENT, unit=assessment.unit)
        target = _require_transition(assessment, "submit")
        the_grid = selectors.grid(assessment)
        problems = selectors.submission_problems(the_grid)
        if problems:
            raise ValidationError({"entries": problems})
        number = (assessment.submissions.aggregate(m=Max("number"))["m"] or 0) + 1
        now = timezone.now()
        assessment.submitted_at, assessment.submitted_by = now, actor
        _set_status(assessment, target, actor=actor, action="submitted", extra=["submitted_at", "submitted_by"])
        data = selectors.snapshot(the_grid, actor=actor, number=number)
        data["submitted_at"] = now.isoformat()
        data["submitted_by"] = actor.display_name
        submission = Submission.objects.create(
            assessment=assessment, number=number, data=data, total_points=the_grid.total, submitted_by=actor
        )
        audit_record(
            actor=actor,
            action="assessment.submission_frozen",
            obj=submission,
            unit=assessment.unit,
            changes={"number": [None, number], "total_points": [None, the_grid.total]},
        )
    return submission


def assessment_withdraw(*, assessment: Assessment, actor, reason: str = "") -> Assessment:
    """The leader takes the submitted report back to edit it, while the self-assessment window is open and the
    appraisal has not started. The frozen copy stays, marked withdrawn."""
    with transaction.atomic():
        assessment = _lock_assessment(assessment.pk)
        window_require_open(cycle=assessment.cycle, kind=WindowKind.SELF_ASSESSMENT, unit=assessment.unit)
        target = _require_transition(assessment, "withdraw")
        now = timezone.now()
        submission = assessment.submissions.filter(withdrawn_at__isnull=True).order_by("-number").first()
        if submission is not None:
            submission.withdrawn_at, submission.withdrawn_by = now, actor
            submission.save(update_fields=["withdrawn_at", "withdrawn_by"])
        assessment.submitted_at, assessment.submitted_by = None, None
        _set_status(
            assessment,
            target,
            actor=actor,
            action="withdrawn",
            reason=(reason or "").strip(),
            extra=["submitted_at", "submitted_by"],
        )
    return assessment


def assessment_narrative_save(
    *, assessment: Assessment, actor, version: int, difficulties: str | None = None, proposals: str | None = None
) -> Assessment:
    """The report's narrative parts (difficulties, proposals), while the report is editable."""
    with transaction.atomic():
        assessment = _lock_assessment(assessment.pk)
        window_require_open(cycle=assessment.cycle, kind=WindowKind.SELF_ASSESSMENT, unit=assessment.unit)
        require_editable(assessment)
        if assessment.version != version:
            raise ConflictError(
                "Phần khó khăn, đề xuất vừa được người khác sửa; dữ liệu của bạn chưa được lưu. "
                "Hãy xem nội dung mới rồi lưu lại nếu cần.",
                current_version=str(assessment.version),
                current={
                    "difficulties": assessment.difficulties,
                    "proposals": assessment.proposals,
                    "version": assessment.version,
                },
            )
        changes = {}
        for name, value in (("difficulties", difficulties), ("proposals", proposals)):
            if value is None:
                continue
            value = value.strip()
            if value != getattr(assessment, name):
                changes[name] = [getattr(assessment, name), value]
                setattr(assessment, name, value)
        if changes:
            assessment.version += 1
            if assessment.status == AssessmentStatus.NOT_STARTED:
                changes["status"] = [assessment.status, AssessmentStatus.IN_PROGRESS]
                assessment.status = AssessmentStatus.IN_PROGRESS
            assessment.save(update_fields=[*[c for c in changes if c != "status"], "status", "version", "updated_at"])
            audit_record(
                actor=actor, action="assessment.narrative_saved", obj=assessment, unit=assessment.unit, changes=changes
            )
    return assessment


# --- evidence ---------------------------------------------------------------------------------------------------

SUPPLEMENTARY_STATUSES = {AssessmentStatus.SUBMITTED, AssessmentStatus.UNDER_APPRAISAL}


def evidence_window(assessment: Assessment) -> str | None:
    """The window in which evidence may be added to the report in its present state (None: not at all).

    While the report is being written: the self-assessment window. After submission: the supplementary-evidence
    window. When an explanation is requested: the explanation window."""
    if assessment.status in EDITABLE_STATUSES:
        return WindowKind.SELF_ASSESSMENT
    if assessment.status in SUPPLEMENTARY_STATUSES:
        return WindowKind.SUPPLEMENTARY
    if assessment.status == AssessmentStatus.EXPLANATION_REQUESTED:
        return WindowKind.EXPLANATION
    return None


def _require_evidence_window(assessment: Assessment) -> bool:
    """Check the window for adding evidence; True when what is added now is supplementary."""
    kind = evidence_window(assessment)
    if kind is None:
        raise ValidationError(
            f"Bản tự đánh giá đang ở trạng thái “{assessment.get_status_display()}”, không thể bổ sung tài liệu."
        )
    window_require_open(cycle=assessment.cycle, kind=kind, unit=assessment.unit)
    return assessment.status not in EDITABLE_STATUSES


def _require_evidence_editable(assessment: Assessment) -> None:
    """Detaching and withdrawing change what was submitted: only while the report is being written."""
    window_require_open(cycle=assessment.cycle, kind=WindowKind.SELF_ASSESSMENT, unit=assessment.unit)
    if assessment.status not in EDITABLE_STATUSES:
        raise ValidationError(
            f"Bản tự đánh giá đang ở trạng thái “{assessment.get_status_display()}”: tài liệu đã gửi không gỡ được "
            "nữa, chỉ có thể bổ sung tài liệu trong thời hạn bổ sung."
        )


def _entry_of(assessment: Assessment, entry_id) -> Entry:
    try:
        entry = Entry.objects.select_related("node").get(pk=entry_id, assessment_id=assessment.pk)
    except (Entry.DoesNotExist, ValueError, TypeError):
        raise Http404("Không tìm thấy tiêu chí trong bản tự đánh giá này.") from None
    return entry


def _link(*, entry: Entry, evidence: Evidence, actor, supplementary: bool) -> EntryEvidence | None:
    """Attach (idempotent: None when it was attached already)."""
    if EntryEvidence.objects.filter(entry=entry, evidence=evidence).exists():
        return None
    return EntryEvidence.objects.create(entry=entry, evidence=evidence, attached_by=actor, supplementary=supplementary)


def _clean_meta(title: str, number: str, fallback_title: str = "") -> tuple[str, str]:
    title = " ".join((title or "").split()) or fallback_title
    if not title:
        raise ValidationError({"title": "Hãy nhập trích yếu (tên) của tài liệu."})
    if len(title) > 500:
        raise ValidationError({"title": "Trích yếu tối đa 500 ký tự."})
    number = " ".join((number or "").split())
    if len(number) > 100:
        raise ValidationError({"number": "Số, ký hiệu tối đa 100 ký tự."})
    return title, number


def evidence_upload(
    *,
    assessment: Assessment,
    upload,
    actor,
    title: str = "",
    number: str = "",
    issued_on=None,
    entry_id: int | None = None,
) -> Evidence:
    """Store an uploaded document (type checked by content, size limited, safe name, SHA-256) under MEDIA_ROOT and
    attach it to ``entry_id`` when given."""
    checked = check_upload(upload)
    title, number = _clean_meta(title, number, fallback_title=PurePosixPath(checked.name).stem)
    stored = None
    try:
        with transaction.atomic():
            assessment = _lock_assessment(assessment.pk)
            supplementary = _require_evidence_window(assessment)
            entry = _entry_of(assessment, entry_id) if entry_id else None
            extension = checked.name.rsplit(".", 1)[-1].lower()
            stored = default_storage.save(f"evidence/{assessment.pk}/{uuid.uuid4().hex}.{extension}", upload)
            evidence = Evidence(
                assessment=assessment,
                kind=EvidenceKind.FILE,
                title=title,
                number=number,
                issued_on=issued_on,
                original_name=checked.name,
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
                supplementary=supplementary,
                uploaded_by=actor,
            )
            evidence.file.name = stored
            evidence.save()
            if entry is not None:
                _link(entry=entry, evidence=evidence, actor=actor, supplementary=supplementary)
            audit_record(
                actor=actor,
                action="assessment.evidence_uploaded",
                obj=evidence,
                unit=assessment.unit,
                changes={
                    "title": [None, title],
                    "file": [None, checked.name],
                    "sha256": [None, checked.sha256],
                    "entry": [None, entry.node.code if entry else None],
                    "supplementary": [None, supplementary],
                },
            )
    except BaseException:
        if stored:
            default_storage.delete(stored)
        raise
    return evidence


_URL = URLValidator(schemes=["http", "https"])


def evidence_link_add(
    *,
    assessment: Assessment,
    url: str,
    actor,
    title: str = "",
    number: str = "",
    issued_on=None,
    entry_id: int | None = None,
) -> Evidence:
    """A published document given by its address (http or https only)."""
    url = (url or "").strip()
    try:
        _URL(url)
    except ValidationError:
        raise ValidationError({"url": f"“{url[:200]}” không phải là đường dẫn http:// hoặc https:// hợp lệ."}) from None
    if len(url) > 1000:
        raise ValidationError({"url": "Đường dẫn tối đa 1000 ký tự."})
    title, number = _clean_meta(title, number)
    with transaction.atomic():
        assessment = _lock_assessment(assessment.pk)
        supplementary = _require_evidence_window(assessment)
        entry = _entry_of(assessment, entry_id) if entry_id else None
        evidence = Evidence.objects.create(
            assessment=assessment,
            kind=EvidenceKind.LINK,
            title=title,
            number=number,
            issued_on=issued_on,
            url=url,
            supplementary=supplementary,
            uploaded_by=actor,
        )
        if entry is not None:
            _link(entry=entry, evidence=evidence, actor=actor, supplementary=supplementary)
        audit_record(
            actor=actor,
            action="assessment.evidence_linked",
            obj=evidence,
            unit=assessment.unit,
            changes={"url": [None, url], "entry": [None, entry.node.code if entry else None]},
        )
    return evidence


def _evidence_of(assessment: Assessment, evidence_id) -> Evidence:
    try:
        return Evidence.objects.get(pk=evidence_id, assessment_id=assessment.pk)
    except (Evidence.DoesNotExist, ValueError, TypeError):
        raise Http404("Không tìm thấy tài liệu trong bản tự đánh giá này.") from None


def evidence_attach(*, assessment: Assessment, entry_id: int, evidence_id: int, actor) -> EntryEvidence | None:
    """Reuse a document of the same assessment for another criterion (idempotent)."""
    with transaction.atomic():
        assessment = _lock_assessment(assessment.pk)
        supplementary = _require_evidence_window(assessment)
        entry = _entry_of(assessment, entry_id)
        evidence = _evidence_of(assessment, evidence_id)
        if evidence.withdrawn_at is not None:
            raise ValidationError({"evidence": f"Tài liệu “{evidence.title}” đã bị gỡ; không thể gắn lại."})
        link = _link(entry=entry, evidence=evidence, actor=actor, supplementary=supplementary)
        if link is not None:
            audit_record(
                actor=actor,
                action="assessment.evidence_attached",
                obj=evidence,
                unit=assessment.unit,
                changes={"entry": [None, entry.node.code], "supplementary": [None, supplementary]},
            )
    return link


def evidence_detach(*, assessment: Assessment, entry_id: int, evidence_id: int, actor) -> None:
    with transaction.atomic():
        assessment = _lock_assessment(assessment.pk)
        _require_evidence_editable(assessment)
        entry = _entry_of(assessment, entry_id)
        evidence = _evidence_of(assessment, evidence_id)
        deleted, _rows = EntryEvidence.objects.filter(entry=entry, evidence=evidence).delete()
        if deleted:
            audit_record(
                actor=actor,
                action="assessment.evidence_detached",
                obj=evidence,
                unit=assessment.unit,
                changes={"entry": [entry.node.code, None]},
            )


def evidence_withdraw(*, assessment: Assessment, evidence_id: int, actor, reason: str = "") -> Evidence:
    """Withdraw a document (never deleted: the file and its record stay; it no longer counts as evidence)."""
    with transaction.atomic():
        assessment = _lock_assessment(assessment.pk)
        _require_evidence_editable(assessment)
        evidence = _evidence_of(assessment, evidence_id)
        if evidence.withdrawn_at is not None:
            return evidence
        evidence.withdrawn_at, evidence.withdrawn_by = timezone.now(), actor
        evidence.withdrawn_reason = (reason or "").strip()[:1000]
        evidence.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason"])
        audit_record(
            actor=actor,
            action="assessment.evidence_withdrawn",
            obj=evidence,
            unit=assessment.unit,
            changes={"withdrawn_at": [None, evidence.withdrawn_at]},
            reason=evidence.withdrawn_reason,
        )
    return evidence
