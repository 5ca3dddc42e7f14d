"""Writes on cycles: creation, frameworks per group, participants, windows and extensions. Each audited."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from parindex.core.services import audit_record

from .models import Cycle, CycleFramework, Participant, Window, WindowKind


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
        if not created and participant.framework_id != framework.pk:
            if participant.assessment.status != "not_started":
                raise ValidationError({"unit": f"{unit.name} đã bắt đầu tự đánh giá; không thể đổi bộ chỉ số."})
            participant.group, participant.framework = group, framework
            participant.save(update_fields=["group", "framework", "updated_at"])
            participant.assessment.entries.all().delete()
            participant.assessment.framework = framework
            participant.assessment.save(update_fields=["framework", "updated_at"])
        assessment_ensure(participant=participant)
        if audit and created:
            audit_record(actor=actor, action="cycle.participant_added", obj=participant, unit=unit)
    return participant


def window_set(
    *, cycle: Cycle, kind: str, opens_at: dt.datetime, closes_at: dt.datetime, actor, reason: str = ""
) -> Window:
    if kind not in WindowKind.values:
        raise ValidationError({"kind": f"Giai đoạn “{kind}” không hợp lệ."})
    if closes_at <= opens_at:
        raise ValidationError({"closes_at": f"“{WindowKind(kind).label}”: thời điểm đóng phải sau thời điểm mở."})
    with transaction.atomic():
        window = Window.objects.select_for_update().filter(cycle=cycle, kind=kind).first()
        old = [window.opens_at, window.closes_at] if window else [None, None]
        if window is None:
            window = Window.objects.create(cycle=cycle, kind=kind, opens_at=opens_at, closes_at=closes_at)
        else:
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
