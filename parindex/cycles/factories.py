"""A cycle in progress for tests (and the benchmarks): the cast's two departments assessed against a small
framework, with every window of the cycle at fixed dates in Vietnam's time.

``WINDOWS`` are the dates tests travel to with time-machine: ``inside("self_assessment")`` is a moment inside the
window, ``CLOSES["self_assessment"]`` its close.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal as D
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from parindex.frameworks import formats, rules
from parindex.frameworks import services as framework_services
from parindex.frameworks.spec import FRAMEWORK_DEFAULTS, NODE_DEFAULTS

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(year, month, day, hour=0, minute=0, second=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=VN)


WINDOWS = {
    "self_assessment": (vn(2026, 11, 1, 8), vn(2026, 12, 15, 17)),
    "supplementary": (vn(2026, 11, 1, 8), vn(2026, 12, 31, 17)),
    "survey": (vn(2026, 11, 1, 8), vn(2027, 1, 31, 17)),
    "appraisal_1": (vn(2027, 1, 5, 8), vn(2027, 1, 15, 17)),
    "explanation": (vn(2027, 1, 16, 8), vn(2027, 1, 25, 17)),
    "appraisal_2": (vn(2027, 1, 26, 8), vn(2027, 2, 5, 17)),
    "council": (vn(2027, 2, 6, 8), vn(2027, 2, 20, 17)),
    "publication": (vn(2027, 3, 1, 8), vn(2027, 3, 31, 17)),
}
CLOSES = {k: v[1] for k, v in WINDOWS.items()}


def inside(kind: str) -> dt.datetime:
    """A moment one day after the window opens."""
    return WINDOWS[kind][0] + dt.timedelta(days=1)


def _node(code, parent, name, max_points, method="", rule=None, **kw):
    node = copy.deepcopy(NODE_DEFAULTS)
    node.update(
        code=code,
        parent=parent,
        name=name,
        max_points=D(str(max_points)),
        method=method,
        rule=rules.canonical(rule) if rule else None,
        **kw,
    )
    return node


def cycle_spec_data(code: str = "dot-thu-nghiem") -> dict:
    """12 points: a ratio with bands, a yes/no, a manual score, a count, and a survey criterion."""
    spec = copy.deepcopy(FRAMEWORK_DEFAULTS)
    spec.update(code=code, name="Bộ chỉ số đợt thử nghiệm", declared_total=D(12), year_from=2026)
    spec["nodes"] = [
        _node("1", None, "Cải cách thủ tục hành chính", 6),
        _node(
            "1.1",
            "1",
            "Tỷ lệ hồ sơ giải quyết đúng hạn",
            3,
            "appraised",
            {"type": "bands", "input": "percent", "bands": [{"min": 95, "fraction": 1}, {"max": 95, "fraction": 0}]},
            evidence="Báo cáo thống kê hồ sơ",
        ),
        _node("1.2", "1", "Công khai thủ tục hành chính", 1, "appraised", {"type": "yes_no"}),
        _node("1.3", "1", "Chất lượng báo cáo", 2, "appraised", {"type": "manual", "step": "0.5"}),
        _node("2", None, "Xây dựng chính quyền số", 2),
        _node(
            "2.1",
            "2",
            "Số dịch vụ công trực tuyến toàn trình",
            2,
            "appraised",
            {"type": "count", "steps": [{"at_least": 5, "fraction": 1}, {"at_least": 1, "fraction": 0.5}]},
        ),
        _node("3", None, "Hài lòng của người dân", 4),
        _node("3.1", "3", "Khảo sát người dân", 4, "survey", {"type": "survey", "component": "citizens"}),
    ]
    return spec


def make_cycle(cast, *, with_council: bool = True) -> SimpleNamespace:
    """The cycle of the cast's province: dept_a and dept_b in group ``so-nganh``; leader_a, appraiser, chair,
    member and a viewer; the council and an assignment of field 1 to the appraiser."""
    from parindex.appraisals.models import Assignment, Council, CouncilMember, MemberRole
    from parindex.frameworks.models import Node
    from parindex.orgs.factories import UserFactory, grant
    from parindex.orgs.models import Role, UnitGroup

    from . import services
    from .models import WindowKind

    content = formats.write_yaml(cycle_spec_data())
    framework = framework_services.framework_import(
        content=content, fmt="yaml", owner=cast.home_affairs, actor=cast.manager
    )
    framework = framework_services.framework_activate(framework=framework, actor=cast.manager)
    group = UnitGroup.objects.create(code="so-nganh-p99", name="Sở, ban, ngành", owner=cast.home_affairs)
    group.units.set([cast.dept_a, cast.dept_b])
    cycle = services.cycle_create(
        year=2026, name="Chỉ số CCHC năm 2026", assessor=cast.home_affairs, actor=cast.manager
    )
    for kind in WindowKind.values:
        opens, closes = WINDOWS[kind]
        services.window_set(cycle=cycle, kind=kind, opens_at=opens, closes_at=closes, actor=cast.manager)
    services.cycle_framework_set(cycle=cycle, group=group, framework=framework, actor=cast.manager)
    cycle.status = "active"
    cycle.save(update_fields=["status"])

    leader_a = UserFactory(username="leader_a", full_name="Đỗ Văn Lãnh Đạo")
    grant(leader_a, cast.dept_a, Role.UNIT_LEADER)
    appraiser = UserFactory(username="appraiser", full_name="Vũ Thị Thẩm Định")
    grant(appraiser, cast.dept_a, Role.APPRAISER)  # works at Sở Tư pháp; sees through assignments
    chair = UserFactory(username="chair", full_name="Ngô Văn Chủ Tịch")
    grant(chair, cast.province, Role.COUNCIL_CHAIR, includes_subunits=True)
    member = UserFactory(username="member", full_name="Bùi Thị Thành Viên")
    viewer = UserFactory(username="viewer", full_name="Lý Văn Theo Dõi")
    grant(viewer, cast.province, Role.VIEWER, includes_subunits=True)

    assessments = {a.unit_id: a for a in cycle.assessments.select_related("unit")}
    ns = SimpleNamespace(
        cycle=cycle,
        framework=framework,
        group=group,
        nodes={n.code: n for n in Node.objects.filter(framework=framework)},
        assessment_a=assessments[cast.dept_a.pk],
        assessment_b=assessments[cast.dept_b.pk],
        leader_a=leader_a,
        appraiser=appraiser,
        chair=chair,
        member=member,
        viewer=viewer,
        council=None,
    )
    if with_council:
        council = Council.objects.create(cycle=cycle)
        CouncilMember.objects.create(council=council, user=chair, role=MemberRole.CHAIR)
        CouncilMember.objects.create(council=council, user=member, role=MemberRole.MEMBER)
        CouncilMember.objects.create(council=council, user=appraiser, role=MemberRole.MEMBER, organisation=cast.dept_a)
        Assignment.objects.create(cycle=cycle, appraiser=appraiser, node=ns.nodes["1"], agency=cast.dept_a)
        ns.council = council
    return ns


def entry(assessment, code: str):
    return assessment.entries.select_related("node").get(node__code=code)
