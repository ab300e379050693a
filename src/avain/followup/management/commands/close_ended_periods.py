from django.core.management.base import BaseCommand

from avain.followup.services import close_ended_periods


class Command(BaseCommand):
    help = "Close every HB whose decided budget period has ended (reason: the budget period ended). Safe to run daily."

    def handle(self, *args, **options):
        closed = close_ended_periods()
        self.stdout.write(f"closed: {len(closed)}")
