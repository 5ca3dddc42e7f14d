"""Framework library figures: import, validation and export of a 150-node framework, and rule evaluation.

    python bench/frameworks.py            # SQLite in memory (set DATABASE_URL for PostgreSQL: a test database)

Prints milliseconds for import (YAML and XLSX: read, validate, write ~150 rows with history), validation and export,
and the microseconds per rule evaluation over 10,000 evaluations of every rule of the framework.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

RULES = [
    {"type": "yes_no"},
    {
        "type": "bands",
        "label": "Tỷ lệ hồ sơ đúng hạn",
        "direction": "increasing",
        "bands": [
            {"min": 98, "fraction": 1},
            {"min": 95, "max": 98, "fraction": 0.75},
            {"min": 90, "max": 95, "fraction": 0.5},
            {"max": 90, "fraction": 0},
        ],
    },
    {"type": "levels", "levels": [{"label": "Tốt", "fraction": 1}, {"label": "Đạt", "fraction": 0.5}]},
    {"type": "linear", "from_value": 20, "to_value": 80},
    {"type": "count", "steps": [{"at_least": 3, "fraction": 1}, {"at_least": 1, "fraction": 0.5}]},
    {
        "type": "bands",
        "by_level": {
            "province": [{"min": 30, "fraction": 1}, {"max": 30, "fraction": 0}],
            "district": [{"min": 20, "fraction": 1}, {"max": 20, "fraction": 0}],
            "commune": [{"min": 15, "fraction": 1}, {"max": 15, "fraction": 0}],
        },
    },
]
SAMPLES = {"yes_no": "có", "levels": "tot", "linear": "57,5", "count": 2}


def build_spec(fields=8, criteria=6, subs=2):
    """8 fields × 6 criteria × 2 sub-criteria = 8 + 48 + 96 = 152 nodes, 100 points."""
    from parindex.frameworks import rules
    from parindex.frameworks.spec import FRAMEWORK_DEFAULTS, NODE_DEFAULTS

    spec = dict(FRAMEWORK_DEFAULTS, code="bench-150", name="Bộ chỉ số đo hiệu năng", declared_total=Decimal(100))
    nodes = []
    per_field = [Decimal("12.5")] * fields  # 8 × 12.5 = 100
    k = 0
    for f in range(1, fields + 1):
        nodes.append(dict(NODE_DEFAULTS, code=str(f), name=f"Lĩnh vực {f}", max_points=per_field[f - 1]))
        # 6 criteria: 2.5, 2.5, 2, 2, 2, 1.5 = 12.5; each split in two sub-criteria
        for c, points in enumerate([Decimal("2.5"), Decimal("2.5"), 2, 2, 2, Decimal("1.5")], start=1):
            points = Decimal(points)
            code = f"{f}.{c}"
            nodes.append(dict(NODE_DEFAULTS, code=code, parent=str(f), name=f"Tiêu chí {code}", max_points=points))
            halves = [(points / 2).quantize(Decimal("0.01"))]
            halves.append(points - halves[0])
            for s in range(1, subs + 1):
                rule = rules.canonical(RULES[k % len(RULES)])
                k += 1
                nodes.append(
                    dict(
                        NODE_DEFAULTS,
                        code=f"{code}.{s}",
                        parent=code,
                        name=f"Tiêu chí thành phần {code}.{s}",
                        max_points=halves[s - 1],
                        method="appraised",
                        rule=rule,
                        evidence="Báo cáo, quyết định, số liệu trên hệ thống",
                        evidence_kinds=[],
                        value_provenance={},
                    )
                )
    spec["nodes"] = nodes
    return spec


def timed(fn, repeat=5):
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def main():
    call_command("migrate", verbosity=0)
    from parindex.frameworks import formats, rules, services
    from parindex.frameworks.selectors import framework_spec
    from parindex.frameworks.spec import validate
    from parindex.orgs import services as org_services
    from parindex.orgs.models import UnitKind

    owner = org_services.unit_create(code="BENCH", name="Sở Nội vụ đo hiệu năng", kind=UnitKind.DEPARTMENT, actor=None)
    spec = build_spec()
    assert validate(spec) == [], validate(spec)
    yaml_bytes = formats.write_yaml(spec)
    xlsx_bytes = formats.write_xlsx(spec)
    print(f"parindex — bộ chỉ số đo hiệu năng: {len(spec['nodes'])} nút, {connection.vendor}")
    print(f"  YAML {len(yaml_bytes) / 1024:.1f} KB, XLSX {len(xlsx_bytes) / 1024:.1f} KB")

    counter = iter(range(10**6))

    def do_import(content, fmt):
        return services.framework_import(
            content=content, fmt=fmt, owner=owner, actor=None, code=f"bench-{fmt}-{next(counter)}"
        )

    import_yaml_ms, framework = timed(lambda: do_import(yaml_bytes, "yaml"))
    import_xlsx_ms, _ = timed(lambda: do_import(xlsx_bytes, "xlsx"))
    read_yaml_ms, _ = timed(lambda: formats.read_yaml(yaml_bytes))
    validate_ms, _ = timed(lambda: validate(spec), repeat=20)
    validate_db_ms, _ = timed(lambda: validate(framework_spec(framework)), repeat=20)
    export_yaml_ms, _ = timed(lambda: formats.write_yaml(framework_spec(framework)))
    export_xlsx_ms, _ = timed(lambda: formats.write_xlsx(framework_spec(framework)))

    print(f"  import YAML (đọc + kiểm tra + ghi CSDL + lịch sử): {import_yaml_ms:8.1f} ms")
    print(f"  import XLSX (đọc + kiểm tra + ghi CSDL + lịch sử): {import_xlsx_ms:8.1f} ms")
    print(f"    trong đó chỉ đọc YAML:                          {read_yaml_ms:8.1f} ms")
    print(f"  validation (bộ chỉ số trong bộ nhớ):              {validate_ms:8.1f} ms")
    print(f"  validation (đọc từ CSDL + kiểm tra):              {validate_db_ms:8.1f} ms")
    print(f"  export YAML (đọc CSDL + ghi):                     {export_yaml_ms:8.1f} ms")
    print(f"  export XLSX (đọc CSDL + ghi):                     {export_xlsx_ms:8.1f} ms")
    print(
        f"  import + validation + export (YAML), tổng:        {import_yaml_ms + validate_ms + export_yaml_ms:8.1f} ms"
    )

    # Rule evaluation: every leaf rule of the framework, again and again until 10,000 evaluations.
    leaves = [n for n in spec["nodes"] if n["rule"]]
    prepared = []
    for n in leaves:
        parsed = rules.parse_rule(n["rule"])
        value = SAMPLES.get(parsed.type, "97,5")
        prepared.append((n["rule"], parsed, value, n["max_points"]))
    context = {"level": "district", "year": 2024}
    total = 10_000
    sequence = [prepared[i % len(prepared)] for i in range(total)]

    start = time.perf_counter()
    for _data, parsed, value, max_points in sequence:
        parsed.evaluate(value, max_points=max_points, context=context)
    parsed_us = (time.perf_counter() - start) / total * 1e6

    start = time.perf_counter()
    for data, _parsed, value, max_points in sequence:
        rules.evaluate(data, value, max_points=max_points, context=context)
    from_data_us = (time.perf_counter() - start) / total * 1e6

    rounds = total // len(prepared)
    start = time.perf_counter()
    for _ in range(rounds):
        for _data, parsed, value, max_points in prepared:
            parsed.evaluate(value, max_points=max_points, context=context)
    per_framework_ms = (time.perf_counter() - start) / rounds * 1000

    shown_total = f"{total:,}".replace(",", ".")
    print(f"  đánh giá quy tắc ({shown_total} lần, {len(prepared)} quy tắc):")
    print(f"    quy tắc đã phân tích sẵn:                       {parsed_us:8.1f} µs / lần")
    print(f"    phân tích từ dữ liệu JSON mỗi lần:              {from_data_us:8.1f} µs / lần")
    print(f"    chấm cả bộ chỉ số ({len(prepared)} quy tắc):                  {per_framework_ms:8.2f} ms / lượt")


if __name__ == "__main__":
    main()
