from django.core.management.base import BaseCommand, CommandError

from avain.accounts import ledger
from avain.accounts.models import SubAccount


class Command(BaseCommand):
    help = (
        "Prove that every sub-account's stored totals (granted, committed, spent, paid) equal the sums of its ledger "
        "entries. Exits with an error and lists the differences if any do not."
    )

    def handle(self, *args, **options):
        mismatches = ledger.verify()
        checked = SubAccount.objects.count()
        for m in mismatches:
            self.stderr.write(
                f"sub-account {m.sub_account_id}: {m.bucket} stored {m.stored} but the entries sum to {m.entries}"
            )
        if mismatches:
            raise CommandError(f"{len(mismatches)} differences in {checked} sub-accounts")
        self.stdout.write(f"verified: {checked} sub-accounts, stored totals equal the entries")
