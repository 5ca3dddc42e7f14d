"""One error shape for the whole API, and the handlers that map exceptions onto it.

Every error answers ``{"detail": str, "errors": {field: [messages]} | null}`` with a message in Vietnamese."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import Field

from parindex.core.exceptions import ConflictError


class ErrorOut(Schema):
    detail: str = Field(..., description="Thông báo lỗi bằng tiếng Việt.")
    errors: dict[str, list[str]] | None = Field(
        None, description="Lỗi theo từng trường (tên trường → các thông báo), khi lỗi gắn với dữ liệu gửi lên."
    )
    current: dict[str, Any] | None = Field(
        None, description="Với lỗi 409: giá trị hiện có do người khác vừa lưu (để so sánh trước khi lưu lại)."
    )


def error_responses(*codes: int) -> dict[int, type[ErrorOut]]:
    """``response={200: X, **error_responses(401, 403, 422)}``: declares the error answers in the OpenAPI document."""
    return dict.fromkeys(codes, ErrorOut)


NOT_AUTHENTICATED = "Bạn cần đăng nhập, hoặc gửi token API cá nhân trong tiêu đề “Authorization: Bearer <token>”."
BAD_TOKEN = "Token API không hợp lệ, đã hết hạn hoặc đã bị thu hồi."
CSRF_FAILED = (
    "Yêu cầu bị từ chối vì thiếu hoặc sai mã CSRF. Khi dùng phiên đăng nhập, hãy gửi tiêu đề X-CSRFToken "
    "lấy từ cookie csrftoken; hoặc dùng token API."
)
VALIDATION_FAILED = "Dữ liệu gửi lên không hợp lệ; xem chi tiết trong “errors”."

# Messages django-ninja raises itself, in English.
_KNOWN_MESSAGES = {
    "CSRF check Failed": CSRF_FAILED,
    "Cannot parse request body": "Không đọc được nội dung yêu cầu: JSON không hợp lệ.",
    "Unauthorized": NOT_AUTHENTICATED,
    "Forbidden": "Bạn không có quyền thực hiện thao tác này.",
}
_STATUS_MESSAGES = {
    400: "Yêu cầu không hợp lệ.",
    401: NOT_AUTHENTICATED,
    403: "Bạn không có quyền thực hiện thao tác này.",
    404: "Không tìm thấy.",
    405: "Phương thức không được hỗ trợ.",
    409: "Dữ liệu đã bị thay đổi đồng thời; hãy tải lại rồi thử lại.",
    429: "Quá nhiều yêu cầu; hãy thử lại sau.",
}

# Pydantic error types → Vietnamese, formatted with the error's ``ctx``.
_PYDANTIC_MESSAGES = {
    "missing": "Trường này là bắt buộc.",
    "extra_forbidden": "Trường này không được hỗ trợ.",
    "string_type": "Phải là một chuỗi ký tự.",
    "string_too_short": "Cần ít nhất {min_length} ký tự.",
    "string_too_long": "Tối đa {max_length} ký tự.",
    "int_type": "Phải là một số nguyên.",
    "int_parsing": "Phải là một số nguyên.",
    "int_from_float": "Phải là một số nguyên.",
    "greater_than": "Phải lớn hơn {gt}.",
    "greater_than_equal": "Phải lớn hơn hoặc bằng {ge}.",
    "less_than": "Phải nhỏ hơn {lt}.",
    "less_than_equal": "Phải nhỏ hơn hoặc bằng {le}.",
    "bool_type": "Phải là true hoặc false.",
    "bool_parsing": "Phải là true hoặc false.",
    "date_type": "Ngày không hợp lệ; dùng dạng YYYY-MM-DD.",
    "date_parsing": "Ngày không hợp lệ; dùng dạng YYYY-MM-DD.",
    "date_from_datetime_parsing": "Ngày không hợp lệ; dùng dạng YYYY-MM-DD.",
    "date_from_datetime_inexact": "Ngày không hợp lệ; dùng dạng YYYY-MM-DD.",
    "datetime_type": "Thời điểm không hợp lệ; dùng dạng ISO 8601, ví dụ 2025-07-01T08:00:00+07:00.",
    "datetime_parsing": "Thời điểm không hợp lệ; dùng dạng ISO 8601, ví dụ 2025-07-01T08:00:00+07:00.",
    "datetime_from_date_parsing": "Thời điểm không hợp lệ; dùng dạng ISO 8601, ví dụ 2025-07-01T08:00:00+07:00.",
    "timezone_aware": "Thời điểm cần ghi rõ múi giờ, ví dụ 2025-07-01T08:00:00+07:00.",
    "enum": "Giá trị không hợp lệ; dùng một trong: {expected}.",
    "literal_error": "Giá trị không hợp lệ; dùng một trong: {expected}.",
    "json_invalid": "JSON không hợp lệ.",
    "json_type": "JSON không hợp lệ.",
    "model_type": "Phải là một đối tượng JSON.",
    "model_attributes_type": "Phải là một đối tượng JSON.",
    "dict_type": "Phải là một đối tượng JSON.",
    "list_type": "Phải là một danh sách.",
    "string_pattern_mismatch": "Giá trị không đúng định dạng.",
    "string_unicode": "Chuỗi ký tự không hợp lệ (không mã hóa được bằng UTF-8).",
    "too_long": "Quá nhiều phần tử.",
}
_BODY_LOCATIONS = {"body", "form", "file"}


def _vietnamese(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "value_error":
        # Our own validators raise ValueError with a Vietnamese message; pydantic prefixes it.
        return str(error.get("msg", "")).removeprefix("Value error, ") or "Giá trị không hợp lệ."
    template = _PYDANTIC_MESSAGES.get(kind)
    if template is None:
        return "Giá trị không hợp lệ."
    ctx = {k: str(v).replace(" or ", " hoặc ") for k, v in (error.get("ctx") or {}).items()}
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template.split(";")[0].rstrip(".") + "."


def _field_name(loc: list[Any] | tuple[Any, ...]) -> str:
    """("body", "payload", "code") → "code"; ("query", "limit") → "limit"."""
    parts = list(loc)
    source = parts.pop(0) if parts else ""
    if source in _BODY_LOCATIONS and len(parts) > 1:
        parts.pop(0)  # the name of the endpoint's body parameter
    return ".".join(str(p) for p in parts) or "__all__"


def ninja_errors_by_field(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    by_field: dict[str, list[str]] = {}
    for error in errors:
        by_field.setdefault(_field_name(error.get("loc", ())), []).append(_vietnamese(error))
    return by_field


def _respond(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    detail: str,
    errors: dict[str, list[str]] | None = None,
    current: dict | None = None,
) -> HttpResponse:
    body = {"detail": detail, "errors": errors}
    if current is not None:
        body["current"] = current
    response = api.create_response(request, body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="parindex"'
    return response


def _message(exc: Exception, status: int) -> str:
    text = str(exc.args[0]) if getattr(exc, "args", None) and exc.args[0] else ""
    if isinstance(exc, HttpError):
        text = exc.message
    text = _KNOWN_MESSAGES.get(text, text)
    return text or _STATUS_MESSAGES.get(status, "Có lỗi xảy ra.")


def install_error_handlers(api: NinjaAPI) -> None:
    def on_permission_denied(request, exc):
        return _respond(api, request, 403, _message(exc, 403))

    def on_not_found(request, exc):
        return _respond(api, request, 404, _message(exc, 404))

    def on_django_validation(request, exc: DjangoValidationError):
        if hasattr(exc, "error_dict"):
            errors = {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
        else:
            errors = {"__all__": [str(m) for m in exc.messages]}
        messages = [m for ms in errors.values() for m in ms]
        detail = messages[0] if len(messages) == 1 else VALIDATION_FAILED
        return _respond(api, request, 422, detail, errors)

    def on_ninja_validation(request, exc: NinjaValidationError):
        return _respond(api, request, 422, VALIDATION_FAILED, ninja_errors_by_field(exc.errors))

    def on_authentication(request, exc: AuthenticationError):
        return _respond(api, request, 401, _message(exc, 401))

    def on_http_error(request, exc: HttpError):
        return _respond(api, request, exc.status_code, _message(exc, exc.status_code))

    def on_conflict(request, exc: ConflictError):
        return _respond(api, request, 409, exc.message, current=exc.current)

    def on_integrity(request, exc: IntegrityError):
        # Two writers raced past the service's checks; the database kept the data consistent.
        return _respond(api, request, 409, _STATUS_MESSAGES[409])

    api.add_exception_handler(PermissionDenied, on_permission_denied)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(DjangoValidationError, on_django_validation)
    api.add_exception_handler(NinjaValidationError, on_ninja_validation)
    api.add_exception_handler(AuthenticationError, on_authentication)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(ConflictError, on_conflict)
    api.add_exception_handler(IntegrityError, on_integrity)
