from .models import Role, StaffMembership

# Roles whose work needs identified client data. Researchers see pseudonymised data only, administrators none.
CLIENT_DATA_ROLES = frozenset({Role.SOCIAL_WORKER, Role.APPROVER, Role.FINANCE})


def staff_memberships(user) -> list[StaffMembership]:
    if not user.is_authenticated:
        return []
    return list(
        StaffMembership.objects.filter(user=user, active=True).select_related("organiser", "unit").order_by("id")
    )


def membership_with_role(user, roles) -> StaffMembership | None:
    """The user's first active membership in one of the given roles, or None."""
    for membership in staff_memberships(user):
        if membership.role in roles:
            return membership
    return None


def organiser_staff(organiser_id: int):
    return (
        StaffMembership.objects.filter(organiser_id=organiser_id, active=True)
        .select_related("user", "unit")
        .order_by("user__last_name", "user__first_name", "role")
    )
