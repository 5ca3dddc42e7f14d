"""Exceptions shared by services, views and the API."""


class ConflictError(Exception):
    """The object changed since the caller last read it (optimistic concurrency); the message says so in Vietnamese.

    Views show it and ask the user to reload; the API answers 409."""

    def __init__(self, message: str, *, current_version: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.current_version = current_version

    def __str__(self) -> str:
        return self.message
