from django.core.management.base import BaseCommand

from avain.evaluation.services import load_instruments, schedule_for_active_cases


class Command(BaseCommand):
    help = (
        "Install the shipped questionnaires that are missing and schedule the questionnaires of every HB case in use "
        "that has none yet. Run it from cron (for example every 15 minutes) and after a decision; running it twice "
        "schedules nothing twice."
    )

    def handle(self, *args, **options):
        installed = sum(1 for _code, _version, new in load_instruments() if new)
        scheduled = schedule_for_active_cases()
        self.stdout.write(f"questionnaires installed: {installed}, measurements scheduled: {scheduled}")
