"""The pure parts of SCIM: userName kept as sent, which value is the address, which spelling of the name
wins, and what Entra ID and Okta send made into what PostReady's schema declares."""
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from app.scim import quirks
from app.scim.mapping import MappingProblem, PersonRecord, to_user, wanted_person
from app.scim.schema import PROVIDER, SCIM_USER, Email, EnterpriseUser, Manager, Name

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ANN = PersonRecord(7, "ann@example.org", "ann@example.org", "Ann Lee", True, "ext-7", None, "Nursing", 3,
                   datetime(2026, 1, 5, tzinfo=UTC))


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


def test_the_work_address_is_the_address_and_user_name_is_kept_as_sent():
    before = _user()
    both = _user(user_name="New@Example.org", emails=[Email(value="other@example.org", type="work")])
    assert (wanted_person(before, both).email, wanted_person(before, both).user_name) == (
        "other@example.org", "New@Example.org")
    only_mail = _user(emails=[Email(value="mail@example.org", type="work")])
    assert wanted_person(before, only_mail).email == "mail@example.org"
    typed = _user(emails=[Email(value="h@example.org", type="home"), Email(value="w@example.org", type="Work")])
    assert wanted_person(None, typed).email == "w@example.org"
    upn = _user(user_name="jdoe@hospital.onmicrosoft.com", emails=[Email(value="m@example.org", type="home")])
    assert (wanted_person(None, upn).email, wanted_person(None, upn).user_name) == (
        "m@example.org", "jdoe@hospital.onmicrosoft.com")


def test_user_name_is_the_address_only_when_no_address_is_sent():
    before = _user()
    assert wanted_person(None, _user(user_name="u@example.org", emails=None)).email == "u@example.org"
    not_an_address = _user(user_name="u@example.org", emails=[Email(value="nope", type="work")])
    assert wanted_person(None, not_an_address).email == "u@example.org"
    # It stood for the address (userName was ann@example.org), so a new one moves the address too.
    assert wanted_person(before, _user(user_name="ann.lee@example.org", emails=None)).email == "ann.lee@example.org"
    # Not an address, or it never stood for the address: the address stays.
    assert wanted_person(before, _user(user_name="ann-login", emails=None)).email == "ann@example.org"
    upn = to_user(replace(ANN, user_name="ann@hospital.onmicrosoft.com"), "http://x/Users/7", None)
    moved = upn.model_copy(update={"user_name": "ann.lee@hospital.onmicrosoft.com", "emails": None})
    assert wanted_person(upn, moved).email == "ann@example.org"
    for neither in [_user(user_name="ann-login", emails=None), _user(user_name="x", emails=[Email(value="y")])]:
        with pytest.raises(MappingProblem, match="send the work email address in emails"):
            wanted_person(None, neither)


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
    put = quirks.user_payload({"userName": "o-login", "displayName": "Omar"}, address="o@example.org")
    assert put["emails"] == [{"value": "o@example.org", "type": "work"}]
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
