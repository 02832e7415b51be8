"""Loading the policy, attesting to it, and each person's standing. Services take "now" explicitly."""
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, select

from app.accounts.models import User
from app.audit.services import record
from app.courses.markdown import render_markdown
from app.extensions import db
from app.policy.document import PolicyDocument
from app.policy.models import PolicyAttestation, PolicyVersion
from app.policy.rules import PolicyStanding, names_match, standing
from app.unique_rows import add_once
from app.webhooks.outbox import announce_rights


class PolicyError(Exception):
    """An attestation the rules refuse; the message is shown to the person."""


def sync_policy(document: PolicyDocument | None, now: datetime) -> PolicyVersion | None:
    """Store the document as a new version unless this exact text is stored already. Caller commits."""
    if document is None:
        return None
    existing = db.session.scalar(select(PolicyVersion).where(PolicyVersion.sha256 == document.sha256))
    if existing is not None:
        return existing
    version = PolicyVersion(sha256=document.sha256, version_label=document.version, title=document.title,
                            body_markdown=document.markdown, body_html=render_markdown(document.markdown),
                            grace_days=document.grace_days, loaded_at=now)
    db.session.add(version)
    db.session.flush()
    record("policy.loaded", subject_type="policy_version", subject_id=version.id, at=now,
           details={"version": version.version_label, "sha256": version.sha256, "grace_days": version.grace_days})
    return version


def policy_in_force(at: datetime) -> PolicyVersion | None:
    """The newest version loaded by `at`."""
    return db.session.scalar(select(PolicyVersion).where(PolicyVersion.loaded_at <= at)
                             .order_by(PolicyVersion.loaded_at.desc(), PolicyVersion.id.desc()).limit(1))


def attestation_of(user, version: PolicyVersion) -> PolicyAttestation | None:
    return db.session.scalar(select(PolicyAttestation).where(
        PolicyAttestation.user_id == user.id, PolicyAttestation.policy_version_id == version.id))


# The version in force joined to every person, so a rights check asks once, not twice; built once
# (a rights check is a few milliseconds, and building this statement was a good part of one).
_IN_FORCE = (select(PolicyVersion.id).where(PolicyVersion.loaded_at <= bindparam("at"))
             .order_by(PolicyVersion.loaded_at.desc(), PolicyVersion.id.desc()).limit(1).scalar_subquery())
_SIGNED = (select(PolicyAttestation.id).where(
    PolicyAttestation.policy_version_id == PolicyVersion.id, PolicyAttestation.user_id == User.id,
    PolicyAttestation.attested_at <= bindparam("at")).exists())
_STANDINGS = (select(User.id, User.created_at, PolicyVersion.version_label, PolicyVersion.loaded_at,
                     PolicyVersion.grace_days, _SIGNED)
              .outerjoin(PolicyVersion, PolicyVersion.id == _IN_FORCE)
              .where(User.id.in_(bindparam("ids", expanding=True))))


def standings(user_ids: Sequence[int], at: datetime) -> dict[int, PolicyStanding]:
    """Each person's standing at `at` (attestations made by then): one query whatever the number.

    The grace period runs from the version's loading or the person's arrival, whichever is later:
    someone hired after a version loaded has as long to sign it as everyone else had."""
    rows = db.session.execute(_STANDINGS, {"ids": list(user_ids), "at": at})
    result = {uid: standing(None, None, 0, False) for uid in user_ids}  # people not found: nothing asked
    for uid, arrived, label, loaded, grace, attested in rows:
        result[uid] = standing(label, max(loaded, arrived) if loaded else None, grace or 0, bool(attested))
    return result


def standing_of(user, at: datetime) -> PolicyStanding:
    return standings([user.id], at)[user.id]


def attest(user, version: PolicyVersion, agreed: bool, typed_name: str, now: datetime) -> PolicyAttestation:
    """Record that the person read, agreed to and signed this version; then issue any certificate that
    waited for it. Caller commits."""
    from app.certificates.issuing import issue_earned_certificates

    current = policy_in_force(now)
    if current is None or current.id != version.id:
        raise PolicyError("This version of the policy has been replaced. Read the current one and sign it.")
    if not agreed:
        raise PolicyError("Tick the box to confirm that you have read the policy and will follow it.")
    if not names_match(typed_name, user.full_name):
        raise PolicyError(f"Type your full name exactly as PostReady has it ({user.full_name}) to sign.")
    attestation = PolicyAttestation(user_id=user.id, policy_version_id=version.id, sha256=version.sha256,
                                    typed_name=" ".join(typed_name.split()), attested_at=now)
    if not add_once(db.session, attestation):
        raise PolicyError("You have already signed this version of the policy.")
    record("policy.attested", actor=user, subject_type="policy_attestation", subject_id=attestation.id, at=now,
           details={"version": version.version_label, "sha256": version.sha256,
                    "typed_name": attestation.typed_name})
    attestation.issued_certificates = issue_earned_certificates(user, now)
    announce_rights([user.id], now)  # signing may give back rights the grace period's end took
    return attestation
