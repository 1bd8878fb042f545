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
