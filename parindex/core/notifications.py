"""Notices to users: an in-app notification, and an e-mail sent by a background job after the transaction commits.

Services call :func:`notify` inside their transaction. ``key`` makes a notice idempotent per user (the command that
warns of closing windows may run every hour without repeating itself).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from .models import Notification

log = logging.getLogger(__name__)


def notify(*, users, key: str, title: str, body: str = "", url: str = "", email: bool = True) -> list[Notification]:
    """Create the notice for each user that has not had it yet; e-mail them after commit."""
    users = [u for u in users if u is not None and getattr(u, "is_active", True)]
    if not users:
        return []
    have = set(Notification.objects.filter(key=key, user__in=users).values_list("user_id", flat=True))
    created = Notification.objects.bulk_create(
        [
            Notification(user=u, key=key[:200], title=title[:300], body=body, url=url[:500])
            for u in {u.pk: u for u in users}.values()
            if u.pk not in have
        ]
    )
    if email and created:
        ids = [n.pk for n in created if n.pk]
        if not ids:  # backends without RETURNING ids on bulk_create
            ids = list(Notification.objects.filter(key=key, emailed_at__isnull=True).values_list("pk", flat=True))
        transaction.on_commit(lambda: notifications_email.enqueue(ids))
    return created


@task()
def notifications_email(notification_ids: list[int]) -> int:
    """Send each notice by e-mail; a failure is recorded on the notice, never raised to the user's request."""
    sent = 0
    base = getattr(settings, "PARINDEX_BASE_URL", "").rstrip("/")
    for notice in Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True).select_related("user"):
        if not notice.user.email:
            continue
        link = f"\n\n{base}{notice.url}" if notice.url else ""
        try:
            send_mail(
                subject=f"[Chỉ số CCHC] {notice.title}",
                message=f"{notice.body}{link}\n\n— parindex",
                from_email=None,
                recipient_list=[notice.user.email],
            )
        except Exception as exc:  # noqa: BLE001 — any transport error is recorded and the batch goes on
            log.warning("notice %s not e-mailed: %s", notice.pk, exc)
            Notification.objects.filter(pk=notice.pk).update(email_error=str(exc)[:500])
            continue
        Notification.objects.filter(pk=notice.pk).update(emailed_at=timezone.now(), email_error="")
        sent += 1
    return sent
