"""Helpers of the self-assessment tests: documents, a complete report, extensions."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from parindex.assessments import services
from parindex.cycles.factories import entry, inside

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def pdf(name: str = "bao-cao.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def fill(assessment, actor, values=None):
    """Score every self-scored criterion of the test framework (by default: zero points everywhere, so no
    evidence is needed)."""
    values = values or {"1.1": "90", "1.2": "no", "1.3": "0", "2.1": "0"}
    for code, declared in values.items():
        e = entry(assessment, code)
        services.entry_self_save(entry_id=e.pk, version=e.version, declared=declared, actor=actor)


@pytest.fixture
def filled(cyc, cast):
    """dept_a's report scored (zero points) inside the self-assessment window."""
    with time_machine.travel(inside("self_assessment")):
        fill(cyc.assessment_a, cast.officer_a)
    cyc.assessment_a.refresh_from_db()
    return cyc.assessment_a


def extend(cyc, cast, unit, kind="self_assessment", until=None):
    from parindex.cycles.factories import CLOSES
    from parindex.cycles.models import Extension

    return Extension.objects.create(
        cycle=cyc.cycle,
        unit=unit,
        kind=kind,
        until=until or CLOSES[kind] + dt.timedelta(days=3),
        reason="Đơn vị có văn bản đề nghị gia hạn.",
        granted_by=cast.manager,
    )
