"""What Entra ID and Okta send, made into what app/scim/schema.py declares, before scim2-models reads it.

Pure functions on the JSON payloads:
- A User (POST, PUT) with no displayName takes name.formatted, else "givenName familyName"; with no
  name.formatted, displayName. With no active, true. With no emails (required, so that clients that
  read /Schemas send the address), the person's current address on PUT, else userName; which value
  becomes the address is app/scim/mapping.py's rule.
- Entra ID sends the enterprise manager as a bare id ("value": "42"), not {"value": "42"}.
Everything else (op names in any case, "True"/"False" strings, filters in paths, attributes PostReady
does not keep) scim2-models handles under app.scim.schema.POLICY.
"""
from app.scim.mapping import MappingProblem
from app.scim.schema import ENTERPRISE_SCHEMA

MANAGER_PATH = f"{ENTERPRISE_SCHEMA}:manager".lower()


def _key(data: dict, name: str) -> str | None:
    """The key of `data` that is `name`, in any case (SCIM attribute names are case-insensitive)."""
    return next((k for k in data if isinstance(k, str) and k.lower() == name.lower()), None)


def _get(data: dict, name: str):
    key = _key(data, name)
    return None if key is None else data[key]


def _text(value) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _manager_object(value):
    return {"value": value} if isinstance(value, str | int) and not isinstance(value, bool) else value


def _extension(extension):
    """The enterprise extension's attributes, with a bare manager id made into {"value": id}."""
    if not isinstance(extension, dict):
        return extension
    extension = dict(extension)
    manager_key = _key(extension, "manager")
    if manager_key:
        extension[manager_key] = _manager_object(extension[manager_key])
    return extension


def user_payload(payload, address: str | None = None) -> object:
    """A POST or PUT body with PostReady's required attributes filled in where the provider left them out
    (MappingProblem when it has no name at all); `address` is the person's on PUT, None on POST."""
    if not isinstance(payload, dict):
        return payload  # scim2-models says what is wrong with it
    data = dict(payload)
    name = _get(data, "name")
    name = dict(name) if isinstance(name, dict) else {}
    joined = " ".join(p for p in (_text(_get(name, "givenName")), _text(_get(name, "familyName"))) if p)
    display = _text(_get(data, "displayName")) or _text(_get(name, "formatted")) or joined
    if not display:
        raise MappingProblem("The name is missing: send displayName (or name.formatted, or name.givenName "
                             "and name.familyName).")
    data[_key(data, "displayName") or "displayName"] = display
    if not _text(_get(name, "formatted")):
        name[_key(name, "formatted") or "formatted"] = display
    data[_key(data, "name") or "name"] = name
    address = address or _get(data, "userName")
    if not _get(data, "emails") and isinstance(address, str):
        data[_key(data, "emails") or "emails"] = [{"value": address, "type": "work"}]
    if _get(data, "active") is None:
        data[_key(data, "active") or "active"] = True
    extension_key = _key(data, ENTERPRISE_SCHEMA)
    if extension_key:
        data[extension_key] = _extension(data[extension_key])
    return data


def _operation(operation):
    if not isinstance(operation, dict):
        return operation
    operation = dict(operation)
    path, value_key = _get(operation, "path"), _key(operation, "value")
    if value_key is None:
        return operation
    value = operation[value_key]
    if isinstance(path, str) and path.strip().lower() == MANAGER_PATH:
        operation[value_key] = _manager_object(value)
    elif isinstance(path, str) and path.strip().lower() == ENTERPRISE_SCHEMA.lower():
        operation[value_key] = _extension(value)
    elif path is None and isinstance(value, dict):
        value = dict(value)
        for key in list(value):
            if isinstance(key, str) and key.lower() == MANAGER_PATH:
                value[key] = _manager_object(value[key])
            elif isinstance(key, str) and key.lower() == ENTERPRISE_SCHEMA.lower():
                value[key] = _extension(value[key])
        operation[value_key] = value
    return operation


def patch_payload(payload) -> object:
    """A PATCH body with Entra ID's bare manager ids made into {"value": id}."""
    if not isinstance(payload, dict):
        return payload
    data = dict(payload)
    key = _key(data, "Operations")
    if key and isinstance(data[key], list):
        data[key] = [_operation(op) for op in data[key]]
    return data
