"""The budget with frequencies and the organiser's rule, through the services, the selectors and the pages:
stored as computed, explained the same everywhere, kept in the decision's snapshot, and tried without saving.

The scenario (budget period 2025, 365 days):

* home help (KP), 3 hours a week, 30.00 € until 30 June and 33.00 € from 1 July:
  3 × 30.00 × 181/7 = 2 327.142… → 2 327.14 and 3 × 33.00 × 184/7 = 2 602.285… → 2 602.29;
* a support person (TUKI), 2 visits a month at 45.00 €: 2 × 45.00 × 12 = 1 080.00;
* services in total 6 009.43; the organiser's rule: 90 % → 5 408.487 → 5 408.49 (−600.94), upper limit 6 000 €
  (not reached), rounded to whole euros → 5 408.00 (−0.49).
"""

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from avain.accounts.services import grant_budget
from avain.catalogue.models import ServicePrice
from avain.core.periods import Period
from avain.organisations.models import Role
from avain.planning import selectors
from avain.planning.calculation import PER_MONTH, PER_PERIOD, PER_WEEK, TO_CENT, TO_EURO, LocalizedName
from avain.planning.explanation import from_snapshot
from avain.planning.models import BudgetLine, BudgetRule, CaseStatus, Decision, HBCase, NeedLine
from avain.planning.services import (
    NeedEntry,
    PlanLineEntry,
    add_budget_rule,
    approve_plan,
    record_needs,
    review_plan,
    save_plan_draft,
    start_planning,
    submit_plan,
    what_if_budget,
)
from avain.testing import (
    refused,
    add_price,
    case_in_needs_assessment,
    db_snapshot,
    default_answers,
    login_verified,
    make_client,
    make_organiser,
    make_service,
    make_staff,
)

pytestmark = pytest.mark.django_db

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
NBSP = "\N{NO-BREAK SPACE}"
MINUS = "\N{MINUS SIGN}"


def business_state() -> dict:
    """Everything but the access log: showing a page to staff is itself a logged read."""
    state = db_snapshot()
    state.pop("people.AccessLogEntry")
    return state


def scenario(*, client=None, rule: bool = True):
    """A case in needs assessment with the two services of the module docstring, their needs not yet recorded."""
    organiser = client.organiser if client else make_organiser()
    case = case_in_needs_assessment(organiser=organiser, client=client, period=PERIOD)
    home_help = make_service(organiser, "KP", "30.00", dt.date(2024, 1, 1), dt.date(2025, 6, 30), name="Kotipalvelu")
    home_help.name_sv, home_help.name_en = "Hemservice", "Home help"
    home_help.save()
    add_price(home_help, "33.00", dt.date(2025, 7, 1))
    support = make_service(organiser, "TUKI", "45.00", dt.date(2024, 1, 1), unit="visit", name="Tukihenkilö")
    if rule:
        add_budget_rule(
            organiser=organiser,
            actor=case.worker,
            valid_from=dt.date(2024, 1, 1),
            percentage=Decimal("90"),
            cap=Decimal("6000"),
            rounding=TO_EURO,
        )
    needs = [
        NeedEntry(home_help, Decimal("3"), "aamuisin", PER_WEEK),
        NeedEntry(support, Decimal("2"), "", PER_MONTH),
    ]
    return case, needs


def record(case, needs):
    record_needs(case=case, actor=case.worker, wishes="Oma koti", needs_summary="Apua arkeen", needs=needs)
    return HBCase.objects.get(pk=case.pk)


def walk_to_decision(case, plan_amount: str = "5000.00") -> Decision:
    """From recorded needs to the decision, through the real services."""
    plan = start_planning(case=case, actor=case.worker)
    save_plan_draft(plan=plan, actor=case.worker, answers=default_answers(), lines=[PlanLineEntry("Avustaja", Decimal(plan_amount))])
    submit_plan(plan=plan, actor=case.worker)
    review_plan(plan=plan, reviewer=case.worker, forward=True, comment="")
    approve_plan(plan=plan, approver=make_staff(case.organiser, Role.APPROVER))
    grant_budget(case=case, decided_by=case.worker, period=PERIOD)
    return Decision.objects.get(case=case)


def render_explanation(explanation, language: str) -> str:
    with translation.override(language):
        return render_to_string("planning/_budget_table.html", {"budget": explanation, "caption": "Budjetti"})


# --- Recording needs with frequencies and the rule ------------------------------------------------------------------


def test_record_needs_stores_frequencies_lines_and_the_rule_effects():
    case, needs = scenario()
    case = record(case, needs)
    assert list(case.needs.values_list("service__code", "quantity", "frequency", "note")) == [
        ("KP", Decimal("3.00"), PER_WEEK, "aamuisin"),
        ("TUKI", Decimal("2.00"), PER_MONTH, ""),
    ]
    assert list(
        BudgetLine.objects.filter(case=case).values_list(
            "service_code", "service_name_fi", "service_name_sv", "service_name_en", "frequency", "valid_from", "valid_to", "quantity", "unit_price", "amount"
        )
    ) == [
        ("KP", "Kotipalvelu", "Hemservice", "Home help", PER_WEEK, dt.date(2025, 1, 1), dt.date(2025, 6, 30), Decimal("3"), Decimal("30.00"), Decimal("2327.14")),
        ("KP", "Kotipalvelu", "Hemservice", "Home help", PER_WEEK, dt.date(2025, 7, 1), dt.date(2025, 12, 31), Decimal("3"), Decimal("33.00"), Decimal("2602.29")),
        ("TUKI", "Tukihenkilö", "Tjänst TUKI", "Service TUKI", PER_MONTH, dt.date(2025, 1, 1), dt.date(2025, 12, 31), Decimal("2"), Decimal("45.00"), Decimal("1080.00")),
    ]
    rule = BudgetRule.objects.get(organiser=case.organiser)
    assert case.budget_rule == rule
    assert (case.budget_lines_total, case.budget_percentage, case.budget_percentage_effect) == (
        Decimal("6009.43"),
        Decimal("90.00"),
        Decimal("-600.94"),
    )
    assert (case.budget_cap, case.budget_cap_effect) == (Decimal("6000.00"), Decimal("0.00"))
    assert (case.budget_rounding, case.budget_rounding_effect) == (TO_EURO, Decimal("-0.49"))
    assert case.budget_total == Decimal("5408.00")


def test_without_a_rule_the_budget_is_the_lines_total():
    case, needs = scenario(rule=False)
    case = record(case, needs)
    assert case.budget_rule is None
    assert case.budget_total == case.budget_lines_total == Decimal("6009.43")
    assert (case.budget_percentage, case.budget_cap, case.budget_rounding) == (Decimal("100.00"), None, TO_CENT)
    assert case.budget_percentage_effect == case.budget_cap_effect == case.budget_rounding_effect == Decimal("0.00")
    explanation = selectors.case_budget_explanation(case)
    assert explanation.ruled.steps == ()


def test_the_rule_in_force_on_the_first_day_of_the_period_applies_to_the_whole_period():
    case, needs = scenario(rule=False)
    organiser = case.organiser
    add_budget_rule(organiser=organiser, actor=case.worker, valid_from=dt.date(2020, 1, 1), valid_to=dt.date(2024, 12, 31), percentage=Decimal("10"))
    in_force = add_budget_rule(
        organiser=organiser, actor=case.worker, valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2025, 3, 31), percentage=Decimal("50")
    )
    add_budget_rule(organiser=organiser, actor=case.worker, valid_from=dt.date(2025, 4, 1), percentage=Decimal("80"))
    case = record(case, needs)
    assert case.budget_rule == in_force
    assert case.budget_total == Decimal("3004.72")  # 50 % of 6 009.43 = 3 004.715 → 3 004.72


def test_a_rule_that_starts_inside_the_period_does_not_apply():
    case, needs = scenario(rule=False)
    add_budget_rule(organiser=case.organiser, actor=case.worker, valid_from=dt.date(2025, 1, 2), percentage=Decimal("50"))
    case = record(case, needs)
    assert case.budget_rule is None
    assert case.budget_total == Decimal("6009.43")


def test_the_cap_limits_the_stored_budget():
    case, needs = scenario(rule=False)
    add_budget_rule(organiser=case.organiser, actor=case.worker, valid_from=dt.date(2024, 1, 1), cap=Decimal("5000.00"))
    case = record(case, needs)
    assert (case.budget_lines_total, case.budget_cap_effect, case.budget_total) == (
        Decimal("6009.43"),
        Decimal("-1009.43"),
        Decimal("5000.00"),
    )


def test_a_refused_frequency_changes_nothing():
    case, needs = scenario()
    refused(
        "frequency_unknown",
        record_needs,
        case=case,
        actor=case.worker,
        wishes="",
        needs_summary="",
        needs=[NeedEntry(needs[0].service, Decimal("1"), "", "fortnight")],
    )


def test_the_stored_explanation_is_the_computed_one():
    case, needs = scenario()
    case = record(case, needs)
    computed, rule = selectors.compute_budget(case, needs)
    stored = selectors.case_budget_explanation(case)
    assert stored == computed
    assert [line.units for line in stored.lines] == [Fraction(181, 7), Fraction(184, 7), 12]
    assert stored.total == case.budget_total
    assert rule == case.budget_rule


# --- The organiser's rules ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        (dict(valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2024, 12, 31)), "rule_period_reversed"),
        (dict(valid_from=dt.date(2025, 1, 1), percentage=Decimal("-1")), "percentage_out_of_range"),
        (dict(valid_from=dt.date(2025, 1, 1), percentage=Decimal("1000")), "percentage_out_of_range"),
        (dict(valid_from=dt.date(2025, 1, 1), percentage=Decimal("NaN")), "percentage_out_of_range"),
        (dict(valid_from=dt.date(2025, 1, 1), percentage=Decimal("90.001")), "percentage_too_precise"),
        (dict(valid_from=dt.date(2025, 1, 1), cap=Decimal("-1")), "cap_invalid"),
        (dict(valid_from=dt.date(2025, 1, 1), cap=Decimal("10.001")), "cap_invalid"),
        (dict(valid_from=dt.date(2025, 1, 1), rounding="dime"), "rounding_unknown"),
        (dict(valid_from=dt.date(2025, 1, 1), cap=Decimal("5000.50"), rounding=TO_EURO), "cap_not_whole_euros"),
    ],
)
def test_a_bad_rule_is_refused_and_nothing_is_saved(kwargs, code):
    organiser = make_organiser()
    refused(code, add_budget_rule, organiser=organiser, actor=None, **kwargs)


@pytest.mark.parametrize(
    ("valid_from", "valid_to"),
    [
        (dt.date(2025, 6, 1), None),  # inside the open-ended one
        (dt.date(2024, 1, 1), dt.date(2025, 1, 1)),  # overlapping its first day
        (dt.date(2025, 1, 1), dt.date(2025, 1, 1)),  # the same day
    ],
)
def test_overlapping_rules_are_refused(valid_from, valid_to):
    organiser = make_organiser()
    add_budget_rule(organiser=organiser, actor=None, valid_from=dt.date(2025, 1, 1))
    error = refused("rule_overlaps", add_budget_rule, organiser=organiser, actor=None, valid_from=valid_from, valid_to=valid_to)
    assert error.params["start"]


def test_rules_that_follow_each_other_and_rules_of_other_organisers_are_accepted():
    organiser = make_organiser()
    add_budget_rule(organiser=organiser, actor=None, valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2024, 12, 31))
    add_budget_rule(organiser=organiser, actor=None, valid_from=dt.date(2025, 1, 1))
    add_budget_rule(organiser=make_organiser(), actor=None, valid_from=dt.date(2024, 6, 1))
    assert BudgetRule.objects.count() == 3
    assert selectors.budget_rule_in_force(organiser.pk, dt.date(2024, 12, 31)).valid_from == dt.date(2024, 1, 1)
    assert selectors.budget_rule_in_force(organiser.pk, dt.date(2023, 12, 31)) is None


def test_the_database_refuses_a_cap_with_cents_when_rounding_to_the_euro():
    organiser = make_organiser()
    with pytest.raises(IntegrityError), transaction.atomic():
        BudgetRule.objects.create(organiser=organiser, valid_from=dt.date(2025, 1, 1), cap=Decimal("100.50"), rounding=TO_EURO)
    BudgetRule.objects.create(organiser=organiser, valid_from=dt.date(2025, 1, 1), cap=Decimal("100.00"), rounding=TO_EURO)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint is PostgreSQL's")
def test_postgresql_refuses_overlapping_rules_even_past_the_service():
    organiser = make_organiser()
    BudgetRule.objects.create(organiser=organiser, valid_from=dt.date(2025, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        BudgetRule.objects.create(organiser=organiser, valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2025, 1, 1))


# --- The decision's snapshot ---------------------------------------------------------------------------------------


def test_the_snapshot_holds_everything_the_explanation_needs():
    case, needs = scenario()
    decision = walk_to_decision(record(case, needs))
    snapshot = decision.snapshot
    assert snapshot["snapshot_version"] == 2
    first = snapshot["budget_lines"][0]
    assert first == {
        "service_code": "KP",
        "service_name": {"fi": "Kotipalvelu", "sv": "Hemservice", "en": "Home help"},
        "unit": "hour",
        "frequency": PER_WEEK,
        "quantity": "3.0000",
        "valid_from": "2025-01-01",
        "valid_to": "2025-06-30",
        "days": 181,
        "period_days": 365,
        "units": "181/7",
        "unit_price": "30.00",
        "amount": "2327.14",
    }
    assert snapshot["budget_rules"] == {
        "rule": {"valid_from": "2024-01-01", "valid_to": None, "percentage": "90.00", "cap": "6000.00", "rounding": TO_EURO},
        "lines_total": "6009.43",
        "after_percentage": "5408.49",
        "after_cap": "5408.49",
        "total": "5408.00",
    }
    assert snapshot["budget_total"] == "5408.00"
    assert [(n["service_code"], n["quantity"], n["frequency"]) for n in snapshot["needs"]] == [
        ("KP", "3.00", PER_WEEK),
        ("TUKI", "2.00", PER_MONTH),
    ]


def test_a_decision_reads_the_same_after_prices_rules_and_names_change(django_assert_num_queries):
    case, needs = scenario()
    decision = walk_to_decision(record(case, needs))
    before = selectors.decision_budget_explanation(decision)
    rendered = {language: render_explanation(before, language) for language in ("fi", "sv", "en")}
    assert "3 tuntia viikossa" in rendered["fi"]
    assert "25 6/7 viikkoa (181 päivää)" in rendered["fi"]
    assert "3 timmar i veckan" in rendered["sv"]
    assert "Hemservice" in rendered["sv"] and "Home help" in rendered["en"]
    assert "2 visits a month" in rendered["en"] and "12 months (365 days)" in rendered["en"]
    assert f"90 % of the value of the services: {MINUS}600.94{NBSP}€" in rendered["en"]
    assert f"Rounded to whole euros: {MINUS}0.49{NBSP}€" in rendered["en"]
    assert f"5,408.00{NBSP}€" in rendered["en"]

    # The organiser changes the prices, the rule and the service's names afterwards.
    ServicePrice.objects.filter(organiser=case.organiser).update(unit_price=Decimal("99.99"))
    home_help = needs[0].service
    ServicePrice.objects.filter(service=home_help, valid_to__isnull=True, valid_from=dt.date(2025, 7, 1)).update(
        valid_to=dt.date(2025, 12, 31)
    )
    add_price(home_help, "40.00", dt.date(2026, 1, 1))
    BudgetRule.objects.filter(organiser=case.organiser).update(percentage=Decimal("50"), cap=None, rounding=TO_CENT)
    home_help.name_fi, home_help.name_sv, home_help.name_en = "Uusi nimi", "Nytt namn", "New name"
    home_help.save()

    decision = Decision.objects.get(pk=decision.pk)
    with django_assert_num_queries(0):  # read from the snapshot alone: no prices, rules or needs
        after = selectors.decision_budget_explanation(decision)
    assert after == before
    for language, html in rendered.items():
        assert render_explanation(after, language) == html
    # The case's own page shows the decision's budget too.
    assert selectors.budget_explanation(HBCase.objects.get(pk=case.pk)) == before


def test_a_snapshot_from_before_frequencies_and_rules_still_reads():
    snapshot = {
        "budget_period": ["2024-01-01", "2024-12-31"],
        "budget_total": "3100.54",
        "budget_lines": [
            {"service_code": "KP", "service_name": "Kotipalvelu", "unit": "hour", "valid_from": "2024-01-01", "valid_to": "2024-06-30", "quantity": "49.7268", "unit_price": "30.00", "amount": "1491.80"},
            {"service_code": "KP", "service_name": "Kotipalvelu", "unit": "hour", "valid_from": "2024-07-01", "valid_to": "2024-12-31", "quantity": "50.2732", "unit_price": "32.00", "amount": "1608.74"},
        ],
        "needs": [{"service_code": "KP", "quantity": "100.00"}],
        "plan_version": 1,
        "plan_lines": [],
    }
    explanation = from_snapshot(snapshot)
    assert [(line.quantity, line.frequency, line.units, line.amount) for line in explanation.lines] == [
        (Decimal("100.00"), PER_PERIOD, Fraction(182, 366), Decimal("1491.80")),
        (Decimal("100.00"), PER_PERIOD, Fraction(184, 366), Decimal("1608.74")),
    ]
    assert explanation.lines[0].service_name == LocalizedName("Kotipalvelu", "Kotipalvelu", "Kotipalvelu")
    assert explanation.total == Decimal("3100.54") and explanation.ruled.steps == ()
    assert from_snapshot({}) is None


# --- What if: trying quantities without saving ------------------------------------------------------------------


def test_what_if_compares_with_the_saved_budget_and_writes_nothing():
    case, needs = scenario()
    case = record(case, needs)
    before = db_snapshot()
    trial_needs = [NeedEntry(needs[0].service, Decimal("4"), "", PER_WEEK)]  # more home help, no support person
    comparison = what_if_budget(case=case, needs=trial_needs)
    assert db_snapshot() == before
    home_help, support = comparison.services
    # 4 × 30 × 181/7 = 3 102.857… → 3 102.86; 4 × 33 × 184/7 = 3 469.714… → 3 469.71
    assert (home_help.service_code, home_help.saved, home_help.trial, home_help.difference) == (
        "KP",
        Decimal("4929.43"),
        Decimal("6572.57"),
        Decimal("1643.14"),
    )
    assert (support.service_code, support.saved, support.trial, support.difference) == ("TUKI", Decimal("1080.00"), None, Decimal("-1080.00"))
    assert comparison.lines_total_difference == Decimal("563.14")
    # 90 % of 6 572.57 = 5 915.313 → 5 915.31 → 5 915.00
    assert comparison.trial.total == Decimal("5915.00")
    assert comparison.total_difference == Decimal("507.00")


def test_what_if_before_anything_is_saved_compares_with_nothing():
    case, needs = scenario(rule=False)
    comparison = what_if_budget(case=case, needs=needs)
    assert comparison.saved is None
    assert comparison.total_difference == comparison.trial.total == Decimal("6009.43")


def test_what_if_refuses_bad_input_like_saving_does():
    case, needs = scenario()
    refused("quantity_not_positive", what_if_budget, case=case, needs=[NeedEntry(needs[0].service, Decimal("0"))])
    unpriced = make_service(case.organiser, "UUSI", unit_price=None)
    refused("missing_price", what_if_budget, case=case, needs=[NeedEntry(unpriced, Decimal("1"), "", PER_WEEK)])


# --- The pages ---------------------------------------------------------------------------------------------------------


def needs_post(needs, action: str | None, saved: int = 0) -> dict:
    """The needs form as the page sends it; ``saved`` rows were on the page already (its INITIAL_FORMS)."""
    data = {
        "wishes": "Oma koti",
        "needs_summary": "Apua arkeen",
        "need-TOTAL_FORMS": str(max(len(needs), saved)),
        "need-INITIAL_FORMS": str(saved),
    }
    if action:
        data["action"] = action
    for i, need in enumerate(needs):
        data[f"need-{i}-service"] = str(need.service.pk)
        data[f"need-{i}-quantity"] = str(need.quantity).replace(".", ",")
        data[f"need-{i}-frequency"] = need.frequency
        data[f"need-{i}-note"] = need.note
    return data


def test_the_try_button_shows_the_effect_next_to_the_saved_budget_and_saves_nothing(client):
    case, needs = scenario()
    record(case, needs)
    login_verified(client, case.worker)
    before = business_state()
    trial = [NeedEntry(needs[0].service, Decimal("4"), "", PER_WEEK), needs[1]]
    response = client.post(reverse("case_needs", args=[case.pk]), needs_post(trial, "try", saved=2), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert business_state() == before
    html = response.content.decode()
    assert "Trying quantities: nothing is saved yet" in html
    assert f"+1,643.14{NBSP}€" in html  # home help: 4 929.43 → 6 572.57
    assert "How the budget would be computed with these quantities" in html
    assert "4 hours a week" in html and "3 hours a week" in html  # the trial and the saved budget side by side
    # 90 % of 7 652.57 = 6 887.313 → 6 887.31; the cap 6 000 applies
    assert f"+592.00{NBSP}€" in html  # 5 408.00 → 6 000.00
    # The form keeps the quantities being tried.
    assert 'value="4,00"' in html or 'value="4"' in html


def test_the_save_button_still_saves_and_computes(client):
    case, needs = scenario()
    login_verified(client, case.worker)
    response = client.post(reverse("case_needs", args=[case.pk]), needs_post(needs, "save"))
    assert response.status_code == 302
    case = HBCase.objects.get(pk=case.pk)
    assert case.budget_total == Decimal("5408.00")
    assert list(NeedLine.objects.filter(case=case).values_list("frequency", flat=True)) == [PER_WEEK, PER_MONTH]


def test_the_case_page_explains_every_line_and_the_rule(client):
    case, needs = scenario()
    record(case, needs)
    login_verified(client, case.worker)
    html = client.get(reverse("case_needs", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="fi").content.decode()
    assert "3 tuntia viikossa" in html
    assert f"× 30,00{NBSP}€" in html
    assert "× 25 6/7 viikkoa (181 päivää)" in html
    assert f"= 2{NBSP}327,14{NBSP}€" in html
    assert "2 käyntiä kuukaudessa" in html and "12 kuukautta (365 päivää)" in html
    assert "Palvelut yhteensä" in html and "90 % palvelujen arvosta" in html
    assert f"5{NBSP}408,00{NBSP}€" in html
    assert "Kokeile määriä" in html


def test_the_client_sees_how_the_budget_was_counted_while_writing_the_plan(client):
    client_record = make_client(make_organiser(), login=True)
    case, needs = scenario(client=client_record)
    start_planning(case=record(case, needs), actor=case.worker)
    client.force_login(client_record.user)
    html = client.get(reverse("portal_plan", args=[client_record.pk]), HTTP_ACCEPT_LANGUAGE="fi").content.decode()
    assert "Näin budjettisi laskettiin" in html
    assert "3 tuntia viikossa" in html and "25 6/7 viikkoa (181 päivää)" in html
    assert f"Pyöristetty täysiin euroihin: {MINUS}0,49{NBSP}€" in html


def test_the_client_sees_the_decided_budget_explained_from_the_snapshot(client):
    client_record = make_client(make_organiser(), login=True)
    case, needs = scenario(client=client_record)
    walk_to_decision(record(case, needs))
    ServicePrice.objects.filter(organiser=case.organiser).update(unit_price=Decimal("1.00"))
    client.force_login(client_record.user)
    html = client.get(reverse("portal_plan", args=[client_record.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert HBCase.objects.get(pk=case.pk).status == CaseStatus.ACTIVE
    assert "How your budget was counted" in html
    assert f"× 30.00{NBSP}€" in html and f"= 2,327.14{NBSP}€" in html


# --- How a line reads ---------------------------------------------------------------------------------------------


def _line(frequency, quantity, piece, unit="hour", period=PERIOD):
    from avain.planning.calculation import ExplainedLine, period_units

    return ExplainedLine(
        "KP", LocalizedName("Kotipalvelu"), unit, frequency, Decimal(quantity), piece, period.days,
        period_units(frequency, piece, period), Decimal("10.00"), Decimal("0.00"),
    )


@pytest.mark.parametrize(
    ("frequency", "quantity", "unit", "piece", "quantity_text", "time_text"),
    [
        (PER_PERIOD, "100", "hour", PERIOD, "100 hours in the whole period", "the whole period"),
        (PER_PERIOD, "1", "visit", Period(dt.date(2025, 1, 1), dt.date(2025, 6, 30)), "1 visit in the whole period", "181 of 365 days"),
        (PER_WEEK, "2.5", "hour", Period(dt.date(2025, 7, 1), dt.date(2025, 12, 31)), "2.5 hours a week", "26 2/7 weeks (184 days)"),
        (PER_WEEK, "1", "km", Period(dt.date(2025, 1, 1), dt.date(2025, 1, 3)), "1 km a week", "3/7 weeks (3 days)"),
        (PER_WEEK, "3", "day", Period(dt.date(2025, 1, 1), dt.date(2025, 1, 7)), "3 days a week", "1 week (7 days)"),
        (PER_MONTH, "2", "visit", Period(dt.date(2025, 1, 15), dt.date(2025, 2, 28)), "2 visits a month", "1 + 17/31 months (45 days)"),
        (PER_MONTH, "1", "piece", Period(dt.date(2025, 2, 1), dt.date(2025, 2, 28)), "1 piece a month", "1 month (28 days)"),
        (PER_MONTH, "4", "hour", Period(dt.date(2025, 1, 31), dt.date(2025, 2, 1)), "4 hours a month", "1/31 + 1/28 months (2 days)"),
        (PER_MONTH, "1", "hour", Period(dt.date(2025, 1, 1), dt.date(2025, 1, 1)), "1 hour a month", "1/31 months (1 day)"),
    ],
)
def test_a_line_reads_as_quantity_times_price_times_time(frequency, quantity, unit, piece, quantity_text, time_text):
    from avain.planning.templatetags.budget import line_period, need_quantity

    line = _line(frequency, quantity, piece, unit)
    with translation.override("en"):
        assert need_quantity(line) == quantity_text
        assert line_period(line) == time_text
