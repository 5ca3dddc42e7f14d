import datetime as dt
import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from parindex.core.models import TimeStampedModel


class UnitKind(models.TextChoices):
    MOHA = "moha", _("Bộ Nội vụ")
    MINISTRY = "ministry", _("Bộ, cơ quan ngang bộ")
    PROVINCE = "province", _("Tỉnh, thành phố")
    DEPARTMENT = "department", _("Sở, ban, ngành")
    PUBLIC_SERVICE_UNIT = "public_service_unit", _("Đơn vị sự nghiệp công lập")
    CENTRAL_AGENCY = "central_agency", _("Cơ quan Trung ương đóng trên địa bàn")
    DISTRICT = "district", _("Huyện, quận, thị xã, thành phố thuộc tỉnh")
    COMMUNE = "commune", _("Xã, phường, đặc khu")
    DIVISION = "division", _("Phòng, ban chuyên môn")


class OrgUnit(TimeStampedModel):
    """A unit of the administration, valid between two dates. Codes may be reused by a later unit
    (for example a province code before and after 1 July 2025) as long as the validity periods do not overlap."""

    code = models.CharField(_("mã"), max_length=32, db_index=True)
    name = models.CharField(_("tên"), max_length=255)
    short_name = models.CharField(_("tên ngắn"), max_length=255, blank=True)
    kind = models.CharField(_("loại đơn vị"), max_length=32, choices=UnitKind.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("đơn vị cấp trên"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path of primary keys, "/1/45/" for unit 45 under unit 1: descendants in one indexed query.
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)
    name_key = models.CharField(max_length=255, db_index=True, editable=False, default="")
    source = models.CharField(_("nguồn dữ liệu"), max_length=255, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["path"]
        verbose_name = _("đơn vị")
        verbose_name_plural = _("đơn vị")
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="orgunit_code_valid_from_unique"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="orgunit_validity_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    @property
    def is_current(self) -> bool:
        return self.is_valid_on(timezone.localdate())


class OrgUnitAlias(models.Model):
    """Another name of a unit: a former name, an abbreviation or the name without its prefix."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="aliases", verbose_name=_("đơn vị"))
    name = models.CharField(_("tên gọi khác"), max_length=255)
    name_key = models.CharField(max_length=255, db_index=True, editable=False, default="")
    valid_from = models.DateField(_("dùng từ"), null=True, blank=True)
    valid_to = models.DateField(_("dùng đến"), null=True, blank=True)

    class Meta:
        verbose_name = _("tên gọi khác")
        verbose_name_plural = _("tên gọi khác")
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="orgunitalias_unit_name_unique")]

    def __str__(self) -> str:
        return self.name


class LineageKind(models.TextChoices):
    MERGED_INTO = "merged_into", _("Sáp nhập vào")
    SPLIT_INTO = "split_into", _("Chia tách thành")
    RENAMED = "renamed", _("Đổi tên thành")
    CONTINUED = "continued", _("Tiếp tục là")


class UnitLineage(models.Model):
    """predecessor → successor from ``effective_date``: how a unit that ended lives on."""

    predecessor = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="successor_links", verbose_name=_("đơn vị trước")
    )
    successor = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="predecessor_links", verbose_name=_("đơn vị sau")
    )
    kind = models.CharField(_("hình thức"), max_length=20, choices=LineageKind.choices)
    effective_date = models.DateField(_("ngày hiệu lực"))
    # Share of the predecessor carried into the successor, for weighted comparisons (population, units…); optional.
    weight = models.DecimalField(_("trọng số"), max_digits=12, decimal_places=4, null=True, blank=True)
    note = models.CharField(_("ghi chú"), max_length=500, blank=True)
    source = models.CharField(_("nguồn"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("kế thừa đơn vị")
        verbose_name_plural = _("kế thừa đơn vị")
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor"], name="unitlineage_pair_unique"),
            models.CheckConstraint(condition=~Q(predecessor=models.F("successor")), name="unitlineage_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor} ({self.get_kind_display()}, {self.effective_date:%d/%m/%Y})"


class UnitGroup(TimeStampedModel):
    """Peers that share a framework and are ranked together (nhóm đơn vị)."""

    code = models.SlugField(_("mã nhóm"), max_length=64, unique=True)
    name = models.CharField(_("tên nhóm"), max_length=255)
    description = models.TextField(_("mô tả"), blank=True)
    owner = models.ForeignKey(
        OrgUnit,
        verbose_name=_("cơ quan đánh giá"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_groups",
    )
    units = models.ManyToManyField(OrgUnit, verbose_name=_("đơn vị"), related_name="unit_groups", blank=True)
    is_active = models.BooleanField(_("đang dùng"), default=True)
    history = HistoricalRecords(m2m_fields=[units])

    class Meta:
        ordering = ["code"]
        verbose_name = _("nhóm đơn vị")
        verbose_name_plural = _("nhóm đơn vị")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    full_name = models.CharField(_("họ và tên"), max_length=200, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=30, blank=True)
    position = models.CharField(_("chức vụ"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")

    def __str__(self) -> str:
        return self.full_name or self.get_username()

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", _("Quản trị hệ thống")
    INDEX_MANAGER = "index_manager", _("Quản lý Chỉ số")
    UNIT_OFFICER = "unit_officer", _("Cán bộ đơn vị")
    UNIT_LEADER = "unit_leader", _("Lãnh đạo đơn vị")
    APPRAISER = "appraiser", _("Thành viên thẩm định")
    COUNCIL_CHAIR = "council_chair", _("Chủ tịch Hội đồng thẩm định")
    SURVEY_COORDINATOR = "survey_coordinator", _("Điều phối điều tra XHH")
    VIEWER = "viewer", _("Lãnh đạo theo dõi")


class Membership(TimeStampedModel):
    """A user's role in a unit; with ``includes_subunits`` the role reaches every unit below it.
    Memberships are ended (``ended_at``), never deleted."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("người dùng"))
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("đơn vị"))
    role = models.CharField(_("vai trò"), max_length=32, choices=Role.choices)
    includes_subunits = models.BooleanField(_("cả đơn vị trực thuộc"), default=False)
    ended_at = models.DateTimeField(_("kết thúc lúc"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["user__username", "unit__name", "role"]
        verbose_name = _("vai trò")
        verbose_name_plural = _("vai trò")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "unit", "role"], condition=Q(ended_at__isnull=True), name="membership_active_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.unit}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class SecurityPolicy(models.Model):
    """Site-wide security settings edited by managers (one row)."""

    require_2fa_roles = models.JSONField(_("vai trò bắt buộc xác thực hai lớp"), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("chính sách bảo mật")
        verbose_name_plural = _("chính sách bảo mật")

    def __str__(self) -> str:
        return str(_("Chính sách bảo mật"))

    @classmethod
    def current(cls) -> "SecurityPolicy":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj

    CACHE_KEY = "parindex:security-policy:2fa-roles"
    CACHE_SECONDS = 30

    @classmethod
    def required_2fa_roles(cls) -> frozenset[str]:
        """The roles that must use a second factor, read on every signed-in request: cached for a short while in
        each process (security_policy_update clears it; other processes see a change within CACHE_SECONDS)."""
        from django.core.cache import cache

        roles = cache.get(cls.CACHE_KEY)
        if roles is None:
            row = cls.objects.filter(pk=1).values_list("require_2fa_roles", flat=True).first()
            roles = list(row or [])
            cache.set(cls.CACHE_KEY, roles, cls.CACHE_SECONDS)
        return frozenset(roles)


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once, when created."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens", verbose_name=_("người dùng"))
    name = models.CharField(_("tên"), max_length=100)
    prefix = models.CharField(_("tiền tố"), max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("dùng lần cuối"), null=True, blank=True)
    expires_at = models.DateTimeField(_("hết hạn"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("token API")
        verbose_name_plural = _("token API")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)
