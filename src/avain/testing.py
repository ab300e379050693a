"""Small, explicit factories and journey helpers for tests. No magic: every helper is a plain function.

Conventions

* Every factory takes the organiser (or the object it hangs on) first and keyword arguments after it.
  Anything left out gets a valid, distinct default, so two calls in one test never collide.
* Identifiers are *valid* Finnish ones: personal identity codes from :func:`valid_hetu`, business IDs from
  :func:`valid_business_id`, IBANs from :func:`valid_iban` (all checked with python-stdnum).
* The journey helpers (:func:`case_in_needs_assessment` … :func:`case_active`) move a case forward through the
  *real* service functions in :mod:`avain.planning.services` and :mod:`avain.accounts.services`, so a test that
  starts from "a case in review" starts from exactly the state a real user would have produced. Each returns the
  case fresh from the database; what hangs on it is reachable from it: ``case.client``, ``case.worker``,
  ``case.organiser``, :func:`current_plan(case) <current_plan>`, ``case.decision`` and
  :func:`account_of(case) <account_of>`.
* Users get no usable password unless one is passed (password hashing is slow). View tests sign in with
  :func:`login_verified`, which also passes the second factor; browser tests pass ``password=TEST_PASSWORD`` and
  type :func:`totp_token` into the second-factor page.

Defaults of the journey: a price-list service at :data:`DEFAULT_UNIT_PRICE` € per hour, :data:`DEFAULT_QUANTITY`
hours over the budget period, so the computed budget is :data:`DEFAULT_BUDGET`; a plan with the lines in
:data:`DEFAULT_PLAN_LINES` (together :data:`DEFAULT_PLAN_TOTAL`).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.apps import apps
from django.db import models

from avain.core import clock, identifiers
from avain.core.models import User
from avain.core.periods import Period
from avain.organisations.models import Organiser, Role, StaffMembership, Unit

__all__ = [
    "DEFAULT_BUDGET",
    "DEFAULT_PLAN_LINES",
    "DEFAULT_PLAN_TOTAL",
    "DEFAULT_QUANTITY",
    "DEFAULT_UNIT_PRICE",
    "TEST_PASSWORD",
    "account_of",
    "add_price",
    "case_active",
    "case_approved",
    "case_in_approval",
    "case_in_needs_assessment",
    "case_in_planning",
    "case_in_review",
    "current_plan",
    "db_snapshot",
    "default_answers",
    "default_period",
    "login_verified",
    "make_assistant",
    "make_client",
    "make_close_one",
    "make_organiser",
    "make_provider",
    "make_provider_contact",
    "make_service",
    "make_staff",
    "make_user",
    "refused",
    "totp_token",
    "valid_business_id",
    "valid_hetu",
    "valid_iban",
]

TEST_PASSWORD = "Avain-testi-salasana-2024"  # long enough for the password validators

DEFAULT_UNIT_PRICE = Decimal("30.00")
DEFAULT_QUANTITY = Decimal("100")
DEFAULT_BUDGET = Decimal("3000.00")
DEFAULT_PLAN_LINES: tuple[tuple[str, Decimal], ...] = (
    ("Henkilökohtainen avustaja arkeen", Decimal("1800.00")),
    ("Liikunta ja harrastukset", Decimal("1000.00")),
)
DEFAULT_PLAN_TOTAL = Decimal("2800.00")

_sequence = itertools.count(1)


def _next() -> int:
    return next(_sequence)


# --- Valid Finnish identifiers ------------------------------------------------------------------------------

_HETU_INDIVIDUALS = 898  # individual numbers 002–899; 900–999 are temporary codes and are refused


def valid_hetu(n: int, *, born: dt.date | None = None) -> str:
    """The ``n``-th of a sequence of distinct, valid Finnish personal identity codes (``n`` ≥ 0).

    Different ``n`` always give different codes. Without ``born`` the birth dates start at 1 January 1980;
    with ``born`` the code is for that birth date and ``n`` picks the individual number (0 ≤ n < 898).
    """
    if n < 0:
        raise ValueError("n must be zero or more")
    if born is None:
        born = dt.date(1980, 1, 1) + dt.timedelta(days=n // _HETU_INDIVIDUALS)
    elif n >= _HETU_INDIVIDUALS:
        raise ValueError("only 898 individual numbers exist for one birth date")
    return identifiers.personal_identity_code(born, 2 + n % _HETU_INDIVIDUALS)


def valid_business_id(n: int) -> str:
    """The ``n``-th of a sequence of distinct, valid business IDs (Y-tunnus), formatted ``1234567-8``."""
    base = 2_000_000 + n * 7
    while (code := identifiers.business_id(base)) is None:  # no check digit exists for this one: take the next
        base += 1
    return code


def valid_iban(n: int) -> str:
    """The ``n``-th of a sequence of distinct, valid Finnish IBANs (compact form, ``FI`` + 16 digits)."""
    return identifiers.finnish_iban(f"123456{n:07d}")


# --- People and organisations ------------------------------------------------------------------------------


def default_period() -> Period:
    """The current calendar year by the injectable clock (1 January to 31 December, inclusive)."""
    year = clock.today().year
    return Period(dt.date(year, 1, 1), dt.date(year, 12, 31))


def make_organiser(code: str | None = None, *, name: str | None = None, business_id: str | None = None) -> Organiser:
    n = _next()
    code = code or f"jarjestaja-{n}"
    return Organiser.objects.create(
        code=code, name=name or f"Testijärjestäjä {code}", business_id=business_id or valid_business_id(n)
    )


def make_user(
    username: str | None = None, *, first_name: str = "Testi", last_name: str | None = None, password: str | None = None
) -> User:
    """A user with no usable password unless ``password`` is given (e.g. :data:`TEST_PASSWORD`)."""
    n = _next()
    user = User(username=username or f"kayttaja{n}", first_name=first_name, last_name=last_name or f"Käyttäjä{n}")
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save()
    return user


def make_staff(
    organiser: Organiser,
    role: str = Role.SOCIAL_WORKER,
    username: str | None = None,
    *,
    password: str | None = None,
    unit: Unit | None = None,
    user: User | None = None,
    first_name: str = "Sanna",
    last_name: str | None = None,
) -> User:
    """A staff user with an active membership in ``role`` and a confirmed TOTP device (the second factor).

    Pass ``user`` to give an existing user a second role (a new membership; the device is reused if present).
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if user is None:
        user = make_user(username, first_name=first_name, last_name=last_name, password=password)
    StaffMembership.objects.create(user=user, organiser=organiser, role=role, unit=unit, active=True)
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name="Todennussovellus", confirmed=True)
    return user


def totp_token(user: User) -> str:
    """The TOTP code the user's authenticator app would show right now."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def login_verified(client, user: User) -> None:
    """Sign ``user`` in on a Django test client *and* mark the second factor as passed (``is_verified()``)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        raise ValueError(f"{user} has no confirmed TOTP device; create the user with make_staff")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


# make_client's own codes come from far along the sequence, so that a test's valid_hetu(0..99_999) never collides.
_CLIENT_HETU_OFFSET = 500_000


def make_client(
    organiser: Organiser,
    *,
    first_name: str = "Aino",
    last_name: str | None = None,
    hetu: str | None = None,
    language: str = "fi",
    target_group: str = "adults",
    login: bool = False,
    username: str | None = None,
    password: str | None = None,
):
    """A client registered through :func:`avain.people.services.create_client`.

    With ``login=True`` (or a ``username``) the client also gets a user account to sign in to the portal.
    """
    from avain.people.services import create_client

    n = _next()
    client = create_client(
        organiser=organiser,
        first_name=first_name,
        last_name=last_name or f"Asiakas{n}",
        personal_identity_code=hetu or valid_hetu(_CLIENT_HETU_OFFSET + n),
        language=language,
        target_group=target_group,
    )
    if login or username:
        client.user = make_user(username, first_name=client.first_name, last_name=client.last_name, password=password)
        client.save(update_fields=["user"])
    return client


def make_assistant(organiser: Organiser, username: str | None = None, *, password: str | None = None) -> User:
    """An HB assistant of the organiser: someone a client may let see or edit their plan."""
    from avain.people.models import AssistantBackground, HBAssistant

    user = make_user(username, first_name="Sari", password=password)
    HBAssistant.objects.create(organiser=organiser, user=user, background=AssistantBackground.VOLUNTEER)
    return user


def make_close_one(client, name: str = "Liisa Läheinen", *, with_login: bool = False, relationship: str = "sisko"):
    """A person in the client's network map; with ``with_login`` they can sign in and be given access."""
    from avain.people.models import CloseOne

    return CloseOne.objects.create(
        organiser_id=client.organiser_id,
        client=client,
        name=name,
        relationship=relationship,
        user=make_user(first_name=name.split()[0]) if with_login else None,
    )


# --- Catalogue -----------------------------------------------------------------------------------------------


def make_service(
    organiser: Organiser,
    code: str | None = None,
    unit_price: Decimal | str | None = DEFAULT_UNIT_PRICE,
    valid_from: dt.date = dt.date(2000, 1, 1),
    valid_to: dt.date | None = None,
    *,
    unit: str = "hour",
    name: str | None = None,
):
    """A price-list service with one price ``unit_price`` in force ``valid_from``–``valid_to`` (inclusive).

    ``unit_price=None`` makes a service with no price at all; add prices with :func:`add_price`.
    """
    from avain.catalogue.models import Service

    code = code or f"P{_next():04d}"
    name = name or f"Palvelu {code}"
    service = Service.objects.create(
        organiser=organiser, code=code, name_fi=name, name_sv=f"Tjänst {code}", name_en=f"Service {code}", unit=unit
    )
    if unit_price is not None:
        add_price(service, unit_price, valid_from, valid_to)
    return service


def add_price(service, unit_price: Decimal | str, valid_from: dt.date, valid_to: dt.date | None = None):
    """Add one price row to a service (the caller keeps price periods from overlapping)."""
    from avain.catalogue.models import ServicePrice

    return ServicePrice.objects.create(
        organiser_id=service.organiser_id,
        service=service,
        unit_price=Decimal(unit_price),
        valid_from=valid_from,
        valid_to=valid_to,
    )


def make_provider(
    organiser: Organiser,
    name: str | None = None,
    *,
    kind: str = "association",
    business_id: str | None = None,
    iban: str | None = None,
):
    """A service provider with a valid business ID and IBAN."""
    from avain.catalogue.models import Provider

    n = _next()
    return Provider.objects.create(
        organiser=organiser,
        name=name or f"Palveluntuottaja {n} ry",
        business_id=business_id or valid_business_id(n),
        kind=kind,
        iban=iban or valid_iban(n),
    )


def make_area(organiser: Organiser, name: str | None = None):
    """An area of the organiser (a municipality) where providers serve."""
    from avain.catalogue.models import Area

    name = name or f"Alue {_next()}"
    return Area.objects.create(organiser=organiser, name_fi=name, name_sv=f"{name} (sv)", name_en=f"{name} (en)")


def make_product(
    organiser: Organiser,
    name: str | None = None,
    *,
    provider=None,
    status: str = "published",
    unit_price: Decimal | str = "30.00",
    category: str = "peer_support",
    unit: str = "hour",
    areas: Sequence | None = None,
    languages: Sequence[str] = ("fi",),
    summary: str = "Tukea arkeen omassa kodissa.",
):
    """A service product of ``provider`` (a new approved one if not given), published in the menu by default."""
    from avain.catalogue.languages import ensure_service_languages
    from avain.catalogue.models import ServiceProduct

    ensure_service_languages()
    provider = provider or make_provider(organiser)
    now = clock.now()
    product = ServiceProduct.objects.create(
        organiser=organiser,
        provider=provider,
        name=name or f"Palvelu {_next()}",
        summary=summary,
        description="Tarkempi kuvaus palvelusta selkokielellä.",
        category=category,
        unit=unit,
        unit_price=Decimal(unit_price),
        where="Asiakkaan kotona",
        when="Arkisin sopimuksen mukaan",
        status=status,
        created_at=now,
        updated_at=now,
        proposed_at=now if status != "draft" else None,
        published_at=now if status == "published" else None,
    )
    product.areas.set(areas if areas is not None else [make_area(organiser)])
    product.languages.set(languages)
    return product


def make_provider_contact(provider, username: str | None = None, *, password: str | None = None) -> User:
    """A user who acts for ``provider``."""
    from avain.catalogue.models import ProviderContact

    user = make_user(username, first_name="Pekka", password=password)
    ProviderContact.objects.create(organiser_id=provider.organiser_id, provider=provider, user=user)
    return user


# --- The journey ---------------------------------------------------------------------------------------------


def default_answers() -> dict[str, str]:
    """An answer to each of the support plan's questions."""
    return {
        "what_matters": "Että voin asua omassa kodissa ja nähdä ystäviä.",
        "goals": "Haluan käydä uimassa kerran viikossa.",
        "how_support_is_arranged": "Avustaja tulee kahdesti viikossa.",
        "who_helps": "Sisko auttaa kaupassa käynnissä.",
        "responsibilities": "Minä sovin ajat avustajan kanssa.",
        "keeping_control": "Katson budjettia joka kuukausi.",
        "decision_support": "HB-avustaja.",
        "who_decides": "Minä päätän, sosiaalityöntekijä hyväksyy.",
        "follow_up": "Tapaamme puolen vuoden päästä.",
    }


def current_plan(case):
    """The newest version of the case's support plan, or None."""
    return case.plans.order_by("-version").first()


def account_of(case):
    """The budget account opened by the case's decision, or None."""
    from avain.accounts.models import BudgetAccount

    return BudgetAccount.objects.filter(decision__case=case).first()


def _fresh(case):
    from avain.planning.models import HBCase

    return HBCase.objects.select_related("client", "worker", "organiser").get(pk=case.pk)


def case_in_needs_assessment(
    *, organiser: Organiser | None = None, client=None, worker: User | None = None, period: Period | None = None
):
    """A freshly opened case (step NEEDS_ASSESSMENT) for a new or the given client, with no needs yet.

    The period defaults to :func:`default_period`; the worker to a new social worker of the organiser.
    """
    from avain.planning.services import open_case

    if client is not None:
        organiser = client.organiser
    organiser = organiser or make_organiser()
    client = client or make_client(organiser)
    worker = worker or make_staff(organiser, Role.SOCIAL_WORKER)
    return _fresh(open_case(client=client, worker=worker, period=period or default_period()))


def case_in_planning(
    *,
    organiser: Organiser | None = None,
    client=None,
    worker: User | None = None,
    period: Period | None = None,
    needs: Sequence[tuple[object, Decimal]] | None = None,
):
    """A case whose needs are recorded and budget computed, handed to the client (step PLANNING, plan v1 draft).

    ``needs`` is a list of ``(service, quantity)``; by default one new service at :data:`DEFAULT_UNIT_PRICE`
    for :data:`DEFAULT_QUANTITY` units, which makes the budget :data:`DEFAULT_BUDGET`.
    """
    from avain.planning.services import NeedEntry, record_needs, start_planning

    case = case_in_needs_assessment(organiser=organiser, client=client, worker=worker, period=period)
    if needs is None:
        needs = [(make_service(case.organiser, valid_from=case.period_start), DEFAULT_QUANTITY)]
    record_needs(
        case=case,
        actor=case.worker,
        wishes="Haluan asua omassa kodissa ja harrastaa.",
        needs_summary="Tarvitsen apua arjessa ja liikkumisessa.",
        needs=[NeedEntry(service, Decimal(quantity)) for service, quantity in needs],
    )
    start_planning(case=case, actor=case.worker)
    return _fresh(case)


def _plan_author(case) -> User:
    return case.client.user or case.worker


def case_in_review(
    *,
    organiser: Organiser | None = None,
    client=None,
    worker: User | None = None,
    period: Period | None = None,
    needs: Sequence[tuple[object, Decimal]] | None = None,
    plan_lines: Iterable[tuple[str, Decimal]] | None = None,
    answers: dict[str, str] | None = None,
):
    """A case whose plan v1 is written and submitted (step REVIEW, plan SUBMITTED).

    ``plan_lines`` is a list of ``(description, amount)``, by default :data:`DEFAULT_PLAN_LINES`.
    """
    from avain.planning.services import PlanLineEntry, save_plan_draft, submit_plan

    case = case_in_planning(organiser=organiser, client=client, worker=worker, period=period, needs=needs)
    plan = current_plan(case)
    author = _plan_author(case)
    save_plan_draft(
        plan=plan,
        actor=author,
        answers=default_answers() if answers is None else answers,
        lines=[PlanLineEntry(d, Decimal(a)) for d, a in (DEFAULT_PLAN_LINES if plan_lines is None else plan_lines)],
    )
    submit_plan(plan=plan, actor=author)
    return _fresh(case)


def case_in_approval(
    *,
    organiser: Organiser | None = None,
    client=None,
    worker: User | None = None,
    period: Period | None = None,
    needs: Sequence[tuple[object, Decimal]] | None = None,
    plan_lines: Iterable[tuple[str, Decimal]] | None = None,
    answers: dict[str, str] | None = None,
):
    """A case whose plan the worker forwarded for approval (step APPROVAL, plan FORWARDED)."""
    from avain.planning.services import review_plan

    case = case_in_review(
        organiser=organiser, client=client, worker=worker, period=period, needs=needs, plan_lines=plan_lines, answers=answers
    )
    review_plan(plan=current_plan(case), reviewer=case.worker, forward=True, comment="Hyvä suunnitelma.")
    return _fresh(case)


def case_approved(
    *,
    organiser: Organiser | None = None,
    client=None,
    worker: User | None = None,
    approver: User | None = None,
    period: Period | None = None,
    needs: Sequence[tuple[object, Decimal]] | None = None,
    plan_lines: Iterable[tuple[str, Decimal]] | None = None,
    answers: dict[str, str] | None = None,
):
    """A case whose plan the approver approved (step APPROVED, plan APPROVED, a PlanApproval), no decision yet.

    The approver defaults to a new user with the APPROVER role in the case's organiser. Follows the organiser's
    approval rule: under "the worker alone" forwarding already approved it; under "the management group" a meeting
    approves it.
    """
    case = case_in_approval(
        organiser=organiser, client=client, worker=worker, period=period, needs=needs, plan_lines=plan_lines, answers=answers
    )
    approve_forwarded(case, approver)
    return _fresh(case)


def approve_forwarded(case, approver: User | None = None):
    """Approve the case's forwarded version under the rule it was forwarded with (nothing to do if already approved)."""
    from avain.core import clock
    from avain.planning.models import ApprovalRule, PlanStatus
    from avain.planning.services import approve_plan, record_approval_meeting

    plan = current_plan(case)
    if plan.status != PlanStatus.FORWARDED:
        return case
    approver = approver or make_staff(case.organiser, Role.APPROVER)
    if plan.approval_rule == ApprovalRule.MANAGEMENT_GROUP:
        record_approval_meeting(
            organiser=case.organiser,
            recorded_by=approver,
            held_on=clock.today(),
            members="Johtoryhmä",
            minutes="",
            approve=[plan],
            returns=[],
        )
    else:
        approve_plan(plan=plan, approver=approver)
    return case


def case_active(
    *,
    organiser: Organiser | None = None,
    client=None,
    worker: User | None = None,
    approver: User | None = None,
    period: Period | None = None,
    needs: Sequence[tuple[object, Decimal]] | None = None,
    plan_lines: Iterable[tuple[str, Decimal]] | None = None,
    answers: dict[str, str] | None = None,
):
    """A case with the decision made and the budget account open (step ACTIVE).

    The worker makes the decision for the case's own budget period through
    :func:`avain.accounts.services.grant_budget`; the account is :func:`account_of(case) <account_of>`
    (also ``case.decision.account``), with one grant entry per plan line.
    """
    from avain.accounts.services import grant_budget

    case = case_approved(
        organiser=organiser,
        client=client,
        worker=worker,
        approver=approver,
        period=period,
        needs=needs,
        plan_lines=plan_lines,
        answers=answers,
    )
    grant_budget(case=case, decided_by=case.worker, period=Period(case.period_start, case.period_end))
    return _fresh(case)


def case_changing(**kwargs):
    """A case whose budget is in use and whose client started a change of the plan (step CHANGE_PLANNING): a new
    draft copied from the approved version; the account keeps using the approved version. Takes the arguments of
    :func:`case_active`."""
    from avain.planning.services import start_change

    case = case_active(**kwargs)
    start_change(case=case, actor=_plan_author(case))
    return _fresh(case)


def case_change_in_review(*, change_lines: Iterable[tuple[str, Decimal]] | None = None, **kwargs):
    """A case whose change of the plan is sent for review (step CHANGE_REVIEW). ``change_lines`` replace the lines
    of the copied draft (``(description, amount)``); by default the draft is sent as copied."""
    from avain.planning.services import PlanLineEntry, save_plan_draft, submit_plan

    case = case_changing(**kwargs)
    plan = current_plan(case)
    author = _plan_author(case)
    if change_lines is not None:
        save_plan_draft(
            plan=plan,
            actor=author,
            answers={f: getattr(plan, f) for f in plan.ANSWER_FIELDS},
            lines=[PlanLineEntry(d, Decimal(a)) for d, a in change_lines],
        )
    submit_plan(plan=plan, actor=author)
    return _fresh(case)


def case_change_in_approval(**kwargs):
    """A case whose change of the plan the worker forwarded for approval (step CHANGE_APPROVAL)."""
    from avain.planning.services import review_plan

    case = case_change_in_review(**kwargs)
    review_plan(plan=current_plan(case), reviewer=case.worker, forward=True, comment="")
    return _fresh(case)


# --- Assertions ----------------------------------------------------------------------------------------------


def db_snapshot(*app_labels: str) -> dict[str, list[tuple]]:
    """Every row of every model of the given apps (default: all of Avain's apps), for "changed nothing" checks.

    ``assert db_snapshot() == before`` fails on any row added, removed or changed.
    """
    labels = app_labels or ("core", "organisations", "people", "catalogue", "planning", "accounts")
    snapshot: dict[str, list[tuple]] = {}
    for label in labels:
        for model in apps.get_app_config(label).get_models():
            fields = [f.attname for f in model._meta.concrete_fields if not isinstance(f, models.ManyToManyField)]
            snapshot[model._meta.label] = sorted(
                model.objects.order_by("pk").values_list(*fields), key=lambda row: row[0]
            )
    return snapshot


def refused(code: str, call, *args, **kwargs):
    """Assert that ``call`` raises a ValidationError with ``code`` and changes no row anywhere."""
    import pytest
    from django.core.exceptions import ValidationError

    before = db_snapshot()
    with pytest.raises(ValidationError) as error:
        call(*args, **kwargs)
    assert error.value.code == code, error.value
    assert db_snapshot() == before
    return error.value


def make_agreement(
    account,
    *,
    line: int = 0,
    provider=None,
    unit_price: Decimal | str = "50.00",
    quantity: Decimal | str | None = "10",
    amount: Decimal | str | None = None,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    made_by: User | None = None,
):
    """An agreement on the account's ``line``-th sub-account (in plan line order), committing its cap. The provider
    is a new approved one unless given; validity is the whole budget period unless given."""
    from avain.accounts.agreements import make_agreement as make

    sub = account.sub_accounts.order_by("pk")[line]
    return make(
        sub_account=sub,
        provider=provider or make_provider(account.organiser),
        service=f"Palvelu {_next()}",
        unit="kerta",
        unit_price=Decimal(unit_price),
        quantity=None if quantity is None else Decimal(quantity),
        amount=None if amount is None else Decimal(amount),
        valid_from=valid_from or account.period_start,
        valid_until=valid_until or account.period_end,
        made_by=made_by or account.decision.decided_by,
    )


def invoice_claim(agreement, *lines, number: str | None = None, iban: str | None = None, invoice_date=None):
    """An invoice as a provider would send it under ``agreement``. Each of ``lines`` is (service date, quantity) at
    the agreed price, or (service date, quantity, unit price, amount)."""
    from avain.accounts.posting import InvoiceClaim, LineClaim
    from avain.core.money import round_money

    claim_lines = []
    for n, spec in enumerate(lines, start=1):
        date, quantity, *rest = spec
        quantity = Decimal(quantity)
        price = Decimal(rest[0]) if rest else agreement.unit_price
        amount = Decimal(rest[1]) if len(rest) > 1 else round_money(quantity * price)
        claim_lines.append(LineClaim(n, agreement.number, date, quantity, price, amount))
    day = invoice_date or max(line.service_date for line in claim_lines)
    return InvoiceClaim(
        invoice_number=number or f"L-{_next()}",
        invoice_date=day,
        due_date=day + dt.timedelta(days=14),
        payee_iban=iban or agreement.provider.iban,
        lines=tuple(claim_lines),
    )


# The first bytes of a JPEG file and some padding: enough for the receipt checks, which look at the first bytes.
RECEIPT_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64)


def make_receipt(account, *, amount: Decimal | str = "10.00", line: int = 0, purchase_date: dt.date | None = None, by=None):
    """A client's receipt with a small JPEG file, claimed through :func:`avain.accounts.receipts.claim_receipt` on the
    account's ``line``-th sub-account, dated today unless given. Claimed by the client, or, for a client with no
    sign-in, by an HB assistant the client lets edit. The file goes to ``MEDIA_ROOT``: point it at a temporary
    directory in the test (``settings.MEDIA_ROOT = tmp_path``)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from avain.accounts.receipts import claim_receipt
    from avain.people.services import grant_delegation

    client = account.client
    if by is None:
        by = client.user
    if by is None:
        by = make_assistant(account.organiser)
        grant_delegation(client=client, user=by, access="edit")
    return claim_receipt(
        account=account,
        sub_account=account.sub_accounts.order_by("pk")[line],
        purchase_date=purchase_date or clock.today(),
        amount=Decimal(amount),
        description="Bussilippu",
        payee_iban=valid_iban(_next()),
        attachment=SimpleUploadedFile("kuitti.jpg", RECEIPT_JPEG, content_type="image/jpeg"),
        claimed_by=by,
    )


def make_measurement(organiser: Organiser, *, client=None, client_id: int | None = None):
    """A self-assessment waiting to be answered by a client of ``organiser`` (the given one, else a new client),
    due in a month; installs the shipped questionnaires if they are missing (a browser test's flush removes them)."""
    from avain.evaluation.models import Measurement, MeasurementPoint
    from avain.evaluation.selectors import current_instrument
    from avain.evaluation.services import SELF_ASSESSMENT, load_instruments
    from avain.people.models import Client

    load_instruments()
    if client is None and client_id is not None:
        client = Client.objects.filter(organiser=organiser, pk=client_id).first()
    client = client or make_client(organiser)
    return Measurement.objects.create(
        organiser=organiser,
        client=client,
        instrument=current_instrument(organiser, SELF_ASSESSMENT),
        point=MeasurementPoint.OTHER,
        due_on=clock.today() + dt.timedelta(days=30),
        created_at=clock.now(),
        created_by=make_staff(organiser),
    )
