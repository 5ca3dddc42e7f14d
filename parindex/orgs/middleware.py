from urllib.parse import quote

from django.shortcuts import redirect
from django.urls import reverse

from .access import needs_second_factor

# Pages a user who still owes a second factor may reach.
_ALLOWED_PREFIXES = ("/tai-khoan/xac-thuc-hai-lop/", "/tai-khoan/dang-xuat/", "/static/", "/i18n/")


class TwoFactorRequiredMiddleware:
    """When the security policy requires two-factor authentication for one of the user's roles, or the user has
    set up a second factor of their own accord, every page except the two-factor pages sends the user there until
    the session is verified with a TOTP (or backup) code. The API answers for itself (see parindex.api)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(_ALLOWED_PREFIXES)
            and not request.path.startswith("/api/")
            and needs_second_factor(user)
        ):
            return redirect(f"{reverse('two_factor')}?next={quote(request.get_full_path())}")
        return self.get_response(request)
