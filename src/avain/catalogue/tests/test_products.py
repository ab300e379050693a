"""A provider writes and proposes its service products; the organiser publishes or returns them; only published
products of approved providers reach the service menu."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from avain.catalogue import selectors
from avain.catalogue.models import ProductStatus, RegistrationStatus, ServiceLanguage, ServiceProduct
from avain.catalogue.services import (
    ProductDetails,
    decide_registration,
    propose_product,
    review_product,
    save_product,
    withdraw_product,
)
from avain.organisations.models import Role
from avain.testing import (
    db_snapshot,
    login_verified,
    make_area,
    make_organiser,
    make_product,
    make_provider,
    make_provider_contact,
    make_staff,
    make_user,
    refused,
)

pytestmark = pytest.mark.django_db

FROZEN = "A product that is waiting for the organiser or published cannot be changed."


@pytest.fixture(autouse=True)
def default_language():
    """A page request activates its language for the thread; every test starts and ends in the default."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def organiser():
    return make_organiser("tuotteet")


@pytest.fixture
def area(organiser):
    return make_area(organiser, "Kotikunta")


@pytest.fixture
def provider(organiser, area):
    provider = make_provider(organiser, "Arjen Apu ry")
    provider.areas.set([area])
    provider.languages.set(["fi", "sv"])
    return provider


@pytest.fixture
def admin(organiser):
    return make_staff(organiser, Role.ORGANISER_ADMIN)


def set_status(provider, status, reason=""):
    provider.status = status
    provider.refusal_reason = reason
    provider.save(update_fields=["status", "refusal_reason"])


def sign_in_provider(http, provider):
    """A contact of ``provider`` signed in with the second factor passed."""
    user = make_provider_contact(provider)
    TOTPDevice.objects.create(user=user, name="sovellus", confirmed=True)
    login_verified(http, user)
    return user


def product_data(area, action="save", **changes) -> dict:
    data = {
        "name": "Siivousapu kotiin",
        "summary": "Siivoamme kotisi kerran viikossa.",
        "description": "Kaksi työntekijää siivoaa kodin. Käynti kestää kaksi tuntia.",
        "category": "home_help",
        "unit": "visit",
        "unit_price": "32.50",
        "target_groups": ["adults", "disability"],
        "where": "Asiakkaan kotona",
        "when": "Arkisin kello 8–16",
        "accessibility": "Tulemme myös pyörätuolilla liikkuvan kotiin.",
        "areas": [area.pk],
        "languages": ["fi", "sv"],
        "action": action,
    }
    data.update(changes)
    return data


def details(area, **changes) -> ProductDetails:
    values = {
        "name": "Siivousapu kotiin",
        "summary": "Siivoamme kotisi kerran viikossa.",
        "description": "Kaksi työntekijää siivoaa kodin.",
        "category": "home_help",
        "unit": "visit",
        "unit_price": Decimal("32.50"),
        "target_groups": ["adults"],
        "where": "Kotona",
        "when": "Arkisin",
        "accessibility": "",
        "areas": [area],
        "languages": list(ServiceLanguage.objects.filter(code="fi")),
    }
    values.update(changes)
    return ProductDetails(**values)


def business_state() -> dict:
    """Every row but the users' own (signing in sets their last sign-in time)."""
    return db_snapshot("organisations", "people", "catalogue", "planning", "accounts")


def menu_ids(organiser) -> list[int]:
    return [p.pk for p in selectors.menu_products(organiser.pk, selectors.MenuSearch())]


def post_product(http, area, product=None, action="save", language="en", **changes):
    url = reverse("provider_product", args=[product.pk]) if product else reverse("provider_product_new")
    return http.post(url, product_data(area, action, **changes), HTTP_ACCEPT_LANGUAGE=language)


# --- Who may open the provider's pages ----------------------------------------------------------------------------


def test_the_provider_pages_need_a_provider_contact_with_the_second_factor(client, provider):
    url = reverse("provider_products")
    assert client.get(url)["Location"].startswith(reverse("login"))
    user = make_provider_contact(provider)
    client.force_login(user)
    assert client.get(url)["Location"] == reverse("login_second_factor")
    login_verified(client, make_staff(provider.organiser, Role.ORGANISER_ADMIN))
    assert client.get(url).status_code == 403
    assert client.get(reverse("provider_product_new")).status_code == 403


def test_the_new_product_form_starts_from_the_providers_areas_and_languages(client, provider, area):
    make_area(provider.organiser, "Muu kunta")
    sign_in_provider(client, provider)
    response = client.get(reverse("provider_product_new"))
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.initial["areas"]) == [area]
    assert {language.code for language in form.initial["languages"]} == {"fi", "sv"}
    assert set(form.fields["areas"].queryset) == set(provider.organiser.areas.all())


# --- Write, change, propose, publish ------------------------------------------------------------------------------


def test_a_product_goes_from_draft_to_the_service_menu(client, organiser, provider, area, admin):
    sign_in_provider(client, provider)

    response = post_product(client, area)
    product = ServiceProduct.objects.get(provider=provider)
    assert response["Location"] == reverse("provider_product", args=[product.pk])
    assert product.status == ProductStatus.DRAFT
    assert product.organiser == organiser
    assert product.unit_price == Decimal("32.50")
    assert product.target_groups == ["adults", "disability"]
    assert [a.pk for a in product.areas.all()] == [area.pk]
    assert set(product.languages.values_list("code", flat=True)) == {"fi", "sv"}
    assert product.proposed_at is None and product.published_at is None
    assert product.pk not in menu_ids(organiser)

    # A draft can be changed as often as the provider likes.
    post_product(client, area, product, name="Siivousapu kotiin ja pihalle", unit_price="35")
    product.refresh_from_db()
    assert (product.name, product.unit_price, product.status) == ("Siivousapu kotiin ja pihalle", Decimal("35.00"), "draft")

    response = post_product(client, area, product, action="propose")
    assert response["Location"] == reverse("provider_products")
    product.refresh_from_db()
    assert product.status == ProductStatus.PROPOSED and product.proposed_at is not None
    assert product.pk not in menu_ids(organiser)

    # While it waits, it cannot be changed.
    before = db_snapshot()
    response = post_product(client, area, product, name="Muutettu odottaessa")
    assert response.status_code == 400
    assert FROZEN in response.content.decode()
    assert db_snapshot() == before

    # The administrator sees it waiting and publishes it.
    login_verified(client, admin)
    waiting = client.get(reverse("product_reviews"))
    assert list(waiting.context["products"]) == [product]
    response = client.post(reverse("product_review", args=[product.pk]), {"decision": "publish", "reason": ""})
    assert response["Location"] == reverse("product_reviews")
    product.refresh_from_db()
    assert product.status == ProductStatus.PUBLISHED and product.published_at is not None
    review = product.reviews.get()
    assert (review.outcome, review.reviewer, review.organiser) == ("published", admin, organiser)
    assert product.pk in menu_ids(organiser)
    assert list(client.get(reverse("product_reviews")).context["products"]) == []


def test_a_proposed_or_published_product_cannot_be_changed(client, organiser, provider, area):
    sign_in_provider(client, provider)
    for status in (ProductStatus.PROPOSED, ProductStatus.PUBLISHED, ProductStatus.WITHDRAWN):
        product = make_product(organiser, "Ennallaan", provider=provider, status=status, areas=[area])
        page = client.get(reverse("provider_product", args=[product.pk]))
        assert page.context["form"] is None  # shown, not offered for editing
        before = db_snapshot()
        for action in ("save", "propose"):
            response = post_product(client, area, product, action=action, name="Muutettu")
            assert response.status_code == 400
            assert FROZEN in response.content.decode()
            assert db_snapshot() == before
        refused("product_frozen", save_product, provider=provider, details=details(area), product=product)


def test_the_admin_returns_a_product_with_a_reason_the_provider_reads_and_the_provider_sends_it_again(
    client, organiser, provider, area, admin
):
    product = make_product(organiser, "Siivousapu", provider=provider, status="proposed", areas=[area])
    login_verified(client, admin)

    before = db_snapshot()
    response = client.post(
        reverse("product_review", args=[product.pk]), {"decision": "return", "reason": "  "}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "Write why the product is returned, so the provider can correct it." in response.content.decode()
    assert db_snapshot() == before

    response = client.post(
        reverse("product_review", args=[product.pk]), {"decision": "return", "reason": "Kerro hinnan sisältö."}
    )
    assert response["Location"] == reverse("product_reviews")
    product.refresh_from_db()
    assert product.status == ProductStatus.RETURNED and product.published_at is None
    assert product.reviews.get().reason == "Kerro hinnan sisältö."
    assert product.pk not in menu_ids(organiser)

    client.logout()
    sign_in_provider(client, provider)
    page = client.get(reverse("provider_product", args=[product.pk]))
    assert "Kerro hinnan sisältö." in page.content.decode()
    assert page.context["form"] is not None

    post_product(client, area, product, description="Hintaan sisältyvät tarvikkeet ja matkat.")
    product.refresh_from_db()
    assert product.status == ProductStatus.RETURNED
    assert product.description == "Hintaan sisältyvät tarvikkeet ja matkat."
    post_product(client, area, product, action="propose", description="Hintaan sisältyvät tarvikkeet ja matkat.")
    product.refresh_from_db()
    assert product.status == ProductStatus.PROPOSED

    login_verified(client, admin)
    page = client.get(reverse("product_review", args=[product.pk]))
    assert page.context["waiting"]
    assert "Kerro hinnan sisältö." in page.content.decode()  # the earlier decision
    client.post(reverse("product_review", args=[product.pk]), {"decision": "publish"})
    product.refresh_from_db()
    assert product.status == ProductStatus.PUBLISHED
    assert list(product.reviews.values_list("outcome", flat=True)) == ["published", "returned"]


def test_a_product_of_a_pending_provider_is_published_only_after_the_provider_is_approved(
    client, organiser, provider, area, admin
):
    set_status(provider, RegistrationStatus.PENDING)
    product = make_product(organiser, provider=provider, status="proposed", areas=[area])
    login_verified(client, admin)
    before = db_snapshot()
    response = client.post(reverse("product_review", args=[product.pk]), {"decision": "publish"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "registration before publishing its products." in response.content.decode()
    assert db_snapshot() == before
    refused("provider_not_approved", review_product, product=product, reviewer=admin, publish=True)

    decide_registration(provider=provider, actor=admin, approve=True)
    review_product(product=product, reviewer=admin, publish=True)
    assert product.pk in menu_ids(organiser)


def test_a_pending_provider_may_write_and_propose(client, organiser, provider, area):
    set_status(provider, RegistrationStatus.PENDING)
    sign_in_provider(client, provider)
    post_product(client, area, action="propose")
    product = ServiceProduct.objects.get(provider=provider)
    assert product.status == ProductStatus.PROPOSED
    assert product.pk not in menu_ids(organiser)


def test_a_refused_provider_cannot_write_or_propose_products(client, organiser, provider, area):
    draft = make_product(organiser, provider=provider, status="draft", areas=[area])
    set_status(provider, RegistrationStatus.REFUSED, "Ei toimilupaa.")
    sign_in_provider(client, provider)
    before = db_snapshot()
    for product in (None, draft):
        for action in ("save", "propose"):
            response = post_product(client, area, product, action=action)
            assert response.status_code == 400
            assert "Your registration was refused, so you cannot offer products." in response.content.decode()
    assert db_snapshot() == before
    refused("provider_refused", save_product, provider=provider, details=details(area))
    refused("provider_refused", propose_product, product=draft)


def test_the_admin_cannot_publish_what_is_not_proposed(organiser, provider, area, admin):
    for status in ("draft", "returned", "published", "withdrawn"):
        product = make_product(organiser, provider=provider, status=status, areas=[area])
        refused("not_proposed", review_product, product=product, reviewer=admin, publish=True)
        refused("not_proposed", review_product, product=product, reviewer=admin, publish=False, reason="Ei.")


def test_proposing_twice_is_refused(organiser, provider, area):
    product = make_product(organiser, provider=provider, status="draft", areas=[area])
    propose_product(product=product)
    refused("already_proposed", propose_product, product=product)


def test_an_unknown_review_decision_changes_nothing(client, organiser, provider, area, admin):
    product = make_product(organiser, provider=provider, status="proposed", areas=[area])
    login_verified(client, admin)
    before = db_snapshot()
    response = client.post(reverse("product_review", args=[product.pk]), {"decision": "maybe", "reason": "Hmm."})
    assert response.status_code == 400
    assert db_snapshot() == before


# --- Withdrawing ------------------------------------------------------------------------------------------------------


def test_withdrawing_takes_a_product_out_of_the_menu(client, organiser, provider, area):
    product = make_product(organiser, provider=provider, areas=[area])
    assert product.pk in menu_ids(organiser)
    sign_in_provider(client, provider)
    response = client.post(reverse("provider_product", args=[product.pk]), {"action": "withdraw"})
    assert response["Location"] == reverse("provider_products")
    product.refresh_from_db()
    assert product.status == ProductStatus.WITHDRAWN
    assert product.pk not in menu_ids(organiser)
    with pytest.raises(Exception):  # Http404
        selectors.menu_product(organiser.pk, product.pk)

    # Withdrawing again is refused with a message, and changes nothing.
    before = db_snapshot()
    response = client.post(reverse("provider_product", args=[product.pk]), {"action": "withdraw"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "This product has already been withdrawn." in response.content.decode()
    assert db_snapshot() == before
    refused("already_withdrawn", withdraw_product, product=product)


# --- One provider never reaches another's products ------------------------------------------------------------------


def test_a_provider_cannot_see_or_change_another_providers_products(client, organiser, provider, area):
    others = make_provider(organiser, "Kilpailija Oy")
    draft = make_product(organiser, "Kilpailijan luonnos", provider=others, status="draft", areas=[area])
    published = make_product(organiser, "Kilpailijan palvelu", provider=others, areas=[area])
    sign_in_provider(client, provider)
    listing = client.get(reverse("provider_products"))
    assert list(listing.context["products"]) == []
    assert "Kilpailijan" not in listing.content.decode()
    before = db_snapshot()
    for product in (draft, published):
        url = reverse("provider_product", args=[product.pk])
        assert client.get(url).status_code == 404
        for action in ("save", "propose", "withdraw"):
            assert client.post(url, product_data(area, action)).status_code == 404
    assert db_snapshot() == before
    refused("not_own_product", save_product, provider=provider, details=details(area), product=draft)


def test_a_provider_of_another_organiser_cannot_reach_the_products(client, organiser, area):
    product = make_product(organiser, status="draft", areas=[area])
    foreign = make_provider(make_organiser("toinen"))
    sign_in_provider(client, foreign)
    before = db_snapshot()
    assert client.get(reverse("provider_product", args=[product.pk])).status_code == 404
    assert client.post(reverse("provider_product", args=[product.pk]), {"action": "withdraw"}).status_code == 404
    assert db_snapshot() == before


def test_the_product_review_pages_are_for_the_organisers_admin_only(client, organiser, provider, area):
    product = make_product(organiser, provider=provider, status="proposed", areas=[area])
    others = [make_staff(organiser, role) for role in (Role.SOCIAL_WORKER, Role.FINANCE, Role.APPROVER)]
    foreign_admin = make_staff(make_organiser("toinen"), Role.ORGANISER_ADMIN)
    contact = make_provider_contact(provider)
    TOTPDevice.objects.create(user=contact, name="sovellus", confirmed=True)
    before = business_state()
    for user in others:
        login_verified(client, user)
        assert client.get(reverse("product_reviews")).status_code == 403
        assert client.post(reverse("product_review", args=[product.pk]), {"decision": "publish"}).status_code == 403
    login_verified(client, foreign_admin)
    assert list(client.get(reverse("product_reviews")).context["products"]) == []
    assert client.get(reverse("product_review", args=[product.pk])).status_code == 404
    assert client.post(reverse("product_review", args=[product.pk]), {"decision": "publish"}).status_code == 404
    login_verified(client, contact)
    assert client.post(reverse("product_review", args=[product.pk]), {"decision": "publish"}).status_code == 403
    assert business_state() == before


# --- Bad input ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "price, language, field_error",
    [
        ("0", "en", "Ensure this value is greater than or equal to 0.01."),
        ("-5", "en", "Ensure this value is greater than or equal to 0.01."),
        ("1.001", "en", "Ensure that there are no more than 2 decimal places."),
        ("1,001", "fi", "Tässä luvussa saa olla enintään 2 desimaalia."),
        ("-1,50", "fi", "Tämän luvun on oltava vähintään 0.01."),
        ("NaN", "en", "Enter a number."),
        ("paljon", "en", "Enter a number."),
    ],
)
def test_a_bad_price_is_refused_on_the_page(client, provider, area, price, language, field_error):
    sign_in_provider(client, provider)
    before = db_snapshot()
    response = post_product(client, area, unit_price=price, language=language)
    assert response.status_code == 400
    assert response.context["form"].errors["unit_price"] == [field_error]
    assert db_snapshot() == before


@pytest.mark.parametrize(
    "price, code",
    [
        (Decimal("0"), "price_not_positive"),
        (Decimal("-1.00"), "price_not_positive"),
        (Decimal("NaN"), "price_not_positive"),
        (Decimal("Infinity"), "price_not_positive"),
        (Decimal("1.005"), "price_sub_cent"),
        (Decimal("0.001"), "price_sub_cent"),
    ],
)
def test_the_service_refuses_a_bad_price(provider, area, price, code):
    refused(code, save_product, provider=provider, details=details(area, unit_price=price))


def test_the_service_refuses_other_bad_details(organiser, provider, area):
    foreign_area = make_area(make_organiser("toinen"))
    refused("no_languages", save_product, provider=provider, details=details(area, languages=[]))
    refused("no_areas", save_product, provider=provider, details=details(area, areas=[]))
    refused("foreign_area", save_product, provider=provider, details=details(area, areas=[area, foreign_area]))
    refused("unknown_target_group", save_product, provider=provider, details=details(area, target_groups=["vip"]))


def test_a_product_form_without_areas_or_languages_or_with_a_foreign_area_is_refused(client, provider, area):
    foreign_area = make_area(make_organiser("toinen"))
    sign_in_provider(client, provider)
    before = db_snapshot()
    for changes, field in [({"areas": []}, "areas"), ({"languages": []}, "languages"), ({"areas": [foreign_area.pk]}, "areas")]:
        response = post_product(client, area, **changes)
        assert response.status_code == 400
        assert response.context["form"].has_error(field)
    assert db_snapshot() == before


def test_a_signed_in_person_who_acts_for_no_provider_is_refused(client):
    user = make_user()
    TOTPDevice.objects.create(user=user, name="sovellus", confirmed=True)
    login_verified(client, user)
    assert client.get(reverse("provider_products")).status_code == 403
    assert client.post(reverse("provider_product_new"), {"action": "save"}).status_code == 403
