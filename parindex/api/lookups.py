"""Objects named by id in a request body or query string. A missing one is a mistake in the data sent (422, naming
the field), not a missing page (404, kept for ids in the path)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404

from parindex.orgs import access
from parindex.orgs.models import OrgUnit


def unit_from_field(user, unit_id: int | None, field: str) -> OrgUnit | None:
    if unit_id is None:
        return None
    try:
        return access.require_unit(user, unit_id)
    except Http404:
        raise ValidationError({field: [f"Không tìm thấy đơn vị có id {unit_id}."]}) from None
