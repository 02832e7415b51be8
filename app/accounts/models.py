"""People and departments."""
import secrets
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.timestamps import UTCDateTime, utcnow


class Role(StrEnum):
    EMPLOYEE = "employee"
    MANAGER = "manager"
    ADMIN = "admin"


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class Department(db.Model):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('employee', 'manager', 'admin')", name="role_known"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique constraint is case-insensitive.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20), default=Role.EMPLOYEE)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    hire_date = mapped_column(db.Date, nullable=True)
    active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(default=False)
    timezone: Mapped[str | None] = mapped_column(String(64))  # IANA name; None: the organisation's
    # Part of the login cookie; replacing it ends every session of this person.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    deactivated_at = mapped_column(UTCDateTime, nullable=True)
    # May sign in with a password when PASSWORD_LOGIN is off (an admin keeps it for when SSO is down).
    break_glass: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Created at a first single sign-on (SSO_CREATE_PEOPLE): an admin should set manager and department.
    needs_review: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Admin because the provider said they are in SSO_ADMIN_GROUP: leaving the group ends it.
    admin_from_group: Mapped[bool] = mapped_column(default=False, server_default=false())
    # From the identity provider's SCIM client (app/scim): its id for the person and the employee number.
    external_id: Mapped[str | None] = mapped_column(String(255), index=True)
    employee_number: Mapped[str | None] = mapped_column(String(64))
    # SCIM's userName as sent (Entra's UPN, Okta's login); None: never sent, SCIM shows the address.
    # Unique as stored; app/scim/services.py also refuses one that differs only in case.
    scim_user_name: Mapped[str | None] = mapped_column(String(255), index=True, unique=True)
    # SCIM created or changed this person: with STAFF_SOURCE=scim the HR import leaves them alone.
    scim_managed: Mapped[bool] = mapped_column(default=False, server_default=false())
    # SCIM deleted them: deactivated, kept as evidence, and gone from SCIM (404) unless created again.
    scim_deleted_at = mapped_column(UTCDateTime, nullable=True)

    manager: Mapped["User | None"] = relationship(remote_side=[id], back_populates="reports")
    reports: Mapped[list["User"]] = relationship(back_populates="manager")
    department: Mapped[Department | None] = relationship()

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def end_all_sessions(self) -> None:
        self.session_token = new_session_token()

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class PersonPlacement(db.Model):
    """Where a person stood from `effective_at` on: department, manager and whether active.

    Append-only, like the other evidence: every change of any of the three adds a row, so a
    roster "as of" a past date groups people by the department and reporting line they had then.
    """
    __tablename__ = "person_placements"
    __table_args__ = (db.Index("ix_person_placements_user_effective", "user_id", "effective_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    effective_at = mapped_column(UTCDateTime, nullable=False)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    active: Mapped[bool] = mapped_column()
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
