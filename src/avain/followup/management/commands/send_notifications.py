from django.core.management.base import BaseCommand

from avain.core import clock
from avain.followup.notifications import queue_notifications, send_pending
from avain.followup.services import schedule_series_for_decided_cases


class Command(BaseCommand):
    help = (
        "Plan the follow-up meetings of newly decided budgets, queue the e-mails of what has happened "
        "(plans sent, returned, approved, decisions, coming meetings) and send them. Run it from cron, "
        "for example every 15 minutes; running it twice mails nobody twice."
    )

    def handle(self, *args, **options):
        now = clock.now()
        meetings = schedule_series_for_decided_cases()
        queued = queue_notifications(now)
        sent, failed = send_pending(now)
        self.stdout.write(f"meetings planned: {meetings}, queued: {queued}, sent: {sent}, failed: {failed}")
