"""/scim/v2/Users: people, read and written by the identity provider. Views parse and answer; the
rules are in app/scim/mapping.py and the writes in app/scim/services.py. One commit per request."""
from flask import abort, g, request, url_for
from pydantic import ValidationError
from scim2_models import (
    Context,
    Error,
    InvalidFilterException,
    InvalidSyntaxException,
    ListResponse,
    PatchOp,
    ResponseParameters,
    SearchRequest,
)

from app.accounts.invitations import invite_new_people
from app.extensions import db
from app.scim import quirks, services
from app.scim.blueprint import bp
from app.scim.filters import condition_for
from app.scim.mapping import to_user, wanted_person
from app.scim.responses import scim_json
from app.scim.schema import MAX_RESULTS, POLICY, PROVIDER, SCIM_USER
from app.timestamps import utcnow

PAGE_PARAMETERS = ("filter", "startIndex", "count", "attributes", "excludedAttributes")


def _body() -> dict:
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        raise InvalidSyntaxException(detail="The body must be a JSON object (Content-Type: application/scim+json).")
    return data


def _response_parameters():
    asked = {k: request.args[k] for k in ("attributes", "excludedAttributes") if k in request.args}
    return ResponseParameters[SCIM_USER].model_validate(asked, scim_provider=PROVIDER)


def _location(person_id: int) -> str:
    return url_for("scim.user", scim_id=str(person_id), _external=True)


def _user(person):
    record = services.record_of(person)
    manager = _location(record.manager_id) if record.manager_id else None
    return to_user(record, _location(record.id), manager)


def _answer(person, parameters, status: int = 200, headers: dict | None = None):
    payload = _user(person).model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=parameters)
    return scim_json(payload, status, headers)


def _search_request(asked: dict):
    try:
        return SearchRequest[SCIM_USER].model_validate(asked, scim_provider=PROVIDER)
    except ValidationError as exc:
        error = Error.from_validation_errors(exc)[0]
        if error.scim_type != "invalidFilter":
            raise
        detail = f"The filter {asked.get('filter')!r} is not valid: {error.detail}."
        raise InvalidFilterException(detail=detail) from None


def _list(asked: dict):
    query = _search_request(asked)
    start, count = query.start_index or 1, min(MAX_RESULTS if query.count is None else query.count, MAX_RESULTS)
    total, people = services.search(condition_for(query.filter), start, count)
    page = ListResponse[SCIM_USER](total_results=total, start_index=start, items_per_page=len(people),
                                   resources=[_user(p) for p in people] if people else None)
    return scim_json(page.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=query))


def _create():
    parameters = _response_parameters()
    payload = quirks.user_payload(_body())
    user = SCIM_USER.model_validate(payload, scim_ctx=Context.RESOURCE_CREATION_REQUEST, scim_provider=PROVIDER)
    actor, now = g.scim_actor, utcnow()
    person, new = services.create(actor, wanted_person(None, user), now)
    db.session.commit()
    if new and person.active:  # as the HR import does: the invitation (or "sign in with SSO") email
        invite_new_people([person.email], None, now, actor_label=actor.label)
    return _answer(person, parameters, 201, {"Location": _location(person.id)})


@bp.route("/Users", methods=["GET", "POST"])
def users():
    if request.method == "POST":
        return _create()
    return _list({k: request.args[k] for k in PAGE_PARAMETERS if k in request.args})


@bp.post("/Users/.search")
def search_users():
    return _list(_body())


@bp.post("/.search")
def search_everything():
    abort(501, "PostReady searches one resource type at a time: POST /scim/v2/Users/.search.")


def _replace(person, parameters):
    before = _user(person)
    payload = quirks.user_payload(_body(), address=person.email)
    user = SCIM_USER.model_validate(payload, scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST, scim_provider=PROVIDER)
    user.replace(before)
    services.update(g.scim_actor, person, wanted_person(before, user), utcnow())
    db.session.commit()
    return _answer(person, parameters)


def _patch(person, parameters):
    before = _user(person)
    patch = PatchOp[SCIM_USER].model_validate(quirks.patch_payload(_body()), scim_ctx=Context.RESOURCE_PATCH_REQUEST,
                                              scim_provider=PROVIDER)
    after = before.model_copy(deep=True)
    patch.patch(after, scim_policy=POLICY)
    services.update(g.scim_actor, person, wanted_person(before, after), utcnow())
    db.session.commit()
    return _answer(person, parameters)


@bp.route("/Users/<scim_id>", methods=["GET", "PUT", "PATCH", "DELETE"])
def user(scim_id: str):
    person = services.visible_person(scim_id)
    if person is None:
        abort(404, f"No person with SCIM id {scim_id!r} (or SCIM deleted them).")
    if request.method == "DELETE":
        services.delete(g.scim_actor, person, utcnow())
        db.session.commit()
        return "", 204
    parameters = _response_parameters()
    if request.method == "PUT":
        return _replace(person, parameters)
    if request.method == "PATCH":
        return _patch(person, parameters)
    return _answer(person, parameters)
