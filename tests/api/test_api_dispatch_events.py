"""Status events of API messages from the dispatch side: the sweep of a dead worker's
messages records one event per message it changes."""

import datetime
from decimal import Decimal

import django_rq
import pytest
from django.utils import timezone

from campaigns.dispatch import messages_sweep_stale
from campaigns.models import Message
from smsmode.webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _redis():
    redis = django_rq.get_connection("default")
    redis.flushdb()
    yield
    redis.flushdb()


def test_the_sweep_records_an_event_for_each_api_message_it_changes(team, settings):
    settings.SMS_SUBMITTING_TIMEOUT = 60
    long_ago = timezone.now() - datetime.timedelta(minutes=10)
    for i in range(3):
        Message.objects.create(
            account=team.account,
            kind="notification",
            phone=f"+3361234567{i}",
            sender="ACME",
            body="x",
            encoding="GSM7",
            segments=1,
            cost=Decimal(1),
            status="submitting",
            claimed_at=long_ago,
            api_flow="TRANSACTIONAL",
            callback_url_status="https://hooks.example/status",
        )
    assert messages_sweep_stale() == 3
    assert set(Message.objects.values_list("status", flat=True)) == {"unknown"}
    assert WebhookDelivery.objects.filter(kind="status").count() == 3
    assert messages_sweep_stale() == 0
    assert WebhookDelivery.objects.count() == 3
