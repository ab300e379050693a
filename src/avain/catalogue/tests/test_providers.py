"""A provider registers itself on a public page; the organiser's administrator approves or refuses it."""

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from avain.catalogue.models import Provider, ProviderContact, RegistrationStatus
from avain.catalogue.services import Registration, decide_registration, register_provider
from avain.organisations.models import Role
from avain.testing import (
    TEST_PASSWORD,
    db_snapshot,
    login_verified,
    make_area,
    make_organiser,
    make_provider,
    make_staff,
    make_user,
    refused,
    valid_business_id,
    valid_iban,
)

pytestmark = pytest.mark.django_db

# The same message as a Finnish, Swedish or English reader sees it.
INVALID_BUSINESS_ID = {
    "fi": "ei ole kelvollinen Y-tunnus",
    "sv": "är inte ett giltigt FO-nummer",
    "en": "is not a valid business ID (Y-tunnus)",
}
INVALID_IBAN = {
    "fi": "ei ole kelvollinen IBAN-tilinumero",
    "sv": "är inte ett giltigt IBAN-kontonummer",
    "en": "is not a valid IBAN account number",
}
PASSWORD_TOO_SHORT = {"sv": "Det här lösenordet är för kort", "en": "This password is too short"}
FIELD_REQUIRED = {"fi": "Tämä kenttä vaaditaan", "sv": "Detta fält måste fyllas i", "en": "This field is required"}
ALREADY_REGISTERED = {
    "fi": "Tälle järjestäjälle on jo rekisteröitynyt palveluntuottaja, jolla on tämä Y-tunnus.",
    "sv": "En serviceproducent med det här FO-numret är redan registrerad hos den här anordnaren.",
    "en": "A provider with this business ID is already registered with this organiser.",
}
NOT_A_CHOICE = {"fi": "Valitse oikea vaihtoehto", "sv": "Välj ett giltigt alternativ", "en": "Select a valid choice"}


@pytest.fixture(autouse=True)
def default_language():
    """A page request activates its language for the thread; every test starts and ends in the default."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def organiser():
    return make_organiser("rekisteri")


@pytest.fixture
def area(organiser):
    return make_area(organiser, "Kotikunta")


_numbers = iter(range(900_000, 1_000_000))  # far from the factories' own sequence


def form_data(area, **changes) -> dict:
    n = next(_numbers)
    data = {
        "name": f"Tukipalvelu {n} Oy",
        "business_id": valid_business_id(n),
        "kind": "company",
        "iban": valid_iban(n),
        "email": f"Tuottaja{n}@Example.fi",
        "phone": "040 123 4567",
        "areas": [area.pk],
        "languages": ["fi", "sv"],
        "contact_first_name": "Pirkko",
        "contact_last_name": "Palvelija",
        "password": TEST_PASSWORD,
        "password_again": TEST_PASSWORD,
    }
    data.update(changes)
    return data


def registration(area, **changes) -> Registration:
    from avain.catalogue.models import ServiceLanguage

    data = form_data(area, **changes)
    return Registration(
        name=data["name"],
        business_id=data["business_id"],
        kind=data["kind"],
        iban=data["iban"],
        email=data["email"],
        phone=data["phone"],
        areas=changes.get("areas", [area]),
        languages=changes.get("languages", list(ServiceLanguage.objects.filter(code__in=data["languages"]))),
        contact_first_name=data["contact_first_name"],
        contact_last_name=data["contact_last_name"],
        password=data["password"],
    )


def register(client, organiser, data, language="en"):
    return client.post(reverse("provider_register", args=[organiser.code]), data, HTTP_ACCEPT_LANGUAGE=language)


# --- The public pages ---------------------------------------------------------------------------------------------


def test_the_registration_pages_answer_without_sign_in(client, organiser, area):
    other = make_organiser("toinen")
    start = client.get(reverse("provider_register_start"))
    assert start.status_code == 200
    page = start.content.decode()
    assert reverse("provider_register", args=[organiser.code]) in page
    assert reverse("provider_register", args=[other.code]) in page

    form = client.get(reverse("provider_register", args=[organiser.code]))
    assert form.status_code == 200
    assert organiser.name in form.content.decode()
    # Only the organiser's own areas are offered.
    make_area(other, "Vieras kunta")
    form = client.get(reverse("provider_register", args=[organiser.code]))
    assert "Kotikunta" in form.content.decode()
    assert "Vieras kunta" not in form.content.decode()


def test_the_registration_page_of_an_unknown_organiser_is_not_found(client, organiser):
    assert client.get(reverse("provider_register", args=["ei-ole"])).status_code == 404
    assert client.post(reverse("provider_register", args=["ei-ole"]), {}).status_code == 404


# --- A good registration ------------------------------------------------------------------------------------------


def test_a_good_registration_creates_a_pending_provider_and_its_contact_who_can_sign_in(client, organiser, area):
    second_area = make_area(organiser, "Naapurikunta")
    data = form_data(area, areas=[area.pk, second_area.pk], languages=["sv", "fse"])
    data["iban"] = " ".join(data["iban"][i : i + 4] for i in range(0, len(data["iban"]), 4)).lower()
    response = register(client, organiser, data)

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    provider = Provider.objects.get(organiser=organiser)
    assert provider.status == RegistrationStatus.PENDING
    assert provider.registered_at is not None and provider.decided_at is None and provider.decided_by is None
    assert provider.name == data["name"]
    assert provider.business_id == data["business_id"]
    assert provider.iban == data["iban"].replace(" ", "").upper()
    assert provider.kind == "company"
    assert provider.email == data["email"].lower()
    assert set(provider.areas.all()) == {area, second_area}
    assert set(provider.languages.values_list("code", flat=True)) == {"sv", "fse"}

    contact = ProviderContact.objects.get(provider=provider)
    assert contact.organiser == organiser
    assert contact.user.username == data["email"].lower() == contact.user.email
    assert (contact.user.first_name, contact.user.last_name) == ("Pirkko", "Palvelija")
    assert authenticate(username=data["email"].lower(), password=TEST_PASSWORD) == contact.user
    assert not contact.user.staff_memberships.exists()

    # Signing in with the password leads to setting up the authenticator app.
    signed_in = client.post(reverse("login"), {"username": data["email"].lower(), "password": TEST_PASSWORD})
    assert signed_in["Location"] == reverse("login_enrol")


def test_the_same_business_id_may_register_with_another_organiser(client, organiser, area):
    other = make_organiser("toinen")
    existing = make_provider(other)
    response = register(client, organiser, form_data(area, business_id=existing.business_id))
    assert response.status_code == 302
    assert Provider.objects.filter(business_id=existing.business_id).count() == 2


def test_a_business_id_without_its_dash_is_stored_in_the_standard_form(organiser, area):
    business_id = valid_business_id(1_000_500)
    provider = register_provider(organiser=organiser, registration=registration(area, business_id=business_id.replace("-", "")))
    assert provider.business_id == business_id
    # …so the same business ID written the other way is recognised as already registered.
    refused("provider_exists", register_provider, organiser=organiser, registration=registration(area, business_id=business_id))


# --- Bad registrations: the specific message, and nothing written --------------------------------------------------


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_an_invalid_business_id_is_refused_in_the_users_language(client, organiser, area, language):
    before = db_snapshot()
    response = register(client, organiser, form_data(area, business_id="1234567-8"), language)
    assert response.status_code == 400
    assert INVALID_BUSINESS_ID[language] in response.content.decode()
    assert response.context["form"].has_error("business_id")
    assert db_snapshot() == before


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_an_invalid_iban_is_refused_in_the_users_language(client, organiser, area, language):
    before = db_snapshot()
    response = register(client, organiser, form_data(area, iban="FI2112345600000786"), language)
    assert response.status_code == 400
    assert INVALID_IBAN[language] in response.content.decode()
    assert response.context["form"].has_error("iban")
    assert db_snapshot() == before


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_a_business_id_already_registered_with_the_organiser_is_refused(client, organiser, area, language):
    existing = make_provider(organiser)
    before = db_snapshot()
    response = register(client, organiser, form_data(area, business_id=existing.business_id), language)
    assert response.status_code == 400
    assert ALREADY_REGISTERED[language] in response.content.decode()
    assert db_snapshot() == before


@pytest.mark.parametrize("taken", ["username", "email"])
def test_an_email_address_that_already_has_a_user_is_refused(client, organiser, area, taken):
    user = make_user("someone")
    setattr(user, taken, "varattu@example.fi")
    user.save()
    before = db_snapshot()
    response = register(client, organiser, form_data(area, email="Varattu@Example.FI"))
    assert response.status_code == 400
    assert "This e-mail address already has a user." in response.content.decode()
    assert db_snapshot() == before


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_weak_password_is_refused(client, organiser, area, language):
    before = db_snapshot()
    response = register(client, organiser, form_data(area, password="lyhyt", password_again="lyhyt"), language)
    assert response.status_code == 400
    assert PASSWORD_TOO_SHORT[language] in response.content.decode()
    assert db_snapshot() == before


def test_a_password_like_the_email_address_is_refused(organiser, area):
    with pytest.raises(ValidationError) as error, translation.override("en"):
        register_provider(
            organiser=organiser,
            registration=registration(area, email="hyvinpitkanimi@example.fi", password="hyvinpitkanimi"),
        )
    with translation.override("en"):
        assert "too similar" in " ".join(error.value.messages)
    assert not Provider.objects.exists()


def test_two_different_passwords_are_refused(client, organiser, area):
    before = db_snapshot()
    response = register(client, organiser, form_data(area, password_again=TEST_PASSWORD + "x"))
    assert response.status_code == 400
    assert response.context["form"].errors["password_again"] == ["The passwords are not the same."]
    assert db_snapshot() == before


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_a_registration_without_languages_is_refused(client, organiser, area, language):
    data = form_data(area)
    del data["languages"]
    before = db_snapshot()
    response = register(client, organiser, data, language)
    assert response.status_code == 400
    assert response.context["form"].has_error("languages")
    assert FIELD_REQUIRED[language] in response.content.decode()
    assert db_snapshot() == before
    # The service itself refuses it as well.
    refused("no_languages", register_provider, organiser=organiser, registration=registration(area, languages=[]))


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_an_area_of_another_organiser_is_refused(client, organiser, area, language):
    foreign = make_area(make_organiser("toinen"), "Vieras kunta")
    before = db_snapshot()
    response = register(client, organiser, form_data(area, areas=[area.pk, foreign.pk]), language)
    assert response.status_code == 400
    assert response.context["form"].has_error("areas")
    assert NOT_A_CHOICE[language] in response.content.decode()
    assert db_snapshot() == before
    refused("foreign_area", register_provider, organiser=organiser, registration=registration(area, areas=[area, foreign]))
    refused("no_areas", register_provider, organiser=organiser, registration=registration(area, areas=[]))


def test_the_service_refuses_each_bad_registration_with_its_code(organiser, area):
    existing = make_provider(organiser)
    make_user("varattu@example.fi")
    for code, changes in [
        ("provider_exists", {"business_id": existing.business_id}),
        ("email_taken", {"email": "VARATTU@example.fi"}),
    ]:
        refused(code, register_provider, organiser=organiser, registration=registration(area, **changes))
    for field, changes in [("business_id", {"business_id": "1234567-8"}), ("iban", {"iban": "FI2112345600000786"})]:
        before = db_snapshot()
        with pytest.raises(ValidationError) as error:
            register_provider(organiser=organiser, registration=registration(area, **changes))
        assert field in error.value.error_dict
        assert db_snapshot() == before


# --- The organiser decides -----------------------------------------------------------------------------------------


@pytest.fixture
def pending(organiser, area):
    return register_provider(organiser=organiser, registration=registration(area))


@pytest.fixture
def admin(organiser):
    return make_staff(organiser, Role.ORGANISER_ADMIN)


def decide(client, provider, decision, reason=""):
    return client.post(
        reverse("provider_registration_decide", args=[provider.pk]),
        {"decision": decision, "reason": reason},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )


def test_the_admin_sees_only_pending_registrations_of_their_organiser(client, organiser, pending, admin):
    make_provider(organiser, "Hyväksytty tuottaja")
    other = make_organiser("toinen")
    foreign = register_provider(organiser=other, registration=registration(make_area(other)))
    login_verified(client, admin)
    response = client.get(reverse("provider_registrations"))
    assert response.status_code == 200
    assert list(response.context["providers"]) == [pending]
    page = response.content.decode()
    assert pending.name in page and pending.business_id in page
    assert foreign.name not in page and "Hyväksytty tuottaja" not in page


def test_the_admin_approves_a_pending_registration(client, pending, admin):
    login_verified(client, admin)
    response = decide(client, pending, "approve")
    assert response.redirect_chain[-1][0] == reverse("provider_registrations")
    assert f"{pending.name} is approved." in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == RegistrationStatus.APPROVED
    assert pending.decided_by == admin and pending.decided_at is not None
    assert pending.refusal_reason == ""


def test_the_admin_refuses_a_registration_with_a_reason_the_provider_then_reads(client, pending, admin):
    login_verified(client, admin)
    response = decide(client, pending, "refuse", "  Y-tunnus ei ole rekisterissä.  ")
    assert f"{pending.name} is refused." in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == RegistrationStatus.REFUSED
    assert pending.refusal_reason == "Y-tunnus ei ole rekisterissä."
    assert pending.decided_by == admin

    from django_otp.plugins.otp_totp.models import TOTPDevice

    contact = pending.contacts.get().user
    TOTPDevice.objects.create(user=contact, name="sovellus", confirmed=True)
    login_verified(client, contact)
    page = client.get(reverse("provider_products")).content.decode()
    assert "Y-tunnus ei ole rekisterissä." in page
    assert reverse("provider_product_new") not in page


def test_a_refusal_needs_a_reason(client, pending, admin):
    login_verified(client, admin)
    before = db_snapshot()
    response = decide(client, pending, "refuse", "   ")
    assert "Write why the registration is refused." in response.content.decode()
    assert db_snapshot() == before
    refused("reason_required", decide_registration, provider=pending, actor=admin, approve=False, reason=" ")


def test_an_unknown_decision_changes_nothing(client, pending, admin):
    login_verified(client, admin)
    before = db_snapshot()
    response = client.post(
        reverse("provider_registration_decide", args=[pending.pk]), {"decision": "maybe", "reason": "Ei käy."}
    )
    assert response.status_code == 400
    assert db_snapshot() == before


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.APPROVER, Role.FINANCE, Role.RESEARCHER])
def test_other_roles_may_not_decide_registrations(client, organiser, pending, role):
    login_verified(client, make_staff(organiser, role))
    before = db_snapshot()
    assert client.get(reverse("provider_registrations")).status_code == 403
    assert client.post(reverse("provider_registration_decide", args=[pending.pk]), {"decision": "approve"}).status_code == 403
    assert db_snapshot() == before


def test_a_stranger_or_someone_without_the_second_factor_may_not_decide(client, pending):
    someone = make_user()
    before = db_snapshot("organisations", "people", "catalogue")  # signing in sets the user's last sign-in time
    url = reverse("provider_registration_decide", args=[pending.pk])
    assert client.post(url, {"decision": "approve"})["Location"].startswith(reverse("login"))
    client.force_login(someone)
    assert client.post(url, {"decision": "approve"})["Location"] == reverse("login_second_factor")
    assert db_snapshot("organisations", "people", "catalogue") == before


def test_another_organisers_admin_gets_404(client, pending):
    login_verified(client, make_staff(make_organiser("toinen"), Role.ORGANISER_ADMIN))
    before = db_snapshot()
    assert client.post(reverse("provider_registration_decide", args=[pending.pk]), {"decision": "approve"}).status_code == 404
    assert pending.name not in client.get(reverse("provider_registrations")).content.decode()
    assert db_snapshot() == before


def test_a_decided_registration_cannot_be_decided_again(client, pending, admin):
    decide_registration(provider=pending, actor=admin, approve=True)
    login_verified(client, admin)
    before = db_snapshot()
    response = client.post(
        reverse("provider_registration_decide", args=[pending.pk]), {"decision": "refuse", "reason": "Sittenkin ei."}
    )
    assert response.status_code == 404
    assert db_snapshot() == before
    refused("already_decided", decide_registration, provider=pending, actor=admin, approve=False, reason="Ei.")
    refused("already_decided", decide_registration, provider=pending, actor=admin, approve=True)


def test_the_decision_page_takes_only_posts(client, pending, admin):
    login_verified(client, admin)
    assert client.get(reverse("provider_registration_decide", args=[pending.pk])).status_code == 405
