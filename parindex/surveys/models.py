"""The sociological survey (điều tra xã hội học) of a cycle: respondent groups and their questionnaires, the lists of
respondents (imported, de-duplicated, sampled, sent), personal invitations, answers, anomaly flags and cancellations.

Respondents have no account: each answers through a personal single-use link whose token is stored hashed.
Personal data (names, e-mails, phones, addresses) is visible only to the coordinators of the respondent's unit and
never leaves through published results.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from parindex.core.models import TimeStampedModel


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Đang chuẩn bị")
    OPEN = "open", _("Đang khảo sát")
    CLOSED = "closed", _("Đã kết thúc")


class Survey(TimeStampedModel):
    """One survey per cycle (and framework): its settings are the rules the issue makes configurable."""

    cycle = models.ForeignKey(
        "cycles.Cycle", verbose_name=_("đợt đánh giá"), on_delete=models.PROTECT, related_name="surveys"
    )
    framework = models.ForeignKey(
        "frameworks.Framework", verbose_name=_("bộ chỉ số"), on_delete=models.PROTECT, related_name="surveys"
    )
    name = models.CharField(_("tên cuộc điều tra"), max_length=300)
    status = models.CharField(
        _("trạng thái"), max_length=16, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT, db_index=True
    )
    # Served-date window for citizens (seed 001); empty: the cycle's year.
    served_from = models.DateField(_("được phục vụ từ ngày"), null=True, blank=True)
    served_to = models.DateField(_("được phục vụ đến ngày"), null=True, blank=True)
    margin_of_error = models.DecimalField(
        _("sai số e (cỡ mẫu)"), max_digits=4, decimal_places=3, default=Decimal("0.05")
    )
    commune_quota = models.PositiveIntegerField(_("số người tối thiểu mỗi xã"), default=30)
    reminder_max = models.PositiveSmallIntegerField(_("số lần nhắc tối đa"), default=2)
    reminder_min_days = models.PositiveSmallIntegerField(_("khoảng cách tối thiểu giữa hai lần nhắc (ngày)"), default=3)
    min_answers = models.PositiveIntegerField(_("số câu trả lời hợp lệ tối thiểu để tính điểm"), default=1)
    # When a group has no valid answer for a unit: "skip" (other groups' weights are rescaled) or "zero".
    no_answer_policy = models.CharField(
        _("khi nhóm không có câu trả lời"),
        max_length=8,
        default="skip",
        choices=[("skip", _("bỏ qua nhóm")), ("zero", _("tính 0 điểm"))],
    )
    min_seconds = models.PositiveIntegerField(_("thời gian trả lời tối thiểu hợp lý (giây)"), default=60)
    # Procedure fields every commune's citizen list must cover (seed 001), besides those of the unit's earlier lists.
    required_fields = models.JSONField(_("lĩnh vực thủ tục bắt buộc"), default=list, blank=True)

    class Meta:
        ordering = ["-cycle__year", "name"]
        verbose_name = _("cuộc điều tra xã hội học")
        verbose_name_plural = _("điều tra xã hội học")

    def __str__(self) -> str:
        return self.name


class Questionnaire(TimeStampedModel):
    code = models.SlugField(_("mã phiếu"), max_length=64, unique=True)
    name = models.CharField(_("tên phiếu"), max_length=300)
    description = models.TextField(_("lời dẫn"), blank=True)
    owner = models.ForeignKey("orgs.OrgUnit", verbose_name=_("cơ quan"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["code"]
        verbose_name = _("phiếu khảo sát")
        verbose_name_plural = _("phiếu khảo sát")

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="questions")
    code = models.CharField(_("mã câu hỏi"), max_length=32)
    text = models.TextField(_("câu hỏi"))
    order = models.PositiveIntegerField(_("thứ tự"), default=0)
    # The framework criteria this question feeds (codes of survey-method nodes), with weights.
    criteria = models.JSONField(_("tiêu chí được tính"), default=list, blank=True)  # [{"node": "8.1", "weight": 1}]
    is_sipas = models.BooleanField(_("câu hỏi SIPAS"), default=False)

    class Meta:
        ordering = ["questionnaire", "order", "id"]
        verbose_name = _("câu hỏi")
        verbose_name_plural = _("câu hỏi")
        constraints = [models.UniqueConstraint(fields=["questionnaire", "code"], name="question_code_unique")]

    def __str__(self) -> str:
        return f"{self.code}. {self.text[:60]}"


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    code = models.CharField(_("mã phương án"), max_length=8)  # A, B, C, D, X
    text = models.CharField(_("phương án"), max_length=500)
    weight = models.PositiveSmallIntegerField(_("trọng số (%)"), default=0)  # 100, 60, 20, 0
    excluded = models.BooleanField(_("không tính (không biết / không trả lời)"), default=False)
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    class Meta:
        ordering = ["question", "order", "id"]
        verbose_name = _("phương án trả lời")
        verbose_name_plural = _("phương án trả lời")
        constraints = [
            models.UniqueConstraint(fields=["question", "code"], name="option_code_unique"),
            models.CheckConstraint(condition=Q(weight__lte=100), name="option_weight_at_most_100"),
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.text}"


class Rates(models.TextChoices):
    OWN_UNIT = "own_unit", _("Đơn vị nơi người trả lời công tác")
    PROVINCE = "province", _("Tỉnh, thành phố")
    MINISTRY = "ministry", _("Bộ, ngành")
    SERVED_UNIT = "served_unit", _("Nơi người dân được phục vụ")


class RespondentGroup(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="groups")
    code = models.SlugField(_("mã nhóm"), max_length=64)
    name = models.CharField(_("tên nhóm"), max_length=300)
    # Lower first: a person in several groups is kept in the group with the lowest number (delegates = 1).
    priority = models.PositiveSmallIntegerField(_("thứ tự ưu tiên"), default=10)
    is_citizen = models.BooleanField(_("người dân, tổ chức"), default=False)
    rates = models.CharField(_("đánh giá đơn vị"), max_length=16, choices=Rates.choices, default=Rates.PROVINCE)
    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("phiếu"), on_delete=models.PROTECT, related_name="groups"
    )
    weight = models.DecimalField(_("trọng số nhóm"), max_digits=5, decimal_places=2, default=Decimal(1))
    counts = models.BooleanField(_("được tính điểm"), default=True)
    max_organisations = models.PositiveSmallIntegerField(_("số tổ chức tối đa"), null=True, blank=True)

    class Meta:
        ordering = ["survey", "priority", "code"]
        verbose_name = _("nhóm người trả lời")
        verbose_name_plural = _("nhóm người trả lời")
        constraints = [models.UniqueConstraint(fields=["survey", "code"], name="respondent_group_code_unique")]

    def __str__(self) -> str:
        return self.name


class ListStatus(models.TextChoices):
    DRAFT = "draft", _("Đang lập")
    SENT = "sent", _("Đã gửi")


class RespondentList(TimeStampedModel):
    """The list a unit (or the coordinator) submits for one survey; frozen once sent."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="lists")
    unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("đơn vị lập danh sách"),
        on_delete=models.PROTECT,
        related_name="respondent_lists",
    )
    status = models.CharField(_("trạng thái"), max_length=8, choices=ListStatus.choices, default=ListStatus.DRAFT)
    version = models.PositiveIntegerField(_("phiên bản"), default=1)
    sent_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sample_seed = models.BigIntegerField(_("hạt giống chọn mẫu"), null=True, blank=True)
    population = models.PositiveIntegerField(_("tổng thể N"), null=True, blank=True)
    sample_size = models.PositiveIntegerField(_("cỡ mẫu n"), null=True, blank=True)
    sampled_at = models.DateTimeField(_("chọn mẫu lúc"), null=True, blank=True)
    send_note = models.TextField(_("ghi chú khi gửi"), blank=True)
    source_name = models.CharField(_("tệp đã nhập"), max_length=255, blank=True)
    source_sha256 = models.CharField(_("SHA-256 của tệp"), max_length=64, blank=True)

    class Meta:
        ordering = ["survey", "unit__name"]
        verbose_name = _("danh sách người trả lời")
        verbose_name_plural = _("danh sách người trả lời")
        constraints = [models.UniqueConstraint(fields=["survey", "unit"], name="respondent_list_unit_unique")]

    def __str__(self) -> str:
        return f"{self.unit} — {self.survey}"


class RespondentStatus(models.TextChoices):
    INCLUDED = "included", _("Được khảo sát")
    EXCLUDED = "excluded", _("Loại khỏi danh sách")
    MERGED = "merged", _("Trùng, đã gộp")
    NOT_SAMPLED = "not_sampled", _("Không được chọn mẫu")


class Respondent(models.Model):
    respondent_list = models.ForeignKey(RespondentList, on_delete=models.CASCADE, related_name="respondents")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="respondents")
    group = models.ForeignKey(RespondentGroup, on_delete=models.PROTECT, related_name="respondents")
    row = models.PositiveIntegerField(_("dòng trong tệp"), null=True, blank=True)
    full_name = models.CharField(_("họ và tên"), max_length=200)
    name_key = models.CharField(max_length=200, db_index=True)
    email = models.EmailField(_("thư điện tử"), blank=True)
    phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    id_number_hash = models.CharField(_("số định danh (băm)"), max_length=64, blank=True)
    position = models.CharField(_("chức vụ"), max_length=300, blank=True)
    unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("đơn vị công tác"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rated_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("đơn vị được đánh giá"), on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.CharField(_("tổ chức"), max_length=300, blank=True)
    # Citizens (seed 001)
    procedure = models.CharField(_("thủ tục hành chính"), max_length=500, blank=True)
    procedure_field = models.CharField(_("lĩnh vực thủ tục"), max_length=200, blank=True)
    served_on = models.DateField(_("ngày được phục vụ"), null=True, blank=True)
    result_received_on = models.DateField(_("ngày nhận kết quả"), null=True, blank=True)
    address = models.CharField(_("địa chỉ"), max_length=500, blank=True)
    status = models.CharField(
        _("trạng thái"),
        max_length=16,
        choices=RespondentStatus.choices,
        default=RespondentStatus.INCLUDED,
        db_index=True,
    )
    reason = models.CharField(_("lý do"), max_length=500, blank=True)
    # The list rule that decided the status ("" when included by the rules or decided by a person): duplicate,
    # not_received, not_local, served_window, max_organisations, sampling.
    rule = models.CharField(_("quy tắc"), max_length=32, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # None: decided by the rules
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged")

    class Meta:
        ordering = ["respondent_list", "row", "id"]
        verbose_name = _("người trả lời")
        verbose_name_plural = _("người trả lời")
        indexes = [
            models.Index(fields=["survey", "email"]),
            models.Index(fields=["survey", "phone"]),
            models.Index(fields=["respondent_list", "status"]),
        ]

    def __str__(self) -> str:
        return self.full_name


class Invitation(models.Model):
    respondent = models.OneToOneField(Respondent, on_delete=models.PROTECT, related_name="invitation")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("hết hạn lúc"))
    sent_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)
    send_error = models.CharField(_("lỗi gửi"), max_length=500, blank=True)
    bounced_at = models.DateTimeField(_("thư bị trả lại lúc"), null=True, blank=True)
    opened_at = models.DateTimeField(_("mở lúc"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("số lần nhắc"), default=0)
    last_reminder_at = models.DateTimeField(_("nhắc lần cuối lúc"), null=True, blank=True)
    used_at = models.DateTimeField(_("đã dùng lúc"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("thư mời")
        verbose_name_plural = _("thư mời")

    def __str__(self) -> str:
        return f"{self.respondent_id}"


class ResponseStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("Đang trả lời")
    SUBMITTED = "submitted", _("Đã nộp")
    VOID = "void", _("Bị hủy")


class Response(models.Model):
    invitation = models.OneToOneField(Invitation, on_delete=models.PROTECT, related_name="response")
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    group = models.ForeignKey(RespondentGroup, on_delete=models.PROTECT, related_name="responses")
    rated_unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=16, choices=ResponseStatus.choices, default=ResponseStatus.IN_PROGRESS, db_index=True
    )
    draft = models.JSONField(_("câu trả lời đang lưu"), default=dict, blank=True)
    started_at = models.DateTimeField(_("bắt đầu lúc"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("nộp lúc"), null=True, blank=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    device = models.CharField(_("thiết bị (băm)"), max_length=64, blank=True)
    void_reason = models.TextField(_("lý do hủy"), blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    # The last restoration of a voided response (the void's reason, author and moment stay in the audit trail).
    restore_reason = models.TextField(_("lý do khôi phục"), blank=True)
    restored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    restored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("phiếu trả lời")
        verbose_name_plural = _("phiếu trả lời")
        indexes = [models.Index(fields=["survey", "rated_unit", "status"])]

    def __str__(self) -> str:
        return f"{self.pk}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    option = models.ForeignKey(Option, on_delete=models.PROTECT, related_name="answers")
    # Copied from the option so that points are aggregated in SQL over integers.
    weight = models.PositiveSmallIntegerField()
    excluded = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("câu trả lời")
        verbose_name_plural = _("câu trả lời")
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="answer_response_question_unique")]

    def __str__(self) -> str:
        return f"{self.response_id}/{self.question_id}={self.option_id}"


class FlagKind(models.TextChoices):
    TOO_FAST = "too_fast", _("Trả lời nhanh bất thường")
    IDENTICAL = "identical", _("Nhiều phiếu giống hệt nhau")
    BURST = "burst", _("Nhiều phiếu từ một địa chỉ mạng hoặc thiết bị")
    STRAIGHT_LINING = "straight_lining", _("Mọi câu cùng một phương án")
    LATE = "late", _("Nộp sau thời hạn")
    ONE_PERSON_MANY = "one_person_many", _("Một người trả lời nhiều phiếu")


class FlagStatus(models.TextChoices):
    OPEN = "open", _("Chờ xem xét")
    DISMISSED = "dismissed", _("Không vi phạm")
    CONFIRMED = "confirmed", _("Xác nhận vi phạm")


class Flag(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(max_length=32, choices=FlagKind.choices)
    unit = models.ForeignKey("orgs.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    responses = models.ManyToManyField(Response, related_name="flags", blank=True)
    key = models.CharField(max_length=200)  # what makes the flag unique (e.g. the IP and the hour)
    evidence = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("dấu hiệu bất thường")
        verbose_name_plural = _("dấu hiệu bất thường")
        constraints = [models.UniqueConstraint(fields=["survey", "kind", "key"], name="flag_survey_kind_key_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.key})"


class Cancellation(models.Model):
    """An index manager cancels a unit's whole survey result (seed 003): its survey points become zero."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="cancellations")
    unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("lý do"))
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    cancelled_at = models.DateTimeField(auto_now_add=True)
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
        verbose_name = _("hủy kết quả khảo sát")
        verbose_name_plural = _("hủy kết quả khảo sát")

    def __str__(self) -> str:
        return f"{self.unit} — {self.survey}"


class SurveyScore(models.Model):
    """Survey points of one unit for one survey-fed criterion, computed by ``surveys.points`` and read by the score
    engine. Recomputed as a whole per survey."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="scores")
    unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    node = models.ForeignKey("frameworks.Node", on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    answers = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=500, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("điểm điều tra xã hội học")
        verbose_name_plural = _("điểm điều tra xã hội học")
        constraints = [models.UniqueConstraint(fields=["survey", "unit", "node"], name="survey_score_unique")]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.node_id}: {self.points}"
