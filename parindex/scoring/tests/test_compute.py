from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from parindex.assessments.models import Entry
from parindex.scoring import access, services
from parindex.scoring.models import JobState, ResultSet, ResultStatus


def _compute(scored, cast, capture):
    with capture(execute=True):
        return services.resultset_compute(cycle=scored.cycle, group=scored.group, actor=cast.manager)


def test_it_computes_ranks_and_classes_from_appraised_points(scored, cast, django_capture_on_commit_callbacks):
    result_set = _compute(scored, cast, django_capture_on_commit_callbacks)
    result_set.refresh_from_db()
    assert result_set.job_state == JobState.DONE and result_set.job_done == 2
    a = result_set.units.get(unit=cast.dept_a)
    b = result_set.units.get(unit=cast.dept_b)
    # 7 of 12 points (the survey criterion is not scored yet): 58.33 %
    assert a.points == D("7.00") and a.percent == D("58.33") and not a.complete and a.missing == ["3.1"]
    assert b.points == D("8.00") and b.rank == 1 and a.rank == 2
    assert a.class_code == "D"
    card = services.unit_scorecard(result_set, cast.dept_a.pk)
    assert (card.nodes["1.3"].self_points, card.nodes["1.3"].final_points) == (D("1.50"), D("1.00"))
    assert card.nodes["3.1"].reason == "chưa có điểm điều tra xã hội học"
    assert card.total_points == a.points
    assert a.components["3"]["points"] is None


def test_a_new_computation_supersedes_the_draft_and_publication_needs_approval(
    scored, cast, django_capture_on_commit_callbacks
):
    first = _compute(scored, cast, django_capture_on_commit_callbacks)
    second = _compute(scored, cast, django_capture_on_commit_callbacks)
    first.refresh_from_db()
    assert first.status == ResultStatus.SUPERSEDED
    second.refresh_from_db()
    with pytest.raises(ValidationError):
        services.resultset_publish(result_set=second, actor=cast.manager)
    services.resultset_approve(result_set=second, actor=scored.chair)
    published = services.resultset_publish(result_set=second, actor=cast.manager, decision="QĐ 1/QĐ-UBND")
    assert published.status == ResultStatus.PUBLISHED
    # Later edits never change the published snapshot.
    Entry.objects.filter(assessment=scored.assessment_a, node__code="1.1").update(round1_points=D(0))
    assert published.units.get(unit=cast.dept_a).points == D("7.00")


def test_drafts_are_visible_to_managers_and_the_chair_only(scored, cast):
    result_set = services.resultset_compute(cycle=scored.cycle, group=scored.group, actor=cast.manager)
    assert access.can_view_result_set(cast.manager, result_set)
    assert access.can_view_result_set(scored.chair, result_set)
    assert access.can_view_result_set(scored.member, result_set)  # a council member
    for user in (cast.officer_a, cast.other_manager, cast.outsider, scored.viewer):
        assert not access.can_view_result_set(user, result_set)


def test_the_command_computes_every_group(scored, capsys):
    call_command("compute_results", "--cycle", str(scored.cycle.pk))
    assert "2 đơn vị" in capsys.readouterr().out
    assert ResultSet.objects.filter(cycle=scored.cycle, job_state=JobState.DONE).count() == 1


def test_a_groups_own_class_scheme_names_the_classes(scored, cast):
    from parindex.scoring.models import ClassScheme

    scheme = ClassScheme.objects.get(code="tot-kha-trung-binh-yeu")
    scheme.group = scored.group
    scheme.save()
    result_set = services.resultset_compute(cycle=scored.cycle, group=scored.group, actor=cast.manager, run_now=True)
    b = result_set.units.get(unit=cast.dept_b)
    assert (b.percent, b.class_name) == (D("66.67"), "Trung bình")


def test_the_snapshot_copies_every_leaf_value_and_the_unit_rows_round_trip(res, cast):
    from parindex.assessments.models import Entry
    from parindex.scoring.models import LeafScore

    result_set = res.result_set
    entries = {
        (e.assessment.unit_id, e.node_id): (e.self_points, e.round2_points or e.round1_points)
        for e in Entry.objects.filter(assessment__cycle=res.cycle).select_related("assessment")
    }
    frozen = {
        (leaf.unit_id, leaf.node_id): (leaf.self_points, leaf.appraised_points)
        for leaf in LeafScore.objects.filter(result_set=result_set)
    }
    assert frozen == entries and len(frozen) == 2 * 5  # two units × five leaves
    # The unit rows are written by COPY on PostgreSQL and by bulk_create on SQLite: both read back the same.
    a = result_set.units.get(unit=cast.dept_a)
    assert a.missing == ["3.1"] and a.complete is False and a.rank == 2
    assert a.components["1"] == {"points": "5.00", "max": "6.00", "percent": "83.33", "class": "B", "complete": True}
    assert (a.points, a.max_points, a.percent, a.class_name) == (D("7.00"), D("12.00"), D("58.33"), "D")


def test_the_frozen_values_go_with_their_result_set_and_keep_their_units(res, cast):
    from django.db.models import ProtectedError

    from parindex.scoring.models import LeafScore

    # No database constraint on the frozen rows: Django's on_delete keeps them consistent.
    result_set = res.result_set
    result_set.units.all().delete()
    with pytest.raises(ProtectedError) as refused:
        cast.dept_a.delete()  # its frozen leaf values protect it (among other rows)
    assert any(isinstance(o, LeafScore) for o in refused.value.protected_objects)
    result_set.delete()
    assert not LeafScore.objects.filter(result_set_id=result_set.pk).exists()
