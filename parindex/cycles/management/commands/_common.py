"""Shared helpers of the cycles commands."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from parindex.cycles.models import Cycle


def get_cycle(cycle_id) -> Cycle:
    cycle = Cycle.objects.select_related("assessor").filter(pk=cycle_id).first()
    if cycle is None:
        raise CommandError(f"Không có đợt đánh giá id {cycle_id}.")
    return cycle


def get_actor(username: str | None):
    from django.contrib.auth import get_user_model

    if not username:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"Không có người dùng “{username}”.")
    return user


def parse_moment(text: str, *, default_time: dt.time) -> dt.datetime:
    """ISO 8601; without a zone: Vietnam's time; a bare date: at ``default_time``."""
    text = (text or "").strip()
    moment = None if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else parse_datetime(text)
    if moment is None:
        day = parse_date(text)
        if day is None:
            raise CommandError(f"“{text}” không phải thời điểm ISO 8601 (ví dụ 2026-12-15T17:00 hoặc 2026-12-15).")
        moment = dt.datetime.combine(day, default_time)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def validation_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(str(m) for ms in exc.message_dict.values() for m in ms)
    return " ".join(str(m) for m in exc.messages)
