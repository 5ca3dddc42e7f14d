"""Who is calling: a personal API token (``Authorization: Bearer <key>``) or the browser session.

Tokens are tried first and need no CSRF token. The session is accepted only for a verified session (second factor
done when required), and unsafe methods must carry the CSRF token as anywhere else on the site."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from parindex.orgs import access, services

from .errors import BAD_TOKEN, CSRF_FAILED

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
SECOND_FACTOR_MISSING = (
    "Phiên đăng nhập chưa xác thực hai lớp. Hãy nhập mã xác thực trên trang web, hoặc dùng token API cá nhân."
)


class ApiTokenAuth(HttpBearer):
    """``Authorization: Bearer pi_…``. A header that is present but wrong is refused outright (401); it never falls
    back to the session."""

    def authenticate(self, request: HttpRequest, token: str):
        user = services.api_token_authenticate(token.strip())
        if user is None:
            raise AuthenticationError(message=BAD_TOKEN)
        # Later code (history records, audit) reads request.user.
        request.user = user
        return user


class SessionCsrfAuth(SessionAuth):
    """django-ninja's SessionAuth, checking the session before CSRF so that an anonymous call gets 401, not 403."""

    def __call__(self, request: HttpRequest):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if access.needs_second_factor(user):
            raise AuthenticationError(message=SECOND_FACTOR_MISSING)
        if (
            self.csrf
            and request.method not in SAFE_METHODS
            and not getattr(request, "_ninja_csrf_exempt", False)
            and check_csrf(request) is not None
        ):
            raise HttpError(403, CSRF_FAILED)
        return user


def anonymous_allowed(request: HttpRequest):
    """Last resort for public endpoints: lets an anonymous caller through (``request.user`` stays anonymous)."""
    return True


# For public reads: a token or a session identifies the caller when present; otherwise the caller is the public.
PUBLIC_AUTH = [ApiTokenAuth(), SessionCsrfAuth(), anonymous_allowed]
