"""The SAML service provider's key and certificate: files in the instance folder by default
(SAML_SP_KEY_FILE, SAML_SP_CERT_FILE), made on first use like the certificate signing key.

The certificate is self-signed: IdPs trust it because it is in our metadata, not because of who
signed it. The key file is private to its owner (mode 0600).
"""
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from app.instance_files import write_new_file

KEY_BITS = 3072
CERT_YEARS = 10  # an IdP admin re-imports our metadata when it changes: rarely is better


class SpKeyProblem(RuntimeError):
    """The key and certificate files cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class SpKeyPair:
    key_pem: str
    cert_pem: str
    not_valid_after: datetime


def load_or_create_sp_keys(key_file: str, cert_file: str, public_base_url: str) -> SpKeyPair:
    if not os.path.exists(key_file):
        if os.path.exists(cert_file):
            raise SpKeyProblem(f"{cert_file} exists but its key {key_file} does not. Put the key back, or "
                               "remove both files to make a new pair (then give the IdP our new metadata).")
        write_new_file(key_file, _new_key_pem(), 0o600)
    with open(key_file, "rb") as fh:
        key = serialization.load_pem_private_key(fh.read(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SpKeyProblem(f"{key_file} must hold an RSA private key.")
    if not os.path.exists(cert_file):
        write_new_file(cert_file, _self_signed_cert_pem(key, public_base_url), 0o644)
    with open(cert_file, "rb") as fh:
        cert = x509.load_pem_x509_certificate(fh.read())
    if cert.public_key() != key.public_key():
        raise SpKeyProblem(f"{cert_file} is not the certificate of the key in {key_file}.")
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return SpKeyPair(key_pem, cert.public_bytes(serialization.Encoding.PEM).decode(), cert.not_valid_after_utc)


def _new_key_pem() -> bytes:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _self_signed_cert_pem(key: rsa.RSAPrivateKey, public_base_url: str) -> bytes:
    host = urlsplit(public_base_url).hostname or "postready"
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"PostReady SAML ({host})"[:64])])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=365 * CERT_YEARS))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)
