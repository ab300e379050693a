"""Reads for the agreement pages and the provider's invoicing (agreement_views.py), always scoped by organiser."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F
from django.db.models.functions import Substr

from avain.catalogue.models import Provider, RegistrationStatus, ServiceUnit

from .models import AccountStatus, Agreement, AgreementStatus, BudgetAccount, Invoice, SubAccount

UNIT_NAMES = dict(ServiceUnit.choices)


def agreements_of(account: BudgetAccount):
    return (
        Agreement.objects.filter(organiser_id=account.organiser_id, account=account)
        .select_related("provider", "sub_account")
        .order_by("-made_at", "-id")
    )


def open_sub_accounts(account: BudgetAccount):
    """The plan lines an agreement can be made on: none once the account is closed."""
    if account.status != AccountStatus.OPEN:
        return SubAccount.objects.none()
    return SubAccount.objects.filter(organiser_id=account.organiser_id, account=account, is_open=True).select_related(
        "plan_line__product__provider"
    )


def approved_providers(organiser_id: int):
    return Provider.objects.filter(organiser_id=organiser_id, status=RegistrationStatus.APPROVED).order_by("name")


@dataclass(frozen=True)
class ProviderAgreementRow:
    """An agreement as its provider sees it. The provider gets the client's first name and the initial of the last
    name, which is enough to tell its clients apart and to match the agreement number to a person it serves; nothing
    else of the client (no identity code, no plan, no budget) is needed to invoice, so nothing else is read."""

    number: str
    service: str
    unit: str
    unit_price: Decimal
    quantity: Decimal | None
    used_quantity: Decimal
    cap: Decimal
    used_amount: Decimal
    valid_from: object
    valid_until: object
    status: str
    client_name: str
    client_id: int

    @property
    def remaining(self) -> Decimal:
        return self.cap - self.used_amount

    @property
    def units_left(self) -> Decimal | None:
        return None if self.quantity is None else self.quantity - self.used_quantity

    @property
    def unit_name(self) -> str:
        return unit_name(self.unit)

    @property
    def status_name(self) -> str:
        return AgreementStatus(self.status).label


def provider_agreement_rows(provider: Provider, *, active_only: bool = False) -> list[ProviderAgreementRow]:
    # Only the first letter of the last name leaves the database: the provider never sees the whole of it.
    queryset = Agreement.objects.filter(organiser_id=provider.organiser_id, provider=provider)
    if active_only:
        queryset = queryset.filter(status=AgreementStatus.ACTIVE, account__status=AccountStatus.OPEN)
    rows = queryset.annotate(
        client_first=F("account__client__first_name"), client_initial=Substr("account__client__last_name", 1, 1)
    ).values(
        "number", "service", "unit", "unit_price", "quantity", "used_quantity", "cap", "used_amount",
        "valid_from", "valid_until", "status", "client_first", "client_initial", "account__client_id",
    ).order_by("status", "-valid_until", "number")
    return [
        ProviderAgreementRow(
            client_name=f"{row.pop('client_first')} {row.pop('client_initial')}.",
            client_id=row.pop("account__client_id"),
            **row,
        )
        for row in rows
    ]


def provider_invoices(provider: Provider):
    return Invoice.objects.filter(organiser_id=provider.organiser_id, provider=provider).only(
        "invoice_number", "invoice_date", "due_date", "total", "status", "source"
    ).order_by("-recorded_at", "-id")


def unit_name(unit: str) -> str:
    return str(UNIT_NAMES.get(unit, unit))


def agreed_prices(provider: Provider, numbers: set[str]) -> dict[str, Decimal]:
    """The agreed unit price of each of the provider's agreements named in ``numbers``."""
    return dict(
        Agreement.objects.filter(organiser_id=provider.organiser_id, provider=provider, number__in=numbers).values_list(
            "number", "unit_price"
        )
    )
