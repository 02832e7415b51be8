"""/scim/v2/Users: filters, pages and attribute selection; refusals as SCIM errors with nothing
changed; DELETE deactivates and hides, never removes."""
import pytest
from sqlalchemy import func, select

from app.accounts.models import PersonPlacement, User
from app.audit.models import AuditEvent
from app.extensions import db
from tests.scim_helpers import ENTERPRISE, ERROR, USER, IdentityProvider, scim_token


@pytest.fixture
def idp(app, client, people):
    people.employee.external_id = "ext-eli"
    people.employee.employee_number = "E-100"
    db.session.commit()
    return IdentityProvider(client, scim_token())


def _ids(answer) -> list[str]:
    return [r["id"] for r in answer.json.get("Resources", [])]


def _events() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


@pytest.mark.parametrize("scim_filter, who", [
    ('userName eq "ELI@test-health.example"', ["employee"]),
    ('externalId eq "ext-eli"', ["employee"]),
    ('externalId eq "EXT-ELI"', []),  # caseExact
    ('emails.value eq "mona@test-health.example"', ["manager"]),
    ('emails[type eq "work" and value eq "mona@test-health.example"]', ["manager"]),
    ('active eq false', ["deactivated"]),
    (f'{ENTERPRISE}:employeeNumber eq "e-100"', ["employee"]),
    ('displayName sw "Otto" or userName co "olga"', ["other_manager", "other_employee"]),
    (f'{ENTERPRISE}:department eq "marketing" and not (displayName eq "Otto Other")', ["other_employee"]),
])
def test_filters_find_people(idp, people, scim_filter, who):
    answer = idp.get("/Users", filter=scim_filter)
    assert answer.status_code == 200, answer.json
    assert sorted(_ids(answer)) == sorted(str(getattr(people, name).id) for name in who)


def test_manager_filter_and_a_filter_postready_cannot_run(idp, people):
    line = idp.get("/Users", filter=f'{ENTERPRISE}:manager.value eq "{people.manager.id}"')
    assert str(people.employee.id) in _ids(line)
    for bad in ['userName eq', 'nickName eq "x"', 'meta.created gt "2020-01-01T00:00:00Z"', 'active gt true']:
        refused = idp.get("/Users", filter=bad)
        assert refused.status_code == 400 and refused.json["scimType"] == "invalidFilter", (bad, refused.json)
        assert refused.json["schemas"] == [ERROR] and refused.json["status"] == "400" and refused.json["detail"]


def test_pages_and_attribute_selection(idp, people):
    everyone = idp.get("/Users").json
    assert everyone["totalResults"] == 8 and everyone["startIndex"] == 1 and everyone["itemsPerPage"] == 8
    page = idp.get("/Users", startIndex="3", count="2").json
    assert page["itemsPerPage"] == 2 and page["totalResults"] == 8
    assert _ids_of(page) == [r["id"] for r in everyone["Resources"][2:4]]
    assert "Resources" not in idp.get("/Users", count="0").json
    slim = idp.get("/Users", attributes="userName", filter='userName eq "eli@test-health.example"').json
    assert slim["Resources"] == [{"schemas": [USER], "id": str(people.employee.id),
                                  "userName": "eli@test-health.example"}]
    one = idp.get(f"/Users/{people.employee.id}", excludedAttributes=f"emails,{ENTERPRISE}").json
    assert "emails" not in one and ENTERPRISE not in one and one["displayName"] == "Eli Employee"
    assert one["meta"]["resourceType"] == "User" and one["meta"]["location"].endswith(f"/Users/{people.employee.id}")
    assert idp.get("/Users", count="nine").status_code == 400


def _ids_of(page: dict) -> list[str]:
    return [r["id"] for r in page.get("Resources", [])]


def test_search_by_post(idp, people):
    found = idp.post("/Users/.search", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                                        "filter": 'userName eq "mona@test-health.example"', "attributes": ["userName"]})
    assert found.status_code == 200 and _ids(found) == [str(people.manager.id)]


def test_a_malformed_patch_is_refused_and_changes_nothing(idp, people):
    eli = f"/Users/{people.employee.id}"
    before, events = idp.get(eli).json, _events()
    for body, scim_type in [
        ({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
            {"op": "Replace", "path": "displayName", "value": "Eli Changed"},
            {"op": "Replace", "path": "active", "value": "perhaps"}]}, "invalidValue"),
        ({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
            {"op": "Replace", "path": "displayName", "value": "Eli Changed"},
            {"op": "frobnicate", "path": "active", "value": False}]}, "invalidValue"),
        ({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
            {"op": "replace", "path": 'emails[type eq "work"', "value": "x@y.org"}]}, "invalidPath"),
        ({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
            {"op": "remove", "path": "userName"}]}, "mutability"),
        ({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
            {"op": "replace", "path": "id", "value": "7"}]}, "mutability"),
        ({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
            {"op": "replace", "path": "emails", "value": [{"value": "not an address", "type": "work"}]}]},
         "invalidValue"),
        ({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
            {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": "no-such-id"}]}, "invalidValue"),
        ({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
            {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": str(people.employee.id)}]}, "invalidValue"),
    ]:
        answer = idp.send("PATCH", eli, body)
        assert answer.status_code == 400, (body, answer.json)
        assert answer.content_type == "application/scim+json"
        assert answer.json["schemas"] == [ERROR] and answer.json["scimType"] == scim_type, answer.json
        assert answer.json["status"] == "400" and answer.json["detail"]
    not_json = idp.client.patch(f"/scim/v2{eli}", data="{", headers=idp.headers)
    assert not_json.status_code == 400 and not_json.json["scimType"] == "invalidSyntax"
    assert idp.get(eli).json == before and _events() == events


def test_taken_address_is_a_uniqueness_error(idp, people):
    # Mona was added before SCIM: the first create of her address takes her over (test_scim_idp.py)...
    taken = idp.post("/Users", {"schemas": [USER], "userName": "MONA@test-health.example", "displayName": "Mona"})
    assert taken.status_code == 201 and taken.json["id"] == str(people.manager.id)
    # ...after which her address is hers: another userName claiming it is a duplicate.
    twin = idp.post("/Users", {"schemas": [USER], "userName": "someone-else", "displayName": "Someone Else",
                               "emails": [{"type": "work", "value": "mona@test-health.example"}]})
    assert twin.status_code == 409 and twin.json["scimType"] == "uniqueness"
    moved = idp.patch(f"/Users/{people.employee.id}", {"op": "replace", "path": "userName",
                                                       "value": "mona@test-health.example"})
    assert moved.status_code == 409 and moved.json["scimType"] == "uniqueness"
    nameless = idp.post("/Users", {"schemas": [USER], "userName": "new@test-health.example"})
    assert nameless.status_code == 400 and nameless.json["scimType"] == "invalidValue"
    assert db.session.scalar(select(User).where(User.email == "new@test-health.example")) is None


def test_delete_deactivates_hides_and_keeps_everything(idp, people):
    eli, placements = f"/Users/{people.employee.id}", db.session.scalar(
        select(func.count()).select_from(PersonPlacement).where(PersonPlacement.user_id == people.employee.id))
    assert idp.delete(eli).status_code == 204
    assert idp.get(eli).status_code == 404 and idp.get(eli).json["schemas"] == [ERROR]
    assert idp.patch(eli, {"op": "replace", "path": "active", "value": True}).status_code == 404
    assert idp.delete(eli).status_code == 404
    assert idp.get("/Users", filter='userName eq "eli@test-health.example"').json["totalResults"] == 0
    db.session.expire_all()
    person = db.session.get(User, people.employee.id)
    assert person is not None and not person.active and person.scim_deleted_at is not None
    assert db.session.scalar(select(func.count()).select_from(PersonPlacement).where(
        PersonPlacement.user_id == person.id)) == placements + 1

    back = idp.post("/Users", {"schemas": [USER], "userName": "eli@test-health.example", "displayName": "Eli E."})
    assert back.status_code == 201 and back.json["id"] == str(people.employee.id) and back.json["active"] is True
    db.session.expire_all()
    assert db.session.get(User, people.employee.id).full_name == "Eli E."


def test_unknown_people_and_urls_get_scim_404s(idp):
    for path in ("/Users/999999", "/Users/abc", "/Groups", "/nowhere"):
        answer = idp.get(path)
        assert answer.status_code == 404 and answer.json["schemas"] == [ERROR], path
    assert idp.send("PUT", "/Users").status_code == 405
    assert idp.post("/.search", {}).status_code == 501


def test_sending_the_same_values_again_records_nothing(idp, people):
    eli = f"/Users/{people.employee.id}"
    current, events = idp.get(eli).json, _events()
    assert idp.put(eli, {**current, "displayName": "Eli  Employee"}).status_code == 200
    assert idp.patch(eli, {"op": "replace", "path": "active", "value": True},
                     {"op": "replace", "path": "userName", "value": "eli@test-health.example"}).status_code == 200
    assert idp.get(eli).json == current and _events() == events


def test_a_manager_named_by_id_external_id_or_address(idp, people):
    eli = f"/Users/{people.employee.id}"
    by_address = idp.patch(eli, {"op": "replace", "path": f"{ENTERPRISE}:manager",
                                 "value": {"value": "OTTO@test-health.example"}})
    assert by_address.json[ENTERPRISE]["manager"]["value"] == str(people.other_manager.id)
    people.manager.external_id = "okta-00u1mona"
    db.session.commit()
    by_external_id = idp.patch(eli, {"op": "replace", "path": f"{ENTERPRISE}:manager.value", "value": "okta-00u1mona"})
    assert by_external_id.json[ENTERPRISE]["manager"]["value"] == str(people.manager.id)
    nobody = idp.patch(eli, {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": "99999"})
    assert nobody.status_code == 400 and "nobody in PostReady" in nobody.json["detail"]
