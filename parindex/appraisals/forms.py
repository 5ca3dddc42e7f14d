"""Forms of the appraisal pages. They read and clean input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from parindex.frameworks.models import Node
from parindex.orgs.models import OrgUnit, User

from .models import MemberRole, VoteChoice


def _province_units(cycle):
    """Units of the assessing body's tree (its province or ministry): the organisations people come from."""
    top = (cycle.assessor.path or "").strip("/").split("/")[0]
    qs = OrgUnit.objects.all()
    if top:
        qs = qs.filter(path__startswith=f"/{top}/")
    return qs.order_by("path")


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.display_name} ({obj.username})"


class CouncilForm(forms.Form):
    name = forms.CharField(label=_("Tên hội đồng"), max_length=300)
    decision = forms.CharField(label=_("Quyết định thành lập"), max_length=300, required=False)


class MemberForm(forms.Form):
    user = PersonChoiceField(label=_("Người"), queryset=User.objects.none())
    role = forms.ChoiceField(label=_("Vai trò"), choices=MemberRole.choices, initial=MemberRole.MEMBER)
    organisation = forms.ModelChoiceField(label=_("Cơ quan công tác"), queryset=OrgUnit.objects.none(), required=False)
    position = forms.CharField(label=_("Chức vụ"), max_length=200, required=False)

    def __init__(self, *args, cycle, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(is_active=True).order_by("full_name", "username")
        self.fields["organisation"].queryset = _province_units(cycle)


class NodeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code}. {obj.name[:90]} — {obj.framework.code}"


class AssignmentForm(forms.Form):
    appraiser = PersonChoiceField(label=_("Người thẩm định"), queryset=User.objects.none())
    node = NodeChoiceField(
        label=_("Lĩnh vực, tiêu chí"),
        queryset=Node.objects.none(),
        required=False,
        help_text=_("Người thẩm định nhận tiêu chí này và mọi tiêu chí con. Bỏ trống: mọi tiêu chí của đơn vị."),
    )
    unit = forms.ModelChoiceField(
        label=_("Đơn vị được thẩm định"),
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text=_("Bỏ trống: lĩnh vực đã chọn ở mọi đơn vị của đợt đánh giá."),
    )
    agency = forms.ModelChoiceField(label=_("Cơ quan thẩm định"), queryset=OrgUnit.objects.none(), required=False)

    def __init__(self, *args, cycle, nodes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["appraiser"].queryset = User.objects.filter(is_active=True).order_by("full_name", "username")
        self.fields["node"].queryset = nodes
        self.fields["unit"].queryset = OrgUnit.objects.filter(
            participations__cycle=cycle, participations__withdrawn_at__isnull=True
        ).order_by("name")
        self.fields["agency"].queryset = _province_units(cycle)

    def clean(self):
        data = super().clean()
        if not data.get("node") and not data.get("unit"):
            raise forms.ValidationError(_("Hãy chọn lĩnh vực, tiêu chí hoặc đơn vị được thẩm định (ít nhất một)."))
        return data


class PointsForm(forms.Form):
    """One row of the grid (round 1 or 2). ``action``: confirm (round 1 = self-score), keep (round 2 = round 1) or
    save (the points typed)."""

    version = forms.IntegerField(min_value=1)
    points = forms.CharField(required=False, max_length=20)
    comment = forms.CharField(required=False, max_length=5000)
    action = forms.ChoiceField(choices=[("save", "save"), ("confirm", "confirm"), ("keep", "keep")], required=False)


class TextForm(forms.Form):
    """An explanation request or answer for one entry."""

    version = forms.IntegerField(min_value=1)
    text = forms.CharField(required=False, max_length=5000)


class VoteForm(forms.Form):
    member = forms.IntegerField(min_value=1)
    choice = forms.ChoiceField(label=_("Biểu quyết"), choices=VoteChoice.choices)
    comment = forms.CharField(label=_("Ý kiến"), required=False, max_length=5000)


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("Lý do mở lại"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)
