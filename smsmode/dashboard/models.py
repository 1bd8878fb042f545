"""The dashboard's aggregates: what the charts read instead of the messages table.

A message counts once it has left the queue: handed to the carrier (submitted) or
finished without it (failed, unknown). Cancelled, queued, held and scheduled messages
were not sent and do not count. Its moment is when it was submitted, or when it
finished for one never submitted; that moment never changes afterwards, so a delivery
report only moves the message from one state to another within its bucket.

Writers append `StatDelta` rows in the transaction that changes a message (inserts
only: no two workers ever wait on one counter row); `stats.fold` adds them into the
daily and hourly tables every minute. Readers add the few deltas not folded yet, so
the figures are exact at every page load. `stats.rebuild` recomputes any period
from the messages.
"""

from django.db import models


class StatDelta(models.Model):
    """A change of the counts, not folded yet: messages (+1, or -1 and +1 when a
    report moves them) in a 15-minute UTC slot. Every time zone's offset is a
    multiple of 15 minutes, so the slot falls in exactly one local hour."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    # The campaign of a campaign message (test sends: none), for CampaignStat.
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    slot = models.DateTimeField()
    kind = models.CharField(max_length=12)
    operator = models.CharField(max_length=40)
    state = models.CharField(max_length=11)
    messages = models.IntegerField()
    segments = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.slot:%Y-%m-%d %H:%M} {self.kind} {self.state}: {self.messages:+d}"


class DailyStat(models.Model):
    """Messages per local day, kind, operator and state (the account's time zone)."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    kind = models.CharField(max_length=12)
    operator = models.CharField(max_length=40)
    state = models.CharField(max_length=11)
    messages = models.IntegerField(default=0)
    segments = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "day", "kind", "operator", "state"], name="dailystat_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.operator} {self.state}: {self.messages}"


class HourlyStat(models.Model):
    """Messages per local day, hour (0-23) and kind: the hour-of-day chart. A DST
    day has 23 or 25 hours; the repeated hour of autumn holds both."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    hour = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=12)
    messages = models.IntegerField(default=0)
    segments = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "day", "hour", "kind"], name="hourlystat_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.hour:02d}h {self.kind}: {self.messages}"


class ClickStat(models.Model):
    """Clicks by people (bots left out) on the account's short links per local day,
    and clickers: campaign messages clicked for the first time that day."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    clicks = models.IntegerField(default=0)
    clickers = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "day"], name="clickstat_key")]

    def __str__(self) -> str:
        return f"{self.day}: {self.clicks} clicks, {self.clickers} clickers"


class CampaignStat(models.Model):
    """A campaign's sent messages (test sends left out) per state: the delivery rate
    of the campaign list and the dashboard without counting a million messages."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=11)
    messages = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "state"], name="campaignstat_key")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.state}: {self.messages}"
