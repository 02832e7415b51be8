"""The request sequences Entra ID and Okta send, replayed against /scim/v2: look the person up by
userName, create them, update them, deactivate them (sessions end, rights stop) and reactivate them.

Entra ID (learn.microsoft.com, "Tutorial: Develop and plan provisioning for a SCIM endpoint"): PATCH
with "Replace"/"Add" in any case, active as the string "False", emails[type eq "work"].value paths and
the manager as a bare id. Okta ("SCIM 2.0 protocol reference"): POST with password, locale and groups
(PostReady keeps none of them), PUT for profile changes, PATCH {"op": "replace", "value": {"active": false}}.
"""
from sqlalchemy import select

from app.accounts.invitations import Invitation
from app.accounts.models import User
from app.audit.models import AuditEvent
from app.extensions import db
from app.timestamps import utcnow
from tests.factories import certify
from tests.scim_helpers import ENTERPRISE, USER, IdentityProvider, scim_token


def _person(email: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def _actions_by(label: str) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_label == label)
                                   .order_by(AuditEvent.id)))


def test_entra_id_creates_updates_deactivates_and_reactivates(app, client, people):
    entra = IdentityProvider(client, scim_token("Entra ID"))
    # "Get user by query": Entra asks before it creates, by its matching attribute.
    found = entra.get("/Users", filter='userName eq "Nia.Nurse@Test-Health.example"')
    assert found.status_code == 200 and found.content_type == "application/scim+json"
    assert found.json["totalResults"] == 0 and "Resources" not in found.json

    created = entra.post("/Users", {
        "schemas": [USER, ENTERPRISE], "externalId": "0a21f0f2-8d2a-4f8e-bf98-7b2e0b4fd8e1",
        "userName": "Nia.Nurse@Test-Health.example", "active": True, "displayName": "Nia Nurse",
        "name": {"formatted": "Nia Nurse", "familyName": "Nurse", "givenName": "Nia"},
        "emails": [{"primary": True, "type": "work", "value": "nia.nurse@test-health.example"}],
        "title": "Charge nurse", "preferredLanguage": "en-US",
        ENTERPRISE: {"employeeNumber": "70184", "department": "Emergency",
                     "manager": {"value": str(people.manager.id)}},
    })
    assert created.status_code == 201, created.json
    scim_id = created.json["id"]
    assert created.headers["Location"].endswith(f"/scim/v2/Users/{scim_id}")
    assert created.json["userName"] == "Nia.Nurse@Test-Health.example"  # as sent
    assert created.json[ENTERPRISE] == {"employeeNumber": "70184", "department": "Emergency", "manager": {
        "value": str(people.manager.id), "$ref": f"http://localhost/scim/v2/Users/{people.manager.id}"}}
    nia = _person("nia.nurse@test-health.example")
    assert (nia.full_name, nia.department.name, nia.manager_id, nia.external_id, nia.employee_number, nia.role) == (
        "Nia Nurse", "Emergency", people.manager.id, "0a21f0f2-8d2a-4f8e-bf98-7b2e0b4fd8e1", "70184", "employee")
    assert nia.scim_managed and nia.active
    assert db.session.scalar(select(Invitation).where(Invitation.user_id == nia.id)) is not None  # invited

    again = entra.get("/Users", filter='userName eq "nia.nurse@test-health.example"')
    assert [r["id"] for r in again.json["Resources"]] == [scim_id]

    updated = entra.patch(f"/Users/{scim_id}",
                          {"op": "Replace", "path": "displayName", "value": "Nia Okafor"},
                          {"op": "Replace", "path": "name.formatted", "value": "Nia Okafor"},
                          {"op": "Replace", "path": "name.familyName", "value": "Okafor"},
                          {"op": "Replace", "path": 'emails[type eq "work"].value',
                           "value": "nia.okafor@test-health.example"},
                          {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "Radiology"},
                          {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": str(people.other_manager.id)})
    assert updated.status_code == 200, updated.json
    nia = _person("nia.okafor@test-health.example")
    assert (nia.full_name, nia.department.name, nia.manager_id) == ("Nia Okafor", "Radiology", people.other_manager.id)
    session_before = nia.session_token

    off = entra.patch(f"/Users/{scim_id}", {"op": "Replace", "path": "active", "value": "False"})
    assert off.status_code == 200 and off.json["active"] is False
    nia = _person("nia.okafor@test-health.example")
    assert not nia.active and nia.deactivated_at is not None and nia.session_token != session_before
    assert entra.get(f"/Users/{scim_id}").json["active"] is False  # still there: deactivated, not deleted

    on = entra.patch(f"/Users/{scim_id}", {"op": "Replace", "path": "active", "value": "True"})
    assert on.status_code == 200 and on.json["active"] is True
    assert _person("nia.okafor@test-health.example").active
    assert _actions_by("scim token Entra ID") == [
        "person.created", "person.identifiers_changed", "person.invited", "person.updated",
        "person.deactivated", "person.reactivated"]


def test_entra_upn_is_kept_as_user_name_and_the_mail_is_the_address(app, client, people):
    entra = IdentityProvider(client, scim_token("Entra ID"))
    user = {"schemas": [USER], "userName": "JDoe@hospital.onmicrosoft.com", "displayName": "Jane Doe",
            "emails": [{"primary": True, "type": "work", "value": "Jane.Doe@test-health.example"}]}
    created = entra.post("/Users", user)
    assert created.status_code == 201, created.json
    assert created.json["userName"] == "JDoe@hospital.onmicrosoft.com"
    assert created.json["emails"] == [{"value": "jane.doe@test-health.example", "type": "work"}]
    jane = _person("jane.doe@test-health.example")
    assert jane.scim_user_name == "JDoe@hospital.onmicrosoft.com"
    for query in ['userName eq "jdoe@HOSPITAL.onmicrosoft.com"', 'emails.value eq "jane.doe@test-health.example"',
                  'userName sw "jdoe@"']:
        assert [r["id"] for r in entra.get("/Users", filter=query).json["Resources"]] == [str(jane.id)], query
    assert entra.get("/Users", filter='userName eq "jane.doe@test-health.example"').json["totalResults"] == 0

    # userName is unique without regard to case, as RFC 7643 says (caseExact false).
    twin = entra.post("/Users", {**user, "userName": "jdoe@Hospital.onmicrosoft.com",
                                 "emails": [{"type": "work", "value": "other@test-health.example"}]})
    assert twin.status_code == 409 and twin.json["scimType"] == "uniqueness"
    # A new UPN with no emails sent: the mail stays the address.
    renamed = entra.patch(f"/Users/{jane.id}", {"op": "Replace", "path": "userName",
                                                "value": "jane.doe@hospital.onmicrosoft.com"})
    assert renamed.status_code == 200 and renamed.json["userName"] == "jane.doe@hospital.onmicrosoft.com"
    assert _person("jane.doe@test-health.example") is not None

    nowhere = entra.post("/Users", {"schemas": [USER], "userName": "no-address", "displayName": "No Address"})
    assert nowhere.status_code == 400 and nowhere.json["scimType"] == "invalidValue"
    assert "send the work email address in emails (type work) or as userName" in nowhere.json["detail"]
    assert _person("no-address") is None


def test_switching_scim_on_after_the_hr_import_takes_over_the_people_it_made(app, client, people):
    """Entra ID looks Eli up by his UPN, finds no one (PostReady knows his mail), and creates him: PostReady
    recognises the address and takes Eli over, with his records, instead of refusing a duplicate."""
    entra = IdentityProvider(client, scim_token("Entra ID"))
    upn = "eli@hospital.onmicrosoft.com"
    assert entra.get("/Users", filter=f'userName eq "{upn}"').json["totalResults"] == 0
    created = entra.post("/Users", {"schemas": [USER], "userName": upn, "displayName": "Eli Employee",
                                    "emails": [{"type": "work", "value": people.employee.email}]})
    assert created.status_code == 201 and created.json["id"] == str(people.employee.id), created.json
    assert _person(people.employee.email).scim_user_name == upn
    assert "person.scim_linked" in _actions_by("scim token Entra ID")
    assert db.session.scalar(select(Invitation).where(Invitation.user_id == people.employee.id)) is None
    # Taken over once: a second create of the same userName is a duplicate.
    again = entra.post("/Users", {"schemas": [USER], "userName": upn, "displayName": "Eli Employee",
                                  "emails": [{"type": "work", "value": people.employee.email}]})
    assert again.status_code == 409 and again.json["scimType"] == "uniqueness"


def test_okta_creates_updates_with_put_deactivates_and_reactivates(app, client, people):
    okta = IdentityProvider(client, scim_token("Okta"))
    assert okta.get("/Users", filter='userName eq "omar.ortho@test-health.example"', startIndex="1",
                    count="100").json["totalResults"] == 0
    user = {"schemas": [USER], "userName": "omar.ortho@test-health.example",
            "name": {"givenName": "Omar", "familyName": "Ortho"},
            "emails": [{"primary": True, "value": "omar.ortho@test-health.example", "type": "work"}],
            "displayName": "Omar Ortho", "locale": "en-US", "externalId": "00ujl29u0le5T6Aj10h7", "groups": [],
            "password": "1mz050nq", "active": True}
    created = okta.post("/Users", user)
    assert created.status_code == 201, created.json
    scim_id = created.json["id"]
    assert "password" not in created.json and "locale" not in created.json

    renamed = okta.put(f"/Users/{scim_id}", {**user, "id": scim_id, "name": {"givenName": "Omar",
                                                                              "familyName": "Haddad"},
                                             "displayName": "Omar Haddad"})
    assert renamed.status_code == 200 and renamed.json["displayName"] == "Omar Haddad"

    off = okta.patch(f"/Users/{scim_id}", {"op": "replace", "value": {"active": False}})
    assert off.status_code == 200 and off.json["active"] is False
    assert not _person("omar.ortho@test-health.example").active

    back = okta.put(f"/Users/{scim_id}", {**user, "displayName": "Omar Haddad", "active": True})
    assert back.status_code == 200 and back.json["active"] is True
    omar = _person("omar.ortho@test-health.example")
    assert omar.active and omar.full_name == "Omar Haddad" and omar.external_id == "00ujl29u0le5T6Aj10h7"

    put_off = okta.put(f"/Users/{scim_id}", {**user, "displayName": "Omar Haddad", "active": False})
    assert put_off.status_code == 200 and not _person("omar.ortho@test-health.example").active


def _rights_api(client, email: str, secret: str):
    return client.get(f"/api/v1/people/{email}/posting-rights/instagram",
                      headers={"Authorization": f"Bearer {secret}"})


def test_deactivation_through_scim_stops_posting_rights_at_once(app, client, course, people):
    certify(people.employee, utcnow())
    db.session.commit()
    rights = scim_token("Scheduler", scope="rights")
    assert _rights_api(client, people.employee.email, rights).json["allowed"] is True
    entra, okta = IdentityProvider(client, scim_token("Entra ID")), IdentityProvider(client, scim_token("Okta"))

    assert entra.patch(f"/Users/{people.employee.id}",
                       {"op": "Replace", "path": "active", "value": "False"}).status_code == 200
    answer = _rights_api(client, people.employee.email, rights)
    assert answer.json["allowed"] is False, answer.json

    assert okta.patch(f"/Users/{people.employee.id}", {"op": "replace", "value": {"active": True}}).status_code == 200
    assert _rights_api(client, people.employee.email, rights).json["allowed"] is True
    assert okta.patch(f"/Users/{people.employee.id}", {"op": "replace", "value": {"active": False}}).status_code == 200
    assert _rights_api(client, people.employee.email, rights).json["allowed"] is False
    assert _person(people.employee.email).scim_managed
