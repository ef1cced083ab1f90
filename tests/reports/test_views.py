"""The email page (post/redirect/get, each member their own, owners a little more) and the unsubscribe page
(no login; GET asks, POST unsubscribes, as a mail client's one-click POST does; a bad token is a 400 page)."""

from __future__ import annotations

import pytest
from django.test import Client

from reports.models import Alert, Subscription
from reports.unsubscribe import make_token
from tests.factories import MembershipFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db
PAGE = "/sites/mail.example/email/"


@pytest.fixture
def site():
    return SiteFactory(domain="mail.example")


def member(site, role):
    user = UserFactory(username=role, email=f"{role}@example.com")
    MembershipFactory(site=site, user=user, role=role)
    client = Client()
    client.force_login(user)
    return user, client


def test_a_viewer_subscribes_themselves(site):
    viewer, client = member(site, "viewer")
    response = client.post(PAGE + "subscriptions", {"week": "on", "send_empty": "on"})
    assert response.status_code == 302
    assert response["Location"] == PAGE
    assert list(Subscription.objects.values_list("user", "period", "send_empty")) == [(viewer.id, "week", True)]
    page = client.get(PAGE)
    assert b"Your reports are saved." in page.content
    assert b'name="week" id="id_week" checked' in page.content
    client.post(PAGE + "subscriptions", {"month": "on"})
    assert list(Subscription.objects.values_list("period", flat=True)) == ["month"]


def test_a_viewer_adds_no_outside_address_and_sees_only_their_alerts(site):
    _, client = member(site, "viewer")
    client.post(PAGE + "recipients", {"email": "team@example.com", "period": "week"})
    assert not Subscription.objects.exists()
    client.post(PAGE + "alerts", {"kind": "spike", "threshold": "50", "cooldown_hours": "2", "email": "x@example.com"})
    assert not Alert.objects.exists()
    client.post(PAGE + "alerts", {"kind": "spike", "threshold": "50", "cooldown_hours": "2"})
    assert Alert.objects.get().address == "viewer@example.com"
    Alert.objects.create(site=site, email="ops@example.com", kind="silence", threshold=6)
    page = client.get(PAGE)
    assert b"viewer@example.com" in page.content
    assert b"ops@example.com" not in page.content


def test_an_owner_mails_an_outside_address_and_removes_it(site):
    _, client = member(site, "owner")
    client.post(PAGE + "recipients", {"email": "team@example.com", "period": "month"})
    sub = Subscription.objects.get()
    assert sub.email == "team@example.com"
    assert b"team@example.com" in client.get(PAGE).content
    client.post(PAGE + f"subscriptions/{sub.id}/delete")
    assert not Subscription.objects.exists()


def test_a_viewer_cannot_remove_anothers_alert(site):
    _, client = member(site, "viewer")
    alert = Alert.objects.create(site=site, email="ops@example.com", kind="silence", threshold=6)
    client.post(PAGE + f"alerts/{alert.id}/delete")
    assert Alert.objects.exists()
    assert b"No such alert." in client.get(PAGE).content


def test_bad_form_input_comes_back_as_a_message(site):
    _, client = member(site, "owner")
    response = client.post(PAGE + "alerts", {"kind": "spike", "threshold": "-3", "cooldown_hours": "x"}, follow=True)
    assert response.status_code == 200
    assert b"threshold:" in response.content
    assert not Alert.objects.exists()


def test_unsubscribe_asks_on_get_and_unsubscribes_on_post_without_login(site):
    sub = Subscription.objects.create(site=site, email="team@example.com", period="week")
    url = f"/unsubscribe/{make_token(sub)}"
    assert Client().head(url).status_code == 200
    page = Client().get(url)
    assert page.status_code == 200
    assert b"Stop getting the weekly report of mail.example?" in page.content
    assert Subscription.objects.exists()
    done = Client(enforce_csrf_checks=True).post(url, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert b"You no longer get the weekly report of mail.example." in done.content
    assert not Subscription.objects.exists()
    again = Client().post(url)
    assert b"You were unsubscribed already." in again.content


def test_a_tampered_token_is_a_400_page(site):
    sub = Subscription.objects.create(site=site, email="team@example.com", period="week")
    token = make_token(sub)
    tampered = token.replace(token.split(":")[0], "WyJzdWJzY3JpcHRpb24iLDJd")  # another row's id, old signature
    for method in ("get", "post"):
        response = getattr(Client(), method)(f"/unsubscribe/{tampered}")
        assert response.status_code == 400
        assert b"not valid" in response.content
    assert Subscription.objects.exists()


def test_unsubscribe_answers_other_methods_405(site):
    sub = Subscription.objects.create(site=site, email="team@example.com", period="week")
    assert Client().put(f"/unsubscribe/{make_token(sub)}").status_code == 405


def test_the_email_page_makes_a_bounded_number_of_queries(site, django_assert_max_num_queries):
    _, client = member(site, "owner")
    for n in range(10):
        Subscription.objects.create(site=site, email=f"team{n}@example.com", period="week")
        Alert.objects.create(site=site, email=f"ops{n}@example.com", kind="spike", threshold=10)
    with django_assert_max_num_queries(12):
        assert client.get(PAGE).status_code == 200
