"""Forms of the progress, anomaly-flag and survey-points pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import FlagStatus


class FlagReviewForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Kết luận"),
        choices=[
            (FlagStatus.DISMISSED, FlagStatus.DISMISSED.label),
            (FlagStatus.CONFIRMED, FlagStatus.CONFIRMED.label),
        ],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    note = forms.CharField(
        label=_("Ghi chú"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control form-control-sm"}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm"}),
    )


class CancelUnitForm(forms.Form):
    unit = forms.TypedChoiceField(
        label=_("Đơn vị"), coerce=int, choices=(), widget=forms.Select(attrs={"class": "form-select form-select-sm"})
    )
    reason = forms.CharField(
        label=_("Lý do hủy"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm"}),
    )

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, f"{u.code} — {u.name}") for u in units]
