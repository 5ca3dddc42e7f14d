"""Questionnaires: YAML and XLSX round trips, all-or-nothing imports whose errors name the question and the row,
the question editor, the lock once respondents answer, access, the commands and the API."""

import io
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from parindex.core.models import AuditEvent
from parindex.surveys import questionnaires
from parindex.surveys.models import Option, Question, Questionnaire
from parindex.surveys.questionnaires import QuestionnaireError

from .synthetic import respond

pytestmark = pytest.mark.django_db

GOOD_YAML = """
format: parindex-questionnaire/1
code: phieu-sipas
name: Phiếu đo lường sự hài lòng của người dân
description: Xin ông/bà vui lòng cho biết ý kiến về việc giải quyết thủ tục hành chính.
questions:
  - code: S1
    text: Ông/bà đánh giá thế nào về thái độ của công chức tiếp nhận hồ sơ?
    criteria: [{node: '3.1', weight: 2}]
    sipas: true
  - code: S2
    text: Thời gian giải quyết hồ sơ có đúng hẹn không?
    criteria: ['3.1']
    options:
      - {code: A, text: Đúng hẹn, weight: 100}
      - {code: B, text: Trễ hẹn, weight: 0}
      - {code: X, text: Không nhớ, excluded: true}
"""

BAD_YAML = """
code: phieu-loi
name: Phiếu có lỗi
questions:
  - code: Q1
    text: Câu có trọng số quá lớn
    criteria: ['3.1']
    options:
      - {code: A, text: Rất tốt, weight: 120}
      - {code: B, text: Tốt, weight: 50}
  - code: Q2
    text: Câu gắn tiêu chí không có
    criteria: ['9.9']
  - code: Q3
    text: Câu gắn tiêu chí không chấm bằng điều tra
    criteria: ['1.1']
  - code: Q1
    text: Câu trùng mã
  - code: Q5
    text: Câu có phương án trùng
    options:
      - {code: A, text: Một, weight: 100}
      - {code: A, text: Hai, weight: 0}
"""


def test_yaml_and_xlsx_round_trips_keep_every_detail(srv):
    spec = questionnaires.questionnaire_spec(srv.citizens_q)
    for fmt in ("yaml", "xlsx"):
        again = questionnaires.read(questionnaires.write(spec, fmt), fmt)
        assert again["code"] == spec["code"] and again["name"] == "Phiếu người dân, tổ chức"
        assert [(q["code"], q["text"], q["criteria"], q["sipas"], q["options"]) for q in again["questions"]] == [
            (q["code"], q["text"], q["criteria"], q["sipas"], q["options"]) for q in spec["questions"]
        ], fmt


def test_importing_the_export_back_changes_nothing(srv, cast):
    before = questionnaires.questionnaire_spec(srv.officials_q)
    for fmt in ("yaml", "xlsx"):
        content = questionnaires.write(before, fmt)
        questionnaires.questionnaire_import(content=content, fmt=fmt, survey=srv.survey, actor=cast.manager)
        after = questionnaires.questionnaire_spec(Questionnaire.objects.get(code="phieu-can-bo"))
        assert after == before, fmt


def test_a_new_questionnaire_gets_the_default_scale_and_is_attached_to_the_group(srv, cast):
    questionnaire = questionnaires.questionnaire_import(
        content=GOOD_YAML.encode(), fmt="yaml", survey=srv.survey, group=srv.citizens, actor=cast.manager
    )
    srv.citizens.refresh_from_db()
    assert srv.citizens.questionnaire == questionnaire
    s1 = questionnaire.questions.get(code="S1")
    assert s1.is_sipas and s1.criteria == [{"node": "3.1", "weight": 2}]
    assert [(o.code, o.weight, o.excluded) for o in s1.options.order_by("order")] == [
        ("A", 100, False),
        ("B", 60, False),
        ("C", 20, False),
        ("D", 0, False),
        ("X", 0, True),
    ]
    assert s1.options.get(code="X").text == "Không biết / không trả lời"
    assert [o.code for o in questionnaire.questions.get(code="S2").options.order_by("order")] == ["A", "B", "X"]
    assert AuditEvent.objects.filter(action="survey.questionnaire_imported").count() == 1


def test_a_bad_file_is_refused_whole_naming_each_question(srv, cast):
    counts = (Questionnaire.objects.count(), Question.objects.count(), Option.objects.count())
    with pytest.raises(QuestionnaireError) as refused:
        questionnaires.questionnaire_import(
            content=BAD_YAML.encode(), fmt="yaml", survey=srv.survey, actor=cast.manager
        )
    text = "\n".join(refused.value.messages)
    assert "Câu Q1: trọng số của phương án A là 120, vượt quá 100." in text
    assert "Câu Q2: không có tiêu chí “9.9” trong bộ chỉ số" in text
    assert "Câu Q3: tiêu chí “1.1”" in text and "không được chấm bằng điều tra xã hội học" in text
    assert "mã câu hỏi “Q1” trùng với câu thứ 1" in text
    assert "Câu Q5: mã phương án “A” bị trùng." in text
    assert (Questionnaire.objects.count(), Question.objects.count(), Option.objects.count()) == counts


def test_spreadsheet_errors_name_the_row(srv, cast):
    from openpyxl import Workbook

    wb = Workbook()
    meta = wb.active
    meta.title = "Phiếu"
    meta.append(["Thuộc tính", "Giá trị"])
    meta.append(["Mã phiếu", "phieu-excel"])
    meta.append(["Tên phiếu", "Phiếu nhập từ Excel"])
    ws = wb.create_sheet("Câu hỏi")
    ws.append(["Mã câu hỏi", "Câu hỏi", "Tiêu chí", "SIPAS", "Mã phương án", "Phương án", "Trọng số (%)", "Không tính"])
    ws.append(["E1", "Ông/bà có hài lòng?", "3.1", "có", "A", "Có", 100, ""])
    ws.append(["", "", "", "", "B", "Không", 0, ""])
    ws.append(["E2", "Câu thứ hai", "3.1", "", "A", "Có", 101, ""])
    ws.append(["", "", "", "", "B", "Không", "=1+1", ""])
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(QuestionnaireError) as refused:
        questionnaires.questionnaire_import(content=out.getvalue(), fmt="xlsx", survey=srv.survey, actor=cast.manager)
    text = "\n".join(refused.value.messages)
    assert "Dòng 4 (câu e2): trọng số của phương án A là 101, vượt quá 100." in text
    assert "Dòng 5: cột “Trọng số (%)” chứa công thức" in text
    assert not Questionnaire.objects.filter(code="phieu-excel").exists()


def test_a_code_used_by_another_survey_is_not_replaced(srv, cast, cyc):
    from parindex.surveys.factories import make_questionnaire
    from parindex.surveys.models import RespondentGroup, Survey

    other = Survey.objects.create(cycle=cyc.cycle, framework=cyc.framework, name="Điều tra khác")
    RespondentGroup.objects.create(
        survey=other, code="g", name="Nhóm", questionnaire=make_questionnaire("phieu-dung-chung", "X", cast.dept_a)
    )
    content = GOOD_YAML.replace("phieu-sipas", "phieu-dung-chung").encode()
    with pytest.raises(QuestionnaireError, match="cuộc điều tra khác"):
        questionnaires.questionnaire_import(content=content, fmt="yaml", survey=srv.survey, actor=cast.manager)


def test_once_answered_only_the_wording_may_change(srv, cast):
    respond(srv.survey, group=srv.officials, rated_unit=cast.dept_a, answers="ABC")
    spec = questionnaires.questionnaire_spec(srv.officials_q)
    spec["questions"][0]["options"][0]["weight"] = 90
    with pytest.raises(QuestionnaireError, match="đã có người trả lời"):
        questionnaires.questionnaire_import(
            content=questionnaires.write_yaml(spec), fmt="yaml", survey=srv.survey, actor=cast.manager
        )
    assert srv.officials_q.questions.get(code="Q1").options.get(code="A").weight == 100
    spec = questionnaires.questionnaire_spec(srv.officials_q)
    spec["questions"][0]["text"] = "Ông/bà đánh giá thế nào về sự tận tình của công chức?"
    questionnaires.questionnaire_import(
        content=questionnaires.write_yaml(spec), fmt="yaml", survey=srv.survey, actor=cast.manager
    )
    q1 = srv.officials_q.questions.get(code="Q1")
    assert q1.text == "Ông/bà đánh giá thế nào về sự tận tình của công chức?"
    assert q1.answers.count() == 1  # the answer still points at the same question
    question = srv.officials_q.questions.get(code="Q2")
    with pytest.raises(QuestionnaireError):
        questionnaires.question_delete(question=question, actor=cast.manager)


# --- pages ------------------------------------------------------------------------------------------------------


def option_fields(rows):
    data = {}
    for n, (code, text, weight, excluded) in enumerate(rows):
        data.update({f"option-{n}-code": code, f"option-{n}-text": text, f"option-{n}-weight": weight})
        if excluded:
            data[f"option-{n}-excluded"] = "1"
    return data


def test_a_manager_edits_a_question_in_the_browser_form(srv, cast, login):
    client = login(cast.manager)
    base = f"/khao-sat/{srv.survey.pk}/phieu-khao-sat/{srv.officials_q.pk}/"
    assert client.get(f"/khao-sat/{srv.survey.pk}/phieu-khao-sat/").status_code == 200
    assert client.get(base).status_code == 200
    q1 = srv.officials_q.questions.get(code="Q1")
    form = client.get(f"{base}cau-hoi/{q1.pk}/")
    assert form.status_code == 200 and "Rất hài lòng" in form.content.decode()
    rows = [("A", "Rất tốt", "100", False), ("B", "Tốt", "70", False), ("X", "Không biết", "", True)]
    data = {"code": "Q1", "text": "Thái độ phục vụ của công chức?", "order": "1", "criteria": "3.1: 1,5"}
    response = client.post(f"{base}cau-hoi/{q1.pk}/", {**data, **option_fields(rows)})
    assert response.status_code == 302
    q1.refresh_from_db()
    assert q1.text == "Thái độ phục vụ của công chức?"
    assert q1.criteria == [{"node": "3.1", "weight": 1.5}]
    assert [(o.code, o.weight, o.excluded) for o in q1.options.order_by("order")] == [
        ("A", 100, False),
        ("B", 70, False),
        ("X", 0, True),
    ]
    refused = client.post(
        f"{base}cau-hoi/{q1.pk}/", {**data, "criteria": "1.1", **option_fields([("A", "Có", "150", False)])}
    )
    assert refused.status_code == 422
    html = refused.content.decode()
    assert "vượt quá 100" in html and "không được chấm bằng điều tra xã hội học" in html
    assert "cần ít nhất hai phương án" in html
    q1.refresh_from_db()
    assert q1.criteria == [{"node": "3.1", "weight": 1.5}]

    added = client.post(f"{base}cau-hoi/them/", {"code": "Q4", "text": "Câu hỏi mới?", "criteria": "3.1"})
    assert added.status_code == 302
    assert srv.officials_q.questions.get(code="Q4").options.count() == 5  # the default scale
    client.post(f"{base}cau-hoi/{srv.officials_q.questions.get(code='Q4').pk}/xoa/")
    assert not srv.officials_q.questions.filter(code="Q4").exists()


@pytest.mark.parametrize("who", ["officer_a", "outsider", "other_manager"])
def test_others_cannot_change_a_questionnaire(srv, cast, login, who):
    client = login(getattr(cast, who))
    base = f"/khao-sat/{srv.survey.pk}/phieu-khao-sat/{srv.officials_q.pk}/"
    q1 = srv.officials_q.questions.get(code="Q1")
    response = client.post(f"{base}cau-hoi/{q1.pk}/", {"code": "Q1", "text": "Sửa trộm", "criteria": "3.1"})
    assert response.status_code == 403
    upload = io.BytesIO(GOOD_YAML.encode())
    upload.name = "phieu.yaml"
    assert client.post(f"/khao-sat/{srv.survey.pk}/phieu-khao-sat/nhap/", {"file": upload}).status_code == 403
    q1.refresh_from_db()
    assert q1.text != "Sửa trộm"
    assert not Questionnaire.objects.filter(code="phieu-sipas").exists()


def test_an_anonymous_visitor_cannot_see_questionnaires(srv, client):
    response = client.get(f"/khao-sat/{srv.survey.pk}/phieu-khao-sat/")
    assert response.status_code == 302


def test_a_questionnaire_of_another_survey_is_not_found_through_this_one(srv, cast, login):
    from parindex.surveys.factories import make_questionnaire

    stray = make_questionnaire("phieu-la", "Phiếu lạ", cast.home_affairs)
    response = login(cast.manager).get(f"/khao-sat/{srv.survey.pk}/phieu-khao-sat/{stray.pk}/")
    assert response.status_code == 404


def test_the_import_page_lists_every_error_and_the_export_downloads(srv, cast, login):
    client = login(cast.manager)
    upload = io.BytesIO(BAD_YAML.encode())
    upload.name = "phieu.yaml"
    response = client.post(f"/khao-sat/{srv.survey.pk}/phieu-khao-sat/nhap/", {"file": upload})
    assert response.status_code == 422
    assert "vượt quá 100" in response.content.decode()
    upload = io.BytesIO(GOOD_YAML.encode())
    upload.name = "phieu.yaml"
    response = client.post(
        f"/khao-sat/{srv.survey.pk}/phieu-khao-sat/nhap/", {"file": upload, "group": str(srv.citizens.pk)}
    )
    assert response.status_code == 302
    created = Questionnaire.objects.get(code="phieu-sipas")
    exported = client.get(f"/khao-sat/{srv.survey.pk}/phieu-khao-sat/{created.pk}/xuat/xlsx/")
    assert exported.status_code == 200
    assert questionnaires.read_xlsx(exported.content)["questions"][0]["code"] == "S1"
    yaml_text = client.get(f"/khao-sat/{srv.survey.pk}/phieu-khao-sat/{created.pk}/xuat/yaml/").content.decode()
    assert "Ông/bà đánh giá thế nào về thái độ của công chức tiếp nhận hồ sơ?" in yaml_text


# --- commands and API ---------------------------------------------------------------------------------------------


def test_the_commands_export_and_import(srv, tmp_path):
    path = tmp_path / "phieu.xlsx"
    call_command(
        "export_questionnaire", "phieu-nguoi-dan", "--format", "xlsx", "--output", str(path), stdout=StringIO()
    )
    out = StringIO()
    call_command("import_questionnaire", str(path), "--survey", str(srv.survey.pk), "--dry-run", stdout=out)
    assert "Hợp lệ" in out.getvalue() and "thay phiếu đang có" in out.getvalue()
    bad = tmp_path / "loi.yaml"
    bad.write_text(BAD_YAML, encoding="utf-8")
    with pytest.raises(CommandError, match="vượt quá 100"):
        call_command("import_questionnaire", str(bad), "--survey", str(srv.survey.pk), stdout=StringIO())
    good = tmp_path / "tot.yaml"
    good.write_text(GOOD_YAML, encoding="utf-8")
    out = StringIO()
    call_command("import_questionnaire", str(good), "--survey", str(srv.survey.pk), "--group", "nguoi-dan", stdout=out)
    assert "Đã nhập" in out.getvalue()
    srv.citizens.refresh_from_db()
    assert srv.citizens.questionnaire.code == "phieu-sipas"


def test_the_api_imports_reads_and_changes_questions(srv, cast, login):
    client = login(cast.manager)
    base = f"/api/v1/surveys/{srv.survey.pk}/questionnaires"
    upload = io.BytesIO(BAD_YAML.encode())
    upload.name = "loi.yaml"
    dry = client.post(f"{base}/import", {"file": upload, "dry_run": "true"})
    assert dry.status_code == 200 and not dry.json()["valid"]
    upload = io.BytesIO(BAD_YAML.encode())
    upload.name = "loi.yaml"
    refused = client.post(f"{base}/import", {"file": upload})
    assert refused.status_code == 422 and any("vượt quá 100" in m for m in refused.json()["errors"]["file"])
    listed = client.get(base).json()
    assert {q["code"] for q in listed} == {"phieu-can-bo", "phieu-nguoi-dan"}
    detail = client.get(f"{base}/{srv.officials_q.pk}").json()
    assert [q["code"] for q in detail["questions"]] == ["Q1", "Q2", "Q3"]
    q2 = detail["questions"][1]
    changed = client.put(
        f"{base}/{srv.officials_q.pk}/questions/{q2['id']}",
        {"code": "Q2", "text": "Câu hai đã sửa", "criteria": [{"node": "3.1", "weight": 2}]},
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["criteria"] == [{"node": "3.1", "weight": 2.0}]
    bad = client.post(
        f"{base}/{srv.officials_q.pk}/questions",
        {"code": "Q9", "text": "Sai tiêu chí", "criteria": [{"node": "2.1"}]},
        content_type="application/json",
    )
    assert bad.status_code == 422
    officer = Client()
    officer.force_login(cast.officer_a)
    assert officer.delete(f"{base}/{srv.officials_q.pk}/questions/{q2['id']}").status_code == 403
    assert client.delete(f"{base}/{srv.officials_q.pk}/questions/{q2['id']}").status_code == 204
