"""The client's network map and who may help them in Avain: the services and the page "My close people and helpers"."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from avain.core.clock import frozen_at
from avain.organisations.models import Role
from avain.people.models import AccessLogEntry, CloseOne, Delegation
from avain.people.selectors import active_delegation, clients_helped_by, network_of
from avain.people.services import (
    add_close_one,
    grant_delegation,
    remove_close_one,
    withdraw_delegation,
)
from avain.testing import (
    case_in_planning,
    db_snapshot,
    login_verified,
    make_assistant,
    make_client,
    make_close_one,
    make_organiser,
    make_staff,
    make_user,
    refused,
)

pytestmark = pytest.mark.django_db

HELSINKI = ZoneInfo("Europe/Helsinki")
MOMENT = dt.datetime(2025, 3, 4, 12, 0, tzinfo=HELSINKI)
LATER = dt.datetime(2025, 5, 6, 8, 30, tzinfo=HELSINKI)


def url(client_record) -> str:
    return reverse("portal_network", args=[client_record.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def aino():
    """A client with a sign-in, a sister in the network map who has a sign-in, and a neighbour who has none."""
    client_record = make_client(make_organiser(), first_name="Aino", login=True)
    make_close_one(client_record, "Liisa Läheinen", with_login=True, relationship="sisko")
    make_close_one(client_record, "Ville Naapuri", relationship="naapuri")
    return client_record


def sister(client_record) -> CloseOne:
    return CloseOne.objects.get(client=client_record, name="Liisa Läheinen")


# --- Services ------------------------------------------------------------------------------------------------


def test_granting_the_same_access_again_keeps_the_first_grant():
    client_record = make_client(make_organiser())
    helper = make_assistant(client_record.organiser)
    with frozen_at(MOMENT):
        first = grant_delegation(client=client_record, user=helper, access=Delegation.Access.EDIT)
    with frozen_at(LATER):
        again = grant_delegation(client=client_record, user=helper, access=Delegation.Access.EDIT)
    assert again.pk == first.pk
    assert Delegation.objects.get(pk=first.pk).granted_at == MOMENT
    assert Delegation.objects.filter(client=client_record).count() == 1


def test_withdrawing_ends_only_that_permission_at_once():
    client_record = make_client(make_organiser())
    helper, other = make_assistant(client_record.organiser), make_assistant(client_record.organiser)
    mine = grant_delegation(client=client_record, user=helper, access=Delegation.Access.EDIT)
    theirs = grant_delegation(client=client_record, user=other, access=Delegation.Access.READ)
    with frozen_at(LATER):
        withdrawn = withdraw_delegation(client=client_record, delegation_id=mine.pk)
    assert withdrawn.pk == mine.pk
    assert Delegation.objects.get(pk=mine.pk).withdrawn_at == LATER
    assert Delegation.objects.get(pk=theirs.pk).withdrawn_at is None
    assert active_delegation(helper, client_record) is None
    assert list(clients_helped_by(helper)) == []
    assert list(clients_helped_by(other)) == [client_record]


def test_a_client_cannot_withdraw_or_remove_another_clients_rows():
    organiser = make_organiser()
    client_record, other_client = make_client(organiser), make_client(organiser)
    helper = make_assistant(organiser)
    their_delegation = grant_delegation(client=other_client, user=helper, access=Delegation.Access.READ)
    their_close_one = make_close_one(other_client)
    refused("already_withdrawn", withdraw_delegation, client=client_record, delegation_id=their_delegation.pk)
    refused("already_withdrawn", withdraw_delegation, client=client_record, delegation_id=None)
    refused("not_found", remove_close_one, client=client_record, close_one_id=their_close_one.pk)
    refused("not_found", remove_close_one, client=client_record, close_one_id=None)


def test_only_candidates_of_the_clients_own_organiser_can_be_let_in(aino):
    other_organisers_assistant = make_assistant(make_organiser())
    neighbour = CloseOne.objects.get(client=aino, name="Ville Naapuri")
    someone_elses_sister = make_close_one(make_client(aino.organiser), with_login=True)
    assert neighbour.user is None
    for user in (other_organisers_assistant, someone_elses_sister.user, make_user(), aino.user):
        refused("not_a_candidate", grant_delegation, client=aino, user=user, access=Delegation.Access.READ)
    refused("unknown_access", grant_delegation, client=aino, user=sister(aino).user, access="admin")


def test_a_removed_close_one_can_no_longer_be_let_in(aino):
    user = sister(aino).user
    remove_close_one(client=aino, close_one_id=sister(aino).pk)
    refused("not_a_candidate", grant_delegation, client=aino, user=user, access=Delegation.Access.READ)


def test_add_close_one_refuses_a_blank_name_and_saves_nothing(aino):
    from django.core.exceptions import ValidationError

    before = db_snapshot()
    with pytest.raises(ValidationError) as error:
        add_close_one(client=aino, name="   ", relationship="ystävä")
    assert "name" in error.value.message_dict
    assert db_snapshot() == before


def test_network_of_tells_close_ones_helpers_and_candidates_apart(aino):
    assistant = make_assistant(aino.organiser)
    make_assistant(make_organiser())  # another organiser's assistant is never offered
    grant_delegation(client=aino, user=sister(aino).user, access=Delegation.Access.READ)
    network = network_of(aino)
    assert [c.name for c in network["close_ones"]] == ["Liisa Läheinen", "Ville Naapuri"]
    assert [(d.user, d.close_one) for d in network["delegations"]] == [(sister(aino).user, sister(aino))]
    assert {user: close_one for user, close_one in network["candidates"]} == {
        sister(aino).user: sister(aino),
        assistant: None,
    }


# --- The page ------------------------------------------------------------------------------------------------


def test_the_client_sees_their_network_and_helpers_and_reading_it_is_not_logged(client, aino):
    assistant = make_assistant(aino.organiser)
    assistant.first_name, assistant.last_name = "Sari", "Avustaja"
    assistant.save()
    with frozen_at(MOMENT):
        grant_delegation(client=aino, user=assistant, access=Delegation.Access.EDIT)
    client.force_login(aino.user)
    response = client.get(url(aino), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Liisa Läheinen", "sisko", "Ville Naapuri", "Who may help me in Avain", "Sari Avustaja (HB assistant)"):
        assert text in html
    assert "May read and edit" in html
    assert 'aria-label="Withdraw the permission of Sari Avustaja"' in html
    # Only the sister (who has a sign-in) and the HB assistant can be chosen; the neighbour cannot.
    options = response.context["delegation_form"].fields["person"].choices
    assert [label for value, label in options if value] == ["Sari Avustaja (HB assistant)", "Liisa Läheinen (sisko)"]
    assert f'href="{url(aino)}" aria-current="page"' in html  # the link in the client's navigation
    assert not AccessLogEntry.objects.filter(client=aino).exists()


def test_the_client_adds_and_removes_a_close_one(client, aino):
    client.force_login(aino.user)
    response = client.post(
        url(aino),
        {
            "action": "add_close_one",
            "close_one-name": " Matti Ystävä ",
            "close_one-relationship": "ystävä",
            "close_one-helps_with": "Lähtee mukaan uimahallille.",
        },
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    added = CloseOne.objects.get(client=aino, name="Matti Ystävä")
    assert (added.relationship, added.helps_with, added.user, added.organiser_id) == (
        "ystävä",
        "Lähtee mukaan uimahallille.",
        None,
        aino.organiser_id,
    )
    assert messages_of(response) == ["Matti Ystävä is now in your network map."]

    response = client.post(url(aino), {"action": "remove_close_one", "row": added.pk}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert not CloseOne.objects.filter(pk=added.pk).exists()
    assert messages_of(response) == [
        "Matti Ystävä is removed from your network map. They cannot see your plan or budget in Avain."
    ]


def test_removing_a_close_one_on_the_page_ends_their_permission(client, aino):
    grant_delegation(client=aino, user=sister(aino).user, access=Delegation.Access.EDIT)
    user = sister(aino).user
    client.force_login(aino.user)
    client.post(url(aino), {"action": "remove_close_one", "row": sister(aino).pk})
    assert active_delegation(user, aino) is None


@pytest.mark.parametrize(
    "data, message",
    [
        ({"close_one-name": "", "close_one-relationship": "ystävä"}, "Write the name of the person."),
        ({"close_one-name": "   ", "close_one-relationship": "ystävä"}, "Write the name of the person."),
        (
            {"close_one-name": "Matti", "close_one-relationship": ""},
            "Write who the person is to you, for example sister or friend.",
        ),
    ],
)
def test_adding_a_close_one_without_a_name_or_relationship_is_refused(client, aino, data, message):
    client.force_login(aino.user)
    before = db_snapshot()
    response = client.post(url(aino), {"action": "add_close_one", **data}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert db_snapshot() == before


def test_the_client_lets_an_hb_assistant_edit_and_the_assistant_then_can(client, aino):
    case = case_in_planning(client=aino)
    assistant = make_assistant(aino.organiser)
    client.force_login(aino.user)
    with frozen_at(MOMENT):
        response = client.post(
            url(aino),
            {"action": "allow", "allow-person": assistant.pk, "allow-access": "edit"},
            HTTP_ACCEPT_LANGUAGE="en",
            follow=True,
        )
    delegation = Delegation.objects.get(client=aino, user=assistant)
    assert (delegation.access, delegation.granted_at, delegation.withdrawn_at) == ("edit", MOMENT, None)
    assert messages_of(response) == [f"{assistant.get_full_name()} may now read and edit your plan and budget."]

    client.force_login(assistant)
    plan_url = reverse("portal_plan", args=[case.client_id])
    assert client.get(plan_url).status_code == 200
    assert list(clients_helped_by(assistant)) == [aino]


def test_the_client_lets_a_close_one_read(client, aino):
    client.force_login(aino.user)
    response = client.post(
        url(aino), {"action": "allow", "allow-person": sister(aino).user.pk, "allow-access": "read"}, follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert Delegation.objects.get(client=aino, user=sister(aino).user).access == "read"
    assert messages_of(response) == ["Liisa Läheinen may now read your plan and budget."]


def test_allowing_someone_who_is_not_in_the_list_is_refused_and_changes_nothing(client, aino):
    stranger = make_user()
    other_organisers_assistant = make_assistant(make_organiser())
    client.force_login(aino.user)
    before = db_snapshot()
    # The form names people by their sign-in; the neighbour has none, so there is no way to name him at all.
    for person in (stranger.pk, other_organisers_assistant.pk, aino.user.pk, "x", "999999"):
        response = client.post(
            url(aino), {"action": "allow", "allow-person": person, "allow-access": "read"}, HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 200
        assert "Choose one of the people in the list." in response.content.decode(), person
    response = client.post(url(aino), {"action": "allow", "allow-access": "read"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Choose who may help you." in response.content.decode()
    for access in ("", "admin"):
        response = client.post(
            url(aino), {"action": "allow", "allow-person": sister(aino).user.pk, "allow-access": access},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert "Choose whether they may only read or also edit." in response.content.decode()
    assert db_snapshot() == before


def test_the_client_withdraws_a_permission_and_the_delegate_is_refused_at_once(client, aino):
    case = case_in_planning(client=aino)
    assistant = make_assistant(aino.organiser)
    delegation = grant_delegation(client=aino, user=assistant, access=Delegation.Access.EDIT)
    client.force_login(aino.user)
    with frozen_at(LATER):
        response = client.post(url(aino), {"action": "withdraw", "row": delegation.pk}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert Delegation.objects.get(pk=delegation.pk).withdrawn_at == LATER
    assert messages_of(response) == [
        f"{assistant.get_full_name()} can no longer see your plan or budget. This took effect at once."
    ]
    client.force_login(assistant)
    assert client.get(reverse("portal_plan", args=[case.client_id])).status_code == 404
    assert client.post(reverse("portal_plan", args=[case.client_id]), {"action": "save"}).status_code == 404
    assert aino.full_name not in client.get(reverse("home")).content.decode()


def test_withdrawing_twice_or_a_row_that_is_not_there_says_so_and_changes_nothing(client, aino):
    delegation = grant_delegation(client=aino, user=sister(aino).user, access=Delegation.Access.READ)
    withdraw_delegation(client=aino, delegation_id=delegation.pk)
    other = grant_delegation(
        client=make_client(aino.organiser), user=make_assistant(aino.organiser), access=Delegation.Access.READ
    )
    client.force_login(aino.user)
    before = db_snapshot()
    for row in (delegation.pk, other.pk, "", "abc"):
        response = client.post(url(aino), {"action": "withdraw", "row": row}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
        assert messages_of(response) == ["This permission has already been withdrawn."], row
    someone_elses = make_close_one(make_client(aino.organiser), "Toisen Läheinen")
    before = db_snapshot()
    for row in (someone_elses.pk, "", "-1"):
        response = client.post(url(aino), {"action": "remove_close_one", "row": row}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
        assert messages_of(response) == ["This person is no longer in your network map."], row
    response = client.post(url(aino), {"action": "delete_everything"}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert messages_of(response) == ["Choose what you want to do on this page."]
    assert db_snapshot() == before


@pytest.mark.parametrize("access", ["read", "edit"])
def test_a_delegate_can_neither_open_nor_change_the_network_page(client, aino, access):
    assistant = make_assistant(aino.organiser)
    grant_delegation(client=aino, user=assistant, access=access)
    delegation = Delegation.objects.get(client=aino, user=assistant)
    client.force_login(assistant)
    before = db_snapshot()
    assert client.get(url(aino)).status_code == 404
    posts = [
        {"action": "withdraw", "row": delegation.pk},
        {"action": "allow", "allow-person": assistant.pk, "allow-access": "edit"},
        {"action": "allow", "allow-person": sister(aino).user.pk, "allow-access": "edit"},
        {"action": "remove_close_one", "row": sister(aino).pk},
        {"action": "add_close_one", "close_one-name": "Uusi", "close_one-relationship": "ystävä"},
    ]
    for data in posts:
        assert client.post(url(aino), data).status_code == 404
    assert db_snapshot() == before  # nothing changed, and the refused visits wrote no access-log entries
    # The delegate's own navigation has no link to the client's network page.
    assert url(aino) not in client.get(reverse("portal_home", args=[aino.pk])).content.decode()


def test_staff_and_other_clients_get_404_and_anonymous_users_are_sent_to_sign_in(client, aino):
    worker = make_staff(aino.organiser, Role.SOCIAL_WORKER)
    other_worker = make_staff(make_organiser(), Role.SOCIAL_WORKER)
    other_client = make_client(aino.organiser, login=True)
    before = db_snapshot("people")  # signing in stamps the users' last sign-in, so only the people app is compared
    response = client.get(url(aino))
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    for user in (worker, other_worker):
        login_verified(client, user)
        assert client.get(url(aino)).status_code == 404
        assert client.post(url(aino), {"action": "remove_close_one", "row": sister(aino).pk}).status_code == 404
    client.force_login(other_client.user)
    assert client.get(url(aino)).status_code == 404
    assert client.post(url(aino), {"action": "remove_close_one", "row": sister(aino).pk}).status_code == 404
    assert client.get(url(other_client)).status_code == 200
    assert db_snapshot("people") == before
