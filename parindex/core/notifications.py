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


EMAIL_BATCH = 200  # notices per e-mail job


def notify_batch(items, *, email: bool = True) -> list[Notification]:
    """Many notices at once: ``items`` of ``{"users", "key", "title", "body", "url"}``. Like :func:`notify`, each
    user gets a key once; one query reads who already has the keys, one bulk insert writes the rest, and the e-mails
    go in jobs of ``EMAIL_BATCH`` after commit (the deadline notices of thousands of units)."""
    items = list(items)
    keys = {item["key"][:200] for item in items}
    if not keys:
        return []
    done = set(Notification.objects.filter(key__in=keys).values_list("user_id", "key"))
    pending = []
    for item in items:
        key = item["key"][:200]
        for user in item["users"]:
            if user is None or not getattr(user, "is_active", True) or (user.pk, key) in done:
                continue
            done.add((user.pk, key))
            pending.append(
                Notification(
                    user=user,
                    key=key,
                    title=item["title"][:300],
                    body=item.get("body", ""),
                    url=item.get("url", "")[:500],
                )
            )
    created = Notification.objects.bulk_create(pending, batch_size=500)
    if email and created:
        ids = [n.pk for n in created if n.pk]
        if not ids:  # backends without RETURNING ids on bulk_create
            ids = list(
                Notification.objects.filter(key__in=keys, emailed_at__isnull=True, email_error="").values_list(
                    "pk", flat=True
                )
            )
        for start in range(0, len(ids), EMAIL_BATCH):
            chunk = ids[start : start + EMAIL_BATCH]
            transaction.on_commit(lambda chunk=chunk: notifications_email.enqueue(chunk))
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


# --- reading and marking notices (the notifications page, the navbar badge and the API) -----------------------------


def notifications_of(user):
    """The user's own notices, newest first."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def unread_count(user) -> int:
    """One COUNT query (the navbar badge)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_mark_read(*, notification: Notification) -> Notification:
    """Mark one notice read (idempotent: the first reading time is kept)."""
    if notification.read_at is None:
        now = timezone.now()
        updated = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        if updated:
            notification.read_at = now
        else:
            notification.refresh_from_db(fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user) -> int:
    """Mark every unread notice of ``user`` read; returns how many were marked."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
