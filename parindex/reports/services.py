"""Report jobs: request, run (with progress), keep the file. Every job is audited."""

from __future__ import annotations

import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from parindex.core.services import audit_record

from .models import ReportJob, ReportState
from .registry import Built, ReportError, ReportRequest, build, spec_for

log = logging.getLogger(__name__)


def report_request(*, kind: str, fmt: str, cycle, actor, unit=None, group=None, run_now: bool = False) -> ReportJob:
    """Record a request and build it as a background job (``run_now``: in this call). Checks the kind, format and
    unit first so that a request that cannot succeed is refused at once (``ReportError``)."""
    spec = spec_for(kind)
    if fmt not in spec.formats:
        raise ReportError(
            f"Báo cáo “{spec.label}” không có định dạng {fmt}; chọn một trong: {', '.join(spec.formats)}."
        )
    if spec.needs_unit and unit is None:
        raise ReportError(f"Báo cáo “{spec.label}” cần chọn đơn vị.")
    with transaction.atomic():
        job = ReportJob.objects.create(
            kind=kind,
            format=fmt,
            cycle=cycle,
            unit=unit if spec.needs_unit else None,
            group=group,
            requested_by=actor,
            progress_label="Đang chờ đến lượt…",
        )
        audit_record(actor=actor, action="reports.requested", obj=job, unit=cycle.assessor)
        if not run_now:
            transaction.on_commit(lambda: report_build_job.enqueue(job.pk))
    if run_now:
        report_build_job.call(job.pk)
        job.refresh_from_db()
    return job


def _progress_writer(job_id: int):
    def progress(done: int, total: int, label: str = "") -> None:
        ReportJob.objects.filter(pk=job_id).update(
            progress_done=max(0, done), progress_total=max(0, total), progress_label=label[:200]
        )

    return progress


@task()
def report_build_job(job_id: int) -> str:
    """Build the file; on success store it and mark the job done, on failure keep a readable message and no file."""
    job = ReportJob.objects.select_related("cycle", "unit", "group", "requested_by").get(pk=job_id)
    ReportJob.objects.filter(pk=job_id).update(
        state=ReportState.RUNNING, started_at=timezone.now(), progress_label="Đang tạo…", error=""
    )
    req = ReportRequest(
        kind=job.kind, fmt=job.format, cycle=job.cycle, unit=job.unit, group=job.group, actor=job.requested_by
    )
    try:
        built = build(req, _progress_writer(job_id))
        if not isinstance(built, Built) or not built.content:
            raise ReportError("Trình tạo báo cáo không trả về tệp nào.")
    except ReportError as exc:
        _fail(job_id, str(exc))
        return "failed"
    except Exception as exc:  # noqa: BLE001 — the user gets a readable message, the log the traceback
        log.exception("report job %s failed", job_id)
        _fail(
            job_id,
            f"Không tạo được báo cáo do lỗi hệ thống ({exc.__class__.__name__}). Hãy thử lại hoặc báo quản trị viên.",
        )
        return "failed"
    job.refresh_from_db()
    job.file.save(built.filename, ContentFile(built.content), save=False)
    job.filename = built.filename
    job.size = len(built.content)
    job.state = ReportState.DONE
    job.finished_at = timezone.now()
    job.progress_done = job.progress_total = max(job.progress_total, 1)
    job.progress_label = "Hoàn tất"
    job.save(
        update_fields=[
            "file",
            "filename",
            "size",
            "state",
            "finished_at",
            "progress_done",
            "progress_total",
            "progress_label",
            "updated_at",
        ]
    )
    return "done"


def _fail(job_id: int, message: str) -> None:
    ReportJob.objects.filter(pk=job_id).update(
        state=ReportState.FAILED, error=message[:4000], finished_at=timezone.now(), progress_label=""
    )
