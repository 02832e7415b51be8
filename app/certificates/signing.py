"""Ed25519 signatures over a canonical certificate payload.

The key pair lives in the instance folder (created on first use, mode 0600)
or comes from the CERTIFICATE_SIGNING_KEY setting (a PEM private key). The
public key is published, so anyone can check a certificate offline.
"""
import base64
import hashlib
import json
import os
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.instance_files import write_new_file

KEY_FILE = "certificate_signing_key.pem"


def canonical_json(data: dict) -> str:
    """One exact text for the same data: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    public: Ed25519PublicKey = field(init=False)
    key_id: str = field(init=False)

    def __post_init__(self):  # derived once: every certificate check needs both
        object.__setattr__(self, "public", self.private.public_key())
        object.__setattr__(self, "key_id", key_id(self.public))

    def sign(self, payload: str) -> str:
        return b64url(self.private.sign(payload.encode("utf-8")))

    def public_pem(self) -> str:
        return public_pem(self.public)


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> str:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_public_key(pem: str | bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def verify_signature(public: Ed25519PublicKey, payload: str, signature: str) -> bool:
    try:
        public.verify(unb64url(signature), payload.encode("utf-8"))
        return True
    except (InvalidSignature, ValueError):
        return False


def load_or_create_key(instance_path: str, configured_pem: str | None = None) -> SigningKey:
    if configured_pem:
        key = serialization.load_pem_private_key(configured_pem.encode(), password=None)
    else:
        path = os.path.join(instance_path, KEY_FILE)
        if not os.path.exists(path):
            _write_new_key(path)
        with open(path, "rb") as fh:
            key = serialization.load_pem_private_key(fh.read(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the certificate signing key must be an Ed25519 private key")
    return SigningKey(key)


def _write_new_key(path: str) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_new_file(path, pem, 0o600)
