"""Charts on the results pages and the survey progress page: inline SVG with its text alternative and data table,
published values only on public pages."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from parindex.assessments.models import Entry
from parindex.scoring import services
from parindex.scoring.models import ResultSet, ResultStatus, UnitResult

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def figures(page) -> dict[str, dict]:
    """data-testid of each chart figure → its SVG root, alternative text and whole figure markup."""
    text = page.content.decode()
    out = {}
    for match in re.finditer(r'<figure[^>]*data-testid="chart-([\w-]+)"[^>]*>(.*?)</figure>', text, re.S):
        name, body = match.group(1), match.group(2)
        svg = re.search(r"<svg\b.*?</svg>", body, re.S)
        assert svg, f"figure {name} has no inline SVG"
        root = ET.fromstring(svg.group(0))
        assert root.get("role") == "img"
        desc = root.find(f"{SVG}desc")
        assert root.find(f"{SVG}title") is not None and desc is not None
        out[name] = {"root": root, "alt": desc.text, "html": body}
    return out


def drawn(root: ET.Element) -> str:
    return " ".join(" ".join(t.itertext()) for t in root.iter(f"{SVG}text"))


@pytest.fixture
def published(res, cast):
    services.resultset_approve(result_set=res.result_set, actor=res.chair)
    res.result_set = services.resultset_publish(result_set=res.result_set, actor=cast.manager, decision="QĐ 7/QĐ-UBND")
    return res


@pytest.fixture
def newer_draft(published, cast):
    """After publication the appraisal changes (department A loses points) and a new draft is computed."""
    Entry.objects.filter(assessment=published.assessment_a, node__code="1.1").update(round1_points=Decimal("0"))
    draft = services.resultset_compute(cycle=published.cycle, group=published.group, actor=cast.manager, run_now=True)
    percent = draft.units.get(unit=cast.dept_a).percent
    assert percent != published.result_set.units.get(unit=cast.dept_a).percent
    return draft


@pytest.fixture
def last_year(published, cast):
    """The group's table of the year before, imported and published."""
    result_set = ResultSet.objects.create(
        year=published.result_set.year - 1,
        group=published.group,
        status=ResultStatus.PUBLISHED,
        job_state="done",
        source="imported",
        title="Kết quả năm trước",
        components=published.result_set.components,
    )
    for unit, percent, component in ((cast.dept_a, "47.25", "61.50"), (cast.dept_b, "52.75", "70.00")):
        UnitResult.objects.create(
            result_set=result_set,
            unit=unit,
            percent=Decimal(percent),
            class_code="D",
            class_name="D",
            components={"1": {"percent": component}},
        )
    return result_set


def test_the_result_set_page_shows_ranking_bars_and_classes_with_their_data(res, cast, login):
    page = login(cast.manager).get(reverse("scoring:detail", args=[res.result_set.pk]))
    charts = figures(page)
    ranking, classes = charts["ranking"], charts["classes"]
    assert "1. Sở Tài chính 66,67% (Loại D); 2. Sở Tư pháp 58,33% (Loại D)" in ranking["alt"]
    assert {"Sở Tài chính", "Sở Tư pháp", "66,67", "58,33", "Loại D"} <= set(
        re.findall(r"Sở Tài chính|Sở Tư pháp|66,67|58,33|Loại D", drawn(ranking["root"]))
    )
    assert "Loại D: 2 đơn vị (100,0%)" in classes["alt"]
    assert "Dữ liệu của biểu đồ" in ranking["html"] and "<td>Sở Tài chính</td>" in ranking["html"]
    assert "<figcaption" in ranking["html"]


def test_filters_of_the_table_do_not_change_the_charts(res, cast, login):
    url = reverse("scoring:detail", args=[res.result_set.pk])
    page = login(cast.manager).get(url, {"q": "Tư pháp"})
    assert "<td>Sở Tài chính</td>" in figures(page)["ranking"]["html"]


def test_the_unit_scorecard_compares_components_with_the_average_and_shows_the_trend(
    last_year, published, cast, client
):
    page = client.get(reverse("scoring:unit", args=[published.result_set.pk, cast.dept_a.pk]))
    assert page.status_code == 200
    charts = figures(page)
    profile = charts["profile"]["alt"]
    assert "1. Cải cách thủ tục hành chính: Sở Tư pháp 83,33%, bình quân các đơn vị 91,67%" in profile
    assert "3. Hài lòng của người dân: Sở Tư pháp chưa có" in profile
    year, before = published.result_set.year, last_year.year
    trend = charts["trend"]["alt"]
    assert f"Sở Tư pháp ({before}: 47,25%, {year}: 58,33%)" in trend
    assert f"Bình quân các đơn vị cùng bảng ({before}: 50,00%, {year}: 62,50%)" in trend
    components = charts["components-trend"]["alt"]
    assert f"1. Cải cách thủ tục hành chính ({before}: 61,50%, {year}: 83,33%)" in components
    assert "Sở Tư pháp" in drawn(charts["trend"]["root"])


def test_a_manager_sees_the_draft_year_in_the_trend_of_a_draft(res, cast, login):
    page = login(cast.manager).get(reverse("scoring:unit", args=[res.result_set.pk, cast.dept_a.pk]))
    charts = figures(page)
    assert f"Sở Tư pháp ({res.result_set.year}: 58,33%)" in charts["trend"]["alt"]
    assert "components-trend" not in charts  # one year: no movement to draw


def test_public_pages_draw_published_values_only(newer_draft, last_year, published, cast, client):
    draft_percent = html.escape(f"{newer_draft.units.get(unit=cast.dept_a).percent}".replace(".", ","))
    pages = [
        client.get(reverse("scoring:public")),
        client.get(reverse("scoring:detail", args=[published.result_set.pk])),
        client.get(reverse("scoring:unit", args=[published.result_set.pk, cast.dept_a.pk])),
    ]
    for page in pages:
        assert page.status_code == 200
        charts = figures(page)
        assert charts
        for chart in charts.values():
            assert draft_percent not in chart["html"]
            assert draft_percent not in (chart["alt"] or "")
    public = figures(pages[0])
    year = published.result_set.year
    assert f"({last_year.year}: 50,00%, {year}: 62,50%)" in public["public-trend"]["alt"]
    assert "Loại D: 2 đơn vị" in public["public-classes"]["alt"]
    assert client.get(reverse("scoring:detail", args=[newer_draft.pk])).status_code == 404


def test_the_public_list_without_results_has_no_charts(client, db):
    page = client.get(reverse("scoring:public"))
    assert page.status_code == 200 and not figures(page)


def test_a_published_set_reuses_its_drawn_charts(published, cast, client):
    url = reverse("scoring:detail", args=[published.result_set.pk])
    first = figures(client.get(url))["ranking"]["root"].get("id")
    second = figures(client.get(url))["ranking"]["root"].get("id")
    assert first == second  # cached: the same drawing, not redrawn


def test_a_finished_draft_reuses_its_drawing_until_it_is_published(res, cast, login):
    from parindex.scoring.services import resultset_approve, resultset_publish

    url = reverse("scoring:detail", args=[res.result_set.pk])
    client = login(cast.manager)
    draft = figures(client.get(url))["ranking"]["root"].get("id")
    assert figures(client.get(url))["ranking"]["root"].get("id") == draft  # a finished set is a snapshot
    resultset_approve(result_set=res.result_set, actor=res.chair)
    resultset_publish(result_set=res.result_set, actor=cast.manager)
    assert figures(client.get(url))["ranking"]["root"].get("id") != draft  # drawn again under its published status


# --- the survey progress page ------------------------------------------------------------------------------------


@pytest.fixture
def answers(srv, cast):
    from parindex.cycles.factories import vn
    from parindex.surveys.tests.synthetic import invite, respond

    s = srv.survey
    respond(s, group=srv.officials, rated_unit=cast.dept_a, answers="ABC", submitted=vn(2026, 11, 10, 9))
    invite(s, group=srv.officials, rated_unit=cast.dept_a, name="Nguyễn Văn Chưa Mở")
    respond(s, group=srv.citizens, rated_unit=cast.dept_a, answers="AAB", submitted=vn(2026, 11, 10, 23))
    invite(s, group=srv.officials, rated_unit=cast.dept_b, name="Trần Chưa Trả Lời")
    return srv


def test_the_survey_progress_page_draws_answered_against_invited(answers, cast, login):
    client = login(answers.coordinator)
    page = client.get(reverse("surveys:progress", args=[answers.survey.pk]))
    chart = figures(page)["survey-progress"]
    assert "Sở Tài chính: 0/1 phiếu (0,0%)" in chart["alt"]
    assert "Sở Tư pháp: 2/3 phiếu (66,7%)" in chart["alt"]
    assert "Đã trả lời" in drawn(chart["root"]) and "Chưa trả lời" in drawn(chart["root"])
    by_group = figures(client.get(reverse("surveys:progress", args=[answers.survey.pk]), {"don-vi": cast.dept_a.pk}))
    alt = by_group["survey-progress"]["alt"]
    assert "Lãnh đạo, công chức sở: 1/2 phiếu (50,0%)" in alt and "Người dân, tổ chức: 1/1 phiếu" in alt
    assert "Sở Tư pháp" in alt  # the title names the unit


def test_the_survey_progress_chart_of_another_units_coordinator_shows_only_their_unit(answers, cast, login):
    from parindex.orgs.factories import UserFactory, grant
    from parindex.orgs.models import Role

    coordinator_b = UserFactory(username="coordinator_b_chart")
    grant(coordinator_b, cast.dept_b, Role.SURVEY_COORDINATOR)
    chart = figures(login(coordinator_b).get(reverse("surveys:progress", args=[answers.survey.pk])))["survey-progress"]
    assert "Sở Tài chính" in chart["alt"] and "Sở Tư pháp" not in chart["alt"]


def test_the_survey_progress_page_is_still_closed_to_outsiders(answers, cast, login):
    url = reverse("surveys:progress", args=[answers.survey.pk])
    assert Client().get(url).status_code == 302  # anonymous: to the login page
    assert login(cast.outsider).get(url).status_code in (403, 404)
