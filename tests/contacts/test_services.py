import pytest

from contacts.models import OptOut
from contacts.services import optout_add, optouts_add_many

pytestmark = pytest.mark.django_db


def test_many_numbers_are_opted_out_in_one_go_and_existing_ones_are_kept(
    team, django_assert_max_num_queries
):
    first, _ = optout_add(account=team.account, phone="+33612345678", source=OptOut.Source.STOP)
    phones = ["+33612345678", "+33612345679", "+33612345680", "+33612345680"]
    with django_assert_max_num_queries(3):
        added = optouts_add_many(
            account=team.account, phones=phones, source=OptOut.Source.MANUAL, by=team.owner
        )
    assert added == 2
    active = OptOut.objects.filter(account=team.account, removed_at__isnull=True)
    assert sorted(active.values_list("phone", flat=True)) == [
        "+33612345678",
        "+33612345679",
        "+33612345680",
    ]
    first.refresh_from_db()
    assert first.source == OptOut.Source.STOP  # the STOP stays the reason
    assert optouts_add_many(account=team.account, phones=[], source=OptOut.Source.MANUAL) == 0


def test_another_accounts_opt_outs_are_separate(team):
    optouts_add_many(account=team.account, phones=["+33612345678"], source=OptOut.Source.MANUAL)
    assert not OptOut.objects.filter(account=team.outsider_account).exists()


@pytest.mark.skipif(
    __import__("django.db").db.connection.vendor != "postgresql", reason="PostgreSQL indexes"
)
def test_name_and_email_prefix_search_has_indexes_on_postgresql():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'contacts_contact' "
            "AND indexname LIKE 'contact_prefix_%%'"
        )
        names = {row[0] for row in cursor.fetchall()}
    assert names == {
        "contact_prefix_first_name",
        "contact_prefix_last_name",
        "contact_prefix_email",
    }
