"""The marketing send window: France's days, hours, holidays and clock changes."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsmode.sms import windows
from smsmode.sms.windows import MarketingWindow, held_until, is_allowed, next_allowed

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def paris(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=PARIS, fold=fold)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_saturday_1959_is_allowed():
    assert is_allowed(paris(2026, 7, 11, 19, 59, 59), "FR")


def test_saturday_2000_waits_for_monday_0800():
    moment = paris(2026, 7, 11, 20, 0)
    assert not is_allowed(moment, "FR")
    assert next_allowed(moment, "FR") == paris(2026, 7, 13, 8, 0)


def test_saturday_evening_waits_for_tuesday_when_monday_is_whit_monday():
    assert next_allowed(paris(2026, 5, 23, 20, 0), "FR") == paris(2026, 5, 26, 8, 0)


def test_sunday_waits_for_monday_0800():
    assert not is_allowed(paris(2026, 7, 12, 12, 0), "FR")
    assert next_allowed(paris(2026, 7, 12, 12, 0), "FR") == paris(2026, 7, 13, 8, 0)


def test_friday_0759_waits_for_0800_the_same_day():
    assert next_allowed(paris(2026, 7, 10, 7, 59), "FR") == paris(2026, 7, 10, 8, 0)


def test_seconds_before_opening_round_up_to_the_opening_minute():
    result = next_allowed(paris(2026, 7, 10, 7, 59, 30, 500), "FR")
    assert result == paris(2026, 7, 10, 8, 0)
    assert (result.second, result.microsecond) == (0, 0)


def test_an_allowed_moment_is_returned_as_is_seconds_included():
    moment = utc(2026, 7, 10, 10, 15, 42, 123)
    assert next_allowed(moment, "FR") is moment


def test_after_2000_on_a_weekday_waits_for_the_next_morning():
    assert next_allowed(paris(2026, 7, 8, 21, 30), "FR") == paris(2026, 7, 9, 8, 0)


def test_bastille_day_waits_for_the_next_morning():
    # 14 July 2026 is a Tuesday.
    assert not is_allowed(paris(2026, 7, 14, 10, 0), "FR")
    assert next_allowed(paris(2026, 7, 14, 10, 0), "FR") == paris(2026, 7, 15, 8, 0)
    assert next_allowed(paris(2026, 7, 13, 20, 0), "FR") == paris(2026, 7, 15, 8, 0)


def test_easter_monday_waits_for_tuesday():
    # Easter Monday 2027 is 29 March, the day after the spring clock change.
    assert next_allowed(paris(2027, 3, 29, 10, 0), "FR") == paris(2027, 3, 30, 8, 0)
    assert next_allowed(paris(2027, 3, 27, 20, 0), "FR") == paris(2027, 3, 30, 8, 0)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (paris(2026, 5, 1, 9, 0), paris(2026, 5, 2, 8, 0)),  # Labour Day, a Friday
        (paris(2026, 12, 25, 9, 0), paris(2026, 12, 26, 8, 0)),  # Christmas, a Friday
        (paris(2026, 12, 31, 20, 0), paris(2027, 1, 2, 8, 0)),  # over New Year's Day
        (paris(2026, 5, 14, 12, 0), paris(2026, 5, 15, 8, 0)),  # Ascension Thursday
    ],
)
def test_public_holidays_are_closed(moment, expected):
    assert next_allowed(moment, "FR") == expected


def test_boxing_day_is_open_outside_alsace_moselle():
    assert is_allowed(paris(2026, 12, 26, 10, 0), "FR")


def test_the_answer_is_in_paris_time_for_a_moment_given_in_utc():
    # 2026-07-10 05:59 UTC is 07:59 in Paris (UTC+2 in summer).
    result = next_allowed(utc(2026, 7, 10, 5, 59), "FR")
    assert result == utc(2026, 7, 10, 6, 0)
    assert result.tzinfo == PARIS
    assert (result.hour, result.minute) == (8, 0)


def test_the_window_closes_at_1800_utc_in_summer_and_1900_utc_in_winter():
    assert is_allowed(utc(2026, 7, 10, 17, 59), "FR")
    assert not is_allowed(utc(2026, 7, 10, 18, 0), "FR")
    assert is_allowed(utc(2026, 1, 9, 18, 59), "FR")
    assert not is_allowed(utc(2026, 1, 9, 19, 0), "FR")


def test_a_moment_in_another_time_zone_is_judged_in_paris():
    # 02:30 in New York is 08:30 in Paris.
    assert is_allowed(datetime(2026, 7, 10, 2, 30, tzinfo=NEW_YORK), "FR")
    assert not is_allowed(datetime(2026, 7, 10, 1, 30, tzinfo=NEW_YORK), "FR")


def test_the_saturday_before_spring_forward_waits_until_0600_utc_monday():
    # Sunday 29 March 2026: 02:00 CET becomes 03:00 CEST.
    assert is_allowed(utc(2026, 3, 28, 18, 59), "FR")  # 19:59 CET
    assert not is_allowed(utc(2026, 3, 28, 19, 0), "FR")  # 20:00 CET
    assert next_allowed(utc(2026, 3, 28, 19, 0), "FR") == utc(2026, 3, 30, 6, 0)  # 08:00 CEST


@pytest.mark.parametrize(
    "moment",
    [
        utc(2026, 3, 29, 0, 59),  # 01:59 CET, just before the change
        utc(2026, 3, 29, 1, 0),  # 03:00 CEST, just after
        paris(2026, 3, 29, 2, 30),  # a wall time that does not exist that night
    ],
)
def test_the_spring_forward_night_waits_until_monday_0800_cest(moment):
    assert next_allowed(moment, "FR") == utc(2026, 3, 30, 6, 0)


def test_opening_moves_an_hour_earlier_in_utc_across_spring_forward():
    assert next_allowed(utc(2026, 3, 27, 6, 59), "FR") == utc(2026, 3, 27, 7, 0)  # Friday, CET
    assert next_allowed(utc(2026, 3, 30, 5, 59), "FR") == utc(2026, 3, 30, 6, 0)  # Monday, CEST


def test_the_saturday_before_fall_back_waits_until_0700_utc_monday():
    # Sunday 25 October 2026: 03:00 CEST becomes 02:00 CET.
    assert is_allowed(utc(2026, 10, 24, 17, 59), "FR")  # 19:59 CEST
    assert not is_allowed(utc(2026, 10, 24, 18, 0), "FR")  # 20:00 CEST
    assert next_allowed(utc(2026, 10, 24, 18, 0), "FR") == utc(2026, 10, 26, 7, 0)  # 08:00 CET


@pytest.mark.parametrize(
    "moment",
    [
        utc(2026, 10, 25, 0, 30),  # 02:30 CEST, the first time
        utc(2026, 10, 25, 1, 30),  # 02:30 CET, the second time
        paris(2026, 10, 25, 2, 30, fold=1),
    ],
)
def test_the_repeated_hour_of_fall_back_waits_until_monday_0800_cet(moment):
    assert next_allowed(moment, "FR") == utc(2026, 10, 26, 7, 0)


def test_notifications_are_never_held():
    sunday_night = paris(2026, 7, 12, 3, 0)
    assert held_until(sunday_night, "FR", "notification") is None
    assert held_until(paris(2026, 7, 14, 12, 0), "FR", "notification") is None


def test_marketing_outside_the_window_is_held_until_the_next_allowed_minute():
    assert held_until(paris(2026, 7, 12, 3, 0), "FR", "marketing") == paris(2026, 7, 13, 8, 0)


def test_marketing_inside_the_window_is_not_held():
    assert held_until(paris(2026, 7, 13, 8, 0), "FR", "marketing") is None


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind"):
        held_until(paris(2026, 7, 13, 8, 0), "FR", "transactional")


def test_a_country_without_a_rule_is_always_allowed():
    sunday_night = datetime(2026, 7, 12, 3, 0, tzinfo=NEW_YORK)
    assert "US" not in windows.MARKETING_WINDOWS
    assert is_allowed(sunday_night, "US")
    assert next_allowed(sunday_night, "US") is sunday_night
    assert held_until(sunday_night, "US", "marketing") is None


def test_the_country_code_is_case_insensitive():
    assert not is_allowed(paris(2026, 7, 12, 12, 0), "fr")


@pytest.mark.parametrize(
    "call",
    [
        lambda moment: is_allowed(moment, "FR"),
        lambda moment: next_allowed(moment, "FR"),
        lambda moment: is_allowed(moment, "US"),
        lambda moment: held_until(moment, "FR", "marketing"),
        lambda moment: held_until(moment, "FR", "notification"),
    ],
)
def test_naive_moments_are_refused(call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call(datetime(2026, 7, 13, 10, 0))


def test_a_rule_that_never_opens_stops_searching_after_a_month(monkeypatch):
    closed = MarketingWindow(
        time_zone=PARIS,
        weekdays=frozenset(),
        opens=time(8),
        closes=time(20),
        holidays_country=None,
    )
    monkeypatch.setitem(windows.MARKETING_WINDOWS, "ZZ", closed)
    with pytest.raises(RuntimeError):
        next_allowed(paris(2026, 7, 13, 10, 0), "ZZ")


def _minutes_between(start: datetime, end: datetime):
    """Every whole minute t with start < t < end (the minute grid is the same in
    UTC and in Paris, whose offsets are whole hours)."""
    minute = start.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    while minute < end:
        yield minute
        minute += timedelta(minutes=1)


_anywhere = st.datetimes(
    min_value=datetime(2026, 1, 1),
    max_value=datetime(2028, 12, 31, 23, 59, 59),
    timezones=st.sampled_from([UTC, PARIS, NEW_YORK, ZoneInfo("Asia/Tokyo")]),
    allow_imaginary=False,
)
# Minutes just before the window opens or after it closes, where answers are near.
_near_the_edges = st.builds(
    lambda day, base, minutes, seconds: (
        datetime.combine(day, base, tzinfo=PARIS) + timedelta(minutes=minutes, seconds=seconds)
    ),
    st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)),
    st.sampled_from([time(5, 0), time(17, 0)]),
    st.integers(min_value=0, max_value=240),
    st.integers(min_value=0, max_value=59),
)


@settings(deadline=None, max_examples=300)
@given(moment=st.one_of(_anywhere, _near_the_edges))
def test_next_allowed_is_the_first_allowed_minute(moment):
    result = next_allowed(moment, "FR")
    assert result >= moment
    assert is_allowed(result, "FR")
    assert result - moment < timedelta(days=4)
    if result == moment:
        return
    assert not is_allowed(moment, "FR")
    assert (result.second, result.microsecond) == (0, 0)
    if result - moment < timedelta(hours=3):
        assert not any(is_allowed(minute, "FR") for minute in _minutes_between(moment, result))
