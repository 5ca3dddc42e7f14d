"""The pages: access for every role first, then the htmx rows of the grid, the unit's explanations, the council's
review and the history of an entry."""

import time_machine
from django.urls import reverse

from parindex.appraisals import services
from parindex.appraisals.models import Assignment, Council, CouncilMember
from parindex.assessments.models import AssessmentStatus, EntryEvidence, Evidence, ScoreChange, Stage
from parindex.cycles.factories import inside

R1, EXPLAIN, R2, COUNCIL = (inside(k) for k in ("appraisal_1", "explanation", "appraisal_2", "council"))
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, *args):
    return reverse(f"appraisals:{name}", args=args)


def people(cyc, cast, appraiser2):
    return {
        "appraiser": cyc.appraiser,
        "appraiser2": appraiser2,
        "chair": cyc.chair,
        "member": cyc.member,
        "viewer": cyc.viewer,
        "manager": cast.manager,
        "officer_a": cast.officer_a,
        "leader_a": cyc.leader_a,
        "officer_b": cast.officer_b,
        "outsider": cast.outsider,
        "other_manager": cast.other_manager,
    }


GRID_READERS = {"appraiser", "appraiser2", "chair", "member", "viewer", "manager"}


def test_who_sees_the_appraisal_grid(cyc, cast, sent, appraiser2, client):
    for name, user in people(cyc, cast, appraiser2).items():
        client.force_login(user)
        status = client.get(url("grid", sent.pk)).status_code
        assert status == (200 if name in GRID_READERS else 403), name
    client.logout()
    response = client.get(url("grid", sent.pk))
    assert response.status_code == 302 and "/tai-khoan/" in response["Location"]
    client.force_login(cast.manager)
    assert client.get(url("grid", 999999)).status_code == 404


def test_who_sees_the_explanations(cyc, cast, sent, appraiser2, client):
    readers = GRID_READERS | {"officer_a", "leader_a"}
    for name, user in people(cyc, cast, appraiser2).items():
        client.force_login(user)
        assert client.get(url("explanations", sent.pk)).status_code == (200 if name in readers else 403), name


def test_who_sees_the_council_and_assignments_and_overview(cyc, cast, sent, appraiser2, client):
    cycle_readers = {"appraiser", "appraiser2", "chair", "member", "manager"}
    council_view = {"appraiser", "chair", "member", "manager"}  # appraiser sits on the council in the fixture
    for name, user in people(cyc, cast, appraiser2).items():
        client.force_login(user)
        for page in ("council", "assignments"):
            assert client.get(url(page, cyc.cycle.pk)).status_code == (200 if name in cycle_readers else 403), (
                name,
                page,
            )
        assert client.get(url("overview", cyc.cycle.pk)).status_code == (200 if name in council_view else 403), name


def test_the_worklist_lists_the_appraisers_reports(cyc, cast, sent, login):
    page = login(cyc.appraiser).get(url("home")).content.decode()
    assert "Sở Tư pháp" in page and url("grid", sent.pk) in page
    page = login(cast.outsider).get(url("home")).content.decode()
    assert "Chưa có bản tự đánh giá" in page and "Sở Tư pháp" not in page


def test_the_grid_shows_the_units_data_evidence_and_the_appraisers_controls(cyc, cast, sent, e, login):
    doc = Evidence.objects.create(
        assessment=sent,
        kind="link",
        title="Báo cáo thống kê hồ sơ",
        url="https://stp.example.vn/bc.pdf",
        uploaded_by=cast.officer_a,
    )
    EntryEvidence.objects.create(entry=e("1.1"), evidence=doc, attached_by=cast.officer_a)
    with time_machine.travel(R1):
        page = login(cyc.appraiser).get(url("grid", sent.pk)).content.decode()
    assert "https://stp.example.vn/bc.pdf" in page and "Báo cáo thống kê hồ sơ" in page
    assert "97,5" in page  # declared data, as officials write it
    assert page.count('data-testid="confirm"') == 3  # 1.1, 1.2, 1.3 — not 2.1 (field 2)
    assert "Không thuộc phân công của bạn" in page
    with time_machine.travel(R1):
        page = login(cyc.chair).get(url("grid", sent.pk)).content.decode()
    assert 'data-testid="confirm"' not in page
    with time_machine.travel(inside("self_assessment")):
        page = login(cyc.appraiser).get(url("grid", sent.pk)).content.decode()
    assert 'data-testid="read-only"' in page and 'data-testid="confirm"' not in page


def test_an_htmx_row_save_answers_with_the_row(cyc, sent, e, login):
    with time_machine.travel(R1):
        client = login(cyc.appraiser)
        response = client.post(
            url("round1", e("1.3").pk),
            {"version": 2, "points": "1", "comment": "Thiếu phụ lục", "action": "save"},
            **HTMX,
        )
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith("<tr")
    assert 'data-testid="row-saved"' in body and "Thiếu phụ lục" in body
    assert e("1.3").round1_points == 1
    sent.refresh_from_db()
    assert sent.status == AssessmentStatus.UNDER_APPRAISAL


def test_a_row_error_is_shown_in_the_row_and_nothing_is_stored(cyc, sent, e, login):
    with time_machine.travel(R1):
        response = login(cyc.appraiser).post(
            url("round1", e("1.3").pk), {"version": 2, "points": "1", "comment": "", "action": "save"}, **HTMX
        )
    body = response.content.decode()
    assert 'data-testid="row-error"' in body and "hãy ghi nhận xét" in body
    assert 'value="1"' in body  # what the appraiser typed stays in the box
    assert e("1.3").round1_points is None and not ScoreChange.objects.filter(stage=Stage.ROUND1).exists()


def test_a_stale_row_shows_the_other_value(cyc, sent, e, login):
    Assignment.objects.create(cycle=cyc.cycle, appraiser=cyc.member, node=cyc.nodes["1.3"])
    with time_machine.travel(R1):
        services.entry_round1_save(entry_id=e("1.3").pk, version=2, points="0.5", comment="Yếu", actor=cyc.appraiser)
        response = login(cyc.member).post(url("round1", e("1.3").pk), {"version": 2, "action": "confirm"}, **HTMX)
    body = response.content.decode()
    assert "Vũ Thị Thẩm Định" in body and "điểm vòng 1 0,5" in body
    assert e("1.3").round1_points == 0.5


def test_writing_outside_the_assignment_is_forbidden(cyc, cast, sent, e, appraiser2, client):
    with time_machine.travel(R1):
        for user in (appraiser2, cast.manager, cyc.chair, cast.officer_a, cast.outsider):
            client.force_login(user)
            response = client.post(url("round1", e("1.1").pk), {"version": 2, "action": "confirm"}, **HTMX)
            assert response.status_code == 403
            response = client.post(url("explanation_request", e("1.1").pk), {"version": 2, "text": "x"}, **HTMX)
            assert response.status_code == 403
        client.logout()
        assert client.post(url("round1", e("1.1").pk), {"version": 2, "action": "confirm"}).status_code == 302
    assert e("1.1").round1_points is None and e("1.1").explanation_request == ""


def test_request_then_answer_then_round_2_through_the_pages(cyc, cast, sent, e, login):
    with time_machine.travel(R1):
        body = (
            login(cyc.appraiser)
            .post(url("explanation_request", e("1.2").pk), {"version": 2, "text": "Gửi đường dẫn"}, **HTMX)
            .content.decode()
        )
    assert "Gửi đường dẫn" in body and 'data-testid="row-saved"' in body
    with time_machine.travel(EXPLAIN):
        client = login(cast.officer_a)
        page = client.get(url("explanations", sent.pk)).content.decode()
        assert "Gửi đường dẫn" in page and 'data-testid="answer-text"' in page
        body = client.post(
            url("explanation_answer", e("1.2").pk), {"version": 3, "text": "https://stp.example.vn/tthc"}, **HTMX
        ).content.decode()
        assert 'data-testid="answer-saved"' in body and "https://stp.example.vn/tthc" in body
        assert (
            login(cyc.appraiser).post(url("explanation_answer", e("1.2").pk), {"version": 4, "text": "x"}).status_code
            == 403
        )
    with time_machine.travel(R2):
        client = login(cyc.appraiser)
        body = client.post(
            url("round2", e("1.2").pk),
            {"version": 4, "points": "1", "comment": "Đã giải trình", "action": "save"},
            **HTMX,
        ).content.decode()
        assert 'data-testid="row-saved"' in body
    assert e("1.2").round2_points == 1


def test_the_explanations_page_closes_with_its_window(cyc, cast, sent, e, login):
    with time_machine.travel(R1):
        services.entry_explanation_request(entry_id=e("1.1").pk, version=2, text="Bổ sung", actor=cyc.appraiser)
    with time_machine.travel(inside("appraisal_2")):
        page = login(cast.officer_a).get(url("explanations", sent.pk)).content.decode()
        response = login(cast.officer_a).post(url("explanation_answer", e("1.1").pk), {"version": 3, "text": "muộn"})
    assert 'data-testid="answer-text"' not in page and "đã kết thúc lúc 17:00 ngày 25/01/2027" in page
    assert response.status_code == 302 and e("1.1").explanation_answer == ""


def test_carry_over_from_the_page(cyc, sent, e, login):
    with time_machine.travel(R1):
        services.entry_round1_save(entry_id=e("1.1").pk, version=2, confirm=True, actor=cyc.appraiser)
    with time_machine.travel(R2):
        response = login(cyc.appraiser).post(url("carry_over", sent.pk), follow=True)
    assert "Đã giữ điểm vòng 1 cho 1 tiêu chí" in response.content.decode()
    assert e("1.1").round2_points == 3


def test_the_council_review_votes_confirms_and_a_manager_reopens(cyc, cast, sent, e, login):
    with time_machine.travel(R1):
        for code in ("1.1", "1.2"):
            services.entry_round1_save(entry_id=e(code).pk, version=2, confirm=True, actor=cyc.appraiser)
        services.entry_round1_save(
            entry_id=e("1.3").pk, version=2, points="1", comment="Thiếu phụ lục", actor=cyc.appraiser
        )
    Assignment.objects.create(cycle=cyc.cycle, appraiser=cyc.member, node=cyc.nodes["2"])
    with time_machine.travel(R1):
        services.entry_round1_save(entry_id=e("2.1").pk, version=2, confirm=True, actor=cyc.member)
    seats = {m.user_id: m.pk for m in CouncilMember.objects.all()}
    with time_machine.travel(COUNCIL):
        chair = login(cyc.chair)
        page = chair.get(url("review", sent.pk)).content.decode()
        assert 'data-testid="disagreement-1.3"' in page and "Thiếu phụ lục" in page and "-0,5" in page
        assert "0/3 thành viên có quyền biểu quyết đồng ý; cần ít nhất 2" in page
        chair.post(url("vote", sent.pk), {"member": seats[cyc.chair.pk], "choice": "agree"})
        response = chair.post(url("confirm", sent.pk), follow=True)
        assert "Chưa đủ biểu quyết: 1/3" in response.content.decode()
        # a member records their own vote, not someone else's
        member = login(cyc.member)
        assert (
            member.post(url("vote", sent.pk), {"member": seats[cyc.appraiser.pk], "choice": "agree"}).status_code == 403
        )
        member.post(url("vote", sent.pk), {"member": seats[cyc.member.pk], "choice": "agree"})
        assert member.post(url("confirm", sent.pk)).status_code == 403
        response = login(cyc.chair).post(url("confirm", sent.pk), follow=True)
        assert "Hội đồng đã xác nhận kết quả thẩm định" in response.content.decode()
        sent.refresh_from_db()
        assert sent.status == AssessmentStatus.CONFIRMED
        assert login(cyc.chair).post(url("reopen", sent.pk), {"reason": "x"}).status_code == 403
        manager = login(cast.manager)
        page = manager.get(url("review", sent.pk)).content.decode()
        assert 'data-testid="reopen-form"' in page
        manager.post(url("reopen", sent.pk), {"reason": ""})
        sent.refresh_from_db()
        assert sent.status == AssessmentStatus.CONFIRMED
        manager.post(url("reopen", sent.pk), {"reason": "Sai sót tiêu chí 1.3"})
    sent.refresh_from_db()
    assert sent.status == AssessmentStatus.UNDER_APPRAISAL and sent.confirmation_round == 2


def test_the_history_of_an_entry(cyc, cast, sent, e, appraiser2, client):
    with time_machine.travel(R1):
        services.entry_round1_save(
            entry_id=e("1.3").pk, version=2, points="1", comment="Thiếu phụ lục", actor=cyc.appraiser
        )
    for name, user in people(cyc, cast, appraiser2).items():
        client.force_login(user)
        response = client.get(url("entry_history", e("1.3").pk))
        assert response.status_code == (200 if name in GRID_READERS | {"officer_a", "leader_a"} else 403), name
    client.force_login(cast.officer_a)
    page = client.get(url("entry_history", e("1.3").pk)).content.decode()
    assert 'data-testid="change-self"' in page and 'data-testid="change-round1"' in page
    assert "Thiếu phụ lục" in page and "Vũ Thị Thẩm Định" in page and "Lê Văn Tư Pháp" in page


def test_a_manager_builds_the_council_and_assigns_from_the_pages(cast, login, cyc):
    Council.objects.all().delete()
    client = login(cast.manager)
    client.post(url("council_save", cyc.cycle.pk), {"name": "Hội đồng 2026", "decision": "QĐ 1/QĐ-UBND"})
    council = Council.objects.get(cycle=cyc.cycle)
    assert council.decision == "QĐ 1/QĐ-UBND"
    client.post(
        url("member_add", cyc.cycle.pk),
        {"user": cyc.chair.pk, "role": "chair", "organisation": cast.province.pk, "position": "Phó Chủ tịch UBND"},
    )
    seat = CouncilMember.objects.get(council=council, user=cyc.chair)
    assert seat.position == "Phó Chủ tịch UBND"
    client.post(url("member_end", seat.pk))
    seat.refresh_from_db()
    assert seat.ended_at is not None
    page = client.get(url("council", cyc.cycle.pk)).content.decode()
    assert "Thôi tham gia lúc" in page
    response = client.post(
        url("assignments", cyc.cycle.pk),
        {"appraiser": cyc.member.pk, "node": cyc.nodes["2"].pk, "agency": cast.dept_b.pk},
    )
    assert response.status_code == 302
    assert Assignment.objects.filter(appraiser=cyc.member, node=cyc.nodes["2"], ended_at__isnull=True).exists()
    response = client.post(url("assignments", cyc.cycle.pk), {"appraiser": cyc.member.pk})
    assert response.status_code == 422 and "ít nhất một" in response.content.decode()
    assignment = Assignment.objects.get(appraiser=cyc.member)
    client.post(url("assignment_end", assignment.pk))
    assignment.refresh_from_db()
    assert assignment.ended_at is not None


def test_others_cannot_change_the_council_or_assignments(cast, login, cyc):
    for user in (cyc.chair, cyc.appraiser, cast.officer_a, cast.other_manager):
        client = login(user)
        assert client.post(url("council_save", cyc.cycle.pk), {"name": "X"}).status_code == 403
        assert client.post(url("member_add", cyc.cycle.pk), {"user": user.pk, "role": "member"}).status_code == 403
        seat = CouncilMember.objects.filter(council=cyc.council).first()
        assert client.post(url("member_end", seat.pk)).status_code == 403
        assert (
            client.post(url("assignments", cyc.cycle.pk), {"appraiser": user.pk, "node": cyc.nodes["1"].pk}).status_code
            == 403
        )
        assignment = Assignment.objects.first()
        assert client.post(url("assignment_end", assignment.pk)).status_code == 403
    assert Council.objects.get(cycle=cyc.cycle).name == "Hội đồng thẩm định Chỉ số CCHC"
    assert Assignment.objects.filter(ended_at__isnull=True).count() == 1
