"""Reads of the research part, always scoped by organiser or by study.

Every analysis goes through :func:`consenting_client_ids`: a client without a consent in force for the scope is
not in it. The arm of an enrolment is never returned before enrolment is made final."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.http import Http404

from avain.accounts.models import SubAccount
from avain.core.money import ZERO
from avain.organisations.models import StaffMembership
from avain.people.models import Client, TargetGroup
from avain.planning.selectors import SMALL_COUNT
from avain.timeuse.selectors import time_cost_per_client

from .models import Arm, Consent, ConsentScope, Enrolment, ServiceUse, ServiceUseFile, Study, StudyStatus

# --- Consent ---------------------------------------------------------------------------------------------------


def consents_of(client: Client) -> QuerySet[Consent]:
    """The client's consents, newest first, withdrawn ones too (they are the record of what was agreed)."""
    return Consent.objects.filter(organiser_id=client.organiser_id, client=client).select_related(
        "study", "recorded_by", "withdrawn_by"
    )


def active_consent_of(client: Client, consent_id) -> Consent:
    """One of the client's consents still in force, or 404."""
    consent = consents_of(client).filter(pk=consent_id, withdrawn_at__isnull=True).first()
    if consent is None:
        raise Http404
    return consent


def _active_consents_for(study: Study) -> QuerySet[Consent]:
    """Consents in force that cover ``study``: given for it, or for all research of one of its organisers."""
    return Consent.objects.filter(withdrawn_at__isnull=True).filter(
        Q(study=study) | Q(study__isnull=True, organiser__in=study.organisers.all())
    )


def consent_scopes(study: Study) -> dict[int, set[str]]:
    """Each enrolled client's scopes in force for ``study`` (clients with none are not in the answer)."""
    enrolled = Enrolment.objects.filter(study=study).values("client_id")
    scopes: dict[int, set[str]] = defaultdict(set)
    for client_id, values in _active_consents_for(study).filter(client_id__in=enrolled).values_list("client_id", "scopes"):
        scopes[client_id].update(values)
    return dict(scopes)


def consenting_client_ids(study: Study, scope: str) -> set[int]:
    """The enrolled clients whose consent in force covers ``scope`` for this study."""
    return {client_id for client_id, scopes in consent_scopes(study).items() if scope in scopes}


# --- Studies ---------------------------------------------------------------------------------------------------


def studies_for(membership: StaffMembership) -> QuerySet[Study]:
    """The studies the staff member's organiser takes part in."""
    return Study.objects.filter(organisers=membership.organiser_id).select_related("owner").distinct()


def study_for(membership: StaffMembership, study_id: int) -> Study:
    study = studies_for(membership).filter(pk=study_id).first()
    if study is None:
        raise Http404
    return study


def owned_study(membership: StaffMembership, study_id: int) -> Study:
    """A study the staff member's organiser manages, or 404."""
    study = Study.objects.filter(owner_id=membership.organiser_id, pk=study_id).first()
    if study is None:
        raise Http404
    return study


def enrolling_studies_for_client(client: Client) -> QuerySet[Study]:
    return Study.objects.filter(organisers=client.organiser_id, status=StudyStatus.ENROLLING).exclude(
        enrolments__client=client
    )


def studies_for_client_consent(client: Client) -> QuerySet[Study]:
    """Studies the client's consent may be given for: those their organiser takes part in and that are not closed."""
    return Study.objects.filter(organisers=client.organiser_id).exclude(status=StudyStatus.CLOSED)


@dataclass(frozen=True)
class ClientEnrolment:
    study: Study
    arm: str | None  # None until enrolment is final
    self_selected: bool


def enrolments_of(client: Client) -> list[ClientEnrolment]:
    """The client's studies and, once enrolment is final, their arm."""
    enrolments = Enrolment.objects.filter(organiser_id=client.organiser_id, client=client).select_related("study")
    return [
        ClientEnrolment(e.study, e.arm if e.study.arms_revealed else None, e.self_selected)
        for e in enrolments.order_by("study__created_at")
    ]


def _suppressed(n: int) -> int | None:
    return None if 0 < n < SMALL_COUNT else n


@dataclass(frozen=True)
class StratumCount:
    organiser: str
    target_group: str
    hb: int | None
    control: int | None
    enrolled: int | None


def stratum_counts(study: Study) -> list[StratumCount]:
    """Enrolled clients per stratum and, once final, per arm; counts of 1 to SMALL_COUNT - 1 are None (suppressed)."""
    rows = (
        Enrolment.objects.filter(study=study)
        .values_list("organiser__code", "target_group", "arm")
        .order_by()
    )
    counts: dict[tuple[str, str], dict[str | None, int]] = defaultdict(lambda: defaultdict(int))
    for organiser, target_group, arm in rows:
        counts[(organiser, target_group)][arm if study.arms_revealed else None] += 1
    result = []
    for (organiser, target_group), by_arm in sorted(counts.items()):
        total = sum(by_arm.values())
        result.append(
            StratumCount(
                organiser,
                str(TargetGroup(target_group).label) if target_group in TargetGroup.values else target_group,
                _suppressed(by_arm.get(Arm.HB, 0)) if study.arms_revealed else None,
                _suppressed(by_arm.get(Arm.CONTROL, 0)) if study.arms_revealed else None,
                _suppressed(total),
            )
        )
    return result


def enrolment_count(study: Study) -> int:
    return Enrolment.objects.filter(study=study).count()


# --- Service use and costs ---------------------------------------------------------------------------------------


def service_use_files(organiser_id: int) -> QuerySet[ServiceUseFile]:
    return ServiceUseFile.objects.filter(organiser_id=organiser_id).defer("content").select_related("uploaded_by")


def service_use_file(organiser_id: int, file_id: int) -> ServiceUseFile:
    found = service_use_files(organiser_id).filter(pk=file_id).first()
    if found is None:
        raise Http404
    return found


def service_costs(client_ids, start: dt.date, end: dt.date) -> dict[int, Decimal]:
    """Euros of ordinary services used between ``start`` and ``end`` (inclusive), priced when imported."""
    rows = (
        ServiceUse.objects.filter(client_id__in=client_ids, used_on__gte=start, used_on__lte=end)
        .values("client_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {row["client_id"]: row["total"] for row in rows}


def hb_costs(client_ids, start: dt.date, end: dt.date) -> dict[int, Decimal]:
    """Euros spent from the clients' budget accounts whose budget period overlaps the study period: the stored
    ``SubAccount.spent`` totals (what invoices and receipts took from the budget, reversals deducted)."""
    rows = (
        SubAccount.objects.filter(
            account__client_id__in=client_ids, account__period_start__lte=end, account__period_end__gte=start
        )
        .values("account__client_id")
        .annotate(total=Sum("spent"))
        .order_by()
    )
    return {row["account__client_id"]: row["total"] for row in rows}


def time_use_costs(study: Study, client_ids) -> dict[int, Decimal]:
    """Valued time use per client (minutes × the role's hourly rate) from the time-use records of each client's
    organiser, within the study period."""
    by_organiser: dict[int, list[int]] = defaultdict(list)
    for client_id, organiser_id in Client.objects.filter(pk__in=list(client_ids)).values_list("pk", "organiser_id"):
        by_organiser[organiser_id].append(client_id)
    costs: dict[int, Decimal] = {}
    for organiser_id, ids in by_organiser.items():
        costs.update(time_cost_per_client(organiser_id, ids, study.starts_on, study.ends_on))
    return costs


@dataclass(frozen=True)
class ClientCosts:
    client_id: int
    arm: str | None
    self_selected: bool
    service: Decimal
    hb: Decimal
    time_use: Decimal | None  # None: the client has not consented to research use of time use
    total: Decimal


def costs_per_client(study: Study) -> list[ClientCosts]:
    """Per enrolled client who consented to research use of costs: ordinary services, HB spending and (with
    consent to time use) valued time use, within the study period. The arm is None until enrolment is final."""
    scopes = consent_scopes(study)
    ids = sorted(cid for cid, s in scopes.items() if ConsentScope.COSTS in s)
    enrolments = {e.client_id: e for e in Enrolment.objects.filter(study=study, client_id__in=ids)}
    services = service_costs(ids, study.starts_on, study.ends_on)
    hb = hb_costs(ids, study.starts_on, study.ends_on)
    timed = time_use_costs(study, [cid for cid in ids if ConsentScope.TIME_USE in scopes[cid]])
    result = []
    for client_id in ids:
        enrolment = enrolments[client_id]
        service, spent, time_use = services.get(client_id, ZERO), hb.get(client_id, ZERO), timed.get(client_id)
        result.append(
            ClientCosts(
                client_id,
                enrolment.arm if study.arms_revealed else None,
                enrolment.self_selected,
                service,
                spent,
                time_use,
                service + spent + (time_use or ZERO),
            )
        )
    return result
