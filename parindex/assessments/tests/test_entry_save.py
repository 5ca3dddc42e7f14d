from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from parindex.assessments.models import AssessmentStatus, ScoreChange
from parindex.assessments.services import entry_self_save
from parindex.core.exceptions import ConflictError
from parindex.cycles.factories import CLOSES, entry, inside


@pytest.fixture
def e11(cyc):
    return entry(cyc.assessment_a, "1.1")


def test_it_scores_a_ratio_with_the_rule_and_records_the_change(cyc, cast, e11):
    with time_machine.travel(inside("self_assessment")):
        saved = entry_self_save(entry_id=e11.pk, version=1, declared="97.5", actor=cast.officer_a)
    assert saved.self_points == Decimal("3.00")
    assert saved.version == 2
    assert "97,5" in saved.self_note or "97.5" in saved.self_note
    change = ScoreChange.objects.get(entry=e11)
    assert change.new_points == Decimal("3.00") and change.old_points is None
    cyc.assessment_a.refresh_from_db()
    assert cyc.assessment_a.status == AssessmentStatus.IN_PROGRESS


def test_it_refuses_a_ratio_above_100_percent(cyc, cast, e11):
    with time_machine.travel(inside("self_assessment")), pytest.raises(ValidationError) as err:
        entry_self_save(entry_id=e11.pk, version=1, declared="120", actor=cast.officer_a)
    assert "1.1" in str(err.value)
    e11.refresh_from_db()
    assert e11.self_points is None and e11.version == 1


def test_a_stale_version_is_a_conflict_showing_the_other_value(cyc, cast, e11):
    with time_machine.travel(inside("self_assessment")):
        entry_self_save(entry_id=e11.pk, version=1, declared="96", actor=cast.officer_a)
        with pytest.raises(ConflictError) as err:
            entry_self_save(entry_id=e11.pk, version=1, declared="50", actor=cyc.leader_a)
    assert err.value.current["self_points"] == "3.00"
    assert "Lê Văn Tư Pháp" in err.value.message


def test_it_refuses_a_save_one_second_after_the_close(cyc, cast, e11):
    from datetime import timedelta

    with time_machine.travel(CLOSES["self_assessment"] - timedelta(seconds=1)):
        entry_self_save(entry_id=e11.pk, version=1, declared="96", actor=cast.officer_a)
    with time_machine.travel(CLOSES["self_assessment"] + timedelta(seconds=1)), pytest.raises(PermissionDenied) as err:
        entry_self_save(entry_id=e11.pk, version=2, declared="90", actor=cast.officer_a)
    assert "17:00 ngày 15/12/2026" in str(err.value)
