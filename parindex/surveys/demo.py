"""The demo survey built by ``seed_demo`` over the demo cycle (``parindex.cycles.demo``): a sociological survey in
progress, so that the coordinator, the managers and the units can try every page at once.

* Two respondent groups with their questionnaires (imported from YAML through ``questionnaires``): leaders and
  officials of other agencies rating a department (6 questions, one per "leaders" survey criterion of the
  departments' framework), and citizens served by the department (5 SIPAS-style questions).
* A respondent list per participating department, imported from an XLSX file as a unit would send it; the rules
  exclude a citizen who has not received the result, one living elsewhere, and merge a duplicate. Most lists are sent
  (frozen); the list of the Office of the People's Committee is still being prepared; on the Department of Justice's
  list the coordinator excluded one citizen and reinstated another, with reasons; one list is sampled.
* Personal links printed for the sent lists (an in-person survey: no e-mail leaves the demo), and a few hundred
  responses submitted through the answering service itself (``answering.answer_open`` / ``answer_submit``); a few
  more opened or saved without submitting.
* Anomalies for the coordinator: two straight-lined sheets, two answered implausibly fast, a burst of submissions
  from one one-stop shop's network. Detection runs (the coordinators are notified), one flag is dismissed, one
  confirmed and its response voided by the index manager.
* Survey points computed; the demo's draft result is recomputed so that it includes them.

The answering service stamps the present moment; the demo then moves the moments of each response into the days
since the list was sent (``Response.started_at`` / ``submitted_at``, ``Invitation`` moments), so that the progress
per day and the fast-answer signal look as in a real survey. Idempotent: when the survey exists, nothing is done.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from dataclasses import dataclass

from django.utils import timezone

DEMO_SURVEY_NAME = "Điều tra xã hội học năm {year} — sở, ban, ngành (minh họa)"
LIST_SENT_DAYS_AGO = 9
DRAFT_LIST = "VP"  # the list still being prepared
DECIDED_LIST = "STP"  # the list showing the coordinator's decisions
SAMPLED_LIST = "SYT"  # a larger list, sampled
BURST_LIST = "STC"  # a one-stop shop's tablet network: a burst of submissions
BURST_IP = "14.241.120.15"
ANSWER_SHARE = 0.68
DRAFT_SHARE = 0.06
OPENED_SHARE = 0.05

LEADER_OPTIONS = [
    {"code": "A", "text": "Rất tốt", "weight": 100},
    {"code": "B", "text": "Tốt", "weight": 60},
    {"code": "C", "text": "Chưa tốt", "weight": 20},
    {"code": "D", "text": "Kém", "weight": 0},
    {"code": "X", "text": "Không biết / không trả lời", "excluded": True},
]
# criterion code → question (the departments' framework "pari-so-nganh": survey criteria of component "leaders")
LEADER_QUESTIONS = {
    "1.6": "Ông/bà đánh giá thế nào về công tác chỉ đạo, điều hành cải cách hành chính của cơ quan?",
    "2.4": "Ông/bà đánh giá thế nào về chất lượng văn bản quy phạm pháp luật do cơ quan tham mưu ban hành?",
    "4.5": "Ông/bà đánh giá thế nào về tổ chức bộ máy của cơ quan (chức năng, nhiệm vụ rõ ràng, không chồng chéo)?",
    "5.6": "Ông/bà đánh giá thế nào về tinh thần, thái độ phục vụ của công chức cơ quan?",
    "6.4": "Ông/bà đánh giá thế nào về quản lý tài chính công của cơ quan?",
    "7.6": "Ông/bà đánh giá thế nào về ứng dụng công nghệ thông tin, chuyển đổi số của cơ quan?",
}
# (criterion code, question) for citizens (component "citizens")
CITIZEN_QUESTIONS = [
    ("3.7", "Ông/bà hài lòng thế nào về việc tiếp cận thông tin về thủ tục hành chính (niêm yết, hướng dẫn)?"),
    ("3.7", "Ông/bà hài lòng thế nào về thủ tục hành chính đã giải quyết (hồ sơ, phí, thời hạn đúng quy định)?"),
    ("8.3", "Ông/bà hài lòng thế nào về tinh thần, thái độ của công chức tiếp nhận, giải quyết hồ sơ?"),
    ("8.3", "Ông/bà hài lòng thế nào về kết quả giải quyết thủ tục hành chính (đúng hạn, chính xác)?"),
    ("8.3", "Ông/bà hài lòng thế nào về việc tiếp nhận, xử lý phản ánh, kiến nghị của cơ quan?"),
]
PROCEDURES = {
    "STP": [
        ("Hộ tịch", "Đăng ký lại khai sinh"),
        ("Chứng thực", "Chứng thực bản sao từ bản chính"),
        ("Lý lịch tư pháp", "Cấp Phiếu lý lịch tư pháp"),
    ],
    "STC": [("Ngân sách nhà nước", "Cấp mã số đơn vị có quan hệ với ngân sách"), ("Công sản", "Mua sắm tài sản công")],
    "SXD": [("Hoạt động xây dựng", "Cấp giấy phép xây dựng"), ("Nhà ở", "Cho thuê nhà ở công vụ")],
    "SCT": [
        ("Lưu thông hàng hóa", "Cấp giấy phép bán lẻ rượu"),
        ("An toàn thực phẩm", "Cấp giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm"),
    ],
    "SYT": [
        ("Khám bệnh, chữa bệnh", "Cấp chứng chỉ hành nghề khám bệnh, chữa bệnh"),
        ("Dược", "Cấp chứng chỉ hành nghề dược"),
    ],
    "SGDDT": [
        ("Văn bằng, chứng chỉ", "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc"),
        ("Giáo dục trung học", "Chuyển trường đối với học sinh trung học phổ thông"),
    ],
    "SNNMT": [("Đất đai", "Đăng ký biến động đất đai"), ("Môi trường", "Cấp giấy phép môi trường")],
    "SNV": [("Công chức, viên chức", "Thi tuyển công chức"), ("Thi đua, khen thưởng", "Tặng Bằng khen")],
}
DEFAULT_PROCEDURES = [("Thủ tục hành chính chung", "Giải quyết thủ tục hành chính thuộc thẩm quyền của cơ quan")]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Minh", "Ngọc", "Thanh", "Hữu", "Đức", "Thu", "Quốc", "Kim", "Hoài", "Bảo"]
GIVEN = [
    "An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng", "Khánh", "Lan", "Linh",
    "Long", "Mai", "Nam", "Nga", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Uyên", "Việt", "Yến",
]  # fmt: skip
POSITIONS = ["Phó Chủ tịch UBND phường", "Chủ tịch UBND xã", "Trưởng phòng", "Phó Trưởng phòng", "Phó Giám đốc sở"]
STREETS = ["Trần Hưng Đạo", "Nguyễn Trãi", "Lê Lợi", "Hai Bà Trưng", "Mậu Thân", "30 Tháng 4", "Cách Mạng Tháng 8"]
ELSEWHERE = ["thành phố Đà Nẵng", "tỉnh Khánh Hòa", "tỉnh Lào Cai"]
OFFICIALS_PER_LIST = 7
CITIZENS_PER_LIST = 23


@dataclass
class _Plan:
    """What one printed link will do in the demo."""

    link: object  # invitations.PrintedLink
    action: str  # "submit", "draft", "open", "none"
    codes: str = ""  # one option code per question
    seconds: int = 300
    ip: str = ""
    device: str = ""
    at: dt.datetime | None = None  # when it was submitted (or opened)


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def _yaml(code: str, name: str, description: str, questions: list[dict]) -> bytes:
    import yaml

    spec = {"format": "parindex-questionnaire/1", "code": code, "name": name, "description": description}
    spec["questions"] = questions
    return yaml.safe_dump(spec, allow_unicode=True, sort_keys=False).encode()


def _questionnaires(survey, framework, manager, year: int):
    """The two questionnaires, imported (checked against the framework's survey criteria) through the service."""
    from parindex.frameworks.models import Node

    from . import questionnaires

    survey_nodes = dict(
        Node.objects.filter(framework=framework, method="survey").values_list("code", "rule")
    )  # code → rule
    leaders = [
        {
            "code": f"Q{i}",
            "text": text,
            "criteria": [{"node": code, "weight": 1}],
            "options": [dict(o) for o in LEADER_OPTIONS],
        }
        for i, (code, text) in enumerate(((c, t) for c, t in LEADER_QUESTIONS.items() if c in survey_nodes), 1)
    ]
    citizens = [
        {"code": f"Q{i}", "text": text, "criteria": [{"node": code, "weight": 1}], "sipas": True}
        for i, (code, text) in enumerate(((c, t) for c, t in CITIZEN_QUESTIONS if c in survey_nodes), 1)
    ]
    leaders_q = questionnaires.questionnaire_import(
        content=_yaml(
            f"minh-hoa-{year}-lanh-dao",
            "Phiếu khảo sát lãnh đạo, công chức về sở, ban, ngành",
            "Xin ông/bà cho biết đánh giá của mình về cơ quan được nêu trong thư mời. Phiếu không ghi tên người trả "
            "lời; thông tin chỉ dùng để xác định Chỉ số cải cách hành chính.",
            leaders,
        ),
        fmt="yaml",
        survey=survey,
        actor=manager,
    )
    citizens_q = questionnaires.questionnaire_import(
        content=_yaml(
            f"minh-hoa-{year}-nguoi-dan",
            "Phiếu khảo sát sự hài lòng của người dân, tổ chức",
            "Xin ông/bà cho biết mức độ hài lòng khi giải quyết thủ tục hành chính tại cơ quan được nêu trong thư mời.",
            citizens,
        ),
        fmt="yaml",
        survey=survey,
        actor=manager,
    )
    return leaders_q, citizens_q


def _rows(suffix: str, index: int, others: list, province, rng: random.Random, today: dt.date) -> list[dict]:
    """A unit's list as the unit would fill the template: officials of other agencies, then citizens it served;
    one of them has not received the result yet, one lives elsewhere, one is written twice (every third list)."""
    from parindex.core.text import fold

    rows = []
    for i in range(OFFICIALS_PER_LIST):
        name = _name(rng)
        where = others[(index + i) % len(others)]
        rows.append(
            {
                "full_name": name,
                "email": f"{fold(name).replace(' ', '.')}.{index:02d}{i:02d}@example.com",
                "phone": f"091{index:02d}{i:05d}",
                "position": rng.choice(POSITIONS),
                "unit": where.code,
                "group": "lanh-dao",
            }
        )
    procedures = PROCEDURES.get(suffix, DEFAULT_PROCEDURES)
    citizens = CITIZENS_PER_LIST + (12 if suffix == SAMPLED_LIST else 0)
    for i in range(citizens):
        field, procedure = procedures[i % len(procedures)]
        served = today - dt.timedelta(days=rng.randint(12, 150))
        received = served + dt.timedelta(days=rng.randint(1, 10))
        rows.append(
            {
                "full_name": _name(rng),
                "phone": f"098{index:02d}{i:05d}",
                "group": "nguoi-dan",
                "procedure": procedure,
                "procedure_field": field,
                "served_on": served.strftime("%d/%m/%Y"),
                "result_received_on": received.strftime("%d/%m/%Y"),
                "address": f"Số {rng.randint(1, 250)} đường {rng.choice(STREETS)}, {province.name}",
            }
        )
    if index % 3 == 0 or suffix == DECIDED_LIST:
        field, procedure = procedures[0]
        served = today - dt.timedelta(days=20)
        elsewhere = next(e for e in ELSEWHERE if fold(e) not in fold(province.name))
        twin = rows[OFFICIALS_PER_LIST]
        rows += [
            {  # not received yet: excluded by the rules
                "full_name": _name(rng),
                "phone": f"097{index:02d}00001",
                "group": "nguoi-dan",
                "procedure": procedure,
                "procedure_field": field,
                "served_on": served.strftime("%d/%m/%Y"),
                "address": f"Số 8 đường {STREETS[0]}, {province.name}",
            },
            {  # lives elsewhere: excluded by the rules
                "full_name": _name(rng),
                "phone": f"097{index:02d}00002",
                "group": "nguoi-dan",
                "procedure": procedure,
                "procedure_field": field,
                "served_on": served.strftime("%d/%m/%Y"),
                "result_received_on": (served + dt.timedelta(days=3)).strftime("%d/%m/%Y"),
                "address": f"Số 14 đường Trần Phú, {elsewhere}",
            },
            {**twin, "full_name": twin["full_name"].upper()},  # the same person twice: merged
        ]
    return rows


def _xlsx(rows: list[dict]) -> bytes:
    from openpyxl import Workbook

    from . import lists

    wb = Workbook()
    ws = wb.active
    ws.title = lists.SHEET
    ws.append([h for _f, h in lists.COLUMNS])
    for number, row in enumerate(rows, start=1):
        ws.append([number if f == "number" else row.get(f) for f, _h in lists.COLUMNS])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _answers(rng: random.Random, n: int, quality: float, used: dict) -> str:
    """Plausible answers: mostly A/B at a good unit, more C/D at a weak one, some "không biết"; never every answer
    the same, and never a pattern already given twice in the same unit and group."""
    weights = [quality, 0.9 - quality * 0.6, 0.25, 0.08, 0.07]
    while True:
        codes = "".join(rng.choices("ABCDX", weights=weights, k=n))
        if len(set(codes)) > 1 and used.get(codes, 0) < 2:
            used[codes] = used.get(codes, 0) + 1
            return codes


def demo_survey(*, departments: dict, people: dict, stdout):
    """Build the demo survey (see the module); returns it, or None when it exists or the demo cycle is missing."""
    from parindex.cycles.demo import DEMO_CYCLE_NAME
    from parindex.cycles.models import Cycle, CycleFramework, Participant

    from .models import Survey

    home_affairs = departments.get("SNV")
    year = timezone.localdate().year
    cycle = Cycle.objects.filter(assessor=home_affairs, year=year, name=DEMO_CYCLE_NAME.format(year=year)).first()
    if cycle is None:
        stdout.write("Chưa có đợt đánh giá minh họa: bỏ qua cuộc điều tra XHH minh họa.")
        return None
    name = DEMO_SURVEY_NAME.format(year=year)
    if Survey.objects.filter(cycle=cycle, name=name).exists():
        stdout.write(f"Cuộc điều tra XHH minh họa “{name}” đã có.")
        return None
    plan = CycleFramework.objects.filter(cycle=cycle).select_related("framework", "group").first()
    if plan is None:
        return None
    units = {
        p.unit_id: p.unit
        for p in Participant.objects.filter(cycle=cycle, withdrawn_at__isnull=True).select_related("unit")
    }
    by_suffix = {suffix: unit for suffix, unit in departments.items() if unit.pk in units}
    return _build(cycle, plan, name, by_suffix, people, stdout)


def _build(cycle, plan, name: str, units: dict, people: dict, stdout):
    from . import answering, invitations, services
    from .flags import detect_flags, flag_review, response_void
    from .models import Flag, FlagKind, Rates, Respondent, RespondentStatus, Response, SurveyStatus
    from .points import survey_points_compute

    manager, coordinator = people["manager"], people["coordinator"]
    rng = random.Random(cycle.year * 7 + 3)
    today = timezone.localdate()
    survey = services.survey_create(
        cycle=cycle,
        framework=plan.framework,
        name=name,
        actor=manager,
        served_from=today - dt.timedelta(days=180),
        served_to=today,
        commune_quota=20,
    )
    leaders_q, citizens_q = _questionnaires(survey, plan.framework, manager, cycle.year)
    services.group_create(
        survey=survey,
        actor=manager,
        code="lanh-dao",
        name="Lãnh đạo, công chức các cơ quan, đơn vị có quan hệ công tác với sở, ban, ngành",
        priority=1,
        rates=Rates.SERVED_UNIT,
        questionnaire=leaders_q,
    )
    services.group_create(
        survey=survey,
        actor=manager,
        code="nguoi-dan",
        name="Người dân, tổ chức đã giải quyết thủ tục hành chính",
        priority=2,
        is_citizen=True,
        rates=Rates.SERVED_UNIT,
        questionnaire=citizens_q,
    )
    services.survey_status_set(
        survey=survey, status=SurveyStatus.OPEN, actor=manager, reason="Bắt đầu khảo sát (dữ liệu minh họa)"
    )

    # Lists: imported from the template, the rules applied; most sent, one still being prepared.
    province = next(iter(units.values())).parent
    sent_lists = []
    for index, (suffix, unit) in enumerate(sorted(units.items(), key=lambda kv: kv[1].code)):
        others = [u for s, u in sorted(units.items()) if s != suffix]
        rows = _rows(suffix, index, others, province, rng, today)
        result = services.respondent_list_import(
            survey=survey,
            unit=unit,
            content=_xlsx(rows),
            actor=coordinator,
            filename=f"danh-sach-{suffix.lower()}.xlsx",
        )
        if not result.ok:
            raise RuntimeError(f"demo list of {unit.name}: " + "; ".join(result.errors[:3]))
        respondent_list = result.respondent_list
        if suffix == DRAFT_LIST:
            continue
        if suffix == DECIDED_LIST:
            _decisions(respondent_list, coordinator, services)
        if suffix == SAMPLED_LIST:
            services.respondent_list_sample(respondent_list=respondent_list, actor=coordinator, seed=cycle.year)
        respondent_list = services.respondent_list_send(respondent_list=respondent_list, actor=coordinator)
        sent_lists.append((suffix, respondent_list))

    # Links printed for the in-person survey, then answers through the answering service.
    questions = {q.pk: answering.questions_of(q.pk) for q in (leaders_q, citizens_q)}  # questionnaire id → questions
    structure = {
        qid: [(question.pk, {o.code: o.pk for o in question.options.all()}) for question in qs]
        for qid, qs in questions.items()
    }
    plans: list[_Plan] = []
    for index, (_suffix, respondent_list) in enumerate(sent_lists):
        quality = 0.25 + 0.5 * rng.random()
        used: dict = {}
        printed = invitations.invitations_print(respondent_list=respondent_list, actor=coordinator, everyone=True)
        for i, link in enumerate(printed):
            roll = rng.random()
            action = (
                "submit"
                if roll < ANSWER_SHARE
                else "draft"
                if roll < ANSWER_SHARE + DRAFT_SHARE
                else "open"
                if roll < ANSWER_SHARE + DRAFT_SHARE + OPENED_SHARE
                else "none"
            )
            n = len(questions[link.respondent.group.questionnaire_id])
            plans.append(
                _Plan(
                    link=link,
                    action=action,
                    codes=_answers(rng, n, quality, used.setdefault(link.respondent.group_id, {})),
                    seconds=rng.randint(150, 900),
                    ip=f"113.{160 + index}.{rng.randint(0, 255)}.{i + 1}",
                    device=answering.device_fingerprint(f"Mozilla/5.0 (minh họa {respondent_list.pk}-{i})", "vi-VN"),
                )
            )
    _anomalies(plans, sent_lists, rng)
    _schedule(plans, rng)
    for p in plans:
        _act(p, structure, answering)
    _backdate(plans, sent_lists)

    # Detection (the coordinators get one notice per unit), a dismissed flag, a confirmed one voided.
    report = detect_flags(survey=survey, actor=coordinator)
    burst = Flag.objects.filter(survey=survey, kind=FlagKind.BURST).first()
    if burst is not None:
        flag_review(
            flag=burst,
            status="dismissed",
            note="Khảo sát trực tiếp tại Bộ phận Một cửa: người dân trả lời trên mạng không dây của cơ quan.",
            actor=coordinator,
        )
    straight = (
        Flag.objects.filter(survey=survey, kind=FlagKind.STRAIGHT_LINING, responses__group__is_citizen=True)
        .distinct()
        .first()
    )
    if straight is not None:
        flag_review(
            flag=straight,
            status="confirmed",
            note="Gọi điện xác minh: người dân cho biết đã chọn cùng một phương án mà không đọc câu hỏi.",
            actor=coordinator,
        )
        for response in straight.responses.all():
            response_void(
                response=response, reason="Phiếu chọn cùng một phương án cho mọi câu, đã xác minh.", actor=manager
            )
    rows = survey_points_compute(survey=survey, actor=manager)
    _refresh_results(cycle, plan.group)

    answered = Response.objects.filter(survey=survey, status="submitted").count()
    invited = Respondent.objects.filter(survey=survey, status=RespondentStatus.INCLUDED, invitation__isnull=False)
    stdout.write(
        f"Cuộc điều tra XHH minh họa “{name}”: {len(sent_lists)} danh sách đã gửi, 1 đang lập; "
        f"{answered} phiếu đã nộp trên {invited.count()} người được mời; {report['created']} dấu hiệu bất thường; "
        f"{rows} dòng điểm điều tra XHH."
    )
    return survey


def _decisions(respondent_list, coordinator, services) -> None:
    """The coordinator's decisions, visible on the list: one citizen excluded, one excluded by a rule reinstated."""
    from .models import Respondent, RespondentStatus

    rows = Respondent.objects.filter(respondent_list=respondent_list, group__is_citizen=True).order_by("row")
    included = rows.filter(status=RespondentStatus.INCLUDED).last()
    services.respondent_decide(
        respondent=included,
        status=RespondentStatus.EXCLUDED,
        reason="Người này là công chức của chính cơ quan, không thuộc đối tượng người dân được khảo sát.",
        actor=coordinator,
    )
    elsewhere = rows.filter(rule="not_local").first()
    if elsewhere is not None:
        services.respondent_decide(
            respondent=elsewhere,
            status=RespondentStatus.INCLUDED,
            reason="Đã xác minh: người dân tạm trú tại địa phương, địa chỉ trong danh sách là nơi thường trú.",
            actor=coordinator,
        )


def _anomalies(plans: list[_Plan], sent_lists, rng: random.Random) -> None:
    """Straight-lining (an official, a citizen), two fast answers, a burst from one one-stop shop's network."""
    submits = [p for p in plans if p.action == "submit"]
    officials = [p for p in submits if not p.link.respondent.group.is_citizen]
    citizens = [p for p in submits if p.link.respondent.group.is_citizen]
    if len(officials) < 2 or len(citizens) < 2:
        return
    straight_official, fast_official = officials[len(officials) // 3], officials[2 * len(officials) // 3]
    straight_citizen, fast_citizen = citizens[len(citizens) // 4], citizens[len(citizens) // 2]
    straight_official.codes = "A" * len(straight_official.codes)
    straight_citizen.codes = "A" * len(straight_citizen.codes)
    fast_official.seconds, fast_citizen.seconds = 24, 38
    burst_list = next((rl for s, rl in sent_lists if s == BURST_LIST), sent_lists[0][1])
    for p in [p for p in citizens if p.link.respondent.respondent_list_id == burst_list.pk][:11]:
        p.ip = BURST_IP


def _schedule(plans: list[_Plan], rng: random.Random) -> None:
    """When each link was used: spread over the days since the lists were sent (more at first, as reminders go);
    the burst within a few minutes of one morning."""
    now = timezone.now()
    start = now - dt.timedelta(days=LIST_SENT_DAYS_AGO) + dt.timedelta(hours=3)
    span = (now - dt.timedelta(hours=1) - start).total_seconds()
    burst_at = timezone.make_aware(dt.datetime.combine(timezone.localdate() - dt.timedelta(days=4), dt.time(9, 5)))
    burst = 0
    for p in plans:
        if p.ip == BURST_IP:
            p.at = burst_at + dt.timedelta(seconds=50 * burst)
            burst += 1
        else:
            p.at = start + dt.timedelta(seconds=span * rng.random() ** 1.6)


def _act(p: _Plan, structure: dict, answering) -> None:
    """Use the link as the respondent would: submit (straight away: the page's opening adds nothing the demo needs),
    open it and save half of the answers, or only open it."""
    if p.action == "none":
        return
    raw = p.link.token
    questions = structure[p.link.respondent.group.questionnaire_id]
    answers = {str(pk): options[code] for (pk, options), code in zip(questions, p.codes, strict=True)}
    if p.action == "submit":
        answering.answer_submit(raw=raw, answers=answers, ip=p.ip, device=p.device)
        return
    answering.answer_open(raw=raw, ip=p.ip, device=p.device)
    if p.action == "draft":
        keep = dict(list(answers.items())[: max(1, len(answers) // 2)])
        answering.draft_save(raw=raw, answers=keep, ip=p.ip, device=p.device)


def _backdate(plans: list[_Plan], sent_lists) -> None:
    """Move the moments stamped by the services into the demo's past (see the module)."""
    from .models import Invitation, RespondentList, Response

    sent_at = timezone.now() - dt.timedelta(days=LIST_SENT_DAYS_AGO)
    RespondentList.objects.filter(pk__in=[rl.pk for _s, rl in sent_lists]).update(sent_at=sent_at)
    invitations, responses = [], []
    by_invitation = {
        r.invitation_id: r for r in Response.objects.filter(invitation_id__in=[p.link.invitation.pk for p in plans])
    }
    for p in plans:
        invitation = p.link.invitation
        invitation.sent_at = sent_at + dt.timedelta(hours=2)
        if p.action == "none":
            invitations.append(invitation)
            continue
        started = p.at - dt.timedelta(seconds=p.seconds)
        invitation.opened_at = started
        invitation.used_at = p.at if p.action == "submit" else None
        invitations.append(invitation)
        response = by_invitation.get(invitation.pk)
        if response is not None:
            response.started_at = started
            response.submitted_at = p.at if p.action == "submit" else None
            responses.append(response)
    Invitation.objects.bulk_update(invitations, ["sent_at", "opened_at", "used_at"], batch_size=500)
    Response.objects.bulk_update(responses, ["started_at", "submitted_at"], batch_size=500)


def _refresh_results(cycle, group) -> None:
    """The demo cycle computed its draft result before the survey existed: compute that draft again, in place, so
    that it includes the survey points."""
    from parindex.scoring.models import ResultSet, ResultSource, ResultStatus
    from parindex.scoring.services import resultset_compute_job

    draft = (
        ResultSet.objects.filter(cycle=cycle, group=group, status=ResultStatus.DRAFT, source=ResultSource.COMPUTED)
        .order_by("-pk")
        .first()
    )
    if draft is not None:
        resultset_compute_job.call(draft.pk)
