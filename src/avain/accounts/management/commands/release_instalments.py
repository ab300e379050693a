from django.core.management.base import BaseCommand

from avain.accounts.funding import release_due_instalments


class Command(BaseCommand):
    help = (
        "Release the budget instalments that have fallen due on open accounts (quarterly or monthly budgets). "
        "Safe to run daily, or twice: each instalment is released once."
    )

    def handle(self, *args, **options):
        released = release_due_instalments()
        self.stdout.write(f"released: {released}")
