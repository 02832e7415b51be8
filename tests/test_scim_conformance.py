"""scim2-tester (pinned in pyproject.toml) against the real /scim/v2 of the Flask app.

scim2-client's WSGI engine calls the app in-process, in a thread of its own so that each request gets
its own app context and database session, as under a real server. As from its command line, the tester
is told nothing about PostReady: it reads the models from the server's /Schemas, /ResourceTypes and
/ServiceProviderConfig (which it checks too) and fills every attribute with random values, so userName
is a random string and only emails.value an address.
"""
from concurrent.futures import ThreadPoolExecutor

from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_tester import Status, check_server

from tests.scim_helpers import scim_token

# Checks that do not apply to what PostReady offers, and why.
DOES_NOT_APPLY = {
    "search_with_attributes": "POST /.search over every resource type at once: PostReady has one resource "
                              "type and answers 501, as RFC 7644 §3.12 allows (POST /Users/.search works)",
}


def _failures(results) -> dict[tuple[str, str], str]:
    failed = {}
    for result in results:
        if result.status in (Status.ERROR, Status.CRITICAL):
            data = result.data if isinstance(result.data, dict) else {}
            failed[(result.title, str(data.get("urn", "")))] = result.reason or ""
    return failed


def test_scim2_tester_finds_every_offered_feature_conformant(app, people):
    secret = scim_token("scim2-tester")
    client = WSGISCIMClient(app, base_url="http://localhost/scim/v2", headers={"Authorization": f"Bearer {secret}"})
    with ThreadPoolExecutor(max_workers=1) as worker:  # no app context there: each request pushes its own
        client.discover()  # as the command line does: the models from /Schemas and /ResourceTypes
        results = worker.submit(check_server, client).result()

    assert _failures(results) == {}
    assert {r.title for r in results if r.status == Status.SKIPPED} == set(DOES_NOT_APPLY)
    checked = {(r.title, str(r.data.get("urn", "")) if isinstance(r.data, dict) else "") for r in results
               if r.status == Status.SUCCESS}
    for expected in [("object_creation", ""), ("object_replacement", ""), ("object_deletion", ""),
                     ("check_replace_attribute", "userName"), ("check_replace_attribute", "active"),
                     ("check_replace_attribute", "emails"),
                     ("check_add_attribute", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"),
                     ("object_list_with_attributes", ""), ("random_url", "")]:
        assert expected in checked
