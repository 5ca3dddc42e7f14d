from django import forms
from django.utils.translation import gettext_lazy as _

from parindex.frameworks.models import Framework
from parindex.orgs.models import OrgUnit, UnitGroup, UnitKind

from .models import TargetKind


class TargetForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("Cơ quan đặt mục tiêu"), queryset=OrgUnit.objects.none())
    kind = forms.ChoiceField(label=_("Loại mục tiêu"), choices=TargetKind.choices)
    unit = forms.ModelChoiceField(
        label=_("Tỉnh được theo dõi"), queryset=OrgUnit.objects.filter(kind=UnitKind.PROVINCE), required=False
    )
    group = forms.ModelChoiceField(
        label=_("Nhóm đơn vị"), queryset=UnitGroup.objects.filter(is_active=True), required=False
    )
    top_n = forms.IntegerField(label=_("N (nhóm dẫn đầu)"), min_value=1, required=False)
    year_from = forms.IntegerField(label=_("Từ năm"), min_value=2000, max_value=2100)
    year_to = forms.IntegerField(label=_("Đến năm"), min_value=2000, max_value=2100)
    note = forms.CharField(label=_("Căn cứ"), max_length=500, required=False)

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        for field in self.fields.values():
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if isinstance(field, forms.ChoiceField) else "form-control form-control-sm"
            )
        if owners.count() == 1:
            self.fields["owner"].initial = owners.first()


class ClassSchemeForm(forms.Form):
    """A scheme's name, owner (when created) and attachment; its bands come from ``BandFormSet``."""

    name = forms.CharField(label=_("Tên thang xếp loại"), max_length=200)
    owner = forms.ModelChoiceField(label=_("Cơ quan quản lý"), queryset=OrgUnit.objects.none())
    framework = forms.ModelChoiceField(label=_("Gắn với bộ chỉ số"), queryset=Framework.objects.none(), required=False)
    group = forms.ModelChoiceField(
        label=_("hoặc gắn với nhóm đơn vị"), queryset=UnitGroup.objects.none(), required=False
    )
    updated_at = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, owners, frameworks, groups, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["framework"].queryset = frameworks
        self.fields["group"].queryset = groups
        if not creating:
            del self.fields["owner"]
        elif owners.count() == 1:
            self.fields["owner"].initial = owners.first()
        for field in self.fields.values():
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if isinstance(field, forms.ChoiceField) else "form-control form-control-sm"
            )

    def clean(self):
        data = super().clean()
        if data.get("framework") and data.get("group"):
            self.add_error("group", _("Gắn thang với một bộ chỉ số hoặc một nhóm đơn vị, không cả hai."))
        return data


class BandForm(forms.Form):
    """One band; the bound is read as text so that the service names the band in its messages ("89,5" or "89.5")."""

    order = forms.IntegerField(label=_("Thứ tự"), min_value=1, max_value=1000, required=False)
    code = forms.CharField(label=_("Mã"), max_length=32, required=False)
    name = forms.CharField(label=_("Tên mức"), max_length=100, required=False)
    min = forms.CharField(label=_("Ngưỡng dưới (%)"), max_length=20, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control form-control-sm"
        self.fields["order"].widget.attrs["style"] = "width: 6em"
        self.fields["min"].widget.attrs["inputmode"] = "decimal"

    def band(self) -> dict | None:
        """The band typed in this row, None when the row is left blank."""
        data = getattr(self, "cleaned_data", {}) or {}
        values = {k: data.get(k) for k in ("order", "code", "name", "min")}
        if all(v in (None, "") for v in values.values()):
            return None
        return values


BandFormSet = forms.formset_factory(BandForm, extra=2, max_num=20, absolute_max=40)
