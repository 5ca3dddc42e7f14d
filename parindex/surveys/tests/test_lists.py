"""Respondent lists: the file, every rule on crafted lists, decisions, sampling, sending, commands and the API."""

from __future__ import annotations

import io

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from parindex.core.models import AuditEvent
from parindex.cycles.factories import CLOSES, inside
from parindex.surveys import lists, services
from parindex.surveys.models import ListStatus, Respondent, RespondentGroup, RespondentList

from .listfiles import HEADER, citizen, citizens, official, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_survey_window():
    with time_machine.travel(inside("survey")):
        yield


def imported(srv, cast, rows, *, unit=None, actor=None, **kw):
    result = services.respondent_list_import(
        survey=srv.survey, unit=unit or cast.dept_a, content=xlsx(rows), actor=actor or srv.coordinator, **kw
    )
    assert result.errors == []
    return result


def by_row(respondent_list) -> dict[int, Respondent]:
    return {r.row: r for r in Respondent.objects.filter(respondent_list=respondent_list)}


# --- the file -------------------------------------------------------------------------------------------------------


def test_the_template_has_the_list_sheet_with_every_column_and_the_survey_groups(srv):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(lists.template_xlsx(srv.survey)))
    assert wb.sheetnames == [lists.SHEET, lists.GROUPS_SHEET, lists.INSTRUCTIONS_SHEET]
    assert [c.value for c in wb[lists.SHEET][1]] == HEADER
    codes = [row[0].value for row in wb[lists.GROUPS_SHEET].iter_rows(min_row=2)]
    assert codes == ["can-bo", "nguoi-dan"]


def test_a_template_filled_in_imports_with_every_row(srv, cast):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(lists.template_xlsx(srv.survey)))
    ws = wb[lists.SHEET]
    ws.append([1, "Nguyễn Văn An", "an@example.vn", None, None, "Giám đốc", "P99-STP", None, "Lãnh đạo, công chức sở"])
    buffer = io.BytesIO()
    wb.save(buffer)
    result = services.respondent_list_import(
        survey=srv.survey, unit=cast.dept_a, content=buffer.getvalue(), actor=srv.coordinator
    )
    assert result.errors == [] and result.applied
    r = Respondent.objects.get()
    assert (r.full_name, r.group, r.unit, r.rated_unit, r.status) == (
        "Nguyễn Văn An",
        srv.officials,
        cast.dept_a,
        cast.dept_a,
        "included",
    )


def test_a_valid_file_is_imported_and_audited(srv, cast):
    result = imported(srv, cast, [official(), *citizens(3)])
    assert result.applied and result.respondent_list.status == ListStatus.DRAFT
    assert Respondent.objects.filter(respondent_list=result.respondent_list).count() == 4
    event = AuditEvent.objects.get(action="survey.list_imported")
    assert event.actor == srv.coordinator and event.changes["rows"] == [0, 4]


def test_importing_again_replaces_the_draft_list(srv, cast):
    first = imported(srv, cast, [official(), *citizens(3)])
    second = imported(srv, cast, citizens(2, start=10))
    assert first.respondent_list.pk == second.respondent_list.pk
    assert second.replaced == 4
    assert sorted(Respondent.objects.values_list("full_name", flat=True)) == ["Người dân 10", "Người dân 11"]


def test_a_dry_run_writes_nothing_but_shows_the_decisions(srv, cast):
    result = imported(srv, cast, [citizen(received=None), *citizens(2)], dry_run=True)
    assert not result.applied
    assert result.by_status == {"excluded": 1, "included": 2}
    assert "chưa nhận kết quả" in result.excluded[0].reason
    assert not RespondentList.objects.exists() and not Respondent.objects.exists()


def test_row_errors_are_reported_by_row_and_nothing_is_written(srv, cast):
    rows = [
        official(),
        official(name="Sai Thư", email="an@@example", phone=""),
        official(name="Sai Số", email="", phone="12345"),
        official(name="Đơn Vị Lạ", email="la@example.vn", phone="", unit="Sở Không Tồn Tại"),
        official(name="Nhóm Lạ", email="nhom@example.vn", phone="", group="nhom-khong-co"),
        official(name="", email="x@example.vn"),
        official(name="Không Liên Lạc", email="", phone=""),
        citizen(name="Dân Thiếu", phone="0987111222", procedure_field="", served="31/02/2026"),
    ]
    result = services.respondent_list_import(
        survey=srv.survey, unit=cast.dept_a, content=xlsx(rows), actor=srv.coordinator
    )
    assert result.error_count == 7 and not result.applied
    text = "\n".join(result.errors)
    assert "Dòng 3 — Thư điện tử: thư điện tử “an@@example” không hợp lệ" in text
    assert "Dòng 4 — Điện thoại: số điện thoại “12345” không hợp lệ" in text
    assert "Dòng 5 — Đơn vị công tác: không tìm thấy đơn vị “Sở Không Tồn Tại”" in text
    assert "Dòng 6 — Nhóm đối tượng: không có nhóm đối tượng “nhom-khong-co”" in text
    assert "Dòng 7 — Họ và tên: thiếu họ và tên" in text
    assert "Dòng 8 — Thư điện tử: cần thư điện tử hoặc số điện thoại" in text
    assert "Dòng 9 — " in text and "thiếu lĩnh vực thủ tục" in text and "ngày “31/02/2026” không hợp lệ" in text
    assert "Dòng 2 " not in text
    assert not RespondentList.objects.exists() and not Respondent.objects.exists()
    assert not AuditEvent.objects.filter(action="survey.list_imported").exists()


def test_phones_and_emails_are_normalised():
    assert lists.normalise_phone("0912 345 678") == "0912345678"
    assert lists.normalise_phone("+84 912.345.678") == "0912345678"
    assert lists.normalise_phone("84912345678") == "0912345678"
    assert lists.normalise_phone(912345678) == "0912345678"
    assert lists.normalise_phone("024 3825 3536") == "02438253536"
    assert lists.normalise_phone("12345") is None
    assert lists.normalise_phone("+1 202 555 0100") is None
    assert lists.normalise_email(" An@Example.VN ") == "an@example.vn"
    assert lists.normalise_email("an@@example") is None


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: xlsx([official()], sheet="Sheet1"), "Không có trang tính “Danh sách”"),
        (
            lambda: xlsx([official()], header=[h for h in HEADER if h != "Nhóm đối tượng"]),
            "thiếu cột: “Nhóm đối tượng”",
        ),
        (lambda: b"ho ten,email\nAn,an@example.vn\n", "không phải là tệp Excel .xlsx"),
        (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "Excel cũ (.xls)"),
        (lambda: b"PK\x03\x04 not really a zip", "bị hỏng"),
    ],
)
def test_files_that_are_not_a_list_are_refused_with_a_clear_message(srv, cast, build, message):
    with pytest.raises(ValidationError) as exc:
        services.respondent_list_import(survey=srv.survey, unit=cast.dept_a, content=build(), actor=srv.coordinator)
    assert message in " ".join(exc.value.message_dict["file"])
    assert not Respondent.objects.exists()


def test_formulas_are_refused_with_their_row_and_column(srv, cast):
    def put_formula(ws):
        ws["C3"] = '=CONCATENATE(B3,"@example.vn")'

    content = xlsx([official(), official(name="Lê Công Thức", email="ct@example.vn")], setup=put_formula)
    with pytest.raises(ValidationError) as exc:
        services.respondent_list_import(survey=srv.survey, unit=cast.dept_a, content=content, actor=srv.coordinator)
    assert "Dòng 3, cột “Thư điện tử”: ô chứa công thức" in " ".join(exc.value.message_dict["file"])
    assert not Respondent.objects.exists()


def test_merged_cells_are_refused(srv, cast):
    content = xlsx([official(), official(name="B", email="b@example.vn")], setup=lambda ws: ws.merge_cells("F2:F3"))
    with pytest.raises(ValidationError) as exc:
        services.respondent_list_import(survey=srv.survey, unit=cast.dept_a, content=content, actor=srv.coordinator)
    assert "Dòng 2–3: ô gộp F2:F3" in " ".join(exc.value.message_dict["file"])


def test_more_than_100000_rows_are_refused_before_reading_them(srv, cast):
    content = xlsx([official()], setup=lambda ws: ws.cell(row=lists.MAX_ROWS + 2, column=2, value="Người cuối"))
    with pytest.raises(ValidationError) as exc:
        services.respondent_list_import(survey=srv.survey, unit=cast.dept_a, content=content, actor=srv.coordinator)
    assert "hơn 100.000 dòng" in " ".join(exc.value.message_dict["file"])


def test_dates_typed_as_excel_dates_and_numbers_are_read(srv, cast):
    import datetime as dt

    row = citizen(served=dt.date(2026, 3, 10), received=dt.datetime(2026, 3, 20, 9, 0), phone=987000111)
    imported(srv, cast, [row])
    r = Respondent.objects.get()
    assert (r.served_on, r.result_received_on, r.phone) == (dt.date(2026, 3, 10), dt.date(2026, 3, 20), "0987000111")


# --- the rules ------------------------------------------------------------------------------------------------------


def test_a_person_in_two_groups_is_kept_once_in_the_group_with_the_highest_priority(srv, cast):
    # Listed first as a citizen (priority 2), then as an official (priority 1): the official row is kept.
    result = imported(srv, cast, [citizen(name="Nguyễn Văn An", email="an@example.vn"), official()])
    rows = by_row(result.respondent_list)
    assert rows[3].status == "included" and rows[3].group == srv.officials
    assert rows[2].status == "merged" and rows[2].merged_into == rows[3] and rows[2].decided_by is None
    assert "ở nhóm có thứ tự ưu tiên cao hơn (“Lãnh đạo, công chức sở”, ưu tiên 1" in rows[2].reason
    assert "cùng thư điện tử an@example.vn" in rows[2].reason


def test_the_same_person_twice_with_different_spellings_and_the_same_phone_is_merged(srv, cast):
    rows = [
        official(name="Nguyễn Văn An", email="", phone="0912 345 678"),
        official(name="NGUYEN VAN  AN", email="", phone="+84912345678", unit="P99-STC"),
    ]
    result = imported(srv, cast, rows)
    got = by_row(result.respondent_list)
    assert got[2].status == "included"
    assert got[3].status == "merged" and got[3].merged_into == got[2]
    assert got[3].reason.startswith("Trùng với dòng 2 (Nguyễn Văn An): cùng số điện thoại 0912345678")


def test_duplicates_by_name_and_unit_or_by_id_number_are_merged(srv, cast):
    rows = [
        official(name="Trần Thị Bình", email="binh1@example.vn", phone=""),
        official(name="Tran thi Binh", email="binh2@example.vn", phone=""),  # same name, same unit
        official(name="Lê Văn Cường", email="c1@example.vn", phone="", id_number="001099012345"),
        official(name="Lê V. Cường", email="c2@example.vn", phone="", unit="Sở Tài chính", id_number="001099012345"),
        official(name="Trần Thị Bình", email="binh3@example.vn", phone="", unit="Sở Tài chính"),  # other unit
    ]
    got = by_row(imported(srv, cast, rows).respondent_list)
    assert [got[n].status for n in range(2, 7)] == ["included", "merged", "included", "merged", "included"]
    assert "họ tên và đơn vị công tác" in got[3].reason
    assert "số định danh" in got[5].reason
    assert all("001099012345" not in (r.id_number_hash + r.reason) for r in got.values())


def test_citizens_not_received_not_local_or_served_outside_the_window_are_excluded_with_reasons(srv, cast):
    rows = [
        citizen(name="Đủ Điều Kiện", phone="0987000001"),
        citizen(name="Chưa Nhận", phone="0987000002", received=None),
        citizen(name="Ở Xa", phone="0987000003", address="Số 1 phố Huế, Hà Nội"),
        citizen(name="Năm Trước", phone="0987000004", served="20/12/2025", received="05/01/2026"),
        citizen(name="Không Dấu", phone="0987000005", address="thon 3, xa Hoa Binh, TINH THU NGHIEM"),
    ]
    got = by_row(imported(srv, cast, rows).respondent_list)
    assert got[2].status == "included" and got[6].status == "included"
    assert (got[3].status, got[3].rule) == ("excluded", "not_received")
    assert "chưa nhận kết quả giải quyết thủ tục" in got[3].reason
    assert (got[4].status, got[4].rule) == ("excluded", "not_local")
    assert "địa chỉ “Số 1 phố Huế, Hà Nội” không ở địa phương (không nhắc đến Tỉnh Thử Nghiệm)" in got[4].reason
    assert (got[5].status, got[5].rule) == ("excluded", "served_window")
    assert "được phục vụ ngày 20/12/2025, ngoài thời gian khảo sát 01/01/2026 – 31/12/2026" in got[5].reason


def test_the_served_window_of_the_survey_replaces_the_cycle_year(srv, cast):
    import datetime as dt

    services.survey_update(
        survey=srv.survey, actor=cast.manager, served_from=dt.date(2025, 10, 1), served_to=dt.date(2026, 9, 30)
    )
    srv.survey.refresh_from_db()
    rows = [
        citizen(served="20/12/2025", received="05/01/2026"),
        citizen(name="B", phone="0987000009", served="10/10/2026", received="20/10/2026"),
    ]
    got = by_row(imported(srv, cast, rows).respondent_list)
    assert got[2].status == "included" and got[3].rule == "served_window"


def test_at_most_five_associations_are_kept_in_list_order_and_the_cap_is_reversible(srv, cast):
    associations = RespondentGroup.objects.create(
        survey=srv.survey,
        code="lanh-dao-hoi",
        name="Lãnh đạo Hội/Hiệp hội",
        priority=5,
        questionnaire=srv.officials_q,
        max_organisations=5,
    )
    rows = []
    for i in range(7):
        for j in range(2):
            rows.append(
                official(
                    name=f"Người {i}-{j}",
                    email=f"h{i}{j}@example.vn",
                    phone="",
                    group=associations.code,
                    organisation=f"Hội số {i}",
                    unit="P99",
                )
            )
    result = imported(srv, cast, rows)
    got = by_row(result.respondent_list)
    kept = {r.organisation for r in got.values() if r.status == "included"}
    assert kept == {f"Hội số {i}" for i in range(5)}
    late = [r for r in got.values() if r.status == "excluded"]
    assert len(late) == 4 and {r.rule for r in late} == {"max_organisations"}
    assert "khảo sát tối đa 5 tổ chức; “Hội số 5” đứng sau 5 tổ chức đầu tiên" in got[12].reason

    services.respondent_decide(
        respondent=got[12], status="included", reason="Hội số 0 không trả lời được", actor=srv.coordinator
    )
    got[12].refresh_from_db()
    assert (got[12].status, got[12].decided_by, got[12].rule) == ("included", srv.coordinator, "")


def test_a_group_with_a_cap_needs_the_organisation(srv, cast):
    RespondentGroup.objects.create(
        survey=srv.survey, code="hoi", name="Hội", priority=5, questionnaire=srv.officials_q, max_organisations=5
    )
    result = services.respondent_list_import(
        survey=srv.survey, unit=cast.dept_a, content=xlsx([official(group="hoi")]), actor=srv.coordinator
    )
    assert "nhóm “Hội” cần ghi tên tổ chức" in result.errors[0]


# --- decisions ------------------------------------------------------------------------------------------------------


def test_a_coordinator_reverses_a_merge_and_the_rules_keep_the_decision_when_the_list_changes(srv, cast):
    result = imported(srv, cast, [official(), official(name="Nguyễn Văn An (2)", email="an@example.vn", phone="")])
    merged = by_row(result.respondent_list)[3]
    assert merged.status == "merged"
    services.respondent_decide(
        respondent=merged, status="included", reason="Hai người khác nhau dùng chung hộp thư", actor=srv.coordinator
    )
    event = AuditEvent.objects.get(action="survey.respondent_decided")
    assert event.changes["status"] == ["merged", "included"] and event.reason.startswith("Hai người")

    services.respondent_add(respondent_list=result.respondent_list, data=citizen(), actor=cast.officer_a)
    merged.refresh_from_db()
    assert (merged.status, merged.merged_into, merged.decided_by) == ("included", None, srv.coordinator)


def test_a_decision_needs_a_reason_and_a_known_status(srv, cast):
    r = by_row(imported(srv, cast, [official()]).respondent_list)[2]
    with pytest.raises(ValidationError):
        services.respondent_decide(respondent=r, status="excluded", reason="  ", actor=srv.coordinator)
    with pytest.raises(ValidationError):
        services.respondent_decide(respondent=r, status="merged", reason="x", actor=srv.coordinator)
    r.refresh_from_db()
    assert r.status == "included"


def test_a_row_added_in_the_browser_is_checked_like_a_file_row(srv, cast):
    result = imported(srv, cast, [official()])
    with pytest.raises(ValidationError) as exc:
        services.respondent_add(
            respondent_list=result.respondent_list,
            data={"full_name": "Ai Đó", "email": "sai", "group": "can-bo", "position": "x", "unit": "P99-STP"},
            actor=srv.coordinator,
        )
    assert "thư điện tử “sai” không hợp lệ" in exc.value.message_dict["email"][0].lower()
    added = services.respondent_add(
        respondent_list=result.respondent_list,
        data={
            "full_name": "Nguyen Van An",
            "phone": "0912345678",
            "group": "can-bo",
            "position": "x",
            "unit": "P99-STP",
        },
        actor=srv.coordinator,
    )
    assert added.row == 3 and added.status == "merged"


def test_editing_a_row_applies_the_rules_again(srv, cast):
    result = imported(srv, cast, [citizen(received=None)])
    r = by_row(result.respondent_list)[2]
    assert r.status == "excluded"
    data = {**citizen(), "served_on": r.served_on, "result_received_on": r.served_on}
    services.respondent_update(respondent=r, data=data, actor=srv.coordinator)
    r.refresh_from_db()
    assert (r.status, r.reason) == ("included", "")


# --- quota and fields ----------------------------------------------------------------------------------------------


def test_a_citizens_list_short_of_its_quota_and_fields_says_what_is_missing(srv, cast):
    srv.survey.required_fields = ["Hộ tịch", "Đất đai", "Tư pháp"]
    srv.survey.commune_quota = 30
    srv.survey.save()
    result = imported(srv, cast, citizens(10, fields=("Hộ tịch",)))
    checks = lists.list_checks(result.respondent_list)
    assert (checks.quota, checks.citizens) == (30, 10)
    assert checks.missing_fields == ["Đất đai", "Tư pháp"]
    assert "mới có 10 người dân, tổ chức được khảo sát; cần ít nhất 30 (còn thiếu 20)" in checks.problems[0]
    assert "“Đất đai”, “Tư pháp”" in checks.problems[1]


def test_fields_of_the_units_earlier_lists_are_required_too(srv, cast, cyc):
    from parindex.cycles.models import Cycle
    from parindex.surveys.models import Survey

    old_cycle = Cycle.objects.create(year=2025, name="Năm 2025", assessor=cast.home_affairs)
    old = Survey.objects.create(cycle=old_cycle, framework=cyc.framework, name="Điều tra 2025")
    old_group = RespondentGroup.objects.create(
        survey=old, code="nguoi-dan", name="Người dân", is_citizen=True, questionnaire=srv.citizens_q
    )
    old_list = RespondentList.objects.create(survey=old, unit=cast.dept_a)
    Respondent.objects.create(
        respondent_list=old_list,
        survey=old,
        group=old_group,
        full_name="X",
        rated_unit=cast.dept_a,
        procedure_field="Chứng thực",
    )
    result = imported(srv, cast, citizens(30, fields=("Hộ tịch",)))
    checks = lists.list_checks(result.respondent_list)
    assert checks.missing_fields == ["Chứng thực"] and len(checks.problems) == 1


def test_a_list_of_officials_has_no_citizen_quota(srv, cast):
    checks = lists.list_checks(imported(srv, cast, [official()]).respondent_list)
    assert checks.quota is None and checks.problems == []


# --- sampling -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("population", "margin", "expected"),
    [
        (0, "0.05", 0),
        (1, "0.05", 1),
        (30, "0.05", 28),
        (100, "0.05", 80),
        (1000, "0.05", 286),
        (10000, "0.05", 385),
        (1000, "0.1", 91),
    ],
)
def test_the_sample_size_is_n_over_one_plus_n_e_squared_rounded_up(population, margin, expected):
    assert lists.sample_size(population, margin) == expected


def test_proportional_allocation_uses_the_largest_remainders():
    assert lists.allocate({"a": 50, "b": 30, "c": 20}, 10) == {"a": 5, "b": 3, "c": 2}
    assert lists.allocate({"a": 5, "b": 5, "c": 5}, 10) == {"a": 4, "b": 3, "c": 3}
    assert lists.allocate({"a": 7, "b": 2, "c": 1}, 5) == {"a": 4, "b": 1, "c": 0}
    assert sum(lists.allocate({"a": 333, "b": 333, "c": 334}, 286).values()) == 286


def test_sampling_is_stratified_by_field_reproducible_from_its_seed_and_explained(srv, cast):
    srv.survey.commune_quota = 10
    srv.survey.save()
    result = imported(srv, cast, citizens(200, fields=("Hộ tịch", "Hộ tịch", "Chứng thực", "Đất đai")))
    lst = services.respondent_list_sample(respondent_list=result.respondent_list, actor=srv.coordinator, seed=42)
    assert (lst.population, lst.sample_size, lst.sample_seed) == (200, 134, 42)
    chosen = set(Respondent.objects.filter(respondent_list=lst, status="included").values_list("pk", flat=True))
    assert len(chosen) == 134
    fields = {
        f: Respondent.objects.filter(pk__in=chosen, procedure_field=f).count()
        for f in ("Hộ tịch", "Chứng thực", "Đất đai")
    }
    assert fields == {"Hộ tịch": 67, "Chứng thực": 34, "Đất đai": 33}  # 100/50/50 of 200, largest remainders
    left = Respondent.objects.filter(respondent_list=lst, status="not_sampled")
    assert left.count() == 66 and {r.rule for r in left} == {"sampling"}
    assert "chọn ngẫu nhiên 134 trong 200 người, phân tầng theo lĩnh vực thủ tục, sai số e = 0.05, hạt giống 42" in (
        left.first().reason
    )

    services.respondent_list_sample(respondent_list=lst, actor=srv.coordinator, seed=7)
    other = set(Respondent.objects.filter(respondent_list=lst, status="included").values_list("pk", flat=True))
    assert other != chosen and len(other) == 134
    services.respondent_list_sample(respondent_list=lst, actor=srv.coordinator, seed=42)
    again = set(Respondent.objects.filter(respondent_list=lst, status="included").values_list("pk", flat=True))
    assert again == chosen
    assert AuditEvent.objects.filter(action="survey.list_sampled").count() == 3


def test_sampling_never_goes_below_the_quota_and_records_a_seed(srv, cast):
    result = imported(srv, cast, citizens(31))
    lst = services.respondent_list_sample(respondent_list=result.respondent_list, actor=srv.coordinator)
    assert lists.sample_size(31, "0.05") == 29
    assert lst.sample_size == 30 and lst.sample_seed is not None


def test_the_sample_is_dropped_when_the_list_changes(srv, cast):
    result = imported(srv, cast, citizens(100))
    services.respondent_list_sample(respondent_list=result.respondent_list, actor=srv.coordinator, seed=1)
    services.respondent_add(
        respondent_list=result.respondent_list, data=citizen(name="Mới", phone="0911222333"), actor=srv.coordinator
    )
    lst = RespondentList.objects.get()
    assert lst.sample_seed is None
    assert not Respondent.objects.filter(status="not_sampled").exists()


# --- sending --------------------------------------------------------------------------------------------------------


def test_a_list_short_of_its_quota_is_sent_only_with_a_note(srv, cast):
    result = imported(srv, cast, citizens(5))
    with pytest.raises(ValidationError) as exc:
        services.respondent_list_send(respondent_list=result.respondent_list, actor=srv.coordinator)
    assert "cần ít nhất 30" in " ".join(exc.value.message_dict["note"])
    assert RespondentList.objects.get().status == "draft"
    lst = services.respondent_list_send(
        respondent_list=result.respondent_list, actor=srv.coordinator, note="Xã nhỏ, chỉ có 5 người giao dịch"
    )
    assert (lst.status, lst.sent_by, lst.send_note) == ("sent", srv.coordinator, "Xã nhỏ, chỉ có 5 người giao dịch")
    assert AuditEvent.objects.get(action="survey.list_sent").reason == "Xã nhỏ, chỉ có 5 người giao dịch"


def test_a_sent_list_is_frozen(srv, cast):
    result = imported(srv, cast, [official(), *citizens(30)])
    lst = services.respondent_list_send(respondent_list=result.respondent_list, actor=srv.coordinator)
    r = Respondent.objects.filter(respondent_list=lst).first()
    attempts = [
        lambda: services.respondent_list_import(
            survey=srv.survey, unit=cast.dept_a, content=xlsx([official()]), actor=srv.coordinator
        ),
        lambda: services.respondent_add(
            respondent_list=lst, data=official(name="Mới", email="m@example.vn"), actor=srv.coordinator
        ),
        lambda: services.respondent_update(respondent=r, data=official(name="Đổi"), actor=srv.coordinator),
        lambda: services.respondent_decide(respondent=r, status="excluded", reason="x", actor=srv.coordinator),
        lambda: services.respondent_list_sample(respondent_list=lst, actor=srv.coordinator, seed=1),
        lambda: services.respondent_list_send(respondent_list=lst, actor=srv.coordinator, note="lần nữa"),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied) as exc:
            attempt()
        assert "đã được gửi" in str(exc.value) and "không thay đổi được nữa" in str(exc.value)
    assert Respondent.objects.filter(respondent_list=lst).count() == 31
    assert Respondent.objects.filter(respondent_list=lst, status="included").count() == 31


def test_lists_are_locked_once_the_survey_window_has_closed(srv, cast):
    import datetime as dt

    result = imported(srv, cast, [official()])
    with time_machine.travel(CLOSES["survey"] - dt.timedelta(seconds=1)):
        services.respondent_add(
            respondent_list=result.respondent_list,
            data=official(name="Kịp Giờ", email="k@example.vn"),
            actor=srv.coordinator,
        )
    with time_machine.travel(CLOSES["survey"] + dt.timedelta(seconds=1)), pytest.raises(PermissionDenied) as exc:
        services.respondent_add(
            respondent_list=result.respondent_list,
            data=official(name="Trễ", email="t@example.vn"),
            actor=srv.coordinator,
        )
    assert "đã kết thúc" in str(exc.value)
    assert Respondent.objects.count() == 2


# --- groups and surveys ------------------------------------------------------------------------------------------


def test_presets_create_the_groups_of_the_official_guidance_once(srv, cast):
    created = services.groups_from_preset(survey=srv.survey, preset="ministry", actor=cast.manager)
    assert [g.code for g in created] == [
        "lanh-dao-vu",
        "lanh-dao-so",
        "lanh-dao-phong",
        "cong-chuc-cchc",
        "lanh-dao-hoi",
    ]
    assert RespondentGroup.objects.get(survey=srv.survey, code="lanh-dao-hoi").max_organisations == 5
    assert all(g.questionnaire_id for g in created)
    assert services.groups_from_preset(survey=srv.survey, preset="ministry", actor=cast.manager) == []
    province = services.groups_from_preset(survey=srv.survey, preset="province", actor=cast.manager)
    assert [(g.code, g.priority) for g in province if g.code == "dai-bieu-hdnd"] == [("dai-bieu-hdnd", 1)]
    communes = services.groups_from_preset(survey=srv.survey, preset="commune", actor=cast.manager)
    assert all(g.is_citizen and g.rates == "served_unit" for g in communes)


def test_a_group_in_use_cannot_be_deleted(srv, cast):
    imported(srv, cast, [official()])
    with pytest.raises(ValidationError):
        services.group_delete(group=srv.officials, actor=cast.manager)
    assert RespondentGroup.objects.filter(pk=srv.officials.pk).exists()


def test_a_survey_is_created_for_one_of_the_cycle_frameworks(cyc, cast):
    from parindex.frameworks.models import Framework

    survey = services.survey_create(cycle=cyc.cycle, framework=cyc.framework, name="Điều tra 2026", actor=cast.manager)
    assert float(survey.margin_of_error) == 0.05 and survey.commune_quota == 30
    other = Framework.objects.exclude(pk=cyc.framework.pk).first()
    if other is not None:
        with pytest.raises(ValidationError):
            services.survey_create(cycle=cyc.cycle, framework=other, name="x", actor=cast.manager)


# --- commands ------------------------------------------------------------------------------------------------------


def test_the_commands_import_and_sample_a_list(srv, cast, tmp_path, capsys):
    path = tmp_path / "danh-sach.xlsx"
    path.write_bytes(xlsx(citizens(100)))
    call_command("import_respondents", str(path), "--survey", str(srv.survey.pk), "--unit", "P99-STP", "--dry-run")
    assert not Respondent.objects.exists()
    call_command("import_respondents", str(path), "--survey", str(srv.survey.pk), "--unit", "P99-STP")
    lst = RespondentList.objects.get()
    call_command("sample_respondents", "--list", str(lst.pk), "--seed", "5")
    out = capsys.readouterr().out
    assert "Đã nhập 100 dòng" in out and "Đã chọn 80 trong 100 người (hạt giống 5)" in out
    bad = tmp_path / "sai.xlsx"
    bad.write_bytes(xlsx([official(email="sai@", phone="")]))
    with pytest.raises(CommandError, match="1 dòng lỗi"):
        call_command("import_respondents", str(bad), "--survey", str(srv.survey.pk), "--unit", "P99-STC")


def test_a_sheet_declaring_entities_is_refused(srv, cast):
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(xlsx([official()])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
                data = b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]>' + body
            out.writestr(item, data)
    with pytest.raises(ValidationError) as exc:
        services.respondent_list_import(
            survey=srv.survey, unit=cast.dept_a, content=buffer.getvalue(), actor=srv.coordinator
        )
    assert "bị hỏng" in " ".join(exc.value.message_dict["file"])


def test_the_fast_fold_agrees_with_the_shared_one():
    import unicodedata

    from parindex.core.text import fold as shared_fold

    samples = [
        "Nguyễn Văn Ân",
        "NGUYỄN  VĂN ÂN!!",
        "Đặng Thị Điều Phối",
        unicodedata.normalize("NFD", "Trần Thị Hằng"),
        "“Hội” Doanh-nghiệp, tỉnh Thử Nghiệm",
        "Ωmega ß İstanbul",
        "  ",
        "",
    ]
    assert [lists.fold(s) for s in samples] == [shared_fold(s) for s in samples]
