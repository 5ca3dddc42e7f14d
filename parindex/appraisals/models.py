"""The appraisal council of a cycle, its members, who appraises what, and the council's votes per unit.

Points of round 1 and 2 live on ``assessments.Entry``; the services that write them are in ``appraisals.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from parindex.core.models import TimeStampedModel


class Council(TimeStampedModel):
    cycle = models.OneToOneField(
        "cycles.Cycle", verbose_name=_("đợt đánh giá"), on_delete=models.CASCADE, related_name="council"
    )
    name = models.CharField(_("tên hội đồng"), max_length=300, default="Hội đồng thẩm định Chỉ số CCHC")
    decision = models.CharField(_("quyết định thành lập"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("hội đồng thẩm định")
        verbose_name_plural = _("hội đồng thẩm định")

    def __str__(self) -> str:
        return self.name


class MemberRole(models.TextChoices):
    CHAIR = "chair", _("Chủ tịch")
    VICE_CHAIR = "vice_chair", _("Phó Chủ tịch")
    MEMBER = "member", _("Thành viên")
    SECRETARY = "secretary", _("Thư ký")
    WORKING_GROUP = "working_group", _("Tổ giúp việc")


# Roles that vote in the council's confirmation (the working group does not).
VOTING_ROLES = {MemberRole.CHAIR, MemberRole.VICE_CHAIR, MemberRole.MEMBER, MemberRole.SECRETARY}


class CouncilMember(TimeStampedModel):
    council = models.ForeignKey(Council, verbose_name=_("hội đồng"), on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người"), on_delete=models.PROTECT, related_name="council_seats"
    )
    role = models.CharField(_("vai trò"), max_length=16, choices=MemberRole.choices, default=MemberRole.MEMBER)
    organisation = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("cơ quan công tác"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    position = models.CharField(_("chức vụ"), max_length=200, blank=True)
    ended_at = models.DateTimeField(_("thôi tham gia lúc"), null=True, blank=True)

    class Meta:
        ordering = ["council", "role", "id"]
        verbose_name = _("thành viên hội đồng")
        verbose_name_plural = _("thành viên hội đồng")
        constraints = [
            models.UniqueConstraint(
                fields=["council", "user"], condition=Q(ended_at__isnull=True), name="council_member_active_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class Assignment(TimeStampedModel):
    """An appraiser is assigned a field (a node and its subtree) and/or a unit. Empty node: every criterion of the
    unit; empty unit: the field in every unit of the cycle. Ended, not deleted."""

    cycle = models.ForeignKey(
        "cycles.Cycle", verbose_name=_("đợt đánh giá"), on_delete=models.CASCADE, related_name="assignments"
    )
    appraiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thẩm định"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    node = models.ForeignKey(
        "frameworks.Node",
        verbose_name=_("lĩnh vực, tiêu chí"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("đơn vị được thẩm định"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    agency = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("cơ quan thẩm định"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ended_at = models.DateTimeField(_("kết thúc lúc"), null=True, blank=True)

    class Meta:
        ordering = ["cycle", "appraiser", "id"]
        verbose_name = _("phân công thẩm định")
        verbose_name_plural = _("phân công thẩm định")
        constraints = [
            models.CheckConstraint(
                condition=Q(node__isnull=False) | Q(unit__isnull=False), name="assignment_node_or_unit"
            )
        ]

    def __str__(self) -> str:
        return f"{self.appraiser} → {self.node or ''} {self.unit or ''}".strip()


class VoteChoice(models.TextChoices):
    AGREE = "agree", _("Đồng ý")
    DISAGREE = "disagree", _("Không đồng ý")
    ABSTAIN = "abstain", _("Không biểu quyết")


class Vote(models.Model):
    """A council member's vote on confirming one unit's appraised result. Superseded by a later vote (``round``)
    after a reopening."""

    assessment = models.ForeignKey(
        "assessments.Assessment", verbose_name=_("bản tự đánh giá"), on_delete=models.CASCADE, related_name="votes"
    )
    member = models.ForeignKey(
        CouncilMember, verbose_name=_("thành viên"), on_delete=models.PROTECT, related_name="votes"
    )
    round = models.PositiveSmallIntegerField(_("lần xác nhận"), default=1)
    choice = models.CharField(_("biểu quyết"), max_length=16, choices=VoteChoice.choices)
    comment = models.TextField(_("ý kiến"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người ghi"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("lúc"), auto_now_add=True)

    class Meta:
        ordering = ["assessment", "round", "member"]
        verbose_name = _("biểu quyết")
        verbose_name_plural = _("biểu quyết")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "member", "round"], name="vote_assessment_member_round_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} — {self.get_choice_display()}"
