"""The parindex API at /api/v1/: OpenAPI at /api/v1/openapi.json, interactive documentation at /api/v1/docs.

Endpoints hold no business logic: an access helper first, then a selector (reads) or a service (writes)."""

from ninja import NinjaAPI

from .auth import ApiTokenAuth, SessionCsrfAuth
from .errors import install_error_handlers
from .parsers import ApiParser
from .renderers import ApiRenderer
from .routers.core import router as core_router
from .routers.orgs import router as orgs_router

DESCRIPTION = """
API của nền tảng Chỉ số cải cách hành chính (Chỉ số CCHC).

**Xác thực.** Dùng một trong hai cách:

* token API cá nhân, gửi trong tiêu đề `Authorization: Bearer <token>` (tạo tại `POST /tokens`; token chỉ hiện
  một lần). Không cần mã CSRF;
* phiên đăng nhập của trình duyệt (cookie `sessionid`). Các yêu cầu thay đổi dữ liệu (POST, PATCH) phải kèm tiêu đề
  `X-CSRFToken` lấy từ cookie `csrftoken`.

**Lỗi.** Mọi lỗi trả về `{"detail": "...", "errors": {"trường": ["..."]} | null}` với thông báo tiếng Việt:
401 chưa xác thực, 403 không có quyền (hoặc thiếu mã CSRF), 404 không tìm thấy, 409 dữ liệu đã bị người khác thay
đổi, 422 dữ liệu không hợp lệ.

**Sửa đồng thời.** Khi sửa đơn vị, gửi lại `updated_at` đã đọc (hoặc tiêu đề `If-Match` với ETag của
`GET /units/{id}`); nếu đơn vị đã bị thay đổi sau đó, máy chủ trả 409 và không ghi gì.

**Danh sách** có phân trang `limit`/`offset` và trả về tổng số mục `count`. Ngày theo dạng `YYYY-MM-DD`,
thời điểm theo ISO 8601.
""".strip()

api = NinjaAPI(
    title="parindex API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=[ApiTokenAuth(), SessionCsrfAuth()],
    renderer=ApiRenderer(),
    parser=ApiParser(),
    openapi_url="/openapi.json",
    docs_url="/docs",
)
install_error_handlers(api)
api.add_router("", orgs_router)
api.add_router("", core_router)
api.add_router("/frameworks", "parindex.frameworks.api.router")
api.add_router("/cycles", "parindex.cycles.api.router")
api.add_router("/assessments", "parindex.assessments.api.router")
api.add_router("/appraisals", "parindex.appraisals.api.router")
api.add_router("/results", "parindex.scoring.api.router")
api.add_router("/surveys", "parindex.surveys.api.router")
api.add_router("/reports", "parindex.reports.api.router")
api.add_router("/notifications", "parindex.web.api.router")
api.add_router("/progress", "parindex.web.api.progress_router")
