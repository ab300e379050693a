from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from avain.organisations.access import staff_required
from avain.organisations.models import Role
from avain.organisations.selectors import CLIENT_DATA_ROLES

from . import services
from .access import portal_access
from .forms import ChosenRowForm, ClientForm, ClientSearchForm, CloseOneForm, DelegationForm
from .models import AccessLogEntry, Delegation
from .selectors import access_log_for_client, clients_for_staff, network_of


@staff_required(*CLIENT_DATA_ROLES)
def client_list(request):
    form = ClientSearchForm(request.GET or None)
    clients = clients_for_staff(request.staff)
    if form.is_valid() and form.cleaned_data["q"]:
        for word in form.cleaned_data["q"].split():
            clients = clients.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    # Names only: listing does not open anyone's data, so it is not an access-log event.
    return render(request, "people/client_list.html", {"form": form, "clients": clients[:200]})


@staff_required(Role.SOCIAL_WORKER)
def client_create(request):
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            client = services.create_client(organiser=request.staff.organiser, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("client_detail", client.pk)
    return render(request, "people/client_form.html", {"form": form})


@portal_access(AccessLogEntry.What.CLIENT_OVERVIEW, delegates=False)
def portal_access_log(request, client):
    return render(request, "people/access_log.html", {"client": client, "entries": access_log_for_client(client)[:500]})


def _person_name(user, close_one) -> str:
    return close_one.name if close_one is not None else (user.get_full_name() or user.username)


def _chosen_row(request) -> int | None:
    # A missing or broken id finds no row, so the service answers with its own "already gone" message.
    form = ChosenRowForm(request.POST)
    return form.cleaned_data["row"] if form.is_valid() else None


def _add_close_one(request, client, page):
    form = page["close_one_form"] = CloseOneForm(request.POST, prefix="close_one")
    if form.is_valid():
        person = services.add_close_one(client=client, **form.cleaned_data)
        return _("%(name)s is now in your network map.") % {"name": person.name}
    return None


def _remove_close_one(request, client, page):
    person = services.remove_close_one(client=client, close_one_id=_chosen_row(request))
    return _("%(name)s is removed from your network map. They cannot see your plan or budget in Avain.") % {
        "name": person.name
    }


def _allow(request, client, page):
    candidates = page["network"]["candidates"]
    form = page["delegation_form"] = DelegationForm(request.POST, prefix="allow", candidates=candidates)
    if not form.is_valid():
        return None
    user = form.users[form.cleaned_data["person"]]
    delegation = services.grant_delegation(client=client, user=user, access=form.cleaned_data["access"])
    name = _person_name(user, dict(candidates).get(user))
    if delegation.access == Delegation.Access.EDIT:
        return _("%(name)s may now read and edit your plan and budget.") % {"name": name}
    return _("%(name)s may now read your plan and budget.") % {"name": name}


def _withdraw(request, client, page):
    delegation = services.withdraw_delegation(client=client, delegation_id=_chosen_row(request))
    shown = next((d for d in page["network"]["delegations"] if d.pk == delegation.pk), None)
    name = _person_name(delegation.user, shown.close_one if shown else None)
    return _("%(name)s can no longer see your plan or budget. This took effect at once.") % {"name": name}


# What each button of the network page does, and which form shows its refusal (None: a message on top).
NETWORK_ACTIONS = {
    "add_close_one": (_add_close_one, "close_one_form"),
    "remove_close_one": (_remove_close_one, None),
    "allow": (_allow, "delegation_form"),
    "withdraw": (_withdraw, None),
}


@portal_access(AccessLogEntry.What.CLIENT_OVERVIEW, delegates=False)
def portal_network(request, client):
    """The client's network map and who may help them in Avain. The client's own page: a delegate never reaches it,
    so nobody but the client can add, remove, allow or withdraw."""
    network = network_of(client)
    page = {
        "network": network,
        "close_one_form": CloseOneForm(prefix="close_one"),
        "delegation_form": DelegationForm(prefix="allow", candidates=network["candidates"]),
    }
    if request.method == "POST":
        handler, form_name = NETWORK_ACTIONS.get(request.POST.get("action"), (None, None))
        if handler is None:
            messages.error(request, _("Choose what you want to do on this page."))
            return redirect("portal_network", client.pk)
        try:
            done = handler(request, client, page)
        except ValidationError as error:
            if form_name is None:
                for text in error.messages:
                    messages.error(request, text)
                return redirect("portal_network", client.pk)
            page[form_name].add_error(None, error)
        else:
            if done is not None:
                messages.success(request, done)
                return redirect("portal_network", client.pk)
    return render(
        request,
        "people/network.html",
        {
            "client": client,
            **network,
            "close_one_form": page["close_one_form"],
            "delegation_form": page["delegation_form"],
        },
    )
