"""Failed sign-ins, throttled so that guessing is slow and nobody is locked out by someone else.

Counted per account *and* address first, with growing waits (5 in a minute, then 10 in a quarter of
an hour, 20 in an hour, 50 in a day): an attacker elsewhere cannot lock a person out, since the
person's own address has its own count. An address is capped too (100 failures an hour,
LOGIN_LIMIT_PER_ADDRESS), which stops one address trying password after password across many
accounts; but the cap never holds back an account that has signed in from that address in the
last 30 days, so the rest of a hospital behind one NAT address still signs in. Counters live in
Flask-Limiter's storage (Redis with REDIS_URL, so they hold across workers; else per process,
which `postready doctor` and the start-up log warn about).
"""
import time
from dataclasses import dataclass

from flask import current_app
from limits import parse, parse_many
from limits.strategies import MovingWindowRateLimiter

from app.extensions import limiter

SIGNED_IN_HERE = parse("1 per 30 days")  # a marker: this account signed in from this address lately


@dataclass(frozen=True)
class Refusal:
    message: str
    retry_after: int  # seconds


def _window() -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(limiter.storage)


def _key(*parts: str) -> tuple[str, str]:
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or "postready"
    return f"{prefix}-sign-in", "|".join(parts)


def _pair(email: str, address: str) -> tuple[str, str]:
    return _key("pair", email.strip().lower()[:254], address)


def _address(address: str) -> tuple[str, str]:
    return _key("address", address)


def _known(email: str, address: str) -> tuple[str, str]:
    return _key("known", email.strip().lower()[:254], address)


def _wait(window, items, key) -> int | None:
    """Seconds until every exhausted limit frees a slot, or None if none is exhausted."""
    waits = [int(window.get_window_stats(item, *key).reset_time - time.time()) + 1
             for item in items if not window.test(item, *key)]
    return max(waits, default=None)


def refused(email: str, address: str) -> Refusal | None:
    """Whether a sign-in attempt must wait, before the password is checked."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    window, pair = _window(), _pair(email, address)
    wait = _wait(window, parse_many(current_app.config["LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS"]), pair)
    if wait is not None:
        return Refusal("Too many failed sign-ins for this account from here. Wait a little and try again, "
                       "or ask your administrator for a new temporary password.", wait)
    known_here = not window.test(SIGNED_IN_HERE, *_known(email, address))
    address_limits = parse_many(current_app.config["LOGIN_LIMIT_PER_ADDRESS"])
    wait = None if known_here else _wait(window, address_limits, _address(address))
    if wait is not None:
        return Refusal("Too many failed sign-ins from this network. Wait and try again.", wait)
    return None


def count_failure(email: str, address: str) -> None:
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    window, pair = _window(), _pair(email, address)
    for item in parse_many(current_app.config["LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS"]):
        window.hit(item, *pair)
    for item in parse_many(current_app.config["LOGIN_LIMIT_PER_ADDRESS"]):
        window.hit(item, *_address(address))


def count_success(email: str, address: str) -> None:
    """Remember that this account signs in from this address: the address cap will not hold it back."""
    if current_app.config.get("RATELIMIT_ENABLED", True):
        window = _window()
        window.clear(SIGNED_IN_HERE, *_known(email, address))
        window.hit(SIGNED_IN_HERE, *_known(email, address))
