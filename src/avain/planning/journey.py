"""The HB journey in one place: the named moves of a case and the steps each may start from. Pure: no database here.

Every change of a case's step is one of these moves and goes through ``services.move_case``, which checks it here,
under a row lock, and records it as a ``CaseTransition``. A move not in this table is refused with a message naming
the step the case is at. See docs/journey.md.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import ENDED_STATUSES, CaseAction, CaseStatus

# Where a case "is" before it exists: the step the first move starts from.
OPENED = ""

S = CaseStatus


@dataclass(frozen=True)
class Move:
    action: str
    sources: frozenset[str]
    target: str
    reason_required: bool = False


MOVES: dict[str, Move] = {
    move.action: move
    for move in (
        Move(CaseAction.OPEN, frozenset({OPENED}), S.NEEDS_ASSESSMENT),
        Move(CaseAction.START_PLANNING, frozenset({S.NEEDS_ASSESSMENT}), S.PLANNING),
        Move(CaseAction.SUBMIT_PLAN, frozenset({S.PLANNING}), S.REVIEW),
        # The comments are the reason: the client needs them to change the plan.
        Move(CaseAction.RETURN_PLAN, frozenset({S.REVIEW}), S.PLANNING, reason_required=True),
        Move(CaseAction.FORWARD_PLAN, frozenset({S.REVIEW}), S.APPROVAL),
        Move(CaseAction.APPROVE_PLAN, frozenset({S.APPROVAL}), S.APPROVED),
        Move(CaseAction.DECIDE, frozenset({S.APPROVED}), S.ACTIVE),
        # The client may choose ordinary services at any step before the budget is granted, or without any case.
        Move(
            CaseAction.DECLINE,
            frozenset({OPENED, S.NEEDS_ASSESSMENT, S.PLANNING, S.REVIEW, S.APPROVAL, S.APPROVED}),
            S.DECLINED,
        ),
        # The budget keeps running while a change is written, reviewed and approved, so it may end at any of them.
        Move(
            CaseAction.CLOSE,
            frozenset({S.ACTIVE, S.CHANGE_PLANNING, S.CHANGE_REVIEW, S.CHANGE_APPROVAL}),
            S.CLOSED,
            reason_required=True,
        ),
        # The organiser's approval rule "the worker alone": forwarding is the approval.
        Move(CaseAction.APPROVE_AT_REVIEW, frozenset({S.REVIEW}), S.APPROVED),
        # An approver (or a meeting of the management group) sends the plan back to the client, with the reason.
        Move(CaseAction.RETURN_FROM_APPROVAL, frozenset({S.APPROVAL}), S.PLANNING, reason_required=True),
        # A change of the plan while the budget is in use: the same review and approval, and back to the running
        # budget. The account keeps using the approved version until the change is approved.
        Move(CaseAction.START_CHANGE, frozenset({S.ACTIVE}), S.CHANGE_PLANNING),
        Move(CaseAction.SUBMIT_CHANGE, frozenset({S.CHANGE_PLANNING}), S.CHANGE_REVIEW),
        Move(CaseAction.RETURN_CHANGE, frozenset({S.CHANGE_REVIEW}), S.CHANGE_PLANNING, reason_required=True),
        Move(CaseAction.FORWARD_CHANGE, frozenset({S.CHANGE_REVIEW}), S.CHANGE_APPROVAL),
        Move(CaseAction.APPROVE_CHANGE_AT_REVIEW, frozenset({S.CHANGE_REVIEW}), S.ACTIVE),
        Move(CaseAction.APPROVE_CHANGE, frozenset({S.CHANGE_APPROVAL}), S.ACTIVE),
        Move(
            CaseAction.RETURN_CHANGE_FROM_APPROVAL,
            frozenset({S.CHANGE_APPROVAL}),
            S.CHANGE_PLANNING,
            reason_required=True,
        ),
    )
}

# The same step of the first plan and of a change made while the budget is in use: the move a service makes
# depends on which path the case is on. ``action_for(status, first, change)`` picks it.
CHANGE_STATUSES: frozenset[str] = frozenset({S.CHANGE_PLANNING, S.CHANGE_REVIEW, S.CHANGE_APPROVAL})


def action_for(status: str, first: str, change: str) -> str:
    """``change`` when the case is on the path of a change, otherwise ``first`` (which ``check`` then judges, so a
    case at any other step is refused with the usual message)."""
    return change if status in CHANGE_STATUSES else first

# Every step a case can be at (OPENED is not one: no case is there).
STATUSES: tuple[str, ...] = tuple(CaseStatus.values)
ENDED: frozenset[str] = frozenset(ENDED_STATUSES)
OPEN_STATUSES: tuple[str, ...] = tuple(s for s in STATUSES if s not in ENDED)


def allowed_targets(status: str) -> frozenset[str]:
    """The steps a case at ``status`` may move to next."""
    return frozenset(move.target for move in MOVES.values() if status in move.sources)


def allowed_actions(status: str) -> tuple[str, ...]:
    """The moves a case at ``status`` may make, in the order of the table."""
    return tuple(action for action, move in MOVES.items() if status in move.sources)


def allowed_pairs() -> frozenset[tuple[str, str]]:
    """Every (from, to) pair of steps that some move makes."""
    return frozenset((source, move.target) for move in MOVES.values() for source in move.sources)


def step_name(status: str) -> str:
    return CaseStatus(status).label if status else _("not opened yet")


def check(status: str, action: str, reason: str = "") -> Move:
    """The move ``action`` from ``status``, or a ValidationError saying why not. Changes nothing."""
    move = MOVES.get(action)
    if move is None or status not in move.sources:
        raise ValidationError(
            _("This cannot be done now: the case is at the step “%(step)s”."),
            code="wrong_step",
            params={"step": step_name(status)},
        )
    if move.reason_required and not reason.strip():
        raise ValidationError(_("Write the reason for this step."), code="reason_required")
    return move
