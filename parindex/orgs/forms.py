import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import OrgUnit, UnitKind
from .selectors import valid_on_q

IMPORT_MAX_BYTES = 10 * 1024 * 1024


class UnitSearchForm(forms.Form):
    q = forms.CharField(label=_("Tìm theo tên hoặc mã"), required=False, max_length=200)
    kind = forms.ChoiceField(label=_("Loại đơn vị"), required=False, choices=[("", _("Mọi loại"))] + UnitKind.choices)
    on = forms.DateField(
        label=_("Có hiệu lực ngày"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    all_periods = forms.BooleanField(label=_("Mọi thời kỳ"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        classes = {"kind": "form-select", "all_periods": "form-check-input"}
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("class", classes.get(name, "form-control"))


class UnitImportForm(forms.Form):
    file = forms.FileField(label=_("Tệp Excel (.xlsx)"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))

    def clean_file(self):
        file = self.cleaned_data["file"]
        if not file.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Hãy chọn tệp Excel có đuôi .xlsx (tải tệp mẫu nếu cần)."))
        if file.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(_("Tệp lớn hơn 10 MB; hãy chia thành nhiều tệp."))
        return file


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Tên nhóm"), max_length=255)
    description = forms.CharField(label=_("Mô tả"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    unit_codes = forms.CharField(
        label=_("Mã các đơn vị thành viên"),
        required=False,
        help_text=_(
            "Mỗi dòng một mã (hoặc cách nhau bằng dấu phẩy). Mã dùng lại qua các thời kỳ: lấy đơn vị đang có hiệu lực."
        ),
        widget=forms.Textarea(attrs={"rows": 10}),
    )

    def __init__(self, *args, group, **kwargs):
        self.group = group
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")

    def clean_unit_codes(self):
        codes = [c for c in re.split(r"[\s,;]+", self.cleaned_data["unit_codes"] or "") if c]
        owner = self.group.owner
        units, unknown, ambiguous, outside = [], [], [], []
        today = timezone.localdate()
        for code in dict.fromkeys(codes):
            found = list(OrgUnit.objects.filter(code=code)[:5])
            if len(found) > 1:
                found = list(OrgUnit.objects.filter(valid_on_q(today), code=code)[:2])
            if not found:
                unknown.append(code)
            elif len(found) > 1:
                ambiguous.append(code)
            elif owner is not None and owner.kind != UnitKind.MOHA and not found[0].path.startswith(owner.path):
                outside.append(code)
            else:
                units.append(found[0])
        errors = []
        if unknown:
            errors.append(_("Không có đơn vị mang mã: %(codes)s.") % {"codes": ", ".join(unknown)})
        if ambiguous:
            errors.append(_("Mã ứng với nhiều đơn vị đang có hiệu lực: %(codes)s.") % {"codes": ", ".join(ambiguous)})
        if outside:
            errors.append(
                _("Các đơn vị sau không thuộc “%(owner)s”: %(codes)s.") % {"owner": owner, "codes": ", ".join(outside)}
            )
        if errors:
            raise forms.ValidationError(errors)
        return units
