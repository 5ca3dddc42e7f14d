"""The report kinds: which formats each offers, whether it is about one unit, and the function that builds it.

A builder is ``build(req: ReportRequest, progress: Progress) -> Built``. It reads through selectors, raises
``ReportError`` with a Vietnamese message for anything the user can fix (no results yet, a broken template), calls
``progress(done, total, label)`` as it goes, and returns the complete file in memory: nothing is written anywhere
until the whole document exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from .models import ReportFormat, ReportKind

XLSX, DOCX, PDF = ReportFormat.XLSX.value, ReportFormat.DOCX.value, ReportFormat.PDF.value

CONTENT_TYPES = {
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    PDF: "application/pdf",
}


class ReportError(Exception):
    """Something the user can fix or must know (no result yet, a template with a misspelt field…)."""


@dataclass
class ReportRequest:
    kind: str
    fmt: str
    cycle: object  # cycles.Cycle
    unit: object | None = None  # orgs.OrgUnit, for the unit's own documents
    group: object | None = None  # orgs.UnitGroup, to narrow a cycle's documents to one group
    actor: object | None = None


@dataclass
class Built:
    content: bytes
    filename: str  # ASCII, without directories, with the extension of the format


Progress = Callable[[int, int, str], None]


def no_progress(done: int, total: int, label: str = "") -> None:
    return None


@dataclass(frozen=True)
class ReportSpec:
    kind: str
    builders: dict  # format → dotted path of the builder
    needs_unit: bool = False
    description: str = ""

    @property
    def label(self) -> str:
        return ReportKind(self.kind).label

    @property
    def formats(self) -> tuple[str, ...]:
        return tuple(self.builders)


_E = "parindex.reports.excel."
_D = "parindex.reports.documents."

SPECS: dict[str, ReportSpec] = {
    spec.kind: spec
    for spec in [
        ReportSpec(
            ReportKind.RESULTS,
            {XLSX: _E + "results_xlsx"},
            description=_("Mọi đơn vị × lĩnh vực × tiêu chí: điểm tự chấm, thẩm định, điều tra XHH và điểm cuối cùng."),
        ),
        ReportSpec(
            ReportKind.RANKING,
            {XLSX: _E + "ranking_xlsx", PDF: _D + "document_pdf"},
            description=_("Xếp hạng, xếp loại và thay đổi so với năm trước, theo từng nhóm đơn vị."),
        ),
        ReportSpec(
            ReportKind.SELF_ASSESSMENT,
            {XLSX: _E + "self_assessment_xlsx", DOCX: _D + "document_docx", PDF: _D + "document_pdf"},
            needs_unit=True,
            description=_(
                "Báo cáo tự đánh giá theo mẫu của Bộ Nội vụ: bảng tổng hợp, giải trình, khó khăn và kiến nghị."
            ),
        ),
        ReportSpec(
            ReportKind.SCORECARD,
            {PDF: _D + "document_pdf", DOCX: _D + "document_docx"},
            needs_unit=True,
            description=_("Chỉ số, xếp hạng, điểm theo lĩnh vực và tiêu chí, điểm bị trừ và xu hướng qua các năm."),
        ),
        ReportSpec(
            ReportKind.SURVEY,
            {XLSX: _E + "survey_xlsx"},
            description=_("Tiến độ khảo sát theo đơn vị và nhóm đối tượng, và điểm điều tra XHH theo tiêu chí."),
        ),
        ReportSpec(
            ReportKind.PLAN,
            {XLSX: _E + "plan_xlsx"},
            description=_("Các nhiệm vụ của kế hoạch, đơn vị chủ trì, thời hạn và tình trạng."),
        ),
        ReportSpec(
            ReportKind.APPRAISAL_MINUTES,
            {DOCX: _D + "document_docx", PDF: _D + "document_pdf"},
            description=_("Biên bản họp Hội đồng thẩm định: thành phần, kết quả thẩm định từng đơn vị."),
        ),
        ReportSpec(
            ReportKind.RESULTS_REPORT,
            {DOCX: _D + "document_docx", PDF: _D + "document_pdf"},
            description=_("Báo cáo kết quả xác định Chỉ số CCHC gửi Ủy ban nhân dân tỉnh."),
        ),
        ReportSpec(
            ReportKind.DECISION,
            {DOCX: _D + "document_docx", PDF: _D + "document_pdf"},
            description=_("Quyết định công bố kết quả Chỉ số CCHC kèm phụ lục bảng xếp hạng."),
        ),
    ]
}

# Kinds whose Word template an assessing body may replace.
TEMPLATE_KINDS = [kind for kind, spec in SPECS.items() if DOCX in spec.builders]


def spec_for(kind: str) -> ReportSpec:
    try:
        return SPECS[kind]
    except KeyError:
        raise ReportError(f"Không có loại báo cáo “{kind}”. Các loại: {', '.join(SPECS)}.") from None


def build(req: ReportRequest, progress: Progress = no_progress) -> Built:
    spec = spec_for(req.kind)
    if req.fmt not in spec.builders:
        raise ReportError(
            f"Báo cáo “{spec.label}” không có định dạng {req.fmt}; chọn một trong: {', '.join(spec.formats)}."
        )
    if spec.needs_unit and req.unit is None:
        raise ReportError(f"Báo cáo “{spec.label}” cần chọn đơn vị.")
    return import_string(spec.builders[req.fmt])(req, progress)
