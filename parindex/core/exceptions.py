"""Exceptions shared by services, views and the API."""

from django.core.exceptions import PermissionDenied


class ConflictError(Exception):
    """The object changed since the caller last read it (optimistic concurrency); the message says so in Vietnamese.

    Views show it and ask the user to reload; the API answers 409."""

    def __init__(self, message: str, *, current_version: str = "", current: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.current_version = current_version
        # The other writer's values, shown to the user beside their own (API: ``current`` in the 409 body).
        self.current = current

    def __str__(self) -> str:
        return self.message


class WindowClosedError(PermissionDenied):
    """A write outside its window (deadline passed, not yet open). The message says which window, why and since
    when, in Vietnamese. Views show it; the API answers 403 like any other refusal."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
