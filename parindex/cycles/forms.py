"""Forms of the cycle pages. Field checks only; the rules live in services."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import UNIT_WINDOWS, CycleStatus, TaskStatus, WindowKind

INPUT = "form-control form-control-sm"
SELECT = "form-select form-select-sm"
DATE_INPUTS = ["%Y-%m-%d", "%d/%m/%Y"]
TIME_INPUTS = ["%H:%M", "%H:%M:%S"]
DEFAULT_OPEN = dt.time(8, 0)
DEFAULT_CLOSE = dt.time(17, 0)


def _date_field(label, required=True):
    return forms.DateField(
        label=label,
        required=required,
        input_formats=DATE_INPUTS,
        widget=forms.DateInput(attrs={"type": "date", "class": INPUT}, format="%Y-%m-%d"),
    )


def _time_field(label, help_text=""):
    return forms.TimeField(
        label=label,
        required=False,
        input_formats=TIME_INPUTS,
        help_text=help_text,
        widget=forms.TimeInput(attrs={"type": "time", "class": INPUT}, format="%H:%M"),
    )


def _reason_field(label=None, required=True):
    return forms.CharField(
        label=label or _("Lý do"),
        required=required,
        max_length=1000,
        widget=forms.Textarea(attrs={"class": INPUT, "rows": 2}),
    )


def vn_moment(day: dt.date, time: dt.time | None, default: dt.time) -> dt.datetime:
    """A date and a time typed in Vietnam's time, as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, time or default), timezone.get_default_timezone())


class CycleForm(forms.Form):
    year = forms.IntegerField(
        label=_("Năm đánh giá"), min_value=2000, max_value=2100, widget=forms.NumberInput(attrs={"class": INPUT})
    )
    name = forms.CharField(label=_("Tên đợt đánh giá"), max_length=300, widget=forms.TextInput(attrs={"class": INPUT}))
    assessor = forms.ModelChoiceField(
        label=_("Cơ quan đánh giá"), queryset=None, widget=forms.Select(attrs={"class": SELECT})
    )
    decision = forms.CharField(
        label=_("Văn bản triển khai"),
        required=False,
        max_length=300,
        help_text=_("Ví dụ: Kế hoạch số 123/KH-UBND ngày 15/01/2026."),
        widget=forms.TextInput(attrs={"class": INPUT}),
    )
    description = forms.CharField(
        label=_("Ghi chú"), required=False, widget=forms.Textarea(attrs={"class": INPUT, "rows": 2})
    )

    def __init__(self, *args, assessors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessor"].queryset = assessors


class CycleEditForm(forms.Form):
    name = forms.CharField(label=_("Tên đợt đánh giá"), max_length=300, widget=forms.TextInput(attrs={"class": INPUT}))
    decision = forms.CharField(
        label=_("Văn bản triển khai"), required=False, max_length=300, widget=forms.TextInput(attrs={"class": INPUT})
    )
    description = forms.CharField(
        label=_("Ghi chú"), required=False, widget=forms.Textarea(attrs={"class": INPUT, "rows": 2})
    )


class CycleStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Trạng thái"), choices=CycleStatus.choices, widget=forms.Select(attrs={"class": SELECT})
    )
    reason = _reason_field(_("Lý do (bắt buộc khi mở lại)"), required=False)


class FrameworkSetForm(forms.Form):
    group = forms.ModelChoiceField(label=_("Nhóm đơn vị"), queryset=None, widget=forms.Select(attrs={"class": SELECT}))
    framework = forms.ModelChoiceField(
        label=_("Bộ chỉ số"), queryset=None, widget=forms.Select(attrs={"class": SELECT})
    )

    def __init__(self, *args, groups, frameworks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups
        self.fields["framework"].queryset = frameworks


class ParticipantAddForm(forms.Form):
    unit = forms.CharField(
        label=_("Đơn vị (mã hoặc tên)"), max_length=255, widget=forms.TextInput(attrs={"class": INPUT})
    )
    group = forms.ModelChoiceField(
        label=_("Nhóm (bộ chỉ số)"),
        queryset=None,
        widget=forms.Select(attrs={"class": SELECT}),
        help_text=_("Chỉ các nhóm đã được chọn bộ chỉ số trong đợt này."),
    )

    def __init__(self, *args, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups


class ReasonForm(forms.Form):
    reason = _reason_field()


class WindowForm(forms.Form):
    opens_date = _date_field(_("Mở từ ngày"))
    opens_time = _time_field(_("Giờ mở"), help_text=_("Để trống: 08:00."))
    closes_date = _date_field(_("Đóng ngày"))
    closes_time = _time_field(_("Giờ đóng"), help_text=_("Để trống: 17:00."))
    reason = _reason_field(_("Lý do thay đổi"), required=False)

    def __init__(self, data=None, *, window=None, **kwargs):
        if window is not None and data is None:
            opens, closes = timezone.localtime(window.opens_at), timezone.localtime(window.closes_at)
            kwargs["initial"] = {
                "opens_date": opens.date(),
                "opens_time": opens.time(),
                "closes_date": closes.date(),
                "closes_time": closes.time(),
            }
        super().__init__(data, **kwargs)
        self.window = window
        if window is not None:
            self.fields["reason"].required = True
            self.fields["reason"].label = _("Lý do thay đổi (bắt buộc)")

    def clean(self):
        data = super().clean()
        if data.get("opens_date") and data.get("closes_date"):
            data["opens_at"] = vn_moment(data["opens_date"], data.get("opens_time"), DEFAULT_OPEN)
            data["closes_at"] = vn_moment(data["closes_date"], data.get("closes_time"), DEFAULT_CLOSE)
            if data["closes_at"] <= data["opens_at"]:
                self.add_error("closes_date", _("Thời điểm đóng phải sau thời điểm mở."))
        return data


class ExtensionForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Đơn vị"), queryset=None, widget=forms.Select(attrs={"class": SELECT}))
    kind = forms.ChoiceField(
        label=_("Giai đoạn"),
        choices=[(k, label) for k, label in WindowKind.choices if k in UNIT_WINDOWS],
        widget=forms.Select(attrs={"class": SELECT}),
    )
    until_date = _date_field(_("Gia hạn đến ngày"))
    until_time = _time_field(_("Giờ"), help_text=_("Để trống: 17:00."))
    reason = _reason_field(_("Lý do gia hạn"))

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units

    def clean(self):
        data = super().clean()
        if data.get("until_date"):
            data["until"] = vn_moment(data["until_date"], data.get("until_time"), DEFAULT_CLOSE)
        return data


class TaskForm(forms.Form):
    number = forms.CharField(
        label=_("STT"),
        required=False,
        max_length=16,
        help_text=_("Để trống: số tiếp theo."),
        widget=forms.TextInput(attrs={"class": INPUT}),
    )
    title = forms.CharField(label=_("Nhiệm vụ"), widget=forms.Textarea(attrs={"class": INPUT, "rows": 3}))
    lead_unit = forms.ModelChoiceField(
        label=_("Cơ quan chủ trì"),
        queryset=None,
        required=False,
        widget=forms.Select(attrs={"class": SELECT}),
    )
    lead_text = forms.CharField(
        label=_("hoặc ghi rõ cơ quan chủ trì"),
        required=False,
        max_length=300,
        help_text=_("Khi cơ quan chủ trì không phải một đơn vị trong danh mục (ví dụ: Thành viên Tổ thẩm định)."),
        widget=forms.TextInput(attrs={"class": INPUT}),
    )
    cooperating_units = forms.ModelMultipleChoiceField(
        label=_("Cơ quan phối hợp"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"class": SELECT, "size": 6}),
    )
    cooperating_text = forms.CharField(
        label=_("Cơ quan phối hợp khác (ghi rõ)"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"class": INPUT}),
    )
    product = forms.CharField(
        label=_("Sản phẩm"), required=False, max_length=500, widget=forms.TextInput(attrs={"class": INPUT})
    )
    deadline = _date_field(_("Thời hạn"), required=False)
    status = forms.ChoiceField(
        label=_("Tình trạng"), choices=TaskStatus.choices, widget=forms.Select(attrs={"class": SELECT})
    )
    note = forms.CharField(label=_("Ghi chú"), required=False, widget=forms.Textarea(attrs={"class": INPUT, "rows": 2}))
    updated_at = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_unit"].queryset = units
        self.fields["cooperating_units"].queryset = units

    def clean(self):
        data = super().clean()
        if not data.get("lead_unit") and not (data.get("lead_text") or "").strip():
            self.add_error("lead_unit", _("Cần cơ quan chủ trì (chọn đơn vị hoặc ghi rõ tên)."))
        if data.get("lead_unit") and (data.get("lead_text") or "").strip():
            self.add_error("lead_text", _("Chọn đơn vị hoặc ghi tên, không cả hai."))
        return data


class TaskStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Tình trạng"),
        choices=[(k, v) for k, v in TaskStatus.choices if k != TaskStatus.CANCELLED],
        widget=forms.Select(attrs={"class": SELECT}),
    )
    note = forms.CharField(label=_("Ghi chú"), required=False, widget=forms.Textarea(attrs={"class": INPUT, "rows": 2}))
    updated_at = forms.CharField(required=False, widget=forms.HiddenInput)


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp đính kèm"),
        help_text=_("pdf, doc, docx, xls, xlsx, odt, jpg, png; loại tệp được kiểm tra theo nội dung."),
        widget=forms.ClearableFileInput(attrs={"class": "form-control form-control-sm"}),
    )


class PlanImportForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp kế hoạch (.xlsx)"),
        help_text=_(
            "Các cột: STT, Nhiệm vụ, Cơ quan chủ trì, Cơ quan phối hợp, Sản phẩm, Thời hạn, Tình trạng, Ghi chú. "
            "Dòng có STT trùng với nhiệm vụ đã có sẽ cập nhật nhiệm vụ đó."
        ),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("Tệp quá lớn; giới hạn 5 MB."))
        return upload


class TaskFilterForm(forms.Form):
    q = forms.CharField(label=_("Tìm"), required=False, max_length=200, widget=forms.TextInput(attrs={"class": INPUT}))
    status = forms.ChoiceField(
        label=_("Tình trạng"),
        required=False,
        choices=[("", _("Tất cả"))] + list(TaskStatus.choices),
        widget=forms.Select(attrs={"class": SELECT}),
    )
    overdue = forms.BooleanField(
        label=_("Chỉ nhiệm vụ quá hạn"), required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )
