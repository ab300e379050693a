"""Every write of the research part: consent, studies, enrolment and making enrolment final.

The service-use import is in ``imports.py``."""

import datetime as dt
import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from avain.core import clock
from avain.organisations.models import Organiser
from avain.people.models import Client
from avain.planning.models import CaseStatus, HBCase

from . import randomisation
from .models import (
    AllocationLog,
    Arm,
    Consent,
    ConsentScope,
    Enrolment,
    Study,
    StudyDesign,
    StudyStatus,
)

# The seed fits a signed 64-bit database integer.
SEED_BITS = 63


def _lock_client(client: Client) -> Client:
    return Client.objects.select_for_update().get(pk=client.pk)


def _active_consent_exists(client: Client, study: Study | None) -> bool:
    return Consent.objects.filter(
        organiser_id=client.organiser_id, client=client, study=study, withdrawn_at__isnull=True
    ).exists()


# --- Consent ---------------------------------------------------------------------------------------------------


def give_consent(
    *, client: Client, recorded_by, scopes, given_on: dt.date, study: Study | None = None
) -> Consent:
    """Record the client's consent to research use, for one study or (``study`` None) for all research of the
    client's organiser."""
    scopes = sorted(set(scopes))
    if not scopes:
        raise ValidationError(_("Choose at least one thing the consent covers."), code="no_scope")
    unknown = [s for s in scopes if s not in ConsentScope.values]
    if unknown:
        raise ValidationError(_("Unknown consent scope: %(scope)s."), code="unknown_scope", params={"scope": unknown[0]})
    if given_on > clock.today():
        raise ValidationError(_("The consent cannot be given on a future date."), code="consent_in_future")
    if study is not None and not study.organisers.filter(pk=client.organiser_id).exists():
        raise ValidationError(_("The client's organiser does not take part in this study."), code="study_not_of_organiser")
    with transaction.atomic():
        client = _lock_client(client)
        if _active_consent_exists(client, study):
            raise ValidationError(
                _("The client already has a consent in force for this. Withdraw it first to record a new one."),
                code="consent_exists",
            )
        return Consent.objects.create(
            organiser_id=client.organiser_id,
            client=client,
            study=study,
            scopes=scopes,
            given_on=given_on,
            recorded_by=recorded_by,
            recorded_at=clock.now(),
        )


def withdraw_consent(*, consent: Consent, by) -> Consent:
    """Withdraw a consent: from now on the client is left out of every export and analysis that needs it."""
    with transaction.atomic():
        consent = Consent.objects.select_for_update().get(pk=consent.pk)
        if consent.withdrawn_at is not None:
            raise ValidationError(_("This consent has already been withdrawn."), code="already_withdrawn")
        consent.withdrawn_at = clock.now()
        consent.withdrawn_by = by
        consent.save(update_fields=["withdrawn_at", "withdrawn_by"])
    return consent


# --- Studies and enrolment ---------------------------------------------------------------------------------------


def create_study(
    *,
    owner: Organiser,
    by,
    code: str,
    name: str,
    design: str,
    starts_on: dt.date,
    ends_on: dt.date,
    other_organisers=(),
) -> Study:
    if design not in StudyDesign.values:
        raise ValidationError(_("Choose the design of the study."), code="unknown_design")
    if ends_on < starts_on:
        raise ValidationError(_("The study period must end on or after the day it starts."), code="period_reversed")
    if Study.objects.filter(owner=owner, code=code).exists():
        raise ValidationError(_("A study with the code %(code)s already exists."), code="study_code_taken", params={"code": code})
    with transaction.atomic():
        try:
            with transaction.atomic():
                study = Study.objects.create(
                    owner=owner,
                    code=code,
                    name=name.strip(),
                    design=design,
                    starts_on=starts_on,
                    ends_on=ends_on,
                    created_by=by,
                    created_at=clock.now(),
                )
        except IntegrityError:
            raise ValidationError(
                _("A study with the code %(code)s already exists."), code="study_code_taken", params={"code": code}
            ) from None
        study.organisers.add(owner, *other_organisers)
    return study


def _has_chosen(client: Client) -> bool:
    return HBCase.objects.filter(organiser_id=client.organiser_id, client=client).exists()


def enrol_client(*, study: Study, client: Client, by) -> Enrolment:
    """Enrol a client who has consented to research use. The arm stays hidden until enrolment is made final."""
    with transaction.atomic():
        study = Study.objects.select_for_update().get(pk=study.pk)
        if study.status != StudyStatus.ENROLLING:
            raise ValidationError(_("Enrolment to this study is already final."), code="enrolment_final")
        if not study.organisers.filter(pk=client.organiser_id).exists():
            raise ValidationError(
                _("The client's organiser does not take part in this study."), code="study_not_of_organiser"
            )
        if Enrolment.objects.filter(study=study, client=client).exists():
            raise ValidationError(_("The client is already enrolled in this study."), code="already_enrolled")
        if not (_active_consent_exists(client, study) or _active_consent_exists(client, None)):
            raise ValidationError(
                _("Record the client's consent to research use before enrolling them."), code="no_consent"
            )
        if study.is_self_selected and not _has_chosen(client):
            raise ValidationError(
                _("In this study the client must first have chosen HB or ordinary services."), code="no_choice"
            )
        return Enrolment.objects.create(
            study=study,
            organiser_id=client.organiser_id,
            client=client,
            target_group=client.target_group,
            self_selected=study.is_self_selected,
            enrolled_by=by,
            enrolled_at=clock.now(),
        )


def _chosen_arm(client_id: int, organiser_id: int) -> str:
    """In a self-selected study: the control arm when the client's HB was declined and no other HB case exists."""
    statuses = set(HBCase.objects.filter(organiser_id=organiser_id, client_id=client_id).values_list("status", flat=True))
    return Arm.CONTROL if statuses == {CaseStatus.DECLINED} else Arm.HB


def make_final(*, study: Study, by) -> Study:
    """Make enrolment final and allocate the arms, in one transaction: the seed is drawn here and recorded with the
    study, and every allocation gets a row in the allocation log."""
    with transaction.atomic():
        study = Study.objects.select_for_update().get(pk=study.pk)
        if study.status != StudyStatus.ENROLLING:
            raise ValidationError(_("Enrolment to this study is already final."), code="enrolment_final")
        enrolments = list(Enrolment.objects.filter(study=study).select_related("organiser"))
        if len(enrolments) < 2:
            raise ValidationError(_("Enrol at least two clients before making enrolment final."), code="too_few")
        if study.design == StudyDesign.RANDOMISED:
            seed = secrets.randbits(SEED_BITS)
            arms = randomisation.allocate(
                [randomisation.Member(e.client_id, e.organiser.code, e.target_group) for e in enrolments], seed
            )
        else:
            seed = None
            arms = {e.client_id: _chosen_arm(e.client_id, e.organiser_id) for e in enrolments}
        now = clock.now()
        for enrolment in enrolments:
            enrolment.arm = arms[enrolment.client_id]
        Enrolment.objects.bulk_update(enrolments, ["arm"])
        AllocationLog.objects.bulk_create(
            AllocationLog(
                study=study,
                enrolment=e,
                organiser_id=e.organiser_id,
                target_group=e.target_group,
                arm=e.arm,
                seed=seed,
                allocated_by=by,
                allocated_at=now,
            )
            for e in enrolments
        )
        study.seed = seed
        study.status = StudyStatus.FINAL
        study.finalised_by = by
        study.finalised_at = now
        study.save(update_fields=["seed", "status", "finalised_by", "finalised_at"])
    return study


def close_study(*, study: Study, by) -> Study:
    with transaction.atomic():
        study = Study.objects.select_for_update().get(pk=study.pk)
        if study.status != StudyStatus.FINAL:
            raise ValidationError(_("Only a study whose enrolment is final can be closed."), code="not_final")
        study.status = StudyStatus.CLOSED
        study.save(update_fields=["status"])
    return study
