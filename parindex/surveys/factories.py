"""A survey in preparation over the test cycle (``parindex.cycles.factories.make_cycle``): two respondent groups —
officials of each department rating their own unit (priority 1) and citizens rating the department that served them
(priority 2) — each with a three-question questionnaire feeding criterion 3.1 (4 points)."""

from __future__ import annotations

from types import SimpleNamespace

OPTIONS = [
    ("A", "Rất hài lòng", 100, False),
    ("B", "Hài lòng", 60, False),
    ("C", "Chưa hài lòng", 20, False),
    ("D", "Không hài lòng", 0, False),
    ("X", "Không biết / không trả lời", 0, True),
]


def make_questionnaire(code: str, name: str, owner, *, node_code: str = "3.1", questions: int = 3):
    from .models import Option, Question, Questionnaire

    questionnaire = Questionnaire.objects.create(code=code, name=name, owner=owner)
    for q in range(1, questions + 1):
        question = Question.objects.create(
            questionnaire=questionnaire,
            code=f"Q{q}",
            text=f"Ông/bà đánh giá thế nào về nội dung {q}?",
            order=q,
            criteria=[{"node": node_code, "weight": 1}],
        )
        Option.objects.bulk_create(
            [
                Option(question=question, code=c, text=t, weight=w, excluded=x, order=i)
                for i, (c, t, w, x) in enumerate(OPTIONS)
            ]
        )
    return questionnaire


def make_survey(cyc, cast) -> SimpleNamespace:
    from parindex.orgs.factories import UserFactory, grant
    from parindex.orgs.models import Role

    from .models import RespondentGroup, Survey

    survey = Survey.objects.create(cycle=cyc.cycle, framework=cyc.framework, name="Điều tra XHH năm 2026")
    officials_q = make_questionnaire("phieu-can-bo", "Phiếu cán bộ, công chức", cast.home_affairs)
    citizens_q = make_questionnaire("phieu-nguoi-dan", "Phiếu người dân, tổ chức", cast.home_affairs)
    officials = RespondentGroup.objects.create(
        survey=survey,
        code="can-bo",
        name="Lãnh đạo, công chức sở",
        priority=1,
        rates="own_unit",
        questionnaire=officials_q,
    )
    citizens = RespondentGroup.objects.create(
        survey=survey,
        code="nguoi-dan",
        name="Người dân, tổ chức",
        priority=2,
        is_citizen=True,
        rates="served_unit",
        questionnaire=citizens_q,
    )
    coordinator = UserFactory(username="coordinator", full_name="Đặng Thị Điều Phối")
    grant(coordinator, cast.province, Role.SURVEY_COORDINATOR, includes_subunits=True)
    return SimpleNamespace(
        survey=survey,
        officials=officials,
        citizens=citizens,
        officials_q=officials_q,
        citizens_q=citizens_q,
        coordinator=coordinator,
    )
