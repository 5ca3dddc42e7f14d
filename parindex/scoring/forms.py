from django import forms
from django.utils.translation import gettext_lazy as _

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
