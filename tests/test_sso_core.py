"""Who a verified identity signs in as (whichever protocol vouched for it), and password sign-in
turned off for everyone but break-glass admins. The protocols themselves: test_sso_oidc.py, test_sso_saml.py."""
import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.accounts.services import AccountError, deactivate_person, set_break_glass
from app.audit.models import AuditEvent
from app.extensions import db
from app.sso.models import SsoIdentity
from app.sso.rules import Outcome, PersonFacts, VerifiedIdentity, admin_change, match_identity
from app.sso.services import SsoRefused, sign_in_identity
from app.timestamps import utcnow
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_user

ISSUER = "https://login.hospital.example/tenant"


def identity(subject="abc-123", email="eli@test-health.example", groups=()):
    return VerifiedIdentity("oidc", ISSUER, subject, email, "Eli Employee", tuple(groups))


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_the_matching_rule():
    person = PersonFacts(7, True, False)
    assert match_identity(identity(), person, None, False).outcome is Outcome.SIGN_IN
    assert match_identity(identity(), None, person, False).outcome is Outcome.LINK
    assert match_identity(identity(), None, PersonFacts(7, True, True), False).outcome is Outcome.TAKEN
    assert match_identity(identity(), None, PersonFacts(7, False, False), False).outcome is Outcome.DEACTIVATED
    assert match_identity(identity(), None, None, False).outcome is Outcome.UNKNOWN
    assert match_identity(identity(), None, None, True).outcome is Outcome.CREATE
    assert match_identity(identity(email=None), None, None, True).outcome is Outcome.UNKNOWN  # nothing to create from
    assert admin_change(("PostReady Admins",), "PostReady Admins", "employee", False) == "grant"
    assert admin_change((), "PostReady Admins", "admin", True) == "revoke"
    assert admin_change((), "PostReady Admins", "admin", False) is None  # made admin in PostReady: untouched
    assert admin_change(("PostReady Admins",), None, "employee", False) is None


def test_first_sign_in_links_by_email_then_the_subject_alone_decides(app, people):
    assert sign_in_identity(identity(), utcnow()).id == people.employee.id
    db.session.commit()
    # The address changed at the provider: the stored subject still finds Eli.
    assert sign_in_identity(identity(email="eli.new@test-health.example"), utcnow()).id == people.employee.id
    # Someone else's subject claiming Eli's address is refused: Eli is linked already.
    with pytest.raises(SsoRefused) as refused:
        sign_in_identity(identity(subject="someone-else"), utcnow())
    assert refused.value.outcome is Outcome.TAKEN
    db.session.commit()
    assert actions().count("sso.linked") == 1 and actions().count("sso.signed_in") == 2
    assert "sso.refused" in actions()


def test_unknown_and_deactivated_people_are_refused_and_recorded(app, people):
    with pytest.raises(SsoRefused, match="not set up in PostReady yet. Contact your manager"):
        sign_in_identity(identity(email="stranger@test-health.example"), utcnow())
    deactivate_person(people.admin, people.employee, utcnow())
    with pytest.raises(SsoRefused, match="account is closed"):
        sign_in_identity(identity(), utcnow())
    db.session.commit()
    assert actions().count("sso.refused") == 2
    assert db.session.scalar(select(SsoIdentity)) is None


def test_created_people_are_flagged_for_an_admin(app, course, people):
    app.config["SSO_CREATE_PEOPLE"] = True
    person = sign_in_identity(identity(subject="new-1", email="nova@test-health.example"), utcnow())
    db.session.commit()
    assert person.role == "employee" and person.manager is None and person.needs_review
    assert "sso.person_created" in actions()


def test_the_admin_group_grants_admin_and_leaving_it_ends_it(app, people):
    app.config["SSO_ADMIN_GROUP"] = "PostReady Admins"
    eli = sign_in_identity(identity(groups=["PostReady Admins"]), utcnow())
    assert eli.role == "admin" and eli.admin_from_group
    eli = sign_in_identity(identity(groups=[]), utcnow())
    assert eli.role == "employee" and not eli.admin_from_group
    # An admin made in PostReady stays one, whatever the provider's groups say.
    ada = sign_in_identity(VerifiedIdentity("oidc", ISSUER, "ada-1", "ada@test-health.example"), utcnow())
    assert ada.role == "admin"
    db.session.commit()
    assert {"sso.admin_granted", "sso.admin_revoked"} <= set(actions())


def _password_sign_in(app, person):
    c = app.test_client()
    response = c.post("/login", data={"email": person.email, "password": PASSWORD, "csrf_token": csrf_token(c)})
    return response.status_code


def test_with_password_sign_in_off_only_break_glass_people_use_a_password(app, people):
    app.config["PASSWORD_LOGIN"] = False
    assert _password_sign_in(app, people.employee) == 400
    assert _password_sign_in(app, people.admin) == 400
    set_break_glass(people.admin, people.admin, True, utcnow())
    db.session.commit()
    assert _password_sign_in(app, people.admin) == 302
    page = app.test_client().get("/login").text
    assert "Administrator sign-in with a password" in page
    # The last break-glass admin keeps it while password sign-in is off.
    with pytest.raises(AccountError, match="keep at least one active admin"):
        set_break_glass(people.admin, people.admin, False, utcnow())
    set_break_glass(people.admin, people.manager, True, utcnow())  # a manager does not count
    with pytest.raises(AccountError, match="keep at least one active admin"):
        set_break_glass(people.admin, people.admin, False, utcnow())
    second = make_user("Abe Admin", role=Role.ADMIN)
    set_break_glass(people.admin, second, True, utcnow())
    set_break_glass(people.admin, people.admin, False, utcnow())  # another admin still can
    db.session.commit()
    assert {"person.break_glass_on", "person.break_glass_off"} <= set(actions())


def test_with_password_sign_in_off_the_invitation_says_to_use_the_hospital_account(app, people):
    from app.accounts.invitations import invitation_mail

    assert "Choose your password" in invitation_mail(people.employee, "invite").text
    app.config["PASSWORD_LOGIN"] = False
    mail = invitation_mail(people.employee, "invite")
    assert "Sign in with your hospital account" in mail.text and "/welcome/" not in mail.text
