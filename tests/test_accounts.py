"""Sign-in, sessions, passwords and the administration of people."""
import re

import pytest
from sqlalchemy import select

from app import ConfigurationError, create_app
from app.accounts.models import User
from app.accounts.passwords import check_password_policy
from app.accounts.services import AccountError, PersonFields, update_person
from app.extensions import db
from app.permissions import can_view_person, manages
from app.timestamps import utcnow
from tests.conftest import csrf_token
from tests.factories import PASSWORD


def post(client, path, data, page="/"):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)})


def test_login_errors_do_not_reveal_who_has_an_account(client, people):
    token = csrf_token(client)
    wrong_password = client.post("/login", data={"email": people.employee.email, "password": "nope nope nope",
                                                 "csrf_token": token})
    no_account = client.post("/login", data={"email": "nobody@test-health.example", "password": "nope nope nope",
                                             "csrf_token": token})
    deactivated = client.post("/login", data={"email": people.deactivated.email, "password": PASSWORD,
                                              "csrf_token": token})
    message = "That email and password do not match an active account."
    for response in (wrong_password, no_account, deactivated):
        assert response.status_code == 400 and message in response.text


def test_email_is_case_insensitive(client, people, login):
    people.employee.email  # noqa: B018 - loaded
    response = client.post("/login", data={"email": "ELI@Test-Health.example", "password": PASSWORD,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302


def test_login_without_csrf_token_is_refused(client, people):
    response = client.post("/login", data={"email": people.employee.email, "password": PASSWORD})
    assert response.status_code == 400 and "form had expired" in response.text


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example",
                                    "javascript:alert(1)"])
def test_next_never_leaves_the_site(client, people, target):
    response = client.post(f"/login?next={target}", data={"email": people.employee.email, "password": PASSWORD,
                                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_next_keeps_our_own_path(client, people):
    response = client.post("/login?next=/account/password", data={
        "email": people.employee.email, "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/account/password"


def test_a_second_person_signing_in_on_the_same_browser_replaces_the_first(client, people, login):
    """A shared ward computer: a sign-in form left open in another tab, and someone else signs in."""
    token = csrf_token(client)  # the form, shown before anyone signed in
    login(people.employee)
    # Its token ended with that sign-in: a fresh form comes back, and nobody's account changes.
    stale = client.post("/login", data={"email": people.manager.email, "password": PASSWORD, "csrf_token": token})
    assert stale.status_code == 400 and "sign-in form had expired" in stale.text
    fresh = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', stale.text).group(1)
    response = client.post("/login", data={"email": people.manager.email, "password": PASSWORD, "csrf_token": fresh})
    assert response.status_code == 302
    page = client.get("/", follow_redirects=True).text
    assert f"Sign out <span class=\"visually-hidden\">{people.manager.full_name}</span>" in page
    assert people.employee.full_name not in page


def test_a_failed_sign_in_on_a_signed_in_browser_leaves_it_as_it_was(client, people, login):
    token = csrf_token(client)
    login(people.employee)
    response = client.post("/login", data={"email": people.manager.email, "password": "not the password",
                                           "csrf_token": token})
    assert response.status_code == 400
    assert f"Sign out <span class=\"visually-hidden\">{people.employee.full_name}</span>" in \
        client.get("/", follow_redirects=True).text


def test_logout_ends_a_copied_session_cookie(app, client, people, login):
    login(people.employee)
    stolen = client.get_cookie("postready_session").value
    post(client, "/logout", {})
    thief = app.test_client()
    thief.set_cookie("postready_session", stolen, domain="localhost")
    assert thief.get("/").status_code == 302


def test_deactivation_ends_sessions(app, client, people, login):
    login(people.employee)
    admin = app.test_client()
    admin.post("/login", data={"email": people.admin.email, "password": PASSWORD, "csrf_token": csrf_token(admin)})
    response = post(admin, f"/people/{people.employee.id}/deactivate", {}, page=f"/people/{people.employee.id}/edit")
    assert response.status_code == 302, response.text
    assert client.get("/").status_code == 302
    assert not db.session.get(User, people.employee.id).active


def test_admin_creates_and_edits_a_person(client, people, login):
    login(people.admin)
    response = post(client, "/people/new", {
        "email": "New.Hire@Test-Health.example", "full_name": "  Zoë   Ng ", "role": "employee",
        "manager_id": str(people.manager.id), "department": "Nursing", "hire_date": "2026-11-02"}, page="/people/new")
    assert response.status_code == 302
    person = db.session.scalar(select(User).where(User.email == "new.hire@test-health.example"))
    assert person.full_name == "Zoë Ng" and person.manager_id == people.manager.id
    assert person.password_hash is None  # no admin types a password: they choose one from the invitation
    again = post(client, "/people/new", {
        "email": "new.hire@test-health.example", "full_name": "Dup", "role": "employee", "manager_id": "0"},
        page="/people/new")
    assert again.status_code == 400 and "already has that email" in again.text
    assert "Zoë Ng" in client.get("/people?q=zo").text


def test_reporting_line_cannot_loop(app, people):
    fields = PersonFields(people.manager.email, people.manager.full_name, "manager", people.indirect.id, "Nursing",
                          None)
    with pytest.raises(AccountError, match="cannot loop"):
        update_person(people.admin, people.manager, fields, utcnow())


def test_non_admins_cannot_manage_people(client, people, login):
    login(people.manager)
    assert client.get("/people").status_code == 403
    assert client.get(f"/people/{people.employee.id}/edit").status_code == 403


def test_reporting_line_predicates(people):
    assert manages(people.manager, people.indirect) and not manages(people.other_manager, people.indirect)
    assert can_view_person(people.manager, people.indirect)
    assert not can_view_person(people.other_manager, people.employee)
    assert can_view_person(people.admin, people.other_employee)
    assert not can_view_person(people.employee, people.manager)


def test_password_policy():
    assert check_password_policy("correct horse battery").ok
    assert not check_password_policy("short").ok
    assert not check_password_policy("x" * 129).ok
    assert not check_password_policy("aaaaaaaaaaaaaa").ok


def test_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db", "TESTING": True})
