from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from avain.accounts.selectors import invoices_for_provider
from avain.catalogue.selectors import current_prices, provider_of_user
from avain.core.clock import today
from avain.organisations.models import Role
from avain.organisations.selectors import organiser_staff, staff_memberships
from avain.people.selectors import client_of_user, clients_helped_by
from avain.planning.selectors import suppressed_step_counts

from .demo import PERSONAS


@login_required
def home(request):
    """Send each person to where their work is: staff to their queue, a client to their own HB page."""
    memberships = staff_memberships(request.user)
    roles = {m.role for m in memberships}
    if roles and not request.user.is_verified():
        return redirect("login_second_factor")
    if roles & {Role.SOCIAL_WORKER, Role.APPROVER}:
        return redirect("work_queue")
    if Role.FINANCE in roles:
        return redirect("client_list")
    client = client_of_user(request.user)
    if client is not None:
        return redirect("portal_home", client.pk)
    provider = provider_of_user(request.user)
    admin = next((m for m in memberships if m.role == Role.ORGANISER_ADMIN), None)
    researcher = next((m for m in memberships if m.role == Role.RESEARCHER), None)
    return render(
        request,
        "portal/home.html",
        {
            "helped_clients": clients_helped_by(request.user),
            "provider": provider,
            "provider_invoices": invoices_for_provider(provider)[:100] if provider else [],
            "admin": admin,
            "price_list": current_prices(admin.organiser_id, today()) if admin else [],
            "staff": organiser_staff(admin.organiser_id) if admin else [],
            "researcher": researcher,
            "step_counts": suppressed_step_counts(researcher.organiser_id) if researcher else [],
        },
    )


def _demo_only():
    if not settings.AVAIN_DEMO:
        raise Http404


def personas(request):
    _demo_only()
    users = get_user_model().objects.in_bulk([p.username for p in PERSONAS], field_name="username")
    return render(
        request,
        "portal/personas.html",
        {"personas": [(p, users[p.username]) for p in PERSONAS if p.username in users]},
    )


@require_POST
def act_as(request):
    """Demo only: sign in as a persona in one click, through the persona's own second-factor device."""
    _demo_only()
    if request.POST.get("username") not in {p.username for p in PERSONAS}:
        raise Http404
    user = get_object_or_404(get_user_model(), username=request.POST["username"], is_active=True)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        raise Http404
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    otp_login(request, device)
    return redirect("home")
