"""End-to-end set-up: the real app, served by a real HTTP server on loopback, driven by Debian's Chromium.

One session-wide site: a fresh SQLite database in a temporary folder, migrated
with Alembic, the real `courses/` synced and the demo organisation created (what
`postready demo --no-serve` does), plus a few people put in known states through
the service layer so each journey starts where it needs to. Werkzeug serves it
on 127.0.0.1 on a free port in a background thread; Playwright drives
/usr/bin/chromium (never a downloaded browser).

Who is who (all demo people; the password is app.demo.DEMO_PASSWORD):
- ana.souza: the new hire. Four of the five core modules are passed; the browser does the last one.
- ben.okafor: core certified. The admin journey suspends his rights and revokes his certificate.
- emma.jones: core and Instagram certified; never changed by a test (stable pages and screenshots).
- chloe.martin: has read the PHI lessons; the keyboard test takes that quiz.
- dev.patel: an open PHI attempt, and a failed consent attempt (quiz pages for the scans).
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from tests.tools import missing, on_ci, serving

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - reported as a skip reason below
    sync_playwright = None
else:
    expect.set_options(timeout=15_000)  # a certificate's PDF is rendered during the request: allow for a busy CI box

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
REPO = Path(__file__).resolve().parents[2]
COURSES_DIR = REPO / "courses"
COURSE = "hipaa-social-media"
CORE_MODULES = ["phi", "consent", "claims", "reviews", "workflow"]
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

ADMIN = "admin@demo-health.example"
MANAGER = "nina.manager@demo-health.example"
NEW_HIRE = "ana.souza@demo-health.example"
REVOKE_TARGET = "ben.okafor@demo-health.example"
SHOWCASE = "emma.jones@demo-health.example"
KEYBOARD_USER = "chloe.martin@demo-health.example"
SCAN_EMPLOYEE = "dev.patel@demo-health.example"
UNTOUCHED = "farid.haddad@demo-health.example"


def skip_reason() -> str | None:
    if sync_playwright is None:
        return "the Python package playwright is not installed (pip install playwright)"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium); browser tests need it"
    return None


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: end-to-end test in a real browser (Playwright driving Debian's Chromium)")


def pytest_collection_modifyitems(config, items):
    """Skip the browser tests when the browser is missing; under CI=true the `site` fixture fails them instead."""
    reason = skip_reason()
    if reason and not on_ci():
        skip = pytest.mark.skip(reason=reason)
        for item in items:
            if item.get_closest_marker("e2e"):
                item.add_marker(skip)


@dataclass
class Site:
    """The running site and what the set-up put in it."""

    app: object
    base_url: str
    password: str
    people: dict[str, int] = field(default_factory=dict)        # email -> user id
    certificates: dict[str, int] = field(default_factory=dict)  # "<email>:<certification>" -> certificate id
    attempts: dict[str, int] = field(default_factory=dict)      # name -> attempt id

    def url(self, path: str) -> str:
        return self.base_url + path

    @contextlib.contextmanager
    def db(self, write: bool = False):
        """The app's database from the test thread, as a short transaction next to the server's.

        Reads begin deferred, as GET requests do; writes take SQLite's write lock up front.
        """
        from app.extensions import db
        from app.sqlite import write_intent

        write_intent.set(write)
        with self.app.app_context():
            try:
                yield db.session
            finally:
                db.session.remove()
                write_intent.set(True)

    def answer_key(self, attempt_id: int) -> dict[int, tuple[list[int], list[int]]]:
        """question id -> (correct option ids, wrong option ids) of an attempt, read from the database.

        The page never contains the answers; the test looks them up like an examiner would.
        """
        from app.quizzes.models import Attempt

        with self.db() as session:
            attempt = session.get(Attempt, attempt_id)
            return {
                aq.question_id: ([o.id for o in aq.question.options if o.is_correct],
                                 [o.id for o in aq.question.options if not o.is_correct])
                for aq in attempt.questions
            }

    def module_title(self, module_slug: str) -> str:
        from app.courses.services import current_module

        with self.db():
            return current_module(COURSE, module_slug).title

    def lesson_path(self, module_slug: str, index: int) -> str:
        from app.courses.services import current_module

        with self.db():
            return f"/learn/{COURSE}/{module_slug}/{current_module(COURSE, module_slug).lessons[index].slug}"

    def start_attempt_later(self, email: str, module_slug: str, minutes: int) -> int:
        """Start an attempt through the service layer as if `minutes` had passed (the retake cooldown)."""
        from app.accounts.services import find_by_email
        from app.courses.services import current_module
        from app.quizzes.services import start_attempt
        from app.timestamps import utcnow

        with self.db(write=True) as session:
            attempt = start_attempt(find_by_email(email), current_module(COURSE, module_slug),
                                    utcnow() + timedelta(minutes=minutes))
            session.commit()
            return attempt.id


def _signing_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _seed(site: Site) -> None:
    """`postready demo --no-serve`, then the journeys' starting states through the real services."""
    from flask_migrate import upgrade

    from app.accounts.services import find_by_email
    from app.certificates.models import Certificate
    from app.courses.content import read_courses
    from app.courses.services import current_module, record_lesson_view, sync_courses
    from app.demo import create_demo_organisation
    from app.extensions import db, migrations
    from app.policy.document import read_policy_document
    from app.policy.services import attest, policy_in_force, sync_policy
    from app.quizzes.services import start_attempt, submit_attempt
    from app.timestamps import utcnow
    from tests.factories import pass_module

    migrations(site.app)
    with site.app.app_context():
        upgrade()
        courses, problems = read_courses(COURSES_DIR)
        assert problems == [], problems
        sync_courses(courses)
        # The shipped policy, in force since before the demo's history, as `postready demo` loads it.
        sync_policy(read_policy_document(COURSES_DIR)[0], utcnow() - timedelta(days=500))
        people = create_demo_organisation()
        db.session.commit()
        site.people = {email: find_by_email(email).id for email, _role in people}

        earlier = utcnow() - timedelta(days=3)
        user = find_by_email(NEW_HIRE)
        for slug in CORE_MODULES[:-1]:
            pass_module(user, slug, earlier, course_slug=COURSE)
        for email, slugs in ((REVOKE_TARGET, CORE_MODULES), (SHOWCASE, CORE_MODULES + ["instagram"])):
            user = find_by_email(email)
            attest(user, policy_in_force(earlier), True, user.full_name, earlier)  # the new hire signs in the browser
            for slug in slugs:
                pass_module(user, slug, earlier, course_slug=COURSE)
            for certificate in db.session.query(Certificate).filter_by(user_id=user.id):
                site.certificates[f"{email}:{certificate.certification_slug}"] = certificate.id

        def read_lessons(user, module):
            for lesson in module.lessons:
                record_lesson_view(user, lesson)

        read_lessons(find_by_email(KEYBOARD_USER), current_module(COURSE, "phi"))

        scanner = find_by_email(SCAN_EMPLOYEE)
        consent = current_module(COURSE, "consent")
        read_lessons(scanner, consent)
        failed = start_attempt(scanner, consent, earlier)
        answers = {aq.question_id: [next(o.id for o in aq.question.options if not o.is_correct)]
                   for aq in failed.questions}
        answers[failed.questions[0].question_id] = [o.id for o in failed.questions[0].question.options
                                                     if o.is_correct]
        submit_attempt(scanner, failed, answers, earlier + timedelta(minutes=5))
        phi = current_module(COURSE, "phi")
        read_lessons(scanner, phi)
        open_attempt = start_attempt(scanner, phi, utcnow())
        db.session.commit()
        site.attempts = {"failed": failed.id, "open": open_attempt.id}
        db.session.remove()


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The app on a real server on loopback, with the demo organisation. Yields a Site."""
    reason = skip_reason()
    if reason:
        missing(reason)
    from app import create_app
    from app.demo import DEMO_PASSWORD
    from app.extensions import db

    tmp = tmp_path_factory.mktemp("e2e")
    app = create_app({
        "TESTING": False,
        "SECRET_KEY": "e2e-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'e2e.sqlite3'}",
        "COURSES_DIR": str(COURSES_DIR),
        "SESSION_COOKIE_SECURE": False,
        "CERTIFICATE_SIGNING_KEY": _signing_key_pem(),
        "RATELIMIT_STORAGE_URI": "memory://",
        "VERIFY_RATE_LIMIT": "10000 per minute",
        "MAIL_BACKEND": "console",
        "ORG_NAME": "PostReady Demo Health",
    })
    with serving(app) as base_url:
        app.config["PUBLIC_BASE_URL"] = base_url  # the QR codes point at this server
        site = Site(app=app, base_url=base_url, password=DEMO_PASSWORD)
        _seed(site)  # no browser has asked for anything yet
        try:
            yield site
        finally:
            with app.app_context():
                db.engine.dispose()


@pytest.fixture(scope="session")
def browser(site):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, site):
    """Open a page in a fresh browser context (its own cookies); every context is closed afterwards."""
    contexts = []

    def _new_page(viewport=DESKTOP, **options):
        context = browser.new_context(base_url=site.base_url, viewport=viewport, accept_downloads=True, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield _new_page
    for context in contexts:
        context.close()


def log_in(page, site: Site, email: str) -> None:
    """Sign in through the real login form."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(site.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture(scope="session")
def signed_in(browser, site):
    """A signed-in page per demo login (None: not signed in), shared by the read-only tests.

    signed_in(email, viewport) returns that person's page resized to the viewport.
    """
    contexts, pages = [], {}

    def _page(email: str | None, viewport=DESKTOP):
        if email not in pages:
            context = browser.new_context(base_url=site.base_url, viewport=viewport)
            context.set_default_timeout(15_000)
            contexts.append(context)
            page = context.new_page()
            page.csp_violations = []  # the browser reports any blocked inline script or style on the console
            page.on("console", lambda msg, page=page: page.csp_violations.append(msg.text)
                    if "Content Security Policy" in msg.text else None)
            if email:
                log_in(page, site, email)
            pages[email] = page
        page = pages[email]
        if page.viewport_size != viewport:
            page.set_viewport_size(viewport)
        return page

    yield _page
    for context in contexts:
        context.close()
