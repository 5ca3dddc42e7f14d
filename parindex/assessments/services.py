"""Writes on self-assessments. Every function checks the window and the state, writes, and audits in one
transaction.

Saving one entry is a small write (the hot path of the grid): lock the row, compare versions, evaluate the rule,
write the entry, its ScoreChange and an AuditEvent. Totals are not recomputed here.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from parindex.core.exceptions import ConflictError
from parindex.core.services import audit_record
from parindex.cycles.models import WindowKind
from parindex.cycles.windows import format_moment, window_require_open

from . import scoring
from .models import EDITABLE_STATUSES, Assessment, AssessmentStatus, Entry, ScoreChange, Stage

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


def entry_self_save(
    *,
    entry_id: int,
    version: int,
    actor,
    declared=_UNSET,
    explanation=_UNSET,
) -> Entry:
    """Save what the unit declares for one criterion (for manual rules, the declared value is the points) and/or
    its explanation. ``version`` is the entry's version the writer last read."""
    with transaction.atomic():
        try:
            entry = (
                Entry.objects.select_for_update(of=("self",))
                .select_related("assessment__cycle", "assessment__unit", "node", "self_updated_by")
                .get(pk=entry_id)
            )
        except Entry.DoesNotExist:
            raise ValidationError("Không tìm thấy tiêu chí cần lưu.") from None
        assessment = entry.assessment
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
