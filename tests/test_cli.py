"""The postready command line."""
from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.courses.models import CourseVersion
from app.extensions import db
from tests.conftest import FIXTURE_COURSES


def test_demo_sets_up_an_organisation_and_is_repeatable(app, cli):
    app.config["COURSES_DIR"] = str(FIXTURE_COURSES.parent.parent.parent / "courses")
    result = cli("demo", "--no-serve")
    assert result.exit_code == 0, result.output
    assert "admin@demo-health.example" in result.output and "postready-demo-2026" in result.output
    roles = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
    assert roles == {Role.ADMIN: 1, Role.MANAGER: 2, Role.EMPLOYEE: 12}
    assert db.session.scalar(select(func.count()).select_from(CourseVersion)) == 1
    again = cli("demo", "--no-serve")
    assert again.exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == 15


def test_courses_check_passes_on_the_real_curriculum(app, cli):
    app.config["COURSES_DIR"] = str(FIXTURE_COURSES.parent.parent.parent / "courses")
    result = cli("courses", "check")
    assert result.exit_code == 0, result.output
    assert "hipaa-social-media" in result.output and "10 modules" in result.output
