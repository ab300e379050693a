from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from avain.portal.demo import DEMO_PASSWORD, PERSONAS, demo_summary, load_demo_data


class Command(BaseCommand):
    help = "Load the demo organisers, staff, price lists, providers and clients (needs AVAIN_DEMO=1)."

    def handle(self, *args, **options):
        # Every demo user shares a published password: such users must never land in a real database.
        if not settings.AVAIN_DEMO:
            raise CommandError("Demo data can only be loaded with AVAIN_DEMO=1.")
        if load_demo_data():
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        else:
            self.stdout.write("Demo data was already loaded; nothing was changed.")
        counts = demo_summary()
        self.stdout.write(", ".join(f"{count} {name}" for name, count in counts.items()))
        self.stdout.write(f"Every demo user's password is {DEMO_PASSWORD}. Personas:")
        for persona in PERSONAS:
            self.stdout.write(f"  {persona.username:<20} {persona.title}")
