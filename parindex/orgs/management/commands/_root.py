"""Finding the root unit of an import or export by its code."""

from django.core.management.base import CommandError
from django.utils import timezone

from parindex.orgs.models import OrgUnit
from parindex.orgs.selectors import valid_on_q


def root_by_code(code: str) -> OrgUnit:
    """The unit with this code; when a code was reused, the one valid today."""
    units = list(OrgUnit.objects.filter(code=code.strip()))
    if len(units) > 1:
        units = list(OrgUnit.objects.filter(valid_on_q(timezone.localdate()), code=code.strip()))
    if not units:
        raise CommandError(f"Không có đơn vị mã “{code}” (đang có hiệu lực).")
    if len(units) > 1:
        raise CommandError(f"Mã “{code}” ứng với nhiều đơn vị đang có hiệu lực; không xác định được đơn vị gốc.")
    return units[0]
