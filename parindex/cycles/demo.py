"""The demo cycle built by ``seed_demo``: the departments of the demo province assessed against the shipped
departments' framework, with units in every state, a council, an appraiser's assignments, a plan, a draft result,
and two earlier years of (illustrative) published results.

Everything goes through the services, as a person would do it. So that every role can try its part at once, the
demo opens the cycle's windows together (in a real cycle they follow one another); publication opens later.
Idempotent: when the cycle exists, nothing is done.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

DEMO_CYCLE_NAME = "Chỉ số CCHC năm {year} — sở, ban, ngành (minh họa)"
# days relative to today: (opens, closes)
WINDOWS = {
    "self_assessment": (-20, 10),
    "supplementary": (-20, 25),
    "appraisal_1": (-5, 20),
    "explanation": (-5, 20),
    "appraisal_2": (-5, 30),
    "council": (-5, 35),
    "survey": (-10, 40),
    "publication": (45, 75),
}
# department code suffix → the state the demo leaves it in
STATES = [
    ("STP", "in_progress"),
    ("VP", "not_started"),
    ("STC", "awaiting_review"),
    ("SXD", "returned"),
    ("SCT", "submitted"),
    ("SYT", "under_appraisal"),
    ("SGDDT", "explanation_requested"),
    ("SNNMT", "confirmed"),
    ("SKHCN", "confirmed"),
]


def _at(days: int, hour: int) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _unit_user(unit, suffix: str):
    """A demo account for the unit's own officer and leader (password unusable: the demo acts for it)."""
    from parindex.orgs import services
    from parindex.orgs.models import Role, User

    username = f"demo.{suffix.lower()}"
    user = User.objects.filter(username=username).first()
    if user is None:
        user = services.user_create(
            username=username,
            email=f"{username}@example.com",
            full_name=f"Cán bộ {unit.short_name or unit.name}",
            password=None,
            actor=None,
        )
    for role in (Role.UNIT_OFFICER, Role.UNIT_LEADER):
        services.membership_grant(user=user, unit=unit, role=role, actor=None, reason="Dữ liệu minh họa")
    return user


def _fill(assessment, actor, *, share: float = 1.0, rng: random.Random) -> None:
    """Self-score ``share`` of the self-scored criteria with values the rules accept, attaching one published
    document as evidence to each."""
    from parindex.assessments import scoring
    from parindex.assessments import services as a_services
    from parindex.frameworks import rules

    entries = list(assessment.entries.select_related("node").order_by("node__order", "node_id"))
    scored = [e for e in entries if scoring.is_self_scored(e.node)]
    count = round(len(scored) * share)
    evidence = a_services.evidence_link_add(
        assessment=assessment,
        url="https://vanban.chinhphu.vn/",
        title=f"Báo cáo kết quả CCHC năm {assessment.cycle.year} của {assessment.unit.name}",
        number=f"{rng.randint(10, 250)}/BC",
        actor=actor,
    )
    context = scoring.context_for(unit=assessment.unit, year=assessment.cycle.year)
    for entry in scored[:count]:
        rule = scoring.rule_of(entry.node)
        value = rules.best_input(rule, max_points=entry.node.max_points, context=context)
        if rule.get("type") == "manual" and rng.random() < 0.3:
            value = entry.node.min_points  # not every criterion is at full marks
        if isinstance(value, dt.date):
            value = value.isoformat()
        saved = a_services.entry_self_save(entry_id=entry.pk, version=entry.version, declared=value, actor=actor)
        a_services.evidence_attach(assessment=assessment, entry_id=saved.pk, evidence_id=evidence.pk, actor=actor)


def _appraise(assessment, appraiser, *, rng: random.Random, request_explanation: bool = False) -> None:
    from parindex.appraisals import services as ap

    entries = list(
        assessment.entries.select_related("node").filter(node__method="appraised").order_by("node__order", "node_id")
    )
    for i, entry in enumerate(entries):
        entry.refresh_from_db(fields=["version", "self_points"])
        if request_explanation and i == 0:
            ap.entry_explanation_request(
                entry_id=entry.pk,
                version=entry.version,
                actor=appraiser,
                text="Đề nghị bổ sung văn bản chứng minh số liệu kê khai.",
            )
            continue
        if entry.self_points and rng.random() < 0.2:
            ap.entry_round1_save(
                entry_id=entry.pk,
                version=entry.version,
                actor=appraiser,
                points=entry.node.min_points,
                comment="Tài liệu kiểm chứng chưa đáp ứng yêu cầu của tiêu chí.",
            )
        else:
            ap.entry_round1_save(entry_id=entry.pk, version=entry.version, actor=appraiser, confirm=True)


def demo_cycle(*, departments: dict, people: dict, stdout) -> None:
    from parindex.appraisals import services as ap
    from parindex.appraisals.models import MemberRole
    from parindex.assessments import services as a_services
    from parindex.cycles import services
    from parindex.cycles.models import Cycle
    from parindex.frameworks.models import Framework, FrameworkStatus, Node
    from parindex.orgs.models import UnitGroup

    home_affairs = departments["SNV"]
    year = timezone.localdate().year
    name = DEMO_CYCLE_NAME.format(year=year)
    if Cycle.objects.filter(assessor=home_affairs, year=year, name=name).exists():
        stdout.write(f"Đợt đánh giá minh họa “{name}” đã có.")
        return
    framework = Framework.objects.filter(code="pari-so-nganh", status=FrameworkStatus.ACTIVE).first()
    group = UnitGroup.objects.filter(code="so-ban-nganh").first()
    if framework is None or group is None:
        stdout.write("Chưa có bộ chỉ số sở, ban, ngành hoặc nhóm so-ban-nganh: bỏ qua đợt minh họa.")
        return
    manager, chair, appraiser = people["manager"], people["chair"], people["appraiser"]
    rng = random.Random(2026)
    cycle = services.cycle_create(
        year=year,
        name=name,
        assessor=home_affairs,
        actor=manager,
        decision=f"Kế hoạch số 15/KH-SNV ngày 10/01/{year} (minh họa)",
    )
    for kind, (opens, closes) in WINDOWS.items():
        services.window_set(cycle=cycle, kind=kind, opens_at=_at(opens, 8), closes_at=_at(closes, 17), actor=manager)
    services.cycle_framework_set(cycle=cycle, group=group, framework=framework, actor=manager)
    services.cycle_status_set(cycle=cycle, status="active", actor=manager, reason="Triển khai đợt đánh giá")

    council = ap.council_save(
        cycle=cycle, name="Hội đồng thẩm định Chỉ số CCHC", decision="QĐ 20/QĐ-UBND (minh họa)", actor=manager
    )
    ap.council_member_add(
        council=council, user=chair, role=MemberRole.CHAIR, actor=manager, position="Phó Chủ tịch UBND"
    )
    ap.council_member_add(
        council=council,
        user=appraiser,
        role=MemberRole.MEMBER,
        actor=manager,
        organisation=departments["STP"],
        position="Phó Giám đốc",
    )
    for field in Node.objects.filter(framework=framework, parent__isnull=True).order_by("order"):
        ap.assignment_create(cycle=cycle, appraiser=appraiser, node=field, agency=departments["STP"], actor=manager)

    assessments = {a.unit_id: a for a in cycle.assessments.select_related("unit", "cycle")}
    officer, leader = people["officer"], people["leader"]
    for suffix, state in STATES:
        unit = departments.get(suffix)
        if unit is None or unit.pk not in assessments:
            continue
        assessment = assessments[unit.pk]
        actor = officer if suffix == "STP" else _unit_user(unit, suffix)
        head = leader if suffix == "STP" else actor
        if state == "not_started":
            continue
        _fill(assessment, actor, share=0.4 if state == "in_progress" else 1.0, rng=rng)
        if state == "in_progress":
            continue
        a_services.assessment_send_for_review(assessment=assessment, actor=actor)
        if state == "awaiting_review":
            continue
        if state == "returned":
            a_services.assessment_return(
                assessment=assessment,
                actor=head,
                reason="Đề nghị bổ sung tài liệu kiểm chứng cho lĩnh vực cải cách TTHC.",
            )
            continue
        a_services.assessment_submit(assessment=assessment, actor=head)
        if state == "submitted":
            continue
        _appraise(assessment, appraiser, rng=rng, request_explanation=state == "explanation_requested")
        if state in ("under_appraisal", "explanation_requested"):
            continue
        for member in ap.voting_members(cycle.pk):
            ap.vote_record(assessment_id=assessment.pk, member_id=member.pk, choice="agree", actor=chair)
        ap.assessment_confirm(assessment_id=assessment.pk, actor=chair)
    _plan(cycle, departments, manager)
    stdout.write(f"Đợt đánh giá minh họa “{name}”: {len(assessments)} đơn vị ở các trạng thái khác nhau.")
    _results(cycle, group, departments, manager, stdout)


def _plan(cycle, departments, manager) -> None:
    from parindex.cycles import services

    year = cycle.year
    tasks = [
        ("Ban hành kế hoạch triển khai xác định Chỉ số CCHC", "SNV", ["VP"], "Kế hoạch", dt.date(year, 1, 31), "done"),
        (
            "Tự đánh giá, chấm điểm và gửi báo cáo kèm tài liệu kiểm chứng",
            None,
            [],
            "Báo cáo tự đánh giá",
            timezone.localdate() + dt.timedelta(days=10),
            "in_progress",
        ),
        (
            "Lập danh sách đối tượng điều tra xã hội học",
            "SNV",
            ["VP"],
            "Danh sách",
            timezone.localdate() - dt.timedelta(days=3),
            "not_started",
        ),
        (
            "Thẩm định kết quả tự đánh giá lĩnh vực xây dựng và thi hành pháp luật",
            "STP",
            ["SNV"],
            "Biên bản thẩm định",
            timezone.localdate() + dt.timedelta(days=30),
            "not_started",
        ),
        (
            "Thẩm định lĩnh vực cải cách tài chính công",
            "STC",
            ["SNV"],
            "Biên bản thẩm định",
            timezone.localdate() + dt.timedelta(days=30),
            "not_started",
        ),
    ]
    for title, lead, cooperating, product, deadline, status in tasks:
        services.task_create(
            cycle=cycle,
            actor=manager,
            title=title,
            lead_unit=departments.get(lead) if lead else None,
            lead_text="" if lead else "Các sở, ban, ngành",
            cooperating_units=[departments[c] for c in cooperating],
            product=product,
            deadline=deadline,
            status=status,
        )


def _results(cycle, group, departments, manager, stdout) -> None:
    """A draft result for the cycle, and published results of the previous year (illustrative values; the
    province's departments exist since the 2025 reorganisation, so there is no earlier year)."""
    from parindex.scoring import services as scoring
    from parindex.scoring.history import results_import

    scoring.resultset_compute(cycle=cycle, group=group, actor=manager, run_now=True)
    rng = random.Random(cycle.year)
    lines = ["năm,đơn vị,tỷ lệ"]
    units = list(group.units.all().order_by("code"))
    for year in (cycle.year - 1,):
        for unit in units:
            lines.append(f"{year},{unit.code},{rng.uniform(68, 95):.2f}")
    report = results_import(
        content="\n".join(lines).encode(),
        filename="ket-qua-minh-hoa.csv",
        actor=manager,
        group=group,
        source_note="Số liệu minh họa do seed_demo tạo, không phải kết quả chính thức",
    )
    if report.ok:
        stdout.write(f"Kết quả minh họa đã công bố năm {cycle.year - 1}; kết quả dự thảo năm {cycle.year}.")
    else:
        stdout.write("Không nạp được kết quả minh họa: " + "; ".join(report.errors[:3]))
