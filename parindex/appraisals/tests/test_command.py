"""manage.py appraisal_status --cycle ID prints each unit's status and counts."""

import pytest
import time_machine
from django.core.management import CommandError, call_command

from parindex.appraisals import services
from parindex.cycles.factories import inside


def test_it_prints_each_unit_with_its_status_and_counts(cyc, sent, e, capsys):
    with time_machine.travel(inside("appraisal_1")):
        services.entry_round1_save(entry_id=e("1.1").pk, version=2, confirm=True, actor=cyc.appraiser)
        services.entry_explanation_request(entry_id=e("1.2").pk, version=2, text="Bổ sung", actor=cyc.appraiser)
    call_command("appraisal_status", cycle=cyc.cycle.pk)
    out = capsys.readouterr().out
    lines = {line.split("  ")[0]: line for line in out.splitlines()}
    assert "Chỉ số CCHC năm 2026 (2026) — 2 đơn vị" in out
    assert "Yêu cầu giải trình" in lines["Sở Tư pháp"] and "1/4" in lines["Sở Tư pháp"]
    assert "0/1" in lines["Sở Tư pháp"]  # one request, not yet answered
    assert "Chưa bắt đầu" in lines["Sở Tài chính"]


def test_an_unknown_cycle_is_an_error(db):
    with pytest.raises(CommandError, match="Không tìm thấy đợt đánh giá"):
        call_command("appraisal_status", cycle=424242)
