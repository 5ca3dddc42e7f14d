"""Who is asking, from where: set by middleware, read by the audit trail."""

from contextvars import ContextVar

current_ip: ContextVar[str | None] = ContextVar("parindex_current_ip", default=None)


def client_ip(request) -> str | None:
    # Behind a proxy set PARINDEX_PRODUCTION and let the proxy overwrite REMOTE_ADDR (gunicorn --forwarded-allow-ips).
    return request.META.get("REMOTE_ADDR") or None
