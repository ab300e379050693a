from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render

from avain.organisations.access import staff_required
from avain.organisations.models import Role
from avain.organisations.selectors import CLIENT_DATA_ROLES

from . import services
from .access import portal_access
from .forms import ClientForm, ClientSearchForm
from .models import AccessLogEntry
from .selectors import access_log_for_client, clients_for_staff


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
