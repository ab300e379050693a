"""What the journey tells the layers above it. ``planning`` may not import ``accounts`` (see docs/architecture.md),
yet closing a case and approving a change of its plan must move the budget account in the same transaction. So the
planning services send these signals *inside* their transactions, synchronously; ``accounts`` connects its receivers
in ``AccountsConfig.ready``. A receiver that raises (a ``ValidationError``) rolls the whole step back.

Both are sent with ``case`` (the locked ``HBCase``, at its new step) and ``actor`` (the user who made the move).
"""

from django.dispatch import Signal

# The decision was made: the case is at ``active`` and its budget period is set.
case_decided = Signal()

# The case moved to ``closed`` (the worker's "Close the HB", a follow-up meeting's outcome, or the period's end).
case_closed = Signal()

# A change of the plan made while the budget is in use was approved: the case is back at ``active`` and its newest
# approved version is the change.
plan_change_approved = Signal()
