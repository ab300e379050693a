import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice
from stdnum import iban
from stdnum.fi import hetu, ytunnus

from avain.accounts.ledger import verify
from avain.accounts.models import BudgetAccount, Invoice
from avain.catalogue.models import Provider, ServicePrice
from avain.organisations.models import Organiser
from avain.people.models import Client, Delegation, Language
from avain.planning.models import CaseStatus, HBCase, PlanStatus
from avain.portal.demo import DEMO_PASSWORD, PERSONAS, load_demo_data

pytestmark = pytest.mark.django_db


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


@pytest.fixture
def demo(settings):
    # The real hasher costs half a second per check; these tests check the password, not the hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    assert load_demo_data() is True


def test_loading_twice_changes_nothing(demo):
    before = _row_counts()
    assert load_demo_data() is False
    assert _row_counts() == before


def test_every_persona_can_sign_in_with_the_demo_password_and_a_totp_device(demo):
    assert [p.username for p in PERSONAS] == [
        "eksote.worker",
        "eksote.approver",
        "eksote.finance",
        "client.aino",
        "client.mikko",
        "assistant.sari",
        "provider.martat",
        "vantaa.worker",
        "eksote.researcher",
        "eksote.admin",
    ]
    for persona in PERSONAS:
        user = get_user_model().objects.get(username=persona.username)
        assert user.check_password(DEMO_PASSWORD), persona.username
        assert user.first_name and user.last_name
        assert TOTPDevice.objects.filter(user=user, confirmed=True).exists(), persona.username
        assert str(persona.title) and str(persona.description)


def test_every_demo_user_has_a_confirmed_totp_device(demo):
    for user in get_user_model().objects.all():
        assert TOTPDevice.objects.filter(user=user, confirmed=True).exists(), user.username


def test_identifiers_are_valid(demo):
    clients = Client.objects.all()
    assert clients
    for client in clients:
        assert hetu.is_valid(client.personal_identity_code), client.personal_identity_code
        code = client.personal_identity_code
        birth_year = {"-": 1900, "A": 2000}[code[6]] + int(code[4:6])
        assert 1960 <= birth_year <= 2005, code
    for organiser in Organiser.objects.all():
        assert ytunnus.is_valid(organiser.business_id), organiser.business_id
    providers = Provider.objects.all()
    assert providers
    for provider in providers:
        assert ytunnus.is_valid(provider.business_id), provider.business_id
        assert iban.is_valid(provider.iban), provider.iban
        assert provider.iban.startswith("FI")


def test_both_organisers_have_clients_and_price_lists(demo):
    for code in ("eksote", "vantaa"):
        organiser = Organiser.objects.get(code=code)
        assert organiser.clients.count() >= 3
        assert 8 <= organiser.services.count() <= 12
        assert organiser.providers.exists()
    assert Client.objects.filter(language=Language.SWEDISH).count() >= 2


def test_a_price_change_closes_the_earlier_price(demo):
    closed = ServicePrice.objects.filter(valid_to__isnull=False)
    assert closed.exists()
    for price in closed:
        following = ServicePrice.objects.get(service=price.service, valid_from=price.valid_to + dt.timedelta(days=1))
        assert following.valid_to is None


def test_there_is_a_client_at_every_step(demo):
    present = set(HBCase.objects.values_list("status", flat=True))
    assert present == set(CaseStatus.values)


def test_aino_has_an_active_budget_with_invoices_from_different_providers(demo):
    aino = Client.objects.get(user__username="client.aino")
    case = aino.cases.get()
    assert case.status == CaseStatus.ACTIVE
    account = BudgetAccount.objects.get(client=aino)
    invoices = Invoice.objects.filter(account=account)
    assert 3 <= invoices.count() <= 4
    assert invoices.values("provider").distinct().count() == invoices.count()
    # Every plan line still has money left: the ledger never goes below zero.
    assert all(sub.left >= 0 for sub in account.sub_accounts.all())
    assert sum(sub.spent for sub in account.sub_accounts.all()) == sum(invoice.total for invoice in invoices)
    assert verify(account.sub_accounts.all()) == []
    assert aino.close_ones.exists()
    delegation = Delegation.objects.get(client=aino, user__username="assistant.sari", withdrawn_at__isnull=True)
    assert delegation.access == Delegation.Access.EDIT


def test_mikko_is_writing_a_draft_plan(demo):
    mikko = Client.objects.get(user__username="client.mikko")
    case = mikko.cases.get()
    assert case.status == CaseStatus.PLANNING
    draft = case.plans.get(status=PlanStatus.DRAFT)
    assert draft.what_matters and not draft.follow_up
    assert draft.lines.exists()
    gym = draft.lines.get(product__isnull=False)
    assert gym.amount == 12 * gym.product.unit_price


def test_both_organisers_have_a_service_menu_and_eksote_has_reviews_waiting(demo):
    from avain.catalogue.models import ProductStatus, RegistrationStatus, ServiceProduct
    from avain.catalogue.selectors import MenuSearch, menu_products

    for organiser in Organiser.objects.all():
        menu = list(menu_products(organiser.pk, MenuSearch()))
        assert len(menu) >= 3
        assert all(product.areas.exists() and product.languages.exists() for product in menu)
    eksote = Organiser.objects.get(code="eksote")
    assert ServiceProduct.objects.filter(organiser=eksote, status=ProductStatus.PROPOSED).exists()
    returned = ServiceProduct.objects.get(organiser=eksote, status=ProductStatus.RETURNED)
    assert returned.reviews.get().reason
    assert Provider.objects.filter(organiser=eksote, status=RegistrationStatus.PENDING).count() == 1


def test_the_command_refuses_without_demo_mode(settings):
    settings.AVAIN_DEMO = False
    with pytest.raises(CommandError):
        call_command("load_demo", stdout=StringIO())
    assert not Organiser.objects.exists()


def test_the_command_loads_and_prints_the_password(settings):
    settings.AVAIN_DEMO = True
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert DEMO_PASSWORD in out.getvalue()
    assert Organiser.objects.count() == 2
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "already loaded" in out.getvalue()


def test_ainos_invoices_show_each_step_from_acceptance_to_payment(demo):
    from avain.accounts.models import InvoiceStatus, PaymentBatch

    statuses = sorted(
        Invoice.objects.filter(account__client__user__username="client.aino").values_list("status", flat=True)
    )
    assert statuses == sorted(
        [InvoiceStatus.PAID, InvoiceStatus.PAID, InvoiceStatus.APPROVED, InvoiceStatus.AWAITING_ACCEPTANCE]
    )
    batch = PaymentBatch.objects.get(organiser__code="eksote")
    assert batch.status == "exported" and batch.total == Decimal("388.00")
    account = BudgetAccount.objects.get(client__user__username="client.aino")
    assert sum(sub.paid for sub in account.sub_accounts.all()) == Decimal("388.00")
