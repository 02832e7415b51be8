"""What follows an attempt to deliver: done, try again later, give up, or stop sending (pure)."""
from dataclasses import dataclass
from datetime import datetime, timedelta

# Waits after the 1st, 2nd… failed attempt: growing, and about a day in all (Standard Webhooks'
# reference schedule), so a receiver down overnight still gets everything.
RETRY_AFTER = (timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
               timedelta(hours=5), timedelta(hours=10), timedelta(hours=10))
DISABLE_AFTER = timedelta(days=1)  # an endpoint failing this long is switched off and the admins told
RETRIED_CODES = {408, 425, 429}  # besides 5xx: the receiver asks to be tried again


@dataclass(frozen=True)
class Outcome:
    status: str  # delivered, pending (tried again at next_attempt_at), failed, gone
    next_attempt_at: datetime | None
    failing_since: datetime | None  # the endpoint's, after this attempt
    disable_reason: str = ""  # not empty: switch the endpoint off


def after_attempt(status_code: int | None, attempts_made: int, failing_since: datetime | None,
                  now: datetime) -> Outcome:
    """`status_code` None: no answer (timeout, connection error, refused address)."""
    if status_code is not None and 200 <= status_code < 300:
        return Outcome("delivered", None, None)
    failing = failing_since or now
    if status_code == 410:
        return Outcome("gone", None, failing, "The receiver answered 410 Gone: it no longer wants these events.")
    disable = ""
    if now - failing >= DISABLE_AFTER:
        disable = f"Every delivery failed since {failing:%-d %b %Y %H:%M} UTC (a day or more)."
    retried = status_code is None or status_code >= 500 or status_code in RETRIED_CODES
    if retried and attempts_made <= len(RETRY_AFTER):
        return Outcome("pending", now + RETRY_AFTER[attempts_made - 1], failing, disable)
    return Outcome("failed", None, failing, disable)
