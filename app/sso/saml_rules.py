"""What a SAML response says, as pure functions: who the person is (from the NameID and attributes),
and the delivery checks python3-saml leaves loose. It accepts a response with no InResponseTo (an
unsolicited one), a missing Recipient or Audience, and a Destination that only starts with ours;
PostReady sends every AuthnRequest itself, so it asks for all of them, exactly.
"""
from dataclasses import dataclass

NAMEID_TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
NAMEID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"

# The names IdPs use for the same facts: the plain LDAP names, their OIDs (Shibboleth, most SAML
# federations) and the claim URIs (Microsoft Entra ID and AD FS).
EMAIL_NAMES = ("email", "mail", "emailAddress", "urn:oid:0.9.2342.19200300.100.1.3",
               "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress")
DISPLAY_NAMES = ("displayName", "urn:oid:2.16.840.1.113730.3.1.241",
                 "http://schemas.microsoft.com/identity/claims/displayname")
GIVEN_NAMES = ("givenName", "urn:oid:2.5.4.42", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname")
SURNAMES = ("sn", "surname", "urn:oid:2.5.4.4", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname")

Attributes = dict[str, list[str]]


def first_value(attributes: Attributes, names: tuple[str, ...]) -> str | None:
    for name in names:
        for value in attributes.get(name) or ():
            if value and value.strip():
                return value.strip()
    return None


def raw_email(attributes: Attributes, name_id: str, name_id_format: str | None) -> str | None:
    """The email attribute, else a NameID whose format says it is an email address."""
    return first_value(attributes, EMAIL_NAMES) or (name_id if name_id_format == NAMEID_EMAIL else None)


def full_name(attributes: Attributes) -> str | None:
    shown = first_value(attributes, DISPLAY_NAMES)
    if shown:
        return shown
    parts = [first_value(attributes, GIVEN_NAMES), first_value(attributes, SURNAMES)]
    return " ".join(p for p in parts if p) or None


def groups(attributes: Attributes, attribute_name: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in attributes.get(attribute_name) or () if v and v.strip())


def subject_problem(name_id: str | None, name_id_format: str | None) -> str | None:
    """A NameID that can link an account: present, and not one that changes at every sign-in."""
    if not name_id or not name_id.strip():
        return "the assertion has no NameID"
    if name_id_format == NAMEID_TRANSIENT:
        return "the NameID is transient (new at every sign-in); set the IdP to send a persistent or email NameID"
    if len(name_id) > 500:
        return "the NameID is longer than 500 characters"
    return None


@dataclass(frozen=True)
class Confirmation:
    """One bearer SubjectConfirmationData of the assertion."""
    recipient: str | None
    in_response_to: str | None


@dataclass(frozen=True)
class Delivery:
    destination: str | None          # the Response's Destination
    in_response_to: str | None       # the Response's InResponseTo
    confirmations: tuple[Confirmation, ...]
    audiences: tuple[str, ...]


def delivery_problem(delivery: Delivery, acs_url: str, entity_id: str, request_id: str) -> str | None:
    """Why this response was not meant for us, for this request (None: it was)."""
    if delivery.destination is not None and delivery.destination != acs_url:
        return f"the Destination {delivery.destination!r} is not our ACS URL {acs_url}"
    if delivery.in_response_to != request_id:
        return f"the InResponseTo {delivery.in_response_to!r} is not the ID of the request we sent"
    if not delivery.confirmations:
        return "the assertion has no bearer SubjectConfirmationData"
    for confirmation in delivery.confirmations:
        if confirmation.recipient != acs_url:
            return f"the Recipient {confirmation.recipient!r} is not our ACS URL {acs_url}"
        if confirmation.in_response_to not in (None, request_id):
            return f"the SubjectConfirmationData InResponseTo {confirmation.in_response_to!r} is not our request's ID"
    if entity_id not in delivery.audiences:
        return f"the assertion's audience {list(delivery.audiences)!r} does not name {entity_id}"
    return None
