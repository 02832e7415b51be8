"""Every date and time in the reader's time zone (the organisation's, or their own), in one format;
retry times to the second."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from app import create_app
from app.extensions import db
from app.localtime import UnknownTimeZone, clock, day, when, zone_named
from tests.conftest import csrf_token

MOMENT = datetime(2026, 12, 7, 14, 22, 5, tzinfo=timezone.utc)


def test_one_format_in_any_zone():
    chicago = ZoneInfo("America/Chicago")
    assert when(MOMENT, chicago) == "7 Dec 2026, 8:22 am CST"
    assert clock(MOMENT, chicago) == "8:22:05 am CST on 7 Dec"
    assert day(datetime(2026, 12, 8, 3, 0, tzinfo=timezone.utc), chicago) == "7 Dec 2026"  # still the 7th there
    assert day(None) == "—"
    with pytest.raises(UnknownTimeZone):
        zone_named("Mars/Olympus")


def test_a_wrong_org_time_zone_stops_start_up(tmp_path, database_url):
    from tests.conftest import _config

    with pytest.raises(UnknownTimeZone, match="Mars/Base"):
        create_app({**_config(database_url, tmp_path), "ORG_TIMEZONE": "Mars/Base"})


def test_a_person_chooses_their_zone_and_pages_follow(app, client, course, people, login):
    app.config["ORG_TIMEZONE"] = "America/New_York"
    login(people.employee)
    page = client.get("/account/time-zone").text
    assert "The organisation&#39;s (America/New_York)" in page and " EST" in page
    bad = client.post("/account/time-zone", data={"timezone": "Mars/Base", "csrf_token": csrf_token(client, "/")})
    assert bad.status_code == 400 and db.session.get(type(people.employee), people.employee.id).timezone is None
    saved = client.post("/account/time-zone", data={"timezone": "Asia/Tokyo",
                                                    "csrf_token": csrf_token(client, "/account/time-zone")},
                        follow_redirects=True)
    assert "now shown in Asia/Tokyo" in saved.text and " JST" in saved.text


def test_certificates_print_dates_on_the_organisations_calendar(app, course, people):
    from app.certificates.models import Certificate
    from app.certificates.services import certificate_document
    from tests.factories import certify

    certify(people.employee, datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc), platforms=())
    certificate = db.session.query(Certificate).first()
    app.config["ORG_TIMEZONE"] = "Pacific/Kiritimati"  # UTC+14: noon UTC is already the next day there
    assert certificate_document(certificate).issued_at.date().isoformat() == "2026-12-08"
    app.config["ORG_TIMEZONE"] = "UTC"
    assert certificate_document(certificate).issued_at.date().isoformat() == "2026-12-07"
