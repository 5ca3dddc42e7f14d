"""Forms of the self-assessment pages, and how a declared value travels between the grid's inputs and the entry.

Field checks only: whether a value scores, and how, is the rule's business (``scoring``/``services``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from parindex.frameworks import rules

INPUT = "form-control form-control-sm"
SELECT = "form-select form-select-sm"
NUMERIC_INPUTS = {"percent", "number", "integer", "points"}


# --- declared values ----------------------------------------------------------------------------------------------


def _number_or_text(text: str):
    """97,5 → 97.5 (a JSON number); text that is not a number is passed on for the rule to refuse by name."""
    try:
        value = rules.to_decimal(text)
    except rules.RuleError:
        return text
    return int(value) if value == value.to_integral_value() else float(value)


def declared_from_text(spec: dict | None, text) -> object:
    """The value to store for what was typed or chosen in the grid ("" clears the criterion)."""
    if text is None:
        return ""
    text = str(text).strip()
    if not text:
        return ""
    kind = (spec or {}).get("type", "")
    if kind == "yes_no":
        return {"yes": True, "no": False}.get(text, text)
    if kind == "percent" and "/" in text:
        numerator, _sep, denominator = text.partition("/")
        return {"numerator": _number_or_text(numerator.strip()), "denominator": _number_or_text(denominator.strip())}
    if kind in NUMERIC_INPUTS:
        return _number_or_text(text)
    return text


def _shown_number(value) -> str:
    try:
        return rules.format_number(rules.to_decimal(value))
    except (rules.RuleError, ArithmeticError):
        return str(value)


def declared_to_text(spec: dict | None, value) -> str:
    """What the grid's input shows for a stored value (the inverse of :func:`declared_from_text`)."""
    if value is None or value == "":
        return ""
    kind = (spec or {}).get("type", "")
    if kind == "yes_no" or isinstance(value, bool):
        try:
            return "yes" if rules.coerce_yes_no(value) else "no"
        except rules.InputError:
            return str(value)
    if isinstance(value, dict):
        return f"{_shown_number(value.get('numerator'))}/{_shown_number(value.get('denominator'))}"
    if isinstance(value, list | tuple) and len(value) == 2:
        return f"{_shown_number(value[0])}/{_shown_number(value[1])}"
    if kind in NUMERIC_INPUTS or isinstance(value, int | float | Decimal):
        return _shown_number(value)
    return str(value)


def declared_display(spec: dict | None, value) -> str:
    """A stored value as people read it (Có/Không, 97,5%, the level's name, dd/mm/yyyy)."""
    if value is None or value == "":
        return ""
    kind = (spec or {}).get("type", "")
    text = declared_to_text(spec, value)
    if kind == "yes_no":
        return {"yes": "Có", "no": "Không"}.get(text, text)
    if kind == "choice":
        return dict((spec or {}).get("choices") or []).get(str(value), str(value))
    if kind == "percent":
        if "/" in text:
            try:
                number, _shown = rules.coerce_number(value, "percent")
                return f"{text} ({rules.format_number(number, places=2)}%)"
            except rules.InputError:
                return text
        return f"{text}%"
    if kind == "date":
        try:
            return rules.coerce_date(value).strftime("%d/%m/%Y")
        except rules.InputError:
            return text
    unit = (spec or {}).get("unit") or ""
    return f"{text} {unit}".rstrip()


# --- forms ------------------------------------------------------------------------------------------------------


class RowForm(forms.Form):
    """One row of the grid as posted by htmx: the declared value (as text), the explanation and the version read."""

    declared = forms.CharField(required=False, max_length=500, strip=True)
    explanation = forms.CharField(required=False, max_length=10000, strip=True)
    version = forms.IntegerField(min_value=1)

    def has_declared(self) -> bool:
        return "declared" in self.data

    def has_explanation(self) -> bool:
        return "explanation" in self.data


class EvidenceUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp"),
        widget=forms.ClearableFileInput(
            attrs={"class": INPUT, "accept": ".pdf,.doc,.docx,.xls,.xlsx,.odt,.jpg,.jpeg,.png"}
        ),
    )
    title = forms.CharField(label=_("Trích yếu"), max_length=500, widget=forms.TextInput(attrs={"class": INPUT}))
    number = forms.CharField(
        label=_("Số, ký hiệu"), max_length=100, required=False, widget=forms.TextInput(attrs={"class": INPUT})
    )
    issued_on = forms.DateField(
        label=_("Ngày ban hành"),
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"class": INPUT, "type": "date"}, format="%Y-%m-%d"),
    )


class EvidenceLinkForm(forms.Form):
    url = forms.CharField(
        label=_("Đường dẫn (http/https)"), max_length=1000, widget=forms.URLInput(attrs={"class": INPUT})
    )
    title = forms.CharField(label=_("Trích yếu"), max_length=500, widget=forms.TextInput(attrs={"class": INPUT}))
    number = forms.CharField(
        label=_("Số, ký hiệu"), max_length=100, required=False, widget=forms.TextInput(attrs={"class": INPUT})
    )
    issued_on = forms.DateField(
        label=_("Ngày ban hành"),
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"class": INPUT, "type": "date"}, format="%Y-%m-%d"),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do"),
        max_length=5000,
        widget=forms.Textarea(attrs={"class": INPUT, "rows": 2}),
        error_messages={"required": _("Hãy ghi lý do.")},
    )


class NarrativeForm(forms.Form):
    difficulties = forms.CharField(
        label=_("Khó khăn, vướng mắc"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"class": INPUT, "rows": 3}),
    )
    proposals = forms.CharField(
        label=_("Đề xuất, kiến nghị"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"class": INPUT, "rows": 3}),
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


def parse_day(value) -> dt.date | None:
    """A date from the API or a form (YYYY-MM-DD or dd/mm/yyyy); None when empty."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return rules.coerce_date(value)
    except rules.InputError as exc:
        raise ValidationError({"issued_on": str(exc)}) from None
