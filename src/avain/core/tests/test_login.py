"""Sign-in: password, then a TOTP code; staff pages need the second factor; the demo switcher is demo-only."""

import pytest
from django.core.checks import run_checks
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from avain.organisations.models import Role
from avain.testing import TEST_PASSWORD, login_verified, make_organiser, make_staff, make_user, totp_token

pytestmark = pytest.mark.django_db


def _password_step(client, user):
    return client.post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD})


def test_password_then_totp_code_signs_in(client):
    user = make_staff(make_organiser(), Role.SOCIAL_WORKER, password=TEST_PASSWORD)
    response = _password_step(client, user)
    assert response.status_code == 302 and response.url == reverse("login_second_factor")
    assert "_auth_user_id" not in client.session  # not signed in before the second factor

    response = client.post(reverse("login_second_factor"), {"token": totp_token(user)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get(reverse("work_queue")).status_code == 200


def test_a_wrong_code_is_refused_with_a_message_in_finnish(client):
    user = make_staff(make_organiser(), Role.SOCIAL_WORKER, password=TEST_PASSWORD)
    _password_step(client, user)
    wrong = f"{(int(totp_token(user)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("login_second_factor"), {"token": wrong}, HTTP_ACCEPT_LANGUAGE="fi")
    assert response.status_code == 200
    assert "Koodi on väärä" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_does_not_reach_the_code_step(client):
    user = make_staff(make_organiser(), Role.SOCIAL_WORKER, password=TEST_PASSWORD)
    response = client.post(reverse("login"), {"username": user.username, "password": "väärä-salasana-123"})
    assert response.status_code == 200
    assert client.get(reverse("login_second_factor")).status_code == 302  # back to the password step


def test_first_sign_in_sets_up_the_authenticator_app(client):
    user = make_user("uusi.tyontekija", password=TEST_PASSWORD)
    response = _password_step(client, user)
    assert response.url == reverse("login_enrol")
    page = client.get(reverse("login_enrol"))
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    from django_otp.oath import TOTP

    token = f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"
    response = client.post(reverse("login_enrol"), {"token": token})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.session["_auth_user_id"] == str(user.pk)


def test_staff_pages_need_the_second_factor(client):
    user = make_staff(make_organiser(), Role.SOCIAL_WORKER)
    client.force_login(user)  # password only
    response = client.get(reverse("work_queue"))
    assert response.status_code == 302 and response.url == reverse("login_second_factor")
    login_verified(client, user)
    assert client.get(reverse("work_queue")).status_code == 200


def test_a_role_without_client_work_is_refused_staff_pages(client):
    login_verified(client, make_staff(make_organiser(), Role.RESEARCHER))
    assert client.get(reverse("client_list")).status_code == 403
    assert client.get(reverse("work_queue")).status_code == 403


def test_persona_switcher_exists_only_in_demo_mode(client, settings):
    user = make_staff(make_organiser(), Role.SOCIAL_WORKER, username="eksote.worker")
    settings.AVAIN_DEMO = False
    assert client.get(reverse("personas")).status_code == 404
    assert client.post(reverse("act_as"), {"username": user.username}).status_code == 404
    assert "_auth_user_id" not in client.session

    settings.AVAIN_DEMO = True
    assert client.get(reverse("personas")).status_code == 200
    response = client.post(reverse("act_as"), {"username": user.username})
    assert response.status_code == 302
    assert client.get(reverse("work_queue")).status_code == 200


def test_persona_switcher_offers_only_demo_personas(client, settings):
    settings.AVAIN_DEMO = True
    stranger = make_staff(make_organiser(), Role.SOCIAL_WORKER, username="not.a.persona")
    assert client.post(reverse("act_as"), {"username": stranger.username}).status_code == 404


def test_deploy_check_fails_while_demo_mode_is_on(settings):
    settings.AVAIN_DEMO = True
    assert "avain.E001" in {m.id for m in run_checks(include_deployment_checks=True)}
    settings.AVAIN_DEMO = False
    assert "avain.E001" not in {m.id for m in run_checks(include_deployment_checks=True)}


def test_signed_in_pages_are_not_cached(client):
    login_verified(client, make_staff(make_organiser(), Role.SOCIAL_WORKER))
    assert client.get(reverse("work_queue"))["Cache-Control"] == "no-store"
