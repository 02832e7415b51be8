"""The HR file's platforms column: the platforms a person posts on become requirements (live "hr-import"
assignments). A blank cell keeps them, (clear) withdraws them, an unknown name is refused with its line.
Through the real import page and the `postready staff import` command, on a real database."""
import html
import io
import re

import pytest
from sqlalchemy import event, func, select

from app.accounts.models import User
from app.assignments.models import Assignment, AssignmentWithdrawal
from app.extensions import db
from app.staff.csv_cells import CellError
from app.staff.platform_names import PlatformNames, read_platforms
from app.staff.services import existing_people
from tests.conftest import csrf_token

PAGE, APPLY = "/people/import", "/people/import/apply"
HEADER = "email,full_name,role,status,platforms"


@pytest.fixture(autouse=True)
def uploads_dir(app, tmp_path):
    """Kept uploads go to this test's own folder, not the checkout's instance folder."""
    app.config["STAFF_UPLOADS_DIR"] = str(tmp_path / "staff-uploads")


def staff_file(*lines: str) -> bytes:
    return ("\n".join((HEADER, *lines)) + "\n").encode("utf-8")


def upload(client, data: bytes):
    return client.post(PAGE, data={"csrf_token": csrf_token(client, PAGE), "file": (io.BytesIO(data), "hr.csv")},
                       content_type="multipart/form-data")


def apply(client, dry_run_page):
    form = re.search(r'<form method="post" action="/people/import/apply.*?</form>', dry_run_page.text, re.S)
    assert form, "no Apply form on the page"
    fields = dict(re.findall(r'name="(csrf_token|token|plan)"[^>]*value="([^"]*)"', form.group(0)))
    return client.post(APPLY, data={**fields, "confirm": "y"})


def shown(response) -> str:
    """The page's text as a reader sees it: tags and "may wrap here" marks gone, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", response.text.replace("<wbr>", "")))


def hr_platforms(email: str) -> list[str]:
    """The platforms the HR file asks of this person now: their live hr-import assignments."""
    db.session.expire_all()
    return sorted(db.session.scalars(
        select(Assignment.certification_slug).join(User, Assignment.user_id == User.id)
        .outerjoin(AssignmentWithdrawal, AssignmentWithdrawal.assignment_id == Assignment.id)
        .where(User.email == email, Assignment.reason == "hr-import", AssignmentWithdrawal.id.is_(None))))


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- over the import page -----------------------------------------------------------------------------

def test_a_file_with_platforms_creates_people_who_must_earn_them(client, course, people, login):
    login(people.admin)
    dry = upload(client, staff_file(
        'ann@example.org,Ann Lee,employee,active," test INSTAGRAM "',  # the title, any case, spaces around
        "bo@example.org,Bo Chen,employee,active,instagram;",            # the slug, a stray separator
        "cy@example.org,Cy Diaz,employee,active,",                      # blank: none for a new person
        "di@example.org,Di Eng,employee,active,(clear)",                # (clear): none too
    ))
    assert dry.status_code == 200 and "<dt>New</dt><dd>4</dd>" in dry.text
    assert shown(dry).count("platforms: instagram") == 2
    assert count(Assignment, Assignment.reason == "hr-import") == 0  # a dry run changes nothing

    applied = apply(client, dry)
    assert applied.status_code == 200 and "Import applied" in applied.text
    assert hr_platforms("ann@example.org") == hr_platforms("bo@example.org") == ["instagram"]
    assert hr_platforms("cy@example.org") == hr_platforms("di@example.org") == []


def test_the_dry_run_shows_a_platform_change_before_anything_changes(client, course, people, login):
    login(people.admin)
    dry = upload(client, staff_file("eli@test-health.example,Eli Employee,employee,active,Instagram"))
    assert dry.status_code == 200 and "<dt>Changed</dt><dd>1</dd>" in dry.text
    assert "platforms: — → instagram" in shown(dry)
    assert hr_platforms("eli@test-health.example") == []

    assert apply(client, dry).status_code == 200
    assert hr_platforms("eli@test-health.example") == ["instagram"]
    cleared = upload(client, staff_file("eli@test-health.example,Eli Employee,employee,active,(clear)"))
    assert "platforms: instagram → —" in shown(cleared)
    assert hr_platforms("eli@test-health.example") == ["instagram"]


def test_an_unknown_platform_or_the_core_certification_is_refused_on_the_page(client, course, people, login):
    login(people.admin)
    users, assignments = count(User), count(Assignment)
    refused = upload(client, staff_file(
        "ann@example.org,Ann Lee,employee,active,instagram",
        'bo@example.org,Bo Chen,employee,active,"Instagram; Myspace"',
        "eli@test-health.example,Eli Employee,employee,active,Core",
    ))
    assert refused.status_code == 400 and "Apply these changes" not in refused.text
    text = shown(refused)
    assert ("Line 3, platforms: 'Myspace' is not a platform PostReady knows; use Test Instagram (instagram), "
            "separated by ; or ,") in text
    assert "Line 4, platforms: 'Core' is required of everyone, so it is not a platform" in text
    assert count(User) == users and count(Assignment) == assignments


# --- over the command -----------------------------------------------------------------------------------

def test_blank_keeps_the_platforms_and_clear_withdraws_them_without_deleting(cli, course, people, tmp_path):
    path = tmp_path / "hr.csv"
    path.write_bytes(staff_file("eli@test-health.example,Eli Employee,employee,active,Instagram",
                                "olga@test-health.example,Olga Other,employee,active,instagram"))
    assert cli("staff", "import", str(path)).exit_code == 0
    assert hr_platforms("eli@test-health.example") == hr_platforms("olga@test-health.example") == ["instagram"]
    assignments = count(Assignment)

    path.write_bytes(staff_file("eli@test-health.example,Eli Employee,employee,active,",
                                "olga@test-health.example,Olga Other,employee,active,(clear)"))
    dry = cli("staff", "import", str(path), "--dry-run")
    assert dry.exit_code == 0 and "0 to create, 1 to change" in dry.output
    assert f"{path}:3: change olga@test-health.example (platforms: instagram -> none)" in dry.output
    assert "change eli@" not in dry.output
    assert hr_platforms("olga@test-health.example") == ["instagram"]  # a dry run changes nothing

    assert cli("staff", "import", str(path)).exit_code == 0
    assert hr_platforms("eli@test-health.example") == ["instagram"]  # blank: kept
    assert hr_platforms("olga@test-health.example") == []            # (clear): withdrawn...
    assert count(Assignment) == assignments                          # ...not deleted
    assert count(AssignmentWithdrawal, AssignmentWithdrawal.reason == "No longer listed in the HR file") == 1
    again = cli("staff", "import", str(path))
    assert "0 to create, 0 to change" in again.output


def test_an_unknown_platform_is_refused_by_the_command_and_nothing_changes(cli, course, people, tmp_path):
    path = tmp_path / "hr.csv"
    path.write_bytes(staff_file("ann@example.org,Ann Lee,employee,active,instagram",
                                "eli@test-health.example,Eli Employee,employee,active,Instagram",
                                "bo@example.org,Bo Chen,employee,active,myspace"))
    users, assignments = count(User), count(Assignment)
    result = cli("staff", "import", str(path))
    assert result.exit_code == 1 and "Nothing was changed" in result.output
    assert f"{path}: line 4, platforms: 'myspace' is not a platform PostReady knows" in result.output
    assert count(User) == users and count(Assignment) == assignments


# --- the snapshot and the names ---------------------------------------------------------------------------

def test_the_snapshot_reads_everyones_platforms_in_one_query(cli, course, people, tmp_path):
    path = tmp_path / "hr.csv"
    path.write_bytes(staff_file("eli@test-health.example,Eli Employee,employee,active,instagram"))
    assert cli("staff", "import", str(path)).exit_code == 0

    def queries() -> int:
        statements = []

        def listener(*args):
            statements.append(args[2])

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            snapshot = {p.email: p.platforms for p in existing_people()}
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert snapshot["eli@test-health.example"] == ("instagram",) and snapshot["olga@test-health.example"] == ()
        return len(statements)

    few = queries()
    path.write_bytes(staff_file(*(f"p{n}@example.org,Person {n},employee,active,instagram" for n in range(8))))
    assert cli("staff", "import", str(path)).exit_code == 0
    assert queries() == few  # not one more per person


NAMES = PlatformNames({"facebook": "Facebook posting", "instagram": "Instagram posting"}, {"core": "Core privacy"})


@pytest.mark.parametrize("cell", ["Instagram; Facebook", "instagram,facebook", " FACEBOOK POSTING ;instagram;",
                                  "Facebook, Instagram posting, facebook"])
def test_a_platform_may_be_written_as_its_slug_its_title_or_its_title_without_posting(cell):
    assert read_platforms(cell, NAMES) == ("facebook", "instagram")


def test_unknown_names_and_the_core_certification_are_named_in_one_message():
    with pytest.raises(CellError) as caught:
        read_platforms("Core privacy; MySpace; Instagram; TikTok", NAMES)
    assert str(caught.value) == (
        "'Core privacy' is required of everyone, so it is not a platform; remove it from platforms; "
        "'MySpace' and 'TikTok' are not platforms PostReady knows; use Facebook or Instagram, separated by ; or ,")
