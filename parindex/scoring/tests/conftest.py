from decimal import Decimal as D

import pytest
import time_machine

from parindex.assessments.models import Entry
from parindex.assessments.services import entry_self_save
from parindex.cycles.factories import entry, inside


def _appraise(assessment, code, points):
    Entry.objects.filter(assessment=assessment, node__code=code).update(round1_points=D(points))


@pytest.fixture
def scored(cyc, cast):
    with time_machine.travel(inside("self_assessment")):
        for code, value in (("1.1", "97"), ("1.2", "yes"), ("1.3", "1.5"), ("2.1", "5")):
            e = entry(cyc.assessment_a, code)
            entry_self_save(entry_id=e.pk, version=e.version, declared=value, actor=cast.officer_a)
    for code, points in (("1.1", "3"), ("1.2", "1"), ("1.3", "1"), ("2.1", "2")):
        _appraise(cyc.assessment_a, code, points)
    for code, points in (("1.1", "3"), ("1.2", "1"), ("1.3", "2"), ("2.1", "2")):
        _appraise(cyc.assessment_b, code, points)
    return cyc
