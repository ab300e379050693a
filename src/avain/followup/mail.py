"""An e-mail backend for the demo: each message becomes one ``.eml`` file in ``EMAIL_FILE_PATH`` (var/mail/),
which any mail program opens. Django's own file backend appends messages to ``.log`` files instead."""

import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

from avain.core import clock


class EmlFileBackend(BaseEmailBackend):
    def __init__(self, *args, file_path=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.file_path = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages) -> int:
        self.file_path.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            name = f"{clock.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:12]}.eml"
            try:
                (self.file_path / name).write_bytes(message.message().as_bytes(linesep="\n"))
            except OSError:
                if not self.fail_silently:
                    raise
            else:
                sent += 1
        return sent
