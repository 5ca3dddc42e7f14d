"""The user's notices: the page (newest first, unread highlighted, links to the object), marking read (one, all),
the navbar's badge, and the API. A notice is its recipient's alone: anyone else gets 404."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from parindex.core.models import Notification
from parindex.core.notifications import notify

API = "/api/v1/notifications"


@pytest.fixture
def notices(cast):
    first = notify(users=[cast.officer_a], key="k1", title="Thông báo thứ nhất", body="Nội dung 1", url="/tu-danh-gia/")
    second = notify(users=[cast.officer_a], key="k2", title="Thông báo thứ hai", url="javascript:alert(1)")
    other = notify(users=[cast.officer_b], key="k1", title="Của người khác")
    return first[0], second[0], other[0]


def body(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_page_lists_only_my_notices_newest_first_with_unread_ones_highlighted(login, cast, notices):
    page = body(login(cast.officer_a).get(reverse("web:notifications")))
    assert page.index("Thông báo thứ hai") < page.index("Thông báo thứ nhất")
    assert "Của người khác" not in page
    assert page.count('data-unread="1"') == 2
    assert "list-group-item-warning" in page
    assert "2 chưa đọc" in page


def test_only_links_inside_the_site_are_offered(login, cast, notices):
    page = body(login(cast.officer_a).get(reverse("web:notifications")))
    assert "javascript:" not in page
    assert page.count('data-testid="notice-open"') == 1


def test_the_navbar_shows_the_unread_count(login, cast, notices):
    client = login(cast.officer_a)
    page = body(client.get(reverse("home")))
    badge = page.split('data-testid="unread-badge"')[1]
    assert badge.startswith(">2<")
    Notification.objects.filter(user=cast.officer_a).update(read_at="2026-01-01T00:00:00Z")
    assert 'data-testid="unread-badge"' not in body(client.get(reverse("home")))


def test_the_badge_costs_one_count_query(login, cast, notices):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(cast.officer_a)
    with CaptureQueriesContext(connection) as queries:
        body(client.get(reverse("orgs:unit_list")))
    badge = [q["sql"] for q in queries if "core_notification" in q["sql"]]
    assert len(badge) == 1 and "COUNT" in badge[0].upper()


def test_anonymous_visitors_get_no_badge_and_no_query(client, db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("login"))
    assert not [q for q in queries if "core_notification" in q["sql"]]


def test_marking_one_notice_read(login, cast, notices):
    first, _second, _other = notices
    client = login(cast.officer_a)
    response = client.post(reverse("web:notification_read", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("web:notifications")
    first.refresh_from_db()
    assert first.read_at is not None
    assert "1 chưa đọc" in body(client.get(reverse("web:notifications")))


def test_opening_a_notice_marks_it_read_and_goes_to_its_object(login, cast, notices):
    first, _second, _other = notices
    response = login(cast.officer_a).post(reverse("web:notification_read", args=[first.pk]), {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/tu-danh-gia/"
    first.refresh_from_db()
    assert first.read_at is not None


def test_a_link_outside_the_site_is_never_followed(login, cast, notices):
    _first, second, _other = notices
    response = login(cast.officer_a).post(reverse("web:notification_read", args=[second.pk]), {"open": "1"})
    assert response["Location"] == reverse("web:notifications")


def test_reading_again_keeps_the_first_reading_time(login, cast, notices):
    first, _second, _other = notices
    client = login(cast.officer_a)
    client.post(reverse("web:notification_read", args=[first.pk]))
    first.refresh_from_db()
    when = first.read_at
    client.post(reverse("web:notification_read", args=[first.pk]))
    first.refresh_from_db()
    assert first.read_at == when


def test_another_users_notice_is_not_found(login, cast, notices):
    _first, _second, other = notices
    response = login(cast.officer_a).post(reverse("web:notification_read", args=[other.pk]))
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_marking_read_needs_a_post(login, cast, notices):
    first, _second, _other = notices
    assert login(cast.officer_a).get(reverse("web:notification_read", args=[first.pk])).status_code == 405
    first.refresh_from_db()
    assert first.read_at is None


def test_marking_all_read_touches_only_my_notices(login, cast, notices):
    _first, _second, other = notices
    client = login(cast.officer_a)
    response = client.post(reverse("web:notifications_read_all"), follow=True)
    assert "Đã đánh dấu 2 thông báo là đã đọc." in body(response)
    assert not Notification.objects.filter(user=cast.officer_a, read_at__isnull=True).exists()
    other.refresh_from_db()
    assert other.read_at is None


def test_the_unread_filter(login, cast, notices):
    first, _second, _other = notices
    client = login(cast.officer_a)
    client.post(reverse("web:notification_read", args=[first.pk]))
    page = body(client.get(reverse("web:notifications") + "?chua-doc=1"))
    assert "Thông báo thứ hai" in page and "Thông báo thứ nhất" not in page


def test_anonymous_visitors_are_sent_to_login(client, cast, notices):
    first, _second, _other = notices
    for response in (
        client.get(reverse("web:notifications")),
        client.post(reverse("web:notification_read", args=[first.pk])),
        client.post(reverse("web:notifications_read_all")),
    ):
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    first.refresh_from_db()
    assert first.read_at is None


def test_a_user_without_notices_is_told_so(login, cast):
    assert "Bạn chưa có thông báo nào." in body(login(cast.outsider).get(reverse("web:notifications")))


# --- API ---------------------------------------------------------------------------------------------------------


def api_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_api_lists_my_notices(cast, notices):
    data = api_client(cast.officer_a).get(API).json()
    assert data["count"] == 2 and data["unread"] == 2
    assert [n["title"] for n in data["items"]] == ["Thông báo thứ hai", "Thông báo thứ nhất"]
    assert data["items"][0]["url"] == ""  # not a link inside the site
    assert data["items"][1]["url"] == "/tu-danh-gia/" and data["items"][1]["is_read"] is False


def test_the_api_marks_one_read_and_refuses_another_users(cast, notices):
    first, _second, other = notices
    client = api_client(cast.officer_a)
    response = client.post(f"{API}/{first.pk}/read")
    assert response.status_code == 200 and response.json()["is_read"] is True
    response = client.post(f"{API}/{other.pk}/read")
    assert response.status_code == 404
    assert response.json()["detail"] == "Không tìm thấy thông báo."
    other.refresh_from_db()
    assert other.read_at is None
    data = client.get(f"{API}?unread=true").json()
    assert data["count"] == 1 and data["unread"] == 1


def test_the_api_marks_all_read(cast, notices):
    client = api_client(cast.officer_a)
    assert client.post(f"{API}/read-all").json() == {"marked": 2}
    assert client.post(f"{API}/read-all").json() == {"marked": 0}
    assert api_client(cast.officer_b).get(API).json()["unread"] == 1


def test_the_api_needs_a_signed_in_user(client, cast, notices):
    first, _second, _other = notices
    assert client.get(API).status_code == 401
    assert client.post(f"{API}/{first.pk}/read").status_code == 401


def test_the_api_with_a_session_needs_the_csrf_token(cast, notices):
    first, _second, _other = notices
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.officer_a)
    response = client.post(f"{API}/{first.pk}/read", data=json.dumps({}), content_type="application/json")
    assert response.status_code == 403
    first.refresh_from_db()
    assert first.read_at is None
