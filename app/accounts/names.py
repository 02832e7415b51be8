"""People's names: one normal form wherever they enter (the admin form, the HR import, and later
single sign-on and SCIM), and no characters that make a name read differently than it is stored.

NFC joins a letter and its combining accent into one character, so "José" typed two ways is one
name. Invisible format characters (category Cf: right-to-left overrides such as U+202E, zero-width
spaces and joiners) and control characters are refused: a certificate made out to "Emma
\u202eJones" would read "Emma senoJ".
"""
import unicodedata

MAX_NAME_LENGTH = 300


class NameProblem(ValueError):
    """A name that cannot be stored; the message says why and how to fix it."""


def check_name(raw: str, what: str = "The name") -> str:
    value = " ".join(unicodedata.normalize("NFC", raw).split())
    hidden = next((c for c in value if unicodedata.category(c) in ("Cf", "Cc")), None)
    if hidden is not None:
        label = unicodedata.name(hidden, "a control character")
        raise NameProblem(f"{what} contains an invisible character (U+{ord(hidden):04X} {label}) that changes "
                          "how it reads; type it again without it")
    if not value:
        raise NameProblem(f"{what} is blank; enter the person's name")
    if len(value) > MAX_NAME_LENGTH:
        raise NameProblem(f"{what} is {len(value)} characters long; shorten it to at most {MAX_NAME_LENGTH}")
    return value
