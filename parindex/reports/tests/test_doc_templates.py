"""Replaceable Word templates: the shipped ones, the upload check (misspelt fields, files that are not .docx), the
round trip of a custom template and the reset to the shipped one."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document
from docxtpl import DocxTemplate

from parindex.core.models import AuditEvent
from parindex.reports import contexts
from parindex.reports.doc_templates import (
    document_template_reset,
    document_template_upload,
    jinja_env,
    shipped_template,
    template_bytes,
    template_field_docs,
    template_fields,
    templates_of,
)
from parindex.reports.docx_templates import new_document, para
from parindex.reports.models import DocumentTemplate
from parindex.reports.registry import TEMPLATE_KINDS, ReportRequest, build
from parindex.scoring.services import resultset_approve, resultset_publish

EXTRA = "Câu riêng của Sở Nội vụ tỉnh Thử Nghiệm trong mẫu tự soạn."


@pytest.fixture
def published(res, cast):
    resultset_approve(result_set=res.result_set, actor=res.chair)
    resultset_publish(result_set=res.result_set, actor=cast.manager)
    return res


def upload_of(content: bytes, name: str = "mau-quyet-dinh.docx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def with_paragraph(content: bytes, text: str) -> bytes:
    """The template with one more paragraph at the end of its body."""
    doc = Document(io.BytesIO(content))
    doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def docx_all_text(content: bytes) -> str:
    doc = Document(io.BytesIO(content))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def decision_docx(cyc) -> bytes:
    return build(ReportRequest(kind="decision", fmt="docx", cycle=cyc.cycle)).content


# --- the shipped templates ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", TEMPLATE_KINDS)
def test_every_shipped_template_uses_only_documented_fields_and_renders_the_sample(kind):
    content = shipped_template(kind)
    template = DocxTemplate(io.BytesIO(content))
    used = template.get_undeclared_template_variables(jinja_env())
    assert used <= set(template_fields(kind))
    assert {"co_quan_ban_hanh", "dia_danh_ngay", "loai_van_ban", "trich_yeu"} <= used
    template.render(contexts.sample_context(kind), jinja_env=jinja_env(), autoescape=True)
    out = io.BytesIO()
    template.save(out)
    text = docx_all_text(out.getvalue())
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text


def test_the_shipped_template_is_built_once_and_is_a_docx():
    assert shipped_template("decision") is shipped_template("decision")
    with zipfile.ZipFile(io.BytesIO(shipped_template("decision"))) as archive:
        assert "word/document.xml" in archive.namelist()


def test_the_documented_fields_describe_rows_too():
    docs = {d["name"]: d for d in template_field_docs("decision")}
    assert docs["co_quan_ban_hanh"]["label"]
    rows = {d["name"] for d in docs["cac_nhom"]["items"]}
    assert {"ten_nhom", "dong"} <= rows
    assert {d["name"] for d in next(i for i in docs["cac_nhom"]["items"] if i["name"] == "dong")["items"]} == {
        "stt",
        "ten_don_vi",
        "diem",
        "chi_so",
        "xep_hang",
        "xep_loai",
    }


# --- the round trip -----------------------------------------------------------------------------------------------


def test_a_custom_template_is_used_until_it_is_reset(published, cast):
    owner = published.cycle.assessor
    assert templates_of(owner)[0]["custom"] is None
    custom = with_paragraph(shipped_template("decision"), EXTRA)
    template = document_template_upload(owner=owner, kind="decision", upload=upload_of(custom), actor=cast.manager)

    assert template.active and template.original_name == "mau-quyet-dinh.docx" and len(template.sha256) == 64
    assert template_bytes(owner=owner, kind="decision") == custom
    assert {t["kind"]: t["custom"] for t in templates_of(owner)}["decision"] == template
    assert AuditEvent.objects.filter(action="reports.template_uploaded", object_id=str(template.pk)).exists()
    text = docx_all_text(decision_docx(published))
    assert EXTRA in text
    assert "Sở Tài chính" in text and "66,67" in text  # the data still fills the custom template

    document_template_reset(owner=owner, kind="decision", actor=cast.manager)
    template.refresh_from_db()
    assert not template.active  # kept, not deleted
    assert template_bytes(owner=owner, kind="decision") == shipped_template("decision")
    assert EXTRA not in docx_all_text(decision_docx(published))
    assert AuditEvent.objects.filter(action="reports.template_reset").exists()


def test_a_new_upload_replaces_the_active_template_and_keeps_the_old_one(cast, cyc):
    owner = cyc.cycle.assessor
    first = document_template_upload(
        owner=owner, kind="decision", upload=upload_of(shipped_template("decision")), actor=cast.manager
    )
    replacement = with_paragraph(shipped_template("decision"), EXTRA)  # built once: a zip records the time
    second = document_template_upload(owner=owner, kind="decision", upload=upload_of(replacement), actor=cast.manager)
    first.refresh_from_db()
    assert not first.active and second.active
    assert DocumentTemplate.objects.filter(owner=owner, kind="decision").count() == 2
    assert template_bytes(owner=owner, kind="decision") == replacement


def test_templates_belong_to_their_assessing_body(cast, cyc):
    document_template_upload(
        owner=cyc.cycle.assessor,
        kind="decision",
        upload=upload_of(with_paragraph(shipped_template("decision"), EXTRA)),
        actor=cast.manager,
    )
    assert template_bytes(owner=cast.other_province, kind="decision") == shipped_template("decision")


# --- refused uploads: nothing saved ---------------------------------------------------------------------------------


def _refused(cast, cyc, content: bytes, name: str = "mau.docx", kind: str = "decision") -> str:
    with pytest.raises(ValidationError) as caught:
        document_template_upload(
            owner=cyc.cycle.assessor, kind=kind, upload=upload_of(content, name), actor=cast.manager
        )
    assert not DocumentTemplate.objects.exists()
    assert not AuditEvent.objects.filter(action="reports.template_uploaded").exists()
    return " ".join(caught.value.messages)


def test_a_template_with_a_misspelt_field_is_refused_naming_it(cast, cyc):
    content = with_paragraph(shipped_template("decision"), "Kính gửi {{ ten_don_vi_sai }}")
    message = _refused(cast, cyc, content)
    assert "“ten_don_vi_sai”" in message
    assert "các trường có:" in message and "co_quan_ban_hanh" in message


def test_a_template_with_a_misspelt_field_of_a_row_is_refused_naming_it(cast, cyc):
    doc = new_document()
    para(doc, "{%p for nhom in cac_nhom %}")
    para(doc, "{{ nhom.ten_nhom_sai }}")
    para(doc, "{%p endfor %}")
    out = io.BytesIO()
    doc.save(out)
    message = _refused(cast, cyc, out.getvalue())
    assert "“ten_nhom_sai”" in message and "có phải “ten_nhom”" in message


def test_a_field_close_to_a_real_one_gets_a_suggestion(cast, cyc):
    content = with_paragraph(shipped_template("self_assessment"), "{{ ten_don_v }}")
    message = _refused(cast, cyc, content, kind="self_assessment")
    assert "“ten_don_v”" in message and "có phải “ten_don_vi”" in message


def test_a_template_with_a_broken_tag_is_refused(cast, cyc):
    content = with_paragraph(shipped_template("decision"), "{{ nam ")
    assert "cú pháp" in _refused(cast, cyc, content)


def test_a_text_file_renamed_docx_is_refused(cast, cyc):
    message = _refused(cast, cyc, "Đây là tệp văn bản thường.".encode(), "mau.docx")
    assert "không phải là tệp Word .docx" in message


def test_a_zip_without_a_word_document_is_refused(cast, cyc):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "không phải Word")
    message = _refused(cast, cyc, out.getvalue(), "mau.docx")
    assert "không phải là tệp Word .docx" in message


def test_a_docx_with_another_extension_is_refused(cast, cyc):
    assert "phần mở rộng" in _refused(cast, cyc, shipped_template("decision"), "mau.pdf")


def test_a_kind_without_a_word_template_is_refused(cast, cyc):
    with pytest.raises(ValidationError, match="không có mẫu Word"):
        document_template_upload(
            owner=cyc.cycle.assessor, kind="ranking", upload=upload_of(shipped_template("decision")), actor=cast.manager
        )
