"""Forms of the survey's settings, respondent groups and lists. Field checks only; the rules live in ``services`` and
``lists``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import lists
from .models import Questionnaire, Rates, RespondentStatus

INPUT = "form-control form-control-sm"
SELECT = "form-select form-select-sm"
CHECK = "form-check-input"
DATE = forms.DateInput(attrs={"class": INPUT, "type": "date"}, format="%Y-%m-%d")


class SurveyForm(forms.Form):
    name = forms.CharField(label=_("Tên cuộc điều tra"), max_length=300, widget=forms.TextInput(attrs={"class": INPUT}))
    served_from = forms.DateField(
        label=_("Người dân được phục vụ từ ngày"),
        required=False,
        widget=DATE,
        help_text=_("Để trống: từ đầu năm đánh giá."),
    )
    served_to = forms.DateField(
        label=_("đến ngày"), required=False, widget=DATE, help_text=_("Để trống: đến hết năm đánh giá.")
    )
    margin_of_error = forms.DecimalField(
        label=_("Sai số e khi chọn mẫu"),
        min_value=0.001,
        max_value=0.5,
        decimal_places=3,
        localize=True,
        widget=forms.TextInput(attrs={"class": INPUT, "inputmode": "decimal"}),
    )
    commune_quota = forms.IntegerField(
        label=_("Số người dân tối thiểu mỗi danh sách"),
        min_value=1,
        max_value=100000,
        widget=forms.NumberInput(attrs={"class": INPUT}),
    )
    required_fields = forms.CharField(
        label=_("Lĩnh vực thủ tục bắt buộc"),
        required=False,
        widget=forms.Textarea(attrs={"class": INPUT, "rows": 3}),
        help_text=_("Mỗi dòng một lĩnh vực. Danh sách người dân phải có người được phục vụ ở từng lĩnh vực này."),
    )

    def clean_required_fields(self):
        return [line.strip() for line in self.cleaned_data["required_fields"].splitlines() if line.strip()]


class SurveyCreateForm(SurveyForm):
    cycle = forms.ModelChoiceField(label=_("Đợt đánh giá"), queryset=None, widget=forms.Select(attrs={"class": SELECT}))
    framework = forms.ModelChoiceField(
        label=_("Bộ chỉ số"), queryset=None, widget=forms.Select(attrs={"class": SELECT})
    )
    field_order = ["cycle", "framework", "name"]

    def __init__(self, *args, cycles, frameworks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = cycles
        self.fields["framework"].queryset = frameworks


class GroupForm(forms.Form):
    code = forms.SlugField(label=_("Mã nhóm"), max_length=64, widget=forms.TextInput(attrs={"class": INPUT}))
    name = forms.CharField(label=_("Tên nhóm"), max_length=300, widget=forms.TextInput(attrs={"class": INPUT}))
    priority = forms.IntegerField(
        label=_("Thứ tự ưu tiên"),
        min_value=0,
        max_value=1000,
        help_text=_("Một người có mặt ở nhiều nhóm được giữ ở nhóm có số nhỏ nhất."),
        widget=forms.NumberInput(attrs={"class": INPUT}),
    )
    is_citizen = forms.BooleanField(
        label=_("Người dân, tổ chức (có thủ tục, lĩnh vực, ngày phục vụ, địa chỉ)"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": CHECK}),
    )
    rates = forms.ChoiceField(
        label=_("Đánh giá đơn vị"), choices=Rates.choices, widget=forms.Select(attrs={"class": SELECT})
    )
    questionnaire = forms.ModelChoiceField(
        label=_("Phiếu khảo sát"),
        queryset=Questionnaire.objects.none(),
        required=False,
        empty_label=_("(tạo phiếu trống theo tên nhóm)"),
        widget=forms.Select(attrs={"class": SELECT}),
    )
    max_organisations = forms.IntegerField(
        label=_("Số tổ chức tối đa"),
        min_value=0,
        max_value=1000,
        required=False,
        help_text=_("Ví dụ 5 hội/hiệp hội; các tổ chức sau đó trong danh sách bị loại (có thể đảo ngược)."),
        widget=forms.NumberInput(attrs={"class": INPUT}),
    )

    def __init__(self, *args, questionnaires, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["questionnaire"].queryset = questionnaires


class PresetForm(forms.Form):
    preset = forms.ChoiceField(
        label=_("Mẫu nhóm"),
        choices=[(k, v[0]) for k, v in lists.GROUP_PRESETS.items()],
        widget=forms.Select(attrs={"class": SELECT}),
    )


class ListImportForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=_("Đơn vị lập danh sách"), queryset=None, widget=forms.Select(attrs={"class": SELECT})
    )
    file = forms.FileField(
        label=_("Tệp danh sách (.xlsx theo mẫu)"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control form-control-sm", "accept": ".xlsx"}),
    )
    dry_run = forms.BooleanField(
        label=_("Chỉ kiểm tra, chưa ghi"), required=False, widget=forms.CheckboxInput(attrs={"class": CHECK})
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > lists.MAX_BYTES:
            raise forms.ValidationError(_("Tệp quá lớn; giới hạn %(n)s MB.") % {"n": lists.MAX_BYTES // 1024 // 1024})
        return upload


class RespondentForm(forms.Form):
    """One row typed in the browser; the values are checked by the same function as a file's rows."""

    full_name = forms.CharField(label=_("Họ và tên"), max_length=200, widget=forms.TextInput(attrs={"class": INPUT}))
    group = forms.ChoiceField(label=_("Nhóm đối tượng"), widget=forms.Select(attrs={"class": SELECT}))
    email = forms.CharField(
        label=_("Thư điện tử"), max_length=254, required=False, widget=forms.TextInput(attrs={"class": INPUT})
    )
    phone = forms.CharField(
        label=_("Điện thoại"), max_length=30, required=False, widget=forms.TextInput(attrs={"class": INPUT})
    )
    id_number = forms.CharField(
        label=_("Số định danh cá nhân"),
        max_length=20,
        required=False,
        help_text=_("Không bắt buộc; chỉ dùng để phát hiện trùng, không được lưu."),
        widget=forms.TextInput(attrs={"class": INPUT, "autocomplete": "off"}),
    )
    position = forms.CharField(
        label=_("Chức vụ"), max_length=300, required=False, widget=forms.TextInput(attrs={"class": INPUT})
    )
    unit = forms.CharField(
        label=_("Đơn vị công tác"),
        max_length=255,
        required=False,
        help_text=_("Tên hoặc mã đơn vị."),
        widget=forms.TextInput(attrs={"class": INPUT}),
    )
    organisation = forms.CharField(
        label=_("Tổ chức"), max_length=300, required=False, widget=forms.TextInput(attrs={"class": INPUT})
    )
    procedure = forms.CharField(
        label=_("Thủ tục hành chính"), max_length=500, required=False, widget=forms.TextInput(attrs={"class": INPUT})
    )
    procedure_field = forms.CharField(
        label=_("Lĩnh vực"), max_length=200, required=False, widget=forms.TextInput(attrs={"class": INPUT})
    )
    served_on = forms.DateField(label=_("Ngày được phục vụ"), required=False, widget=DATE)
    result_received_on = forms.DateField(label=_("Ngày nhận kết quả"), required=False, widget=DATE)
    address = forms.CharField(
        label=_("Địa chỉ"), max_length=500, required=False, widget=forms.TextInput(attrs={"class": INPUT})
    )

    def __init__(self, *args, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [(g.code, f"{g.name} ({g.code})") for g in groups]


class DecisionForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Quyết định"),
        choices=[
            (RespondentStatus.INCLUDED, _("Giữ lại (khảo sát)")),
            (RespondentStatus.EXCLUDED, pgettext_lazy("respondent excluded", "Loại")),
        ],
        widget=forms.Select(attrs={"class": SELECT}),
    )
    reason = forms.CharField(label=_("Lý do"), max_length=500, widget=forms.TextInput(attrs={"class": INPUT}))


class SampleForm(forms.Form):
    seed = forms.IntegerField(
        label=_("Hạt giống"),
        min_value=0,
        max_value=2**62,
        required=False,
        help_text=_("Để trống: phần mềm chọn và ghi lại; nhập lại cùng số để chọn lại đúng mẫu đó."),
        widget=forms.NumberInput(attrs={"class": INPUT}),
    )


class SendForm(forms.Form):
    note = forms.CharField(
        label=_("Ghi chú"),
        max_length=2000,
        required=False,
        help_text=_("Bắt buộc khi danh sách chưa đủ số người hoặc còn thiếu lĩnh vực: ghi rõ lý do vẫn gửi."),
        widget=forms.Textarea(attrs={"class": INPUT, "rows": 2}),
    )
