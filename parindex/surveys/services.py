"""Writes of the sociological survey. Each service runs in one transaction, checks the state (and the survey window),
locks what it changes and records an audit event.

Sections: lists (this part: surveys, respondent groups, respondent lists and their rules, decisions, sampling and
sending); other survey helpers add their sections below, each under its own header.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from parindex.core.exceptions import WindowClosedError
from parindex.core.services import audit_record, diff_fields
from parindex.cycles.windows import format_moment, window_state

from . import lists
from .models import (
    ListStatus,
    Questionnaire,
    Rates,
    Respondent,
    RespondentGroup,
    RespondentList,
    RespondentStatus,
    Survey,
    SurveyStatus,
)

# --- lists ----------------------------------------------------------------------------------------------------------

SURVEY_FIELDS = (
    "name",
    "served_from",
    "served_to",
    "margin_of_error",
    "commune_quota",
    "required_fields",
    "reminder_max",
    "reminder_min_days",
    "min_answers",
    "no_answer_policy",
    "min_seconds",
)
GROUP_FIELDS = (
    "code",
    "name",
    "priority",
    "is_citizen",
    "rates",
    "questionnaire",
    "weight",
    "counts",
    "max_organisations",
)
DECISIONS = (RespondentStatus.INCLUDED, RespondentStatus.EXCLUDED)


def _clean_survey_values(values: dict, *, cycle) -> dict:
    values = dict(values)
    if "name" in values:
        values["name"] = (values["name"] or "").strip()
        if not values["name"]:
            raise ValidationError({"name": _("Cần tên cuộc điều tra.")})
    if "required_fields" in values:
        fields_ = values["required_fields"] or []
        if isinstance(fields_, str):
            fields_ = fields_.splitlines()
        seen, out = set(), []
        for item in fields_:
            text = str(item).strip()
            if text and lists.fold(text) not in seen:
                seen.add(lists.fold(text))
                out.append(text[:200])
        values["required_fields"] = out
    margin = values.get("margin_of_error")
    if margin is not None and not (Decimal("0.001") <= Decimal(str(margin)) <= Decimal("0.5")):
        raise ValidationError({"margin_of_error": _("Sai số e phải trong khoảng 0,001 – 0,5.")})
    start, end = values.get("served_from"), values.get("served_to")
    if start and end and end < start:
        raise ValidationError({"served_to": _("Ngày kết thúc trước ngày bắt đầu.")})
    return values


def survey_create(*, cycle, framework, name: str, actor, **settings_) -> Survey:
    """A survey over ``cycle`` with ``framework`` (one of the cycle's frameworks)."""
    unknown = set(settings_) - set(SURVEY_FIELDS)
    if unknown:
        raise TypeError(f"unknown survey settings: {sorted(unknown)}")
    values = _clean_survey_values({"name": name, **settings_}, cycle=cycle)
    if not cycle.plans.filter(framework=framework).exists():
        raise ValidationError({"framework": _("Bộ chỉ số “%(f)s” không được dùng trong đợt này.") % {"f": framework}})
    with transaction.atomic():
        survey = Survey.objects.create(cycle=cycle, framework=framework, **values)
        audit_record(
            actor=actor,
            action="survey.created",
            obj=survey,
            unit=cycle.assessor,
            changes={"name": [None, survey.name], "cycle": [None, cycle.pk], "framework": [None, framework.pk]},
        )
    return survey


def survey_update(*, survey: Survey, actor, **values) -> Survey:
    unknown = set(values) - set(SURVEY_FIELDS)
    if unknown:
        raise TypeError(f"unknown survey settings: {sorted(unknown)}")
    values = _clean_survey_values(values, cycle=survey.cycle)
    with transaction.atomic():
        survey = Survey.objects.select_for_update().select_related("cycle", "cycle__assessor").get(pk=survey.pk)
        if survey.status == SurveyStatus.CLOSED:
            raise PermissionDenied(_("Cuộc điều tra đã kết thúc; không sửa được cài đặt."))
        changes = diff_fields(survey, values)
        if not changes:
            return survey
        for name, value in values.items():
            setattr(survey, name, value)
        survey.save(update_fields=[*changes, "updated_at"])
        audit_record(actor=actor, action="survey.updated", obj=survey, unit=survey.cycle.assessor, changes=changes)
    return survey


def _placeholder_questionnaire(survey: Survey, code: str, name: str) -> Questionnaire:
    """Each group needs a questionnaire; until the managers write one, an empty one named after the group."""
    qcode = slugify(f"s{survey.pk}-{code}")[:64]
    questionnaire, _created = Questionnaire.objects.get_or_create(
        code=qcode,
        defaults={
            "name": (_("Phiếu khảo sát — %(g)s") % {"g": name})[:300],
            "owner": survey.cycle.assessor,
        },
    )
    return questionnaire


def _clean_group_values(survey: Survey, values: dict, *, group: RespondentGroup | None = None) -> dict:
    values = dict(values)
    errors = {}
    if "code" in values:
        values["code"] = slugify(values["code"] or "")[:64]
        if not values["code"]:
            errors["code"] = _("Cần mã nhóm (chữ không dấu, số, gạch ngang).")
        elif survey.groups.filter(code=values["code"]).exclude(pk=getattr(group, "pk", None)).exists():
            errors["code"] = _("Đã có nhóm mã “%(c)s” trong cuộc điều tra này.") % {"c": values["code"]}
    if "name" in values:
        values["name"] = (values["name"] or "").strip()[:300]
        if not values["name"]:
            errors["name"] = _("Cần tên nhóm.")
    if "rates" in values and values["rates"] not in Rates.values:
        errors["rates"] = _("Giá trị không hợp lệ.")
    if values.get("max_organisations") == 0:
        values["max_organisations"] = None
    if errors:
        raise ValidationError(errors)
    return values


def _require_survey_open(survey: Survey) -> None:
    if survey.status == SurveyStatus.CLOSED:
        raise PermissionDenied(_("Cuộc điều tra đã kết thúc; không thay đổi được nữa."))


def group_create(*, survey: Survey, actor, code: str, name: str, questionnaire=None, **values) -> RespondentGroup:
    values = _clean_group_values(survey, {"code": code, "name": name, **values})
    with transaction.atomic():
        Survey.objects.select_for_update().get(pk=survey.pk)
        _require_survey_open(survey)
        if questionnaire is None:
            questionnaire = _placeholder_questionnaire(survey, values["code"], values["name"])
        try:
            with transaction.atomic():
                group = RespondentGroup.objects.create(survey=survey, questionnaire=questionnaire, **values)
        except IntegrityError:
            raise ValidationError({"code": _("Đã có nhóm mã “%(c)s”.") % {"c": values["code"]}}) from None
        audit_record(
            actor=actor,
            action="survey.group_created",
            obj=group,
            unit=survey.cycle.assessor,
            changes={k: [None, v] for k, v in values.items()},
        )
    return group


def group_update(*, group: RespondentGroup, actor, **values) -> RespondentGroup:
    unknown = set(values) - set(GROUP_FIELDS)
    if unknown:
        raise TypeError(f"unknown group fields: {sorted(unknown)}")
    survey = group.survey
    values = _clean_group_values(survey, values, group=group)
    with transaction.atomic():
        group = RespondentGroup.objects.select_for_update().get(pk=group.pk)
        _require_survey_open(survey)
        if "questionnaire" in values and values["questionnaire"] is None:
            values.pop("questionnaire")
        changes = diff_fields(group, values)
        if not changes:
            return group
        for name, value in values.items():
            setattr(group, name, value)
        group.save(update_fields=list(changes))
        audit_record(actor=actor, action="survey.group_updated", obj=group, unit=survey.cycle.assessor, changes=changes)
    return group


def group_delete(*, group: RespondentGroup, actor) -> None:
    survey = group.survey
    with transaction.atomic():
        group = RespondentGroup.objects.select_for_update().get(pk=group.pk)
        _require_survey_open(survey)
        used = group.respondents.count()
        if used:
            raise ValidationError(
                _("Nhóm “%(g)s” đã có %(n)s người trong các danh sách; không xóa được.") % {"g": group.name, "n": used}
            )
        audit_record(
            actor=actor,
            action="survey.group_deleted",
            obj=group,
            unit=survey.cycle.assessor,
            changes={"code": [group.code, None], "name": [group.name, None]},
        )
        group.delete()


def groups_from_preset(*, survey: Survey, preset: str, actor) -> list[RespondentGroup]:
    """The groups of a preset (``lists.GROUP_PRESETS``); codes the survey already has are left as they are."""
    if preset not in lists.GROUP_PRESETS:
        raise ValidationError({"preset": _("Không có mẫu nhóm “%(p)s”.") % {"p": preset}})
    created = []
    with transaction.atomic():
        existing = set(survey.groups.values_list("code", flat=True))
        for code, name, priority, is_citizen, rates, cap in lists.GROUP_PRESETS[preset][1]:
            if code in existing:
                continue
            created.append(
                group_create(
                    survey=survey,
                    actor=actor,
                    code=code,
                    name=name,
                    priority=priority,
                    is_citizen=is_citizen,
                    rates=rates,
                    max_organisations=cap,
                )
            )
    return created


# respondent lists -----------------------------------------------------------------------------------------------


def require_lists_writable(survey: Survey, *, now: dt.datetime | None = None) -> None:
    """Lists are prepared before and during the survey window; once it has closed (or the survey is over), they are
    locked."""
    _require_survey_open(survey)
    state = window_state(cycle=survey.cycle, kind="survey", now=now)
    if state.defined and not state.is_open and not state.not_yet_open:
        raise WindowClosedError(state.message)


def _require_draft(respondent_list: RespondentList) -> None:
    if respondent_list.status == ListStatus.SENT:
        when = format_moment(respondent_list.sent_at) if respondent_list.sent_at else ""
        raise PermissionDenied(
            _("Danh sách của %(unit)s đã được gửi lúc %(when)s nên không thay đổi được nữa.")
            % {"unit": respondent_list.unit.name, "when": when}
        )


def _lock_list(respondent_list: RespondentList) -> RespondentList:
    locked = (
        RespondentList.objects.select_for_update(of=("self",))
        .select_related("survey", "survey__cycle", "unit")
        .get(pk=respondent_list.pk)
    )
    require_lists_writable(locked.survey)
    _require_draft(locked)
    return locked


def _save_rules(rows: list[Respondent]) -> None:
    """After ``lists.apply_rules`` on saved rows: the keepers' ids, then the rows that changed."""
    for r in rows:
        keeper = getattr(r, "_keeper", None)
        if keeper is not None:
            r.merged_into_id = keeper.pk
    changed = [r for r in rows if r._before != (r.status, r.rule, r.reason, r.merged_into_id)]
    if changed:
        Respondent.objects.bulk_update(changed, ["status", "rule", "reason", "merged_into"], batch_size=2000)


def _rerun_rules(respondent_list: RespondentList, ctx: lists.RowContext | None = None) -> dict[str, int]:
    """Apply the rules to the whole list again after a row changed; a sample drawn before is no longer valid."""
    ctx = ctx or lists.RowContext(survey=respondent_list.survey, respondent_list=respondent_list)
    rows = list(Respondent.objects.filter(respondent_list=respondent_list))
    for r in rows:
        r._before = (r.status, r.rule, r.reason, r.merged_into_id)
    counts = lists.apply_rules(rows, ctx=ctx)
    _save_rules(rows)
    if respondent_list.sample_seed is not None:
        respondent_list.sample_seed = respondent_list.population = respondent_list.sample_size = None
        respondent_list.sampled_at = None
    return counts


@dataclass
class ListImportResult:
    survey: Survey
    unit: object
    dry_run: bool
    respondent_list: RespondentList | None = None
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    total: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_rule: dict[str, int] = field(default_factory=dict)
    replaced: int = 0
    applied: bool = False
    excluded: list[Respondent] = field(default_factory=list)  # first rows decided by the rules, for a preview

    @property
    def ok(self) -> bool:
        return not self.errors


def respondent_list_import(
    *, survey: Survey, unit, content: bytes, actor, dry_run: bool = False, filename: str = ""
) -> ListImportResult:
    """Import the list of ``unit`` from an XLSX file made from the template: every row is validated (errors by row,
    nothing written), the rules are applied, and the rows replace those of the unit's draft list.

    Raises ValidationError on the ``file`` field when the file cannot be read as a list at all."""
    try:
        sheet = lists.read_file(content)
    except lists.ListFileRefused as exc:
        raise ValidationError({"file": exc.messages}) from None
    result = ListImportResult(survey=survey, unit=unit, dry_run=dry_run)
    with transaction.atomic():
        require_lists_writable(survey)
        respondent_list = (
            RespondentList.objects.select_for_update(of=("self",))
            .select_related("survey", "unit")
            .filter(survey=survey, unit=unit)
            .first()
        )
        if respondent_list is not None:
            _require_draft(respondent_list)
        else:
            respondent_list = RespondentList(survey=survey, unit=unit)
        ctx = lists.RowContext(survey=survey, respondent_list=respondent_list)
        parsed = lists.build_respondents(sheet, ctx)
        result.errors, result.error_count = parsed.errors, parsed.error_count
        result.total = len(sheet.rows)
        if result.errors:
            return result
        if not parsed.respondents:
            result.errors = [_("Tệp không có dòng dữ liệu nào.")]
            return result
        result.by_rule = lists.apply_rules(parsed.respondents, ctx=ctx)
        for r in parsed.respondents:
            result.by_status[r.status] = result.by_status.get(r.status, 0) + 1
        result.excluded = [r for r in parsed.respondents if r.status != RespondentStatus.INCLUDED][:200]
        if dry_run:
            result.respondent_list = respondent_list if respondent_list.pk else None
            return result

        if respondent_list.pk is None:
            respondent_list.source_name = filename[:255]
            respondent_list.source_sha256 = hashlib.sha256(content).hexdigest()
            respondent_list.save()
        else:
            old = Respondent.objects.filter(respondent_list=respondent_list)
            if old.filter(invitation__isnull=False).exists():
                raise PermissionDenied(_("Danh sách đã có thư mời; không nhập lại được."))
            old.update(merged_into=None)
            result.replaced = old.count()
            old.delete()
            respondent_list.version += 1
            respondent_list.source_name = filename[:255]
            respondent_list.source_sha256 = hashlib.sha256(content).hexdigest()
            respondent_list.sample_seed = respondent_list.population = respondent_list.sample_size = None
            respondent_list.sampled_at = None
            respondent_list.save(
                update_fields=[
                    "version",
                    "source_name",
                    "source_sha256",
                    "sample_seed",
                    "population",
                    "sample_size",
                    "sampled_at",
                    "updated_at",
                ]
            )
        lists.insert_rows(parsed.respondents, respondent_list=respondent_list)
        audit_record(
            actor=actor,
            action="survey.list_imported",
            obj=respondent_list,
            unit=unit,
            changes={"rows": [result.replaced, len(parsed.respondents)], "by_status": [None, result.by_status]},
            reason=filename,
        )
        result.respondent_list = respondent_list
        result.applied = True
    return result


def _row_values(data: dict) -> dict:
    return {k: data.get(k) for k, _h in lists.COLUMNS if k != "number"}


def _validated(data: dict, ctx: lists.RowContext) -> dict:
    values, errors = lists.validate_row(_row_values(data), ctx)
    if errors:
        by_field: dict[str, list[str]] = {}
        for column, message in errors:
            by_field.setdefault(column, []).append(message[:1].upper() + message[1:] + ".")
        raise ValidationError(by_field)
    return values


def respondent_list_start(*, survey: Survey, unit, actor) -> RespondentList:
    """An empty draft list for ``unit`` (rows are then added in the browser); the existing one when there is one."""
    with transaction.atomic():
        require_lists_writable(survey)
        respondent_list, created = RespondentList.objects.get_or_create(survey=survey, unit=unit)
        if created:
            audit_record(actor=actor, action="survey.list_started", obj=respondent_list, unit=unit)
    return respondent_list


def respondent_add(*, respondent_list: RespondentList, data: dict, actor) -> Respondent:
    """Add one row typed in the browser (the same checks as a file's row); the rules are applied to the list again."""
    with transaction.atomic():
        respondent_list = _lock_list(respondent_list)
        ctx = lists.RowContext(survey=respondent_list.survey, respondent_list=respondent_list)
        values = _validated(data, ctx)
        last = Respondent.objects.filter(respondent_list=respondent_list).order_by("-row").values_list("row", flat=True)
        row = (last.first() or 1) + 1
        respondent = Respondent.objects.create(
            respondent_list=respondent_list, survey=respondent_list.survey, row=row, **values
        )
        _rerun_rules(respondent_list, ctx)
        respondent_list.version += 1
        respondent_list.save()
        audit_record(
            actor=actor,
            action="survey.respondent_added",
            obj=respondent,
            unit=respondent_list.unit,
            changes={"row": [None, row], "group": [None, respondent.group.code]},
        )
    respondent.refresh_from_db()
    return respondent


def respondent_update(*, respondent: Respondent, data: dict, actor) -> Respondent:
    """Correct one row; the rules are applied to the list again. An ID number left empty keeps the stored hash."""
    with transaction.atomic():
        respondent_list = _lock_list(respondent.respondent_list)
        respondent = Respondent.objects.get(pk=respondent.pk)
        ctx = lists.RowContext(survey=respondent_list.survey, respondent_list=respondent_list)
        values = _validated(data, ctx)
        if not values.get("id_number_hash"):
            values.pop("id_number_hash", None)
        changes = {}
        for name, value in values.items():
            old = getattr(respondent, name)
            if old != value:
                if name != "name_key":
                    changes[name] = ["…", "…"] if name == "id_number_hash" else [old, value]
                setattr(respondent, name, value)
        if changes:
            respondent.save()
            _rerun_rules(respondent_list, ctx)
            respondent_list.version += 1
            respondent_list.save()
            audit_record(
                actor=actor,
                action="survey.respondent_updated",
                obj=respondent,
                unit=respondent_list.unit,
                changes=changes,
            )
    respondent.refresh_from_db()
    return respondent


def respondent_decide(*, respondent: Respondent, status: str, reason: str, actor) -> Respondent:
    """A coordinator's decision on one row: include it (reversing an exclusion, a merge or the sample) or exclude
    it, with a reason. The rules never override it."""
    reason = (reason or "").strip()
    if status not in DECISIONS:
        raise ValidationError(
            {"status": _("Chỉ chọn “%(a)s” hoặc “%(b)s”.") % {"a": DECISIONS[0].label, "b": DECISIONS[1].label}}
        )
    if not reason:
        raise ValidationError({"reason": _("Cần ghi lý do của quyết định.")})
    with transaction.atomic():
        respondent_list = _lock_list(respondent.respondent_list)
        respondent = Respondent.objects.select_related("group").get(pk=respondent.pk)
        values = {
            "status": status,
            "reason": reason[:500],
            "rule": "",
            "merged_into_id": None,
            "decided_by_id": actor.pk,
        }
        changes = diff_fields(respondent, values)
        for name, value in values.items():
            setattr(respondent, name, value)
        respondent.save(update_fields=["status", "reason", "rule", "merged_into", "decided_by"])
        respondent_list.version += 1
        respondent_list.save(update_fields=["version", "updated_at"])
        audit_record(
            actor=actor,
            action="survey.respondent_decided",
            obj=respondent,
            unit=respondent_list.unit,
            changes={k: v for k, v in changes.items() if k in ("status", "reason", "rule")},
            reason=reason,
        )
    return respondent


def respondent_list_sample(*, respondent_list: RespondentList, actor, seed: int | None = None) -> RespondentList:
    """Draw the sample of a list larger than needed: n = ⌈N / (1 + N·e²)⌉ (never under the commune quota when the
    quota applies), stratified by procedure field, from a recorded seed; the others become ``not_sampled``.

    The population is the list's citizens still in the running (included or not sampled); a list without citizens
    samples all its included rows. The same seed on the same list gives the same sample."""
    if seed is not None and not (0 <= int(seed) < 2**63):
        raise ValidationError({"seed": _("Hạt giống phải là số nguyên không âm.")})
    with transaction.atomic():
        respondent_list = _lock_list(respondent_list)
        survey = respondent_list.survey
        live = Respondent.objects.filter(
            respondent_list=respondent_list, status__in=[RespondentStatus.INCLUDED, RespondentStatus.NOT_SAMPLED]
        ).select_related("group")
        population = [r for r in live if r.group.is_citizen] or [
            r for r in live if r.status == RespondentStatus.INCLUDED
        ]
        size = len(population)
        if size == 0:
            raise ValidationError(_("Danh sách chưa có người nào được khảo sát để chọn mẫu."))
        n = lists.sample_size(size, survey.margin_of_error)
        checks = lists.list_checks(respondent_list)
        if checks.quota is not None:
            n = max(n, min(size, checks.quota))
        seed = int(seed) if seed is not None else secrets.randbelow(2**48)
        chosen = lists.draw_sample(population, n=n, seed=seed)
        reason = _(
            "Không được chọn vào mẫu: chọn ngẫu nhiên %(n)s trong %(N)s người, phân tầng theo lĩnh vực thủ tục, "
            "sai số e = %(e)s, hạt giống %(seed)s."
        ) % {"n": n, "N": size, "e": survey.margin_of_error.normalize(), "seed": seed}
        changed = []
        for r in population:
            before = (r.status, r.rule, r.reason, r.decided_by_id)
            if r.pk not in chosen:
                r.status, r.rule, r.reason, r.decided_by_id = RespondentStatus.NOT_SAMPLED, "sampling", reason, None
            elif r.status == RespondentStatus.NOT_SAMPLED:
                r.status, r.rule, r.reason, r.decided_by_id = RespondentStatus.INCLUDED, "", "", None
            if (r.status, r.rule, r.reason, r.decided_by_id) != before:
                changed.append(r)
        if changed:
            Respondent.objects.bulk_update(changed, ["status", "rule", "reason", "decided_by"], batch_size=2000)
        old = {"sample_seed": respondent_list.sample_seed, "sample_size": respondent_list.sample_size}
        respondent_list.sample_seed, respondent_list.population, respondent_list.sample_size = seed, size, n
        respondent_list.sampled_at = timezone.now()
        respondent_list.version += 1
        respondent_list.save(
            update_fields=["sample_seed", "population", "sample_size", "sampled_at", "version", "updated_at"]
        )
        audit_record(
            actor=actor,
            action="survey.list_sampled",
            obj=respondent_list,
            unit=respondent_list.unit,
            changes={
                "sample_seed": [old["sample_seed"], seed],
                "sample_size": [old["sample_size"], n],
                "population": [None, size],
            },
        )
    return respondent_list


def respondent_list_send(*, respondent_list: RespondentList, actor, note: str = "") -> RespondentList:
    """The coordinator sends the reviewed list (seed 003); from then on it is frozen. A list that misses its quota or
    procedure fields is sent only with a note saying why."""
    note = (note or "").strip()
    with transaction.atomic():
        respondent_list = _lock_list(respondent_list)
        included = Respondent.objects.filter(respondent_list=respondent_list, status=RespondentStatus.INCLUDED)
        if not included.exists():
            raise ValidationError(_("Danh sách chưa có người nào được khảo sát; không gửi được."))
        checks = lists.list_checks(respondent_list)
        if checks.problems and not note:
            raise ValidationError(
                {
                    "note": [
                        *checks.problems,
                        _("Nếu vẫn gửi danh sách này, hãy ghi lý do vào ô ghi chú."),
                    ]
                }
            )
        respondent_list.status = ListStatus.SENT
        respondent_list.sent_at = timezone.now()
        respondent_list.sent_by = actor
        respondent_list.send_note = note
        respondent_list.version += 1
        respondent_list.save(update_fields=["status", "sent_at", "sent_by", "send_note", "version", "updated_at"])
        counts = dict(
            Respondent.objects.filter(respondent_list=respondent_list)
            .values_list("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
        audit_record(
            actor=actor,
            action="survey.list_sent",
            obj=respondent_list,
            unit=respondent_list.unit,
            changes={"status": [ListStatus.DRAFT, ListStatus.SENT], "by_status": [None, counts]},
            reason=note or "; ".join(checks.problems),
        )
    return respondent_list


# --- end of lists ---------------------------------------------------------------------------------------------------


# --- survey status --------------------------------------------------------------------------------------------------


def survey_status_set(*, survey: Survey, status: str, actor, reason: str = "") -> Survey:
    """Mark the survey in preparation, in progress (answers are taken while the cycle's survey window is open) or
    over (no more answers, invitations or changes). Reversible, audited with the reason."""
    if status not in SurveyStatus.values:
        raise ValidationError({"status": _("Trạng thái không hợp lệ.")})
    with transaction.atomic():
        survey = Survey.objects.select_for_update().select_related("cycle", "cycle__assessor").get(pk=survey.pk)
        old = survey.status
        if old == status:
            return survey
        survey.status = status
        survey.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="survey.status_changed",
            obj=survey,
            unit=survey.cycle.assessor,
            changes={"status": [old, status]},
            reason=(reason or "").strip(),
        )
    return survey
