"""Data for the self-assessment benchmarks: a 100-criterion framework and a cycle with its windows open now.

Imported by ``bench/grid.py`` (in-process) and run by ``bench/assessment_save.py`` inside ``manage.py shell``.
Needs a configured Django (``django.setup()``) and a migrated database.

The framework: 10 fields × 2 criteria × 5 sub-criteria = 100 scored sub-criteria (130 nodes, 100 points), with
rules of every kind a unit declares data for — a ratio with bands, yes/no, points entered directly (step 0.25),
a count, named levels — and one sub-criterion in ten scored by survey (shown, not self-scored).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

RULES = [
    {
        "type": "bands",
        "input": "percent",
        "label": "Tỷ lệ hồ sơ đúng hạn",
        "bands": [{"min": 98, "fraction": 1}, {"min": 95, "max": 98, "fraction": 0.5}, {"max": 95, "fraction": 0}],
    },
    {"type": "yes_no"},
    {"type": "manual", "step": "0.25"},
    {"type": "count", "steps": [{"at_least": 3, "fraction": 1}, {"at_least": 1, "fraction": 0.5}]},
    {"type": "levels", "levels": [{"label": "Tốt", "fraction": 1}, {"label": "Đạt", "fraction": 0.5}]},
]
SAMPLES = {"bands": 97.5, "yes_no": True, "manual": 0.75, "count": 2, "levels": "tot"}
PASSWORD = "bench-Mat-Khau-2025"


def framework_spec(code: str = "bench-tu-danh-gia") -> dict:
    from parindex.frameworks import rules
    from parindex.frameworks.spec import FRAMEWORK_DEFAULTS, NODE_DEFAULTS

    spec = dict(FRAMEWORK_DEFAULTS, code=code, name="Bộ chỉ số 100 tiêu chí (đo hiệu năng)")
    spec.update(declared_total=Decimal(100), year_from=2020)
    nodes = []
    k = 0
    for f in range(1, 11):
        nodes.append(dict(NODE_DEFAULTS, code=str(f), name=f"Lĩnh vực {f}", max_points=Decimal(10)))
        for c in range(1, 3):
            code_c = f"{f}.{c}"
            nodes.append(
                dict(NODE_DEFAULTS, code=code_c, parent=str(f), name=f"Tiêu chí {code_c}", max_points=Decimal(5))
            )
            for s in range(1, 6):
                k += 1
                survey = k % 10 == 0
                rule = {"type": "survey", "component": "citizens"} if survey else RULES[k % len(RULES)]
                nodes.append(
                    dict(
                        NODE_DEFAULTS,
                        code=f"{code_c}.{s}",
                        parent=code_c,
                        name=f"Tiêu chí thành phần {code_c}.{s}: kết quả thực hiện nhiệm vụ cải cách hành chính",
                        max_points=Decimal(1),
                        method="survey" if survey else "appraised",
                        rule=rules.canonical(rule),
                        evidence="Báo cáo, quyết định, số liệu trên hệ thống",
                        evidence_kinds=[],
                        value_provenance={},
                    )
                )
    spec["nodes"] = nodes
    return spec


def build(*, units: int = 50, tokens: bool = False, prefill: int = 0, prefix: str = "BN") -> dict:
    """A province with ``units`` departments in one cycle (every window open from yesterday for 30 days), an
    officer per department (with an API token when ``tokens``), and ``prefill`` reports half filled in with a few
    documents attached. Returns ids, usernames and tokens as plain data."""
    from django.utils import timezone

    from parindex.assessments import services as assessment_services
    from parindex.cycles import services as cycle_services
    from parindex.cycles.models import WindowKind
    from parindex.frameworks import formats
    from parindex.frameworks import services as framework_services
    from parindex.frameworks.models import Method
    from parindex.orgs import services as org_services
    from parindex.orgs.models import Role, UnitGroup, UnitKind

    province = org_services.unit_create(code=prefix, name="Tỉnh Đo Tải", kind=UnitKind.PROVINCE, actor=None)
    home = org_services.unit_create(
        code=f"{prefix}-SNV", name="Sở Nội vụ", kind=UnitKind.DEPARTMENT, parent=province, actor=None
    )
    manager = org_services.user_create(
        username=f"{prefix.lower()}.manager", email="", full_name="Quản lý Đo Tải", password=PASSWORD, actor=None
    )
    org_services.membership_grant(
        user=manager, unit=province, role=Role.INDEX_MANAGER, includes_subunits=True, actor=None
    )
    framework = framework_services.framework_import(
        content=formats.write_yaml(framework_spec(f"bench-{prefix.lower()}")), fmt="yaml", owner=home, actor=manager
    )
    framework = framework_services.framework_activate(framework=framework, actor=manager)
    departments = [
        org_services.unit_create(
            code=f"{prefix}-{i:03d}", name=f"Sở số {i:03d}", kind=UnitKind.DEPARTMENT, parent=province, actor=None
        )
        for i in range(1, units + 1)
    ]
    group = UnitGroup.objects.create(code=f"{prefix.lower()}-so", name="Sở, ban, ngành", owner=home)
    group.units.set(departments)
    now = timezone.now()
    cycle = cycle_services.cycle_create(year=now.year, name="Đợt đo hiệu năng", assessor=home, actor=manager)
    for kind in WindowKind.values:
        cycle_services.window_set(
            cycle=cycle,
            kind=kind,
            opens_at=now - dt.timedelta(days=1),
            closes_at=now + dt.timedelta(days=30),
            actor=manager,
        )
    cycle_services.cycle_framework_set(cycle=cycle, group=group, framework=framework, actor=manager)
    cycle.status = "active"
    cycle.save(update_fields=["status"])

    result = {"cycle": cycle.pk, "framework": framework.pk, "manager": manager.username, "units": []}
    for i, unit in enumerate(departments):
        officer = org_services.user_create(
            username=f"{prefix.lower()}.officer{i:03d}",
            email="",
            full_name=f"Cán bộ đơn vị {i:03d}",
            password=PASSWORD,
            actor=None,
        )
        org_services.membership_grant(user=officer, unit=unit, role=Role.UNIT_OFFICER, actor=None)
        key = None
        if tokens:
            _token, key = org_services.api_token_create(user=officer, name="bench", actor=officer)
        assessment = unit.assessments.get(cycle=cycle)
        entries = list(assessment.entries.select_related("node").order_by("node__order", "node_id"))
        by_type: dict[str, list[int]] = {}
        for entry in entries:
            if entry.node.method == Method.SURVEY:
                continue
            by_type.setdefault(entry.node.rule["type"], []).append(entry.pk)
        if i < prefill:
            scored = [e for e in entries if e.node.method != Method.SURVEY]
            for n, entry in enumerate(scored[::2]):
                value = SAMPLES[entry.node.rule["type"]]
                assessment_services.entry_self_save(
                    entry_id=entry.pk, version=entry.version, declared=value, actor=officer
                )
                if n % 5 == 0:
                    assessment_services.evidence_link_add(
                        assessment=assessment,
                        url=f"https://vanban.example.gov.vn/{unit.code}/{n}.pdf",
                        title=f"Văn bản số {n}/BC",
                        number=f"{n}/BC",
                        actor=officer,
                        entry_id=entry.pk,
                    )
        result["units"].append(
            {
                "unit": unit.code,
                "assessment": assessment.pk,
                "officer": officer.username,
                "user_id": officer.pk,
                "token": key,
                "entries": by_type,
            }
        )
    return result
