"""Demo data: one province with its departments, two unit groups and a user for every role.

Idempotent: running it again creates nothing new and changes nothing (passwords are kept unless
``--reset-passwords``). Everything goes through the services, so the audit trail shows what was made.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from parindex.orgs import selectors, services
from parindex.orgs.models import OrgUnit, Role, UnitGroup, UnitKind, User

DEFAULT_PROVINCE = "Thành phố Cần Thơ"
DEFAULT_PASSWORD = "parindex-demo"
COMMUNES_IN_GROUP = 10

# (code suffix, name before the locality, kind). Names as in force after the 2025 reorganisation.
DEPARTMENTS = [
    ("SNV", "Sở Nội vụ", UnitKind.DEPARTMENT),
    ("VP", "Văn phòng Ủy ban nhân dân", UnitKind.DEPARTMENT),
    ("STP", "Sở Tư pháp", UnitKind.DEPARTMENT),
    ("STC", "Sở Tài chính", UnitKind.DEPARTMENT),
    ("SXD", "Sở Xây dựng", UnitKind.DEPARTMENT),
    ("SCT", "Sở Công Thương", UnitKind.DEPARTMENT),
    ("SYT", "Sở Y tế", UnitKind.DEPARTMENT),
    ("SGDDT", "Sở Giáo dục và Đào tạo", UnitKind.DEPARTMENT),
    ("SNNMT", "Sở Nông nghiệp và Môi trường", UnitKind.DEPARTMENT),
    ("SKHCN", "Sở Khoa học và Công nghệ", UnitKind.DEPARTMENT),
    ("SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch", UnitKind.DEPARTMENT),
    ("SDTTG", "Sở Dân tộc và Tôn giáo", UnitKind.DEPARTMENT),
    ("TTR", "Thanh tra", UnitKind.DEPARTMENT),
    ("BQLKCN", "Ban Quản lý các khu công nghiệp", UnitKind.DEPARTMENT),
    ("THUE", "Thuế", UnitKind.CENTRAL_AGENCY),
    ("TK", "Thống kê", UnitKind.CENTRAL_AGENCY),
    ("BHXH", "Bảo hiểm xã hội", UnitKind.CENTRAL_AGENCY),
]

# username suffix, role, where ("province" with sub-units, or a department code suffix), full name
PEOPLE = [
    ("admin", Role.SYSTEM_ADMIN, "province", "Nguyễn Văn Quản Trị"),
    ("manager", Role.INDEX_MANAGER, "province", "Trần Thị Chỉ Số"),
    ("officer", Role.UNIT_OFFICER, "STP", "Lê Văn Cán Bộ"),
    ("leader", Role.UNIT_LEADER, "STP", "Phạm Thị Lãnh Đạo"),
    ("appraiser", Role.APPRAISER, "province", "Hoàng Văn Thẩm Định"),
    ("chair", Role.COUNCIL_CHAIR, "province", "Võ Thị Chủ Tịch"),
    ("coordinator", Role.SURVEY_COORDINATOR, "province", "Đặng Văn Điều Tra"),
    ("viewer", Role.VIEWER, "province", "Bùi Thị Theo Dõi"),
]


def _locality(province: OrgUnit) -> str:
    """ "Thành phố Cần Thơ" → "thành phố Cần Thơ", as the name of a department ends."""
    return province.name[:1].lower() + province.name[1:]


class Command(BaseCommand):
    help = (
        "Tạo dữ liệu minh họa: một tỉnh với các sở, ban, ngành, nhóm đơn vị, một người dùng cho mỗi vai trò, một đợt "
        "đánh giá đang triển khai (đơn vị ở mọi trạng thái), một cuộc điều tra XHH đang khảo sát và kết quả minh họa."
    )

    def add_arguments(self, parser):
        parser.add_argument("--province", default=DEFAULT_PROVINCE, help="Tên hoặc mã tỉnh (mặc định: Cần Thơ).")
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="Mật khẩu của các tài khoản minh họa.")
        parser.add_argument(
            "--reset-passwords", action="store_true", help="Đặt lại mật khẩu cho tài khoản minh họa đã có."
        )

    def handle(self, *args, **options):
        province = self._province(options["province"])
        with transaction.atomic():
            departments = self._departments(province)
            self._groups(province, departments)
            self._frameworks(departments["SNV"])
            people = self._people(province, departments, options["password"], options["reset_passwords"])
        from django.test.utils import override_settings

        from parindex.cycles.demo import demo_cycle
        from parindex.surveys.demo import demo_survey

        # The demo's notices stay in the application: no e-mail is printed or sent while it is built.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"), transaction.atomic():
            by_suffix = {user.username.removeprefix("demo."): user for user, _role, _unit in people}
            demo_cycle(departments=departments, people=by_suffix, stdout=self.stdout)
            # A survey in progress over the demo cycle; its points go into the cycle's draft result.
            demo_survey(departments=departments, people=by_suffix, stdout=self.stdout)
        self._print(province, people, options["password"])

    # --- steps ---------------------------------------------------------------------------------------------------

    def _province(self, wanted: str) -> OrgUnit:
        today = timezone.localdate()
        provinces = OrgUnit.objects.filter(kind=UnitKind.PROVINCE)
        if not provinces.filter(selectors.valid_on_q(today)).exists():
            self.stdout.write("Chưa có danh mục đơn vị: nạp danh mục chính thức trước…")
            from parindex.orgs.loaders import units_load_official

            units_load_official(actor=None, stdout=self.stdout)
        province = selectors.unit_resolve(wanted, on=today, kind=UnitKind.PROVINCE)
        if province is None:
            province = provinces.filter(selectors.valid_on_q(today)).order_by("code", "pk").first()
            if province is None:
                raise CommandError("Không có tỉnh nào còn hiệu lực trong danh mục đơn vị.")
            self.stdout.write(f"Không tìm thấy “{wanted}”; dùng {province.name}.")
        return province

    def _departments(self, province: OrgUnit) -> dict[str, OrgUnit]:
        locality = _locality(province)
        existing = {u.code: u for u in OrgUnit.objects.filter(parent=province)}
        created = 0
        units = {}
        for suffix, base, kind in DEPARTMENTS:
            code = f"{province.code}-{suffix}"
            unit = existing.get(code)
            if unit is None:
                unit = services.unit_create(
                    code=code,
                    name=f"{base} {locality}",
                    short_name=base,
                    kind=kind,
                    parent=province,
                    valid_from=province.valid_from,
                    source="seed_demo",
                    actor=None,
                    reason="Dữ liệu minh họa",
                )
                created += 1
            units[suffix] = unit
        self.stdout.write(f"Sở, ban, ngành của {province.name}: {len(units)} ({created} tạo mới).")
        return units

    def _groups(self, province: OrgUnit, departments: dict[str, OrgUnit]) -> None:
        today = timezone.localdate()
        home_affairs = departments["SNV"]
        dept_units = [u for u in departments.values() if u.kind == UnitKind.DEPARTMENT]
        communes = list(
            selectors.unit_descendants(province)
            .filter(selectors.valid_on_q(today), kind=UnitKind.COMMUNE)
            .order_by("code", "pk")[:COMMUNES_IN_GROUP]
        )
        wanted = [
            ("so-ban-nganh", f"Sở, ban, ngành {_locality(province)}", dept_units),
            ("xa-phuong", f"Xã, phường {_locality(province)}", communes),
        ]
        for code, name, units in wanted:
            group = UnitGroup.objects.filter(code=code).first()
            if group is None:
                services.group_create(
                    code=code,
                    name=name,
                    owner=home_affairs,
                    units=units,
                    description="Nhóm minh họa do lệnh seed_demo tạo.",
                    actor=None,
                )
            else:
                services.group_set_units(group=group, units=units, actor=None, reason="Dữ liệu minh họa")
            self.stdout.write(f"Nhóm “{code}”: {len(units)} đơn vị.")

    def _frameworks(self, home_affairs: OrgUnit) -> None:
        from parindex.frameworks.services import frameworks_load_library

        loaded = frameworks_load_library(owner=home_affairs, actor=None)
        self.stdout.write(f"Bộ chỉ số mẫu: {', '.join(f.code for f in loaded)}.")

    def _people(self, province, departments, password: str, reset: bool) -> list[tuple[User, str, OrgUnit]]:
        people = []
        self.kept_passwords = []
        for suffix, role, where, full_name in PEOPLE:
            username = f"demo.{suffix}"
            user = User.objects.filter(username=username).first()
            if user is None:
                user = services.user_create(
                    username=username,
                    email=f"{username}@example.com",
                    full_name=full_name,
                    password=password,
                    is_staff=role == Role.SYSTEM_ADMIN,
                    is_superuser=role == Role.SYSTEM_ADMIN,
                    actor=None,
                )
            elif reset:
                services.user_set_password(user=user, password=password, actor=None, reason="seed_demo --reset")
            else:
                self.kept_passwords.append(username)
            unit = province if where == "province" else departments[where]
            services.membership_grant(
                user=user,
                unit=unit,
                role=role,
                includes_subunits=where == "province",
                actor=None,
                reason="Dữ liệu minh họa",
            )
            people.append((user, role, unit))
        return people

    def _print(self, province, people, password: str) -> None:
        labels = dict(Role.choices)
        rows = [("Tên đăng nhập", "Mật khẩu", "Vai trò", "Đơn vị")]
        for user, role, unit in people:
            rows.append((user.username, password, str(labels[role]), unit.name))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        line = "+-" + "-+-".join("-" * w for w in widths) + "-+"
        self.stdout.write("")
        self.stdout.write(f"Tài khoản minh họa ({province.name}):")
        self.stdout.write(line)
        for index, row in enumerate(rows):
            self.stdout.write("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |")
            if index == 0:
                self.stdout.write(line)
        self.stdout.write(line)
        if self.kept_passwords:
            self.stdout.write(
                f"{len(self.kept_passwords)} tài khoản đã có từ trước giữ nguyên mật khẩu "
                "(dùng --reset-passwords để đặt lại)."
            )
