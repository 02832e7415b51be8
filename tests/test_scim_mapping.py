"""The pure parts of SCIM: which spelling of the address and the name wins, and what Entra ID and Okta
send made into what PostReady's schema declares."""
from datetime import UTC, datetime

import pytest

from app.scim import quirks
from app.scim.mapping import MappingProblem, PersonRecord, to_user, wanted_person
from app.scim.schema import PROVIDER, SCIM_USER, Email, EnterpriseUser, Manager, Name

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ANN = PersonRecord(7, "ann@example.org", "Ann Lee", True, "ext-7", None, "Nursing", 3, datetime(2026, 1, 5, tzinfo=UTC))


def _user(**changes):
    user = to_user(ANN, "http://x/Users/7", "http://x/Users/3")
    for name, value in changes.items():
        setattr(user, name, value)
    return user


def test_a_person_as_a_scim_user():
    user = to_user(ANN, "http://x/Users/7", "http://x/Users/3")
    assert (user.id, user.user_name, user.display_name, user.name.formatted, user.active) == (
        "7", "ann@example.org", "Ann Lee", "Ann Lee", True)
    assert user.emails == [Email(value="ann@example.org", type="work")]
    assert user[EnterpriseUser].manager == Manager(value="3", ref="http://x/Users/3")
    assert user[EnterpriseUser].department == "Nursing" and user.meta.location == "http://x/Users/7"


def test_user_name_wins_unless_only_the_work_address_changed():
    before = _user()
    both = _user(user_name="new@example.org", emails=[Email(value="other@example.org", type="work")])
    assert wanted_person(before, both).email == "new@example.org"
    only_mail = _user(emails=[Email(value="mail@example.org", type="work")])
    assert wanted_person(before, only_mail).email == "mail@example.org"
    created = _user(user_name="u@example.org", emails=[Email(value="m@example.org", type="home")])
    assert wanted_person(None, created).email == "u@example.org"


def test_display_name_wins_unless_only_the_formatted_name_changed():
    before = _user()
    assert wanted_person(before, _user(name=Name(formatted="Ann Okafor"))).full_name == "Ann Okafor"
    assert wanted_person(before, _user(display_name="Annie", name=Name(formatted="Ann O"))).full_name == "Annie"
    assert wanted_person(before, _user()).full_name == "Ann Lee"


def test_identifiers_and_manager():
    wanted = wanted_person(None, _user())
    assert (wanted.external_id, wanted.manager, wanted.department, wanted.active) == ("ext-7", "3", "Nursing", True)
    by_address = _user()
    by_address[EnterpriseUser] = EnterpriseUser(manager=Manager(value=" mona@example.org "))
    assert wanted_person(None, by_address).manager == "mona@example.org"
    with pytest.raises(MappingProblem, match="at most 255"):
        wanted_person(None, _user(external_id="x" * 256))


def test_quirks_fill_in_what_postready_always_has():
    okta = quirks.user_payload({"userName": "o@example.org", "name": {"givenName": "Omar", "familyName": "Ortho"}})
    assert okta["displayName"] == "Omar Ortho" and okta["name"]["formatted"] == "Omar Ortho"
    assert okta["emails"] == [{"value": "o@example.org", "type": "work"}] and okta["active"] is True
    entra = quirks.user_payload({"USERNAME": "e@example.org", "DisplayName": "Eve", "Active": "False",
                                 ENTERPRISE: {"manager": "42"}})
    assert entra["DisplayName"] == "Eve" and entra["Active"] == "False" and entra[ENTERPRISE]["manager"] == {
        "value": "42"}
    user = SCIM_USER.model_validate(entra, scim_provider=PROVIDER)
    assert user.active is False and user[EnterpriseUser].manager.value == "42"
    with pytest.raises(MappingProblem, match="name is missing"):
        quirks.user_payload({"userName": "x@example.org"})


def test_quirks_make_entras_bare_manager_ids_objects():
    patch = quirks.patch_payload({"Operations": [
        {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": "42"},
        {"op": "Replace", "value": {f"{ENTERPRISE}:manager": "43", ENTERPRISE: {"manager": "44"}}},
        {"op": "Replace", "path": "active", "value": "False"}]})
    first, second, third = patch["Operations"]
    assert first["value"] == {"value": "42"} and third["value"] == "False"
    assert second["value"] == {f"{ENTERPRISE}:manager": {"value": "43"}, ENTERPRISE: {"manager": {"value": "44"}}}
    assert quirks.patch_payload([1, 2]) == [1, 2]
