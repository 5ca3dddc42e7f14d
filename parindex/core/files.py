"""Uploaded documents: an allow-list of types recognised by their content (not their name), a size limit, a safe
file name and the SHA-256. Used for evidence and for the plan's attachments.

Files are stored under ``MEDIA_ROOT``, which is never served directly: downloads go through views that check access
and answer as attachments.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

# kind → (label, content type, accepted extensions)
DOCUMENT_TYPES = {
    "pdf": ("PDF", "application/pdf", {"pdf"}),
    "doc": ("Word 97–2003", "application/msword", {"doc"}),
    "xls": ("Excel 97–2003", "application/vnd.ms-excel", {"xls"}),
    "docx": ("Word", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", {"docx"}),
    "xlsx": ("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", {"xlsx"}),
    "odt": ("OpenDocument", "application/vnd.oasis.opendocument.text", {"odt"}),
    "jpg": ("JPEG", "image/jpeg", {"jpg", "jpeg"}),
    "png": ("PNG", "image/png", {"png"}),
}
ALLOWED_EXTENSIONS_LABEL = "pdf, doc, docx, xls, xlsx, odt, jpg, png"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def max_upload_bytes() -> int:
    return int(getattr(settings, "PARINDEX_EVIDENCE_MAX_BYTES", 20 * 1024 * 1024))


def format_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} byte"


def _sniff_zip(upload) -> str | None:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if "word/document.xml" in names:
                return "docx"
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "mimetype" in names and archive.read("mimetype").strip() == b"application/vnd.oasis.opendocument.text":
                return "odt"
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    return None


def _sniff_ole2(upload) -> str | None:
    """Word or Excel 97–2003: both are OLE2 containers; the stream names tell them apart."""
    upload.seek(0)
    data = upload.read(512 * 1024)
    if b"W\x00o\x00r\x00d\x00D\x00o\x00c\x00u\x00m\x00e\x00n\x00t" in data:
        return "doc"
    if b"W\x00o\x00r\x00k\x00b\x00o\x00o\x00k" in data or b"B\x00o\x00o\x00k" in data:
        return "xls"
    return None


def sniff(upload) -> str | None:
    """The document kind read from the content, or None when it is none of the allowed kinds."""
    upload.seek(0)
    head = upload.read(16)
    kind = None
    if head.startswith(b"%PDF-"):
        kind = "pdf"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = "png"
    elif head.startswith(b"\xff\xd8\xff"):
        kind = "jpg"
    elif head.startswith(b"PK\x03\x04"):
        kind = _sniff_zip(upload)
    elif head.startswith(_OLE2):
        kind = _sniff_ole2(upload)
    upload.seek(0)
    return kind


def safe_name(name: str) -> str:
    """A file name without directories, control characters or markup; Vietnamese letters kept."""
    name = unicodedata.normalize("NFC", str(name or "")).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f<>:\"|?*]", "", name).strip().strip(".")
    name = re.sub(r"\s+", " ", name)
    if not name:
        name = "tai-lieu"
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + dot + ext) if dot else name[:200]
    return name


@dataclass(frozen=True)
class CheckedFile:
    name: str
    kind: str
    content_type: str
    size: int
    sha256: str


def check_upload(upload, *, field: str = "file") -> CheckedFile:
    """Validate an uploaded file; raise ValidationError (Vietnamese, on ``field``) when refused."""
    limit = max_upload_bytes()
    name = safe_name(getattr(upload, "name", ""))
    size = int(getattr(upload, "size", 0) or 0)
    if size == 0:
        raise ValidationError({field: f"Tệp “{name}” rỗng."})
    if size > limit:
        raise ValidationError(
            {field: f"Tệp “{name}” dung lượng {format_size(size)}, vượt giới hạn {format_size(limit)}."}
        )
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kind = sniff(upload)
    if kind is None:
        raise ValidationError(
            {
                field: f"Tệp “{name}” không phải là tài liệu được chấp nhận ({ALLOWED_EXTENSIONS_LABEL}); "
                "loại tệp được xác định theo nội dung, không theo tên."
            }
        )
    label, content_type, extensions = DOCUMENT_TYPES[kind]
    if ext not in extensions:
        raise ValidationError(
            {field: f"Tệp “{name}” có nội dung là {label} nhưng phần mở rộng là “.{ext}”; hãy đặt đúng phần mở rộng."}
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(1 << 20), b""):
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(name=name, kind=kind, content_type=content_type, size=size, sha256=digest.hexdigest())


class SizeLimitUploadHandler(FileUploadHandler):
    """Stops reading an upload as soon as it passes the limit, so a 2 GB file is never written to disk.

    Install it first in ``request.upload_handlers`` before the body is read; views then see
    ``request.upload_too_large``."""

    def __init__(self, request=None, limit: int | None = None):
        super().__init__(request)
        self.limit = limit or max_upload_bytes()
        self.received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # The whole body (files + fields) may exceed the file limit by a little; refuse what is clearly larger.
        # (Django does not catch StopUpload here: remember, and stop at the first file.)
        self.refuse = bool(content_length and content_length > self.limit + 1024 * 1024)
        return None

    def new_file(self, *args, **kwargs):
        if getattr(self, "refuse", False):
            self.request.upload_too_large = True
            raise StopUpload(connection_reset=False)
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        self.received = start + len(raw_data)
        if self.received > self.limit:
            self.request.upload_too_large = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None


def too_large_message() -> str:
    return f"Tệp vượt giới hạn {format_size(max_upload_bytes())}; không có gì được lưu."
