"""The decision granting the budget as a PDF, in the client's language, rendered with WeasyPrint.

Official decisions are written in Finnish or Swedish (the national languages a wellbeing services county decides
in), so each language has its own legal template (``planning/decision/decision_fi.html`` and ``decision_sv.html``)
on one shared layout; a client whose language is English gets the Finnish decision. Everything the document says
about money and the plan comes from the decision's snapshot, so it reads the same after prices, rules or names
change. The renderer never loads anything from the network: the CSS is in the template, the fonts are the system's
and every URL a template might name is refused.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone, translation
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from avain.core.periods import Period

from . import selectors
from .explanation import BudgetExplanation
from .models import Decision

LEGAL_LANGUAGES = ("fi", "sv")
DEFAULT_LEGAL_LANGUAGE = "fi"
FILENAME_STEMS = {"fi": "paatos", "sv": "beslut"}


class RefusingURLFetcher(URLFetcher):
    """Refuses every URL. A decision holds personal data, and rendering it must not reach out to anyone."""

    def fetch(self, url, headers=None):
        raise ValueError(f"The decision document loads nothing from outside: {url}")


@dataclass(frozen=True)
class PlanUse:
    """One line of the approved plan: what the client uses part of the budget for."""

    description: str
    amount: Decimal


def decision_language(client) -> str:
    """The language of the client's decision: Finnish or Swedish; English-speaking clients get Finnish."""
    return client.language if client.language in LEGAL_LANGUAGES else DEFAULT_LEGAL_LANGUAGE


def decided_on(decision: Decision) -> dt.date:
    """The decision's date in Finland (the time zone of the settings)."""
    return timezone.localdate(decision.decided_at)


def decision_filename(decision: Decision) -> str:
    """paatos-2026-01-15.pdf or beslut-2026-01-15.pdf, by the decision's language and date."""
    return f"{FILENAME_STEMS[decision_language(decision.case.client)]}-{decided_on(decision).isoformat()}.pdf"


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _plan_uses(snapshot: dict, plan) -> list[PlanUse]:
    if "plan_lines" in snapshot:
        return [PlanUse(line["description"], Decimal(line["amount"])) for line in snapshot["plan_lines"]]
    # A snapshot without the plan's lines: the approved version's own lines are the same, it never changes.
    return [PlanUse(line.description, line.amount) for line in plan.lines.all()]


def decision_context(decision: Decision) -> dict:
    """What the templates show. Money and the plan's lines come from the snapshot; the plan version it names is
    frozen (a submitted version never changes), so its goals and approval date are read from it as they are."""
    snapshot = decision.snapshot or {}
    plan = decision.plan
    approval = getattr(plan, "approval", None)
    budget: BudgetExplanation | None = selectors.decision_budget_explanation(decision)
    return {
        "organiser": decision.organiser,
        "client": decision.case.client,
        "decided_by": _name(decision.decided_by),
        "decided_on": decided_on(decision),
        "worker": _name(decision.case.worker),
        "period": Period(decision.period_start, decision.period_end),
        "amount": decision.amount,
        "budget": budget,
        "granted_below_budget": budget is not None and decision.amount < budget.total,
        "plan_version": snapshot.get("plan_version", plan.version),
        "plan_uses": _plan_uses(snapshot, plan),
        "goals": plan.goals.strip(),
        "approved_on": timezone.localdate(approval.at) if approval else None,
        "legal_bases": selectors.decision_legal_bases(decision),
    }


def render_pdf(html: str) -> bytes:
    """HTML to a tagged PDF (readable by screen readers), fetching nothing."""
    return HTML(string=html, base_url=None, url_fetcher=RefusingURLFetcher()).write_pdf(pdf_tags=True)


def decision_html(decision: Decision) -> str:
    language = decision_language(decision.case.client)
    # The shared parts (the budget table's words, number formats) follow the document's language, not the reader's.
    with translation.override(language):
        return render_to_string(f"planning/decision/decision_{language}.html", decision_context(decision))


def decision_pdf(decision: Decision) -> bytes:
    return render_pdf(decision_html(decision))
