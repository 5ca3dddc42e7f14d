"""Word templates an assessing body may replace: which template a document uses, the upload check, the reset.

An uploaded template must be a real .docx (a zip holding ``word/document.xml``, recognised by its content), that
docxtpl can read, whose every field is one the document kind provides (``contexts.FIELDS``), and that renders with
a sample of the data. Anything else is refused with a message naming the problem and the field; nothing is saved.
Replacing a template deactivates the previous one (kept, never deleted); a reset goes back to the shipped one.
"""

from __future__ import annotations

import difflib
import io
import re
import zipfile

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from jinja2 import Environment, StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError

from parindex.core.files import check_upload, safe_name, sniff
from parindex.core.services import audit_record

from . import contexts
from .docx_templates import shipped_template
from .models import DocumentTemplate, ReportKind
from .registry import TEMPLATE_KINDS, ReportError

__all__ = [
    "document_template_reset",
    "document_template_upload",
    "jinja_env",
    "shipped_template",
    "template_bytes",
    "template_field_docs",
    "template_fields",
    "templates_of",
    "undefined_field",
]

# An uploaded .docx may not unpack to more than this (a zip bomb is refused before docxtpl reads it).
MAX_UNPACKED_BYTES = 60 * 1024 * 1024


def jinja_env() -> Environment:
    """The environment documents are rendered with: a field the data lacks is an error, never a blank."""
    return Environment(undefined=StrictUndefined, autoescape=True)


def _label(kind: str) -> str:
    return str(ReportKind(kind).label) if kind in ReportKind.values else kind


def _check_kind(kind: str) -> None:
    if kind not in TEMPLATE_KINDS:
        raise ValidationError(
            {"kind": f"Loại văn bản “{kind}” không có mẫu Word; các loại có mẫu: {', '.join(TEMPLATE_KINDS)}."}
        )


# --- fields -----------------------------------------------------------------------------------------------------------


def template_fields(kind: str) -> list[str]:
    """The fields a template of ``kind`` may use (top level, in the documented order)."""
    return contexts.field_names(kind)


def template_field_docs(kind: str) -> list[dict]:
    """The documented fields for the UI: name, label, and the fields of each row for lists of rows."""

    def doc(field: contexts.Field) -> dict:
        return {"name": field.name, "label": field.label, "items": [doc(item) for item in field.items]}

    return [doc(field) for field in contexts.FIELDS[kind]]


def undefined_field(exc: Exception) -> str:
    """The field named by a Jinja error ("'x' is undefined", "… has no attribute 'x'"), or ""."""
    text = str(getattr(exc, "message", "") or exc)
    for pattern in (r"has no attribute '([^']+)'", r"'([^']+)' is undefined", r"no attribute '([^']+)'"):
        found = re.search(pattern, text)
        if found:
            return found.group(1)
    return ""


def _unknown_field_message(kind: str, name: str, known: list[str]) -> str:
    guess = difflib.get_close_matches(name, known, n=1)
    hint = f" (có phải “{guess[0]}”?)" if guess else ""
    return f"Mẫu dùng trường “{name}” không có trong văn bản “{_label(kind)}”{hint}; các trường có: {', '.join(known)}."


def _row_fields(fields, prefix: str = "") -> list[str]:
    names = []
    for field in fields:
        if field.items:
            names += [f"{prefix}{field.name}[].{item.name}" for item in field.items]
            names += _row_fields(field.items, f"{prefix}{field.name}[].")
    return names


def _unknown_row_field_message(kind: str, name: str) -> str:
    """A misspelt field of a row (``{{ d.ten_dv }}`` inside a loop): the fields rows have."""
    rows = _row_fields(contexts.FIELDS[kind])
    leaves = sorted({path.rsplit(".", 1)[-1] for path in rows})
    guess = difflib.get_close_matches(name, leaves, n=1)
    hint = f" (có phải “{guess[0]}”?)" if guess else ""
    return (
        f"Mẫu dùng trường “{name}” không có trong văn bản “{_label(kind)}”{hint}; các trường của từng dòng: "
        f"{', '.join(rows)}."
    )


# --- which template ---------------------------------------------------------------------------------------------------


def active_template(*, owner, kind: str) -> DocumentTemplate | None:
    return DocumentTemplate.objects.filter(owner=owner, kind=kind, active=True).first()


def template_bytes(*, owner, kind: str) -> bytes:
    """The owner's active template of ``kind``, else the shipped one."""
    custom = active_template(owner=owner, kind=kind) if owner is not None else None
    if custom is None:
        return shipped_template(kind)
    try:
        with custom.file.open("rb") as handle:
            return handle.read()
    except (OSError, ValueError):
        raise ReportError(
            f"Không đọc được mẫu Word “{custom.original_name}” của {owner.name}: tệp mẫu không còn trên máy chủ. "
            "Hãy tải mẫu lên lại hoặc dùng lại mẫu mặc định."
        ) from None


def templates_of(owner) -> list[dict]:
    """Per kind with a Word template: its label and the owner's active custom template (None: shipped one)."""
    active = {
        t.kind: t for t in DocumentTemplate.objects.filter(owner=owner, active=True).select_related("uploaded_by")
    }
    return [{"kind": kind, "label": _label(kind), "custom": active.get(kind)} for kind in TEMPLATE_KINDS]


# --- the upload check -------------------------------------------------------------------------------------------------


def _read(upload) -> bytes:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data


def check_template(*, kind: str, content: bytes, name: str = "mẫu.docx") -> None:
    """Raise ValidationError (on ``file``) unless ``content`` is a .docx template docxtpl can render for ``kind``."""
    from docxtpl import DocxTemplate

    def refuse(message: str):
        raise ValidationError({"file": message})

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if "word/document.xml" not in archive.namelist():
                refuse(f"Tệp “{name}” không phải là tệp Word .docx (thiếu word/document.xml).")
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                refuse(f"Tệp “{name}” quá lớn khi giải nén; mẫu Word không được vượt 60 MB.")
    except zipfile.BadZipFile:
        refuse(f"Tệp “{name}” không phải là tệp Word .docx.")
    known = template_fields(kind)
    try:
        template = DocxTemplate(io.BytesIO(content))
        used = template.get_undeclared_template_variables(jinja_env())
    except TemplateSyntaxError as exc:
        refuse(f"Mẫu “{name}” có thẻ viết sai cú pháp: {exc.message}. Kiểm tra các cặp {{{{ … }}}} và {{% … %}}.")
    except Exception as exc:  # noqa: BLE001 — any reading failure is the file's problem
        refuse(f"Không đọc được mẫu “{name}” ({exc.__class__.__name__}): hãy lưu lại tệp bằng Word dưới dạng .docx.")
    unknown = sorted(set(used) - set(known))
    if unknown:
        refuse(_unknown_field_message(kind, unknown[0], known))
    try:
        template = DocxTemplate(io.BytesIO(content))
        template.render(contexts.sample_context(kind), jinja_env=jinja_env(), autoescape=True)
        template.save(io.BytesIO())
    except UndefinedError as exc:
        field = undefined_field(exc) or str(exc)
        refuse(_unknown_row_field_message(kind, field))
    except TemplateError as exc:
        refuse(f"Mẫu “{name}” không dựng được văn bản: {exc}.")
    except Exception as exc:  # noqa: BLE001
        refuse(f"Mẫu “{name}” không dựng được văn bản ({exc.__class__.__name__}: {exc}).")


# --- services ---------------------------------------------------------------------------------------------------------


def document_template_upload(*, owner, kind: str, upload, actor) -> DocumentTemplate:
    """Check and store ``upload`` as the owner's template of ``kind``; the previous one is kept, inactive."""
    _check_kind(kind)
    name = safe_name(getattr(upload, "name", "") or "mau.docx")
    if sniff(upload) != "docx":
        message = f"Tệp “{name}” không phải là tệp Word .docx (loại tệp được xác định theo nội dung, không theo tên)."
        raise ValidationError({"file": message})
    checked = check_upload(upload, field="file")
    content = _read(upload)
    check_template(kind=kind, content=content, name=checked.name)
    with transaction.atomic():
        previous = list(
            DocumentTemplate.objects.select_for_update().filter(owner=owner, kind=kind, active=True).order_by("pk")
        )
        for old in previous:
            old.active = False
            old.save(update_fields=["active", "updated_at"])
        template = DocumentTemplate(
            kind=kind, owner=owner, original_name=checked.name, sha256=checked.sha256, active=True, uploaded_by=actor
        )
        stored = f"{kind}-{checked.sha256[:12]}.docx"
        template.file.save(stored, ContentFile(content), save=False)
        template.save()
        audit_record(
            actor=actor,
            action="reports.template_uploaded",
            obj=template,
            unit=owner,
            changes={"kind": kind, "file": checked.name, "replaced": [t.pk for t in previous]},
        )
    return template


def document_template_reset(*, owner, kind: str, actor) -> None:
    """Deactivate the owner's template of ``kind``: the shipped template is used again."""
    _check_kind(kind)
    with transaction.atomic():
        active = list(DocumentTemplate.objects.select_for_update().filter(owner=owner, kind=kind, active=True))
        for template in active:
            template.active = False
            template.save(update_fields=["active", "updated_at"])
        audit_record(
            actor=actor,
            action="reports.template_reset",
            object_type="reports.documenttemplate",
            object_id=",".join(str(t.pk) for t in active),
            object_repr=f"{_label(kind)} — mẫu mặc định",
            unit=owner,
            changes={"kind": kind, "deactivated": [t.pk for t in active]},
        )
