"""A demo organisation: an admin, two managers, a dozen employees in two departments."""
import unicodedata
from datetime import date

from app.accounts.models import Role, User
from app.accounts.passwords import hash_password
from app.accounts.services import department_named, find_by_email
from app.assignments.services import assign_onboarding
from app.database import utcnow
from app.extensions import db

DEMO_PASSWORD = "postready-demo-2026"
DOMAIN = "demo-health.example"

NURSING = ["Ana Souza", "Ben Okafor", "Chloé Martin", "Dev Patel", "Emma Jones", "Farid Haddad"]
MARKETING = ["Grace Kim", "Hiro Tanaka", "Isabel Ruiz", "Jamal Wright", "Kateřina Nováková", "Liam O'Brien"]


def _email(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().replace("'", "")
    first, last = ascii_name.lower().split(" ", 1)
    return f"{first}.{last}@{DOMAIN}"


def create_demo_organisation() -> list[tuple[str, str]]:
    """Create the demo people unless they exist; return (email, role) for each. Caller commits."""
    password_hash = hash_password(DEMO_PASSWORD)
    created: list[tuple[str, str]] = []

    def person(email, name, role, department=None, manager=None, hired=date(2025, 9, 1)):
        user = find_by_email(email)
        if user is None:
            user = User(email=email, full_name=name, role=role, password_hash=password_hash,
                        department=department_named(department) if department else None,
                        manager=manager, hire_date=hired)
            db.session.add(user)
            db.session.flush()
            assign_onboarding(user, utcnow())
        created.append((email, role))
        return user

    person(f"admin@{DOMAIN}", "Morgan Admin", Role.ADMIN, "Compliance")
    nurse_manager = person(f"nina.manager@{DOMAIN}", "Nina Alvarez", Role.MANAGER, "Nursing")
    marketing_manager = person(f"marco.manager@{DOMAIN}", "Marco Rossi", Role.MANAGER, "Marketing")
    for i, name in enumerate(NURSING):
        person(_email(name), name, Role.EMPLOYEE, "Nursing", nurse_manager, date(2026, 1 + i, 5))
    for i, name in enumerate(MARKETING):
        person(_email(name), name, Role.EMPLOYEE, "Marketing", marketing_manager, date(2026, 2 + i, 12))
    return created
