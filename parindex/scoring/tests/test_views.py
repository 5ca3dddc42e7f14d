"""Results pages and API: drafts for managers and the chair, published results for everyone."""

import json

import pytest

from parindex.scoring import services
from parindex.scoring.models import ResultSet, ResultStatus


@pytest.fixture
def draft(scored, cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.resultset_compute(cycle=scored.cycle, group=scored.group, actor=cast.manager)


@pytest.fixture
def published(draft, scored, cast):
    services.resultset_approve(result_set=draft, actor=scored.chair)
    return services.resultset_publish(result_set=draft, actor=cast.manager, decision="QĐ 12/QĐ-UBND")


def test_a_draft_is_shown_to_the_manager_and_hidden_from_others(draft, scored, cast, client, login):
    url = f"/ket-qua/{draft.pk}/"
    assert client.get(url).status_code == 404  # the public does not learn drafts exist
    assert login(cast.officer_a).get(url).status_code == 403
    assert login(cast.other_manager).get(url).status_code == 403
    page = login(cast.manager).get(url)
    assert page.status_code == 200 and "Sở Tài chính" in page.text and "58,33" in page.text


def test_the_manager_computes_from_the_page_and_the_chair_approves(
    scored, cast, login, django_capture_on_commit_callbacks
):
    plan = scored.cycle.plans.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = login(cast.manager).post(f"/ket-qua/tinh/{scored.cycle.pk}/{plan.group_id}/")
    result_set = ResultSet.objects.get()
    assert response.status_code == 302 and result_set.job_state == "done"
    assert login(cast.officer_a).post(f"/tinh/{scored.cycle.pk}/{plan.group_id}/").status_code in (403, 404)
    assert login(cast.manager).post(f"/ket-qua/{result_set.pk}/duyet/").status_code == 403
    login(scored.chair).post(f"/ket-qua/{result_set.pk}/duyet/")
    result_set.refresh_from_db()
    assert result_set.status == ResultStatus.APPROVED


def test_an_officer_cannot_compute(scored, cast, login):
    plan = scored.cycle.plans.get()
    assert login(cast.officer_a).post(f"/ket-qua/tinh/{scored.cycle.pk}/{plan.group_id}/").status_code == 403
    assert not ResultSet.objects.exists()


def test_published_results_are_public_with_open_data(published, cast, client):
    assert client.get("/ket-qua/cong-khai/").status_code == 200
    page = client.get(f"/ket-qua/{published.pk}/")
    assert page.status_code == 200 and "QĐ 12/QĐ-UBND" in page.text
    assert client.get(f"/ket-qua/{published.pk}/don-vi/{cast.dept_a.pk}/").status_code == 200
    data = json.loads(
        b"".join(client.get(f"/ket-qua/{published.pk}/du-lieu.json").streaming_content or [])
        if hasattr(client.get(f"/ket-qua/{published.pk}/du-lieu.json"), "streaming_content")
        else client.get(f"/ket-qua/{published.pk}/du-lieu.json").content
    )
    assert [r["unit_code"] for r in data["rows"]] == ["P99-STC", "P99-STP"]
    csv_text = b"".join(client.get(f"/ket-qua/{published.pk}/du-lieu.csv").streaming_content).decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "rank,unit,unit_code,points,percent,class,percent_change,rank_change"


def test_the_api_hides_drafts_from_the_public_and_shows_the_ranking(draft, published, cast, client, login):
    assert client.get(f"/api/v1/results/{published.pk}/ranking").status_code == 200
    rows = client.get(f"/api/v1/results/{published.pk}/ranking").json()
    assert rows[0]["unit_code"] == "P99-STC" and rows[0]["class"] == "D" and rows[0]["rank"] == 1
    listed = [r["id"] for r in client.get("/api/v1/results").json()]
    assert listed == [published.pk]


def test_the_api_computes_as_a_job_for_managers_only(scored, cast, login, django_capture_on_commit_callbacks):
    plan = scored.cycle.plans.get()
    body = {"cycle_id": scored.cycle.pk, "group_id": plan.group_id}
    officer = login(cast.officer_a)
    assert officer.post("/api/v1/results/compute", body, content_type="application/json").status_code == 403
    client = login(cast.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/results/compute", body, content_type="application/json")
    assert response.status_code == 202
    assert client.get(f"/api/v1/results/{response.json()['id']}").json()["job_state"] == "done"


def test_the_analysis_page_lists_lost_points_and_gaps(draft, cast, login, client):
    page = login(cast.manager).get(f"/ket-qua/{draft.pk}/phan-tich/")
    assert page.status_code == 200 and "1.3" in page.text and "Chênh lệch" in page.text
    assert client.logout() is None and client.get(f"/ket-qua/{draft.pk}/phan-tich/").status_code == 404


def test_the_unit_analysis_page_shows_published_components(published, cast, client):
    page = client.get(f"/ket-qua/phan-tich/don-vi/{cast.dept_a.pk}/")
    assert page.status_code == 200 and "2026" in page.text


def test_managers_record_targets_and_others_cannot(cast, login):
    body = {
        "owner": cast.home_affairs.pk,
        "kind": "rise_rank",
        "unit": cast.province.pk,
        "year_from": 2025,
        "year_to": 2027,
    }
    assert login(cast.officer_a).post("/ket-qua/muc-tieu/", body).status_code == 403
    response = login(cast.manager).post("/ket-qua/muc-tieu/", body)
    assert response.status_code == 302
    page = login(cast.manager).get("/ket-qua/muc-tieu/")
    assert "Mỗi năm tăng ít nhất một bậc" in page.text and "Chưa đánh giá" in page.text
    bad = login(cast.manager).post("/ket-qua/muc-tieu/", dict(body, kind="national_top"))
    assert bad.status_code == 200 and "Cần số N" in bad.text


def test_the_api_serves_analysis_components_and_targets(published, cast, client, login):
    analysis = client.get(f"/api/v1/results/{published.pk}/analysis").json()
    assert analysis["points_lost"][0]["code"] == "1.3" and analysis["gaps"][0]["gap"] == "0.50"
    components = client.get(f"/api/v1/results/units/{cast.dept_a.pk}/components").json()
    assert components["years"] == [2026]
    assert client.get("/api/v1/results/targets").status_code == 401
    assert login(cast.manager).get("/api/v1/results/targets").json() == []


def test_units_are_compared_across_years_on_the_page_and_the_api(published, cast, client):
    page = client.get("/ket-qua/so-sanh/", {"don_vi": "P99-STP, P99-STC, KHONG-CO"})
    assert page.status_code == 200 and "58,33" in page.text and "KHONG-CO" in page.text
    data = client.get("/api/v1/results/compare", {"units": "P99-STC,P99-STP"}).json()
    assert data["years"] == [2026] and data["units"][0]["by_year"]["2026"]["rank"] == 1


def test_publishing_drafts_the_decision_with_its_annex_for_the_managers(
    res, cast, login, django_capture_on_commit_callbacks
):
    import io

    import docx

    from parindex.reports.models import ReportJob, ReportState

    services.resultset_approve(result_set=res.result_set, actor=res.chair)
    page = login(cast.manager).get(f"/ket-qua/{res.result_set.pk}/").content.decode()
    assert 'name="decision"' in page and 'name="q"' in page  # the publication and search forms
    with django_capture_on_commit_callbacks(execute=True):
        services.resultset_publish(result_set=res.result_set, actor=cast.manager, decision="123/QĐ-UBND")
    job = ReportJob.objects.get(kind="decision", cycle=res.cycle)
    assert job.state == ReportState.DONE and job.format == "docx" and job.requested_by == cast.manager
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(job.file.read())).paragraphs)
    cells = {
        c.text for t in docx.Document(io.BytesIO(job.file.open("rb").read())).tables for r in t.rows for c in r.cells
    }
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text + " ".join(cells)
    assert {cast.dept_a.name, cast.dept_b.name} <= cells  # the annex ranks both units
    page = login(cast.manager).get(f"/ket-qua/{res.result_set.pk}/").content.decode()
    assert f"/bao-cao/{job.pk}/" in page
    assert f"/bao-cao/{job.pk}/" not in login(cast.officer_a).get(f"/ket-qua/{res.result_set.pk}/").content.decode()
