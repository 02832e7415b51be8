"""What the service offers (RFC 7644 §4): its configuration, its one resource type (User; PostReady has
no Groups: roles and platform requirements are set in PostReady) and the schemas of both."""
from flask import abort, url_for
from scim2_models import Context, ListResponse, Meta, ResourceType, Schema

from app.scim.blueprint import bp
from app.scim.responses import scim_json
from app.scim.schema import CONFIG, PROVIDER, USER_TYPE

ANSWER = Context.RESOURCE_QUERY_RESPONSE


def _with_meta(item, resource_type: str, location: str):
    item = item.model_copy(deep=True)
    item.meta = Meta(resource_type=resource_type, location=location)
    return item


def _resource_type():
    return _with_meta(USER_TYPE, "ResourceType", url_for("scim.resource_type", name="User", _external=True))


def _schemas() -> list:
    return [_with_meta(s, "Schema", url_for("scim.schema", schema_id=s.id, _external=True)) for s in PROVIDER.schemas]


def _listed(model, items: list):
    answer = ListResponse[model](total_results=len(items), start_index=1, items_per_page=len(items), resources=items)
    return scim_json(answer.model_dump(scim_ctx=Context.SEARCH_RESPONSE))


@bp.get("/ServiceProviderConfig")
def service_provider_config():
    config = _with_meta(CONFIG, "ServiceProviderConfig", url_for("scim.service_provider_config", _external=True))
    return scim_json(config.model_dump(scim_ctx=ANSWER))


@bp.get("/ResourceTypes")
def resource_types():
    return _listed(ResourceType, [_resource_type()])


@bp.get("/ResourceTypes/<name>")
def resource_type(name: str):
    if name.lower() != "user":
        abort(404, f"No resource type {name!r}: PostReady offers User only (no Groups).")
    return scim_json(_resource_type().model_dump(scim_ctx=ANSWER))


@bp.get("/Schemas")
def schemas():
    return _listed(Schema, _schemas())


@bp.get("/Schemas/<path:schema_id>")
def schema(schema_id: str):
    found = next((s for s in _schemas() if s.id.lower() == schema_id.lower()), None)
    if found is None:
        abort(404, f"No schema {schema_id!r}.")
    return scim_json(found.model_dump(scim_ctx=ANSWER))
