"""Managers build the council and assign appraisers by field and/or unit; everything is audited; the workload table
counts each appraiser's criteria."""

import pytest
import time_machine
from django.core.exceptions import ValidationError

from parindex.appraisals import selectors, services
from parindex.appraisals.models import Assignment, Council, CouncilMember, MemberRole
from parindex.core.models import AuditEvent
from parindex.cycles.factories import cycle_spec_data, inside
from parindex.frameworks import formats
from parindex.frameworks import services as fw
from parindex.orgs.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bare(cast):
    from parindex.cycles.factories import make_cycle

    return make_cycle(cast, with_council=False)


def test_a_manager_creates_the_council_renames_it_and_adds_and_ends_members(bare, cast):
    council = services.council_save(
        cycle=bare.cycle, name="Hội đồng thẩm định 2026", decision="QĐ 12", actor=cast.manager
    )
    services.council_save(cycle=bare.cycle, name="Hội đồng thẩm định CCHC 2026", decision="QĐ 12", actor=cast.manager)
    assert Council.objects.get(cycle=bare.cycle).name == "Hội đồng thẩm định CCHC 2026"
    chair = services.council_member_add(
        council=council,
        user=bare.chair,
        role=MemberRole.CHAIR,
        organisation=cast.province,
        position="PCT UBND",
        actor=cast.manager,
    )
    with pytest.raises(ValidationError) as err:
        services.council_member_add(council=council, user=bare.chair, role="member", actor=cast.manager)
    assert "đã là thành viên" in str(err.value)
    with pytest.raises(ValidationError) as err:
        services.council_member_add(council=council, user=bare.member, role=MemberRole.CHAIR, actor=cast.manager)
    assert "đã có Chủ tịch" in str(err.value)
    with pytest.raises(ValidationError):
        services.council_member_add(council=council, user=bare.member, role="king", actor=cast.manager)
    services.council_member_end(member=chair, actor=cast.manager)
    with pytest.raises(ValidationError):
        services.council_member_end(member=chair, actor=cast.manager)
    services.council_member_add(council=council, user=bare.chair, role=MemberRole.CHAIR, actor=cast.manager)
    assert CouncilMember.objects.filter(council=council, user=bare.chair).count() == 2
    actions = list(AuditEvent.objects.filter(action__startswith="appraisal.council").values_list("action", flat=True))
    assert sorted(actions) == sorted(
        [
            "appraisal.council_created",
            "appraisal.council_updated",
            "appraisal.council_member_added",
            "appraisal.council_member_ended",
            "appraisal.council_member_added",
        ]
    )


def test_assignments_by_field_and_by_unit_as_in_seed_002(bare, cast):
    justice = services.assignment_create(
        cycle=bare.cycle, appraiser=bare.appraiser, node=bare.nodes["1"], agency=cast.dept_a, actor=cast.manager
    )
    finance = services.assignment_create(
        cycle=bare.cycle,
        appraiser=bare.member,
        node=bare.nodes["2"],
        unit=cast.dept_b,
        agency=cast.dept_b,
        actor=cast.manager,
    )
    assert (justice.unit, finance.unit) == (None, cast.dept_b)
    with pytest.raises(ValidationError) as err:
        services.assignment_create(cycle=bare.cycle, appraiser=bare.appraiser, node=bare.nodes["1"], actor=cast.manager)
    assert "đã được phân công" in str(err.value)
    services.assignment_end(assignment=justice, actor=cast.manager)
    services.assignment_create(cycle=bare.cycle, appraiser=bare.appraiser, node=bare.nodes["1"], actor=cast.manager)
    assert AuditEvent.objects.filter(action="appraisal.assignment_created").count() == 3
    assert AuditEvent.objects.filter(action="appraisal.assignment_ended", object_id=str(justice.pk)).exists()


def test_an_assignment_needs_a_field_or_a_unit_of_the_cycle(bare, cast):
    with pytest.raises(ValidationError) as err:
        services.assignment_create(cycle=bare.cycle, appraiser=bare.appraiser, actor=cast.manager)
    assert "ít nhất một" in str(err.value)
    with pytest.raises(ValidationError) as err:
        services.assignment_create(
            cycle=bare.cycle, appraiser=bare.appraiser, unit=cast.other_province, actor=cast.manager
        )
    assert "không tham gia" in str(err.value)
    other = fw.framework_import(
        content=formats.write_yaml(cycle_spec_data("khac")), fmt="yaml", owner=cast.home_affairs, actor=cast.manager
    )
    foreign = other.nodes.get(code="1")
    with pytest.raises(ValidationError) as err:
        services.assignment_create(cycle=bare.cycle, appraiser=bare.appraiser, node=foreign, actor=cast.manager)
    assert "không thuộc bộ chỉ số" in str(err.value)
    assert not Assignment.objects.exists()


def test_the_workload_counts_criteria_assigned_and_appraised(cyc, cast, sent, appraiser2, e):
    with time_machine.travel(inside("appraisal_1")):
        services.entry_round1_save(entry_id=e("1.1").pk, version=2, confirm=True, actor=cyc.appraiser)
    rows = {r["appraiser"].username: r for r in selectors.workload(cyc.cycle)}
    # field 1 has three appraised criteria in each of the two units; field 2 one
    assert (rows["appraiser"]["assigned"], rows["appraiser"]["sent"], rows["appraiser"]["round1"]) == (6, 3, 1)
    assert (rows["appraiser2"]["assigned"], rows["appraiser2"]["round1"], rows["appraiser2"]["round2"]) == (2, 0, 0)


def test_the_worklist_shows_sent_reports_with_the_appraisers_criteria(cyc, cast, sent, appraiser2):
    items = selectors.worklist(cyc.appraiser)
    assert [(i["assessment"].unit, i["assigned"], i["round1"]) for i in items] == [(cast.dept_a, 3, 0)]
    assert [i["assigned"] for i in selectors.worklist(appraiser2)] == [1]
    assert selectors.worklist(cast.manager) == []
    assert selectors.worklist(UserFactory()) == []
