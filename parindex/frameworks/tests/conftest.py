import copy
from decimal import Decimal as D

import pytest

from parindex.frameworks import formats, rules, services
from parindex.frameworks.spec import FRAMEWORK_DEFAULTS, NODE_DEFAULTS


def make_node(code, parent, name, max_points, method="", rule=None, **kw):
    node = copy.deepcopy(NODE_DEFAULTS)
    rule = rules.canonical(rule) if rule else None
    node.update(code=code, parent=parent, name=name, max_points=D(str(max_points)), method=method, rule=rule, **kw)
    return node


def small_spec_data() -> dict:
    """A valid two-field framework of 10 points (also used by the browser test of the editor)."""
    spec = copy.deepcopy(FRAMEWORK_DEFAULTS)
    spec.update(code="thu-nghiem", name="Bộ chỉ số thử nghiệm", declared_total=D(10), year_from=2024)
    spec["nodes"] = [
        make_node("1", None, "Cải cách thủ tục hành chính", 6),
        make_node(
            "1.1",
            "1",
            "Tỷ lệ hồ sơ đúng hạn",
            4,
            "appraised",
            {"type": "bands", "bands": [{"min": 95, "fraction": 1}, {"max": 95, "fraction": 0}]},
        ),
        make_node("1.2", "1", "Công khai thủ tục", 2, "appraised", {"type": "yes_no"}),
        make_node("2", None, "Hài lòng của người dân", 4),
        make_node("2.1", "2", "Khảo sát người dân", 4, "survey", {"type": "survey", "component": "citizens"}),
    ]
    return spec


@pytest.fixture
def small_spec():
    return small_spec_data()


@pytest.fixture
def small_yaml(small_spec):
    return formats.write_yaml(small_spec)


@pytest.fixture
def draft(cast, small_yaml):
    """The small framework imported as a draft owned by the province's Sở Nội vụ."""
    return services.framework_import(content=small_yaml, fmt="yaml", owner=cast.home_affairs, actor=cast.manager)


@pytest.fixture
def active(cast, small_yaml):
    framework = services.framework_import(
        content=small_yaml, fmt="yaml", owner=cast.home_affairs, actor=cast.manager, code="thu-nghiem-ap-dung"
    )
    return services.framework_activate(framework=framework, actor=cast.manager)
