"""Forms of the questionnaire pages: a question with its answer options, the questionnaire's name, an import."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .questionnaires import DEFAULT_OPTIONS, MAX_OPTIONS, criteria_text

BLANK_OPTION_ROWS = 2


class QuestionnaireForm(forms.Form):
    name = forms.CharField(label=_("Tên phiếu"), max_length=300)
    description = forms.CharField(label=_("Lời dẫn"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Tệp YAML hoặc Excel (.xlsx)"))
    group = forms.ChoiceField(
        label=_("Dùng cho nhóm người trả lời"),
        required=False,
        help_text=_("Để trống: chỉ cập nhật phiếu cùng mã (nếu có) mà không đổi phiếu của nhóm nào."),
    )

    def __init__(self, *args, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", "—")] + [(str(g.pk), g.name) for g in groups]
        self.fields["file"].widget.attrs["class"] = "form-control"
        self.fields["file"].widget.attrs["accept"] = ".yaml,.yml,.xlsx"
        self.fields["group"].widget.attrs["class"] = "form-select"


class QuestionForm(forms.Form):
    """The question's own fields; its options are rows ``option-<n>-code/text/weight/excluded`` read by
    :func:`option_rows` (empty rows are ignored)."""

    code = forms.CharField(label=_("Mã câu hỏi"), max_length=32)
    text = forms.CharField(label=_("Câu hỏi"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    order = forms.IntegerField(label=_("Thứ tự"), min_value=0, max_value=100000, required=False)
    criteria = forms.CharField(
        label=_("Tiêu chí được tính"),
        required=False,
        max_length=500,
        help_text=_("Mã các tiêu chí chấm bằng điều tra XHH, kèm trọng số nếu khác 1, ví dụ: 3.1; 3.2: 0,5"),
    )
    is_sipas = forms.BooleanField(label=_("Câu hỏi SIPAS (mức độ hài lòng)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("class", "form-check-input" if name == "is_sipas" else "form-control")


def initial_for(question) -> tuple[dict, list[dict]]:
    """Initial values of the form and the option rows: a question's, or a new question's (the default scale)."""
    if question is None:
        return {}, [dict(o) for o in DEFAULT_OPTIONS]
    initial = {
        "code": question.code,
        "text": question.text,
        "order": question.order,
        "criteria": criteria_text(question.criteria),
        "is_sipas": question.is_sipas,
    }
    options = [
        {"code": o.code, "text": o.text, "weight": o.weight, "excluded": o.excluded}
        for o in question.options.order_by("order", "id")
    ]
    return initial, options


def option_rows(data) -> list[dict]:
    """The option rows posted by the question form, in order, without the empty ones."""
    rows = []
    for n in range(MAX_OPTIONS + BLANK_OPTION_ROWS):
        code = (data.get(f"option-{n}-code") or "").strip()
        text = (data.get(f"option-{n}-text") or "").strip()
        weight = (data.get(f"option-{n}-weight") or "").strip()
        excluded = bool(data.get(f"option-{n}-excluded"))
        if not (code or text or weight):
            continue
        rows.append({"code": code, "text": text, "weight": weight, "excluded": excluded})
    return rows


def padded(rows: list[dict]) -> list[dict]:
    """Rows to show: the options plus blank rows for new ones."""
    blank = {"code": "", "text": "", "weight": "", "excluded": False}
    return [*rows, *([blank] * max(0, min(BLANK_OPTION_ROWS, MAX_OPTIONS + BLANK_OPTION_ROWS - len(rows))))]
