"""What a format module reports when a file, an invoice or one of its lines is wrong.

The messages are English, for logs and tests. A page shows the sender its own language by ``code`` (and ``params``);
the codes are stable and listed in docs/file-formats.md.
"""

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FormatError:
    """One problem: ``row`` is the 1-based line (an invoice row, a payment) it belongs to, or None for the whole
    file or message; ``field`` is the element (or dataclass field) at fault, when there is one."""

    code: str
    message: str
    row: int | None = None
    field: str | None = None
    params: dict[str, Any] = dataclasses.field(default_factory=dict, hash=False)

    def __str__(self) -> str:
        where = f"row {self.row}: " if self.row is not None else ""
        return f"{where}{self.message} [{self.code}]"


class FileFormatError(ValueError):
    """The file as a whole cannot be read (not XML, not the expected message, unsafe XML); nothing in it was used."""

    def __init__(self, error: FormatError):
        super().__init__(str(error))
        self.error = error

    @property
    def code(self) -> str:
        return self.error.code


class BuildError(ValueError):
    """The data given to a builder cannot make a valid file; ``errors`` lists every problem found, not just the first."""

    def __init__(self, errors: list[FormatError]):
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = tuple(errors)

    @property
    def codes(self) -> set[str]:
        return {error.code for error in self.errors}
