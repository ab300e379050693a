from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from avain.organisations.access import staff_required
from avain.organisations.models import Role
from avain.people.access import portal_access
from avain.people.models import AccessLogEntry, Delegation

from . import selectors, services
from .forms import CostRateForm, SamplingPeriodForm, TimeEntryForm
from .models import TimeRole

# Time recorded for a client's HB is part of the client's overview: the access log has no kind of its own for it.
WHAT = AccessLogEntry.What.TIME_USE
STAFF_ROLES = (Role.SOCIAL_WORKER, Role.APPROVER, Role.FINANCE, Role.ORGANISER_ADMIN)
PORTAL_ROLES = (TimeRole.CLIENT, TimeRole.CLOSE_ONE, TimeRole.HB_ASSISTANT)


@portal_access(WHAT, edit=True)
def portal_time(request, client):
    """The client (or a delegate with edit permission) records time spent on the client's HB."""
    can_edit = request.delegation is None or request.delegation.access == Delegation.Access.EDIT
    form = TimeEntryForm()
    status = 200
    if request.method == "POST":
        form = TimeEntryForm(request.POST)
        if form.is_valid():
            if request.delegation is None:
                role = TimeRole.CLIENT
            else:
                role = selectors.delegate_role(request.user, client.organiser_id)
            try:
                services.log_time(
                    organiser=client.organiser,
                    person=request.user,
                    role=role,
                    client=client,
                    activity=form.cleaned_data["activity"],
                    minutes=form.cleaned_data["minutes"],
                    on=form.cleaned_data["on"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as refusal:
                form.add_error(None, refusal)
            else:
                messages.success(request, _("Thank you! The time is saved."))
                return redirect("portal_time", client.pk)
        status = 400
    entries = list(selectors.entries_for_client(client).filter(role__in=PORTAL_ROLES))
    return render(
        request,
        "timeuse/portal_time.html",
        {
            "client": client,
            "form": form,
            "can_edit": can_edit,
            "recording": selectors.sampled_in_open_period(client.organiser_id, client.pk),
            "periods": selectors.open_periods(client.organiser_id),
            "entries": entries,
            "minutes_total": selectors.minutes_total(entries),
        },
        status=status,
    )


@staff_required(*STAFF_ROLES)
def staff_time(request):
    """A staff member records their own time on HB work, for one of their clients or in general."""
    membership = request.staff
    clients = selectors.clients_for_worker(membership)
    form = TimeEntryForm(clients=clients)
    status = 200
    if request.method == "POST":
        form = TimeEntryForm(request.POST, clients=clients)
        if form.is_valid():
            try:
                services.log_time(
                    organiser=membership.organiser,
                    person=request.user,
                    role=selectors.staff_role(membership),
                    client=form.cleaned_data["client"],
                    activity=form.cleaned_data["activity"],
                    minutes=form.cleaned_data["minutes"],
                    on=form.cleaned_data["on"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as refusal:
                form.add_error(None, refusal)
            else:
                messages.success(request, _("The time is saved."))
                return redirect("staff_time")
        status = 400
    entries = list(selectors.entries_of_person(membership.organiser_id, request.user))
    return render(
        request,
        "timeuse/staff_time.html",
        {
            "form": form,
            "periods": selectors.open_periods(membership.organiser_id),
            "entries": entries,
            "minutes_total": selectors.minutes_total(entries),
        },
        status=status,
    )


@staff_required(Role.ORGANISER_ADMIN)
def sampling_periods(request):
    organiser = request.staff.organiser
    form = SamplingPeriodForm()
    status = 200
    if request.method == "POST":
        form = SamplingPeriodForm(request.POST)
        if form.is_valid():
            try:
                period = services.create_sampling_period(
                    organiser=organiser,
                    name=form.cleaned_data["name"],
                    starts_on=form.cleaned_data["starts_on"],
                    ends_on=form.cleaned_data["ends_on"],
                    sample_size=form.cleaned_data["sample_size"],
                    actor=request.user,
                )
            except ValidationError as refusal:
                form.add_error(None, refusal)
            else:
                messages.success(request, _("The recording period “%(name)s” is saved.") % {"name": period.name})
                return redirect("timeuse_periods")
        status = 400
    return render(
        request,
        "timeuse/periods.html",
        {"form": form, "periods": selectors.sampling_periods(organiser.pk)},
        status=status,
    )


@staff_required(Role.ORGANISER_ADMIN)
def cost_rates(request):
    organiser = request.staff.organiser
    form = CostRateForm()
    status = 200
    if request.method == "POST":
        form = CostRateForm(request.POST)
        if form.is_valid():
            try:
                services.set_cost_rate(
                    organiser=organiser,
                    role=form.cleaned_data["role"],
                    euros_per_hour=form.cleaned_data["euros_per_hour"],
                    valid_from=form.cleaned_data["valid_from"],
                    valid_to=form.cleaned_data["valid_to"],
                    actor=request.user,
                )
            except ValidationError as refusal:
                form.add_error(None, refusal)
            else:
                messages.success(request, _("The hourly rate is saved."))
                return redirect("timeuse_rates")
        status = 400
    return render(
        request,
        "timeuse/rates.html",
        {
            "form": form,
            "rates": selectors.cost_rates(organiser.pk),
            "without_rate": selectors.entries_without_rate(organiser),
        },
        status=status,
    )
