"""The explained budget as a person reads it, and its copy in a decision's snapshot. Pure: no database here.

A :class:`BudgetExplanation` is the same whether it comes from a fresh calculation (the what-if view), from the
rows stored on a case, or from a decision's snapshot years later; one template (``planning/_budget_table.html``)
shows all three.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from avain.core.money import money_sum
from avain.core.periods import Period

from .calculation import (
    PER_PERIOD,
    BudgetCalculation,
    ExplainedLine,
    LocalizedName,
    RuledBudget,
    RuleInput,
    period_units,
)

SNAPSHOT_VERSION = 2


@dataclass(frozen=True)
class BudgetExplanation:
    period: Period
    lines: tuple[ExplainedLine, ...]
    ruled: RuledBudget

    @property
    def lines_total(self) -> Decimal:
        return self.ruled.lines_total

    @property
    def total(self) -> Decimal:
        return self.ruled.total

    @classmethod
    def of(cls, calculation: BudgetCalculation, ruled: RuledBudget) -> "BudgetExplanation":
        return cls(calculation.period, calculation.lines, ruled)


# --- The snapshot: every number and name as it was, as JSON ------------------------------------------------------


def _names_json(names: LocalizedName) -> dict:
    return {"fi": names.fi, "sv": names.sv, "en": names.en}


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _money(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def line_to_json(line: ExplainedLine) -> dict:
    return {
        "service_code": line.service_code,
        "service_name": _names_json(line.service_name),
        "unit": line.unit,
        "frequency": line.frequency,
        "quantity": str(line.quantity),
        "valid_from": line.period.start.isoformat(),
        "valid_to": line.period.end.isoformat(),
        "days": line.days,
        "period_days": line.period_days,
        "units": f"{line.units.numerator}/{line.units.denominator}",
        "unit_price": str(line.unit_price),
        "amount": str(line.amount),
    }


def line_from_json(data: dict) -> ExplainedLine:
    numerator, denominator = data["units"].split("/")
    names = data["service_name"]
    return ExplainedLine(
        service_code=data["service_code"],
        service_name=LocalizedName(names["fi"], names.get("sv", ""), names.get("en", "")),
        unit=data["unit"],
        frequency=data["frequency"],
        quantity=Decimal(data["quantity"]),
        period=Period(_date(data["valid_from"]), _date(data["valid_to"])),
        period_days=data["period_days"],
        units=Fraction(int(numerator), int(denominator)),
        unit_price=Decimal(data["unit_price"]),
        amount=Decimal(data["amount"]),
    )


def ruled_to_json(ruled: RuledBudget) -> dict:
    rule = ruled.rule
    return {
        "rule": None
        if rule is None
        else {
            "valid_from": rule.valid_from.isoformat(),
            "valid_to": rule.valid_to.isoformat() if rule.valid_to else None,
            "percentage": str(rule.percentage),
            "cap": None if rule.cap is None else str(rule.cap),
            "rounding": rule.rounding,
        },
        "lines_total": str(ruled.lines_total),
        "after_percentage": str(ruled.after_percentage),
        "after_cap": str(ruled.after_cap),
        "total": str(ruled.total),
    }


def ruled_from_json(data: dict) -> RuledBudget:
    rule = data["rule"]
    return RuledBudget(
        lines_total=Decimal(data["lines_total"]),
        rule=None
        if rule is None
        else RuleInput(
            valid_from=_date(rule["valid_from"]),
            valid_to=_date(rule["valid_to"]),
            percentage=Decimal(rule["percentage"]),
            cap=_money(rule["cap"]),
            rounding=rule["rounding"],
        ),
        after_percentage=Decimal(data["after_percentage"]),
        after_cap=Decimal(data["after_cap"]),
        total=Decimal(data["total"]),
    )


def to_snapshot(explanation: BudgetExplanation) -> dict:
    """The budget part of a decision's snapshot (merged into ``Decision.snapshot`` by the service)."""
    return {
        "snapshot_version": SNAPSHOT_VERSION,
        "budget_period": [explanation.period.start.isoformat(), explanation.period.end.isoformat()],
        "budget_total": str(explanation.total),
        "budget_lines": [line_to_json(line) for line in explanation.lines],
        "budget_rules": ruled_to_json(explanation.ruled),
    }


def from_snapshot(snapshot: dict) -> BudgetExplanation | None:
    """The explanation exactly as the decision saw it; reads no prices, rules or needs.

    Version 1 snapshots (before frequencies and rules) held each piece's share of the need's quantity and the name
    in one language; every need then was a quantity over the whole period and no rule applied, so their
    explanation is rebuilt from the snapshot's own needs list in the same way (see the 0002 migration).
    """
    if not snapshot or "budget_lines" not in snapshot:
        return None
    start, end = (dt.date.fromisoformat(day) for day in snapshot["budget_period"])
    period = Period(start, end)
    if snapshot.get("snapshot_version", 1) >= 2:
        lines = tuple(line_from_json(line) for line in snapshot["budget_lines"])
        return BudgetExplanation(period, lines, ruled_from_json(snapshot["budget_rules"]))
    return _from_version_1(snapshot, period)


def _from_version_1(snapshot: dict, period: Period) -> BudgetExplanation:
    needs = iter(snapshot.get("needs", []))
    need = next(needs, None)
    lines = []
    for data in snapshot["budget_lines"]:
        piece = Period(dt.date.fromisoformat(data["valid_from"]), dt.date.fromisoformat(data["valid_to"]))
        matches = need is not None and need.get("service_code") == data["service_code"]
        quantity = Decimal(need["quantity"]) if matches else Decimal(data["quantity"])
        units = period_units(PER_PERIOD, piece, period) if matches else Fraction(1)
        name = data["service_name"]
        lines.append(
            ExplainedLine(
                service_code=data["service_code"],
                service_name=LocalizedName(name, name, name),
                unit=data["unit"],
                frequency=PER_PERIOD,
                quantity=quantity,
                period=piece,
                period_days=period.days,
                units=units,
                unit_price=Decimal(data["unit_price"]),
                amount=Decimal(data["amount"]),
            )
        )
        if piece.end >= period.end:
            need = next(needs, None)
    total = Decimal(snapshot["budget_total"])
    return BudgetExplanation(period, tuple(lines), RuledBudget(total, None, total, total, total))


# --- What if: a trial budget next to the saved one ----------------------------------------------------------------


@dataclass(frozen=True)
class ComparedService:
    service_code: str
    service_name: LocalizedName
    saved: Decimal | None  # None: not in the saved budget
    trial: Decimal | None  # None: not in the trial

    @property
    def difference(self) -> Decimal:
        return (self.trial or Decimal("0.00")) - (self.saved or Decimal("0.00"))


@dataclass(frozen=True)
class BudgetComparison:
    saved: BudgetExplanation | None
    trial: BudgetExplanation
    services: tuple[ComparedService, ...]

    @property
    def lines_total_difference(self) -> Decimal:
        return self.trial.lines_total - (self.saved.lines_total if self.saved else Decimal("0.00"))

    @property
    def total_difference(self) -> Decimal:
        return self.trial.total - (self.saved.total if self.saved else Decimal("0.00"))


def _amounts_by_service(lines: Sequence[ExplainedLine]) -> dict[str, tuple[LocalizedName, Decimal]]:
    result: dict[str, tuple[LocalizedName, Decimal]] = {}
    for line in lines:
        name, amount = result.get(line.service_code, (line.service_name, Decimal("0.00")))
        result[line.service_code] = (name, money_sum([amount, line.amount]))
    return result


def compare(saved: BudgetExplanation | None, trial: BudgetExplanation) -> BudgetComparison:
    """Per service (all its lines together) and in total: the saved budget, the trial, and the difference.

    Services come in the trial's order, then those only in the saved budget.
    """
    before = _amounts_by_service(saved.lines if saved else ())
    after = _amounts_by_service(trial.lines)
    rows = [
        ComparedService(code, name, before[code][1] if code in before else None, amount)
        for code, (name, amount) in after.items()
    ]
    rows += [ComparedService(code, name, amount, None) for code, (name, amount) in before.items() if code not in after]
    return BudgetComparison(saved, trial, tuple(rows))
