"""The holder's download link for their own certificate PDF.

A holder's certificate page links to the PDF by a signed link that lives an hour and is bound to
the holder's sign-in (a digest of their session token, never the token): signing out, a password
change or a deactivation ends the link at once, as it ends the session. Following the link checks
the holder is still signed in and fetches the stored bytes in one query. Anyone else (a manager,
an admin) downloads through the signed-in route, which audits it.
"""
import hashlib
import hmac
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

LIFETIME_SECONDS = 3600
SALT = "postready.certificate-download-link"


@dataclass(frozen=True)
class DownloadLink:
    certificate_id: int
    holder_id: int
    session_digest: str

    def holder_still_signed_in(self, session_token: str, active: bool) -> bool:
        return active and hmac.compare_digest(self.session_digest, session_digest(session_token))


def session_digest(session_token: str) -> str:
    """Enough of a hash to tell one session token from the next, and nothing to sign in with."""
    return hashlib.sha256(session_token.encode()).hexdigest()[:32]


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def make_token(secret_key: str, certificate_id: int, holder_id: int, session_token: str) -> str:
    return _serializer(secret_key).dumps([certificate_id, holder_id, session_digest(session_token)])


def read_token(secret_key: str, token: str, certificate_id: int,
               max_age: int = LIFETIME_SECONDS) -> DownloadLink | None:
    """The link, if the token is ours, unexpired and for this certificate; None otherwise."""
    try:
        payload = _serializer(secret_key).loads(token, max_age=max_age)
    except BadSignature:  # also SignatureExpired
        return None
    if not (isinstance(payload, list) and len(payload) == 3):
        return None
    linked_id, holder_id, digest = payload
    if linked_id != certificate_id or not isinstance(holder_id, int) or not isinstance(digest, str):
        return None
    return DownloadLink(linked_id, holder_id, digest)
