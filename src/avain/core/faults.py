"""Fault injection for crash tests.

Code that must survive a crash (for example an import that posts money) marks the dangerous moments with
``checkpoint("import:posted")``. In normal running a checkpoint does nothing. When the environment variable
``AVAIN_FAULT`` names the checkpoint, the process kills itself with SIGKILL right there: no ``finally`` blocks, no
rollback by Python, exactly as if the machine had lost power. The crash tests run a command in a subprocess with
``AVAIN_FAULT`` set and then check that the database holds nothing half-done and that a rerun completes the work.
"""

import os
import signal

ENVIRONMENT_VARIABLE = "AVAIN_FAULT"


def checkpoint(name: str) -> None:
    """Die at once with SIGKILL when ``AVAIN_FAULT`` equals ``name``; otherwise do nothing."""
    if os.environ.get(ENVIRONMENT_VARIABLE) == name:
        os.kill(os.getpid(), signal.SIGKILL)
