"""The class schemes in use: MOHA's A–D (seed 002) and two provincial ones (names and thresholds illustrative)."""

from django.db import migrations

SCHEMES = [
    (
        "moha-a-d",
        "Bộ Nội vụ: A ≥ 90%, B 80–<90%, C 70–<80%, D < 70%",
        [{"code": "A", "name": "A", "min": 90}, {"code": "B", "name": "B", "min": 80},
         {"code": "C", "name": "C", "min": 70}, {"code": "D", "name": "D", "min": 0}],
    ),
    (
        "tot-kha-trung-binh-yeu",
        "Xuất sắc / Tốt / Khá / Trung bình / Yếu (minh họa)",
        [{"code": "xuat-sac", "name": "Xuất sắc", "min": 90}, {"code": "tot", "name": "Tốt", "min": 80},
         {"code": "kha", "name": "Khá", "min": 70}, {"code": "trung-binh", "name": "Trung bình", "min": 50},
         {"code": "yeu", "name": "Yếu", "min": 0}],
    ),
    (
        "huyen-nhom-i-80",
        "Cấp huyện: nhóm I ≥ 80% (minh họa theo Nam Định)",
        [{"code": "I", "name": "Nhóm I", "min": 80}, {"code": "II", "name": "Nhóm II", "min": 70},
         {"code": "III", "name": "Nhóm III", "min": 60}, {"code": "IV", "name": "Nhóm IV", "min": 0}],
    ),
]


def add(apps, schema_editor):
    ClassScheme = apps.get_model("scoring", "ClassScheme")
    for code, name, bands in SCHEMES:
        ClassScheme.objects.get_or_create(code=code, defaults={"name": name, "bands": bands})


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
