"""Word and PDF documents: the decision with its annex, the report on the results, the appraisal minutes, a unit's
self-assessment report and scorecard, and the ranking (PDF).

Both formats render the same context (``contexts``): Word through docxtpl with the assessing body's template (or
the shipped one), PDF through a Django template under ``reports/pdf/`` printed by WeasyPrint. Charts come from
``parindex.reports.charts``: a PNG in Word, inline SVG in PDF. Every problem the user can fix is a ``ReportError``
in Vietnamese; the document is returned only once it is complete.
"""

from __future__ import annotations

import io
import logging
import re
from contextlib import contextmanager

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.text import slugify

from parindex.core.text import fold

from . import contexts
from .models import ReportKind
from .registry import DOCX, PDF, Built, Progress, ReportError, ReportRequest

log = logging.getLogger(__name__)

STEPS = 3
# Width of a chart in Word (the text is 165 mm wide).
CHART_WIDTH_MM = 150


def filename_for(req: ReportRequest, ext: str) -> str:
    """ASCII, e.g. ``quyet-dinh-cong-bo-ket-qua-2026.docx``, ``phieu-ket-qua-2026-p99-stp.pdf``."""
    label = ReportKind(req.kind).label if req.kind in ReportKind.values else req.kind
    parts = [fold(str(label)), str(req.cycle.year)]
    if req.unit is not None:
        parts.append(fold(req.unit.code))
    if req.group is not None:
        parts.append(fold(req.group.code))
    stem = slugify(" ".join(parts))[:150] or "van-ban"
    return f"{stem}.{ext}"


def _context(req: ReportRequest, progress: Progress) -> dict:
    progress(0, STEPS, "Đang tổng hợp số liệu…")
    ctx = contexts.build_context(req)
    progress(1, STEPS, "Đã tổng hợp số liệu")
    return ctx


# --- charts -----------------------------------------------------------------------------------------------------------


def _charts_module():
    """``parindex.reports.charts`` when it is installed (written by another part of the project), else None."""
    try:
        from . import charts
    except ImportError:
        return None
    return charts


def _attach_charts(ctx: dict, picture) -> None:
    """Draw the charts ``ctx`` asks for and put ``picture(chart)`` in their slots (and the text alternative)."""
    requests = ctx.pop("_charts", [])
    module = _charts_module() if requests else None
    if module is None:
        return
    for request in requests:
        target = ctx
        for key in request["at"]:
            target = target[key]
        try:
            drawn = getattr(module, request["function"])(**request["kwargs"])
            target[request["slot"]] = picture(drawn)
            target[request["slot"] + "_mo_ta"] = drawn.alt
        except Exception:  # noqa: BLE001 — a chart that cannot be drawn leaves its slot empty, the text stays
            log.exception("chart %s failed", request["function"])


_XML_PROLOG = re.compile(r"^\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?", re.IGNORECASE)


def inline_svg(svg: str) -> str:
    """An SVG document as an element to put in HTML (without its XML declaration and doctype)."""
    return _XML_PROLOG.sub("", svg, count=1)


# --- Word -------------------------------------------------------------------------------------------------------------


def render_docx(*, kind: str, template: bytes, ctx: dict) -> bytes:
    """Render ``ctx`` into the docxtpl ``template``; a template problem becomes a ``ReportError`` naming the field."""
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage
    from jinja2 import TemplateError, UndefinedError

    from .doc_templates import jinja_env, template_fields, undefined_field

    label = ReportKind(kind).label if kind in ReportKind.values else kind
    try:
        document = DocxTemplate(io.BytesIO(template))
    except Exception as exc:  # noqa: BLE001
        raise ReportError(
            f"Không đọc được mẫu Word của “{label}” ({exc.__class__.__name__}): hãy tải mẫu lên lại hoặc dùng lại "
            "mẫu mặc định."
        ) from exc
    _attach_charts(ctx, lambda chart: InlineImage(document, io.BytesIO(chart.png(dpi=150)), width=Mm(CHART_WIDTH_MM)))
    try:
        document.render(ctx, jinja_env=jinja_env(), autoescape=True)
        out = io.BytesIO()
        document.save(out)
    except UndefinedError as exc:
        field = undefined_field(exc) or str(exc)
        raise ReportError(
            f"Mẫu Word của “{label}” dùng trường “{field}” không có trong dữ liệu; các trường có: "
            f"{', '.join(template_fields(kind))}. Hãy sửa mẫu hoặc dùng lại mẫu mặc định."
        ) from exc
    except TemplateError as exc:
        raise ReportError(f"Mẫu Word của “{label}” có lỗi ({exc}). Hãy sửa mẫu hoặc dùng lại mẫu mặc định.") from exc
    return out.getvalue()


def document_docx(req: ReportRequest, progress: Progress) -> Built:
    from .doc_templates import template_bytes

    ctx = _context(req, progress)
    template = template_bytes(owner=req.cycle.assessor, kind=req.kind)
    progress(2, STEPS, "Đang dựng văn bản Word…")
    content = render_docx(kind=req.kind, template=template, ctx=ctx)
    progress(3, STEPS, "Đã dựng văn bản Word")
    return Built(content=content, filename=filename_for(req, DOCX))


# --- PDF --------------------------------------------------------------------------------------------------------------


def _weasyprint_html():
    """WeasyPrint's HTML class, imported only when a PDF is made (it loads Pango through cffi)."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:
        raise ReportError(
            "Máy chủ chưa tạo được tệp PDF: thư viện WeasyPrint hoặc Pango chưa được cài đặt đúng "
            f"({exc.__class__.__name__}). Hãy tải bản Word, hoặc báo quản trị viên cài đặt theo README."
        ) from exc
    return HTML


@contextmanager
def _quiet_weasyprint():
    """WeasyPrint warns about every SVG presentation property of inline charts it reads through its CSS parser
    ("Ignored `fill: …`"): keep its log to errors while a document is printed."""
    logger = logging.getLogger("weasyprint")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def render_pdf(*, kind: str, ctx: dict) -> bytes:
    HTML = _weasyprint_html()  # noqa: N806 — the class WeasyPrint exports
    _attach_charts(ctx, lambda chart: mark_safe(inline_svg(chart.svg)))  # noqa: S308 — SVG drawn by our charts module
    html = render_to_string(f"reports/pdf/{kind}.html", ctx)
    with _quiet_weasyprint():
        return HTML(string=html).write_pdf()


def document_pdf(req: ReportRequest, progress: Progress) -> Built:
    ctx = _context(req, progress)
    progress(2, STEPS, "Đang dựng tệp PDF…")
    content = render_pdf(kind=req.kind, ctx=ctx)
    progress(3, STEPS, "Đã dựng tệp PDF")
    return Built(content=content, filename=filename_for(req, PDF))
