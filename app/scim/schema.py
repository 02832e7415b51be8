"""What PostReady's SCIM service offers, as scim2-models classes: the User attributes it keeps, the
enterprise extension's department, manager and employee number, and the service's capabilities.

Only attributes PostReady stores are declared, so /Schemas tells a client exactly what comes back.
PostReady always holds a name, one work address and an active flag, so those are required (a request
that leaves one out gets it filled in first: app/scim/quirks.py).
"""
from typing import Annotated, ClassVar

from pydantic import Field
from scim2_models import (
    URN,
    AnyExtension,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    ETag,
    Extension,
    Filter,
    Patch,
    Reference,
    Required,
    ResourceType,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)
from scim2_models import Resource as ScimResource

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
MAX_RESULTS = 200  # a page of a list; Entra and Okta ask for 100 at most


class Name(ComplexAttribute):
    formatted: str | None = None  # the person's full name, the same as displayName


class Email(ComplexAttribute):
    # An address is what an email is for; the work one is the person's (app/scim/mapping.py).
    value: Annotated[str | None, Required.true] = None
    type: str | None = Field(None, examples=["work"])


class Manager(ComplexAttribute):
    value: Annotated[str | None, CaseExact.true] = None  # the manager's SCIM id
    ref: Reference["User"] | None = Field(None, serialization_alias="$ref", validation_alias="$ref")


class EnterpriseUser(Extension):
    __schema__ = URN(ENTERPRISE_SCHEMA)

    employee_number: str | None = None
    department: str | None = None
    manager: Manager | None = None


class User(ScimResource[AnyExtension]):
    __schema__ = URN(USER_SCHEMA)

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None  # kept as sent: app/scim/mapping.py
    name: Annotated[Name | None, Required.true] = None
    Name: ClassVar[type[ComplexAttribute]] = Name
    display_name: Annotated[str | None, Required.true] = None
    active: Annotated[bool | None, Required.true] = None
    emails: Annotated[list[Email] | None, Required.true] = None
    Emails: ClassVar[type[ComplexAttribute]] = Email


USER_TYPE = ResourceType.from_resource(User[EnterpriseUser])

CONFIG = ServiceProviderConfig(
    documentation_uri=None,
    patch=Patch(supported=True),
    bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
    filter=Filter(supported=True, max_results=MAX_RESULTS),
    change_password=ChangePassword(supported=False),
    sort=Sort(supported=False),
    etag=ETag(supported=False),
    authentication_schemes=[AuthenticationScheme(
        type=AuthenticationScheme.Type.oauthbearertoken, name="Bearer token",
        description="A PostReady API token with the scim scope: postready tokens create NAME --scope scim",
        primary=True)],
)

# What PostReady tolerates from Entra ID and Okta: attributes it does not keep (title, locale, password,
# phone numbers) are dropped; Entra's remove with a value and its filter paths that match nothing yet
# (emails[type eq "work"].value on a person with no work address) are applied as Entra means them.
POLICY = ScimPolicy(unknown=ScimPolicy.Unknown.ignore, remove_value_as_filter=ScimPolicy.RemoveValue.apply,
                    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create)

PROVIDER = ScimProvider(models=[User, EnterpriseUser], resource_types=[USER_TYPE], config=CONFIG, policy=POLICY)
SCIM_USER = User[EnterpriseUser]
