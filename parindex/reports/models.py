"""Report jobs (a file produced in the background, kept for download) and replaceable Word templates."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parindex.core.models import TimeStampedModel


class ReportKind(models.TextChoices):
    RESULTS = "results", _("Bảng kết quả đầy đủ")
    RANKING = "ranking", _("Bảng xếp hạng và xếp loại")
    SELF_ASSESSMENT = "self_assessment", _("Báo cáo tự đánh giá của đơn vị")
    SCORECARD = "scorecard", _("Phiếu kết quả Chỉ số của đơn vị")
    SURVEY = "survey", _("Tiến độ và điểm điều tra xã hội học")
    PLAN = "plan", _("Kế hoạch triển khai")
    APPRAISAL_MINUTES = "appraisal_minutes", _("Biên bản thẩm định")
    RESULTS_REPORT = "results_report", _("Báo cáo kết quả gửi Ủy ban nhân dân")
    DECISION = "decision", _("Quyết định công bố kết quả")


class ReportFormat(models.TextChoices):
    XLSX = "xlsx", "Excel (.xlsx)"
    DOCX = "docx", "Word (.docx)"
    PDF = "pdf", "PDF"


class ReportState(models.TextChoices):
    QUEUED = "queued", _("Đang chờ")
    RUNNING = "running", _("Đang tạo")
    DONE = "done", _("Hoàn tất")
    FAILED = "failed", _("Lỗi")


class ReportJob(TimeStampedModel):
    """One request for a document. The file is written only when it is complete; a failed job keeps a readable
    message and no file."""

    kind = models.CharField(_("loại báo cáo"), max_length=32, choices=ReportKind.choices)
    format = models.CharField(_("định dạng"), max_length=8, choices=ReportFormat.choices)
    cycle = models.ForeignKey(
        "cycles.Cycle", verbose_name=_("đợt đánh giá"), on_delete=models.PROTECT, related_name="report_jobs"
    )
    unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("đơn vị"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="report_jobs",
    )
    group = models.ForeignKey(
        "orgs.UnitGroup",
        verbose_name=_("nhóm đơn vị"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="report_jobs",
    )
    state = models.CharField(
        _("trạng thái"), max_length=16, choices=ReportState.choices, default=ReportState.QUEUED, db_index=True
    )
    progress_done = models.PositiveIntegerField(_("đã xong"), default=0)
    progress_total = models.PositiveIntegerField(_("tổng số"), default=0)
    progress_label = models.CharField(_("bước"), max_length=200, blank=True)
    error = models.TextField(_("lỗi"), blank=True)
    file = models.FileField(_("tệp"), upload_to="reports/%Y/%m/", blank=True, max_length=300)
    filename = models.CharField(_("tên tệp"), max_length=250, blank=True)
    size = models.PositiveBigIntegerField(_("dung lượng"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người yêu cầu"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="report_jobs",
    )
    started_at = models.DateTimeField(_("bắt đầu lúc"), null=True, blank=True)
    finished_at = models.DateTimeField(_("xong lúc"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("báo cáo")
        verbose_name_plural = _("báo cáo")
        indexes = [models.Index(fields=["requested_by", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.format}) #{self.pk}"

    @property
    def percent(self) -> int:
        if self.state == ReportState.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)


class DocumentTemplate(TimeStampedModel):
    """A Word template uploaded by an assessing body for one document kind. Replacing it deactivates the previous
    one (kept, never deleted); with no active template the shipped one is used."""

    kind = models.CharField(_("loại văn bản"), max_length=32, choices=ReportKind.choices)
    owner = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("cơ quan"), on_delete=models.PROTECT, related_name="document_templates"
    )
    file = models.FileField(_("tệp mẫu"), upload_to="report-templates/%Y/", max_length=300)
    original_name = models.CharField(_("tên tệp gốc"), max_length=250)
    sha256 = models.CharField(max_length=64)
    active = models.BooleanField(_("đang dùng"), default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tải lên"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="document_templates",
    )

    class Meta:
        ordering = ["kind", "-created_at"]
        verbose_name = _("mẫu văn bản")
        verbose_name_plural = _("mẫu văn bản")
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "kind"], condition=models.Q(active=True), name="reports_one_active_template"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.original_name}"
