"""Instruments are data: the shipped ones install once, published versions never change, and a wrong file is
refused with a message that says where the problem is."""

import json
import shutil

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from avain.evaluation import services
from avain.evaluation.models import Domain, FrozenInstrumentError, Instrument, InstrumentStatus, Item
from avain.testing import db_snapshot, make_organiser, make_staff, refused
from avain.organisations.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    with translation.override("en"):
        yield

SHIPPED = {"self-assessment", "satisfaction", "hb-end-survey", "funder-start", "funder-end"}


def _own(**changes) -> dict:
    data = {
        "code": "oma-kysely",
        "name": {"fi": "Oma kysely", "sv": "Egen enkät", "en": "Own survey"},
        "domains": [{"code": "arki", "name": {"fi": "Arki", "sv": "Vardag", "en": "Everyday"}}],
        "items": [
            {
                "code": "q1",
                "domain": "arki",
                "kind": "scale",
                "text": {"fi": "Miten menee?", "sv": "Hur går det?", "en": "How is it going?"},
                "scale": {
                    "min": 1,
                    "max": 5,
                    "min_label": {"fi": "huonosti", "sv": "dåligt", "en": "badly"},
                    "max_label": {"fi": "hyvin", "sv": "bra", "en": "well"},
                },
            },
            {"code": "q2", "kind": "text", "text": {"fi": "Muuta?", "sv": "Annat?", "en": "Anything else?"}},
        ],
        "bands": [{"domain": "arki", "low": 1, "high": 5, "feedback": {"fi": "Kiitos", "sv": "Tack", "en": "Thanks"}}],
    }
    data.update(changes)
    return data


def test_the_shipped_instruments_install_once(instruments):
    assert set(Instrument.objects.filter(organiser__isnull=True).values_list("code", flat=True)) == SHIPPED
    before = db_snapshot("evaluation")
    assert all(not new for _code, _version, new in services.load_instruments())
    assert db_snapshot("evaluation") == before
    assert not Instrument.objects.exclude(status=InstrumentStatus.PUBLISHED).filter(organiser__isnull=True).exists()


def test_the_self_assessment_has_five_domains_of_three_or_four_items_on_a_0_to_10_scale(instruments):
    instrument = Instrument.objects.get(organiser__isnull=True, code="self-assessment")
    domains = list(instrument.domains.all())
    assert len(domains) == 5
    for domain in domains:
        items = list(domain.items.all())
        assert 3 <= len(items) <= 4
        assert {(i.scale_min, i.scale_max) for i in items} == {(0, 10)}
        assert all(i.text_fi and i.text_sv and i.text_en for i in items)
        assert domain.bands.count() == 3
    assert instrument.items.filter(reverse_scored=True).count() >= 2
    start_form = Instrument.objects.get(organiser__isnull=True, code="funder-start")
    assert set(start_form.items.values_list("code", flat=True)) == {
        "age-group", "gender", "education", "labour-market", "household"
    }


def test_a_published_version_never_changes(instruments):
    instrument = Instrument.objects.get(organiser__isnull=True, code="satisfaction")
    instrument.name_fi = "Muutettu"
    with pytest.raises(FrozenInstrumentError):
        instrument.save()
    item = Item.objects.filter(instrument__code="self-assessment").first()
    item.text_fi = "Muutettu"
    with pytest.raises(FrozenInstrumentError):
        item.save()
    with pytest.raises(FrozenInstrumentError):
        item.delete()
    with pytest.raises(FrozenInstrumentError):
        Domain.objects.filter(instrument__code="self-assessment").first().delete()
    with pytest.raises(FrozenInstrumentError):
        Instrument.objects.get(pk=instrument.pk).delete()
    refused("not_draft", services.publish_instrument, instrument=instrument)


def test_a_changed_file_under_the_same_version_isrefused(instruments, tmp_path):
    source = json.loads((services.SHIPPED_DIR / "satisfaction.json").read_text())
    source["code"] = "test-satisfaction"
    (tmp_path / "a.json").write_text(json.dumps(source))
    assert services.load_instruments(directory=tmp_path) == [("test-satisfaction", 1, True)]
    source["items"][0]["text"]["fi"] = "Toisin kirjoitettu kysymys"
    (tmp_path / "a.json").write_text(json.dumps(source))
    error = refused("instrument_changed", services.load_instruments, directory=tmp_path)
    assert "a.json" in error.messages[0]
    source["version"] = 2
    (tmp_path / "a.json").write_text(json.dumps(source))
    assert services.load_instruments(directory=tmp_path) == [("test-satisfaction", 2, True)]
    first = Instrument.objects.get(code="test-satisfaction", version=1)
    assert first.items.first().text_fi != "Toisin kirjoitettu kysymys"


def test_an_organiser_uploads_its_own_and_a_second_upload_is_a_new_version(instruments):
    organiser = make_organiser()
    admin = make_staff(organiser, Role.ORGANISER_ADMIN)
    first = services.upload_instrument(organiser=organiser, raw=json.dumps(_own()).encode(), actor=admin)
    assert (first.version, first.status, first.organiser) == (1, InstrumentStatus.DRAFT, organiser)
    services.publish_instrument(instrument=first)
    second = services.upload_instrument(organiser=organiser, raw=json.dumps(_own(version=7)).encode(), actor=admin)
    assert second.version == 2  # the number is the next one, whatever the file says
    assert Instrument.objects.get(pk=first.pk).status == InstrumentStatus.PUBLISHED
    services.retire_instrument(instrument=first)
    refused("not_published", services.retire_instrument, instrument=first)
    # Another organiser has a code of the same name independently.
    other = services.upload_instrument(
        organiser=make_organiser(), raw=json.dumps(_own()).encode(), actor=admin
    )
    assert other.version == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"{not json", "The file is not valid JSON (line 1, column 2)."),
        (b"[1, 2]", "The file must hold one instrument (a JSON object)."),
        (json.dumps(_own(code="Oma Kysely")).encode(), "The instrument: the code must be"),
        (json.dumps(_own(name={"fi": "Oma", "en": "Own"})).encode(), "Name: the text in Swedish is missing."),
        (json.dumps(_own(items=[])).encode(), "The instrument: there are no questions (items)."),
        (
            json.dumps(_own(items=[{**_own()["items"][0], "domain": "mieli"}])).encode(),
            "Question 1: the domain “mieli” is not in the list of domains.",
        ),
        (
            json.dumps(_own(items=[{**_own()["items"][0], "scale": {"min": 5, "max": 1}}])).encode(),
            "Question 1: the scale needs a whole-number min smaller than its max",
        ),
        (
            json.dumps(_own(items=[{**_own()["items"][1], "kind": "choice", "choices": [{"value": "x"}]}])).encode(),
            "Question 1: a choice question needs at least two choices.",
        ),
        (
            json.dumps(_own(items=_own()["items"] + [{**_own()["items"][1]}])).encode(),
            "Question 3: the code “q2” is used twice.",
        ),
        (
            json.dumps(_own(bands=_own()["bands"] + [{**_own()["bands"][0], "low": 3, "high": 4}])).encode(),
            "Feedback band 2: it overlaps another band of the same domain.",
        ),
        (
            json.dumps(_own(bands=[{**_own()["bands"][0], "high": 9}])).encode(),
            "Feedback band 1: low and high must be in order and within the scale 1–5.",
        ),
    ],
)
def test_a_wrong_file_is_refused_with_a_message_saying_where(instruments, raw, expected):
    organiser = make_organiser()
    admin = make_staff(organiser, Role.ORGANISER_ADMIN)
    error = refused("invalid_instrument", services.upload_instrument, organiser=organiser, raw=raw, actor=admin)
    assert any(message.startswith(expected) for message in error.messages), error.messages


def test_every_problem_of_a_file_is_listed_at_once(instruments):
    data = _own(name={"fi": "Oma"})
    data["items"][0]["text"] = {"fi": "Kysymys"}
    organiser = make_organiser()
    error = refused(
        "invalid_instrument",
        services.upload_instrument,
        organiser=organiser,
        raw=json.dumps(data).encode(),
        actor=make_staff(organiser, Role.ORGANISER_ADMIN),
    )
    assert len(error.messages) == 4  # name in sv and en, question 1 in sv and en
