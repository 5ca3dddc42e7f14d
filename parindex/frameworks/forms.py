"""Forms of the framework pages. Field checks only; the rules of a framework live in services and ``spec.validate``."""

from __future__ import annotations

import yaml
from django import forms
from django.utils.translation import gettext_lazy as _

from . import formats, rules
from .models import Method, Provenance
from .spec import UNIT_KINDS

INPUT = "form-control form-control-sm"
SELECT = "form-select form-select-sm"


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp bộ chỉ số (.yaml hoặc .xlsx)"),
        help_text=_("Tối đa 5 MB. Tệp được kiểm tra toàn bộ trước; chỉ khi bạn xác nhận thì bộ chỉ số mới được tạo."),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".yaml,.yml,.xlsx"}),
    )
    owner = forms.ModelChoiceField(
        label=_("Cơ quan đánh giá"), queryset=None, widget=forms.Select(attrs={"class": "form-select"})
    )
    code = forms.SlugField(
        label=_("Mã bộ chỉ số"),
        required=False,
        max_length=64,
        help_text=_("Để trống: dùng mã ghi trong tệp."),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > formats.MAX_BYTES:
            raise forms.ValidationError(_("Tệp quá lớn; giới hạn %(n)s MB.") % {"n": formats.MAX_BYTES // 1024 // 1024})
        return upload


class CloneForm(forms.Form):
    code = forms.SlugField(label=_("Mã phiên bản mới"), max_length=64, widget=forms.TextInput(attrs={"class": INPUT}))
    name = forms.CharField(label=_("Tên"), max_length=300, widget=forms.TextInput(attrs={"class": INPUT}))
    year_from = forms.IntegerField(
        label=_("Áp dụng từ năm"),
        min_value=1990,
        max_value=2100,
        required=False,
        widget=forms.NumberInput(attrs={"class": INPUT}),
    )
    year_to = forms.IntegerField(
        label=_("Áp dụng đến năm"),
        min_value=1990,
        max_value=2100,
        required=False,
        widget=forms.NumberInput(attrs={"class": INPUT}),
    )


class FrameworkForm(forms.Form):
    name = forms.CharField(label=_("Tên"), max_length=300, widget=forms.TextInput(attrs={"class": INPUT}))
    description = forms.CharField(
        label=_("Mô tả"), required=False, widget=forms.Textarea(attrs={"class": INPUT, "rows": 2})
    )
    year_from = forms.IntegerField(
        label=_("Từ năm"),
        min_value=1990,
        max_value=2100,
        required=False,
        widget=forms.NumberInput(attrs={"class": INPUT}),
    )
    year_to = forms.IntegerField(
        label=_("Đến năm"),
        min_value=1990,
        max_value=2100,
        required=False,
        widget=forms.NumberInput(attrs={"class": INPUT}),
    )
    decision = forms.CharField(
        label=_("Văn bản ban hành"), max_length=300, required=False, widget=forms.TextInput(attrs={"class": INPUT})
    )
    declared_total = forms.DecimalField(
        label=_("Tổng điểm"),
        max_digits=7,
        decimal_places=2,
        min_value=0,
        localize=True,
        widget=forms.TextInput(attrs={"class": INPUT, "inputmode": "decimal"}),
    )
    unit_kinds = forms.MultipleChoiceField(
        label=_("Loại đơn vị được đánh giá"),
        required=False,
        choices=[(k, k) for k in UNIT_KINDS],
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from parindex.orgs.models import UnitKind

        self.fields["unit_kinds"].choices = [(k, label) for k, label in UnitKind.choices]


def rule_to_text(rule) -> str:
    if not rule:
        return ""
    return yaml.dump(
        rule, Dumper=formats._Dumper, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100
    ).strip()


def rule_from_text(text: str):
    """The rule dict written in the editor's text box (YAML), or None when empty. Raises ValidationError."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        data = formats.yaml_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = _(" ở dòng %(n)s") % {"n": mark.line + 1} if mark else ""
        raise forms.ValidationError(_("Quy tắc viết sai cú pháp%(where)s.") % {"where": where}) from None
    try:
        return rules.canonical(data)
    except (rules.RuleError, ArithmeticError) as exc:
        raise forms.ValidationError(str(exc)) from None


class NodeForm(forms.Form):
    code = forms.CharField(label=_("Mã"), max_length=32, widget=forms.TextInput(attrs={"class": INPUT}))
    name = forms.CharField(label=_("Tên"), max_length=500, widget=forms.Textarea(attrs={"class": INPUT, "rows": 2}))
    parent = forms.TypedChoiceField(
        label=_("Thuộc"), required=False, coerce=int, empty_value=None, widget=forms.Select(attrs={"class": SELECT})
    )
    max_points = forms.DecimalField(
        label=_("Điểm tối đa"),
        max_digits=7,
        decimal_places=2,
        min_value=0,
        localize=True,
        widget=forms.TextInput(attrs={"class": INPUT, "inputmode": "decimal"}),
    )
    min_points = forms.DecimalField(
        label=_("Điểm sàn (âm với điểm trừ)"),
        max_digits=7,
        decimal_places=2,
        max_value=0,
        localize=True,
        widget=forms.TextInput(attrs={"class": INPUT, "inputmode": "decimal"}),
    )
    method = forms.ChoiceField(
        label=_("Phương thức đánh giá"),
        required=False,
        choices=[("", "—"), *Method.choices],
        widget=forms.Select(attrs={"class": SELECT}),
    )
    rule = forms.CharField(
        label=_("Quy tắc chấm điểm (YAML)"),
        required=False,
        widget=forms.Textarea(attrs={"class": INPUT + " font-monospace", "rows": 8, "spellcheck": "false"}),
    )
    description = forms.CharField(
        label=_("Mô tả, hướng dẫn"), required=False, widget=forms.Textarea(attrs={"class": INPUT, "rows": 2})
    )
    evidence = forms.CharField(
        label=_("Tài liệu kiểm chứng"), required=False, widget=forms.Textarea(attrs={"class": INPUT, "rows": 2})
    )
    evidence_kinds = forms.CharField(
        label=_("Loại tài liệu (cách nhau bởi ;)"), required=False, widget=forms.TextInput(attrs={"class": INPUT})
    )
    appraising_agency = forms.CharField(
        label=_("Cơ quan thẩm định"), max_length=300, required=False, widget=forms.TextInput(attrs={"class": INPUT})
    )
    sum_note = forms.CharField(
        label=_("Giải thích khi tổng điểm nút con khác điểm tối đa"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"class": INPUT}),
    )
    provenance = forms.ChoiceField(
        label=_("Tính chính thức"),
        required=False,
        choices=Provenance.choices,
        widget=forms.Select(attrs={"class": SELECT}),
    )
    source = forms.CharField(
        label=_("Nguồn"), max_length=500, required=False, widget=forms.TextInput(attrs={"class": INPUT})
    )

    def __init__(self, *args, parent_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", _("(lĩnh vực — cấp cao nhất)")), *parent_choices]

    def clean_rule(self):
        return rule_from_text(self.cleaned_data.get("rule", ""))

    def clean_evidence_kinds(self):
        text = self.cleaned_data.get("evidence_kinds", "")
        return [part.strip() for part in text.split(";") if part.strip()]


class NewNodeForm(forms.Form):
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    code = forms.CharField(label=_("Mã"), max_length=32, widget=forms.TextInput(attrs={"class": INPUT}))
    name = forms.CharField(label=_("Tên"), max_length=500, widget=forms.TextInput(attrs={"class": INPUT}))


class PreviewForm(forms.Form):
    rule = forms.CharField(required=False, widget=forms.HiddenInput)
    max_points = forms.DecimalField(max_digits=7, decimal_places=2, localize=True)
    min_points = forms.DecimalField(max_digits=7, decimal_places=2, localize=True, required=False)
    sample = forms.CharField(label=_("Giá trị thử"), max_length=200, required=False)
    level = forms.CharField(label=_("Cấp đơn vị"), max_length=40, required=False)
    year = forms.IntegerField(label=_("Năm"), min_value=1990, max_value=2100, required=False)
