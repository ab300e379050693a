from django.core.management.base import BaseCommand, CommandError

from avain.accounts import ledger, synthetic
from avain.accounts.models import SubAccount


class Command(BaseCommand):
    help = (
        "Make synthetic organisers, staff, providers, clients, plans, decisions, budget accounts, agreements, invoices, "
        "payments and ledger entries, the same for the same seed, for the benchmarks. Adds to what is in the database. "
        "Use PostgreSQL for large sizes (written with COPY)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, required=True)
        parser.add_argument("--entries", type=int, required=True, help="ledger entries in all")
        parser.add_argument("--organisers", type=int, default=1)
        parser.add_argument("--providers", type=int, default=None, help="in all (default ten per organiser)")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--verify", type=int, default=1000, metavar="N",
            help="then check the stored totals of N of the new sub-accounts against their entries (0: none, -1: all)",
        )  # fmt: skip

    def handle(self, *args, **options):
        try:
            summary = synthetic.generate(
                clients=options["clients"],
                entries=options["entries"],
                organisers=options["organisers"],
                providers=options["providers"],
                seed=options["seed"],
                progress=lambda message: self.stdout.write(message),
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        for line in summary.lines():
            self.stdout.write(line)
        sample = options["verify"]
        if sample:
            subs = SubAccount.objects.filter(pk__gte=summary.first_ids["SubAccount"]).order_by("pk")
            if sample > 0:
                subs = SubAccount.objects.filter(pk__in=subs.values_list("pk", flat=True)[:sample])
            mismatches = ledger.verify(subs)
            if mismatches:
                raise CommandError(f"{len(mismatches)} stored totals differ from their entries, e.g. {mismatches[0]}")
            self.stdout.write(f"verified: the stored totals of {subs.count():,} new sub-accounts equal their entries")
