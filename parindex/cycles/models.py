"""Assessment cycles (đợt đánh giá): who takes part with which framework, the windows and deadlines, extensions,
the plan's tasks and the responsibility matrix.

Windows are stored as aware datetimes and shown in Asia/Ho_Chi_Minh time; whether a window is open for a unit is
decided in one place, ``cycles.windows``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from parindex.core.models import TimeStampedModel


class CycleStatus(models.TextChoices):
    DRAFT = "draft", _("Đang chuẩn bị")
    ACTIVE = "active", _("Đang triển khai")
    CLOSED = "closed", _("Đã kết thúc")


class Cycle(TimeStampedModel):
    year = models.PositiveSmallIntegerField(_("năm đánh giá"))
    name = models.CharField(_("tên đợt đánh giá"), max_length=300)
    assessor = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("cơ quan đánh giá"), on_delete=models.PROTECT, related_name="cycles"
    )
    status = models.CharField(
        _("trạng thái"), max_length=16, choices=CycleStatus.choices, default=CycleStatus.DRAFT, db_index=True
    )
    decision = models.CharField(_("văn bản triển khai"), max_length=300, blank=True)
    description = models.TextField(_("ghi chú"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-year", "name"]
        verbose_name = _("đợt đánh giá")
        verbose_name_plural = _("đợt đánh giá")
        constraints = [
            models.UniqueConstraint(fields=["assessor", "year", "name"], name="cycle_assessor_year_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class CycleFramework(models.Model):
    """The framework a unit group uses in a cycle (e.g. sở, ban, ngành → PAR Index of departments)."""

    cycle = models.ForeignKey(Cycle, verbose_name=_("đợt đánh giá"), on_delete=models.CASCADE, related_name="plans")
    group = models.ForeignKey(
        "orgs.UnitGroup", verbose_name=_("nhóm đơn vị"), on_delete=models.PROTECT, related_name="cycle_frameworks"
    )
    framework = models.ForeignKey(
        "frameworks.Framework", verbose_name=_("bộ chỉ số"), on_delete=models.PROTECT, related_name="cycle_uses"
    )

    class Meta:
        ordering = ["cycle", "group__code"]
        verbose_name = _("bộ chỉ số của nhóm")
        verbose_name_plural = _("bộ chỉ số của nhóm")
        constraints = [models.UniqueConstraint(fields=["cycle", "group"], name="cycle_framework_group_unique")]

    def __str__(self) -> str:
        return f"{self.group} → {self.framework}"


class Participant(TimeStampedModel):
    """A unit assessed in a cycle, with its group and the framework it is assessed against."""

    cycle = models.ForeignKey(
        Cycle, verbose_name=_("đợt đánh giá"), on_delete=models.CASCADE, related_name="participants"
    )
    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="participations"
    )
    group = models.ForeignKey(
        "orgs.UnitGroup", verbose_name=_("nhóm đơn vị"), on_delete=models.PROTECT, related_name="participations"
    )
    framework = models.ForeignKey(
        "frameworks.Framework", verbose_name=_("bộ chỉ số"), on_delete=models.PROTECT, related_name="participations"
    )
    withdrawn_at = models.DateTimeField(_("rút khỏi đợt lúc"), null=True, blank=True)

    class Meta:
        ordering = ["cycle", "unit__name"]
        verbose_name = _("đơn vị tham gia")
        verbose_name_plural = _("đơn vị tham gia")
        constraints = [models.UniqueConstraint(fields=["cycle", "unit"], name="participant_cycle_unit_unique")]

    def __str__(self) -> str:
        return f"{self.unit} — {self.cycle}"


class WindowKind(models.TextChoices):
    SELF_ASSESSMENT = "self_assessment", _("Tự đánh giá, chấm điểm")
    SUPPLEMENTARY = "supplementary", _("Bổ sung tài liệu kiểm chứng")
    APPRAISAL_1 = "appraisal_1", _("Thẩm định vòng 1")
    EXPLANATION = "explanation", _("Giải trình")
    APPRAISAL_2 = "appraisal_2", _("Thẩm định vòng 2")
    COUNCIL = "council", _("Hội đồng xác nhận kết quả")
    SURVEY = "survey", _("Điều tra xã hội học")
    PUBLICATION = "publication", _("Công bố kết quả")


# Windows in which units (not the council) write; a manager may extend these for one unit.
UNIT_WINDOWS = {WindowKind.SELF_ASSESSMENT, WindowKind.SUPPLEMENTARY, WindowKind.EXPLANATION}


class Window(TimeStampedModel):
    cycle = models.ForeignKey(Cycle, verbose_name=_("đợt đánh giá"), on_delete=models.CASCADE, related_name="windows")
    kind = models.CharField(_("giai đoạn"), max_length=32, choices=WindowKind.choices)
    opens_at = models.DateTimeField(_("mở lúc"))
    closes_at = models.DateTimeField(_("đóng lúc"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["cycle", "opens_at"]
        verbose_name = _("thời hạn")
        verbose_name_plural = _("thời hạn")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "kind"], name="window_cycle_kind_unique"),
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="window_closes_after_opens"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.cycle}"


class Extension(models.Model):
    """A manager's extension of one window for one unit, until a moment, with a reason. Revoked, never deleted."""

    cycle = models.ForeignKey(
        Cycle, verbose_name=_("đợt đánh giá"), on_delete=models.CASCADE, related_name="extensions"
    )
    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="extensions"
    )
    kind = models.CharField(_("giai đoạn"), max_length=32, choices=WindowKind.choices)
    until = models.DateTimeField(_("gia hạn đến"))
    reason = models.TextField(_("lý do"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người gia hạn"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("gia hạn lúc"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thu hồi"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoke_reason = models.TextField(_("lý do thu hồi"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("gia hạn")
        verbose_name_plural = _("gia hạn")
        indexes = [models.Index(fields=["cycle", "unit", "kind"])]

    def __str__(self) -> str:
        return f"{self.unit} — {self.get_kind_display()} → {timezone.localtime(self.until):%d/%m/%Y %H:%M}"


class TaskStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Chưa thực hiện")
    IN_PROGRESS = "in_progress", _("Đang thực hiện")
    DONE = "done", _("Hoàn thành")
    CANCELLED = "cancelled", _("Hủy bỏ")


class Task(TimeStampedModel):
    """One row of the plan (Kế hoạch): task, lead agency, cooperating agencies, product, deadline, status."""

    cycle = models.ForeignKey(Cycle, verbose_name=_("đợt đánh giá"), on_delete=models.CASCADE, related_name="tasks")
    number = models.CharField(_("STT"), max_length=16, blank=True)
    title = models.TextField(_("nhiệm vụ"))
    lead_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("cơ quan chủ trì"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_tasks",
    )
    lead_text = models.CharField(_("cơ quan chủ trì (ghi rõ)"), max_length=300, blank=True)
    cooperating_units = models.ManyToManyField(
        "orgs.OrgUnit", verbose_name=_("cơ quan phối hợp"), related_name="cooperating_tasks", blank=True
    )
    cooperating_text = models.CharField(_("cơ quan phối hợp (ghi rõ)"), max_length=500, blank=True)
    product = models.CharField(_("sản phẩm"), max_length=500, blank=True)
    deadline = models.DateField(_("thời hạn"), null=True, blank=True)
    status = models.CharField(
        _("tình trạng"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.NOT_STARTED, db_index=True
    )
    completed_at = models.DateTimeField(_("hoàn thành lúc"), null=True, blank=True)
    note = models.TextField(_("ghi chú"), blank=True)
    order = models.PositiveIntegerField(_("thứ tự"), default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["cycle", "order", "id"]
        verbose_name = _("nhiệm vụ")
        verbose_name_plural = _("kế hoạch, nhiệm vụ")

    def __str__(self) -> str:
        return f"{self.number} {self.title[:80]}".strip()


class TaskAttachment(models.Model):
    task = models.ForeignKey(Task, verbose_name=_("nhiệm vụ"), on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("tệp"), upload_to="tasks/%Y/%m/", max_length=300)
    original_name = models.CharField(_("tên tệp"), max_length=255)
    content_type = models.CharField(_("loại tệp"), max_length=100)
    size = models.PositiveBigIntegerField(_("dung lượng"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người tải lên"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("tải lên lúc"), auto_now_add=True)
    removed_at = models.DateTimeField(_("gỡ lúc"), null=True, blank=True)

    class Meta:
        ordering = ["uploaded_at"]
        verbose_name = _("tệp đính kèm")
        verbose_name_plural = _("tệp đính kèm")

    def __str__(self) -> str:
        return self.original_name


class Responsibility(TimeStampedModel):
    """Responsibility matrix (seed 004): inside a unit, which division handles a criterion in a cycle."""

    cycle = models.ForeignKey(
        Cycle, verbose_name=_("đợt đánh giá"), on_delete=models.CASCADE, related_name="responsibilities"
    )
    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="responsibilities"
    )
    node = models.ForeignKey(
        "frameworks.Node", verbose_name=_("tiêu chí"), on_delete=models.PROTECT, related_name="responsibilities"
    )
    division = models.CharField(_("bộ phận thực hiện"), max_length=300)
    cooperating = models.CharField(_("bộ phận phối hợp"), max_length=500, blank=True)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người theo dõi"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("ghi chú"), max_length=500, blank=True)

    class Meta:
        ordering = ["cycle", "unit", "node__order"]
        verbose_name = _("phân công theo tiêu chí")
        verbose_name_plural = _("ma trận phân công")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "unit", "node"], name="responsibility_cycle_unit_node_unique")
        ]

    def __str__(self) -> str:
        return f"{self.node.code}: {self.division}"
