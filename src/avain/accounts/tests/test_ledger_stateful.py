"""A Hypothesis state machine drives random sequences of money movements on one budget account through the real
services (instalments, agreements, invoices, the client's receipts, money moved between flexible lines, the worker's
overspend permissions, the client's acceptance, rejections that reverse, payment batches paid by the bank's
notification, closing the budget and rejections after it) and checks after every step that
the stored totals equal the sums of the entries, that no line goes below zero unless an approved overspend allows it,
and that the account agrees with a simple model kept beside it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from avain.accounts import ledger
from avain.accounts.agreements import end_agreement, make_agreement
from avain.accounts.funding import allow_overspend, close_account, move_money
from avain.accounts.formats.camt054 import build_camt054
from avain.accounts.formats.pain001 import parse_pain001
from avain.accounts.invoices import accept_invoice, reject_invoice
from avain.accounts.models import AgreementStatus, FundingRule, Invoice, InvoiceSource, InvoiceStatus, PayerAccount, SubAccount
from avain.accounts.payments import create_batch, export_batch, import_camt054
from avain.accounts.posting import InvoiceClaim, LineClaim, post_provider_invoices
from avain.accounts.services import instalment_amount, release_instalment
from avain.core.clock import frozen_at
from avain.core.money import ZERO, round_money
from avain.core.periods import Period
from avain.organisations.models import Role
from avain.testing import account_of, case_active, make_client, make_organiser, make_provider, make_receipt, make_staff

pytestmark = pytest.mark.django_db

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
OPENED = dt.datetime(2025, 1, 2, 9, 0, tzinfo=dt.UTC)
LINES = [("Avustaja", Decimal("1800.00")), ("Harrastus", Decimal("1000.00")), ("Kuljetus", Decimal("155.55"))]

prices = st.decimals(min_value=Decimal("0.05"), max_value=Decimal("120"), places=2)
quantities = st.integers(min_value=1, max_value=12).map(Decimal)
days = st.integers(min_value=0, max_value=364)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        organiser = make_organiser()
        # The client accepts each invoice; no staff approval, so an accepted invoice is ready for payment. Money may
        # move between the lines.
        FundingRule.objects.create(
            organiser=organiser, instalments=4, rollover=True, staff_approval=False, lines_flexible=True
        )
        PayerAccount.objects.create(organiser=organiser, name="Hyvinvointialue", iban="FI4250001510000023", bic="OKOYFIHH")
        self.finance = make_staff(organiser, Role.FINANCE)
        with frozen_at(OPENED):
            case = case_active(
                organiser=organiser, client=make_client(organiser, login=True), period=PERIOD, plan_lines=LINES
            )
            self.account = account_of(case)
        self.client_user = case.client.user
        self.payments = 0
        self.by = self.account.decision.decided_by
        self.provider = make_provider(organiser)
        self.subs = list(self.account.sub_accounts.order_by("pk"))
        self.agreements = []
        self.invoice_count = 0
        self.closed = False
        # The model: what each line should have, in the buckets the account keeps.
        self.expected = {
            sub.pk: {"granted": sub.granted, "committed": ZERO, "spent": ZERO, "paid": ZERO, "overspend": ZERO}
            for sub in self.subs
        }

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _moment(self, day: int) -> dt.datetime:
        return OPENED + dt.timedelta(days=day)

    @rule(line=st.integers(0, len(LINES) - 1), price=prices, quantity=quantities, day=days)
    def agree(self, line, price, quantity, day):
        sub = SubAccount.objects.get(pk=self.subs[line].pk)
        cap = round_money(price * quantity)
        with frozen_at(self._moment(day)):
            try:
                agreement = make_agreement(
                    sub_account=sub, provider=self.provider, service="Palvelu", unit="kerta", unit_price=price,
                    quantity=quantity, amount=None, valid_from=PERIOD.start, valid_until=PERIOD.end, made_by=self.by,
                )
            except ValidationError as error:
                if self.closed:
                    assert error.code == "account_closed"
                else:
                    assert error.code == "insufficient_funds" and cap > sub.left
                return
        assert cap <= sub.left and not self.closed
        self.expected[sub.pk]["committed"] += cap
        self.agreements.append(agreement)

    @precondition(lambda self: self.agreements)
    @rule(data=st.data(), quantity=st.integers(1, 3).map(Decimal), over_price=st.sampled_from([False] * 4 + [True]), day=days)
    def invoice(self, data, quantity, over_price, day):
        agreement = data.draw(st.sampled_from(self.agreements))
        agreement.refresh_from_db()
        price = agreement.unit_price + (Decimal("0.01") if over_price else 0)
        service_date = PERIOD.start + dt.timedelta(days=day)
        amount = round_money(price * quantity)
        self.invoice_count += 1
        claim = InvoiceClaim(
            invoice_number=f"S-{self.invoice_count}",
            invoice_date=service_date,
            due_date=service_date,
            payee_iban=self.provider.iban,
            lines=(LineClaim(1, agreement.number, service_date, quantity, price, amount),),
        )
        with frozen_at(self._moment(day) + dt.timedelta(days=1)):
            result = post_provider_invoices(
                provider=self.provider, claims=[claim], source=InvoiceSource.CSV, recorded_by=self.by
            )
        fits = (
            not self.closed
            and agreement.status == AgreementStatus.ACTIVE
            and not over_price
            and agreement.used_quantity + quantity <= agreement.quantity
        )
        assert (result.lines_posted == 1) == fits, [p.code for p in result.problems]
        if fits:
            self.expected[agreement.sub_account_id]["committed"] -= amount
            self.expected[agreement.sub_account_id]["spent"] += amount

    @rule(line=st.integers(0, len(LINES) - 1), amount=st.sampled_from(["0", "5.00", "50.00", "400.00"]))
    def allow_overspend(self, line, amount):
        """The worker lets a line go over its money by at most ``amount``: never less than it is already over."""
        sub = SubAccount.objects.get(pk=self.subs[line].pk)
        amount = Decimal(amount)
        over = max(-sub.left, ZERO)
        try:
            allow_overspend(sub_account=sub, amount=amount, reason="Lisätarve" if amount else "", by=self.by)
        except ValidationError as error:
            assert error.code == "account_closed" if self.closed else error.code == "overspend_in_use" and amount < over
            return
        assert amount >= over and not self.closed
        event("allowed an overspend" if amount else "took an overspend away")
        self.expected[sub.pk]["overspend"] = amount

    @rule(
        line=st.integers(0, len(LINES) - 1),
        beyond=st.sampled_from(["-30.00", "-0.01", "0", "0.01", "4.99", "5.00", "49.99", "50.01", "399.99", "600.00"]),
        day=days,
    )
    def receipt(self, line, beyond, day):
        """The client claims a purchase paid themselves, of about what the line has left (``beyond`` it): accepted
        while the line has the money, its overspend permission counted."""
        sub = SubAccount.objects.get(pk=self.subs[line].pk)
        amount = max(sub.left + Decimal(beyond), Decimal("0.01"))
        with frozen_at(self._moment(day) + dt.timedelta(days=1)):
            try:
                make_receipt(self.account, amount=amount, line=line, purchase_date=PERIOD.start + dt.timedelta(days=day))
            except ValidationError as error:
                if self.closed:
                    assert error.code == "account_closed"
                else:
                    assert error.code == "insufficient_funds" and amount > sub.left + sub.overspend_allowed
                return
        assert amount <= sub.left + sub.overspend_allowed and not self.closed
        event("went over a line's money" if amount > sub.left else "claimed a receipt")
        self.expected[sub.pk]["spent"] += amount

    @rule(
        from_line=st.integers(0, len(LINES) - 1),
        to_line=st.integers(0, len(LINES) - 1),
        amount=st.sampled_from(["0.01", "12.34", "150.00", "3000.00"]),
    )
    def move(self, from_line, to_line, amount):
        """Money the client has now moves from one line to another, never more than is free on the first."""
        if from_line == to_line:
            return
        source, target = (SubAccount.objects.get(pk=self.subs[n].pk) for n in (from_line, to_line))
        amount = Decimal(amount)
        try:
            move_money(account=self.account, from_sub=source, to_sub=target, amount=amount, by=self.by)
        except ValidationError as error:
            assert error.code == "account_closed" if self.closed else error.code == "more_than_left" and amount > source.left
            return
        assert amount <= source.left and not self.closed
        event("moved money")
        self.expected[source.pk]["granted"] -= amount
        self.expected[target.pk]["granted"] += amount

    @precondition(lambda self: self.agreements)
    @rule(data=st.data())
    def end(self, data):
        agreement = data.draw(st.sampled_from(self.agreements))
        agreement.refresh_from_db()
        was_active = agreement.status == AgreementStatus.ACTIVE
        end_agreement(agreement=agreement, ended_by=self.by)
        if was_active:
            self.expected[agreement.sub_account_id]["committed"] -= agreement.remaining

    def _unreleased(self):
        return self.account.instalment_schedule.filter(released_at__isnull=True).order_by("number")

    # The daily job releases instalments of open budgets only; once all are out, the rule gives way to the others.
    @precondition(lambda self: not self.closed and self._unreleased().exists())
    @rule(day=days)
    def release_next_instalment(self, day):
        instalment = self._unreleased().first()
        with transaction.atomic():
            subs = ledger.lock_sub_accounts(sub.pk for sub in self.subs)
            release_instalment(self.account, instalment, list(subs.values()), by=self.by, at=self._moment(day))
        for sub in self.subs:
            self.expected[sub.pk]["granted"] += instalment_amount(sub.planned, instalment.number, 4)

    def _invoices(self, status):
        return list(Invoice.objects.filter(account=self.account, status=status).order_by("pk"))

    def _per_line(self, invoice):
        amounts = {}
        for line in invoice.lines.all():
            amounts[line.sub_account_id] = amounts.get(line.sub_account_id, ZERO) + line.amount
        return amounts

    def _has(self, status) -> bool:
        return Invoice.objects.filter(account=self.account, status=status).exists()

    @precondition(lambda self: self._has(InvoiceStatus.AWAITING_ACCEPTANCE))
    @rule(data=st.data())
    def accept(self, data):
        waiting = self._invoices(InvoiceStatus.AWAITING_ACCEPTANCE)
        if waiting:
            accept_invoice(invoice=data.draw(st.sampled_from(waiting)), by=self.client_user)

    @precondition(lambda self: self._has(InvoiceStatus.AWAITING_ACCEPTANCE))
    @rule(data=st.data(), close_first=st.sampled_from([False] * 3 + [True]), day=days)
    def reject(self, data, close_first, day):
        """The client rejects an invoice, now and then once the budget has closed (closing is otherwise rare here,
        as it ends the sequence's other movements)."""
        waiting = self._invoices(InvoiceStatus.AWAITING_ACCEPTANCE)
        if not waiting:
            return
        if close_first and not self.closed:
            self.close(day)
        invoice = data.draw(st.sampled_from(waiting))
        reject_invoice(invoice=invoice, by=self.client_user, reason="Palvelua ei saatu")
        event("rejected an invoice")
        for line in invoice.lines.select_related("agreement"):
            self.expected[line.sub_account_id]["spent"] -= line.amount
            if self.closed:  # a closed budget has no use for the money: released, as at closing
                self.expected[line.sub_account_id]["granted"] -= line.amount
            elif line.agreement is not None and line.agreement.status == AgreementStatus.ACTIVE:  # back to the agreement
                self.expected[line.sub_account_id]["committed"] += line.amount

    @precondition(lambda self: self._has(InvoiceStatus.APPROVED))
    @rule()
    def pay_what_is_approved(self):
        approved = self._invoices(InvoiceStatus.APPROVED)
        if not approved:
            return
        self.payments += 1
        moment = OPENED + dt.timedelta(days=365 + self.payments)
        with frozen_at(moment):
            batch = create_batch(organiser=self.account.organiser, execution_date=moment.date(), created_by=self.finance)
            batch = export_batch(batch=batch, exported_by=self.finance)
            notification = build_camt054(
                parse_pain001(bytes(batch.pain001)), message_id=f"NTF-{self.payments}",
                created_at=moment.replace(tzinfo=None), booking_date=moment.date(),
            )
            import_camt054(organiser=self.account.organiser, filename="camt.xml", data=notification, by=self.finance)
        event("paid a batch")
        for invoice in approved:
            assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID
            for sub_id, amount in self._per_line(invoice).items():
                self.expected[sub_id]["paid"] += amount

    @precondition(lambda self: not self.closed and self._has(InvoiceStatus.AWAITING_ACCEPTANCE))
    @rule(day=days)
    def close(self, day):
        """The budget closes: the agreements end and what is left on every line is released; invoices already
        received stay payable, and a rejection after it releases its money too."""
        with frozen_at(self._moment(day) + dt.timedelta(days=2)):
            close_account(account=self.account, by=self.by)
        self.closed = True
        event("closed the budget")
        for expected in self.expected.values():
            expected["committed"] = ZERO
            expected["granted"] = min(expected["granted"], expected["spent"])

    @invariant()
    def stored_totals_equal_the_entries(self):
        assert ledger.verify(SubAccount.objects.filter(account=self.account)) == []

    @invariant()
    def no_line_below_zero_and_the_model_agrees(self):
        for sub in SubAccount.objects.filter(account=self.account):
            assert sub.left >= -sub.overspend_allowed
            if self.closed:  # nothing spendable is left on a closed budget, whatever came back to it after
                assert sub.committed == 0 and sub.left <= 0
            assert sub.committed >= 0 and sub.spent >= 0 and sub.paid <= sub.spent
            expected = self.expected[sub.pk]
            assert (sub.granted, sub.committed, sub.spent, sub.paid, sub.overspend_allowed) == (
                expected["granted"], expected["committed"], expected["spent"], expected["paid"], expected["overspend"]
            )


@pytest.fixture
def settings_for_files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # the receipts' files


def test_random_sequences_of_money_movements_keep_the_ledger_exact(settings_for_files):
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=40, stateful_step_count=30, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )
