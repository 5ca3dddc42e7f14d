"""A unit's assessment in a cycle: one entry per scored leaf of its framework, evidence, the frozen submissions and
every change of points.

The entry carries the self-assessment (declared data, points, explanation) and the appraisal (round 1, the unit's
explanation, round 2); the appraisal *services* live in ``parindex.appraisals``. Each entry has a ``version`` that a
writer must send back: a stale version is a conflict, never a silent overwrite.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parindex.core.models import TimeStampedModel


class AssessmentStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Chưa bắt đầu")
    IN_PROGRESS = "in_progress", _("Đang tự đánh giá")
    AWAITING_REVIEW = "awaiting_review", _("Chờ lãnh đạo duyệt")
    RETURNED = "returned", _("Lãnh đạo trả lại")
    SUBMITTED = "submitted", _("Đã gửi")
    UNDER_APPRAISAL = "under_appraisal", _("Đang thẩm định")
    EXPLANATION_REQUESTED = "explanation_requested", _("Yêu cầu giải trình")
    CONFIRMED = "confirmed", _("Hội đồng đã xác nhận")


# States in which the unit edits its self-assessment.
EDITABLE_STATUSES = {
    AssessmentStatus.NOT_STARTED,
    AssessmentStatus.IN_PROGRESS,
    AssessmentStatus.AWAITING_REVIEW,
    AssessmentStatus.RETURNED,
}
# States in which appraisers work.
APPRAISAL_STATUSES = {AssessmentStatus.UNDER_APPRAISAL, AssessmentStatus.EXPLANATION_REQUESTED}


class Assessment(TimeStampedModel):
    participant = models.OneToOneField(
        "cycles.Participant", verbose_name=_("đơn vị tham gia"), on_delete=models.PROTECT, related_name="assessment"
    )
    # Denormalised from the participant for filtering and access checks.
    cycle = models.ForeignKey(
        "cycles.Cycle", verbose_name=_("đợt đánh giá"), on_delete=models.PROTECT, related_name="assessments"
    )
    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="assessments"
    )
    framework = models.ForeignKey(
        "frameworks.Framework", verbose_name=_("bộ chỉ số"), on_delete=models.PROTECT, related_name="assessments"
    )
    status = models.CharField(
        _("trạng thái"),
        max_length=32,
        choices=AssessmentStatus.choices,
        default=AssessmentStatus.NOT_STARTED,
        db_index=True,
    )
    version = models.PositiveIntegerField(_("phiên bản"), default=1)
    submitted_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người gửi"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status_note = models.TextField(_("ghi chú trạng thái"), blank=True)  # e.g. the leader's reason for sending back
    # The report's narrative parts (MOHA's structure): difficulties and proposals.
    difficulties = models.TextField(_("khó khăn, vướng mắc"), blank=True)
    proposals = models.TextField(_("đề xuất, kiến nghị"), blank=True)
    # Incremented when a manager reopens a confirmed appraisal: votes of earlier rounds stay on record.
    confirmation_round = models.PositiveSmallIntegerField(_("lần xác nhận"), default=1)
    confirmed_at = models.DateTimeField(_("hội đồng xác nhận lúc"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người xác nhận"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["cycle", "unit__name"]
        verbose_name = _("bản tự đánh giá")
        verbose_name_plural = _("bản tự đánh giá")
        constraints = [models.UniqueConstraint(fields=["cycle", "unit"], name="assessment_cycle_unit_unique")]

    def __str__(self) -> str:
        return f"{self.unit} — {self.cycle}"


class Entry(models.Model):
    """One scored leaf (sub-criterion) of one assessment."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("bản tự đánh giá"), on_delete=models.CASCADE, related_name="entries"
    )
    node = models.ForeignKey("frameworks.Node", verbose_name=_("tiêu chí"), on_delete=models.PROTECT, related_name="+")
    # Self-assessment
    declared = models.JSONField(_("số liệu kê khai"), null=True, blank=True)
    self_points = models.DecimalField(_("điểm tự chấm"), max_digits=7, decimal_places=2, null=True, blank=True)
    self_note = models.CharField(_("cách tính"), max_length=1000, blank=True)  # the rule's explanation
    explanation = models.TextField(_("giải trình"), blank=True)
    self_updated_at = models.DateTimeField(_("tự chấm lúc"), null=True, blank=True)
    self_updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tự chấm"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Appraisal round 1
    round1_points = models.DecimalField(
        _("điểm thẩm định vòng 1"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    round1_comment = models.TextField(_("nhận xét vòng 1"), blank=True)
    round1_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("thẩm định vòng 1"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    round1_at = models.DateTimeField(_("thẩm định vòng 1 lúc"), null=True, blank=True)
    # Explanation requested in round 1 and the unit's answer
    explanation_request = models.TextField(_("nội dung yêu cầu giải trình"), blank=True)
    explanation_requested_at = models.DateTimeField(_("yêu cầu giải trình lúc"), null=True, blank=True)
    explanation_answer = models.TextField(_("nội dung giải trình"), blank=True)
    explanation_answered_at = models.DateTimeField(_("giải trình lúc"), null=True, blank=True)
    # Appraisal round 2 (final appraised points)
    round2_points = models.DecimalField(
        _("điểm thẩm định vòng 2"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    round2_comment = models.TextField(_("nhận xét vòng 2"), blank=True)
    round2_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("thẩm định vòng 2"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    round2_at = models.DateTimeField(_("thẩm định vòng 2 lúc"), null=True, blank=True)
    version = models.PositiveIntegerField(_("phiên bản"), default=1)
    evidence = models.ManyToManyField(
        "Evidence", verbose_name=_("tài liệu kiểm chứng"), through="EntryEvidence", related_name="entries", blank=True
    )

    class Meta:
        ordering = ["assessment", "node__order", "node_id"]
        verbose_name = _("điểm tiêu chí")
        verbose_name_plural = _("điểm tiêu chí")
        constraints = [models.UniqueConstraint(fields=["assessment", "node"], name="entry_assessment_node_unique")]

    def __str__(self) -> str:
        return f"{self.assessment.unit_id}/{self.node.code}"

    @property
    def appraised_points(self):
        """The appraisal's latest word: round 2 when set, else round 1 (None when not appraised)."""
        return self.round2_points if self.round2_points is not None else self.round1_points


class Stage(models.TextChoices):
    SELF = "self", _("Tự chấm")
    ROUND1 = "round1", _("Thẩm định vòng 1")
    ROUND2 = "round2", _("Thẩm định vòng 2")


class ScoreChange(models.Model):
    """Every change of points: who, when, old, new and why. Written by the services with the entry."""

    entry = models.ForeignKey(Entry, verbose_name=_("điểm tiêu chí"), on_delete=models.CASCADE, related_name="changes")
    stage = models.CharField(_("bước"), max_length=16, choices=Stage.choices)
    old_points = models.DecimalField(_("điểm cũ"), max_digits=7, decimal_places=2, null=True, blank=True)
    new_points = models.DecimalField(_("điểm mới"), max_digits=7, decimal_places=2, null=True, blank=True)
    old_declared = models.JSONField(_("số liệu cũ"), null=True, blank=True)
    new_declared = models.JSONField(_("số liệu mới"), null=True, blank=True)
    reason = models.TextField(_("lý do"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người thay đổi"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("lúc"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("thay đổi điểm")
        verbose_name_plural = _("lịch sử điểm")

    def __str__(self) -> str:
        return f"{self.get_stage_display()}: {self.old_points} → {self.new_points}"


class EvidenceKind(models.TextChoices):
    FILE = "file", _("Tệp")
    LINK = "link", _("Liên kết")


class Evidence(models.Model):
    """A document of one assessment (uploaded file or link), reusable across its criteria. Withdrawn, not deleted."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("bản tự đánh giá"), on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(_("loại"), max_length=8, choices=EvidenceKind.choices, default=EvidenceKind.FILE)
    title = models.CharField(_("trích yếu"), max_length=500)
    number = models.CharField(_("số, ký hiệu"), max_length=100, blank=True)
    issued_on = models.DateField(_("ngày ban hành"), null=True, blank=True)
    file = models.FileField(_("tệp"), upload_to="evidence/%Y/%m/", max_length=300, blank=True)
    url = models.URLField(_("đường dẫn"), max_length=1000, blank=True)
    original_name = models.CharField(_("tên tệp gốc"), max_length=255, blank=True)
    content_type = models.CharField(_("loại tệp"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("dung lượng (byte)"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, db_index=True)
    supplementary = models.BooleanField(_("bổ sung sau khi gửi"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người tải lên"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("tải lên lúc"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("gỡ lúc"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người gỡ"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    withdrawn_reason = models.CharField(_("lý do gỡ"), max_length=1000, blank=True)

    class Meta:
        ordering = ["assessment", "uploaded_at", "id"]
        verbose_name = _("tài liệu kiểm chứng")
        verbose_name_plural = _("tài liệu kiểm chứng")

    def __str__(self) -> str:
        return self.title


class EntryEvidence(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="evidence_links")
    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="entry_links")
    attached_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    attached_at = models.DateTimeField(auto_now_add=True)
    # Attached after the report was submitted (during the supplementary-evidence or explanation window).
    supplementary = models.BooleanField(_("bổ sung sau khi gửi"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entry", "evidence"], name="entry_evidence_unique")]

    def __str__(self) -> str:
        return f"{self.entry_id} ↔ {self.evidence_id}"


class Submission(models.Model):
    """A frozen copy of every value of the report at submission. Withdrawing marks it, never deletes it."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("bản tự đánh giá"), on_delete=models.PROTECT, related_name="submissions"
    )
    number = models.PositiveIntegerField(_("lần gửi"))
    data = models.JSONField(_("dữ liệu"))
    total_points = models.DecimalField(_("tổng điểm tự chấm"), max_digits=8, decimal_places=2)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người gửi"), on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("gửi lúc"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("rút lại lúc"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người rút lại"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["assessment", "-number"]
        verbose_name = _("bản đã gửi")
        verbose_name_plural = _("bản đã gửi")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "number"], name="submission_assessment_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.assessment} — lần {self.number}"
