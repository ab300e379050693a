"""The decision as a PDF: in Finnish or Swedish, with the amount, the period, how it was computed, the plan, the legal
basis and the review instructions, read back from the PDF's text; the same after prices change; nothing fetched.

The Finnish scenario (budget period 2026): 100 hours of a service at 30,00 € = 3 000,00 €; the organiser's rule
takes 90 % (2 700,00 €, −300,00 €) and rounds to whole euros (no change); the plan uses 1 234,50 € + 1 000,00 € =
2 234,50 €, which is the granted amount.
"""

import datetime as dt
import io
import socket
from decimal import Decimal

import pypdf
import pytest
from django.utils import translation

from avain.catalogue.models import Service, ServicePrice
from avain.core.periods import Period
from avain.planning import decision_document
from avain.planning.calculation import TO_EURO
from avain.planning.services import add_budget_rule
from avain.testing import case_active, make_client, make_organiser, make_service, valid_hetu

pytestmark = pytest.mark.django_db

PERIOD_2026 = Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
PLAN_LINES = [("Avustaja kauppaan ja asiointiin", Decimal("1234.50")), ("Uinti ja kuntosali", Decimal("1000.00"))]


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with every run of white space (line breaks, no-break spaces) as one space."""
    assert pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def active_case(language: str, *, rule: bool = False, legal_basis: str = ""):
    organiser = make_organiser(name="Etelä-Karjalan hyvinvointialue")
    if rule:
        add_budget_rule(
            organiser=organiser,
            actor=None,
            valid_from=dt.date(2020, 1, 1),
            percentage=Decimal("90"),
            rounding=TO_EURO,
        )
    service = make_service(organiser, "KP", Decimal("30.00"), name="Kotipalvelu")
    if legal_basis:
        Service.objects.filter(pk=service.pk).update(legal_basis=legal_basis)
    hetu = valid_hetu(7, born=dt.date(1985, 3, 4))
    client = make_client(organiser, first_name="Aino", last_name="Virtanen", language=language, hetu=hetu)
    return case_active(client=client, period=PERIOD_2026, needs=[(service, Decimal("100"))], plan_lines=PLAN_LINES)


def test_the_finnish_decision_holds_the_amount_period_computation_plan_and_review_instructions():
    case = active_case("fi", rule=True)
    decision = case.decision
    text = pdf_text(decision_document.decision_pdf(decision))

    assert "Päätös henkilökohtaisesta budjetista" in text
    assert "Etelä-Karjalan hyvinvointialue" in text
    assert "Aino Virtanen" in text and case.client.personal_identity_code in text
    assert case.worker.get_full_name() in text  # the decision maker
    assert "1.1.2026–31.12.2026" in text
    assert "Myönnetty summa: 2 234,50 €" in text
    # How it was computed: the line, the rule's effects, the total.
    assert "Kotipalvelu" in text and "× 30,00 €" in text and "= 3 000,00 €" in text
    assert "Palvelut yhteensä 3 000,00 €" in text
    assert "−300,00 €" in text and "Budjetti yhteensä 2 700,00 €" in text
    # The plan: what the budget is used for, and the goals.
    assert "Avustaja kauppaan ja asiointiin 1 234,50 €" in text and "Uinti ja kuntosali 1 000,00 €" in text
    assert "Haluan käydä uimassa kerran viikossa." in text
    # The legal basis: no service names one, so the Social Welfare Act's sections.
    assert "Sosiaalihuoltolaki (1301/2014) 14 §" in text
    assert "36 § (palvelutarpeen arviointi)" in text
    # The review instructions.
    assert "Oikaisuvaatimusohje" in text
    assert "30 päivän kuluessa" in text
    assert "seitsemäntenä päivänä" in text
    assert "sosiaalihuoltolaki 48 §" in text and "hallintolaki 49 a–49 g §" in text
    assert "kirjallisesti" in text and "sosiaalihuollosta vastaavalle toimielimelle" in text
    assert "miksi päätöstä pitäisi muuttaa" in text


def test_the_swedish_decision_holds_the_amount_period_and_review_instructions_in_swedish():
    case = active_case("sv")
    text = pdf_text(decision_document.decision_pdf(case.decision))

    assert "Beslut om personlig budget" in text
    assert "Aino Virtanen" in text and case.client.personal_identity_code in text
    assert "1.1.2026–31.12.2026" in text
    assert "Beviljat belopp: 2 234,50 €" in text
    assert "Tjänst KP" in text  # the service's Swedish name, kept in the snapshot
    assert "Budget totalt 3 000,00 €" in text
    assert "Avustaja kauppaan ja asiointiin 1 234,50 €" in text
    assert "Socialvårdslagen (1301/2014) 14 §" in text
    assert "begäran om omprövning" in text
    assert "inom 30 dagar" in text
    assert "den sjunde dagen" in text
    assert "socialvårdslagen 48 §" in text and "förvaltningslagen 49 a–49 g §" in text
    assert "skriftligt" in text and "det organ som ansvarar för socialvården" in text
    assert "Myönnetty" not in text and "oikaisuvaatimus" not in text.lower()


def test_the_pdf_reads_the_same_after_prices_names_and_rules_change():
    case = active_case("fi")
    before = pdf_text(decision_document.decision_pdf(case.decision))
    ServicePrice.objects.filter(service__organiser=case.organiser).update(unit_price=Decimal("99.00"))
    Service.objects.filter(organiser=case.organiser).update(name_fi="Uusi nimi", name_sv="Nytt namn")
    add_budget_rule(organiser=case.organiser, actor=None, valid_from=dt.date(2020, 1, 1), percentage=Decimal("50"))
    case.decision.refresh_from_db()
    assert pdf_text(decision_document.decision_pdf(case.decision)) == before
    assert "99,00" not in before and "Uusi nimi" not in before


def test_the_services_legal_bases_replace_the_general_section():
    case = active_case("fi", legal_basis="Vammaispalvelulaki (675/2023) 12 §")
    context = decision_document.decision_context(case.decision)
    assert context["legal_bases"] == ["Vammaispalvelulaki (675/2023) 12 §"]
    html = decision_document.decision_html(case.decision)
    assert "Vammaispalvelulaki (675/2023) 12 §" in html
    assert "14 § (sosiaalipalvelut)" not in html
    assert "48 §" in html  # the review's legal basis stays


def test_the_legal_basis_stays_as_it_was_when_the_price_list_changes_it_later():
    case = active_case("fi", legal_basis="Sosiaalihuoltolaki (1301/2014) 19 §")
    Service.objects.filter(organiser=case.organiser).update(legal_basis="Vammaispalvelulaki (675/2023) 12 §")
    assert decision_document.decision_context(case.decision)["legal_bases"] == ["Sosiaalihuoltolaki (1301/2014) 19 §"]


def test_the_language_is_the_clients_finnish_or_swedish_and_english_speakers_get_finnish():
    organiser = make_organiser()
    assert decision_document.decision_language(make_client(organiser, language="fi")) == "fi"
    assert decision_document.decision_language(make_client(organiser, language="sv")) == "sv"
    assert decision_document.decision_language(make_client(organiser, language="en")) == "fi"


def test_an_english_speaking_clients_decision_is_the_finnish_one_whatever_the_readers_language():
    case = active_case("en")
    with translation.override("en"):
        html = decision_document.decision_html(case.decision)
        filename = decision_document.decision_filename(case.decision)
    assert '<html lang="fi">' in html
    assert "Budjetti yhteensä" in html and "3\N{NO-BREAK SPACE}000,00" in html
    assert "Budget in total" not in html
    assert filename == f"paatos-{decision_document.decided_on(case.decision).isoformat()}.pdf"


def test_the_renderer_fetches_nothing_from_the_network(monkeypatch):
    fetcher = decision_document.RefusingURLFetcher()
    for url in ("http://example.com/style.css", "https://example.com/logo.png", "file:///etc/passwd"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)

    def no_network(*args, **kwargs):
        raise AssertionError("the renderer tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    asked = []
    refuse = decision_document.RefusingURLFetcher.fetch

    def spy(self, url, headers=None):
        asked.append(url)
        return refuse(self, url, headers)

    monkeypatch.setattr(decision_document.RefusingURLFetcher, "fetch", spy)
    html = (
        '<html><head><link rel="stylesheet" href="http://example.com/style.css">'
        "<style>@import url(https://example.com/more.css);"
        " @font-face { font-family: X; src: url(http://example.com/x.woff) }</style></head>"
        '<body><img src="https://example.com/logo.png" alt=""><p style="font-family: X">Päätös</p></body></html>'
    )
    assert "Päätös" in pdf_text(decision_document.render_pdf(html))
    assert "http://example.com/style.css" in asked and "https://example.com/logo.png" in asked  # asked and refused
