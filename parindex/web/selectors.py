"""Reads for the home page: what concerns the signed-in user, within what they may see."""

from __future__ import annotations

from django.db.models import Count
from django.utils import timezone

from parindex.orgs import access
from parindex.orgs import selectors as org_selectors
from parindex.orgs.models import Membership, Role, UnitGroup, UnitKind, User

# Roles that work on their own unit (self-assessment); the home page shows them their unit and its parent.
UNIT_ROLES = {Role.UNIT_OFFICER, Role.UNIT_LEADER}
RECENT_EVENTS = 8


def home_overview(user) -> dict:
    # The user's own active roles: always theirs to see, so a plain query (cheaper than memberships_visible).
    memberships = list(
        Membership.objects.filter(user=user, ended_at__isnull=True)
        .select_related("unit__parent")
        .order_by("unit__path", "role")
    )
    overview = {
        "memberships": memberships,
        "unit_memberships": [m for m in memberships if m.role in UNIT_ROLES],
        "oversight_memberships": [m for m in memberships if m.role in access.OVERSIGHT_ROLES],
        "is_manager": access.is_manager(user),
        "is_system_admin": access.is_system_admin(user),
    }
    if overview["is_manager"]:
        overview.update(manager_overview(user))
    return overview


def manager_overview(user) -> dict:
    """Counts of the units, people and groups a manager looks after, and the latest changes among them."""
    today = timezone.localdate()
    scope = access.units_scope(user, access.MANAGER_ROLES)
    current = scope.filter(org_selectors.valid_on_q(today))
    labels = dict(UnitKind.choices)
    by_kind = [
        {"kind": row["kind"], "label": labels.get(row["kind"], row["kind"]), "count": row["n"]}
        for row in current.order_by().values("kind").annotate(n=Count("pk"))
    ]
    order = list(UnitKind.values)
    by_kind.sort(key=lambda row: order.index(row["kind"]) if row["kind"] in order else len(order))
    people = User.objects.filter(memberships__ended_at__isnull=True, memberships__unit__in=scope.values("pk"))
    return {
        "units_by_kind": by_kind,
        "units_total": sum(row["count"] for row in by_kind),
        "users_total": people.distinct().count(),
        "groups_total": UnitGroup.objects.filter(is_active=True, owner__in=scope.values("pk")).count(),
        "recent_events": list(access.audit_events_visible(user).select_related("actor", "unit")[:RECENT_EVENTS]),
    }
