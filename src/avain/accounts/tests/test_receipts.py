"""Clients' receipts: every check refuses with its own code and changes nothing; a claim that passes spends from its
plan line at once and waits for the worker's approval.

The scenario: a budget for 2025 with the lines 1 800 € and 1 000 €, claims made on 31 March 2025.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from avain.accounts import ledger
from avain.accounts.invoices import reject_invoice
from avain.accounts.models import (
    AccountStatus,
    BudgetAccount,
    EntryKind,
    Invoice,
    InvoiceSource,
    InvoiceStatus,
    LedgerEntry,
    SubAccount,
)
from avain.accounts.receipts import MAX_ATTACHMENT_BYTES, claim_receipt, no_receipt_left
from avain.core import clock
from avain.core.clock import frozen_at
from avain.core.periods import Period
from avain.people.services import grant_delegation
from avain.testing import (
    account_of,
    case_active,
    make_assistant,
    make_client,
    make_organiser,
    make_staff,
    refused,
    valid_iban,
)

pytestmark = pytest.mark.django_db

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
IN_MARCH = dt.datetime(2025, 3, 31, 12, 0, tzinfo=dt.UTC)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)
PDF = b"%PDF-1.7\n" + bytes(200)
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media) -> list:
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


@pytest.fixture
def account():
    with frozen_at(dt.datetime(2025, 1, 2, 9, 0, tzinfo=dt.UTC)):
        organiser = make_organiser()
        return account_of(case_active(client=make_client(organiser, login=True), period=PERIOD))


def set_rule(account, **fields) -> BudgetAccount:
    """Change the funding rule copied onto the account (as if the organiser's rule had said so at opening)."""
    BudgetAccount.objects.filter(pk=account.pk).update(**fields)
    return BudgetAccount.objects.get(pk=account.pk)


def photo(content: bytes = JPEG, name: str = "IMG_2025_Aino_Virtanen_apteekki.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def first_line(account) -> SubAccount:
    return SubAccount.objects.filter(account=account).order_by("pk").first()


def claim(account, **overrides) -> Invoice:
    arguments = {
        "account": account,
        "sub_account": first_line(account),
        "purchase_date": dt.date(2025, 3, 20),
        "amount": Decimal("24.90"),
        "description": "Uimahallin sarjakortti",
        "payee_iban": "FI21 1234 5600 0007 85",
        "attachment": photo(),
        "without_receipt": False,
        "claimed_by": account.client.user,
    }
    arguments.update(overrides)
    with frozen_at(IN_MARCH):
        return claim_receipt(**arguments)


def totals(sub) -> tuple:
    sub = SubAccount.objects.get(pk=sub.pk)
    return sub.granted, sub.committed, sub.spent, sub.left


def test_a_receipt_spends_from_its_line_and_waits_for_approval_accepted_by_the_client(account, media):
    sub = first_line(account)
    invoice = claim(account)
    assert (invoice.source, invoice.provider, invoice.invoice_number) == (InvoiceSource.RECEIPT, None, "K-1")
    assert invoice.status == InvoiceStatus.AWAITING_APPROVAL
    assert invoice.accepted_by == account.client.user and invoice.accepted_at == IN_MARCH
    assert (invoice.payee_name, invoice.payee_iban) == (account.client.full_name, "FI2112345600000785")
    assert invoice.total == Decimal("24.90") and invoice.invoice_date == dt.date(2025, 3, 20)
    line = invoice.lines.get()
    assert (line.sub_account_id, line.agreement, line.quantity, line.unit_price, line.amount) == (
        sub.pk, None, Decimal(1), Decimal("24.90"), Decimal("24.90")
    )
    assert totals(sub) == (Decimal("1800.00"), Decimal("0.00"), Decimal("24.90"), Decimal("1775.10"))
    assert list(LedgerEntry.objects.filter(invoice=invoice).values_list("kind", "amount", "sub_account_id")) == [
        (EntryKind.SPENDING, Decimal("24.90"), sub.pk)
    ]
    assert ledger.verify() == []
    # Stored under a random name: nothing of what the client's file was called.
    name = invoice.attachment.name
    assert name.startswith("receipts/2") and name.endswith(".jpg")
    assert "Aino" not in name and "IMG" not in name and "apteekki" not in name
    assert [p.read_bytes() for p in stored_files(media)] == [JPEG]
    assert claim(account, attachment=photo(PDF, "kuitti.pdf", "application/pdf")).invoice_number == "K-2"


def test_png_and_pdf_are_stored_with_the_extension_of_what_they_are(account):
    assert claim(account, attachment=photo(PNG, "kuva.jpeg")).attachment.name.endswith(".png")
    assert claim(account, attachment=photo(PDF, "kuitti.jpg")).attachment.name.endswith(".pdf")


@pytest.mark.parametrize(
    ("code", "overrides"),
    [
        ("not_positive", {"amount": Decimal("0")}),
        ("not_positive", {"amount": Decimal("-5.00")}),
        ("not_whole_cents", {"amount": Decimal("12.345")}),
        ("no_amount", {"amount": "kaksitoista"}),
        ("no_description", {"description": "   "}),
        ("invalid_iban", {"payee_iban": "FI21 1234 5600 0007 86"}),
        ("no_attachment", {"attachment": None}),
        ("attachment_wrong_type", {"attachment": photo(EXE, "kuitti.jpg", "image/jpeg")}),
        ("attachment_wrong_type", {"attachment": photo(b"", "tyhja.pdf", "application/pdf")}),
        ("receipt_and_no_receipt", {"without_receipt": True, "amount": Decimal("5.00")}),
        ("date_in_future", {"purchase_date": dt.date(2025, 4, 1)}),
        ("date_outside_period", {"purchase_date": dt.date(2024, 12, 31)}),
        ("insufficient_funds", {"amount": Decimal("1800.01")}),
        ("no_receipt_not_allowed", {"attachment": None, "without_receipt": True, "amount": Decimal("5.00")}),
    ],
)
def test_each_check_refuses_with_its_code_and_changes_nothing(account, media, code, overrides):
    error = refused(code, claim, account, **overrides)
    assert error.messages and error.messages[0]
    assert stored_files(media) == []


def test_a_renamed_program_posing_as_a_photo_is_refused_by_its_first_bytes(account, media):
    error = refused("attachment_wrong_type", claim, account, attachment=photo(EXE, "kuitti.jpg", "image/jpeg"))
    assert "JPEG" in error.messages[0]
    assert stored_files(media) == []


def test_a_file_over_10_mb_is_refused(account, media):
    big = photo(JPEG + bytes(MAX_ATTACHMENT_BYTES - len(JPEG) + 1))
    refused("attachment_too_large", claim, account, attachment=big)
    assert claim(account, attachment=photo(JPEG + bytes(MAX_ATTACHMENT_BYTES - len(JPEG)))).total == Decimal("24.90")


def test_claims_are_made_within_the_organisers_deadline(account):
    account = set_rule(account, claim_deadline_days=30)
    refused("claimed_too_late", claim, account, purchase_date=dt.date(2025, 2, 28))  # 31 days ago
    assert claim(account, purchase_date=dt.date(2025, 3, 1)).invoice_number == "K-1"  # 30 days ago


def test_money_must_be_left_on_the_line_unless_the_worker_allowed_an_overspend(account):
    sub = first_line(account)
    claim(account, amount=Decimal("1800.00"))
    refused("insufficient_funds", claim, account, amount=Decimal("0.01"))
    SubAccount.objects.filter(pk=sub.pk).update(overspend_allowed=Decimal("10.00"), overspend_reason="Lisätarve")
    claim(account, amount=Decimal("10.00"))
    refused("insufficient_funds", claim, account, amount=Decimal("0.01"))
    assert totals(sub)[2:] == (Decimal("1810.00"), Decimal("-10.00"))
    assert ledger.verify() == []


def test_only_the_client_or_an_edit_delegate_claims(account):
    reader = make_assistant(account.organiser)
    grant_delegation(client=account.client, user=reader, access="read")
    refused("not_allowed", claim, account, claimed_by=reader)
    refused("not_allowed", claim, account, claimed_by=make_staff(account.organiser))
    editor = make_assistant(account.organiser)
    grant_delegation(client=account.client, user=editor, access="edit")
    invoice = claim(account, claimed_by=editor)
    assert (invoice.recorded_by, invoice.accepted_by) == (editor, editor)


def test_the_line_must_be_on_the_same_account_and_the_account_open(account):
    other = account_of(case_active(organiser=account.organiser, period=PERIOD))
    refused("unknown_line", claim, account, sub_account=first_line(other))
    closed = set_rule(account, status=AccountStatus.CLOSED, closed_at=clock.now())
    refused("account_closed", claim, closed)


def test_without_receipt_only_within_the_allowance_and_a_rejected_claim_frees_it(account):
    account = set_rule(account, no_receipt_allowance=Decimal("50.00"))
    small = {"attachment": None, "without_receipt": True}
    first = claim(account, amount=Decimal("30.00"), **small)
    assert first.without_receipt and not first.attachment
    error = refused("over_no_receipt_allowance", claim, account, amount=Decimal("20.01"), **small)
    assert "20,00" in error.messages[0] or "20.00" in error.messages[0]
    claim(account, amount=Decimal("20.00"), **small)
    assert no_receipt_left(account) == Decimal("0.00")
    claim(account, amount=Decimal("100.00"))  # with a receipt: the allowance does not limit it
    with frozen_at(IN_MARCH):
        reject_invoice(invoice=first, by=make_staff(account.organiser), reason="Ei kuulu suunnitelmaan.")
    assert no_receipt_left(account) == Decimal("30.00")
    claim(account, amount=Decimal("30.00"), **small)


@pytest.mark.parametrize(
    ("acceptance", "approval", "status", "accepted"),
    [
        (True, True, InvoiceStatus.AWAITING_APPROVAL, True),
        (True, False, InvoiceStatus.APPROVED, True),
        (False, True, InvoiceStatus.AWAITING_APPROVAL, False),
        (False, False, InvoiceStatus.APPROVED, False),
    ],
)
def test_the_funding_rules_approvals_decide_where_a_receipt_waits(account, acceptance, approval, status, accepted):
    account = set_rule(account, client_acceptance=acceptance, staff_approval=approval)
    invoice = claim(account)
    assert invoice.status == status
    assert (invoice.accepted_by is not None) is accepted
    assert invoice.approved_by is None


def test_a_second_organisers_iban_is_fine_any_valid_iban_is(account):
    assert claim(account, payee_iban=valid_iban(77)).payee_iban == valid_iban(77)


def test_the_shared_factory_claims_for_a_client_without_a_sign_in():
    from avain.testing import make_receipt

    with frozen_at(IN_MARCH):
        receipt = make_receipt(account_of(case_active(period=PERIOD)))
    assert (receipt.invoice_number, receipt.status, receipt.invoice_date) == (
        "K-1", InvoiceStatus.AWAITING_APPROVAL, dt.date(2025, 3, 31)
    )
    assert receipt.accepted_by == receipt.recorded_by
