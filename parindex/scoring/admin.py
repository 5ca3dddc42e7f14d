from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin

from .models import ClassScheme, ResultSet, Target


class ClassSchemeForm(forms.ModelForm):
    class Meta:
        model = ClassScheme
        fields = ["code", "name", "bands", "framework", "group"]

    def clean_bands(self):
        bands = self.cleaned_data["bands"]
        if not isinstance(bands, list) or not bands:
            raise forms.ValidationError('Cần danh sách các mức, ví dụ [{"code": "A", "name": "A", "min": 90}, …].')
        seen = set()
        for i, band in enumerate(bands, start=1):
            if not isinstance(band, dict) or {"code", "name", "min"} - set(band):
                raise forms.ValidationError(f"Mức thứ {i}: cần code, name và min.")
            try:
                low = Decimal(str(band["min"]))
            except InvalidOperation:
                raise forms.ValidationError(f"Mức thứ {i}: min phải là số.") from None
            if not (0 <= low <= 100) or low in seen:
                raise forms.ValidationError(f"Mức thứ {i}: min phải trong 0–100 và không trùng.")
            seen.add(low)
        if Decimal(0) not in seen:
            raise forms.ValidationError("Cần một mức có min = 0 để mọi đơn vị đều được xếp loại.")
        return bands


@admin.register(ClassScheme)
class ClassSchemeAdmin(admin.ModelAdmin):
    form = ClassSchemeForm
    list_display = ["code", "name", "framework", "group"]


@admin.register(ResultSet)
class ResultSetAdmin(admin.ModelAdmin):
    list_display = ["__str__", "year", "source", "status", "job_state", "computed_at", "published_at"]
    list_filter = ["status", "source", "year"]
    readonly_fields = [f.name for f in ResultSet._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["__str__", "owner", "unit", "group", "ended_at"]
