"""Writes on cycles: creation, status, frameworks per group, participants, windows, extensions, the plan's tasks and
their attachments, and the responsibility matrix. Each inside one transaction, each audited."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from parindex.core.exceptions import ConflictError
from parindex.core.files import check_upload
from parindex.core.notifications import notify
from parindex.core.services import audit_record, diff_fields

from .models import (
    UNIT_WINDOWS,
    Cycle,
    CycleFramework,
    CycleStatus,
    Extension,
    Participant,
    Responsibility,
    Task,
    TaskAttachment,
    TaskStatus,
    Window,
    WindowKind,
)
from .windows import format_moment


def cycle_create(*, year: int, name: str, assessor, actor, decision: str = "", description: str = "") -> Cycle:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Cần tên đợt đánh giá."})
    if not (2000 <= int(year) <= 2100):
        raise ValidationError({"year": f"Năm đánh giá {year} không hợp lệ."})
    with transaction.atomic():
        if Cycle.objects.filter(assessor=assessor, year=year, name=name).exists():
            raise ValidationError({"name": f"Đã có đợt đánh giá “{name}” năm {year} của {assessor.name}."})
        cycle = Cycle.objects.create(
            year=year, name=name, assessor=assessor, decision=decision, description=description
        )
        audit_record(
            actor=actor,
            action="cycle.created",
            obj=cycle,
            unit=assessor,
            changes={"year": [None, year], "name": [None, name]},
        )
    return cycle


def cycle_framework_set(*, cycle: Cycle, group, framework, actor) -> CycleFramework:
    """The framework ``group`` uses in ``cycle``; the group's units become participants."""
    from parindex.frameworks.models import FrameworkStatus

    if framework.status != FrameworkStatus.ACTIVE:
        raise ValidationError(
            {"framework": f"Bộ chỉ số “{framework.name}” chưa được áp dụng (đang là dự thảo hoặc đã ngừng)."}
        )
    with transaction.atomic():
        plan, created = CycleFramework.objects.select_for_update().get_or_create(
            cycle=cycle, group=group, defaults={"framework": framework}
        )
        old = None if created else plan.framework_id
        if not created and plan.framework_id != framework.pk:
            if cycle.assessments.filter(participant__group=group).exclude(status="not_started").exists():
                raise ValidationError(
                    {"framework": f"Đơn vị của nhóm “{group.name}” đã bắt đầu tự đánh giá; không thể đổi bộ chỉ số."}
                )
            plan.framework = framework
            plan.save(update_fields=["framework"])
        for unit in group.units.all():
            participant_add(cycle=cycle, unit=unit, group=group, actor=actor, framework=framework, audit=False)
        audit_record(
            actor=actor,
            action="cycle.framework_set",
            obj=cycle,
            unit=cycle.assessor,
            changes={f"group:{group.code}": [old, framework.pk]},
        )
    return plan


def participant_add(*, cycle: Cycle, unit, group, actor, framework=None, audit: bool = True) -> Participant:
    from parindex.assessments.services import assessment_ensure

    if framework is None:
        plan = CycleFramework.objects.filter(cycle=cycle, group=group).select_related("framework").first()
        if plan is None:
            raise ValidationError({"group": f"Nhóm “{group.name}” chưa được chọn bộ chỉ số trong đợt này."})
        framework = plan.framework
    with transaction.atomic():
        participant, created = Participant.objects.get_or_create(
            cycle=cycle, unit=unit, defaults={"group": group, "framework": framework}
        )
        rejoined = False
        if not created and participant.withdrawn_at is not None:
            participant.withdrawn_at = None
            participant.save(update_fields=["withdrawn_at", "updated_at"])
            rejoined = True
        if not created and participant.framework_id != framework.pk:
            if participant.assessment.status != "not_started":
                raise ValidationError({"unit": f"{unit.name} đã bắt đầu tự đánh giá; không thể đổi bộ chỉ số."})
            participant.group, participant.framework = group, framework
            participant.save(update_fields=["group", "framework", "updated_at"])
            participant.assessment.entries.all().delete()
            participant.assessment.framework = framework
            participant.assessment.save(update_fields=["framework", "updated_at"])
        assessment_ensure(participant=participant)
        if audit and (created or rejoined):
            audit_record(
                actor=actor,
                action="cycle.participant_added",
                obj=participant,
                unit=unit,
                changes={"group": [None, group.code], "framework": [None, framework.pk]},
            )
    return participant


def _require_not_closed(cycle: Cycle) -> None:
    status = Cycle.objects.filter(pk=cycle.pk).values_list("status", flat=True).first()
    if status == CycleStatus.CLOSED:
        raise ValidationError({"__all__": f"Đợt đánh giá “{cycle.name}” đã kết thúc; hãy mở lại trước khi thay đổi."})


def cycle_update(*, cycle: Cycle, actor, name: str, decision: str = "", description: str = "") -> Cycle:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Cần tên đợt đánh giá."})
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update(of=("self",)).select_related("assessor").get(pk=cycle.pk)
        if Cycle.objects.filter(assessor=cycle.assessor, year=cycle.year, name=name).exclude(pk=cycle.pk).exists():
            raise ValidationError({"name": f"Đã có đợt đánh giá “{name}” năm {cycle.year} của {cycle.assessor.name}."})
        values = {"name": name, "decision": (decision or "").strip(), "description": (description or "").strip()}
        changes = diff_fields(cycle, values)
        if changes:
            for field, value in values.items():
                setattr(cycle, field, value)
            cycle.save(update_fields=[*values, "updated_at"])
            audit_record(actor=actor, action="cycle.updated", obj=cycle, unit=cycle.assessor, changes=changes)
    return cycle


# Allowed changes of a cycle's status; those in REASON_NEEDED need a reason.
STATUS_MOVES = {
    CycleStatus.DRAFT: {CycleStatus.ACTIVE},
    CycleStatus.ACTIVE: {CycleStatus.CLOSED, CycleStatus.DRAFT},
    CycleStatus.CLOSED: {CycleStatus.ACTIVE},
}
REASON_NEEDED = {(CycleStatus.CLOSED, CycleStatus.ACTIVE), (CycleStatus.ACTIVE, CycleStatus.DRAFT)}


def cycle_status_set(*, cycle: Cycle, status: str, actor, reason: str = "") -> Cycle:
    if status not in CycleStatus.values:
        raise ValidationError({"status": f"Trạng thái “{status}” không hợp lệ."})
    reason = (reason or "").strip()
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update(of=("self",)).select_related("assessor").get(pk=cycle.pk)
        old = cycle.status
        if old == status:
            return cycle
        if status not in STATUS_MOVES[CycleStatus(old)]:
            raise ValidationError(
                {
                    "status": f"Không chuyển được đợt đánh giá từ “{CycleStatus(old).label}” sang "
                    f"“{CycleStatus(status).label}”."
                }
            )
        if (old, status) in REASON_NEEDED and not reason:
            raise ValidationError({"reason": "Cần ghi lý do khi mở lại hoặc đưa đợt đánh giá về chuẩn bị."})
        cycle.status = status
        cycle.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="cycle.status_set",
            obj=cycle,
            unit=cycle.assessor,
            changes={"status": [old, status]},
            reason=reason,
        )
    return cycle


def participant_withdraw(*, participant: Participant, actor, reason: str) -> Participant:
    """The unit leaves the cycle (it is not assessed); its assessment stays on record. Re-adding brings it back."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Cần ghi lý do rút đơn vị khỏi đợt đánh giá."})
    with transaction.atomic():
        participant = (
            Participant.objects.select_for_update(of=("self",)).select_related("unit", "cycle").get(pk=participant.pk)
        )
        _require_not_closed(participant.cycle)
        if participant.withdrawn_at is not None:
            raise ValidationError({"unit": f"{participant.unit.name} đã rút khỏi đợt đánh giá."})
        participant.withdrawn_at = timezone.now()
        participant.save(update_fields=["withdrawn_at", "updated_at"])
        audit_record(
            actor=actor,
            action="cycle.participant_withdrawn",
            obj=participant,
            unit=participant.unit,
            changes={"withdrawn_at": [None, participant.withdrawn_at]},
            reason=reason,
        )
    return participant


def window_set(
    *, cycle: Cycle, kind: str, opens_at: dt.datetime, closes_at: dt.datetime, actor, reason: str = ""
) -> Window:
    """Set a window's open and close. The first setting needs no reason; changing a window does (it moves a deadline
    every unit works to)."""
    if kind not in WindowKind.values:
        raise ValidationError({"kind": f"Giai đoạn “{kind}” không hợp lệ."})
    if opens_at is None or closes_at is None or timezone.is_naive(opens_at) or timezone.is_naive(closes_at):
        raise ValidationError({"opens_at": "Thời điểm mở và đóng phải ghi rõ múi giờ."})
    if closes_at <= opens_at:
        raise ValidationError({"closes_at": f"“{WindowKind(kind).label}”: thời điểm đóng phải sau thời điểm mở."})
    reason = (reason or "").strip()
    with transaction.atomic():
        window = Window.objects.select_for_update().filter(cycle=cycle, kind=kind).first()
        old = [window.opens_at, window.closes_at] if window else [None, None]
        if window is None:
            window = Window.objects.create(cycle=cycle, kind=kind, opens_at=opens_at, closes_at=closes_at)
        else:
            if old == [opens_at, closes_at]:
                return window
            if not reason:
                raise ValidationError({"reason": f"Cần ghi lý do thay đổi thời hạn “{WindowKind(kind).label}”."})
            window.opens_at, window.closes_at = opens_at, closes_at
            window.save(update_fields=["opens_at", "closes_at", "updated_at"])
        audit_record(
            actor=actor,
            action="cycle.window_set",
            obj=window,
            unit=cycle.assessor,
            changes={"opens_at": [old[0], opens_at], "closes_at": [old[1], closes_at]},
            reason=reason,
        )
    return window


# --- extensions ----------------------------------------------------------------------------------------------------


def _unit_people(unit):
    """Officers and leaders of ``unit`` (for notices)."""
    from parindex.orgs.models import Membership, Role

    ids = Membership.objects.filter(
        unit=unit, role__in=[Role.UNIT_OFFICER, Role.UNIT_LEADER], ended_at__isnull=True
    ).values("user_id")
    from django.contrib.auth import get_user_model

    return list(get_user_model().objects.filter(pk__in=ids, is_active=True))


def _require_manager(actor, cycle: Cycle) -> None:
    from .access import can_manage_cycle

    if not can_manage_cycle(actor, cycle):
        raise PermissionDenied("Chỉ quản lý Chỉ số của cơ quan đánh giá mới được gia hạn hoặc thu hồi gia hạn.")


def extension_grant(*, cycle: Cycle, unit, kind: str, until: dt.datetime, reason: str, actor) -> Extension:
    """Extend a unit window (self-assessment, supplementary evidence, explanation) for one participating unit until
    ``until``, which must be after the window's close. ``windows.window_state`` honours it."""
    _require_manager(actor, cycle)
    errors: dict[str, str] = {}
    reason = (reason or "").strip()
    if kind not in UNIT_WINDOWS:
        labels = ", ".join(f"“{WindowKind(k).label}”" for k in WindowKind.values if k in UNIT_WINDOWS)
        errors["kind"] = f"Chỉ gia hạn được các giai đoạn của đơn vị: {labels}."
    if not reason:
        errors["reason"] = "Cần ghi lý do gia hạn."
    if until is None or timezone.is_naive(until):
        errors["until"] = "Thời điểm gia hạn phải ghi rõ múi giờ."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _require_not_closed(cycle)
        if not Participant.objects.filter(cycle=cycle, unit=unit, withdrawn_at__isnull=True).exists():
            raise ValidationError({"unit": f"{unit.name} không tham gia đợt đánh giá “{cycle.name}”."})
        window = Window.objects.filter(cycle=cycle, kind=kind).first()
        label = WindowKind(kind).label
        if window is None:
            raise ValidationError({"kind": f"Chưa đặt thời hạn “{label}”; hãy đặt thời hạn trước khi gia hạn."})
        if until <= window.closes_at:
            raise ValidationError(
                {
                    "until": f"Gia hạn phải sau thời điểm đóng của “{label}” ({format_moment(window.closes_at)}); "
                    f"đã chọn {format_moment(until)}."
                }
            )
        if until <= timezone.now():
            raise ValidationError({"until": f"Thời điểm gia hạn {format_moment(until)} đã qua."})
        extension = Extension.objects.create(
            cycle=cycle, unit=unit, kind=kind, until=until, reason=reason, granted_by=actor
        )
        audit_record(
            actor=actor,
            action="cycle.extension_granted",
            obj=extension,
            unit=unit,
            changes={"kind": [None, kind], "until": [window.closes_at, until]},
            reason=reason,
        )
        notify(
            users=_unit_people(unit),
            key=f"cycle-extension:{extension.pk}",
            title=f"Gia hạn “{label}” đến {format_moment(until)}",
            body=f"{unit.name} được gia hạn “{label}” trong đợt “{cycle.name}” đến {format_moment(until)}. "
            f"Lý do: {reason}",
            url=reverse("cycles:detail", args=[cycle.pk]),
        )
    return extension


def extension_revoke(*, extension: Extension, actor, reason: str) -> Extension:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Cần ghi lý do thu hồi gia hạn."})
    with transaction.atomic():
        extension = (
            Extension.objects.select_for_update(of=("self",))
            .select_related("cycle__assessor", "unit")
            .get(pk=extension.pk)
        )
        _require_manager(actor, extension.cycle)
        if extension.revoked_at is not None:
            raise ValidationError({"__all__": "Gia hạn này đã được thu hồi."})
        extension.revoked_at = timezone.now()
        extension.revoked_by = actor
        extension.revoke_reason = reason
        extension.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        audit_record(
            actor=actor,
            action="cycle.extension_revoked",
            obj=extension,
            unit=extension.unit,
            changes={"revoked_at": [None, extension.revoked_at]},
            reason=reason,
        )
    return extension


# --- plan and tasks ------------------------------------------------------------------------------------------------

TASK_TEXT_LIMITS = {"number": 16, "lead_text": 300, "cooperating_text": 500, "product": 500}
TASK_FIELDS = (
    "number",
    "title",
    "lead_unit",
    "lead_text",
    "cooperating_text",
    "product",
    "deadline",
    "status",
    "note",
)


def _task_clean(cycle: Cycle, values: dict, task: Task | None = None) -> dict:
    """Trim and check a task's values; raise ValidationError naming each field."""
    errors: dict[str, str] = {}
    for field in ("number", "title", "lead_text", "cooperating_text", "product", "note"):
        if field in values:
            values[field] = (values[field] or "").strip()
    for field, limit in TASK_TEXT_LIMITS.items():
        if len(values.get(field, "")) > limit:
            errors[field] = f"Tối đa {limit} ký tự."
    if "title" in values and not values["title"]:
        errors["title"] = "Cần nội dung nhiệm vụ."
    lead_unit = values.get("lead_unit", task.lead_unit if task else None)
    lead_text = values.get("lead_text", task.lead_text if task else "")
    if lead_unit is None and not lead_text:
        errors["lead_unit"] = "Cần cơ quan chủ trì (chọn đơn vị hoặc ghi rõ tên)."
    if "status" in values and values["status"] not in TaskStatus.values:
        errors["status"] = f"Tình trạng “{values['status']}” không hợp lệ."
    number = values.get("number")
    if number:
        others = Task.objects.filter(cycle=cycle, number=number)
        if task is not None:
            others = others.exclude(pk=task.pk)
        if others.exists():
            errors["number"] = f"STT “{number}” đã dùng cho nhiệm vụ khác của kế hoạch."
    if errors:
        raise ValidationError(errors)
    return values


def _next_number(cycle: Cycle) -> str:
    numbers = [int(n) for n in Task.objects.filter(cycle=cycle).values_list("number", flat=True) if n.isdigit()]
    return str(max(numbers, default=0) + 1)


def _completed_at(status: str, current: dt.datetime | None) -> dt.datetime | None:
    if status == TaskStatus.DONE:
        return current or timezone.now()
    return None


def task_create(
    *,
    cycle: Cycle,
    actor,
    title: str,
    number: str = "",
    lead_unit=None,
    lead_text: str = "",
    cooperating_units=(),
    cooperating_text: str = "",
    product: str = "",
    deadline: dt.date | None = None,
    status: str = TaskStatus.NOT_STARTED,
    note: str = "",
    order: int | None = None,
    audit: bool = True,
) -> Task:
    values = _task_clean(
        cycle,
        {
            "number": number,
            "title": title,
            "lead_unit": lead_unit,
            "lead_text": lead_text,
            "cooperating_text": cooperating_text,
            "product": product,
            "deadline": deadline,
            "status": status,
            "note": note,
        },
    )
    with transaction.atomic():
        _require_not_closed(cycle)
        if not values["number"]:
            values["number"] = _next_number(cycle)
        if order is None:
            last = Task.objects.filter(cycle=cycle).order_by("-order").values_list("order", flat=True).first()
            order = (last or 0) + 1
        task = Task.objects.create(
            cycle=cycle, order=order, completed_at=_completed_at(values["status"], None), **values
        )
        units = list(cooperating_units)
        if units:
            task.cooperating_units.set(units)
        if audit:
            audit_record(
                actor=actor,
                action="cycle.task_created",
                obj=task,
                unit=cycle.assessor,
                changes={
                    "title": [None, task.title],
                    "lead": [None, task.lead_unit_id or task.lead_text],
                    "deadline": [None, task.deadline],
                },
            )
    return task


def _check_version(task: Task, expected_updated_at: dt.datetime | None) -> None:
    if expected_updated_at is not None and task.updated_at != expected_updated_at:
        changed = timezone.localtime(task.updated_at).strftime("%H:%M:%S %d/%m/%Y")
        raise ConflictError(
            f"Nhiệm vụ {task.number} đã được thay đổi lúc {changed}, sau lần bạn tải dữ liệu; "
            "hãy tải lại rồi sửa trên dữ liệu mới nhất.",
            current_version=task.updated_at.isoformat(),
            current=task_payload(task),
        )


def task_payload(task: Task) -> dict:
    """The task as plain data (API answers, conflict messages)."""
    return {
        "id": task.pk,
        "number": task.number,
        "title": task.title,
        "lead_unit": task.lead_unit_id,
        "lead_text": task.lead_text,
        "cooperating_units": sorted(task.cooperating_units.values_list("pk", flat=True)),
        "cooperating_text": task.cooperating_text,
        "product": task.product,
        "deadline": task.deadline.isoformat() if task.deadline else None,
        "status": task.status,
        "note": task.note,
        "updated_at": task.updated_at.isoformat(),
    }


def task_update(
    *,
    task: Task,
    actor,
    expected_updated_at: dt.datetime | None = None,
    reason: str = "",
    cooperating_units=None,
    audit_action: str = "cycle.task_updated",
    **values,
) -> Task:
    """Change a task (managers). ``expected_updated_at``: the version the caller read; a newer one is a conflict."""
    unknown = set(values) - set(TASK_FIELDS)
    if unknown:
        raise ValueError(f"Unknown task fields: {sorted(unknown)}")
    with transaction.atomic():
        task = Task.objects.select_for_update(of=("self",)).select_related("cycle__assessor").get(pk=task.pk)
        _require_not_closed(task.cycle)
        _check_version(task, expected_updated_at)
        values = _task_clean(task.cycle, dict(values), task)
        changes = diff_fields(task, values)
        if cooperating_units is not None:
            old_ids = sorted(task.cooperating_units.values_list("pk", flat=True))
            new_ids = sorted(u.pk for u in cooperating_units)
            if old_ids != new_ids:
                changes["cooperating_units"] = [old_ids, new_ids]
                task.cooperating_units.set(list(cooperating_units))
        if not changes:
            return task
        for field, value in values.items():
            setattr(task, field, value)
        task.completed_at = _completed_at(task.status, task.completed_at)
        task.save(update_fields=[*values, "completed_at", "updated_at"])
        audit_record(
            actor=actor, action=audit_action, obj=task, unit=task.cycle.assessor, changes=changes, reason=reason
        )
    return task


def task_status_set(
    *, task: Task, status: str, actor, note: str | None = None, expected_updated_at: dt.datetime | None = None
) -> Task:
    """The lead unit reports progress: the status (and a note). A cancelled task is the manager's to revive."""
    if status not in TaskStatus.values or status == TaskStatus.CANCELLED:
        raise ValidationError(
            {"status": "Đơn vị chủ trì chỉ cập nhật được: chưa thực hiện, đang thực hiện, hoàn thành."}
        )
    if task.status == TaskStatus.CANCELLED:
        raise ValidationError({"status": "Nhiệm vụ đã bị hủy; không cập nhật được tình trạng."})
    values = {"status": status}
    if note is not None:
        values["note"] = note
    return task_update(
        task=task, actor=actor, expected_updated_at=expected_updated_at, audit_action="cycle.task_status_set", **values
    )


def task_cancel(*, task: Task, actor, reason: str) -> Task:
    """Tasks are cancelled, never deleted."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Cần ghi lý do hủy nhiệm vụ."})
    if task.status == TaskStatus.CANCELLED:
        raise ValidationError({"status": "Nhiệm vụ đã bị hủy."})
    return task_update(
        task=task, actor=actor, reason=reason, status=TaskStatus.CANCELLED, audit_action="cycle.task_cancelled"
    )


def task_attachment_add(*, task: Task, upload, actor) -> TaskAttachment:
    checked = check_upload(upload, field="file")
    with transaction.atomic():
        _require_not_closed(task.cycle)
        upload.seek(0)
        attachment = TaskAttachment(
            task=task,
            original_name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=actor,
        )
        extension = checked.name.rsplit(".", 1)[-1].lower()
        attachment.file.save(f"{checked.sha256[:16]}.{extension}", upload, save=False)
        attachment.save()
        audit_record(
            actor=actor,
            action="cycle.task_attachment_added",
            obj=attachment,
            unit=task.cycle.assessor,
            changes={"task": [None, task.pk], "sha256": [None, checked.sha256]},
        )
    return attachment


def task_attachment_remove(*, attachment: TaskAttachment, actor, reason: str = "") -> TaskAttachment:
    """The file stays on disk and on record (removed_at); it is no longer listed nor served."""
    with transaction.atomic():
        attachment = (
            TaskAttachment.objects.select_for_update(of=("self",))
            .select_related("task__cycle__assessor")
            .get(pk=attachment.pk)
        )
        if attachment.removed_at is not None:
            return attachment
        attachment.removed_at = timezone.now()
        attachment.save(update_fields=["removed_at"])
        audit_record(
            actor=actor,
            action="cycle.task_attachment_removed",
            obj=attachment,
            unit=attachment.task.cycle.assessor,
            changes={"removed_at": [None, attachment.removed_at]},
            reason=reason,
        )
    return attachment


# --- responsibility matrix -----------------------------------------------------------------------------------------

RESPONSIBILITY_LIMITS = {"division": 300, "cooperating": 500, "note": 500}


def responsibilities_save(*, participant: Participant, rows: dict, actor) -> dict:
    """Save a unit's responsibility matrix: ``rows`` maps a node (of the unit's framework) to
    ``{division, cooperating, person, note}``; a row with every value empty clears the node. All or nothing: every
    problem is reported by criterion code and field, and nothing is stored. Returns counts of created, updated and
    cleared rows."""
    from parindex.frameworks.models import Node
    from parindex.orgs.models import Membership

    nodes = {n.pk: n for n in Node.objects.filter(framework_id=participant.framework_id)}
    errors: dict[str, str] = {}
    clean: dict[int, dict] = {}
    for key, raw in rows.items():
        node_id = getattr(key, "pk", key)
        node = nodes.get(node_id)
        if node is None:
            errors[f"node:{node_id}"] = "Tiêu chí không thuộc bộ chỉ số của đơn vị."
            continue
        values = {f: (raw.get(f) or "").strip() for f in RESPONSIBILITY_LIMITS}
        values["person"] = raw.get("person") or None
        for field, limit in RESPONSIBILITY_LIMITS.items():
            if len(values[field]) > limit:
                errors[f"{node.code}.{field}"] = f"Tiêu chí {node.code}: tối đa {limit} ký tự."
        if not values["division"] and (values["cooperating"] or values["note"] or values["person"]):
            errors[f"{node.code}.division"] = f"Tiêu chí {node.code}: cần ghi bộ phận thực hiện."
        person = values["person"]
        if (
            person is not None
            and not Membership.objects.filter(user=person, unit=participant.unit, ended_at__isnull=True).exists()
        ):
            errors[f"{node.code}.person"] = (
                f"Tiêu chí {node.code}: {person} không có vai trò tại {participant.unit.name}."
            )
        clean[node.pk] = values
    if errors:
        raise ValidationError(errors)
    counts = {"created": 0, "updated": 0, "cleared": 0}
    with transaction.atomic():
        _require_not_closed(participant.cycle)
        existing = {
            r.node_id: r
            for r in Responsibility.objects.select_for_update().filter(cycle=participant.cycle, unit=participant.unit)
        }
        changes: dict[str, list] = {}
        for node_id, values in clean.items():
            code = nodes[node_id].code
            row = existing.get(node_id)
            if not values["division"]:
                if row is not None:
                    changes[f"{code}.division"] = [row.division, None]
                    row.delete()
                    counts["cleared"] += 1
                continue
            if row is None:
                Responsibility.objects.create(cycle=participant.cycle, unit=participant.unit, node_id=node_id, **values)
                changes[f"{code}.division"] = [None, values["division"]]
                counts["created"] += 1
                continue
            diff = diff_fields(row, values)
            if diff:
                for field, value in values.items():
                    setattr(row, field, value)
                row.save(update_fields=[*values, "updated_at"])
                changes.update({f"{code}.{field}": pair for field, pair in diff.items()})
                counts["updated"] += 1
        if changes:
            audit_record(
                actor=actor,
                action="cycle.responsibilities_saved",
                obj=participant,
                unit=participant.unit,
                changes=changes,
            )
    return counts


# --- plan import ---------------------------------------------------------------------------------------------------


def plan_import(*, cycle: Cycle, content: bytes, actor, dry_run: bool = False, filename: str = ""):
    """Import the plan from an .xlsx file: rows whose STT is a task of the cycle update it, the others create tasks;
    tasks not in the file are left as they are. All or nothing: with any error nothing is written and the result
    lists every error by row and column. Returns a ``formats.PlanImport``."""
    from . import formats

    result = formats.plan_check(cycle, content)
    result.dry_run = dry_run
    if not result.ok or dry_run:
        return result
    with transaction.atomic():
        _require_not_closed(cycle)
        last = Task.objects.filter(cycle=cycle).order_by("-order").values_list("order", flat=True).first() or 0
        for offset, planned in enumerate(result.creates, start=1):
            values = dict(planned.values)
            task_create(
                cycle=cycle,
                actor=actor,
                order=last + offset,
                cooperating_units=planned.cooperating_units or (),
                **values,
            )
        for planned in result.updates:
            task_update(
                task=planned.task,
                actor=actor,
                reason=f"Nhập kế hoạch từ Excel {filename}".strip(),
                cooperating_units=planned.cooperating_units,
                **planned.values,
            )
        audit_record(
            actor=actor,
            action="cycle.plan_imported",
            obj=cycle,
            unit=cycle.assessor,
            changes={k: [None, v] for k, v in result.counts.items()},
            reason=filename,
        )
    result.applied = True
    return result
