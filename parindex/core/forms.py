from django import forms
from django.utils.translation import gettext_lazy as _

DATE_INPUTS = ["%Y-%m-%d", "%d/%m/%Y"]


class AuditFilterForm(forms.Form):
    unit = forms.CharField(label=_("Đơn vị (mã hoặc tên)"), required=False, max_length=255)
    include_subunits = forms.BooleanField(label=_("Cả đơn vị trực thuộc"), required=False)
    user = forms.CharField(label=_("Người thực hiện"), required=False, max_length=200)
    action = forms.ChoiceField(label=_("Hành động"), required=False)
    date_from = forms.DateField(
        label=_("Từ ngày"), required=False, input_formats=DATE_INPUTS, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Đến ngày"), required=False, input_formats=DATE_INPUTS, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, action_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Tất cả"))] + list(action_choices)
        for name, field in self.fields.items():
            css = "form-check-input" if name == "include_subunits" else "form-control form-control-sm"
            if name == "action":
                css = "form-select form-select-sm"
            field.widget.attrs.setdefault("class", css)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("“Đến ngày” phải sau hoặc bằng “Từ ngày”."))
        return data

    def filters(self) -> dict:
        """The filters to apply: the valid ones (an invalid field filters nothing)."""
        data = getattr(self, "cleaned_data", {}) or {}
        return {
            "unit": data.get("unit", ""),
            "include_subunits": bool(data.get("include_subunits")),
            "user": data.get("user", ""),
            "action": data.get("action", ""),
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }
