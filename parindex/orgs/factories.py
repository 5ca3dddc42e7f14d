"""Factories for tests and benchmarks. Units go through the service so that paths and keys are right."""

import factory

from . import services
from .models import Role, UnitKind, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.vn")
    full_name = factory.Sequence(lambda n: f"Nguyễn Văn {n}")
    password = factory.PostGenerationMethodCall("set_password", "mat-khau-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


_counter = iter(range(10**9))


def make_unit(name: str, kind: str = UnitKind.DEPARTMENT, parent=None, code: str | None = None, **kw):
    return services.unit_create(
        code=code or f"T{next(_counter):05d}", name=name, kind=kind, parent=parent, actor=None, **kw
    )


def grant(user, unit, role: str = Role.UNIT_OFFICER, includes_subunits: bool = False):
    return services.membership_grant(user=user, unit=unit, role=role, includes_subunits=includes_subunits, actor=None)
