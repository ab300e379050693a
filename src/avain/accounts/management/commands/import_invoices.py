from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from avain.accounts.imports import describe, failed_line_count, file_problems, import_invoice_file, line_problems
from avain.accounts.models import ImportStatus
from avain.catalogue.models import Provider
from avain.organisations.models import Organiser


class Command(BaseCommand):
    help = (
        "Import a provider's invoice file (Finvoice 3.0 XML or CSV) and print what was posted and which lines "
        "failed and why. The same file imported twice is posted once; an import cut short by a crash left nothing "
        "behind and is completed by running the command again. Exits with an error when the file is rejected."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the invoice file")
        parser.add_argument("--organiser", required=True, help="the organiser's code")
        parser.add_argument("--provider", required=True, help="the provider's business ID (Y-tunnus), e.g. 1234567-8")
        parser.add_argument("--user", required=True, help="the username recorded as having received the file")
        parser.add_argument(
            "--language",
            default=settings.LANGUAGE_CODE,
            choices=[code for code, _name in settings.LANGUAGES],
            help="the language of the messages",
        )

    def handle(self, *args, **options):
        organiser = Organiser.objects.filter(code=options["organiser"]).first()
        if organiser is None:
            raise CommandError(f"No organiser with the code {options['organiser']!r}.")
        provider = Provider.objects.filter(organiser=organiser, business_id=options["provider"].strip()).first()
        if provider is None:
            raise CommandError(f"{organiser.code} has no provider with the business ID {options['provider']!r}.")
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user {options['user']!r}.")
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None

        with translation.override(options["language"]):
            try:
                import_file = import_invoice_file(provider=provider, filename=path.name, data=data, received_by=user)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
            write = self.stdout.write
            write(f"import {import_file.pk}: {import_file.get_kind_display()}, {import_file.get_status_display()}")
            if import_file.repeated:
                write(f"already received at {import_file.received_at:%Y-%m-%d %H:%M}; nothing was posted again")
            for message in file_problems(import_file):
                write(f"file: {message}")
            write(
                f"lines read: {import_file.lines_total}, posted: {import_file.lines_posted}, "
                f"failed: {failed_line_count(import_file)}"
            )
            for line, message in describe(line_problems(import_file)):
                write(f"line {line}: {message}")
        if import_file.status == ImportStatus.REJECTED:
            raise CommandError("The file was rejected; nothing was posted.")
