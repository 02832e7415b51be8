"""Invitations and password resets by email: one-time links, no admin ever types someone's password,
and a "forgot password" form that reveals nobody."""
import re
from email import message_from_string
from email.policy import default

from sqlalchemy import select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.extensions import db
from tests.conftest import csrf_token
from tests.test_lifecycle import smtp  # noqa: F401  (a real SMTP server on loopback)

NEW = {"email": "nova.new@test-health.example", "full_name": "Nova New", "role": "employee", "manager_id": "0"}
PASSPHRASE = "violet harbour lantern 2026"


def body(raw: str) -> str:
    return message_from_string(raw, policy=default).get_body(("plain",)).get_content()  # the text part


def link_in(raw: str, path: str) -> str:
    return re.search(rf"https?://[^/\s]+(/{path}/\S+)", body(raw)).group(1)


def test_a_new_person_is_invited_and_chooses_their_own_password(app, client, people, login, smtp):  # noqa: F811
    login(people.admin)
    added = client.post("/people/new", data={**NEW, "csrf_token": csrf_token(client, "/people/new")},
                        follow_redirects=True)
    assert "An invitation was emailed to nova.new@test-health.example" in added.text
    listed = client.get("/people?q=nova").text
    assert "Not invited" not in listed and "not accepted" in listed
    recipients, raw = smtp.messages[0]
    assert recipients == [NEW["email"]]
    link = link_in(raw, "welcome")

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    page = client.get(link)
    assert page.status_code == 200 and "Welcome, Nova New" in page.text
    token = csrf_token(client, link)
    mismatch = client.post(link, data={"new_password": PASSPHRASE, "confirm": "something else", "csrf_token": token})
    assert mismatch.status_code == 400 and db.session.scalar(select(User.password_hash).where(
        User.email == NEW["email"])) is None
    done = client.post(link, data={"new_password": PASSPHRASE, "confirm": PASSPHRASE, "csrf_token": token})
    assert done.status_code == 302 and client.get("/").status_code == 200  # signed in
    assert client.get(link).status_code == 400  # one time only
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.invitation_accepted"))

    login(people.admin)
    assert "Set up" in client.get("/people?q=nova").text


def test_forgot_password_answers_the_same_for_anyone_and_emails_only_real_accounts(app, client, people, smtp):  # noqa: F811
    answers = []
    for email in (people.employee.email, "nobody@test-health.example", people.deactivated.email):
        form = {"email": email, "csrf_token": csrf_token(client, "/forgot-password")}
        response = client.post("/forgot-password", data=form, follow_redirects=True)
        answers.append(re.search(r"If an active account[^<]*", response.text).group(0))
    assert len(set(answers)) == 1
    assert [to for to, _raw in smtp.messages] == [[people.employee.email]]
    link = link_in(smtp.messages[0][1], "reset-password")
    token = csrf_token(client, link)
    assert client.post(link, data={"new_password": PASSPHRASE, "confirm": PASSPHRASE,
                                   "csrf_token": token}).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    relogin = client.post("/login", data={"email": people.employee.email, "password": PASSPHRASE,
                                          "csrf_token": csrf_token(client)})
    assert relogin.status_code == 302


def test_asking_again_and_again_is_throttled(app, client, people, smtp):  # noqa: F811
    statuses = [client.post("/forgot-password", data={"email": people.employee.email,
                                                      "csrf_token": csrf_token(client, "/forgot-password")}).status_code
                for _ in range(4)]
    assert statuses[:3] == [302, 302, 302] and statuses[3] == 429
    assert len(smtp.messages) == 3


def test_a_tampered_link_or_a_deactivated_person_gets_a_way_forward(app, client, people, login, smtp):  # noqa: F811
    bad = client.get("/welcome/not-a-real-token")
    assert bad.status_code == 400 and "Email me a new link" in bad.text
    login(people.admin)
    client.post(f"/people/{people.employee.id}/invite",
                data={"csrf_token": csrf_token(client, f"/people/{people.employee.id}/edit")})
    link = link_in(smtp.messages[-1][1], "reset-password")  # Eli has a password: a reset link, not an invite
    people.employee.active = False
    db.session.commit()
    assert client.get(link).status_code == 400


def test_people_the_hr_import_creates_are_invited(app, cli, people, smtp):  # noqa: F811
    from pathlib import Path

    fixtures = Path(__file__).parent / "fixtures" / "staff"
    result = cli("staff", "import", str(fixtures / "hr_export.csv"))
    assert result.exit_code == 0, result.output
    created = db.session.scalars(select(User).where(User.password_hash.is_(None), User.active)).all()
    assert created and f"{len(created)} invitation(s) emailed" in result.output
    invited = {to[0] for to, _raw in smtp.messages}
    assert {u.email for u in created} <= invited
    assert all("/welcome/" in body(raw) for _to, raw in smtp.messages)


def test_the_console_backend_prints_the_link_whole(app, client, people, login, capsys):
    app.config.update(MAIL_BACKEND="console")
    login(people.admin)
    client.post("/people/new", data={**NEW, "csrf_token": csrf_token(client, "/people/new")})
    printed = capsys.readouterr().out
    link = re.search(r"http://\S+/welcome/(\S+)", printed).group(1)
    assert "=\n" not in printed and client.get(f"/welcome/{link}").status_code == 200
