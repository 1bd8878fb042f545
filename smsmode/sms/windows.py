"""The legal send window for marketing SMS, per country.

France (the only rule so far, the operators' code of conduct): Monday to Saturday,
08:00 <= local time < 20:00 (Europe/Paris), never on a Sunday or a French public
holiday (the national list of the ``holidays`` library; the extra days of
Alsace-Moselle, 26 December and Good Friday, are not holidays there).

A country missing from MARKETING_WINDOWS has no restriction: its marketing SMS go
out at any time. Add a rule there rather than special-casing callers.

Notifications (appointment reminders, codes, deliveries) are never held.

Times are compared as wall-clock times in the country's zone (zoneinfo), so the
daylight-saving changes move the window in UTC as they should. Window edges are
assumed to exist in local time (true for France, which changes at 02:00/03:00).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

# Every rule opens at least one day a week, so the next window is at most a week
# plus a few holidays away; a month of search is a safe bound against a bad rule.
_MAX_SEARCH_DAYS = 31

MARKETING = "marketing"
NOTIFICATION = "notification"


@dataclass(frozen=True)
class MarketingWindow:
    time_zone: ZoneInfo
    weekdays: frozenset[int]  # date.weekday(): Monday is 0, Sunday is 6
    opens: time  # first allowed minute
    closes: time  # first refused minute
    holidays_country: str | None  # public holidays of this country are closed, if set

    def is_open_on(self, day: date) -> bool:
        if day.weekday() not in self.weekdays:
            return False
        return self.holidays_country is None or day not in _holidays(
            self.holidays_country, day.year
        )


MARKETING_WINDOWS: dict[str, MarketingWindow] = {
    "FR": MarketingWindow(
        time_zone=ZoneInfo("Europe/Paris"),
        weekdays=frozenset(range(6)),  # Monday to Saturday
        opens=time(8, 0),
        closes=time(20, 0),
        holidays_country="FR",
    ),
}


@lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year))


def _rule(moment: datetime, country: str) -> MarketingWindow | None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("A send moment must be timezone-aware.")
    return MARKETING_WINDOWS.get(country.upper())


def is_allowed(moment: datetime, country: str) -> bool:
    """May a marketing SMS be sent to ``country`` at ``moment``?

    ``moment`` must be timezone-aware (ValueError otherwise); ``country`` is an ISO
    code. Always True for a country without a rule.
    """
    rule = _rule(moment, country)
    if rule is None:
        return True
    local = moment.astimezone(rule.time_zone)
    return rule.opens <= local.time() < rule.closes and rule.is_open_on(local.date())


def next_allowed(moment: datetime, country: str) -> datetime:
    """The first moment at or after ``moment`` when a marketing SMS may be sent.

    ``moment`` itself (unchanged) if it is allowed, seconds included; otherwise the
    first allowed minute, in the country's time zone, with seconds and microseconds
    zero. Searches at most a month ahead (RuntimeError beyond: a rule that never
    opens). Raises ValueError for a naive ``moment``.
    """
    rule = _rule(moment, country)
    if rule is None:
        return moment
    local = moment.astimezone(rule.time_zone)
    if rule.opens <= local.time() < rule.closes and rule.is_open_on(local.date()):
        return moment

    day = local.date()
    if local.time() >= rule.opens:  # today's window is over (or never opened)
        day += timedelta(days=1)
    for _ in range(_MAX_SEARCH_DAYS):
        if rule.is_open_on(day):
            return datetime.combine(day, rule.opens, tzinfo=rule.time_zone)
        day += timedelta(days=1)
    raise RuntimeError(f"No marketing window within {_MAX_SEARCH_DAYS} days for {country}.")


def held_until(moment: datetime, country: str, kind: str) -> datetime | None:
    """Until when an SMS of ``kind`` sent at ``moment`` must wait; None: send now.

    Notifications are never held. Marketing is held outside the window, until
    next_allowed(). Raises ValueError for a naive ``moment`` or an unknown kind.
    """
    if kind == NOTIFICATION:
        _rule(moment, country)  # a naive moment is a bug for every kind
        return None
    if kind != MARKETING:
        raise ValueError(f"Unknown SMS kind: {kind!r}.")
    if is_allowed(moment, country):
        return None
    return next_allowed(moment, country)
