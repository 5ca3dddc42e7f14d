"""Reads for the report pages and endpoints: jobs (mine, a cycle's), the kinds offered, the Word templates of an
assessing body."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import DocumentTemplate, ReportJob
from .registry import SPECS, TEMPLATE_KINDS


def _jobs() -> QuerySet[ReportJob]:
    return ReportJob.objects.select_related("cycle", "unit", "group", "requested_by")


def jobs_of(user) -> QuerySet[ReportJob]:
    """The jobs the user asked for, newest first."""
    if not getattr(user, "is_authenticated", False):
        return ReportJob.objects.none()
    return _jobs().filter(requested_by=user)


def cycle_jobs(cycle) -> QuerySet[ReportJob]:
    """Every job of a cycle, newest first (for its managers)."""
    return _jobs().filter(cycle=cycle)


def kind_rows(kinds: list[str] | None = None) -> list[dict]:
    """The report kinds with their label, description, formats and whether a unit must be chosen."""
    return [
        {
            "kind": spec.kind,
            "label": str(spec.label),
            "description": str(spec.description),
            "formats": list(spec.formats),
            "needs_unit": spec.needs_unit,
        }
        for kind, spec in SPECS.items()
        if kinds is None or kind in kinds
    ]


def template_rows(owner) -> list[dict]:
    """Per document kind with a Word version: the template in use (the owner's own upload, or the shipped one), who
    uploaded it and when, how many earlier uploads are kept, and the fields a template may use."""
    from .doc_templates import template_field_docs, template_fields

    uploads: dict[str, list[DocumentTemplate]] = {}
    for template in DocumentTemplate.objects.filter(owner=owner).select_related("uploaded_by").order_by("-created_at"):
        uploads.setdefault(template.kind, []).append(template)
    rows = []
    for kind in TEMPLATE_KINDS:
        kept = uploads.get(kind, [])
        active = next((t for t in kept if t.active), None)
        rows.append(
            {
                "kind": kind,
                "label": str(SPECS[kind].label),
                "custom": active,
                "earlier": len([t for t in kept if not t.active]),
                "fields": list(template_fields(kind)),
                "field_docs": template_field_docs(kind),
            }
        )
    return rows


def shipped_filename(kind: str) -> str:
    return f"mau-goc-{kind.replace('_', '-')}.docx"


def current_filename(row_or_template, kind: str) -> str:
    if row_or_template is not None and getattr(row_or_template, "original_name", ""):
        return row_or_template.original_name
    return shipped_filename(kind)


def latest_job(*, cycle, kind: str, group=None) -> ReportJob | None:
    """The newest job of that kind for the cycle (and group), e.g. the decision drafted when results are published."""
    return _jobs().filter(cycle=cycle, kind=kind, group=group).order_by("-created_at", "-pk").first()
