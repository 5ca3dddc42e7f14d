"""Framework versions (Bộ chỉ số) and their node trees.

A framework is data edited by index managers: a tree of fields (lĩnh vực) → criteria (tiêu chí) → sub-criteria
(tiêu chí thành phần) of any depth, each node with maximum points, a scoring method and, for leaves, a scoring rule
(see ``rules.py``). Drafts are edited; an active framework is immutable — changes make a new version (clone).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from parindex.core.models import TimeStampedModel


class FrameworkStatus(models.TextChoices):
    DRAFT = "draft", _("Dự thảo")
    ACTIVE = "active", _("Đang áp dụng")
    RETIRED = "retired", _("Ngừng áp dụng")


class Method(models.TextChoices):
    APPRAISED = "appraised", _("Tự đánh giá, Hội đồng thẩm định")
    SURVEY = "survey", _("Điều tra xã hội học")
    STATISTICS = "statistics", _("Số liệu thống kê, tài liệu")
    BONUS = "bonus", _("Điểm thưởng")
    PENALTY = "penalty", _("Điểm trừ")


# Methods whose points are extra to the tree: they are left out when children are summed against their parent.
EXTRA_METHODS = {Method.BONUS, Method.PENALTY}


class Provenance(models.TextChoices):
    UNSPECIFIED = "", _("Chưa ghi")
    OFFICIAL = "official", _("Chính thức")
    ILLUSTRATIVE = "illustrative", _("Minh họa")


class Framework(TimeStampedModel):
    code = models.SlugField(_("mã bộ chỉ số"), max_length=64, unique=True)
    name = models.CharField(_("tên"), max_length=300)
    description = models.TextField(_("mô tả"), blank=True)
    owner = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("cơ quan đánh giá"), on_delete=models.PROTECT, related_name="frameworks"
    )
    year_from = models.PositiveSmallIntegerField(_("áp dụng từ năm"), null=True, blank=True)
    year_to = models.PositiveSmallIntegerField(_("áp dụng đến năm"), null=True, blank=True)
    unit_kinds = models.JSONField(_("loại đơn vị được đánh giá"), default=list, blank=True)
    unit_groups = models.ManyToManyField(
        "orgs.UnitGroup", verbose_name=_("nhóm đơn vị"), related_name="frameworks", blank=True
    )
    decision = models.CharField(_("văn bản ban hành"), max_length=300, blank=True)
    decision_date = models.DateField(_("ngày ban hành"), null=True, blank=True)
    status = models.CharField(
        _("trạng thái"), max_length=16, choices=FrameworkStatus.choices, default=FrameworkStatus.DRAFT, db_index=True
    )
    declared_total = models.DecimalField(_("tổng điểm"), max_digits=7, decimal_places=2, default=Decimal(100))
    # Expected sums of leaf points per method, e.g. {"appraised": 61.5, "statistics": 6.5, "survey": 32}
    pools = models.JSONField(_("cơ cấu điểm theo phương thức"), default=dict, blank=True)
    provenance = models.CharField(
        _("tính chính thức"), max_length=16, choices=Provenance.choices, default="", blank=True
    )
    source = models.CharField(_("nguồn"), max_length=500, blank=True)
    previous_version = models.ForeignKey(
        "self",
        verbose_name=_("phiên bản trước"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_versions",
    )
    activated_at = models.DateTimeField(_("áp dụng lúc"), null=True, blank=True)
    retired_at = models.DateTimeField(_("ngừng lúc"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-year_from", "code"]
        verbose_name = _("bộ chỉ số")
        verbose_name_plural = _("bộ chỉ số")
        constraints = [
            models.CheckConstraint(
                condition=Q(year_to__isnull=True) | Q(year_from__isnull=True) | Q(year_to__gte=models.F("year_from")),
                name="framework_years_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_draft(self) -> bool:
        return self.status == FrameworkStatus.DRAFT

    @property
    def years_label(self) -> str:
        if self.year_from and self.year_to and self.year_from != self.year_to:
            return f"{self.year_from}–{self.year_to}"
        if self.year_from and not self.year_to:
            return f"từ {self.year_from}"
        return str(self.year_from or self.year_to or "")


class Node(models.Model):
    framework = models.ForeignKey(
        Framework, verbose_name=_("bộ chỉ số"), on_delete=models.CASCADE, related_name="nodes"
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("thuộc"), null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    code = models.CharField(_("mã"), max_length=32)
    name = models.CharField(_("tên"), max_length=500)
    description = models.TextField(_("mô tả, hướng dẫn"), blank=True)
    order = models.PositiveIntegerField(_("thứ tự"), default=0)
    max_points = models.DecimalField(_("điểm tối đa"), max_digits=7, decimal_places=2, default=Decimal(0))
    min_points = models.DecimalField(_("điểm sàn"), max_digits=7, decimal_places=2, default=Decimal(0))
    method = models.CharField(_("phương thức đánh giá"), max_length=16, choices=Method.choices, blank=True)
    rule = models.JSONField(_("quy tắc chấm điểm"), null=True, blank=True)
    evidence = models.TextField(_("tài liệu kiểm chứng"), blank=True)
    evidence_kinds = models.JSONField(_("loại tài liệu"), default=list, blank=True)
    appraising_agency = models.CharField(_("cơ quan thẩm định"), max_length=300, blank=True)
    # Why the children's points do not add up to this node's (e.g. "cộng điểm thưởng"); empty when they must.
    sum_note = models.CharField(_("giải thích tổng điểm"), max_length=500, blank=True)
    provenance = models.CharField(
        _("tính chính thức"), max_length=16, choices=Provenance.choices, default="", blank=True
    )
    source = models.CharField(_("nguồn"), max_length=500, blank=True)
    # Per-value marks overriding ``provenance``: {"max_points": "official", "rule": "illustrative"}
    value_provenance = models.JSONField(_("tính chính thức từng giá trị"), default=dict, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["framework", "order", "id"]
        verbose_name = _("nút bộ chỉ số")
        verbose_name_plural = _("nút bộ chỉ số")
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="node_framework_code_unique"),
            models.CheckConstraint(condition=Q(min_points__lte=0), name="node_min_points_not_positive"),
            models.CheckConstraint(condition=Q(max_points__gte=0), name="node_max_points_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.name}"
