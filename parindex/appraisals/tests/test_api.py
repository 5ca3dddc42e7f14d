"""/api/v1/appraisals: the same rules as the pages — access first, 409 with the current values, 422 in Vietnamese."""

import time_machine

from parindex.appraisals.models import Assignment, CouncilMember
from parindex.assessments.models import AssessmentStatus
from parindex.cycles.factories import inside

API = "/api/v1/appraisals"
R1, EXPLAIN, R2, COUNCIL = (inside(k) for k in ("appraisal_1", "explanation", "appraisal_2", "council"))
JSON = "application/json"


def post(client, path, data=None):
    return client.post(f"{API}{path}", data or {}, content_type=JSON)


def test_anonymous_callers_get_401(cyc, sent, e, api):
    client = api(None)
    assert client.get(f"{API}/worklist").status_code == 401
    assert post(client, f"/entries/{e('1.1').pk}/round1", {"version": 2, "confirm": True}).status_code == 401


def test_round_1_through_the_api_with_conflict_and_bad_points(cyc, sent, e, api, appraiser2):
    client = api(cyc.appraiser)
    with time_machine.travel(R1):
        ok = post(client, f"/entries/{e('1.3').pk}/round1", {"version": 2, "points": 1, "comment": "Thiếu phụ lục"})
        assert ok.status_code == 200, ok.content
        assert ok.json()["round1_points"] == "1.00" and ok.json()["version"] == 3
        stale = post(client, f"/entries/{e('1.3').pk}/round1", {"version": 2, "confirm": True})
        assert stale.status_code == 409
        assert stale.json()["current"]["round1_points"] == "1.00" and "Vũ Thị Thẩm Định" in stale.json()["detail"]
        bad = post(client, f"/entries/{e('1.3').pk}/round1", {"version": 3, "points": "1.25", "comment": "x"})
        assert bad.status_code == 422 and "phải theo bước 0,5" in bad.json()["errors"]["points"][0]
        high = post(client, f"/entries/{e('1.3').pk}/round1", {"version": 3, "points": 3, "comment": "x"})
        assert high.status_code == 422 and "0–2" in high.json()["detail"]
        no_comment = post(client, f"/entries/{e('1.3').pk}/round1", {"version": 3, "points": "0.5"})
        assert no_comment.status_code == 422 and "comment" in no_comment.json()["errors"]
        foreign = post(api(appraiser2), f"/entries/{e('1.3').pk}/round1", {"version": 3, "confirm": True})
        assert foreign.status_code == 403 and "không được phân công" in foreign.json()["detail"]
        assert post(client, "/entries/999999/round1", {"version": 1, "confirm": True}).status_code == 404
        extra = post(client, f"/entries/{e('1.3').pk}/round1", {"version": 3, "confirm": True, "hack": 1})
        assert extra.status_code == 422
    with time_machine.travel(R2):
        closed = post(client, f"/entries/{e('1.3').pk}/round1", {"version": 3, "confirm": True})
        assert closed.status_code == 403 and "đã kết thúc" in closed.json()["detail"]
    assert e("1.3").round1_points == 1


def test_worklist_grid_request_answer_round_2_and_history(cyc, cast, sent, e, api):
    client = api(cyc.appraiser)
    work = client.get(f"{API}/worklist").json()
    assert [(w["unit"]["code"], w["assigned"]) for w in work] == [("P99-STP", 3)]
    grid = client.get(f"{API}/assessments/{sent.pk}/entries").json()
    assert [(x["node"], x["can_write"], x["appraised"]) for x in grid["entries"]] == [
        ("1.1", True, True),
        ("1.2", True, True),
        ("1.3", True, True),
        ("2.1", False, True),
        ("3.1", False, False),
    ]
    assert grid["self_total"] == "6.50"
    assert api(cast.outsider).get(f"{API}/assessments/{sent.pk}/entries").status_code == 403
    with time_machine.travel(R1):
        asked = post(client, f"/entries/{e('1.2').pk}/explanation-request", {"version": 2, "text": "Gửi đường dẫn"})
        assert asked.status_code == 200 and asked.json()["explanation_request"] == "Gửi đường dẫn"
    with time_machine.travel(EXPLAIN):
        unit = api(cast.officer_a)
        assert [x["node"] for x in unit.get(f"{API}/assessments/{sent.pk}/explanations").json()] == ["1.2"]
        answered = post(unit, f"/entries/{e('1.2').pk}/explanation", {"version": 3, "text": "https://stp.example.vn"})
        assert answered.status_code == 200
        assert post(client, f"/entries/{e('1.2').pk}/explanation", {"version": 4, "text": "x"}).status_code == 403
    with time_machine.travel(R2):
        final = post(client, f"/entries/{e('1.2').pk}/round2", {"version": 4, "points": "0", "comment": "Không đạt"})
        assert final.status_code == 200 and final.json()["appraised_points"] == "0.00"
        kept = post(client, f"/assessments/{sent.pk}/round2/keep-round1")
        assert kept.json() == {"count": 0, "entries": []}
    history = api(cast.officer_a).get(f"{API}/entries/{e('1.2').pk}/history").json()
    assert [h["stage"] for h in history] == ["round2", "self"]
    assert history[0]["reason"] == "Không đạt" and history[0]["actor"] == "Vũ Thị Thẩm Định"


def test_council_members_and_assignments_are_managed_by_managers(cyc, cast, api):
    manager = api(cast.manager)
    council = manager.get(f"{API}/cycles/{cyc.cycle.pk}/council").json()
    assert {m["user"]["username"] for m in council["members"]} == {"chair", "member", "appraiser"}
    renamed = manager.put(
        f"{API}/cycles/{cyc.cycle.pk}/council", {"name": "Hội đồng 2026", "decision": "QĐ 9"}, content_type=JSON
    )
    assert renamed.status_code == 200 and renamed.json()["decision"] == "QĐ 9"
    added = post(manager, f"/cycles/{cyc.cycle.pk}/council/members", {"user_id": cyc.viewer.pk, "role": "secretary"})
    assert added.status_code == 201 and added.json()["votes"] is True
    ended = post(manager, f"/council-members/{added.json()['id']}/end")
    assert ended.status_code == 200 and ended.json()["ended_at"]
    created = post(
        manager,
        f"/cycles/{cyc.cycle.pk}/assignments",
        {"appraiser_id": cyc.member.pk, "node_id": cyc.nodes["2"].pk, "unit_id": cast.dept_b.pk},
    )
    assert created.status_code == 201 and created.json()["unit"]["code"] == "P99-STC"
    pk = created.json()["id"]
    patched = manager.patch(f"{API}/assignments/{pk}", {"agency_id": cast.dept_b.pk}, content_type=JSON)
    assert patched.json()["agency"]["code"] == "P99-STC"
    assert manager.delete(f"{API}/assignments/{pk}").json()["ended_at"]
    missing = post(manager, f"/cycles/{cyc.cycle.pk}/assignments", {"appraiser_id": cyc.member.pk})
    assert missing.status_code == 422
    unknown = post(
        manager, f"/cycles/{cyc.cycle.pk}/assignments", {"appraiser_id": 99999, "node_id": cyc.nodes["2"].pk}
    )
    assert unknown.status_code == 422 and "appraiser_id" in unknown.json()["errors"]
    assert len(manager.get(f"{API}/cycles/{cyc.cycle.pk}/assignments?active=true").json()) == 1
    assert manager.get(f"{API}/cycles/{cyc.cycle.pk}/workload").status_code == 200
    for user in (cyc.chair, cyc.appraiser, cast.other_manager, cast.officer_a):
        client = api(user)
        assert post(client, f"/cycles/{cyc.cycle.pk}/council/members", {"user_id": user.pk}).status_code == 403
        assert (
            post(
                client, f"/cycles/{cyc.cycle.pk}/assignments", {"appraiser_id": user.pk, "unit_id": cast.dept_a.pk}
            ).status_code
            == 403
        )
        assert client.delete(f"{API}/assignments/{Assignment.objects.first().pk}").status_code in (403,)
    assert api(cast.outsider).get(f"{API}/cycles/{cyc.cycle.pk}/council").status_code == 403


def test_votes_confirm_and_reopen_through_the_api(cyc, cast, sent, e, api):
    from parindex.appraisals import services

    with time_machine.travel(R1):
        for code in ("1.1", "1.2", "1.3"):
            services.entry_round1_save(entry_id=e(code).pk, version=2, confirm=True, actor=cyc.appraiser)
        Assignment.objects.create(cycle=cyc.cycle, appraiser=cyc.member, node=cyc.nodes["2"])
        services.entry_round1_save(
            entry_id=e("2.1").pk, version=2, points="2", comment="Đủ 5 dịch vụ", actor=cyc.member
        )
    seats = {m.user.username: m.pk for m in CouncilMember.objects.select_related("user")}
    chair = api(cyc.chair)
    differ = chair.get(f"{API}/assessments/{sent.pk}/disagreements").json()
    assert [(d["node"], d["difference"]) for d in differ["items"]] == [("2.1", "1.00")]
    assert (differ["self_total"], differ["appraised_total"]) == ("6.50", "7.50")
    with time_machine.travel(COUNCIL):
        votes = post(chair, f"/assessments/{sent.pk}/votes", {"member_id": seats["chair"], "choice": "agree"}).json()
        assert (votes["agree"], votes["needed"], votes["voting_members"]) == (1, 2, 3)
        refused = post(chair, f"/assessments/{sent.pk}/confirm")
        assert refused.status_code == 422 and "1/3" in refused.json()["detail"]
        assert (
            post(
                api(cyc.member), f"/assessments/{sent.pk}/votes", {"member_id": seats["chair"], "choice": "disagree"}
            ).status_code
            == 403
        )
        post(api(cyc.member), f"/assessments/{sent.pk}/votes", {"member_id": seats["member"], "choice": "agree"})
        assert post(api(cyc.member), f"/assessments/{sent.pk}/confirm").status_code == 403
        done = post(chair, f"/assessments/{sent.pk}/confirm")
        assert done.status_code == 200 and done.json()["status"] == AssessmentStatus.CONFIRMED
        assert post(chair, f"/assessments/{sent.pk}/reopen", {"reason": "x"}).status_code == 403
        assert post(api(cast.manager), f"/assessments/{sent.pk}/reopen", {"reason": ""}).status_code == 422
        reopened = post(api(cast.manager), f"/assessments/{sent.pk}/reopen", {"reason": "Khiếu nại"})
        assert reopened.json()["confirmation_round"] == 2 and reopened.json()["status"] == "under_appraisal"
        assert chair.get(f"{API}/assessments/{sent.pk}/votes").json()["agree"] == 0
