"""Whether a person's policy attestation is in order: a pure rule, tested without a database."""
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class PolicyStanding:
    required: bool                 # a policy is in force
    version_label: str = ""
    attested: bool = False         # to the version in force
    due_by: datetime | None = None  # the end of the grace period of the version in force

    def allows_rights(self, now: datetime) -> bool:
        """Rights need the current version signed, except during its grace period."""
        return not self.required or self.attested or (self.due_by is not None and now < self.due_by)

    def reason(self, now: datetime) -> str:
        if self.allows_rights(now):
            return ""
        return (f"The social media policy (version {self.version_label}) is not signed; "
                f"it was due by {self.due_by:%-d %b %Y}.")


def standing(version_label: str | None, loaded_at: datetime | None, grace_days: int, attested: bool) -> PolicyStanding:
    """The standing of one person against the version in force (None: no policy, nothing asked)."""
    if version_label is None or loaded_at is None:
        return PolicyStanding(required=False)
    return PolicyStanding(True, version_label, attested, loaded_at + timedelta(days=grace_days))


def names_match(typed: str, full_name: str) -> bool:
    """The typed signature is the person's name, ignoring case, accents' composition and spacing."""
    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", text).casefold().split())

    return bool(norm(typed)) and norm(typed) == norm(full_name)
