"""Stored results: a result set per cycle and unit group (computed here) or per year and group (imported from
published tables), with one row per unit holding the snapshot of every value.

A result set is a snapshot: it records the version of its inputs and never changes after publication; a new
computation makes a new draft.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parindex.core.models import TimeStampedModel


class ClassScheme(TimeStampedModel):
    """Named classes with thresholds (``bands``: [{"code": "A", "name": "A", "min": "90.00"}, …], highest first; each
    band runs from its ``min``, inclusive, up to the next band's ``min``, exclusive; the lowest starts at 0).

    Index managers keep their own schemes (``owner``) and attach one to a framework or a unit group; the schemes
    shipped with the software (``builtin``) are read-only and cloned to be changed. A result set copies the bands it
    was classified with (``ResultSet.bands``), so changing a scheme never changes a computed or published result."""

    code = models.SlugField(_("mã"), max_length=64, unique=True)
    name = models.CharField(_("tên"), max_length=200)
    bands = models.JSONField(_("các mức xếp loại"))
    owner = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("cơ quan quản lý"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    builtin = models.BooleanField(_("có sẵn (chỉ đọc)"), default=False)
    cloned_from = models.ForeignKey(
        "self",
        verbose_name=_("nhân bản từ"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clones",
    )
    retired_at = models.DateTimeField(_("ngừng dùng lúc"), null=True, blank=True)
    framework = models.ForeignKey(
        "frameworks.Framework",
        verbose_name=_("bộ chỉ số"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="class_schemes",
    )
    group = models.ForeignKey(
        "orgs.UnitGroup",
        verbose_name=_("nhóm đơn vị"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="class_schemes",
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("thang xếp loại")
        verbose_name_plural = _("thang xếp loại")
        constraints = [
            # One scheme in use per unit group, and one per framework (for groups without their own).
            models.UniqueConstraint(
                fields=["group"],
                condition=models.Q(group__isnull=False, retired_at__isnull=True),
                name="class_scheme_one_per_group",
            ),
            models.UniqueConstraint(
                fields=["framework"],
                condition=models.Q(framework__isnull=False, group__isnull=True, retired_at__isnull=True),
                name="class_scheme_one_per_framework",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ResultSource(models.TextChoices):
    COMPUTED = "computed", _("Tính trên phần mềm")
    IMPORTED = "imported", _("Nhập từ kết quả đã công bố")


class ResultStatus(models.TextChoices):
    DRAFT = "draft", _("Dự thảo")
    APPROVED = "approved", _("Chủ tịch Hội đồng đã duyệt")
    PUBLISHED = "published", _("Đã công bố")
    SUPERSEDED = "superseded", _("Đã thay thế")


class JobState(models.TextChoices):
    IDLE = "", _("—")
    QUEUED = "queued", _("Đang chờ")
    RUNNING = "running", _("Đang tính")
    DONE = "done", _("Hoàn tất")
    FAILED = "failed", _("Lỗi")


class ResultSet(TimeStampedModel):
    year = models.PositiveSmallIntegerField(_("năm"), db_index=True)
    cycle = models.ForeignKey(
        "cycles.Cycle",
        verbose_name=_("đợt đánh giá"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="result_sets",
    )
    group = models.ForeignKey(
        "orgs.UnitGroup",
        verbose_name=_("nhóm đơn vị"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="result_sets",
    )
    # For imported tables without a registry group: the unit kind compared ("province", "commune"…).
    unit_kind = models.CharField(_("loại đơn vị"), max_length=32, blank=True)
    framework = models.ForeignKey(
        "frameworks.Framework",
        verbose_name=_("bộ chỉ số"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="result_sets",
    )
    scheme = models.ForeignKey(
        ClassScheme,
        verbose_name=_("thang xếp loại"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="result_sets",
    )
    # The bands the units were classified with, copied from the scheme when computed (the scheme may change later).
    bands = models.JSONField(_("các mức xếp loại đã dùng"), default=list, blank=True)
    source = models.CharField(_("nguồn"), max_length=16, choices=ResultSource.choices, default=ResultSource.COMPUTED)
    status = models.CharField(
        _("trạng thái"), max_length=16, choices=ResultStatus.choices, default=ResultStatus.DRAFT, db_index=True
    )
    title = models.CharField(_("tiêu đề"), max_length=300, blank=True)
    inputs_version = models.CharField(_("phiên bản dữ liệu đầu vào"), max_length=64, blank=True)
    computed_at = models.DateTimeField(_("tính lúc"), null=True, blank=True)
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tính"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    job_state = models.CharField(_("tiến trình"), max_length=16, choices=JobState.choices, blank=True, default="")
    job_done = models.PositiveIntegerField(_("đã xử lý"), default=0)
    job_total = models.PositiveIntegerField(_("tổng số"), default=0)
    job_error = models.TextField(_("lỗi"), blank=True)
    approved_at = models.DateTimeField(_("duyệt lúc"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người duyệt"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("công bố lúc"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người công bố"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision = models.CharField(_("quyết định công bố"), max_length=300, blank=True)
    source_note = models.CharField(_("nguồn số liệu"), max_length=500, blank=True)
    # The components (top-level nodes) shown as columns: [{"code": "1", "name": "…", "max": "10.00"}, …]
    components = models.JSONField(_("lĩnh vực"), default=list, blank=True)

    class Meta:
        ordering = ["-year", "-created_at"]
        verbose_name = _("bộ kết quả")
        verbose_name_plural = _("kết quả Chỉ số")

    def __str__(self) -> str:
        return self.title or f"{self.year}"


class UnitResult(models.Model):
    result_set = models.ForeignKey(
        ResultSet, verbose_name=_("bộ kết quả"), on_delete=models.CASCADE, related_name="units"
    )
    unit = models.ForeignKey("orgs.OrgUnit", verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="results")
    points = models.DecimalField(_("tổng điểm"), max_digits=8, decimal_places=2, null=True, blank=True)
    max_points = models.DecimalField(_("điểm tối đa"), max_digits=8, decimal_places=2, null=True, blank=True)
    percent = models.DecimalField(_("Chỉ số (%)"), max_digits=6, decimal_places=2, null=True, blank=True)
    rank = models.PositiveIntegerField(_("xếp hạng"), null=True, blank=True)
    class_code = models.CharField(_("xếp loại"), max_length=32, blank=True)
    class_name = models.CharField(_("tên xếp loại"), max_length=100, blank=True)
    complete = models.BooleanField(_("đủ dữ liệu"), default=False)
    missing = models.JSONField(_("tiêu chí chưa có điểm"), default=list, blank=True)
    # {"1": {"points": "8.50", "max": "10.00", "percent": "85.00", "class": "B"}, …}
    components = models.JSONField(_("điểm theo lĩnh vực"), default=dict, blank=True)
    imported_rank = models.PositiveIntegerField(_("xếp hạng đã công bố"), null=True, blank=True)
    source_row = models.PositiveIntegerField(_("dòng nguồn"), null=True, blank=True)

    class Meta:
        ordering = ["result_set", "rank", "unit__name"]
        verbose_name = _("kết quả đơn vị")
        verbose_name_plural = _("kết quả đơn vị")
        constraints = [models.UniqueConstraint(fields=["result_set", "unit"], name="unit_result_set_unit_unique")]

    def __str__(self) -> str:
        return f"{self.unit} {self.percent}"


class LeafScore(models.Model):
    """The frozen value of one leaf criterion for one unit in a computed result set (copied by one INSERT … SELECT
    when the set is computed; the scorecard recomposes the tree from these with the engine)."""

    # One composite index (result set, unit) serves every read; no index per foreign key: 332,000 rows are inserted
    # at once for a national cycle and each extra index slows that insert. No foreign-key constraint in the database
    # either: the rows are a frozen copy whose references come from the joins of the INSERT … SELECT that writes them
    # (so they exist when written), and PostgreSQL would otherwise check 3 × 332,000 deferred constraints at commit.
    # Deleting a result set still deletes its rows, and units and nodes stay protected, by Django's ``on_delete``.
    result_set = models.ForeignKey(
        ResultSet, on_delete=models.CASCADE, related_name="leaf_scores", db_index=False, db_constraint=False
    )
    unit = models.ForeignKey(
        "orgs.OrgUnit", on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    node = models.ForeignKey(
        "frameworks.Node", on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    self_points = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    appraised_points = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    survey_points = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    statistics_points = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("điểm tiêu chí đã chốt")
        verbose_name_plural = _("điểm tiêu chí đã chốt")
        indexes = [models.Index(fields=["result_set", "unit"])]

    def __str__(self) -> str:
        return f"{self.result_set_id}/{self.unit_id}/{self.node_id}"


class TargetKind(models.TextChoices):
    NATIONAL_TOP = "national_top", _("Nằm trong nhóm N đơn vị dẫn đầu cả nước đến năm Y")
    RISE_RANK = "rise_rank", _("Mỗi năm tăng ít nhất một bậc xếp hạng")
    EACH_UNIT_ABOVE_PREVIOUS = "each_unit_above_previous", _("Mỗi đơn vị năm sau cao hơn năm trước")
    AVERAGE_ABOVE_PROVINCE = "average_above_province", _("Bình quân các đơn vị cao hơn Chỉ số của tỉnh năm trước")


class Target(TimeStampedModel):
    """A target recorded by index managers (seed 002), checked year by year against stored results."""

    owner = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("cơ quan đặt mục tiêu"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("loại mục tiêu"), max_length=32, choices=TargetKind.choices)
    # The province (national_top, rise_rank, average_above_province: the province compared) …
    unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("đơn vị"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="targets",
    )
    # … and the unit group whose units are checked (each_unit_above_previous, average_above_province).
    group = models.ForeignKey(
        "orgs.UnitGroup",
        verbose_name=_("nhóm đơn vị"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="targets",
    )
    top_n = models.PositiveIntegerField(_("N (nhóm dẫn đầu)"), null=True, blank=True)
    year_from = models.PositiveSmallIntegerField(_("từ năm"))
    year_to = models.PositiveSmallIntegerField(_("đến năm"))
    note = models.CharField(_("căn cứ"), max_length=500, blank=True)
    ended_at = models.DateTimeField(_("thôi theo dõi lúc"), null=True, blank=True)

    class Meta:
        ordering = ["year_from", "kind", "id"]
        verbose_name = _("mục tiêu")
        verbose_name_plural = _("mục tiêu")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.year_from}–{self.year_to})"
