"""What follows a delivery attempt, and which addresses are refused (pure rules, no HTTP)."""
from datetime import datetime, timedelta, timezone

import pytest

from app.webhooks.rules import RETRY_AFTER, after_attempt
from app.webhooks.transport import refusal

NOW = datetime(2026, 12, 8, 9, 0, tzinfo=timezone.utc)


def test_success_clears_the_failing_mark():
    assert after_attempt(204, 3, NOW - timedelta(hours=2), NOW) == after_attempt(200, 1, None, NOW)
    assert after_attempt(204, 3, NOW, NOW).failing_since is None


@pytest.mark.parametrize("status", [None, 500, 502, 503, 504, 408, 429])
def test_server_errors_timeouts_and_throttling_are_retried_at_growing_intervals(status):
    waits = [after_attempt(status, n, NOW, NOW).next_attempt_at - NOW for n in range(1, len(RETRY_AFTER) + 1)]
    assert waits == sorted(waits) and waits[0] == timedelta(seconds=5)
    assert timedelta(hours=24) < sum(waits, timedelta()) < timedelta(hours=30)  # about a day
    assert after_attempt(status, len(RETRY_AFTER) + 1, NOW, NOW).status == "failed"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 301])
def test_a_refusal_is_not_retried(status):
    outcome = after_attempt(status, 1, None, NOW)
    assert outcome.status == "failed" and outcome.failing_since == NOW and not outcome.disable_reason


def test_410_gone_stops_and_switches_the_endpoint_off():
    outcome = after_attempt(410, 1, None, NOW)
    assert outcome.status == "gone" and "410 Gone" in outcome.disable_reason


def test_a_day_of_failures_switches_the_endpoint_off():
    assert not after_attempt(503, 2, NOW - timedelta(hours=23), NOW).disable_reason
    outcome = after_attempt(503, 8, NOW - timedelta(hours=24), NOW)
    assert outcome.status == "failed" and "a day or more" in outcome.disable_reason


@pytest.mark.parametrize("address, reason", [
    ("127.0.0.1", "a loopback address"), ("::1", "a loopback address"), ("::ffff:127.0.0.1", "a loopback address"),
    ("10.0.0.5", "a private or reserved address"), ("172.16.3.4", "a private or reserved address"),
    ("192.168.1.1", "a private or reserved address"), ("100.64.0.1", "a private or reserved address"),
    ("169.254.169.254", "a link-local address"), ("fe80::1%eth0", "a link-local address"),
    ("fd00::1", "a private or reserved address"), ("0.0.0.0", "a private or reserved address"),
    ("224.0.0.1", "a private or reserved address"),
    ("93.184.216.34", None), ("2606:4700::1111", None),
])
def test_only_public_addresses_are_allowed(address, reason):
    assert refusal(address) == reason
