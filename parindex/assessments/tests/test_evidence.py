"""Evidence: files checked by content and size with a safe name and a fingerprint, links, reuse across criteria,
withdrawal, supplementary evidence after submission, windows, and downloads only through the checked view."""

import datetime as dt
import hashlib
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from parindex.assessments import selectors, services
from parindex.assessments.models import EntryEvidence, Evidence
from parindex.core.models import AuditEvent
from parindex.cycles.factories import CLOSES, entry, inside

from .conftest import PDF, pdf


def _stored_files() -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT) / "evidence"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def e11(cyc):
    return entry(cyc.assessment_a, "1.1")


def test_a_pdf_is_stored_outside_the_web_root_with_its_fingerprint_and_attached(cyc, cast, e11):
    before = set(_stored_files())
    with time_machine.travel(inside("self_assessment")):
        doc = services.evidence_upload(
            assessment=cyc.assessment_a,
            upload=pdf("Báo cáo số 12.pdf"),
            title="Báo cáo thống kê hồ sơ",
            number="12/BC-STP",
            issued_on=dt.date(2026, 10, 30),
            actor=cast.officer_a,
            entry_id=e11.pk,
        )
    assert doc.sha256 == hashlib.sha256(PDF).hexdigest()
    assert doc.original_name == "Báo cáo số 12.pdf" and doc.content_type == "application/pdf"
    assert doc.size == len(PDF) and doc.uploaded_by == cast.officer_a and not doc.supplementary
    new = set(_stored_files()) - before
    assert len(new) == 1
    stored = new.pop()
    assert stored.read_bytes() == PDF
    assert stored.name.endswith(".pdf") and "Báo cáo" not in stored.name  # a generated name, not the user's
    assert list(EntryEvidence.objects.values_list("entry_id", "evidence_id")) == [(e11.pk, doc.pk)]
    assert AuditEvent.objects.filter(action="assessment.evidence_uploaded", object_id=str(doc.pk)).exists()


def test_a_text_file_renamed_pdf_is_refused_and_nothing_is_stored(cyc, cast, e11):
    before = set(_stored_files())
    with time_machine.travel(inside("self_assessment")), pytest.raises(ValidationError) as err:
        services.evidence_upload(
            assessment=cyc.assessment_a,
            upload=pdf("bao-cao.pdf", b"Day la van ban thuong, khong phai PDF.\n" * 10),
            title="Giả",
            actor=cast.officer_a,
            entry_id=e11.pk,
        )
    assert "theo nội dung" in str(err.value)
    assert not Evidence.objects.exists() and set(_stored_files()) == before


def test_an_oversized_file_is_refused_and_nothing_is_stored(cyc, cast, e11, settings):
    settings.PARINDEX_EVIDENCE_MAX_BYTES = 1000
    before = set(_stored_files())
    with time_machine.travel(inside("self_assessment")), pytest.raises(ValidationError) as err:
        services.evidence_upload(
            assessment=cyc.assessment_a, upload=pdf(content=PDF + b"0" * 2000), title="Lớn", actor=cast.officer_a
        )
    assert "vượt giới hạn" in str(err.value)
    assert not Evidence.objects.exists() and set(_stored_files()) == before


def test_a_name_with_directories_and_markup_is_made_safe(cyc, cast):
    with time_machine.travel(inside("self_assessment")):
        doc = services.evidence_upload(
            assessment=cyc.assessment_a,
            upload=pdf("../../etc/<script>alert(1)</script>.pdf"),
            title="",
            actor=cast.officer_a,
        )
    assert "/" not in doc.original_name and "<" not in doc.original_name and ".." not in doc.original_name
    assert doc.original_name.endswith(".pdf")
    assert doc.title  # the safe name's stem when no title was given
    assert doc.file.name.startswith(f"evidence/{cyc.assessment_a.pk}/")


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://example.vn/a.pdf", "file:///etc/passwd", "http//thieu", "vanban.gov.vn"]
)
def test_only_http_and_https_links_are_accepted(cyc, cast, url):
    with time_machine.travel(inside("self_assessment")), pytest.raises(ValidationError) as err:
        services.evidence_link_add(assessment=cyc.assessment_a, url=url, title="Văn bản", actor=cast.officer_a)
    assert "http" in err.value.message_dict["url"][0]
    assert not Evidence.objects.exists()


def test_a_link_is_attached_and_counts_as_evidence(cyc, cast, e11):
    with time_machine.travel(inside("self_assessment")):
        services.entry_self_save(entry_id=e11.pk, version=1, declared="97", actor=cast.officer_a)
        assert selectors.grid(cyc.assessment_a).by_entry[e11.pk].missing_evidence
        services.evidence_link_add(
            assessment=cyc.assessment_a,
            url="https://stp.example.gov.vn/bao-cao-2026.pdf",
            title="Báo cáo năm 2026",
            actor=cast.officer_a,
            entry_id=e11.pk,
        )
    row = selectors.grid(cyc.assessment_a).by_entry[e11.pk]
    assert not row.missing_evidence and row.links[0].evidence.kind == "link"


def test_a_document_is_reused_for_another_criterion_of_the_same_report_only(cyc, cast, e11):
    e12 = entry(cyc.assessment_a, "1.2")
    b11 = entry(cyc.assessment_b, "1.1")
    with time_machine.travel(inside("self_assessment")):
        doc = services.evidence_upload(
            assessment=cyc.assessment_a, upload=pdf(), title="Báo cáo", actor=cast.officer_a, entry_id=e11.pk
        )
        services.evidence_attach(assessment=cyc.assessment_a, entry_id=e12.pk, evidence_id=doc.pk, actor=cast.officer_a)
        services.evidence_attach(assessment=cyc.assessment_a, entry_id=e12.pk, evidence_id=doc.pk, actor=cast.officer_a)
        with pytest.raises(Http404):
            services.evidence_attach(
                assessment=cyc.assessment_b, entry_id=b11.pk, evidence_id=doc.pk, actor=cast.officer_b
            )
        with pytest.raises(Http404):
            services.evidence_attach(
                assessment=cyc.assessment_a, entry_id=b11.pk, evidence_id=doc.pk, actor=cast.officer_a
            )
    assert sorted(EntryEvidence.objects.values_list("entry_id", flat=True)) == sorted([e11.pk, e12.pk])
    assert Evidence.objects.count() == 1


def test_detaching_and_withdrawing_keep_the_document(cyc, cast, e11):
    with time_machine.travel(inside("self_assessment")):
        doc = services.evidence_upload(
            assessment=cyc.assessment_a, upload=pdf(), title="Báo cáo", actor=cast.officer_a, entry_id=e11.pk
        )
        services.evidence_detach(assessment=cyc.assessment_a, entry_id=e11.pk, evidence_id=doc.pk, actor=cast.officer_a)
        assert not EntryEvidence.objects.exists()
        services.evidence_attach(assessment=cyc.assessment_a, entry_id=e11.pk, evidence_id=doc.pk, actor=cast.officer_a)
        services.evidence_withdraw(
            assessment=cyc.assessment_a, evidence_id=doc.pk, actor=cast.officer_a, reason="Nhầm văn bản"
        )
        with pytest.raises(ValidationError):
            services.evidence_attach(
                assessment=cyc.assessment_a, entry_id=e11.pk, evidence_id=doc.pk, actor=cast.officer_a
            )
    doc.refresh_from_db()
    assert (
        doc.withdrawn_at is not None and doc.withdrawn_by == cast.officer_a and doc.withdrawn_reason == "Nhầm văn bản"
    )
    assert Path(doc.file.path).exists()
    assert selectors.grid(cyc.assessment_a).by_entry[e11.pk].links == []  # no longer counts


def test_evidence_added_after_submission_is_supplementary_and_nothing_submitted_can_be_removed(cyc, cast, filled):
    e11 = entry(filled, "1.1")
    with time_machine.travel(inside("self_assessment")):
        first = services.evidence_upload(
            assessment=filled, upload=pdf(), title="Gửi kèm", actor=cast.officer_a, entry_id=e11.pk
        )
        services.assessment_submit(assessment=filled, actor=cyc.leader_a)
    later = CLOSES["self_assessment"] + dt.timedelta(days=2)  # self-assessment closed, supplementary open
    with time_machine.travel(later):
        extra = services.evidence_upload(
            assessment=filled, upload=pdf("bo-sung.pdf"), title="Bổ sung", actor=cast.officer_a, entry_id=e11.pk
        )
        e12 = entry(filled, "1.2")
        services.evidence_attach(assessment=filled, entry_id=e12.pk, evidence_id=first.pk, actor=cast.officer_a)
        with pytest.raises(PermissionDenied):
            services.evidence_detach(assessment=filled, entry_id=e11.pk, evidence_id=first.pk, actor=cast.officer_a)
        with pytest.raises(PermissionDenied):
            services.evidence_withdraw(assessment=filled, evidence_id=first.pk, actor=cast.officer_a)
    assert extra.supplementary and not first.supplementary
    assert EntryEvidence.objects.get(entry=e12, evidence=first).supplementary
    assert not EntryEvidence.objects.get(entry=e11, evidence=first).supplementary
    first.refresh_from_db()
    assert first.withdrawn_at is None


def test_no_evidence_is_accepted_after_the_supplementary_window(cyc, cast, filled):
    with time_machine.travel(inside("self_assessment")):
        services.assessment_submit(assessment=filled, actor=cyc.leader_a)
    with time_machine.travel(CLOSES["supplementary"] + dt.timedelta(seconds=1)), pytest.raises(PermissionDenied) as err:
        services.evidence_upload(assessment=filled, upload=pdf(), title="Muộn", actor=cast.officer_a)
    assert "Bổ sung tài liệu kiểm chứng" in str(err.value) and "17:00 ngày 31/12/2026" in str(err.value)
    assert not Evidence.objects.exists()


def test_no_evidence_is_accepted_before_the_self_assessment_window_opens(cyc, cast):
    from parindex.cycles.factories import WINDOWS

    with time_machine.travel(WINDOWS["self_assessment"][0] - dt.timedelta(seconds=1)), pytest.raises(PermissionDenied):
        services.evidence_link_add(
            assessment=cyc.assessment_a, url="https://example.gov.vn/a", title="Sớm", actor=cast.officer_a
        )


# --- downloads --------------------------------------------------------------------------------------------------


@pytest.fixture
def doc(cyc, cast, e11):
    with time_machine.travel(inside("self_assessment")):
        return services.evidence_upload(
            assessment=cyc.assessment_a,
            upload=pdf("bao-cao-<b>.pdf"),
            title="Báo cáo",
            actor=cast.officer_a,
            entry_id=e11.pk,
        )


def test_people_who_may_see_the_report_download_the_file_as_an_attachment(cyc, cast, login, doc):
    for user in (cast.officer_a, cyc.leader_a, cast.manager, cyc.viewer, cyc.chair, cyc.appraiser):
        response = login(user).get(f"/tu-danh-gia/tai-lieu/{doc.pk}/tai-ve/")
        assert response.status_code == 200, user
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Disposition"].startswith("attachment;")
        assert "bao-cao-b.pdf" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Type"] == "application/pdf"


def test_others_cannot_download(cyc, cast, login, client, doc):
    for user in (cast.officer_b, cast.outsider, cast.other_manager):
        assert login(user).get(f"/tu-danh-gia/tai-lieu/{doc.pk}/tai-ve/").status_code == 403, user
    client.logout()
    response = client.get(f"/tu-danh-gia/tai-lieu/{doc.pk}/tai-ve/")
    assert response.status_code == 302 and "/dang-nhap/" in response["Location"]
    assert login(cast.officer_a).get("/tu-danh-gia/tai-lieu/999999/tai-ve/").status_code == 404


def test_media_files_are_not_served_directly(cast, login, doc):
    response = login(cast.officer_a).get(f"/media/{doc.file.name}")
    assert response.status_code == 404
