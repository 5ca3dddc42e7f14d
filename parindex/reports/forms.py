"""Forms of the report pages: asking for a report, uploading a Word template."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from parindex.cycles.models import Cycle
from parindex.orgs.models import OrgUnit, UnitGroup

from . import access
from .models import ReportFormat
from .registry import SPECS

TEMPLATE_MAX_BYTES = 10 * 1024 * 1024
FORMAT_LABELS = dict(ReportFormat.choices)


def _select(**attrs) -> forms.Select:
    return forms.Select(attrs={"class": "form-select", **attrs})


class ReportRequestForm(forms.Form):
    """Cycle → kind → format (the kind's formats) → unit (when the kind is about one unit) → group (optional).

    Bound or not, the choices follow the cycle and kind currently chosen, so that re-rendering the form (htmx, on a
    change of cycle or kind) offers only what can be asked for."""

    cycle = forms.ModelChoiceField(
        label=_("Đợt đánh giá"), queryset=Cycle.objects.none(), empty_label=None, widget=_select()
    )
    kind = forms.ChoiceField(label=_("Loại báo cáo"), widget=_select())
    format = forms.ChoiceField(label=_("Định dạng"), widget=_select())
    unit = forms.ModelChoiceField(
        label=_("Đơn vị"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("— chọn đơn vị —"),
        widget=_select(),
    )
    group = forms.ModelChoiceField(
        label=_("Nhóm đơn vị"),
        queryset=UnitGroup.objects.none(),
        required=False,
        empty_label=_("Tất cả các nhóm"),
        widget=_select(),
        help_text=_("Để trống: mọi nhóm đơn vị của đợt."),
    )

    def __init__(self, user, cycles: list[Cycle], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.cycles = cycles
        self.fields["cycle"].queryset = Cycle.objects.filter(pk__in=[c.pk for c in cycles]).select_related("assessor")
        self.fields["cycle"].label_from_instance = lambda c: f"{c.name} — {c.assessor.name}"
        self.chosen_cycle = self._chosen_cycle()
        kinds = access.kinds_for(user, self.chosen_cycle) if self.chosen_cycle else []
        self.fields["kind"].choices = [(k, SPECS[k].label) for k in kinds]
        self.chosen_kind = self._raw("kind") if self._raw("kind") in kinds else (kinds[0] if kinds else None)
        spec = SPECS.get(self.chosen_kind) if self.chosen_kind else None
        self.spec = spec
        formats = spec.formats if spec else ()
        self.fields["format"].choices = [(f, FORMAT_LABELS[f]) for f in formats]
        if self.chosen_cycle is not None:
            self.fields["unit"].queryset = access.report_units(user, self.chosen_cycle)
            self.fields["group"].queryset = UnitGroup.objects.filter(
                pk__in=self.chosen_cycle.plans.values("group_id")
            ).order_by("name")
        if not self.is_bound:
            self.initial.setdefault("cycle", self.chosen_cycle.pk if self.chosen_cycle else None)
            self.initial["kind"] = self.chosen_kind
            if self._raw("format") not in formats:
                self.initial["format"] = formats[0] if formats else None
        if spec is not None and spec.needs_unit:
            self.fields["unit"].required = True
            self.fields["unit"].help_text = _("Báo cáo này là của một đơn vị.")
            del self.fields["group"]
        else:
            del self.fields["unit"]

    def _raw(self, name: str):
        source = self.data if self.is_bound else self.initial
        value = source.get(name)
        if isinstance(value, list | tuple):
            value = value[0] if value else None
        return value if value not in ("", None) else None

    def _chosen_cycle(self) -> Cycle | None:
        wanted = self._raw("cycle")
        for cycle in self.cycles:
            if str(cycle.pk) == str(wanted):
                return cycle
        return self.cycles[0] if self.cycles else None

    @property
    def kind_description(self) -> str:
        return str(self.spec.description) if self.spec else ""

    def clean(self):
        data = super().clean()
        cycle, kind = data.get("cycle"), data.get("kind")
        if cycle is None or kind is None or self.errors:
            return data
        try:
            access.require_report_request(
                self.user, cycle=cycle, kind=kind, unit=data.get("unit"), group=data.get("group")
            )
        except PermissionDenied as exc:
            raise forms.ValidationError(str(exc)) from None
        return data


class TemplateUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp mẫu Word (.docx)"),
        widget=forms.ClearableFileInput(
            attrs={
                "class": "form-control",
                "accept": ".docx,application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            }
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size and upload.size > TEMPLATE_MAX_BYTES:
            raise forms.ValidationError(_("Tệp quá lớn; mẫu văn bản tối đa 10 MB."))
        return upload
