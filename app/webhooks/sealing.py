"""Endpoint secrets encrypted at rest. A receiver checks signatures with the secret, so PostReady
must keep it readable (it cannot be hashed like an API token); a copy of the database alone would
let anyone forge "may post" events to the social tools, so it is sealed with a key kept apart:
WEBHOOK_SECRETS_KEY, or a key made in the instance folder (mode 0600) on first use. Losing the key
means rotating every endpoint's secret."""
import os

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

from app.instance_files import write_new_file

KEY_FILE = "webhook_secrets.key"


class SealBroken(Exception):
    """A stored secret cannot be opened with this site's key."""


def _fernet() -> Fernet:
    app = current_app
    if "webhook_secrets" not in app.extensions:
        key = app.config.get("WEBHOOK_SECRETS_KEY")
        if not key:
            path = os.path.join(app.instance_path, KEY_FILE)
            if not os.path.exists(path):
                write_new_file(path, Fernet.generate_key(), 0o600)
            with open(path, "rb") as fh:
                key = fh.read().strip()
        app.extensions["webhook_secrets"] = Fernet(key)
    return app.extensions["webhook_secrets"]


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def unseal(stored: str) -> str:
    try:
        return _fernet().decrypt(stored.encode()).decode()
    except InvalidToken:
        raise SealBroken("This endpoint's secret cannot be read with this site's WEBHOOK_SECRETS_KEY; "
                         "rotate it.") from None
