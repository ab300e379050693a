from django.core.management.base import BaseCommand

from avain.evaluation.services import remind_measurements


class Command(BaseCommand):
    help = (
        "E-mail the clients whose questionnaire is due within a week (or overdue) and not yet answered, once per "
        "questionnaire. Run it daily from cron; a failed send is tried again on the next run."
    )

    def handle(self, *args, **options):
        sent, failed = remind_measurements()
        self.stdout.write(f"reminders sent: {sent}, failed: {failed}")
