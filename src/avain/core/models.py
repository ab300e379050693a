from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A person who can sign in: staff, a client, a close one, an HB assistant or a provider's contact.

    What the user may do follows from the records that point at the user (staff memberships, a client
    record, delegations, provider contacts), never from flags on this row.
    """

    class Meta:
        db_table = "core_user"

    def __str__(self) -> str:
        return self.get_full_name() or self.username
