"""seed_demo: one province with departments, two groups and a user per role; running it twice changes nothing."""

import datetime as dt
import io

from django.core.management import call_command

from parindex.core.models import AuditEvent
from parindex.frameworks.models import Framework
from parindex.orgs import access
from parindex.orgs.factories import make_unit
from parindex.orgs.models import Membership, OrgUnit, Role, UnitGroup, UnitKind, User

JULY_2025 = dt.date(2025, 7, 1)


def make_can_tho():
    moha = make_unit("Bộ Nội vụ", UnitKind.MOHA, code="BNV")
    province = make_unit("Thành phố Cần Thơ", UnitKind.PROVINCE, parent=moha, code="92", valid_from=JULY_2025)
    for i in range(12):
        make_unit(f"Phường Thử {i:02d}", UnitKind.COMMUNE, parent=province, code=f"31{i:03d}", valid_from=JULY_2025)
    make_unit("Tỉnh Khác", UnitKind.PROVINCE, parent=moha, code="01", valid_from=JULY_2025)
    return province


def counts():
    return {
        "units": OrgUnit.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "groups": UnitGroup.objects.count(),
        "group_units": sum(g.units.count() for g in UnitGroup.objects.all()),
        "events": AuditEvent.objects.count(),
        "frameworks": Framework.objects.count(),
    }


def run(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_seed_demo_builds_the_demo_and_is_idempotent(db):
    province = make_can_tho()
    output = run()
    first = counts()
    assert "demo.manager" in output and "parindex-demo" in output and "Quản lý Chỉ số" in output

    departments = OrgUnit.objects.filter(parent=province).exclude(kind=UnitKind.COMMUNE)
    assert departments.count() >= 17
    names = set(departments.values_list("name", flat=True))
    assert {"Sở Nội vụ thành phố Cần Thơ", "Sở Nông nghiệp và Môi trường thành phố Cần Thơ"} <= names
    assert "Văn phòng Ủy ban nhân dân thành phố Cần Thơ" in names
    assert all(u.valid_from == JULY_2025 for u in departments)

    assert UnitGroup.objects.get(code="so-ban-nganh").units.count() == 14
    communes = UnitGroup.objects.get(code="xa-phuong").units.all()
    assert communes.count() == 10 and all(u.kind == UnitKind.COMMUNE for u in communes)

    usernames = {f"demo.{r}" for r in ("admin", "manager", "officer", "leader", "appraiser", "chair", "coordinator")}
    assert usernames | {"demo.viewer"} <= set(User.objects.values_list("username", flat=True))
    manager = User.objects.get(username="demo.manager")
    assert manager.check_password("parindex-demo")
    assert access.has_role_for_unit(manager, communes[0], access.MANAGER_ROLES)
    officer = User.objects.get(username="demo.officer")
    assert officer.memberships.get().unit.name == "Sở Tư pháp thành phố Cần Thơ"
    assert officer.memberships.get().role == Role.UNIT_OFFICER
    assert User.objects.get(username="demo.admin").is_superuser
    role_users = usernames | {"demo.viewer"}
    assert Membership.objects.filter(user__username__in=role_users).count() == 8
    assert AuditEvent.objects.filter(action="membership.grant", reason="Dữ liệu minh họa").count() >= 8

    home_affairs = OrgUnit.objects.get(name="Sở Nội vụ thành phố Cần Thơ")
    assert set(Framework.objects.filter(owner=home_affairs).values_list("code", flat=True)) == {
        "pari-tinh-876",
        "pari-so-nganh",
        "pari-xa",
    }

    # A cycle in progress with units in every state, a draft result and last year's published (illustrative) one.
    from parindex.assessments.models import Assessment, AssessmentStatus
    from parindex.scoring.models import ResultSet

    states = set(Assessment.objects.values_list("status", flat=True))
    assert states == set(AssessmentStatus.values)
    assert "Đợt đánh giá minh họa" in output
    assert {(r.status, r.source) for r in ResultSet.objects.all()} == {("draft", "computed"), ("published", "imported")}

    run()
    assert counts() == first


def test_seed_demo_keeps_changed_passwords_unless_asked(db):
    make_can_tho()
    run()
    officer = User.objects.get(username="demo.officer")
    officer.set_password("khac-han")
    officer.save()
    run()
    officer.refresh_from_db()
    assert officer.check_password("khac-han")
    run("--reset-passwords")
    officer.refresh_from_db()
    assert officer.check_password("parindex-demo")


def test_seed_demo_falls_back_to_the_first_province(db):
    moha = make_unit("Bộ Nội vụ", UnitKind.MOHA, code="BNV")
    hanoi = make_unit("Thành phố Hà Nội", UnitKind.PROVINCE, parent=moha, code="01", valid_from=JULY_2025)
    output = run()
    assert "Thành phố Hà Nội" in output
    assert OrgUnit.objects.filter(parent=hanoi, code="01-SNV").exists()


def test_seed_demo_loads_the_registry_when_it_is_empty(db, monkeypatch):
    calls = []

    def fake_load(*, actor=None, stdout=None):
        calls.append(actor)
        make_can_tho()
        return {"created": 15}

    monkeypatch.setattr("parindex.orgs.loaders.units_load_official", fake_load)
    run()
    assert calls == [None]
    assert OrgUnit.objects.filter(code="92-SNV").exists()
