import pytest

from smsmode.accounts.models import Account

pytestmark = pytest.mark.django_db


def test_it_works(owner_client, team):
    response = owner_client.get("/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Acme" in content
    assert 'data-testid="dashboard-balance">20<' in content


def test_it_shows_the_first_steps(owner_client):
    content = owner_client.get("/").content.decode()
    assert "Get started" in content
    assert "Choose your default sender ID" in content


def test_it_marks_the_sender_step_done_once_set(owner_client, team):
    Account.objects.filter(pk=team.account.pk).update(default_sender_id="ACME")
    content = owner_client.get("/").content.decode()
    assert "text-decoration-line-through" in content


def test_members_see_it_too(member_client):
    assert member_client.get("/").status_code == 200


def test_it_shows_only_the_current_account(outsider_client):
    content = outsider_client.get("/").content.decode()
    assert "Other Co" in content
    assert "Acme" not in content


def test_it_tells_a_suspended_account_that_it_cannot_send(owner_client, team):
    Account.objects.filter(pk=team.account.pk).update(is_suspended=True)
    content = owner_client.get("/").content.decode()
    assert "This account is suspended" in content


def test_it_runs_a_bounded_number_of_queries(owner_client, django_assert_max_num_queries):
    owner_client.get("/")  # warm the session
    with django_assert_max_num_queries(12):
        owner_client.get("/")
