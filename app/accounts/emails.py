"""Email addresses: one normal form everywhere they enter (forms, the HR import, sign-in, the API).

NFKC folds look-alike compatibility characters (full-width letters, ligatures); the domain is
stored in its IDNA (ASCII) form, so `bücher.example` and `xn--bcher-kva.example` are one address;
the local part is lower-cased. A local part that mixes scripts (a Cyrillic "а" among Latin
letters) is how a look-alike address is made, and is refused where addresses are entered.
"""
import unicodedata

from email_validator import EmailNotValidError, validate_email


class EmailProblem(ValueError):
    """An address that cannot be accepted; the message says why and how to fix it."""


def normalize_email(raw: str) -> str:
    """The stored form of an address (for look-ups it never raises: an odd address finds nobody)."""
    text = unicodedata.normalize("NFKC", raw).strip().lower()
    local, at, domain = text.rpartition("@")
    if not at:
        return text
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        pass  # not a valid domain: left as typed, and check_email refuses it
    return f"{local}@{domain}"


def _script(char: str) -> str | None:
    """The script of a letter, from its Unicode name ("CYRILLIC SMALL LETTER A" -> "CYRILLIC")."""
    if not char.isalpha():
        return None
    return unicodedata.name(char, "UNKNOWN").split(" ")[0]


def check_email(raw: str) -> str:
    """The normal form of an address a person enters, or EmailProblem."""
    value = normalize_email(raw)
    local = value.rpartition("@")[0]
    scripts = {s for s in map(_script, local) if s is not None}
    if len(scripts) > 1:
        raise EmailProblem(f"{value!r} mixes letters of different alphabets ({', '.join(sorted(scripts))}) before "
                           "the @, as look-alike addresses do; type it again in one alphabet")
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise EmailProblem(f"{value!r} is not a valid email address ({exc}); correct it to the form "
                           "name@example.org") from None
    return value
