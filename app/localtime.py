"""Dates and times shown in the reader's time zone, in one format everywhere.

The organisation has a time zone (ORG_TIMEZONE, an IANA name such as America/Chicago); a person may
choose their own on their account page. Stored times stay UTC; only what is shown changes.
"""
from datetime import date, datetime, timezone
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import Flask, current_app
from flask_login import current_user


class UnknownTimeZone(ValueError):
    pass


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnknownTimeZone(f"{name!r} is not a time zone name like America/Chicago or Europe/London.") from None


@cache  # the zone database does not change while the process runs
def choices() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))


def zone_of(user=None) -> ZoneInfo:
    """The person's own zone, else the organisation's."""
    name = getattr(user, "timezone", None) or current_app.config["ORG_TIMEZONE"]
    return zone_named(name)


def current_zone() -> ZoneInfo:
    return zone_of(current_user if getattr(current_user, "is_authenticated", False) else None)


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(zone)


def _clock(local: datetime, seconds: bool = False) -> str:
    hour = local.hour % 12 or 12
    return f"{hour}:{local:%M}{':' + format(local, '%S') if seconds else ''} {'am' if local.hour < 12 else 'pm'}"


def day(value, zone: ZoneInfo | None = None) -> str:
    """7 Dec 2026 (a date as it is; a moment on the reader's calendar)."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = _local(value, zone or current_zone()).date()
    return f"{value.day} {value:%b %Y}" if isinstance(value, date) else str(value)


def when(value: datetime | None, zone: ZoneInfo | None = None, seconds: bool = False) -> str:
    """7 Dec 2026, 8:22 am CST"""
    if value is None:
        return "—"
    local = _local(value, zone or current_zone())
    return f"{local.day} {local:%b %Y}, {_clock(local, seconds)} {local.tzname()}"


def clock(value: datetime, zone: ZoneInfo | None = None) -> str:
    """8:22:05 am CST on 7 Dec: a retry time, to the second."""
    local = _local(value, zone or current_zone())
    return f"{_clock(local, seconds=True)} {local.tzname()} on {local.day} {local:%b}"


def init_localtime(app: Flask) -> None:
    zone_named(app.config["ORG_TIMEZONE"])  # a wrong setting stops start-up with its name
    app.add_template_filter(day, "day")
    app.add_template_filter(when, "when")
    app.add_template_filter(clock, "clock")
