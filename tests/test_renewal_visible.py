"""Annual renewal that people can see: My training names the expiry, offers "Renew", and the modules to
pass again say "Renewal due" (not "Completed"); "Practise again" is only for practice."""
from datetime import timedelta

from app.timestamps import utcnow
from tests.factories import certify

MODULE = "/learn/test-course/privacy/"


def test_a_current_certificate_sits_at_the_top_with_its_download(client, course, people, login):
    certify(people.employee, utcnow() - timedelta(days=10), platforms=())
    login(people.employee)
    page = client.get("/").text
    # What is required first, then the certificate, then the modules themselves.
    assert page.index("What you must do") < page.index("My certificates") < page.index("Required of you")
    assert "✓ Valid until" in page and "Download PDF" in page and ">Renew<" not in page
    assert "Practise again" in client.get(MODULE).text


def test_inside_the_window_renewal_is_due_and_leads_to_the_first_module(client, course, people, login):
    certify(people.employee, utcnow() - timedelta(days=350), platforms=())
    login(people.employee)
    page = client.get("/").text
    assert "Your certification expires on" in page and ">Renew<" in page
    assert f'href="{MODULE}"' in page.split(">Renew<")[0].rsplit("<a", 1)[1]
    assert page.count("Renewal due") == 2  # privacy and replies; not the instagram module
    assert f'<a class="button" href="{MODULE}">Renew' in page  # what is required: renew it, from its first module
    module = client.get(MODULE).text
    assert "Renewal due:" in module and "Start the renewal quiz" in module and "Practise again" not in module


def test_after_expiry_it_says_expired_and_still_offers_renew(client, course, people, login):
    certify(people.employee, utcnow() - timedelta(days=400), platforms=())
    login(people.employee)
    page = client.get("/").text
    assert "Your certification expired on" in page and ">Renew<" in page
