"""Demo data that looks like a real HB pilot: Eksote and Vantaa, their staff, price lists, providers and clients.

Every client's journey is walked through the real service functions (planning and accounts services), under
the injectable clock, so the demo obeys exactly the rules the application enforces and carries realistic
timestamps. The story is told as of mid-November 2026: budgets for the calendar year 2026 are in use or were
declined, and the clients now in the middle of the journey are planning their budgets for 2027.

All identity codes, business IDs and account numbers are made up: they only carry valid check characters.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from avain.accounts import agreements, invoices, payments, posting
from avain.accounts.formats.camt054 import build_camt054
from avain.accounts.formats.pain001 import parse_pain001
from avain.accounts import services as accounts_services
from avain.accounts.models import BudgetAccount, FundingRule, Invoice, InvoiceSource, PayerAccount
from avain.catalogue import services as catalogue_services
from avain.catalogue.languages import ensure_service_languages
from avain.catalogue.models import (
    Area,
    Provider,
    ProviderContact,
    ProviderKind,
    Service,
    ServiceCategory,
    ServiceLanguage,
    ServicePrice,
    ServiceProduct,
    ServiceUnit,
)
from avain.core import clock, identifiers
from avain.core.periods import Period
from avain.organisations.models import Organiser, Role, StaffMembership, Unit
from avain.people import services as people_services
from avain.people.models import AssistantBackground, Client, CloseOne, Delegation, HBAssistant, Language, TargetGroup
from avain.planning import services as planning_services
from avain.planning.models import HBCase, PlanStatus, SupportPlan
from avain.planning.services import NeedEntry, PlanLineEntry

DEMO_PASSWORD = "avain-demo-2026"


@dataclass(frozen=True)
class Persona:
    username: str
    title: str
    description: str


PERSONAS: list[Persona] = [
    Persona(
        "eksote.worker",
        _("Social worker, Eksote"),
        _(
            "Sanna Hakala, adult social work. Assesses needs, reviews support plans and makes the decisions. "
            "Her clients are at every step of the journey."
        ),
    ),
    Persona(
        "eksote.approver",
        _("Approver, Eksote"),
        _("Markku Salonen approves support plans for the social services management group before the decision."),
    ),
    Persona(
        "eksote.finance",
        _("Finance, Eksote"),
        _("Päivi Rantanen records providers' invoices against the clients' budget accounts."),
    ),
    Persona(
        "client.aino",
        _("Client with a budget in use"),
        _("Aino Virtanen, Eksote. Her budget for 2026 has been granted and providers' invoices are paid from it."),
    ),
    Persona(
        "client.mikko",
        _("Client writing his plan"),
        _("Mikko Korhonen, Eksote, a young adult in aftercare. His support plan for 2027 is a draft, partly written."),
    ),
    Persona(
        "assistant.sari",
        _("HB assistant"),
        _("Sari Lehtonen, a trained volunteer. Aino has allowed her to read and edit her plan and budget."),
    ),
    Persona(
        "provider.martat",
        _("Service provider"),
        _("Tarja Pesonen for Etelä-Karjalan Martat ry, an association whose home help clients buy with their budgets."),
    ),
    Persona(
        "vantaa.worker",
        _("Social worker, Vantaa"),
        _(
            "Maria Ekström, Vantaa and Kerava wellbeing services county. Works in Finnish and Swedish "
            "and sees Vantaa's clients only."
        ),
    ),
    Persona(
        "eksote.researcher",
        _("Researcher, Eksote"),
        _("Kaisa Toivonen evaluates the pilot and sees pseudonymised data only."),
    ),
    Persona(
        "eksote.admin",
        _("Organiser administrator, Eksote"),
        _("Ville Leinonen keeps Eksote's price lists, providers and staff up to date."),
    ),
]

HELSINKI = ZoneInfo("Europe/Helsinki")

# The two budget periods of the story: the year now under way, and the next year that is being planned.
YEAR_2026 = Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
YEAR_2027 = Period(dt.date(2027, 1, 1), dt.date(2027, 12, 31))

PRICES_FROM = dt.date(2026, 1, 1)
PRICE_CHANGE_ON = dt.date(2026, 7, 1)


# --- Identifiers with valid check characters -------------------------------------------------------------------


def _business_id(first_seven: str) -> str:
    value = identifiers.business_id(first_seven)
    if value is None:  # such numbers are never given out; pick other digits
        raise ValueError(f"{first_seven} cannot be made a business ID")
    return value


def _hetu(birth_date: str, individual: int) -> str:
    """Made-up codes use individual numbers 002–899, so one can in principle equal a real person's: demo only."""
    return identifiers.personal_identity_code(dt.date.fromisoformat(birth_date), individual)


_iban = identifiers.finnish_iban


def _at(moment: str) -> dt.datetime:
    """A wall-clock time in Helsinki, as the clock wants it: timezone-aware."""
    return dt.datetime.fromisoformat(moment).replace(tzinfo=HELSINKI)


def _day(day: str) -> dt.date:
    return dt.date.fromisoformat(day)


# --- People -----------------------------------------------------------------------------------------------------


class _Users:
    """Creates demo users. Hashing the password costs about half a second, so it is hashed once and shared."""

    def __init__(self) -> None:
        self.password_hash = make_password(DEMO_PASSWORD)

    def create(self, username: str, first_name: str, last_name: str, email: str, joined: str):
        user = get_user_model().objects.create_user(
            username,
            email=email,
            password=None,
            first_name=first_name,
            last_name=last_name,
            date_joined=_at(joined),
        )
        user.password = self.password_hash
        user.save(update_fields=["password"])
        # Staff must pass a TOTP second factor; the persona switcher signs in through this device.
        TOTPDevice.objects.create(user=user, name="demo", confirmed=True)
        return user


def _staff(organiser: Organiser, unit: Unit, user, role: str) -> StaffMembership:
    return StaffMembership.objects.create(organiser=organiser, unit=unit, user=user, role=role)


def _client(organiser: Organiser, first: str, last: str, identity_code: str, language: str, group: str, at: str):
    with clock.frozen_at(_at(at)):
        return people_services.create_client(
            organiser=organiser,
            first_name=first,
            last_name=last,
            personal_identity_code=identity_code,
            language=language,
            target_group=group,
        )


def _link_user(client: Client, user) -> None:
    client.user = user
    client.save(update_fields=["user"])


# --- Price lists and providers ----------------------------------------------------------------------------------

# code, Finnish, Swedish, English, unit
SERVICES = [
    ("KOTIP", "Kotipalvelu", "Hemservice", "Home help", ServiceUnit.HOUR),
    ("LKOTIP", "Lapsiperheiden kotipalvelu", "Hemservice för barnfamiljer", "Home help for families with children", ServiceUnit.HOUR),
    ("PERHE", "Perhetyö", "Familjearbete", "Family work", ServiceUnit.HOUR),
    ("TUKIH", "Tukihenkilötoiminta", "Stödpersonsverksamhet", "Support person", ServiceUnit.HOUR),
    ("HAPU", "Henkilökohtainen apu", "Personlig assistans", "Personal assistance", ServiceUnit.HOUR),
    ("ASUMO", "Asumisen ohjaus", "Boendehandledning", "Housing guidance", ServiceUnit.HOUR),
    ("PAIVA", "Päivätoiminta", "Dagverksamhet", "Day activity", ServiceUnit.DAY),
    ("KULJ", "Kuljetuspalvelu", "Färdtjänst", "Transport service", ServiceUnit.KM),
    ("SOPEU", "Sopeutumisvalmennus", "Anpassningsträning", "Adaptation coaching", ServiceUnit.DAY),
    ("VERTA", "Vertaistukiryhmä", "Kamratstödsgrupp", "Peer support group", ServiceUnit.VISIT),
    ("VAPAA", "Ohjattu vapaa-ajan toiminta", "Handledd fritidsverksamhet", "Guided leisure activity", ServiceUnit.VISIT),
    ("KESKU", "Keskusteluapu", "Samtalsstöd", "Counselling", ServiceUnit.VISIT),
]

# Unit prices from 1 January 2026. A second price means a change from 1 July 2026 (the first is then closed).
EKSOTE_PRICES = {
    "KOTIP": ("45.00", "47.50"),
    "LKOTIP": ("48.00",),
    "PERHE": ("62.00",),
    "TUKIH": ("28.00",),
    "HAPU": ("27.50",),
    "ASUMO": ("52.00",),
    "PAIVA": ("78.00",),
    "KULJ": ("1.45",),
    "SOPEU": ("140.00",),
    "VERTA": ("15.00",),
    "VAPAA": ("12.00",),
    "KESKU": ("65.00",),
}
# Vantaa buys adaptation coaching centrally outside HB, so it is not on its menu.
VANTAA_PRICES = {
    "KOTIP": ("49.00",),
    "LKOTIP": ("52.00",),
    "PERHE": ("66.00",),
    "TUKIH": ("30.00",),
    "HAPU": ("28.90", "29.60"),
    "ASUMO": ("55.00",),
    "PAIVA": ("85.00",),
    "KULJ": ("1.55",),
    "VERTA": ("16.00",),
    "VAPAA": ("14.00",),
    "KESKU": ("70.00",),
}


def _price_list(organiser: Organiser, prices: dict[str, tuple[str, ...]]) -> dict[str, Service]:
    services = {}
    for code, name_fi, name_sv, name_en, unit in SERVICES:
        if code not in prices:
            continue
        service = Service.objects.create(
            organiser=organiser, code=code, name_fi=name_fi, name_sv=name_sv, name_en=name_en, unit=unit
        )
        first, *changed = prices[code]
        ServicePrice.objects.create(
            organiser=organiser,
            service=service,
            unit_price=Decimal(first),
            valid_from=PRICES_FROM,
            valid_to=PRICE_CHANGE_ON - dt.timedelta(days=1) if changed else None,
        )
        if changed:
            ServicePrice.objects.create(
                organiser=organiser, service=service, unit_price=Decimal(changed[0]), valid_from=PRICE_CHANGE_ON
            )
        services[code] = service
    return services


def _provider(organiser: Organiser, name: str, business_id: str, kind: str, iban: str) -> Provider:
    provider = Provider(organiser=organiser, name=name, business_id=business_id, kind=kind, iban=iban)
    provider.full_clean()
    provider.save()
    return provider


# --- The service menu: areas, what each provider offers, and the organiser's review ------------------------------


@dataclass(frozen=True)
class DemoProduct:
    provider: str
    name: str
    summary: str
    description: str
    category: str
    unit: str
    price: str
    where: str
    when: str
    accessibility: str = ""
    languages: tuple[str, ...] = ("fi",)
    groups: tuple[str, ...] = ()
    # "published", "proposed" (waiting for the administrator) or a reason the organiser returned it with
    outcome: str = "published"


def _areas(organiser: Organiser, names: list[tuple[str, str]]) -> dict[str, Area]:
    return {
        fi: Area.objects.create(organiser=organiser, name_fi=fi, name_sv=sv, name_en=fi) for fi, sv in names
    }


def _serve(provider: Provider, areas: list[Area], languages: tuple[str, ...]) -> None:
    provider.areas.set(areas)
    provider.languages.set(ServiceLanguage.objects.filter(code__in=languages))


def _service_menu(providers: dict[str, Provider], areas: list[Area], products: list[DemoProduct], admin, at: str) -> None:
    """Each product is written and proposed by its provider and decided by the administrator, as in real use."""
    for product in products:
        provider = providers[product.provider]
        details = catalogue_services.ProductDetails(
            name=product.name,
            summary=product.summary,
            description=product.description,
            category=product.category,
            unit=product.unit,
            unit_price=Decimal(product.price),
            target_groups=list(product.groups),
            where=product.where,
            when=product.when,
            accessibility=product.accessibility,
            areas=list(provider.areas.all()) or areas,
            languages=list(ServiceLanguage.objects.filter(code__in=product.languages)),
        )
        with clock.frozen_at(_at(at)):
            saved = catalogue_services.save_product(provider=provider, details=details)
            catalogue_services.propose_product(product=saved)
        if product.outcome == "proposed":
            continue
        with clock.frozen_at(_at(at) + dt.timedelta(days=2)):
            publish = product.outcome == "published"
            catalogue_services.review_product(
                product=saved, reviewer=admin, publish=publish, reason="" if publish else product.outcome
            )


# --- The journey, step by step, through the real services --------------------------------------------------------


def _open_case(client: Client, worker, period: Period, at: str) -> HBCase:
    with clock.frozen_at(_at(at)):
        return planning_services.open_case(client=client, worker=worker, period=period)


def _record_needs(
    case: HBCase, worker, services: dict[str, Service], at: str, wishes: str, summary: str, needs: list[tuple]
) -> None:
    """needs: (service code, quantity over the budget period, note)."""
    entries = [NeedEntry(services[code], Decimal(quantity), note) for code, quantity, note in needs]
    with clock.frozen_at(_at(at)):
        planning_services.record_needs(case=case, actor=worker, wishes=wishes, needs_summary=summary, needs=entries)


def _start_planning(case: HBCase, worker, at: str) -> SupportPlan:
    with clock.frozen_at(_at(at)):
        return planning_services.start_planning(case=case, actor=worker)


def _write_plan(plan: SupportPlan, author, at: str, answers: dict[str, str], lines: list[tuple[str, str]]) -> None:
    """lines: (what the money is for, amount in euros)."""
    entries = [PlanLineEntry(description, Decimal(amount)) for description, amount in lines]
    with clock.frozen_at(_at(at)):
        planning_services.save_plan_draft(plan=plan, actor=author, answers=answers, lines=entries)


def _submit(plan: SupportPlan, author, at: str) -> None:
    with clock.frozen_at(_at(at)):
        planning_services.submit_plan(plan=plan, actor=author)


def _review(plan: SupportPlan, worker, at: str, forward: bool, comment: str = "") -> None:
    with clock.frozen_at(_at(at)):
        planning_services.review_plan(plan=plan, reviewer=worker, forward=forward, comment=comment)


def _approve(plan: SupportPlan, approver, at: str) -> None:
    with clock.frozen_at(_at(at)):
        planning_services.approve_plan(plan=plan, approver=approver)


def _grant(case: HBCase, worker, period: Period, at: str) -> BudgetAccount:
    with clock.frozen_at(_at(at)):
        return accounts_services.grant_budget(case=case, decided_by=worker, period=period)


def _invoice(account: BudgetAccount, provider: Provider, number: str, line_no: int, served: str, amount: str, by, at: str):
    """The client's agreement with the provider (room for twice this invoice, or what is left on the line), then the
    provider's invoice under it."""
    sub = account.sub_accounts.order_by("pk")[line_no]
    price = Decimal(amount)
    with clock.frozen_at(_at(at)):
        agreement = agreements.make_agreement(
            sub_account=sub,
            provider=provider,
            service=sub.description,
            unit="",
            unit_price=price,
            quantity=Decimal(2) if 2 * price <= sub.left else Decimal(1),
            amount=None,
            valid_from=account.period_start,
            valid_until=account.period_end,
            made_by=account.client.user or by,
        )
        day = _day(served)
        claim = posting.InvoiceClaim(
            invoice_number=number,
            invoice_date=day,
            due_date=day + dt.timedelta(days=14),
            payee_iban=provider.iban,
            lines=(posting.LineClaim(1, agreement.number, day, Decimal(1), price, price, sub.description),),
        )
        result = posting.post_provider_invoices(
            provider=provider, claims=[claim], source=InvoiceSource.PORTAL, recorded_by=by
        )
    assert not result.problems, [problem.message() for problem in result.problems]
    return result.invoices[0]


def _pay(organiser: Organiser, invoice_ids: list[int], finance, at: str, pay_day: str) -> None:
    """A payment batch sent to the bank and the bank's notification that paid it."""
    with clock.frozen_at(_at(at)):
        batch = payments.create_batch(
            organiser=organiser, execution_date=_day(pay_day), created_by=finance, invoice_ids=invoice_ids
        )
        batch = payments.export_batch(batch=batch, exported_by=finance)
    notification = build_camt054(
        parse_pain001(bytes(batch.pain001)),
        message_id=f"DEMO-{batch.message_id}"[:35],
        created_at=_at(pay_day + " 18:00").replace(tzinfo=None),
        booking_date=_day(pay_day),
    )
    with clock.frozen_at(_at(pay_day + " 19:00")):
        payments.import_camt054(organiser=organiser, filename="camt054.xml", data=notification, by=finance)


def _change(case: HBCase, author, worker, at: dict[str, str], lines: list[tuple[str, str]], *, until: str) -> None:
    """A change of the plan while the budget is in use, as far as ``until``: "planning", "review" or "approval".
    The account keeps using the approved version meanwhile."""
    with clock.frozen_at(_at(at["start"])):
        draft = planning_services.start_change(case=case, actor=author)
    answers = {field: getattr(draft, field) for field in SupportPlan.ANSWER_FIELDS}
    _write_plan(draft, author, at["start"], answers, lines)
    if until == "planning":
        return
    _submit(draft, author, at["submit"])
    if until == "approval":
        _review(draft, worker, at["review"], forward=True, comment="Muutos on perusteltu: tarve on muuttunut.")


def _decline(client: Client, worker, at: str, reason: str) -> None:
    with clock.frozen_at(_at(at)):
        planning_services.decline_hb(client=client, worker=worker, reason=reason)


def _draft(case: HBCase) -> SupportPlan:
    return case.plans.get(status=PlanStatus.DRAFT)


def _walk_to_active(case, client_user, worker, approver, services, *, needs, plan, dates) -> BudgetAccount:
    """Needs → plan → review → approval → decision, for a client whose budget is in use."""
    _record_needs(case, worker, services, dates["needs"], needs["wishes"], needs["summary"], needs["lines"])
    draft = _start_planning(case, worker, dates["needs"])
    _write_plan(draft, client_user, dates["plan"], plan["answers"], plan["lines"])
    _submit(draft, client_user, dates["submit"])
    _review(draft, worker, dates["review"], forward=True, comment=plan.get("review_comment", ""))
    _approve(draft, approver, dates["approve"])
    return _grant(case, worker, Period(case.period_start, case.period_end), dates["decision"])


# --- Eksote --------------------------------------------------------------------------------------------------------


AINO_PLAN = {
    "what_matters": (
        "Minulle on tärkeää, että koti on siisti ja että jaksan laittaa itselleni ruokaa. Kun ne on kunnossa, "
        "jaksan muutakin. Tärkeimmät ihmiset ovat sisko Leena ja naapurin Raili. Haluan, että minua kuunnellaan "
        "eikä asioista päätetä minun ohitseni."
    ),
    "goals": (
        "Haluan saada arjen rytmin takaisin: herätä aamulla samaan aikaan, käydä itse kaupassa ja liikkua "
        "vähintään kaksi kertaa viikossa. Syksyllä haluan hakea opiskelemaan merkonomiksi. Haluan myös "
        "tutustua uusiin ihmisiin, ettei tarvitse olla niin paljon yksin."
    ),
    "how_support_is_arranged": (
        "Martat käyvät auttamassa siivouksessa ja kauppa-asioissa kaksi kertaa kuussa. Kriisikeskuksen "
        "tukihenkilö tapaa minua kerran viikossa, yleensä tiistaisin. Menen liikuntaseuran naisten "
        "kuntoryhmään ja kokeilen kuntosalia. Ryhmiin ja asioille menen taksilla niin kauan kuin bussilla "
        "meneminen tuntuu liian vaikealta."
    ),
    "who_helps": (
        "Leena auttaa laskujen ja papereiden kanssa. Sari auttaa budjetin seuraamisessa ja tarkistaa kanssani "
        "laskut. Raili on tukena, jos tulee huono päivä. Tukihenkilö auttaa lähtemään liikkeelle ja on "
        "juttuseurana."
    ),
    "responsibilities": (
        "Sovin itse käyntiajat Marttojen ja tukihenkilön kanssa. Sari ja minä katsomme kerran kuussa, paljonko "
        "rahaa on jäljellä. Sosiaalityöntekijä vastaa päätöksestä ja seurantatapaamisista."
    ),
    "keeping_control": (
        "Merkitsen kaikki käynnit puhelimen kalenteriin. Katson budjetin tilanteen Avaimesta. Jos jokin ei "
        "toimi, sanon siitä itse ja vaihdan tarvittaessa palveluntuottajaa."
    ),
    "decision_support": "Leena ja Sari. Isommista asioista puhun myös sosiaalityöntekijän kanssa.",
    "who_decides": (
        "Minä päätän, mihin rahaa käytetään tämän suunnitelman rajoissa. Jos haluan muuttaa suunnitelmaa, "
        "sovin siitä sosiaalityöntekijän kanssa."
    ),
    "follow_up": (
        "Tapaamme sosiaalityöntekijän kanssa maaliskuussa, kesäkuussa ja syyskuussa. Sarin kanssa käymme "
        "budjetin läpi jokaisen kuun alussa. Loppuarviointi on joulukuussa."
    ),
}

LAURA_PLAN = {
    "what_matters": (
        "Että lapset voivat hyvin ja kotona on rauhallisempaa. Mies tekee vuorotyötä, joten olen paljon yksin "
        "kolmen lapsen kanssa. Tarvitsen välillä hetken omaa aikaa, ettei pinna pala."
    ),
    "goals": (
        "Haluan, että iltojen ja aamujen rutiinit alkavat sujua ilman riitoja. Haluan, että esikoinen Eetu "
        "pääsee harrastamaan jotain, missä hän saa onnistumisia. Haluan itse jaksaa paremmin ja nukkua yöni."
    ),
    "how_support_is_arranged": (
        "Kotiapu tulee kahtena iltapäivänä viikossa, kun vauva nukkuu huonosti ja isommat tulevat koulusta. "
        "Perheyhdistyksen perhetyöntekijä käy kerran kahdessa viikossa ja miettii kanssamme arjen rutiineja. "
        "Eetu aloittaa liikuntaseuran sählykerhon."
    ),
    "who_helps": "Anoppi hakee pienimmän hoidosta torstaisin. Mies hoitaa kaupassa käynnit vapaapäivinään.",
    "responsibilities": (
        "Minä sovin kotiavun ajat ja otan vastaan laskut. Mies vie Eetun kerhoon. Perhetyöntekijä kirjaa, "
        "mitä on sovittu."
    ),
    "keeping_control": "Pidämme jääkaapin ovessa viikkokalenteria. Katson budjetin Avaimesta kerran kuussa.",
    "decision_support": "Mieheni kanssa päätämme yhdessä. Perhetyöntekijältä kysyn neuvoa.",
    "who_decides": "Me vanhemmat päätämme yhdessä. Budjetin muutoksista sovitaan sosiaalityöntekijän kanssa.",
    "follow_up": "Seurantatapaaminen huhtikuussa ja lokakuussa. Perhetyöntekijän kanssa tarkistamme kuukausittain.",
}

# Mikko has started his plan: the first answers are written, the rest are still empty.
MIKKO_DRAFT = {
    "what_matters": (
        "Et saan asua omassa kämpässä ja pärjään siellä. Kaverit on tärkeitä ja se et pääsee salille. "
        "En halua et kukaan päättää mun puolesta."
    ),
    "goals": (
        "Haluun valmistua kokiksi keväällä ja saada kesätöitä jostain ravintolasta. Haluun oppia hoitaa "
        "raha-asiat niin ettei tuu taas maksuhäiriöitä."
    ),
    "how_support_is_arranged": (
        "Tarviin jonkun joka auttaa laskujen ja postien kanssa, aluksi ehkä kerran viikossa. "
        "En vielä tiedä kuka se olis, pitää kysyä Sannalta."
    ),
}

ELINA_PLAN_V1 = {
    "what_matters": (
        "Minulle on tärkeää asua omassa kodissa ja päättää itse päivieni kulusta. MS-tauti on edennyt ja "
        "liikun nykyään pyörätuolilla, mutta haluan edelleen käydä kuorossa ja tavata ystäviä."
    ),
    "goals": (
        "Haluan, että aamut ja illat sujuvat ilman kiirettä ja että pääsen kuoroharjoituksiin joka viikko. "
        "Haluan oppia elämään sairauden kanssa niin, että jaksan myös osa-aikatyöni kirjastossa."
    ),
    "how_support_is_arranged": (
        "Henkilökohtainen avustaja palveluntuottajalta aamuisin ja iltaisin. Kuljetukset kuoroon, töihin ja "
        "asioille taksilla. Osallistun Neuroliiton sopeutumisvalmennuskurssille keväällä."
    ),
    "who_helps": "Puolisoni Antti auttaa viikonloppuisin. Ystäväni Marjut käy kanssani kaupassa.",
    "responsibilities": "Sovin avustajan työvuorot palveluntuottajan kanssa.",
    "keeping_control": "Pidän kirjaa avustajan tunneista ja tarkistan laskut ennen kuin ne maksetaan.",
    "decision_support": "Antti.",
    "who_decides": "Minä itse.",
    "follow_up": "",
}

# The worker returned the first version: what was missing is now written in.
ELINA_PLAN_V2 = {
    **ELINA_PLAN_V1,
    "responsibilities": (
        "Sovin avustajan työvuorot palveluntuottajan kanssa kuukausi kerrallaan. Palveluntuottaja vastaa "
        "avustajan työnantajatehtävistä ja järjestää sijaisen, jos avustaja on sairaana. Jos sijaista ei "
        "löydy, Antti auttaa ja ilmoitan asiasta sosiaalityöntekijälle."
    ),
    "follow_up": (
        "Tapaamme sosiaalityöntekijän kanssa kolmen kuukauden välein. Ensimmäinen seuranta on maaliskuussa "
        "sopeutumisvalmennuksen jälkeen. Tarkistan budjetin tilanteen Avaimesta kuun lopussa."
    ),
}

TUOMAS_PLAN = {
    "what_matters": (
        "Raittius on minulle nyt tärkeintä, kohta kaksi vuotta ilman viinaa. Tarvitsen päiviin jotain "
        "tekemistä ja ihmisiä ympärille, muuten olo käy yksinäiseksi."
    ),
    "goals": (
        "Haluan pysyä raittiina ja saada päivärytmin, jossa on tekemistä arkipäivisin. Toiveena on päästä "
        "kuntouttavan työtoiminnan kautta puutöihin, se oli aikoinaan ammattini."
    ),
    "how_support_is_arranged": (
        "Käyn Honkaharjun päiväkeskuksessa kahtena päivänä viikossa ja puutyöpajassa. Torstaisin menen "
        "vertaistukiryhmään. Tukihenkilö tapaa minua kaksi kertaa kuussa."
    ),
    "who_helps": "Veljeni Kari pitää yhteyttä ja käy kylässä. Vertaisryhmästä saan tukea, kun on vaikeaa.",
    "responsibilities": "Minä huolehdin, että menen sovittuina päivinä. Päiväkeskuksen ohjaaja kirjaa käynnit.",
    "keeping_control": "Minulla on seinäkalenteri, johon merkitsen kaikki menot.",
    "decision_support": "Kari ja tukihenkilö.",
    "who_decides": "Minä päätän, sosiaalityöntekijän kanssa sovitaan muutokset.",
    "follow_up": "Seuranta kolmen kuukauden välein. Jos retkahdan, otan heti yhteyttä sosiaalityöntekijään.",
}

JENNI_PLAN = {
    "what_matters": (
        "Että vauva Ella voi hyvin ja minä jaksan olla hyvä äiti. Olen 25 ja ensimmäistä kertaa äiti, "
        "ja Ellan isä ei ole kuvioissa. Omat vanhemmat asuvat Kuopiossa."
    ),
    "goals": (
        "Haluan oppia vauvan arjen niin, että luotan itseeni. Haluan saada nukuttua ja löytää muita "
        "äitejä, joiden kanssa voi jutella. Ensi syksynä haluaisin jatkaa lähihoitajaopintoja."
    ),
    "how_support_is_arranged": (
        "Martat tulevat kotiavuksi kolme tuntia viikossa, niin pääsen nukkumaan tai käymään asioilla. "
        "Perheyhdistys Pesän perhetyöntekijä käy kahden viikon välein. Käyn Pesän vauvaryhmässä."
    ),
    "who_helps": "Ystäväni Noora käy usein. Äiti soittaa joka päivä ja tulee käymään lomilla.",
    "responsibilities": "Minä sovin kotiavun ajat. Perhetyöntekijä auttaa, jos tulee ongelmia.",
    "keeping_control": "Teen joka sunnuntai viikon suunnitelman. Katson rahatilanteen Avaimesta.",
    "decision_support": "Äiti ja perhetyöntekijä.",
    "who_decides": "Minä päätän Ellan ja omista asioistani.",
    "follow_up": "Seuranta kolmen kuukauden välein neuvolakäyntien yhteydessä.",
}


EKSOTE_AREAS = [
    ("Lappeenranta", "Villmanstrand"),
    ("Imatra", "Imatra"),
    ("Lemi", "Lemi"),
    ("Luumäki", "Luumäki"),
    ("Parikkala", "Parikkala"),
    ("Rautjärvi", "Rautjärvi"),
    ("Ruokolahti", "Ruokolax"),
    ("Savitaipale", "Savitaipale"),
    ("Taipalsaari", "Taipalsaari"),
]

C = ServiceCategory
U = ServiceUnit
EKSOTE_MENU = [
    DemoProduct(
        "Etelä-Karjalan Martat ry", "Apua kotitöihin", "Marttojen kodinhoitaja auttaa siivouksessa, pyykeissä ja ruoanlaitossa.",
        "Kodinhoitaja tulee kotiisi sovittuna päivänä. Teette yhdessä ne kotityöt, joissa tarvitset apua. "
        "Voit myös opetella itse tekemään asioita helpommin.",
        C.HOME_HELP, U.HOUR, "32.00", "Asiakkaan kotona", "Arkisin klo 8–16, sovitusti",
        "Kodinhoitaja tulee kotiin, joten liikkuminen ei ole esteenä.", ("fi",), ("adults", "disability"),
    ),
    DemoProduct(
        "Etelä-Karjalan Martat ry", "Arjen ruokakurssi pienryhmässä", "Opettelemme tekemään edullista ja hyvää ruokaa.",
        "Ryhmässä on enintään kuusi osallistujaa. Jokainen kerta kestää kolme tuntia ja ruoka syödään yhdessä.",
        C.DAY_ACTIVITY, U.VISIT, "15.00", "Marttakeskus, Kauppakatu 40, Lappeenranta", "Keskiviikkoisin klo 16–19",
        "Esteetön sisäänkäynti. Reseptit myös selkokielellä.", ("fi",), ("aftercare", "young_parents"), "proposed",
    ),
    DemoProduct(
        "Liikuntaseura Kipinä ry", "Kuntosalikortti ja ohjaus", "Kuntosali käytössäsi koko kuukauden, ja ohjaaja auttaa alkuun.",
        "Saat kuntosalikortin ja kaksi ohjattua kertaa kuukaudessa. Ohjaaja tekee kanssasi oman ohjelman.",
        C.DAY_ACTIVITY, U.MONTH, "35.00", "Kipinän sali, Valtakatu 12, Lappeenranta", "Joka päivä klo 6–22",
        "Hissi ja esteetön pukuhuone.", ("fi", "en"), ("adults", "aftercare"),
    ),
    DemoProduct(
        "Liikuntaseura Kipinä ry", "Vesijumppa", "Rauhallinen jumppa lämpimässä vedessä.",
        "Ohjattu vesijumppa kestää 45 minuuttia. Sopii myös, jos liikkuminen on vaikeaa.",
        C.REHABILITATION, U.VISIT, "8.00", "Kisapuiston uimahalli, Lappeenranta", "Maanantaisin ja torstaisin klo 10",
        "Altaaseen pääsee nostolaitteella.", ("fi",), ("disability", "adults"),
    ),
    DemoProduct(
        "Perheyhdistys Pesä ry", "Perhetyöntekijä kotiin", "Perhetyöntekijä tukee arjessa, kun lapsiperheen voimat ovat vähissä.",
        "Perhetyöntekijä tulee kotiinne ja auttaa arjen rytmissä, lasten hoidossa ja vanhemmuudessa.",
        C.FAMILY_WORK, U.HOUR, "48.00", "Perheen kotona", "Arkisin, myös iltaisin",
        "", ("fi", "ru"), ("families", "young_parents"),
    ),
    DemoProduct(
        "Saimaan kriisikeskus ry", "Keskusteluapu", "Voit puhua luottamuksellisesti koulutetun työntekijän kanssa.",
        "Tapaamisia on yhdestä viiteen. Voit tulla paikan päälle tai puhua videon välityksellä.",
        C.PEER_SUPPORT, U.VISIT, "20.00", "Koulukatu 17, Lappeenranta, tai videoyhteys", "Sovitusti, myös iltaisin",
        "Esteetön sisäänkäynti. Tulkki järjestetään tarvittaessa.", ("fi", "en", "ru", "ar"),
    ),
    DemoProduct(
        "Kotiapu Saimaa Oy", "Henkilökohtainen avustaja", "Avustaja auttaa niissä asioissa, jotka haluat tehdä itse mutta et pysty.",
        "Sinä päätät, missä avustaja auttaa: kotona, töissä, harrastuksissa tai asioinnissa.",
        C.PERSONAL_ASSISTANCE, U.HOUR, "34.50", "Missä tarvitset", "Joka päivä, myös viikonloppuisin",
        "Avustajat on perehdytetty apuvälineisiin.", ("fi", "sv"), ("disability",),
    ),
    DemoProduct(
        "Kotiapu Saimaa Oy", "Siivous", "Kodin siivous.", "Siivous.",
        C.HOME_HELP, U.HOUR, "39.00", "Kotona", "Sovitusti", "", ("fi",), (),
        "Kuvatkaa selkeämmin, mitä siivoukseen kuuluu ja kuinka kauan yksi käynti kestää.",
    ),
    DemoProduct(
        "Saimaan Kyytipalvelu Oy", "Asiointikyyti", "Kyyti kauppaan, virastoon tai harrastukseen ja takaisin.",
        "Tilaa kyyti puhelimella edellisenä päivänä. Kuljettaja auttaa tarvittaessa ovelta ovelle.",
        C.TRANSPORT, U.KM, "1.90", "Koko Etelä-Karjala", "Joka päivä klo 7–21",
        "Autoissa on pyörätuolipaikka.", ("fi", "sv"), ("disability", "adults"),
    ),
    DemoProduct(
        "Eksote, Honkaharjun päiväkeskus", "Päivätoiminta", "Mielekästä tekemistä ja seuraa päivän ajaksi.",
        "Päivään kuuluvat lounas ja päiväkahvi, ohjattua toimintaa ja ulkoilua.",
        C.DAY_ACTIVITY, U.DAY, "62.00", "Honkaharjuntie 5, Imatra", "Arkisin klo 9–15",
        "Esteetön rakennus, induktiosilmukka ja selkokieliset ohjeet.", ("fi", "fse"), ("disability", "adults"),
    ),
]

VANTAA_AREAS = [("Vantaa", "Vanda"), ("Kerava", "Kervo")]

VANTAA_MENU = [
    DemoProduct(
        "Vanda svenska familjeförening rf", "Familjearbete i hemmet", "En familjearbetare stöder er vardag hemma.",
        "Familjearbetaren kommer hem till er och hjälper med rutiner, barnen och föräldraskapet.",
        C.FAMILY_WORK, U.HOUR, "47.00", "Hemma hos familjen", "Vardagar, även kvällar", "", ("sv", "fi"), ("families",),
    ),
    DemoProduct(
        "Tikkurilan Liikuntaseura ry", "Ohjattu liikuntaryhmä", "Liikuntaa ryhmässä omaan tahtiin.",
        "Ryhmä kokoontuu kerran viikossa. Ohjaaja sovittaa liikkeet jokaiselle sopiviksi.",
        C.DAY_ACTIVITY, U.VISIT, "9.00", "Tikkurilan urheilupuisto", "Tiistaisin klo 18", "", ("fi",), ("adults",),
    ),
    DemoProduct(
        "Hoivapalvelu Kuusikko Oy", "Kotiapu", "Apua kotitöihin ja asiointiin.",
        "Työntekijä auttaa siivouksessa, kaupassa käynnissä ja ruoanlaitossa.",
        C.HOME_HELP, U.HOUR, "38.00", "Asiakkaan kotona", "Joka päivä klo 7–21", "", ("fi", "sv", "en"), ("adults", "families"),
    ),
]


def _load_eksote(users: _Users) -> None:
    eksote = Organiser.objects.create(
        code="eksote", name="Etelä-Karjalan hyvinvointialue (Eksote)", business_id=_business_id("3211485")
    )
    # The whole budget at once; the client may move money between lines and spend 150 € a year without receipts.
    FundingRule.objects.create(organiser=eksote, instalments=1, lines_flexible=True, no_receipt_allowance=Decimal("150.00"))
    PayerAccount.objects.create(
        organiser=eksote, name="Etelä-Karjalan hyvinvointialue", iban="FI2112345600000785", bic="NDEAFIHH"
    )
    adults = Unit.objects.create(organiser=eksote, name="Aikuisten sosiaalityö")
    Unit.objects.create(organiser=eksote, name="Lapsiperheiden sosiaalityö")
    Unit.objects.create(organiser=eksote, name="Vammaispalvelut")
    management = Unit.objects.create(organiser=eksote, name="Sosiaalipalvelujen johtoryhmä")
    finance_unit = Unit.objects.create(organiser=eksote, name="Talouspalvelut")
    development = Unit.objects.create(organiser=eksote, name="Tutkimus ja kehittäminen")
    administration = Unit.objects.create(organiser=eksote, name="Hallintopalvelut")

    worker = users.create("eksote.worker", "Sanna", "Hakala", "sanna.hakala@eksote.example", "2025-08-11 08:00")
    approver = users.create("eksote.approver", "Markku", "Salonen", "markku.salonen@eksote.example", "2025-08-11 08:00")
    finance = users.create("eksote.finance", "Päivi", "Rantanen", "paivi.rantanen@eksote.example", "2025-08-11 08:00")
    researcher = users.create(
        "eksote.researcher", "Kaisa", "Toivonen", "kaisa.toivonen@eksote.example", "2025-09-01 08:00"
    )
    admin = users.create("eksote.admin", "Ville", "Leinonen", "ville.leinonen@eksote.example", "2025-08-04 08:00")
    _staff(eksote, adults, worker, Role.SOCIAL_WORKER)
    _staff(eksote, management, approver, Role.APPROVER)
    _staff(eksote, finance_unit, finance, Role.FINANCE)
    _staff(eksote, development, researcher, Role.RESEARCHER)
    _staff(eksote, administration, admin, Role.ORGANISER_ADMIN)

    services = _price_list(eksote, EKSOTE_PRICES)

    martat = _provider(eksote, "Etelä-Karjalan Martat ry", _business_id("0204819"), ProviderKind.ASSOCIATION, _iban("5741000012345"))
    sports = _provider(eksote, "Liikuntaseura Kipinä ry", _business_id("1052846"), ProviderKind.ASSOCIATION, _iban("1234560004567"))
    family = _provider(eksote, "Perheyhdistys Pesä ry", _business_id("2219560"), ProviderKind.ASSOCIATION, _iban("4108000023456"))
    crisis = _provider(eksote, "Saimaan kriisikeskus ry", _business_id("0195727"), ProviderKind.ASSOCIATION, _iban("5290000034567"))
    home_care = _provider(eksote, "Kotiapu Saimaa Oy", _business_id("2463917"), ProviderKind.COMPANY, _iban("8000120045678"))
    taxi = _provider(eksote, "Saimaan Kyytipalvelu Oy", _business_id("2693415"), ProviderKind.COMPANY, _iban("1570300056789"))
    # The organiser's own day centre is a public unit under the organiser's business ID.
    day_centre = _provider(
        eksote, "Eksote, Honkaharjun päiväkeskus", eksote.business_id, ProviderKind.PUBLIC, _iban("5600010067890")
    )

    martat_contact = users.create(
        "provider.martat", "Tarja", "Pesonen", "tarja.pesonen@martat.example", "2025-11-03 10:00"
    )
    ProviderContact.objects.create(organiser=eksote, provider=martat, user=martat_contact)

    areas = _areas(eksote, EKSOTE_AREAS)
    south_karelia = list(areas.values())
    lappeenranta = [areas["Lappeenranta"], areas["Lemi"], areas["Taipalsaari"]]
    for provider, served, languages in [
        (martat, south_karelia, ("fi",)),
        (sports, lappeenranta, ("fi", "en")),
        (family, south_karelia, ("fi", "ru")),
        (crisis, south_karelia, ("fi", "en", "ru", "ar")),
        (home_care, south_karelia, ("fi", "sv")),
        (taxi, south_karelia, ("fi", "sv")),
        (day_centre, [areas["Imatra"], areas["Ruokolahti"], areas["Rautjärvi"]], ("fi", "fse")),
    ]:
        _serve(provider, served, languages)
    providers = {p.name: p for p in (martat, sports, family, crisis, home_care, taxi, day_centre)}
    _service_menu(providers, south_karelia, EKSOTE_MENU, admin, "2025-11-17 09:00")
    # A provider that has registered itself and waits for the administrator's check.
    with clock.frozen_at(_at("2026-11-19 15:20")):
        catalogue_services.register_provider(
            organiser=eksote,
            registration=catalogue_services.Registration(
                name="Lappeenrannan Viittomakieliset ry",
                business_id=_business_id("2841123"),
                kind=ProviderKind.ASSOCIATION,
                iban=_iban("5780000011223"),
                email="toiminta@viittomakieliset.example",
                phone="040 123 4567",
                areas=lappeenranta,
                languages=list(ServiceLanguage.objects.filter(code__in=["fse", "fi"])),
                contact_first_name="Timo",
                contact_last_name="Lindroos",
                password=DEMO_PASSWORD,
            ),
        )
    # They signed in once after registering and set up their sign-in app.
    TOTPDevice.objects.create(user=get_user_model().objects.get(username="toiminta@viittomakieliset.example"), name="demo", confirmed=True)

    # Aino: her budget for 2026 is in use. Planned in late 2025 with Sari's help, decided before Christmas.
    aino_user = users.create("client.aino", "Aino", "Virtanen", "aino.virtanen@posti.example", "2025-11-10 10:30")
    aino = _client(eksote, "Aino", "Virtanen", _hetu("1987-04-12", 246), Language.FINNISH, TargetGroup.ADULTS, "2025-11-10 10:00")
    _link_user(aino, aino_user)
    for name, relationship, helps_with in [
        ("Leena Virtanen", "sisko", "Laskut, virastopaperit ja lääkärikäynneillä mukana."),
        ("Raili Kettunen", "naapuri", "Juttuseura ja apu huonoina päivinä; käy katsomassa, jos Aino ei vastaa puhelimeen."),
        ("Jonna Nurmi", "ystävä", "Lenkkiseura lauantaisin."),
        ("Sari Lehtonen", "HB-avustaja", "Budjetin seuranta ja suunnitelman kirjoittaminen."),
    ]:
        CloseOne.objects.create(organiser=eksote, client=aino, name=name, relationship=relationship, helps_with=helps_with)

    sari_user = users.create("assistant.sari", "Sari", "Lehtonen", "sari.lehtonen@kriisikeskus.example", "2025-10-20 09:00")
    HBAssistant.objects.create(
        organiser=eksote, user=sari_user, background=AssistantBackground.VOLUNTEER, coached_on=_day("2025-10-22")
    )
    with clock.frozen_at(_at("2025-11-24 11:15")):
        people_services.grant_delegation(client=aino, user=sari_user, access=Delegation.Access.EDIT)

    aino_case = _open_case(aino, worker, YEAR_2026, "2025-11-10 10:05")
    aino_account = _walk_to_active(
        aino_case,
        aino_user,
        worker,
        approver,
        services,
        needs={
            "wishes": (
                "Haluan, että arki pysyy kasassa ilman että kaikki voimat menevät siihen. Haluaisin palata "
                "opiskelemaan ja löytää harrastuksen, jossa näkee muita ihmisiä. Tärkeintä on, ettei tarvitse "
                "olla koko ajan yksin."
            ),
            "summary": (
                "Aino asuu yksin vuokrayksiössä Lappeenrannassa. Pitkä masennusjakso on vienyt arjen rytmin: "
                "siivous, kaupassa käynti ja ruoanlaitto jäävät helposti tekemättä. Hoitosuhde psykiatrian "
                "poliklinikalle jatkuu. Ilman henkilökohtaista budjettia tuki järjestettäisiin kotipalveluna, "
                "tukihenkilötoimintana, vertaistukiryhmänä ja kuljetuspalveluna."
            ),
            "lines": [
                ("KOTIP", "60", "Noin 5 tuntia kuukaudessa: siivous ja kauppa-asiointi."),
                ("TUKIH", "80", "Tukihenkilö kerran viikossa, noin 1,5 tuntia."),
                ("VERTA", "20", "Vertaistukiryhmä kahden viikon välein."),
                ("KULJ", "800", "Matkat ryhmiin ja asioille."),
                ("VAPAA", "40", "Ohjattu ryhmäliikunta."),
            ],
        },
        plan={
            "answers": AINO_PLAN,
            "lines": [
                ("Kotiapu: siivous ja kauppa-asiointi (Etelä-Karjalan Martat ry)", "2400.00"),
                ("Tukihenkilö kerran viikossa (Saimaan kriisikeskus ry)", "2100.00"),
                ("Naisten kuntoryhmä ja kuntosalivuorot (Liikuntaseura Kipinä ry)", "480.00"),
                ("Taksimatkat ryhmiin ja asioille", "1100.00"),
                ("Vertaistukiryhmä", "300.00"),
            ],
            "review_comment": "Selkeä ja Ainon näköinen suunnitelma. Esitetään johtoryhmälle hyväksyttäväksi.",
        },
        dates={
            "needs": "2025-11-24 10:40",
            "plan": "2025-12-01 18:20",
            "submit": "2025-12-03 19:05",
            "review": "2025-12-08 13:30",
            "approve": "2025-12-16 14:00",
            "decision": "2025-12-18 09:45",
        },
    )
    _invoice(aino_account, sports, "KIP-2026-0088", 2, "2026-01-15", "160.00", finance, "2026-01-26 10:12")
    _invoice(aino_account, martat, "EKM-2026-031", 0, "2026-02-27", "228.00", finance, "2026-03-09 09:30")
    _invoice(aino_account, crisis, "SKK-1147", 1, "2026-03-31", "336.00", finance, "2026-04-08 11:02")
    taxi_invoice = _invoice(aino_account, taxi, "SK-55821", 3, "2026-05-31", "187.60", finance, "2026-06-10 13:47")
    # Aino accepted three of the invoices and the worker approved them; finance paid the first two in April, so
    # the payments page shows a paid batch, the taxi invoice waits for the next batch and the crisis centre's
    # still waits for Aino.
    paid = list(Invoice.objects.filter(account=aino_account, invoice_number__in=["KIP-2026-0088", "EKM-2026-031"]))
    for invoice, accepted, approved in (
        (paid[0], "2026-01-27 19:30", "2026-01-28 09:10"),
        (paid[1], "2026-03-10 20:05", "2026-03-11 08:45"),
        (taxi_invoice, "2026-06-11 18:00", "2026-06-12 10:20"),
    ):
        with clock.frozen_at(_at(accepted)):
            invoices.accept_invoice(invoice=invoice, by=aino_user)
        with clock.frozen_at(_at(approved)):
            invoices.approve_invoice(invoice=invoice, by=worker)
    _pay(eksote, [invoice.pk for invoice in paid], finance, "2026-04-14 10:00", "2026-04-15")

    # Laura: a family under strain, budget for 2026 in use.
    laura = _client(eksote, "Laura", "Heikkinen", _hetu("1990-02-14", 328), Language.FINNISH, TargetGroup.FAMILIES, "2025-10-27 13:00")
    laura_case = _open_case(laura, worker, YEAR_2026, "2025-10-27 13:10")
    laura_account = _walk_to_active(
        laura_case,
        worker,  # Laura has no account of her own: the worker enters the plan with her at their meetings
        worker,
        approver,
        services,
        needs={
            "wishes": "Haluan, että kotona on rauhallisempaa ja että jaksan kolmen lapsen kanssa.",
            "summary": (
                "Kolmen lapsen perhe (8 v, 5 v ja 10 kk). Isä tekee vuorotyötä. Äiti on uupunut, vauva nukkuu "
                "huonosti ja esikoisella on koulussa haasteita. Tavallisina palveluina perhe saisi "
                "lapsiperheiden kotipalvelua ja perhetyötä."
            ),
            "lines": [
                ("LKOTIP", "100", "Kaksi iltapäivää viikossa syksyyn asti."),
                ("PERHE", "40", "Kahden viikon välein."),
                ("VAPAA", "30", "Esikoisen harrastus."),
            ],
        },
        plan={
            "answers": LAURA_PLAN,
            "lines": [
                ("Lapsiperheiden kotiapu (Kotiapu Saimaa Oy)", "4500.00"),
                ("Perhetyö (Perheyhdistys Pesä ry)", "2400.00"),
                ("Eetun sählykerho (Liikuntaseura Kipinä ry)", "360.00"),
            ],
        },
        dates={
            "needs": "2025-11-05 14:00",
            "plan": "2025-11-19 15:30",
            "submit": "2025-11-19 15:45",
            "review": "2025-11-25 10:00",
            "approve": "2025-12-02 14:00",
            "decision": "2025-12-04 11:20",
        },
    )
    _invoice(laura_account, home_care, "KS-2026-0412", 0, "2026-03-31", "432.00", finance, "2026-04-09 10:25")
    _invoice(laura_account, family, "PESA-118", 1, "2026-04-30", "372.00", finance, "2026-05-11 14:05")
    # The family moved to Kuopio in the autumn: the HB ended early and the account takes no more invoices.
    with clock.frozen_at(_at("2026-09-30 15:00")):
        planning_services.close_case(
            case=laura_case,
            actor=worker,
            reason="Perhe muutti Kuopioon 1.10.2026. Uusi kotikunta järjestää palvelut; tiedot siirretty.",
        )

    # Pekka looked at HB early in 2026 and chose to keep his ordinary home care.
    pekka = _client(eksote, "Pekka", "Järvinen", _hetu("1961-12-05", 137), Language.FINNISH, TargetGroup.ADULTS, "2026-01-19 09:00")
    pekka_case = _open_case(pekka, worker, YEAR_2026, "2026-01-19 09:10")
    _record_needs(
        pekka_case,
        worker,
        services,
        "2026-02-02 10:00",
        "Haluan asua kotona mahdollisimman pitkään.",
        "Pekka tarvitsee apua kodinhoidossa ja asioinnissa lonkkaleikkauksen jälkeen.",
        [("KOTIP", "100", "Kaksi kertaa viikossa.")],
    )
    _decline(
        pekka,
        worker,
        "2026-02-16 13:20",
        "Pekka haluaa pitää nykyisen kotihoidon ja tutut hoitajat. Budjetin suunnittelu ja laskujen seuraaminen "
        "tuntuivat hänestä liian raskailta. Hän voi palata asiaan myöhemmin.",
    )

    # The clients in the middle of the journey are planning their budgets for 2027.

    # Mikko, a young adult in aftercare, is writing his plan.
    mikko_user = users.create("client.mikko", "Mikko", "Korhonen", "mikko.korhonen@posti.example", "2026-10-19 14:30")
    mikko = _client(eksote, "Mikko", "Korhonen", _hetu("2004-08-03", 413), Language.FINNISH, TargetGroup.AFTERCARE, "2026-10-19 14:00")
    _link_user(mikko, mikko_user)
    CloseOne.objects.create(
        organiser=eksote, client=mikko, name="Heikki Ruotsalainen", relationship="entinen sijaisisä",
        helps_with="Soittaa viikoittain ja auttaa isoissa päätöksissä.",
    )
    mikko_case = _open_case(mikko, worker, YEAR_2027, "2026-10-19 14:10")
    _record_needs(
        mikko_case,
        worker,
        services,
        "2026-11-02 13:00",
        "Haluan pärjätä omassa asunnossa, valmistua kokiksi ja saada töitä.",
        (
            "Mikko muutti kesällä tukiasunnosta omaan vuokra-asuntoon ja opiskelee kokiksi. Jälkihuolto jatkuu "
            "25-vuotiaaksi. Raha-asioiden hoito on ollut vaikeaa ja hänellä on yksi maksuhäiriömerkintä. "
            "Tavallisina palveluina hän saisi asumisen ohjausta ja tukihenkilön."
        ),
        [
            ("ASUMO", "50", "Raha-asiat, posti ja kodinhoito."),
            ("TUKIH", "40", "Tukihenkilö kahden viikon välein."),
            ("VAPAA", "30", "Kuntosali."),
        ],
    )
    mikko_plan = _start_planning(mikko_case, worker, "2026-11-02 13:30")
    _write_plan(
        mikko_plan,
        mikko_user,
        "2026-11-16 21:40",
        MIKKO_DRAFT,
        [("Apu raha-asioihin ja postien hoitoon", "2000.00")],
    )
    # The gym card he found in the service menu: twelve months.
    with clock.frozen_at(_at("2026-11-16 21:50")):
        planning_services.add_product_to_plan(
            plan=mikko_plan,
            actor=mikko_user,
            product=ServiceProduct.objects.get(organiser=eksote, name="Kuntosalikortti ja ohjaus"),
            quantity=Decimal(12),
        )

    # Elina: the worker returned the first version with comments; the second one waits for review.
    elina = _client(eksote, "Elina", "Mäkelä", _hetu("1979-11-23", 584), Language.FINNISH, TargetGroup.DISABILITY, "2026-09-14 10:00")
    elina_case = _open_case(elina, worker, YEAR_2027, "2026-09-14 10:15")
    _record_needs(
        elina_case,
        worker,
        services,
        "2026-09-28 12:00",
        "Haluan asua omassa kodissa, käydä kuorossa ja jatkaa osa-aikatyötäni kirjastossa.",
        (
            "Elinalla on MS-tauti ja hän liikkuu pyörätuolilla. Hän tarvitsee apua aamu- ja iltatoimissa sekä "
            "kuljetuksia. Vammaispalvelulain mukaisina palveluina hän saisi henkilökohtaista apua, "
            "kuljetuspalvelua ja sopeutumisvalmennusta."
        ),
        [
            ("HAPU", "400", "Aamut ja illat arkipäivisin."),
            ("KULJ", "1500", "Työ- ja asiointimatkat, kuoro."),
            ("SOPEU", "5", "Neuroliiton kurssi MS-tautia sairastaville."),
        ],
    )
    elina_lines = [
        ("Henkilökohtainen apu (Kotiapu Saimaa Oy)", "10500.00"),
        ("Kuljetukset töihin, kuoroon ja asioille", "2000.00"),
        ("Sopeutumisvalmennuskurssi", "700.00"),
    ]
    elina_v1 = _start_planning(elina_case, worker, "2026-09-28 12:30")
    _write_plan(elina_v1, worker, "2026-10-12 13:00", ELINA_PLAN_V1, elina_lines)
    _submit(elina_v1, worker, "2026-10-12 13:20")
    _review(
        elina_v1,
        worker,
        "2026-10-20 09:40",
        forward=False,
        comment=(
            "Suunnitelmasta puuttuu, kuka hoitaa avustajan työnantajatehtävät ja miten sijaisuudet järjestetään. "
            "Lisää myös seurannan aikataulu."
        ),
    )
    elina_v2 = _draft(elina_case)
    _write_plan(elina_v2, worker, "2026-11-11 14:00", ELINA_PLAN_V2, elina_lines)
    _submit(elina_v2, worker, "2026-11-11 14:10")

    # Tuomas: the plan has been forwarded to the management group.
    tuomas = _client(eksote, "Tuomas", "Salminen", _hetu("1966-03-08", 251), Language.FINNISH, TargetGroup.ADULTS, "2026-09-07 09:00")
    tuomas_case = _open_case(tuomas, worker, YEAR_2027, "2026-09-07 09:05")
    _record_needs(
        tuomas_case,
        worker,
        services,
        "2026-09-21 10:00",
        "Haluan pysyä raittiina ja saada päiviin tekemistä.",
        (
            "Tuomas on ollut raittiina lähes kaksi vuotta. Pitkä työttömyys ja yksinäisyys ovat riski "
            "retkahdukselle. Tavallisina palveluina hän saisi päivätoimintaa, vertaistukea ja tukihenkilön."
        ),
        [
            ("PAIVA", "80", "Kaksi päivää viikossa."),
            ("VERTA", "40", "Viikoittainen ryhmä."),
            ("TUKIH", "40", "Kaksi kertaa kuussa."),
        ],
    )
    tuomas_plan = _start_planning(tuomas_case, worker, "2026-09-21 10:30")
    _write_plan(
        tuomas_plan,
        worker,
        "2026-10-26 11:00",
        TUOMAS_PLAN,
        [
            ("Päivätoiminta ja puutyöpaja (Eksote, Honkaharjun päiväkeskus)", "5500.00"),
            ("Vertaistukiryhmä", "600.00"),
            ("Tukihenkilö (Saimaan kriisikeskus ry)", "1000.00"),
        ],
    )
    _submit(tuomas_plan, worker, "2026-10-26 11:15")
    _review(tuomas_plan, worker, "2026-11-03 15:00", forward=True, comment="Esitetään hyväksyttäväksi.")

    # Jenni: approved by the management group, waiting for the worker's decision.
    jenni = _client(eksote, "Jenni", "Laaksonen", _hetu("2001-06-19", 508), Language.FINNISH, TargetGroup.YOUNG_PARENTS, "2026-08-24 13:00")
    jenni_case = _open_case(jenni, worker, YEAR_2027, "2026-08-24 13:10")
    _record_needs(
        jenni_case,
        worker,
        services,
        "2026-09-07 13:00",
        "Haluan jaksaa olla hyvä äiti ja jatkaa myöhemmin opintoja.",
        (
            "Jenni on 25-vuotias yksinhuoltaja, vauva on kahdeksan kuukauden ikäinen. Läheiset asuvat "
            "kaukana. Neuvola on huolissaan äidin jaksamisesta. Tavallisina palveluina perhe saisi "
            "lapsiperheiden kotipalvelua, perhetyötä ja vertaistukea."
        ),
        [
            ("LKOTIP", "80", "Kolme tuntia viikossa."),
            ("PERHE", "30", "Kahden viikon välein."),
            ("VERTA", "20", "Vauvaryhmä."),
        ],
    )
    jenni_plan = _start_planning(jenni_case, worker, "2026-09-07 13:30")
    _write_plan(
        jenni_plan,
        worker,
        "2026-10-05 10:00",
        JENNI_PLAN,
        [
            ("Kotiapu kolme tuntia viikossa (Etelä-Karjalan Martat ry)", "3600.00"),
            ("Perhetyö (Perheyhdistys Pesä ry)", "1800.00"),
            ("Vauvaryhmä (Perheyhdistys Pesä ry)", "300.00"),
        ],
    )
    _submit(jenni_plan, worker, "2026-10-05 10:20")
    _review(jenni_plan, worker, "2026-10-13 09:00", forward=True)
    _approve(jenni_plan, approver, "2026-11-17 14:30")

    # Jari: the needs are assessed and the budget computed; the plan has not been started yet.
    jari = _client(eksote, "Jari", "Nieminen", _hetu("1971-09-30", 319), Language.FINNISH, TargetGroup.ADULTS, "2026-11-09 09:00")
    jari_case = _open_case(jari, worker, YEAR_2027, "2026-11-09 09:10")
    _record_needs(
        jari_case,
        worker,
        services,
        "2026-11-18 10:30",
        "Haluan, että asunto pysyy ja pääsen takaisin töihin edes osa-aikaisesti.",
        (
            "Jari jäi työttömäksi keväällä, vuokrarästejä on kertynyt ja avioero on vireillä. Tavallisina "
            "palveluina hän saisi asumisen ohjausta ja keskusteluapua."
        ),
        [("ASUMO", "40", "Vuokra-asiat ja talouden suunnittelu."), ("KESKU", "10", "Keskusteluapu.")],
    )


# --- Vantaa --------------------------------------------------------------------------------------------------------


ANNA_PLAN = {
    "what_matters": (
        "Att barnen mår bra och att vi har en lugn vardag. Efter skilsmässan är jag ensam med tre barn och "
        "jag vill att de ska kunna fortsätta med sina hobbyer."
    ),
    "goals": (
        "Jag vill orka med vardagen och hitta en rytm där det finns tid för barnen och lite tid för mig själv. "
        "Jag vill också börja jobba heltid igen i höst."
    ),
    "how_support_is_arranged": (
        "Hemhjälp två eftermiddagar i veckan från Kuusikko. Familjearbetaren från familjeföreningen kommer "
        "varannan vecka. Jag går med i föreningens kamratstödsgrupp för ensamföräldrar."
    ),
    "who_helps": "Min mamma hämtar barnen från dagis på onsdagar. Min syster hjälper till på helgerna.",
    "responsibilities": "Jag kommer överens om tiderna med hemhjälpen. Familjearbetaren skriver ner vad vi har kommit överens om.",
    "keeping_control": "Jag följer budgeten i Avain och sparar alla räkningar i en mapp.",
    "decision_support": "Min syster Emma.",
    "who_decides": "Jag bestämmer. Ändringar i planen gör jag tillsammans med socialarbetaren.",
    "follow_up": "Uppföljning med socialarbetaren i april och i oktober.",
}

ERIK_PLAN = {
    "what_matters": (
        "Att jag får bo kvar i min egen lägenhet och att dagarna har en tydlig struktur. Jag tycker om datorer "
        "och att spela brädspel med andra."
    ),
    "goals": (
        "Jag vill klara vardagen med mindre hjälp av mamma och hitta en arbetsprövningsplats inom IT. "
        "Jag vill lära mig åka buss själv till nya ställen."
    ),
    "how_support_is_arranged": (
        "Boendehandledare två gånger i veckan som hjälper med städning, räkningar och att planera veckan. "
        "Färdtjänst tills jag har lärt mig de nya bussrutterna. Brädspelsklubben på torsdagar."
    ),
    "who_helps": "Mamma hjälper med myndighetspapper. Min kusin Jonas spelar med mig och följer med på resor.",
    "responsibilities": "Boendehandledaren och jag gör en veckoplan varje måndag.",
    "keeping_control": "Jag har en app med veckoschema och påminnelser.",
    "decision_support": "Mamma och boendehandledaren.",
    "who_decides": "Jag bestämmer själv, men jag vill diskutera stora saker med mamma.",
    "follow_up": "Uppföljning var tredje månad. Första gången i mars.",
}


def _load_vantaa(users: _Users) -> None:
    vantaa = Organiser.objects.create(
        code="vantaa", name="Vantaan ja Keravan hyvinvointialue", business_id=_business_id("3211492")
    )
    # Quarterly instalments, unused money rolling over; fixed lines.
    FundingRule.objects.create(organiser=vantaa, instalments=4, rollover=True)
    PayerAccount.objects.create(
        organiser=vantaa, name="Vantaan ja Keravan hyvinvointialue", iban="FI5810171000000122", bic="OKOYFIHH"
    )
    adults = Unit.objects.create(organiser=vantaa, name="Aikuissosiaalityö")
    Unit.objects.create(organiser=vantaa, name="Perhesosiaalityö")
    Unit.objects.create(organiser=vantaa, name="Vammaispalvelut")
    administration = Unit.objects.create(organiser=vantaa, name="Talous- ja hallintopalvelut")

    worker = users.create("vantaa.worker", "Maria", "Ekström", "maria.ekstrom@vakehyva.example", "2025-08-18 08:00")
    approver = users.create("vantaa.approver", "Jukka", "Aalto", "jukka.aalto@vakehyva.example", "2025-08-18 08:00")
    finance = users.create("vantaa.finance", "Tiina", "Mattila", "tiina.mattila@vakehyva.example", "2025-08-18 08:00")
    _staff(vantaa, adults, worker, Role.SOCIAL_WORKER)
    _staff(vantaa, administration, approver, Role.APPROVER)
    _staff(vantaa, administration, finance, Role.FINANCE)

    services = _price_list(vantaa, VANTAA_PRICES)

    family = _provider(vantaa, "Vanda svenska familjeförening rf", _business_id("0128734"), ProviderKind.ASSOCIATION, _iban("1435000078901"))
    sports = _provider(vantaa, "Tikkurilan Liikuntaseura ry", _business_id("1785320"), ProviderKind.ASSOCIATION, _iban("5780000089012"))
    home_care = _provider(vantaa, "Hoivapalvelu Kuusikko Oy", _business_id("1960448"), ProviderKind.COMPANY, _iban("4055000090123"))
    _provider(vantaa, "Myyrmäen päivätoimintakeskus", vantaa.business_id, ProviderKind.PUBLIC, _iban("1029000001234"))
    vantaa_areas = list(_areas(vantaa, VANTAA_AREAS).values())
    for provider, languages in [(family, ("sv", "fi")), (sports, ("fi",)), (home_care, ("fi", "sv", "en"))]:
        _serve(provider, vantaa_areas, languages)
    vantaa_admin = users.create("vantaa.admin", "Petra", "Nieminen", "petra.nieminen@vakehyva.example", "2025-08-18 08:00")
    _staff(vantaa, administration, vantaa_admin, Role.ORGANISER_ADMIN)
    _service_menu(
        {p.name: p for p in (family, sports, home_care)}, vantaa_areas, VANTAA_MENU, vantaa_admin, "2025-10-06 09:00"
    )

    # Anna, a Swedish-speaking single mother: budget for 2026 in use.
    anna = _client(vantaa, "Anna", "Lindholm", _hetu("1984-10-02", 462), Language.SWEDISH, TargetGroup.FAMILIES, "2025-10-13 10:00")
    anna_case = _open_case(anna, worker, YEAR_2026, "2025-10-13 10:10")
    anna_account = _walk_to_active(
        anna_case,
        worker,
        worker,
        approver,
        services,
        needs={
            "wishes": "Jag vill orka med vardagen och att barnen får fortsätta med sina hobbyer.",
            "summary": (
                "Ensamförsörjare med tre barn (11, 7 och 3 år) efter skilsmässa. Mamman är utmattad och "
                "sjukskriven på deltid. Som vanliga tjänster skulle familjen få hemservice för barnfamiljer, "
                "familjearbete och kamratstöd."
            ),
            "lines": [
                ("LKOTIP", "80", "Två eftermiddagar i veckan."),
                ("PERHE", "30", "Varannan vecka."),
                ("VERTA", "20", "Grupp för ensamföräldrar."),
            ],
        },
        plan={
            "answers": ANNA_PLAN,
            "lines": [
                ("Hemhjälp för barnfamiljer (Hoivapalvelu Kuusikko Oy)", "4000.00"),
                ("Familjearbete (Vanda svenska familjeförening rf)", "1900.00"),
                ("Kamratstödsgrupp för ensamföräldrar", "300.00"),
            ],
        },
        dates={
            "needs": "2025-10-27 13:00",
            "plan": "2025-11-10 14:00",
            "submit": "2025-11-10 14:30",
            "review": "2025-11-17 10:00",
            "approve": "2025-11-26 13:00",
            "decision": "2025-12-01 09:30",
        },
    )
    _invoice(anna_account, home_care, "KUU-26-0311", 0, "2026-03-31", "416.00", finance, "2026-04-07 12:10")
    _invoice(anna_account, family, "VSF-2026-27", 1, "2026-04-30", "264.00", finance, "2026-05-06 09:50")
    # In the autumn the youngest started day care: Anna moves money from home help to family work. The change waits
    # for approval; her account keeps running on the approved plan meanwhile.
    _change(
        anna_case,
        worker,
        worker,
        {"start": "2026-10-12 10:00", "submit": "2026-10-12 10:30", "review": "2026-10-19 14:00"},
        [
            ("Hemhjälp för barnfamiljer (Hoivapalvelu Kuusikko Oy)", "3400.00"),
            ("Familjearbete (Vanda svenska familjeförening rf)", "2500.00"),
            ("Kamratstödsgrupp för ensamföräldrar", "300.00"),
        ],
        until="approval",
    )

    # Two families whose budgets for 2026 are in use and whose plans are being changed.
    for first, last, hetu, opened, until in (
        ("Sofia", "Laine", _hetu("1988-03-09", 518), "2025-10-20", "review"),
        ("Oskar", "Berg", _hetu("1979-08-30", 739), "2025-10-21", "planning"),
    ):
        family_client = _client(vantaa, first, last, hetu, Language.FINNISH, TargetGroup.FAMILIES, f"{opened} 10:00")
        family_case = _open_case(family_client, worker, YEAR_2026, f"{opened} 10:10")
        _walk_to_active(
            family_case,
            worker,
            worker,
            approver,
            services,
            needs={
                "wishes": "Haluamme arkeen enemmän rauhaa ja aikaa lapsille.",
                "summary": "Lapsiperhe, jossa vanhemmat ovat uupuneita. Tavallisina palveluina perhe saisi kotipalvelua ja perhetyötä.",
                "lines": [("LKOTIP", "60", "Kerran viikossa."), ("PERHE", "20", "Kerran kuussa.")],
            },
            plan={
                "answers": ANNA_PLAN,
                "lines": [("Lapsiperheiden kotiapu", "2200.00"), ("Perhetyö", "1000.00")],
            },
            dates={
                "needs": f"{opened} 13:00",
                "plan": "2025-11-12 14:00",
                "submit": "2025-11-12 14:30",
                "review": "2025-11-18 10:00",
                "approve": "2025-11-26 13:30",
                "decision": "2025-12-01 10:00",
            },
        )
        _change(
            family_case,
            worker,
            worker,
            {"start": "2026-11-02 10:00", "submit": "2026-11-02 10:30", "review": "2026-11-09 14:00"},
            [("Lapsiperheiden kotiapu", "1800.00"), ("Perhetyö", "1400.00")],
            until=until,
        )

    # Erik, Swedish-speaking, on the autism spectrum: his plan for 2027 waits for the worker's review.
    erik = _client(vantaa, "Erik", "Sundström", _hetu("1996-05-27", 173), Language.SWEDISH, TargetGroup.DISABILITY, "2026-09-21 13:00")
    erik_case = _open_case(erik, worker, YEAR_2027, "2026-09-21 13:05")
    _record_needs(
        erik_case,
        worker,
        services,
        "2026-10-05 13:00",
        "Jag vill bo kvar i min egen lägenhet och hitta en arbetsprövningsplats inom IT.",
        (
            "Erik har autismspektrumdiagnos och bor ensam i en hyresbostad i Dickursby. Han behöver stöd med "
            "att planera vardagen, sköta räkningar och ta sig till nya ställen. Som vanliga tjänster skulle "
            "han få boendehandledning och färdtjänst."
        ),
        [
            ("ASUMO", "80", "Två gånger i veckan."),
            ("KULJ", "600", "Tills han lärt sig de nya rutterna."),
            ("VAPAA", "40", "Brädspelsklubben."),
        ],
    )
    erik_plan = _start_planning(erik_case, worker, "2026-10-05 13:30")
    _write_plan(
        erik_plan,
        worker,
        "2026-11-13 10:00",
        ERIK_PLAN,
        [
            ("Boendehandledning två gånger i veckan", "4200.00"),
            ("Färdtjänst", "800.00"),
            ("Brädspelsklubben och andra fritidsgrupper", "500.00"),
        ],
    )
    _submit(erik_plan, worker, "2026-11-13 10:30")

    # Minna chose ordinary services at the first meeting; she agreed to be in the control group.
    minna = _client(vantaa, "Minna", "Koskinen", _hetu("1975-07-11", 286), Language.FINNISH, TargetGroup.ADULTS, "2026-03-02 09:00")
    _open_case(minna, worker, YEAR_2026, "2026-03-02 09:05")
    _decline(
        minna,
        worker,
        "2026-03-16 10:30",
        "Minna päätti jatkaa nykyisillä palveluilla, koska ne toimivat hänen mielestään hyvin. Hän suostui "
        "osallistumaan verrokkiryhmään.",
    )

    # Noora, a young mother, had her first meeting this week; nothing has been assessed yet.
    noora = _client(vantaa, "Noora", "Hämäläinen", _hetu("2003-01-25", 624), Language.FINNISH, TargetGroup.YOUNG_PARENTS, "2026-11-16 12:00")
    _open_case(noora, worker, YEAR_2027, "2026-11-16 12:10")


# --- Entry points ----------------------------------------------------------------------------------------------------


def load_demo_data() -> bool:
    """Create the demo organisers and everything in them. Returns False if the demo data is already there."""
    # Service names are copied into budget lines in the active language; the demo's workers work in Finnish.
    with translation.override("fi"), transaction.atomic():
        if Organiser.objects.filter(code="eksote").exists():
            return False
        ensure_service_languages()
        users = _Users()
        _load_eksote(users)
        _load_vantaa(users)
    return True


def demo_summary() -> dict[str, int]:
    """Counts for the load_demo command to show."""
    return {
        "organisers": Organiser.objects.count(),
        "users": get_user_model().objects.count(),
        "clients": Client.objects.count(),
        "cases": HBCase.objects.count(),
        "providers": Provider.objects.count(),
        "services": Service.objects.count(),
        "invoices": Invoice.objects.count(),
    }
