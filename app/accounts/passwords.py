"""Password hashing (argon2id) and the password policy."""
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 128  # long enough for passphrases, short enough to bound hashing work

# argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): strong, and quick
# enough that logins on a 2-core server do not queue behind hashing.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified when no account matches, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("postready-no-such-account")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships the 30,000 most common passwords from real breaches.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def _guessability(password: str, user_inputs: list[str]) -> int:
    """zxcvbn's 0-4 score: patterns such as keyboard walks, repeats, dates and dictionary words."""
    from zxcvbn import zxcvbn

    return zxcvbn(password[:MAX_LENGTH], user_inputs=user_inputs)["score"]


@dataclass(frozen=True)
class PasswordCheck:
    ok: bool
    problems: tuple[str, ...] = ()


def check_password_policy(password: str, email: str = "", full_name: str = "") -> PasswordCheck:
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Use at most {MAX_LENGTH} characters.")
    lowered = password.casefold()
    local_part = email.split("@")[0].casefold()
    if local_part and len(local_part) >= 4 and local_part in lowered:
        problems.append("Do not use your email address in your password.")
    if len(set(password)) < 4 and password:
        problems.append("Use more than a few different characters.")
    if lowered in _common_passwords() or lowered.rstrip("0123456789!") in _common_passwords():
        problems.append("That password is on the list of commonly used passwords; choose another.")
    elif not problems and _guessability(password, [email, full_name, "postready"]) < 2:
        problems.append("That password follows an easy-to-guess pattern; a few unrelated words work well.")
    return PasswordCheck(not problems, tuple(problems))
