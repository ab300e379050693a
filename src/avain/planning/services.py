"""Every write of the HB journey, one function per business action. Each checks the case's state first."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import formats
from django.utils.translation import gettext as _

from avain.catalogue.models import Service, ServiceProduct
from avain.catalogue.selectors import published_product_ids
from avain.core import clock
from avain.core.money import ZERO, money_sum, round_money, to_money
from avain.core.periods import Period
from avain.people.models import Client

from . import journey, selectors, signals
from .calculation import MissingPrice
from .explanation import BudgetComparison, BudgetExplanation, compare, to_snapshot
from .models import (
    ApprovalMeeting,
    ApprovalRule,
    ApprovalSetting,
    BudgetLine,
    BudgetRule,
    CaseAction,
    CaseStatus,
    CaseTransition,
    Decision,
    Frequency,
    HBCase,
    NeedLine,
    PlanApproval,
    PlanLine,
    PlanLineComment,
    PlanReview,
    PlanStatus,
    Rounding,
    SupportPlan,
)

OPEN_STATUSES = list(journey.OPEN_STATUSES)
QUANTITY_STEP = Decimal("0.01")  # NeedLine.quantity and BudgetRule.percentage have two decimals
PERCENTAGE_MAX = Decimal("999.99")  # BudgetRule.percentage has five digits


def _locked_case(case: HBCase) -> HBCase:
    """Re-read the case under a row lock so that two clicks cannot both move it on."""
    return HBCase.objects.select_for_update().get(pk=case.pk)


def _refuse_unless(case: HBCase, *statuses: str) -> None:
    if case.status not in statuses:
        raise ValidationError(
            _("This cannot be done now: the case is at the step “%(step)s”."),
            code="wrong_step",
            params={"step": case.get_status_display()},
        )


def move_case(*, case: HBCase, action: str, actor, reason: str = "") -> HBCase:
    """Move the case on by one of the journey's named moves (``journey.MOVES``); every change of step goes through
    here. Under a row lock it checks the move against the step the case is at now, changes the step and records who
    moved it, when and why. A move the journey does not allow raises ValidationError and changes nothing.

    A case not saved yet (``case.pk is None``) starts from ``journey.OPENED`` and is saved here with its first step.
    Callers that check more than the step lock the case and call ``journey.check`` first, so that the step is
    always the first thing refused.
    """
    reason = reason.strip()
    with transaction.atomic():
        if case.pk is None:
            locked, source = case, journey.OPENED
        else:
            locked = _locked_case(case)
            source = locked.status
        move = journey.check(source, action, reason)
        locked.status = move.target
        if source == journey.OPENED:
            locked.save()
        else:
            locked.save(update_fields=["status"])
        CaseTransition.objects.create(
            organiser_id=locked.organiser_id,
            case=locked,
            action=action,
            from_status=source,
            to_status=move.target,
            actor=actor,
            at=clock.now(),
            reason=reason,
        )
    case.pk, case.status = locked.pk, locked.status  # the caller's copy shows the new step too
    return locked


def open_case(*, client: Client, worker, period: Period) -> HBCase:
    with transaction.atomic():
        if HBCase.objects.select_for_update().filter(
            organiser_id=client.organiser_id, client=client, status__in=OPEN_STATUSES
        ).exists():
            raise ValidationError(_("This client already has an open HB case."), code="case_exists")
        case = HBCase(
            organiser_id=client.organiser_id,
            client=client,
            worker=worker,
            opened_at=clock.now(),
            period_start=period.start,
            period_end=period.end,
        )
        return move_case(case=case, action=CaseAction.OPEN, actor=worker)


@dataclass(frozen=True)
class NeedEntry:
    service: Service
    quantity: Decimal  # per frequency
    note: str = ""
    frequency: str = Frequency.PERIOD


def _explain_missing_price(error: MissingPrice) -> ValidationError:
    return ValidationError(
        _("There is no price for %(service)s from %(start)s to %(end)s. Ask the organiser to add it to the price list."),
        code="missing_price",
        params={
            "service": f"{error.service_code} {error.service_name}",
            "start": formats.date_format(error.uncovered.start, "SHORT_DATE_FORMAT"),
            "end": formats.date_format(error.uncovered.end, "SHORT_DATE_FORMAT"),
        },
    )


def _check_needs(case: HBCase, needs: list[NeedEntry]) -> None:
    for need in needs:
        if need.quantity is None or not need.quantity.is_finite() or need.quantity <= 0:
            raise ValidationError(_("The quantity must be more than zero."), code="quantity_not_positive")
        if need.quantity != need.quantity.quantize(QUANTITY_STEP):
            raise ValidationError(_("Give the quantity with at most two decimals."), code="quantity_too_precise")
        if need.frequency not in Frequency.values:
            raise ValidationError(_("Choose how often the quantity is counted."), code="frequency_unknown")
        if need.service.organiser_id != case.organiser_id:
            raise ValidationError(_("Choose a service from your organiser's price list."), code="foreign_service")


def _budget_for(case: HBCase, needs: list[NeedEntry]) -> tuple[BudgetExplanation, BudgetRule | None]:
    try:
        return selectors.compute_budget(case, needs)
    except MissingPrice as error:
        raise _explain_missing_price(error) from error


def record_needs(*, case: HBCase, actor, wishes: str, needs_summary: str, needs: list[NeedEntry]) -> HBCase:
    """Save the wishes and the needs assessment and compute the budget from the prices of the budget period."""
    _check_needs(case, needs)
    with transaction.atomic():
        case = _locked_case(case)
        _refuse_unless(case, CaseStatus.NEEDS_ASSESSMENT)
        case.wishes = wishes.strip()
        case.needs_summary = needs_summary.strip()
        case.needs.all().delete()
        NeedLine.objects.bulk_create(
            NeedLine(
                organiser_id=case.organiser_id,
                case=case,
                service=n.service,
                quantity=n.quantity,
                frequency=n.frequency,
                note=n.note,
            )
            for n in needs
        )
        _compute_budget(case, needs)
        case.save()
    return case


def what_if_budget(*, case: HBCase, needs: list[NeedEntry]) -> BudgetComparison:
    """Try quantities: the budget these needs would give, next to the saved one. Writes nothing at all.

    The same checks and the same pure calculation as :func:`record_needs`, so what the worker tries is what saving
    would store.
    """
    _check_needs(case, needs)
    _refuse_unless(case, CaseStatus.NEEDS_ASSESSMENT)
    trial, _rule = _budget_for(case, needs)
    return compare(selectors.case_budget_explanation(case), trial)


def _compute_budget(case: HBCase, needs: list[NeedEntry]) -> None:
    explanation, rule = _budget_for(case, needs)
    case.budget_lines.all().delete()
    BudgetLine.objects.bulk_create(
        BudgetLine(
            organiser_id=case.organiser_id,
            case=case,
            service_code=line.service_code,
            service_name_fi=line.service_name.fi,
            service_name_sv=line.service_name.sv,
            service_name_en=line.service_name.en,
            unit=line.unit,
            frequency=line.frequency,
            valid_from=line.period.start,
            valid_to=line.period.end,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
        )
        for line in explanation.lines
    )
    ruled = explanation.ruled
    computed = bool(needs)
    case.budget_total = ruled.total if computed else None
    case.budget_lines_total = ruled.lines_total if computed else None
    case.budget_rule = rule if computed else None
    case.budget_percentage = ruled.percentage if computed else None
    case.budget_percentage_effect = ruled.percentage_effect if computed else None
    case.budget_cap = ruled.cap if computed else None
    case.budget_cap_effect = ruled.cap_effect if computed else None
    case.budget_rounding = ruled.rounding if computed else ""
    case.budget_rounding_effect = ruled.rounding_effect if computed else None
    case.budget_computed_at = clock.now()


def add_budget_rule(
    *,
    organiser,
    actor,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    percentage: Decimal = Decimal(100),
    cap: Decimal | None = None,
    rounding: str = Rounding.CENT,
    free_form_share: Decimal = Decimal(100),
) -> BudgetRule:
    """Add the organiser's budget rule for ``valid_from``–``valid_to``. Rules of one organiser never overlap.

    It applies to budgets computed from now on whose period starts on a day it is in force.
    """
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError(_("The rule cannot end before it starts."), code="rule_period_reversed")
    if percentage is None or not percentage.is_finite() or percentage < 0 or percentage > PERCENTAGE_MAX:
        raise ValidationError(_("Give a percentage from 0 to 999.99."), code="percentage_out_of_range")
    if percentage != percentage.quantize(QUANTITY_STEP):
        raise ValidationError(_("Give the percentage with at most two decimals."), code="percentage_too_precise")
    if cap is not None and (not cap.is_finite() or cap < 0 or cap != cap.quantize(QUANTITY_STEP)):
        raise ValidationError(_("Give the upper limit in euros and cents, zero or more."), code="cap_invalid")
    if rounding not in Rounding.values:
        raise ValidationError(_("Choose how the budget is rounded."), code="rounding_unknown")
    if (
        free_form_share is None
        or not free_form_share.is_finite()
        or not 0 <= free_form_share <= 100
        or free_form_share != free_form_share.quantize(QUANTITY_STEP)
    ):
        raise ValidationError(
            _("Give the share for purposes outside the service menu as a percentage from 0 to 100."),
            code="free_form_share_out_of_range",
        )
    if rounding == Rounding.EURO and cap is not None and cap != cap.to_integral_value():
        raise ValidationError(
            _("When the budget is rounded to whole euros, give the upper limit in whole euros too."),
            code="cap_not_whole_euros",
        )
    with transaction.atomic():
        # Lock the organiser so that two rules cannot be added side by side and overlap.
        type(organiser).objects.select_for_update().get(pk=organiser.pk)
        overlapping = BudgetRule.objects.filter(organiser_id=organiser.pk).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
        )
        if valid_to is not None:
            overlapping = overlapping.filter(valid_from__lte=valid_to)
        clash = overlapping.order_by("valid_from").first()
        if clash is not None:
            raise ValidationError(
                _("Another budget rule is in force from %(start)s. End it before this one starts."),
                code="rule_overlaps",
                params={"start": formats.date_format(clash.valid_from, "SHORT_DATE_FORMAT")},
            )
        return BudgetRule.objects.create(
            organiser_id=organiser.pk,
            valid_from=valid_from,
            valid_to=valid_to,
            percentage=percentage,
            cap=cap,
            rounding=rounding,
            free_form_share=free_form_share,
        )


def end_budget_rule(*, rule: BudgetRule, actor, valid_to: dt.date) -> BudgetRule:
    """Give an open-ended budget rule its last day, so that a new rule can follow it.

    Budgets already computed keep the rule's numbers; a rule is never ended before the start of a budget period
    computed with it, so every stored budget stays computed with the rule in force on its first day.
    """
    with transaction.atomic():
        type(rule.organiser).objects.select_for_update().get(pk=rule.organiser_id)  # as add_budget_rule does
        rule = BudgetRule.objects.select_for_update().get(pk=rule.pk)
        if rule.valid_to is not None:
            raise ValidationError(
                _("This rule already has an end date. Add a new rule after it instead."), code="rule_already_ended"
            )
        if valid_to < rule.valid_from:
            raise ValidationError(_("The rule cannot end before it starts."), code="rule_period_reversed")
        used = (
            HBCase.objects.filter(organiser_id=rule.organiser_id, budget_rule=rule, period_start__gt=valid_to)
            .order_by("-period_start")
            .first()
        )
        if used is not None:
            raise ValidationError(
                _("A budget computed with this rule has a period that starts on %(start)s. End the rule on that day or later."),
                code="rule_in_use",
                params={"start": formats.date_format(used.period_start, "SHORT_DATE_FORMAT")},
            )
        rule.valid_to = valid_to
        rule.save(update_fields=["valid_to"])
    return rule


def start_planning(*, case: HBCase, actor) -> SupportPlan:
    """Hand the case over to the client, who now writes the support plan within the computed budget."""
    with transaction.atomic():
        case = _locked_case(case)
        journey.check(case.status, CaseAction.START_PLANNING)
        if not case.budget_total:
            raise ValidationError(_("Record the needs and compute the budget first."), code="no_budget")
        move_case(case=case, action=CaseAction.START_PLANNING, actor=actor)
        return SupportPlan.objects.create(organiser_id=case.organiser_id, case=case, version=1, created_at=clock.now())


@dataclass(frozen=True)
class PlanLineEntry:
    description: str
    amount: Decimal
    product_id: int | None = None  # a product of the service menu; None for a purpose in the client's own words
    # The line of an earlier version of the case this line continues (its comments show next to it).
    copied_from_id: int | None = None


# The steps at which the client (or a delegate) writes a draft: the first plan, or a change while the budget runs.
WRITING_STATUSES = (CaseStatus.PLANNING, CaseStatus.CHANGE_PLANNING)


def plan_limit(case: HBCase):
    """What a plan version may use: the computed budget; once the budget is granted, the granted amount, which a
    change made while the budget is in use keeps as its limit (a larger one needs a new decision)."""
    granted = Decision.objects.filter(case_id=case.pk).values_list("amount", flat=True).first()
    return granted if granted is not None else (case.budget_total or ZERO)


def _check_within_budget(case: HBCase, lines: list[PlanLineEntry] | list[PlanLine]) -> None:
    total = money_sum(line.amount for line in lines)
    budget = plan_limit(case)
    if total > budget:
        raise ValidationError(
            _("The plan uses %(total)s € but the budget is %(budget)s €. Take %(over)s € off the lines."),
            code="over_budget",
            params={
                "total": formats.number_format(total, 2, use_l10n=True, force_grouping=True),
                "budget": formats.number_format(budget, 2, use_l10n=True, force_grouping=True),
                "over": formats.number_format(total - budget, 2, use_l10n=True, force_grouping=True),
            },
        )


def _check_free_form(case: HBCase, lines: list[PlanLineEntry] | list[PlanLine]) -> None:
    """Purposes in the client's own words may take at most the share of the budget the organiser's rule allows."""
    rule = case.budget_rule
    if rule is None or rule.free_form_share >= 100:
        return
    free_form = money_sum(line.amount for line in lines if line.product_id is None)
    limit = round_money((case.budget_total or ZERO) * rule.free_form_share / 100)
    if free_form > limit:
        raise ValidationError(
            _(
                "At most %(limit)s € of your budget can go to things outside the service menu, but your plan has "
                "%(total)s € for them. Choose services from the menu, or lower those amounts."
            ),
            code="free_form_over_limit",
            params={
                "limit": formats.number_format(limit, 2, use_l10n=True, force_grouping=True),
                "total": formats.number_format(free_form, 2, use_l10n=True, force_grouping=True),
            },
        )


def _check_products(plan: SupportPlan, product_ids: set[int], *, keep_chosen: bool = True) -> None:
    """A line may name a product that is in the organiser's menu now, or (``keep_chosen``) one the plan already had
    (a product withdrawn later stays in the plans that chose it)."""
    already = set()
    if keep_chosen:
        already = set(plan.lines.filter(product__isnull=False).values_list("product_id", flat=True))
    available = published_product_ids(plan.organiser_id, product_ids - already)
    if product_ids - already - available:
        raise ValidationError(
            _("A service in your plan is no longer in the service menu. Remove it or choose another service."),
            code="product_not_available",
        )


def _product_line_description(product: ServiceProduct) -> str:
    return f"{product.name} ({product.provider.name})"[:200]


def _with_product_descriptions(lines: list[PlanLineEntry]) -> list[PlanLineEntry]:
    """A line tied to a product is described by the product, whatever the form sent: it cannot be renamed into a
    purpose of the client's own words and so slip past the organiser's limit for those."""
    ids = {line.product_id for line in lines} - {None}
    products = ServiceProduct.objects.select_related("provider").in_bulk(ids)
    return [
        PlanLineEntry(
            _product_line_description(products[line.product_id]), line.amount, line.product_id, line.copied_from_id
        )
        if line.product_id
        else line
        for line in lines
    ]


def _locked_draft(plan: SupportPlan) -> SupportPlan:
    """Re-read the plan under a row lock: only a draft, while the client is writing, may change."""
    plan = SupportPlan.objects.select_for_update().select_related("case").get(pk=plan.pk)
    if not plan.is_editable:
        raise ValidationError(_("This version of the plan has been sent and can no longer be changed."), code="plan_frozen")
    _refuse_unless(plan.case, *WRITING_STATUSES)
    return plan


def add_product_to_plan(*, plan: SupportPlan, actor, product: ServiceProduct, quantity: Decimal) -> PlanLine:
    """Put a product of the service menu into the client's draft plan: quantity × the product's price."""
    if quantity is None or not quantity.is_finite() or quantity <= 0:
        raise ValidationError(_("The quantity must be more than zero."), code="quantity_not_positive")
    if quantity != quantity.quantize(QUANTITY_STEP):
        raise ValidationError(_("Give the quantity with at most two decimals."), code="quantity_too_precise")
    amount = round_money(quantity * product.unit_price)
    if amount <= 0:  # a tiny quantity of a cheap product rounds to 0,00 €
        raise ValidationError(_("The amount must be more than zero euros."), code="amount_not_positive")
    description = _product_line_description(product)
    with transaction.atomic():
        plan = _locked_draft(plan)
        # A new line needs the product in the menu now, even if an earlier line of the plan has it.
        _check_products(plan, {product.pk}, keep_chosen=False)
        lines = [*plan.lines.all(), PlanLineEntry(description, amount, product.pk)]
        _check_within_budget(plan.case, lines)
        return PlanLine.objects.create(
            organiser_id=plan.organiser_id, plan=plan, description=description, amount=amount, product=product
        )


def save_plan_draft(*, plan: SupportPlan, actor, answers: dict[str, str], lines: list[PlanLineEntry]) -> SupportPlan:
    try:
        lines = [
            PlanLineEntry(line.description.strip(), to_money(line.amount), line.product_id, line.copied_from_id)
            for line in lines
        ]
    except ValueError:  # NaN, infinity or not a number at all
        raise ValidationError(_("The amount must be more than zero euros."), code="amount_not_positive") from None
    for line in lines:
        if not line.description:
            raise ValidationError(_("Write what each amount is for."), code="line_without_description")
        if line.amount <= 0:
            raise ValidationError(_("The amount must be more than zero euros."), code="amount_not_positive")
    with transaction.atomic():
        plan = _locked_draft(plan)
        _check_copied_from(plan, {line.copied_from_id for line in lines} - {None})
        _check_products(plan, {line.product_id for line in lines} - {None})
        _check_within_budget(plan.case, lines)
        lines = _with_product_descriptions(lines)
        _check_free_form(plan.case, lines)
        for field in SupportPlan.ANSWER_FIELDS:
            setattr(plan, field, answers.get(field, "").strip())
        plan.save()
        plan.lines.all().delete()
        PlanLine.objects.bulk_create(
            PlanLine(
                organiser_id=plan.organiser_id,
                plan=plan,
                description=line.description,
                amount=line.amount,
                product_id=line.product_id,
                copied_from_id=line.copied_from_id,
            )
            for line in lines
        )
    return plan


def _check_copied_from(plan: SupportPlan, line_ids: set[int]) -> None:
    """A draft line may continue only a line of an earlier version of the same case."""
    known = set(
        PlanLine.objects.filter(pk__in=line_ids, plan__case_id=plan.case_id, plan__version__lt=plan.version).values_list(
            "pk", flat=True
        )
    )
    if line_ids - known:
        raise ValidationError(_("A line of the plan is not one of this plan's lines."), code="foreign_line")


def submit_plan(*, plan: SupportPlan, actor) -> SupportPlan:
    """Freeze this plan version and send it to the social worker."""
    with transaction.atomic():
        plan = SupportPlan.objects.select_for_update().select_related("case").get(pk=plan.pk)
        if plan.status != PlanStatus.DRAFT:
            raise ValidationError(_("This plan has already been sent. You do not need to send it again."), code="already_submitted")
        case = _locked_case(plan.case)
        action = journey.action_for(case.status, CaseAction.SUBMIT_PLAN, CaseAction.SUBMIT_CHANGE)
        journey.check(case.status, action)
        lines = list(plan.lines.all())
        if not lines:
            raise ValidationError(_("Add at least one thing the budget is used for."), code="no_lines")
        _check_within_budget(case, lines)
        _check_free_form(case, lines)
        plan.status = PlanStatus.SUBMITTED
        plan.submitted_at = clock.now()
        plan.submitted_by = actor
        plan.save(update_fields=["status", "submitted_at", "submitted_by"])
        move_case(case=case, action=action, actor=actor)
    return plan


def review_plan(
    *, plan: SupportPlan, reviewer, forward: bool, comment: str, line_comments: dict[int, str] | None = None
) -> PlanReview:
    """The worker either forwards the plan or returns it to the client with comments: a general one, one on each
    line that needs it, or both. A return needs at least one comment.

    What forwarding does follows the organiser's approval rule (``ApprovalSetting``), which the version keeps:
    under "the worker alone" forwarding approves the version at once; otherwise it waits for an approver or for
    a meeting of the management group.
    """
    comment = comment.strip()
    line_comments = {int(pk): text.strip() for pk, text in (line_comments or {}).items() if text and text.strip()}
    if not forward and not comment and not line_comments:
        raise ValidationError(_("Write the comments the client needs to change the plan."), code="comment_required")
    with transaction.atomic():
        plan = SupportPlan.objects.select_for_update().get(pk=plan.pk)
        case = _locked_case(plan.case)
        rule = selectors.approval_rule(case.organiser_id)
        if not forward:
            action = journey.action_for(case.status, CaseAction.RETURN_PLAN, CaseAction.RETURN_CHANGE)
        elif rule == ApprovalRule.WORKER:
            action = journey.action_for(case.status, CaseAction.APPROVE_AT_REVIEW, CaseAction.APPROVE_CHANGE_AT_REVIEW)
        else:
            action = journey.action_for(case.status, CaseAction.FORWARD_PLAN, CaseAction.FORWARD_CHANGE)
        lines = {line.pk: line for line in plan.lines.all()}
        reason = comment or "\n".join(
            f"{lines[pk].description}: {text}" for pk, text in line_comments.items() if pk in lines
        )
        journey.check(case.status, action, reason)
        if plan.status != PlanStatus.SUBMITTED:
            raise ValidationError(_("This plan version is not waiting for review."), code="not_submitted")
        if set(line_comments) - set(lines):
            raise ValidationError(_("A line of the plan is not one of this plan's lines."), code="foreign_line")
        now = clock.now()
        outcome = PlanReview.Outcome.FORWARDED if forward else PlanReview.Outcome.RETURNED
        review = PlanReview.objects.create(
            organiser_id=plan.organiser_id, plan=plan, reviewer=reviewer, outcome=outcome, comment=comment, at=now
        )
        PlanLineComment.objects.bulk_create(
            PlanLineComment(organiser_id=plan.organiser_id, review=review, plan_line=lines[pk], text=text)
            for pk, text in sorted(line_comments.items())
        )
        if not forward:
            plan.status = PlanStatus.RETURNED
            plan.save(update_fields=["status"])
            _new_draft_from(plan)
        elif rule == ApprovalRule.WORKER:
            plan.status, plan.approval_rule = PlanStatus.APPROVED, rule
            plan.save(update_fields=["status", "approval_rule"])
            PlanApproval.objects.create(
                organiser_id=plan.organiser_id, plan=plan, approver=reviewer, at=now, rule=ApprovalRule.WORKER
            )
        else:
            plan.status, plan.approval_rule = PlanStatus.FORWARDED, rule
            plan.save(update_fields=["status", "approval_rule"])
        move_case(case=case, action=action, actor=reviewer, reason=reason)
        if action == CaseAction.APPROVE_CHANGE_AT_REVIEW:
            signals.plan_change_approved.send(sender=HBCase, case=case, actor=reviewer)
    return review


def _new_draft_from(plan: SupportPlan, *, based_on: SupportPlan | None = None) -> SupportPlan:
    """A returned version stays as it was sent; the client goes on in a copy. A change made while the budget is in
    use starts from a copy of the approved version (``based_on``)."""
    draft = SupportPlan.objects.create(
        organiser_id=plan.organiser_id,
        case_id=plan.case_id,
        version=(SupportPlan.objects.filter(case_id=plan.case_id).aggregate(last=Max("version"))["last"] or 0) + 1,
        created_at=clock.now(),
        based_on=based_on or plan.based_on,
        **{field: getattr(plan, field) for field in SupportPlan.ANSWER_FIELDS},
    )
    PlanLine.objects.bulk_create(
        PlanLine(
            organiser_id=plan.organiser_id,
            plan=draft,
            description=line.description,
            amount=line.amount,
            product_id=line.product_id,
            copied_from=line,
        )
        for line in plan.lines.all()
    )
    return draft


def _approve(plan: SupportPlan, case: HBCase, approver, *, meeting: ApprovalMeeting | None = None) -> PlanApproval:
    """Approve a forwarded version of a case locked by the caller, under the rule the version was forwarded with."""
    action = journey.action_for(case.status, CaseAction.APPROVE_PLAN, CaseAction.APPROVE_CHANGE)
    journey.check(case.status, action)
    rule = _check_waiting_for(plan, meeting)
    plan.status = PlanStatus.APPROVED
    plan.save(update_fields=["status"])
    move_case(case=case, action=action, actor=approver)
    approval = PlanApproval.objects.create(
        organiser_id=plan.organiser_id, plan=plan, approver=approver, at=clock.now(), rule=rule, meeting=meeting
    )
    if action == CaseAction.APPROVE_CHANGE:
        # The budget account moves onto the change's lines in this transaction (accounts.funding.apply_plan_change).
        signals.plan_change_approved.send(sender=HBCase, case=case, actor=approver)
    return approval


def _check_waiting_for(plan: SupportPlan, meeting: ApprovalMeeting | None) -> str:
    """The rule the forwarded version waits under; an approver acts on it alone, a meeting on the group's plans."""
    if plan.status != PlanStatus.FORWARDED:
        raise ValidationError(_("This plan version is not waiting for approval."), code="not_forwarded")
    rule = plan.approval_rule or ApprovalRule.WORKER_THEN_MANAGER  # versions forwarded before the rules existed
    if (rule == ApprovalRule.MANAGEMENT_GROUP) != (meeting is not None):
        raise ValidationError(
            _("This plan is approved at a meeting of the management group.")
            if meeting is None
            else _("This plan is not waiting for a meeting of the management group."),
            code="wrong_approval_rule",
        )
    return rule


def _return_from_approval(
    plan: SupportPlan, case: HBCase, approver, reason: str, *, meeting: ApprovalMeeting | None = None
) -> PlanReview:
    action = journey.action_for(case.status, CaseAction.RETURN_FROM_APPROVAL, CaseAction.RETURN_CHANGE_FROM_APPROVAL)
    journey.check(case.status, action, reason)
    _check_waiting_for(plan, meeting)
    review = PlanReview.objects.create(
        organiser_id=plan.organiser_id,
        plan=plan,
        reviewer=approver,
        outcome=PlanReview.Outcome.RETURNED,
        comment=reason,
        at=clock.now(),
        meeting=meeting,
    )
    plan.status = PlanStatus.RETURNED
    plan.save(update_fields=["status"])
    _new_draft_from(plan)
    move_case(case=case, action=action, actor=approver, reason=reason)
    return review


def _locked_plan_and_case(plan: SupportPlan) -> tuple[SupportPlan, HBCase]:
    plan = SupportPlan.objects.select_for_update().get(pk=plan.pk)  # the plan, then its case, as every service
    return plan, _locked_case(plan.case)


def approve_plan(*, plan: SupportPlan, approver) -> PlanApproval:
    """An approver approves the forwarded version (the rule "the worker, then an approver")."""
    with transaction.atomic():
        plan, case = _locked_plan_and_case(plan)
        return _approve(plan, case, approver)


def return_from_approval(*, plan: SupportPlan, approver, reason: str) -> PlanReview:
    """An approver sends the forwarded version back to the client with the reason; the client goes on in a copy."""
    reason = reason.strip()
    with transaction.atomic():
        plan, case = _locked_plan_and_case(plan)
        return _return_from_approval(plan, case, approver, reason)


def set_approval_rule(*, organiser, actor, rule: str) -> ApprovalSetting:
    """The organiser administrator chooses who approves the support plans. The choice applies to versions forwarded
    from now on; a version already forwarded keeps the rule it was forwarded with."""
    if rule not in ApprovalRule.values:
        raise ValidationError(_("Choose who approves the support plans."), code="approval_rule_unknown")
    with transaction.atomic():
        type(organiser).objects.select_for_update().get(pk=organiser.pk)
        setting, _created = ApprovalSetting.objects.update_or_create(
            organiser_id=organiser.pk, defaults={"rule": rule, "changed_by": actor, "changed_at": clock.now()}
        )
    return setting


@dataclass(frozen=True)
class MeetingReturn:
    plan: SupportPlan
    reason: str


def record_approval_meeting(
    *,
    organiser,
    recorded_by,
    held_on: dt.date,
    members: str,
    minutes: str,
    approve: list[SupportPlan],
    returns: list[MeetingReturn],
) -> ApprovalMeeting:
    """A meeting of the management group: it approves the waiting versions in ``approve`` and returns those in
    ``returns`` with a reason each, all in one transaction. Each approval and return is linked to the meeting.
    If any one of them cannot be done, nothing is recorded."""
    members, minutes = members.strip(), minutes.strip()
    if held_on is None or held_on > clock.today():
        raise ValidationError(_("Give the date the meeting was held, today or earlier."), code="meeting_date_invalid")
    if not members:
        raise ValidationError(_("Write who took part in the meeting."), code="members_required")
    ids = [p.pk for p in approve] + [r.plan.pk for r in returns]
    if not ids:
        raise ValidationError(
            _("Choose at least one plan to approve or to return."), code="nothing_decided"
        )
    if len(set(ids)) != len(ids):
        raise ValidationError(_("A plan can be either approved or returned, not both."), code="plan_twice")
    for item in returns:
        if not item.reason.strip():
            raise ValidationError(_("Write the reason for each plan you return."), code="reason_required")
    with transaction.atomic():
        plans = {
            p.pk: p
            for p in SupportPlan.objects.filter(organiser_id=organiser.pk, pk__in=ids).select_related("case")
        }
        if set(plans) != set(ids):
            raise ValidationError(_("This plan version is not waiting for approval."), code="not_forwarded")
        # The plans, then their cases, always in the same order, as every service locks them: no deadlock.
        locked = {p.pk: p for p in SupportPlan.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
        cases = {pk: _locked_case(plans[pk].case) for pk in sorted(ids)}
        meeting = ApprovalMeeting.objects.create(
            organiser_id=organiser.pk,
            held_on=held_on,
            members=members,
            minutes=minutes,
            recorded_by=recorded_by,
            recorded_at=clock.now(),
        )
        for plan in approve:
            _approve(locked[plan.pk], cases[plan.pk], recorded_by, meeting=meeting)
        for item in returns:
            _return_from_approval(
                locked[item.plan.pk], cases[item.plan.pk], recorded_by, item.reason.strip(), meeting=meeting
            )
    return meeting


def start_change(*, case: HBCase, actor) -> SupportPlan:
    """The client (or a delegate with edit access) starts changing the plan while the budget is in use: a new draft
    copied from the approved version. The budget account keeps using the approved version meanwhile."""
    with transaction.atomic():
        case = _locked_case(case)
        journey.check(case.status, CaseAction.START_CHANGE)
        approved = case.plans.filter(status=PlanStatus.APPROVED).order_by("-version").first()
        draft = _new_draft_from(approved, based_on=approved)
        move_case(case=case, action=CaseAction.START_CHANGE, actor=actor)
    return draft


def record_decision(*, case: HBCase, decided_by, period: Period) -> Decision:
    """The administrative decision granting the approved plan's amount for the period.

    Must run inside the caller's transaction: the budget account is opened in the same one.
    """
    case = _locked_case(case)
    journey.check(case.status, CaseAction.DECIDE)
    budget_period = Period(case.period_start, case.period_end)
    if not (budget_period.contains(period.start) and budget_period.contains(period.end)):
        # The budget was priced for its own period; granting it for other dates would grant unpriced money.
        raise ValidationError(
            _("The decision period must be within the budget period %(start)s–%(end)s."),
            code="period_outside_budget",
            params={
                "start": formats.date_format(case.period_start, "SHORT_DATE_FORMAT"),
                "end": formats.date_format(case.period_end, "SHORT_DATE_FORMAT"),
            },
        )
    plan = case.plans.get(status=PlanStatus.APPROVED, decision__isnull=True)
    lines = list(plan.lines.all())
    amount = money_sum(line.amount for line in lines)
    decision = Decision.objects.create(
        organiser_id=case.organiser_id,
        case=case,
        plan=plan,
        period_start=period.start,
        period_end=period.end,
        amount=amount,
        decided_by=decided_by,
        decided_at=clock.now(),
        snapshot=_decision_snapshot(case, plan, lines),
    )
    move_case(case=case, action=CaseAction.DECIDE, actor=decided_by)
    signals.case_decided.send(sender=HBCase, case=case, actor=decided_by)
    return decision


def _decision_snapshot(case: HBCase, plan: SupportPlan, lines: list[PlanLine]) -> dict:
    """What the decision was computed from, kept as it was so it reads the same after prices, rules or names change:
    the explained budget lines (names in every language, quantities, frequencies, prices, periods, amounts), the
    rule and its effects, the needs and the plan. ``selectors.decision_budget_explanation`` reads it back."""
    return {
        **to_snapshot(selectors.case_budget_explanation(case)),
        "needs": [
            {
                "service_code": n.service.code,
                "service_name": {"fi": n.service.name_fi, "sv": n.service.name_sv, "en": n.service.name_en},
                "unit": n.service.unit,
                "quantity": str(n.quantity),
                "frequency": n.frequency,
                "note": n.note,
                "legal_basis": n.service.legal_basis,
            }
            for n in case.needs.select_related("service")
        ],
        "plan_version": plan.version,
        "plan_lines": [
            {"id": line.pk, "description": line.description, "amount": str(line.amount), "product_id": line.product_id}
            for line in lines
        ],
    }


def decline_hb(*, client: Client, worker, reason: str) -> HBCase:
    """The client keeps ordinary services. Recorded as a declined case, whatever step the journey had reached."""
    with transaction.atomic():
        case = (
            HBCase.objects.select_for_update()
            .filter(organiser_id=client.organiser_id, client=client, status__in=OPEN_STATUSES)
            .first()
        )
        now = clock.now()
        if case is None:
            case = HBCase(organiser_id=client.organiser_id, client=client, worker=worker, opened_at=now)
        elif case.status in (CaseStatus.ACTIVE,):
            raise ValidationError(
                _("The budget has already been granted. End the HB period instead."), code="already_active"
            )
        case.declined_at = now
        case.decline_reason = reason.strip()
        if case.pk is not None:
            case.save(update_fields=["declined_at", "decline_reason"])
        move_case(case=case, action=CaseAction.DECLINE, actor=worker, reason=reason)
    return case


def close_case(*, case: HBCase, actor, reason: str) -> HBCase:
    """End the HB: the budget period is over or the client no longer uses the budget. The reason is kept in the
    case's history. The budget account is closed in the same transaction (``signals.case_closed``, received by
    ``accounts.funding.close_account``): what is unused is released and the closing statement kept. The client may
    later get a new HB case."""
    with transaction.atomic():
        closed = move_case(case=case, action=CaseAction.CLOSE, actor=actor, reason=reason)
        signals.case_closed.send(sender=HBCase, case=closed, actor=actor)
    return closed
