"""The service menu as the client reads it, and adding a product of the menu to the client's support plan."""

from decimal import Decimal

import pytest
from django.urls import reverse

from avain.catalogue.models import RegistrationStatus, Service, ServiceProduct
from avain.catalogue.services import withdraw_product
from avain.people.models import AccessLogEntry
from avain.people.services import grant_delegation
from avain.planning.models import PlanLine, PlanStatus
from avain.planning.services import (
    PlanLineEntry,
    add_product_to_plan,
    decline_hb,
    review_plan,
    save_plan_draft,
    submit_plan,
)
from avain.testing import (
    DEFAULT_BUDGET,
    case_active,
    case_in_needs_assessment,
    case_in_planning,
    case_in_review,
    current_plan,
    db_snapshot,
    default_answers,
    make_area,
    make_assistant,
    make_client,
    make_organiser,
    make_product,
    make_provider,
    make_service,
    refused,
)

pytestmark = pytest.mark.django_db

OVER_BUDGET = {"fi": "mutta budjetti on", "en": "but the budget is"}
NOT_AVAILABLE = "A service in your plan is no longer in the service menu."
NOT_AVAILABLE_IN = {
    "fi": "Jokin suunnitelmasi palvelu ei ole enää palveluvalikossa.",
    "sv": "En tjänst i din plan finns inte längre i tjänsteutbudet.",
}


@pytest.fixture
def organiser():
    return make_organiser("valikko")


def planning_case(organiser, *categories: str):
    """A client who signs in, in the planning step, whose needs are services of ``categories`` (by default home
    help); the budget is 3000 € whatever the categories."""
    categories = categories or ("home_help",)
    needs = []
    for category in categories:
        service = make_service(organiser)  # 30 € an hour
        Service.objects.filter(pk=service.pk).update(category=category)
        needs.append((service, Decimal(100) / len(categories)))
    return case_in_planning(client=make_client(organiser, login=True), needs=needs)


@pytest.fixture
def case(organiser):
    return planning_case(organiser)


@pytest.fixture
def signed_in(client, case):
    client.force_login(case.client.user)
    return client


def menu(http, case, **query) -> list[str]:
    response = http.get(reverse("portal_menu", args=[case.client_id]), query)
    assert response.status_code == 200
    return [product.name for product in response.context["page"].object_list]


def set_provider_status(provider, status):
    provider.status = status
    provider.refusal_reason = "Ei." if status == RegistrationStatus.REFUSED else ""
    provider.save(update_fields=["status", "refusal_reason"])


# --- What the menu shows ------------------------------------------------------------------------------------------


def test_only_published_products_of_approved_providers_of_the_clients_organiser_are_shown(signed_in, case, organiser):
    make_product(organiser, "Näkyy")
    for status in ("draft", "proposed", "returned", "withdrawn"):
        make_product(organiser, f"Tila {status}", status=status)
    for status in (RegistrationStatus.PENDING, RegistrationStatus.REFUSED):
        provider = make_provider(organiser)
        make_product(organiser, f"Tuottaja {status}", provider=provider)
        set_provider_status(provider, status)
    make_product(make_organiser("toinen"), "Toisen järjestäjän")

    assert menu(signed_in, case) == ["Näkyy"]
    page = signed_in.get(reverse("portal_menu", args=[case.client_id])).content.decode()
    assert "Näkyy" in page and "Tila " not in page and "Toisen järjestäjän" not in page


def test_the_menu_needs_a_sign_in_and_is_the_clients_own(client, case, organiser):
    url = reverse("portal_menu", args=[case.client_id])
    assert client.get(url)["Location"].startswith(reverse("login"))
    client.force_login(make_client(organiser, login=True).user)
    assert client.get(url).status_code == 404


def test_results_are_cheapest_first(signed_in, case, organiser):
    make_product(organiser, "Keskihintainen", unit_price="20.00")
    make_product(organiser, "Kallis", unit_price="120.00")
    make_product(organiser, "Halpa B", unit_price="5.50")
    make_product(organiser, "Halpa A", unit_price="5.50")
    make_product(organiser, "Halvin", unit_price="5.49")
    assert menu(signed_in, case) == ["Halvin", "Halpa A", "Halpa B", "Keskihintainen", "Kallis"]


@pytest.mark.parametrize("where", ["name", "summary", "description"])
def test_the_search_words_are_looked_for_in_the_name_summary_and_description(signed_in, case, organiser, where):
    target = make_product(organiser, "Tavallinen palvelu")
    make_product(organiser, "Toinen palvelu")
    ServiceProduct.objects.filter(pk=target.pk).update(**{where: "Ohjattu UIMAKOULU aikuisille"})
    target.refresh_from_db()
    assert menu(signed_in, case, text="uimakoulu") == [target.name]
    assert menu(signed_in, case, text="Uima") == [target.name]
    assert menu(signed_in, case, text="ratsastus") == []


def test_the_search_words_are_looked_for_in_the_providers_name(signed_in, case, organiser):
    make_product(organiser, "Ohjattu liikunta", provider=make_provider(organiser, "Uimaseura Delfiini ry"))
    make_product(organiser, "Toinen palvelu")
    assert menu(signed_in, case, text="delfiini") == ["Ohjattu liikunta"]


def test_the_search_finds_finnish_letters_whatever_their_case(signed_in, case, organiser):
    make_product(organiser, "Äänikirjat kotiin", summary="Luemme ääneen.")
    make_product(organiser, "Yöapu", summary="Avustaja ÖISIN kotona.")
    make_product(organiser, "Siivous", summary="Kotisi siistiksi.")
    assert menu(signed_in, case, text="äänikirjat") == ["Äänikirjat kotiin"]
    assert menu(signed_in, case, text="ÄÄNEEN") == ["Äänikirjat kotiin"]
    assert menu(signed_in, case, text="öisin") == ["Yöapu"]
    assert menu(signed_in, case, text="Yöapu") == ["Yöapu"]


def test_every_search_word_must_match(signed_in, case, organiser):
    make_product(organiser, "Uimakoulu", summary="Ryhmässä aikuisille.")
    make_product(organiser, "Uimahallin kuljetus", summary="Taksi uimahalliin.")
    assert sorted(menu(signed_in, case, text="uima")) == ["Uimahallin kuljetus", "Uimakoulu"]
    assert menu(signed_in, case, text="uima aikuisille") == ["Uimakoulu"]
    assert menu(signed_in, case, text="  uima   taksi ") == ["Uimahallin kuljetus"]


def test_the_kind_of_support_narrows_the_menu(signed_in, case, organiser):
    make_product(organiser, "Kotiapu", category="home_help")
    make_product(organiser, "Vertaistuki", category="peer_support")
    assert menu(signed_in, case, need="home_help") == ["Kotiapu"]
    assert menu(signed_in, case, need="peer_support") == ["Vertaistuki"]
    assert menu(signed_in, case, need="transport") == []
    assert sorted(menu(signed_in, case, need="")) == ["Kotiapu", "Vertaistuki"]


def test_matches_my_needs_shows_the_kinds_of_support_of_the_clients_assessed_needs(client, organiser):
    case = planning_case(organiser, "home_help", "transport")
    make_product(organiser, "Kotiapu", category="home_help", unit_price="10")
    make_product(organiser, "Kuljetus", category="transport", unit_price="20")
    make_product(organiser, "Vertaistuki", category="peer_support", unit_price="30")
    client.force_login(case.client.user)
    assert menu(client, case, need="mine") == ["Kotiapu", "Kuljetus"]
    assert menu(client, case, need="mine", text="kulj") == ["Kuljetus"]


def test_matches_my_needs_shows_nothing_without_assessed_needs(client, organiser):
    make_product(organiser, "Kotiapu", category="home_help")
    needless = make_client(organiser, login=True)
    client.force_login(needless.user)
    response = client.get(reverse("portal_menu", args=[needless.pk]), {"need": "mine"})
    assert list(response.context["page"].object_list) == []
    response = client.get(reverse("portal_menu", args=[needless.pk]))
    assert [p.name for p in response.context["page"].object_list] == ["Kotiapu"]


def test_the_area_narrows_the_menu(signed_in, case, organiser):
    north, south = make_area(organiser, "Pohjoinen"), make_area(organiser, "Etelä")
    make_product(organiser, "Pohjoisessa", areas=[north], unit_price="1")
    make_product(organiser, "Molemmissa", areas=[north, south], unit_price="2")
    make_product(organiser, "Etelässä", areas=[south], unit_price="3")
    assert menu(signed_in, case, area=north.pk) == ["Pohjoisessa", "Molemmissa"]
    assert menu(signed_in, case, area=south.pk) == ["Molemmissa", "Etelässä"]


def test_an_area_of_another_organiser_is_not_offered_and_does_not_widen_the_search(signed_in, case, organiser):
    foreign = make_area(make_organiser("toinen"), "Vieras")
    make_product(organiser, "Uimakoulu")
    make_product(organiser, "Kotiapu")
    response = signed_in.get(reverse("portal_menu", args=[case.client_id]), {"area": foreign.pk, "text": "uima"})
    assert response.context["form"].has_error("area")
    assert [p.name for p in response.context["page"].object_list] == ["Uimakoulu"]


def test_the_language_narrows_the_menu(signed_in, case, organiser):
    make_product(organiser, "Suomeksi", languages=["fi"], unit_price="1")
    make_product(organiser, "Viittomakielellä", languages=["fi", "fse"], unit_price="2")
    make_product(organiser, "Svenska", languages=["sv"], unit_price="3")
    assert menu(signed_in, case, language="fi") == ["Suomeksi", "Viittomakielellä"]
    assert menu(signed_in, case, language="fse") == ["Viittomakielellä"]
    assert menu(signed_in, case, language="sv") == ["Svenska"]
    assert menu(signed_in, case, language="ar") == []


def test_the_highest_price_narrows_the_menu_and_counts_the_price_itself(signed_in, case, organiser):
    make_product(organiser, "Halpa", unit_price="19.99")
    make_product(organiser, "Tasan", unit_price="20.00")
    make_product(organiser, "Kallis", unit_price="20.01")
    assert menu(signed_in, case, max_price="20") == ["Halpa", "Tasan"]
    assert menu(signed_in, case, max_price="19,99") == ["Halpa"]  # Finnish decimal comma
    assert menu(signed_in, case, max_price="0") == []


def test_the_kind_of_provider_narrows_the_menu(signed_in, case, organiser):
    make_product(organiser, "Yhdistykseltä", provider=make_provider(organiser, kind="association"), unit_price="1")
    make_product(organiser, "Yritykseltä", provider=make_provider(organiser, kind="company"), unit_price="2")
    make_product(organiser, "Kunnalta", provider=make_provider(organiser, kind="public"), unit_price="3")
    assert menu(signed_in, case, provider_kind="association") == ["Yhdistykseltä"]
    assert menu(signed_in, case, provider_kind="company") == ["Yritykseltä"]
    assert menu(signed_in, case, provider_kind="public") == ["Kunnalta"]


def test_the_filters_combine(signed_in, case, organiser):
    north, south = make_area(organiser, "Pohjoinen"), make_area(organiser, "Etelä")
    company = make_provider(organiser, "Apu Oy", kind="company")
    association = make_provider(organiser, "Apu ry", kind="association")
    make_product(organiser, "Kotiapu A", provider=company, category="home_help", areas=[north], languages=["fi"], unit_price="25")
    make_product(organiser, "Kotiapu B", provider=company, category="home_help", areas=[south], languages=["fi"], unit_price="25")
    make_product(organiser, "Kotiapu C", provider=company, category="home_help", areas=[north], languages=["sv"], unit_price="25")
    make_product(organiser, "Kotiapu D", provider=company, category="home_help", areas=[north], languages=["fi"], unit_price="45")
    make_product(organiser, "Kotiapu E", provider=association, category="home_help", areas=[north], languages=["fi"], unit_price="25")
    make_product(organiser, "Kotiapu F", provider=company, category="transport", areas=[north], languages=["fi"], unit_price="25")
    make_product(organiser, "Siivous G", provider=company, category="home_help", areas=[north], languages=["fi"], unit_price="25")
    query = {
        "text": "kotiapu",
        "need": "mine",  # the case's need is home help
        "area": north.pk,
        "language": "fi",
        "max_price": "30",
        "provider_kind": "company",
    }
    assert menu(signed_in, case, **query) == ["Kotiapu A"]
    # Dropping one filter lets exactly the product it kept out back in.
    for dropped, comes_back in [
        ("need", "Kotiapu F"),
        ("area", "Kotiapu B"),
        ("language", "Kotiapu C"),
        ("max_price", "Kotiapu D"),
        ("provider_kind", "Kotiapu E"),
    ]:
        assert sorted(menu(signed_in, case, **{k: v for k, v in query.items() if k != dropped})) == sorted(
            ["Kotiapu A", comes_back]
        ), dropped
    assert sorted(menu(signed_in, case, **{k: v for k, v in query.items() if k != "text"})) == ["Kotiapu A", "Siivous G"]


def test_the_results_come_twenty_to_a_page_and_the_pages_keep_the_search(signed_in, case, organiser):
    for n in range(1, 26):
        make_product(organiser, f"Kurssi {n:02d}", unit_price=str(n))
    make_product(organiser, "Muu", unit_price="0.50")
    url = reverse("portal_menu", args=[case.client_id])

    first = signed_in.get(url, {"text": "kurssi"})
    assert first.context["page"].paginator.count == 25
    assert [p.name for p in first.context["page"]] == [f"Kurssi {n:02d}" for n in range(1, 21)]
    assert "?text=kurssi&amp;page=2" in first.content.decode()

    second = signed_in.get(url, {"text": "kurssi", "page": "2"})
    assert [p.name for p in second.context["page"]] == [f"Kurssi {n:02d}" for n in range(21, 26)]
    assert "?text=kurssi&amp;page=1" in second.content.decode()
    assert "page=3" not in second.content.decode()
    # A page past the end or not a number gives the last or the first page, not an error.
    assert signed_in.get(url, {"text": "kurssi", "page": "99"}).context["page"].number == 2
    assert signed_in.get(url, {"text": "kurssi", "page": "x"}).context["page"].number == 1


def test_a_bad_price_in_the_search_is_shown_and_the_other_filters_still_apply(signed_in, case, organiser):
    make_product(organiser, "Uimakoulu")
    make_product(organiser, "Kotiapu")
    response = signed_in.get(reverse("portal_menu", args=[case.client_id]), {"text": "uima", "max_price": "halpa"})
    assert response.status_code == 200
    assert response.context["form"].has_error("max_price")
    assert [p.name for p in response.context["page"].object_list] == ["Uimakoulu"]


# --- The product page ---------------------------------------------------------------------------------------------


def test_the_client_reads_a_product_of_the_menu(signed_in, case, organiser):
    product = make_product(organiser, "Uimakoulu", unit_price="12.50")
    response = signed_in.get(reverse("portal_menu_product", args=[case.client_id, product.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Uimakoulu" in page and product.provider.name in page
    assert "12,50" in page
    assert response.context["plan"] == current_plan(case)
    assert response.context["left"] == DEFAULT_BUDGET


def test_a_product_outside_the_clients_menu_is_not_found(signed_in, case, organiser):
    foreign = make_product(make_organiser("toinen"), "Toisen järjestäjän")
    draft = make_product(organiser, "Luonnos", status="draft")
    withdrawn = make_product(organiser, "Poistettu", status="withdrawn")
    pending_provider = make_provider(organiser)
    pending = make_product(organiser, "Odottavan tuottajan", provider=pending_provider)
    set_provider_status(pending_provider, RegistrationStatus.PENDING)
    before = db_snapshot()
    for product in (foreign, draft, withdrawn, pending):
        url = reverse("portal_menu_product", args=[case.client_id, product.pk])
        assert signed_in.get(url).status_code == 404, product.name
        assert signed_in.post(url, {"quantity": "1"}).status_code == 404, product.name
    assert db_snapshot() == before


# --- Adding a product to the plan ---------------------------------------------------------------------------------


def add(http, case, product, quantity, language="fi"):
    return http.post(
        reverse("portal_menu_product", args=[case.client_id, product.pk]), {"quantity": quantity}, HTTP_ACCEPT_LANGUAGE=language
    )


@pytest.mark.parametrize(
    "price, quantity, amount",
    [
        ("30.00", "10", "300.00"),
        ("10.01", "2,5", "25.03"),  # 25.025 rounds half up
        ("33.33", "0,33", "11.00"),  # 10.9989: rounded once, at the end
        ("0.07", "0,5", "0.04"),  # 0.035 rounds half up
        ("19.99", "3", "59.97"),
    ],
)
def test_the_amount_is_quantity_times_price_rounded_once_to_the_cent(signed_in, case, organiser, price, quantity, amount):
    product = make_product(organiser, "Uimakoulu", unit_price=price)
    response = add(signed_in, case, product, quantity)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal_plan", args=[case.client_id])
    line = PlanLine.objects.get(plan=current_plan(case))
    assert line.amount == Decimal(amount)
    assert line.product == product
    assert line.organiser == organiser
    assert line.description == f"Uimakoulu ({product.provider.name})"


def test_the_plan_page_shows_the_added_product_and_keeps_its_link_when_saved(signed_in, case, organiser):
    product = make_product(organiser, "Uimakoulu", unit_price="20.00")
    add(signed_in, case, product, "5")
    page = signed_in.get(reverse("portal_plan", args=[case.client_id]))
    assert f'name="line-0-product" value="{product.pk}"' in page.content.decode()

    response = save_editor(signed_in, case, [(f"Uimakoulu ({product.provider.name})", "100,00", product.pk), ("Kuntosali", "200,00", "")])
    assert response.status_code == 302
    lines = list(current_plan(case).lines.order_by("id").values_list("description", "amount", "product_id"))
    assert lines == [
        (f"Uimakoulu ({product.provider.name})", Decimal("100.00"), product.pk),
        ("Kuntosali", Decimal("200.00"), None),
    ]


def test_adding_again_makes_a_second_line_and_lines_add_up(signed_in, case, organiser):
    product = make_product(organiser, "Uimakoulu", unit_price="20.00")
    add(signed_in, case, product, "5")
    add(signed_in, case, product, "10")
    assert sorted(current_plan(case).lines.values_list("amount", flat=True)) == [Decimal("100.00"), Decimal("200.00")]
    response = signed_in.get(reverse("portal_menu_product", args=[case.client_id, product.pk]))
    assert response.context["left"] == DEFAULT_BUDGET - Decimal("300.00")


@pytest.mark.parametrize("language", ["fi", "en"])
def test_a_product_over_the_budget_is_refused_and_nothing_is_written(signed_in, case, organiser, language):
    product = make_product(organiser, "Kallis kurssi", unit_price="100.00")
    save_plan_draft(plan=current_plan(case), actor=case.client.user, answers={}, lines=[PlanLineEntry("Kuntosali", Decimal("100.00"))])
    before = db_snapshot()
    response = add(signed_in, case, product, "29,01" if language == "fi" else "29.01", language)  # 2901 € + 100 € > 3000 €
    assert response.status_code == 400
    assert OVER_BUDGET[language] in response.content.decode()
    assert db_snapshot() == before
    # Exactly the budget is fine.
    assert add(signed_in, case, product, "29").status_code == 302


@pytest.mark.parametrize("quantity", ["0", "-1", "1,234", "paljon", ""])
def test_a_bad_quantity_is_refused(signed_in, case, organiser, quantity):
    product = make_product(organiser, unit_price="20.00")
    before = db_snapshot()
    response = add(signed_in, case, product, quantity)
    assert response.status_code == 400
    assert response.context["form"].has_error("quantity")
    assert db_snapshot() == before


def test_a_quantity_so_small_that_the_amount_rounds_to_zero_is_refused(signed_in, case, organiser):
    product = make_product(organiser, unit_price="0.01")
    before = db_snapshot()
    response = add(signed_in, case, product, "0.01", language="en")
    assert response.status_code == 400
    assert "The amount must be more than zero euros." in response.content.decode()
    assert db_snapshot() == before
    refused(
        "amount_not_positive", add_product_to_plan, plan=current_plan(case), actor=case.client.user, product=product, quantity=Decimal("0.49")
    )


def test_nothing_can_be_added_to_a_sent_plan(client, organiser):
    case = case_in_review(client=make_client(organiser, login=True))
    product = make_product(organiser, unit_price="10.00")
    client.force_login(case.client.user)
    page = client.get(reverse("portal_menu_product", args=[case.client_id, product.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["plan"] is None
    assert "You can add services to your plan when you are writing your support plan." in page.content.decode()
    before = db_snapshot()
    response = add(client, case, product, "1", language="en")
    assert response.status_code == 400
    assert "You can add services to your plan when you are writing your support plan." in response.content.decode()
    assert db_snapshot() == before
    refused("plan_frozen", add_product_to_plan, plan=current_plan(case), actor=case.client.user, product=product, quantity=Decimal(1))


@pytest.mark.parametrize("step", ["no_case", "needs_assessment", "active", "declined"])
def test_nothing_can_be_added_outside_the_planning_step(client, organiser, step):
    someone = make_client(organiser, login=True)
    if step == "needs_assessment":
        case_in_needs_assessment(client=someone)
    elif step == "active":
        case_active(client=someone)
    elif step == "declined":
        declined = case_in_planning(client=someone)
        decline_hb(client=someone, worker=declined.worker, reason="Haluan pitää tavalliset palvelut.")
        # The declined case's draft plan cannot take products either.
        refused(
            "wrong_step",
            add_product_to_plan,
            plan=current_plan(declined),
            actor=someone.user,
            product=make_product(organiser, unit_price="1.00"),
            quantity=Decimal(1),
        )
    product = make_product(organiser, unit_price="10.00")
    client.force_login(someone.user)
    before = db_snapshot()
    response = client.post(
        reverse("portal_menu_product", args=[someone.pk, product.pk]), {"quantity": "1"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "You can add services to your plan when you are writing your support plan." in response.content.decode()
    assert db_snapshot() == before


def test_the_service_refuses_a_product_outside_the_menu(case, organiser):
    plan = current_plan(case)
    user = case.client.user
    for product in (
        make_product(make_organiser("toinen")),
        make_product(organiser, status="draft"),
        make_product(organiser, status="proposed"),
        make_product(organiser, status="withdrawn"),
    ):
        refused("product_not_available", add_product_to_plan, plan=plan, actor=user, product=product, quantity=Decimal(1))


def test_a_withdrawn_product_already_in_the_plan_cannot_be_added_again(case, organiser):
    product = make_product(organiser, unit_price="10.00")
    plan = current_plan(case)
    add_product_to_plan(plan=plan, actor=case.client.user, product=product, quantity=Decimal(1))
    withdraw_product(product=product)
    refused("product_not_available", add_product_to_plan, plan=plan, actor=case.client.user, product=product, quantity=Decimal(1))


def test_the_service_refuses_bad_quantities(case, organiser):
    product = make_product(organiser, unit_price="10.00")
    plan = current_plan(case)
    for quantity, code in [
        (Decimal(0), "quantity_not_positive"),
        (Decimal(-2), "quantity_not_positive"),
        (Decimal("NaN"), "quantity_not_positive"),
        (Decimal("Infinity"), "quantity_not_positive"),
        (Decimal("1.001"), "quantity_too_precise"),
    ]:
        refused(code, add_product_to_plan, plan=plan, actor=case.client.user, product=product, quantity=quantity)


# --- People the client lets in -----------------------------------------------------------------------------------


def _delegate(case, access):
    helper = make_assistant(case.organiser)
    grant_delegation(client=case.client, user=helper, access=access)
    return helper


def test_a_read_only_delegate_reads_the_menu_but_cannot_add(client, case, organiser):
    product = make_product(organiser, "Uimakoulu", unit_price="10.00")
    helper = _delegate(case, "read")
    client.force_login(helper)
    log = AccessLogEntry.objects.filter(client=case.client, actor=helper)

    assert menu(client, case) == ["Uimakoulu"]
    page = client.get(reverse("portal_menu_product", args=[case.client_id, product.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert page.context["plan"] is None
    assert "You may read this client" in page.content.decode()
    assert log.count() == 2
    assert set(log.values_list("what", "grounds", "actor_role")) == {
        (AccessLogEntry.What.PLAN, AccessLogEntry.Grounds.DELEGATION, "delegate")
    }

    before = db_snapshot()
    assert add(client, case, product, "1").status_code == 403
    assert db_snapshot() == before


def test_an_edit_delegate_adds_a_product_and_the_reads_are_logged(client, case, organiser):
    product = make_product(organiser, "Uimakoulu", unit_price="10.00")
    helper = _delegate(case, "edit")
    client.force_login(helper)
    assert client.get(reverse("portal_menu_product", args=[case.client_id, product.pk])).context["plan"] == current_plan(case)
    response = add(client, case, product, "3")
    assert response.status_code == 302
    assert current_plan(case).lines.get().amount == Decimal("30.00")
    log = AccessLogEntry.objects.filter(client=case.client, actor=helper)
    assert log.count() == 2
    assert set(log.values_list("grounds", flat=True)) == {AccessLogEntry.Grounds.DELEGATION}


def test_someone_without_a_delegation_gets_404(client, case, organiser):
    product = make_product(organiser)
    client.force_login(make_assistant(organiser))
    before = db_snapshot()
    assert client.get(reverse("portal_menu", args=[case.client_id])).status_code == 404
    assert add(client, case, product, "1").status_code == 404
    assert db_snapshot() == before


# --- The plan editor and product links -------------------------------------------------------------------------------


def save_editor(http, case, lines, action="save", language="fi"):
    """Post the plan editor as the page sends it: one form per line the plan has, then the new ones."""
    initial = current_plan(case).lines.count()
    data = {**default_answers(), "action": action, "line-TOTAL_FORMS": str(len(lines)), "line-INITIAL_FORMS": str(initial)}
    for i, (description, amount, product_id) in enumerate(lines):
        data[f"line-{i}-description"] = description
        data[f"line-{i}-amount"] = amount
        data[f"line-{i}-product"] = str(product_id)
    return http.post(reverse("portal_plan", args=[case.client_id]), data, HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.parametrize("which", ["other_organiser", "draft", "proposed", "withdrawn", "pending_provider", "no_such"])
def test_a_tampered_product_id_in_the_plan_editor_is_refused(signed_in, case, organiser, which):
    if which == "other_organiser":
        product_id = make_product(make_organiser("toinen")).pk
    elif which == "pending_provider":
        provider = make_provider(organiser)
        product_id = make_product(organiser, provider=provider).pk
        set_provider_status(provider, RegistrationStatus.PENDING)
    elif which == "no_such":
        product_id = 999_999
    else:
        product_id = make_product(organiser, status=which).pk
    before = db_snapshot()
    response = save_editor(signed_in, case, [("Uimakoulu", "100,00", product_id)], language="en")
    assert NOT_AVAILABLE in response.content.decode()
    assert db_snapshot() == before
    refused(
        "product_not_available",
        save_plan_draft,
        plan=current_plan(case),
        actor=case.client.user,
        answers={},
        lines=[PlanLineEntry("Uimakoulu", Decimal(100), product_id)],
    )


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_a_tampered_product_id_is_refused_in_the_users_language(signed_in, case, organiser, language):
    product_id = make_product(make_organiser("toinen")).pk
    before = db_snapshot()
    response = save_editor(signed_in, case, [("Uimakoulu", "100,00", product_id)], language=language)
    assert NOT_AVAILABLE_IN[language] in response.content.decode()
    assert db_snapshot() == before


def test_a_product_withdrawn_after_it_was_added_stays_in_the_plan(signed_in, case, organiser):
    product = make_product(organiser, "Uimakoulu", unit_price="20.00")
    add(signed_in, case, product, "5")
    withdraw_product(product=product)
    description = f"Uimakoulu ({product.provider.name})"

    response = save_editor(signed_in, case, [(description, "100,00", product.pk), ("Kuntosali", "50,00", "")])
    assert response.status_code == 302
    assert list(current_plan(case).lines.values_list("product_id", flat=True)) == [product.pk, None]

    response = save_editor(signed_in, case, [(description, "100,00", product.pk)], action="submit")
    assert response.status_code == 302
    plan = current_plan(case)
    assert plan.status == PlanStatus.SUBMITTED
    assert plan.lines.get().product == product


def test_a_returned_plans_new_draft_keeps_the_product_links(client, organiser):
    case = planning_case(organiser)
    product = make_product(organiser, "Uimakoulu", unit_price="20.00")
    first = current_plan(case)
    add_product_to_plan(plan=first, actor=case.client.user, product=product, quantity=Decimal(10))
    save_plan_draft(
        plan=first,
        actor=case.client.user,
        answers=default_answers(),
        lines=[PlanLineEntry(line.description, line.amount, line.product_id) for line in first.lines.all()]
        + [PlanLineEntry("Kuntosali", Decimal("300.00"))],
    )
    submit_plan(plan=first, actor=case.client.user)
    review_plan(plan=first, reviewer=case.worker, forward=False, comment="Tarkenna tavoitteet.")

    second = current_plan(case)
    assert second.version == 2 and second.is_editable
    assert list(second.lines.order_by("id").values_list("product_id", "amount")) == [
        (product.pk, Decimal("200.00")),
        (None, Decimal("300.00")),
    ]
    # The sent version keeps its own lines.
    assert list(first.lines.order_by("id").values_list("product_id", flat=True)) == [product.pk, None]

    # The product is withdrawn meanwhile; the new draft can still be saved with it.
    withdraw_product(product=product)
    client.force_login(case.client.user)
    page = client.get(reverse("portal_plan", args=[case.client_id]))
    assert f'name="line-0-product" value="{product.pk}"' in page.content.decode()
    lines = [(line.description, str(line.amount).replace(".", ","), line.product_id or "") for line in second.lines.order_by("id")]
    assert save_editor(client, case, lines).status_code == 302
    assert list(current_plan(case).lines.order_by("id").values_list("product_id", flat=True)) == [product.pk, None]
