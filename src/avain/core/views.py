"""Sign-in: a password, then a TOTP code from an authenticator app (set up on the first sign-in)."""

import base64

import segno
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from .forms import TokenForm

PENDING_USER = "avain_pending_user"
PENDING_NEXT = "avain_pending_next"
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _safe_next(request, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return reverse("home")


def login_view(request):
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        request.session[PENDING_USER] = user.pk
        request.session[PENDING_NEXT] = _safe_next(request, request.POST.get("next"))
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            return redirect("login_second_factor")
        return redirect("login_enrol")
    return render(request, "core/login.html", {"form": form, "next": request.GET.get("next", "")})


def _pending_user(request):
    pk = request.session.get(PENDING_USER)
    return get_user_model().objects.filter(pk=pk, is_active=True).first() if pk else None


def _finish_login(request, user, device):
    next_url = request.session.get(PENDING_NEXT) or reverse("home")
    login(request, user, backend=BACKEND)  # cycles the session key; the pending keys go with the old session
    otp_login(request, device)
    return redirect(next_url)


def second_factor_view(request):
    user = _pending_user(request)
    if user is None:
        return redirect("login")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in TOTPDevice.objects.filter(user=user, confirmed=True):
            if device.verify_token(form.cleaned_data["token"]):
                return _finish_login(request, user, device)
        form.add_error("token", _("The code is wrong or too old. Type the six digits your app shows now."))
    return render(request, "core/second_factor.html", {"form": form})


def enrol_view(request):
    """First sign-in: the user adds Avain to an authenticator app and proves it works with one code."""
    user = _pending_user(request)
    if user is None:
        return redirect("login")
    device, _created = TOTPDevice.objects.get_or_create(user=user, confirmed=False, defaults={"name": "authenticator"})
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            return _finish_login(request, user, device)
        form.add_error("token", _("The code is wrong or too old. Type the six digits your app shows now."))
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=4, title=_("QR code for the authenticator app"))
    return render(
        request,
        "core/enrol.html",
        {"form": form, "qr_svg": qr_svg, "secret": _base32_secret(device)},
    )


def _base32_secret(device: TOTPDevice) -> str:
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@require_POST
def logout_view(request):
    logout(request)
    return redirect("login")
