"""The synthetic data of the benchmarks: reproducible from its seed, consistent with the ledger's rules, and usable by
the real pages."""

import hashlib

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F, Q
from django.urls import reverse

from avain.accounts import ledger, synthetic
from avain.accounts.models import Agreement, EntryKind, Invoice, LedgerEntry, Payment, PaymentBatch, SubAccount
from avain.people.models import Client

pytestmark = pytest.mark.django_db

CLIENTS, ENTRIES = 30, 600


def _relative(value, first):
    return None if value is None else value - first


def digest(summary: synthetic.Summary) -> str:
    """The run's rows with every key made relative to the run's first key, so two runs compare whatever the keys.
    Taken right after the run: it reads every row from the run's first keys on."""
    first = summary.first_ids
    sub, inv, agr, pay = first["SubAccount"], first["Invoice"], first["Agreement"], first["Payment"]
    parts = [
        list(
            LedgerEntry.objects.filter(pk__gte=first["LedgerEntry"])
            .order_by("pk")
            .values_list("kind", "amount", "sub_account_id", "invoice_id", "agreement_id", "payment_id", "at")
        ),
        list(
            SubAccount.objects.filter(pk__gte=sub)
            .order_by("pk")
            .values_list("planned", "granted", "committed", "spent", "paid")
        ),
        list(Invoice.objects.filter(pk__gte=inv).order_by("pk").values_list("total", "status", "invoice_date")),
        list(Agreement.objects.filter(pk__gte=agr).order_by("pk").values_list("cap", "used_amount", "status")),
        list(Client.objects.filter(pk__gte=first["Client"]).order_by("pk").values_list("personal_identity_code")),
    ]
    parts[0] = [
        (kind, amount, s - sub, _relative(i, inv), _relative(a, agr), _relative(p, pay), at)
        for kind, amount, s, i, a, p, at in parts[0]
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def test_the_same_seed_makes_the_same_data_and_another_seed_other_data():
    first = synthetic.generate(clients=CLIENTS, entries=ENTRIES, seed=7)
    first_digest = digest(first)
    again = synthetic.generate(clients=CLIENTS, entries=ENTRIES, seed=7)
    again_digest = digest(again)
    other = synthetic.generate(clients=CLIENTS, entries=ENTRIES, seed=8)
    assert again.first_ids["LedgerEntry"] == first.first_ids["LedgerEntry"] + ENTRIES  # the second run added to it
    assert again_digest == first_digest
    assert digest(other) != first_digest


def test_the_ledger_is_consistent_and_within_every_rule():
    summary = synthetic.generate(clients=CLIENTS, entries=ENTRIES, organisers=2, seed=11)
    assert summary.counts["Client"] == CLIENTS
    assert LedgerEntry.objects.count() == ENTRIES  # exactly as many as asked
    assert ledger.verify() == []
    subs = SubAccount.objects.all()
    assert not subs.filter(granted__lt=F("committed") + F("spent")).exists()  # never overdrawn
    assert not subs.filter(Q(committed__lt=0) | Q(paid__gt=F("spent"))).exists()
    assert not Agreement.objects.filter(used_amount__gt=F("cap")).exists()
    # Every agreement's commitment is what its entries left committed: its cap less what was invoiced or released.
    for agreement in Agreement.objects.all():
        committed = sum(
            e.amount for e in agreement.entries.all() if e.kind in (EntryKind.COMMITMENT, EntryKind.RELEASE)
        )
        assert committed == (0 if agreement.status == "ended" else agreement.cap - agreement.used_amount)
    # Invoices total their lines and what was spent on them; a paid invoice has one payment of its total.
    for invoice in Invoice.objects.prefetch_related("lines", "entries", "payments"):
        assert invoice.total == sum(line.amount for line in invoice.lines.all()) > 0
        assert invoice.total == sum(e.amount for e in invoice.entries.all() if e.kind == EntryKind.SPENDING)
        assert [p.amount for p in invoice.payments.all()] == ([invoice.total] if invoice.status == "paid" else [])
    batches = PaymentBatch.objects.filter(total__gt=0)
    assert sum(b.total for b in batches) == sum(p.amount for p in Payment.objects.all()) > 0
    kinds = set(LedgerEntry.objects.values_list("kind", flat=True))
    assert {EntryKind.GRANT, EntryKind.COMMITMENT, EntryKind.RELEASE, EntryKind.SPENDING, EntryKind.PAYMENT} <= kinds
    connection.check_constraints()  # every foreign key points at a row


@pytest.mark.skipif(connection.vendor != "postgresql", reason="bulk mode is PostgreSQL's")
def test_bulk_mode_makes_the_same_data_and_restores_every_index(monkeypatch):
    def indexes():
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname")
            return cursor.fetchall()

    before = indexes()
    checked = synthetic.generate(clients=CLIENTS, entries=ENTRIES, seed=5)
    checked_digest = digest(checked)
    connection.check_constraints()  # the database checks the foreign keys of the ordinary run here
    monkeypatch.setattr(synthetic, "BULK_ENTRIES", 0)
    bulk = synthetic.generate(clients=CLIENTS, entries=ENTRIES, seed=5)
    assert bulk.bulk and not checked.bulk
    assert indexes() == before
    # Same rows and the same references as the run whose foreign keys the database checked.
    assert digest(bulk) == checked_digest
    assert ledger.verify() == []


def test_a_generated_client_sees_their_account_page(client):
    synthetic.generate(clients=3, entries=120, seed=2)
    person = Client.objects.select_related("user").order_by("pk").last()
    client.force_login(person.user)
    response = client.get(reverse("portal_account", args=[person.pk]))
    assert response.status_code == 200
    for sub in SubAccount.objects.filter(account__client=person):
        assert sub.description in response.content.decode()


def test_the_command_reports_what_it_made_and_verifies_it(capsys):
    call_command("generate_synthetic", clients=4, entries=80, seed=3, verify=-1)
    out = capsys.readouterr().out
    assert "LedgerEntry" in out and "80" in out
    assert "equal their entries" in out
    assert LedgerEntry.objects.count() == 80
