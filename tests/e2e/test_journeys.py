"""Whole journeys in a real browser: a new hire, a manager, an administrator."""
import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import (
    ADMIN,
    MANAGER,
    NEW_HIRE,
    PHONE,
    SHOWCASE,
    log_in,
)
from tests.e2e.helpers import assert_accessible
from tests.tools import need_module, need_tool

pytestmark = pytest.mark.e2e
expect = need_module("playwright.sync_api", "playwright").expect

HR_EXPORT = Path(__file__).resolve().parents[1] / "fixtures" / "staff" / "hr_export.csv"


def answer_quiz(page, site, pick: str) -> None:
    """Answer every question: all its right options (pick="right") or one wrong option (pick="wrong")."""
    attempt_id = int(re.search(r"/attempts/(\d+)", page.url).group(1))
    key = site.answer_key(attempt_id)
    questions = page.locator("fieldset.question")
    assert questions.count() == len(key) > 0
    for question_id, (right, wrong) in key.items():
        for option_id in (right if pick == "right" else wrong[:1]):
            page.locator(f"#o{option_id}").check()
    page.get_by_role("button", name="Submit answers").click()


def assert_tagged_pdf(pdf: Path) -> None:
    """A PDF a screen reader can read: tagged (PDF/UA), with a title (read with pdfinfo)."""
    assert pdf.read_bytes().startswith(b"%PDF")
    need_tool("pdfinfo", "poppler-utils")
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M), info
    assert re.search(r"^Title:\s+\S", info, re.M), info


def qr_code_url(pdf: Path, tmp_path: Path) -> str:
    """The URL in the certificate's QR code (read with poppler-utils' pdftoppm and zbar-tools' zbarimg)."""
    need_tool("pdftoppm", "poppler-utils")
    need_tool("zbarimg", "zbar-tools")
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / "page")], check=True)
    out = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(tmp_path / "page.png")],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def test_new_hire_reads_fails_retakes_passes_and_is_certified(site, new_page, tmp_path):
    page = new_page()
    log_in(page, site, NEW_HIRE)

    # My training: four core modules were passed before; the workflow module is next.
    title = site.module_title("workflow")
    expect(page.get_by_role("heading", level=1)).to_have_text("My training")
    expect(page.get_by_text(re.compile(r"^4 of 5 required modules complete$"))).to_be_visible()
    page.locator(".required-plan").get_by_role("link", name=re.compile(re.escape(title))).click()

    # The module: its quiz opens once every lesson is read.
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text("Read every lesson to open the quiz.")).to_be_visible()
    lessons = page.locator(".lesson-list a")
    count = lessons.count()
    assert count > 1
    lessons.first.click()
    for number in range(1, count + 1):
        expect(page.locator(".breadcrumb")).to_contain_text(f"Lesson {number} of {count}")
        expect(page.locator("article.lesson h1")).to_be_visible()
        assert page.locator("article.lesson p").count() > 0
        if number < count:
            page.get_by_role("link", name=re.compile(r"^Next: ")).click()
    page.get_by_role("link", name="Key takeaways and quiz →").click()
    expect(page.get_by_role("heading", name="Key takeaways")).to_be_visible()
    expect(page.get_by_text(f"{count} of {count} lessons read")).to_be_visible()

    # First attempt: every answer wrong on purpose.
    page.get_by_role("button", name="Start the quiz").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Quiz: {title}")
    answer_quiz(page, site, "wrong")

    # The result and its feedback.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Not passed yet")
    expect(page.locator(".score")).to_contain_text("You scored 0%")
    expect(page.locator("#result")).to_be_focused()
    review = page.locator("li.review-item")
    assert review.count() > 0
    expect(page.locator("li.review-item.wrong")).to_have_count(review.count())
    first = review.first
    expect(first.get_by_text("✗ Not right")).to_be_visible()
    expect(first.get_by_text("Your answer").first).to_be_visible()
    expect(first.get_by_text("Correct answer")).to_have_count(0)  # the key waits for a pass
    expect(first.locator(".explanation")).to_contain_text("Read again:")
    expect(first.locator(".citation")).to_contain_text("Source:")
    assert len(first.locator(".feedback").first.inner_text().strip()) > 10

    # The result's next step: read again what was missed (named lesson by lesson), retry at a time.
    next_step = page.locator("#result .next-step")
    expect(next_step).to_contain_text("read again what this attempt missed")
    expect(page.locator("#result .status-line")).to_contain_text(re.compile(r"Not passed \(0%\) · retry after"))
    missed = next_step.locator(".reread-list a").first.get_attribute("href")
    page.goto(site.url(missed.rsplit("/", 1)[0] + "/"))  # the module page

    # The cooldown holds: no retake straight away, and the lessons the attempt missed are listed.
    expect(page.locator(".notice").filter(has_text="minutes after a failed attempt")).to_be_visible()
    expect(page.get_by_role("button", name="Start the quiz")).to_have_count(0)
    reread = page.locator(".reread a")
    assert reread.count() > 0
    module_url = page.url
    for href in [reread.nth(i).get_attribute("href") for i in range(reread.count())]:
        page.goto(site.url(href))  # reopening each one is what a retake waits for
        expect(page.locator("article.lesson h1")).to_be_visible()
    page.goto(module_url)
    expect(page.locator(".reread")).to_have_count(0)

    # Eleven minutes later (the course's cooldown is ten) the retake starts; the service layer
    # starts it at that moment, and the browser continues it.
    site.start_attempt_later(NEW_HIRE, "workflow", minutes=11)
    page.reload()
    page.get_by_role("link", name="Continue your quiz").click()
    answer_quiz(page, site, "right")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Passed")
    expect(page.locator(".score")).to_contain_text("You scored 100%")
    expect(page.locator("#result")).to_be_focused()

    # Every module passed, but the certificate waits for the social media policy: read, tick, sign.
    page.locator("#result").get_by_role("link", name="Read and sign it").click()
    expect(page.get_by_role("heading", name="Sign the policy")).to_be_visible()
    page.get_by_label("Type your full name to sign").fill("Ana Sousa")  # a typo is refused
    page.get_by_label("I have read this policy and I will follow it.").check()
    page.get_by_role("button", name=re.compile(r"^Sign version ")).click()
    expect(page.locator(".flash, .notice").filter(has_text="Type your full name")).to_be_visible()
    page.get_by_label("Type your full name to sign").fill("Ana Souza")
    page.get_by_label("I have read this policy and I will follow it.").check()
    page.get_by_role("button", name=re.compile(r"^Sign version ")).click()
    expect(page.get_by_text(re.compile(r"Signed: .* Your certificate is issued"))).to_be_visible()
    expect(page.locator(".policy-due")).to_have_count(0)

    # The certificate, on My rights.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My rights").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My posting rights")
    expect(page.get_by_role("row", name=re.compile("Reply to comments and reviews"))).to_contain_text("Allowed")
    page.locator(".cert-list").get_by_role("link", name="HIPAA-Safe Social Media (core)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("HIPAA-Safe Social Media (core)")
    expect(page.locator(".status-line")).to_contain_text("Valid")

    # The PDF.
    with page.expect_download() as info:
        page.get_by_role("link", name="Download PDF").click()
    download = info.value
    assert re.fullmatch(r"postready-certificate-core-\d{4}-\d{2}-\d{2}\.pdf", download.suggested_filename)
    pdf = tmp_path / download.suggested_filename
    download.save_as(pdf)
    assert_tagged_pdf(pdf)

    # The verification page, where the QR code points, opened by someone not signed in.
    link = page.get_by_role("link", name="Public verification page").get_attribute("href")
    verification_url = site.url(link)
    assert qr_code_url(pdf, tmp_path) == verification_url
    stranger = new_page(viewport=PHONE)
    stranger.goto(verification_url)
    expect(stranger.get_by_role("heading", level=1)).to_contain_text("Valid certificate")
    expect(stranger.locator(".facts")).to_contain_text("Ana Souza")


def test_manager_filters_team_opens_person_and_exports(site, new_page, tmp_path):
    page = new_page()
    log_in(page, site, MANAGER)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My team")
    expect(page.get_by_text("6 people shown.")).to_be_visible()
    expect(page.locator("figure.chart-figure svg.chart-wide")).to_be_visible()

    # Filter by status.
    page.get_by_label("Status", exact=True).select_option("certified")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"status=certified"))
    table = page.get_by_role("table", name="Training status by person and requirement")
    expect(table.get_by_role("link", name="Emma Jones")).to_be_visible()
    expect(table.get_by_role("link", name="Farid Haddad")).to_have_count(0)
    expect(page.get_by_label("Status", exact=True)).to_have_value("certified")

    # Open a person.
    table.get_by_role("link", name="Emma Jones").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Emma Jones")
    expect(page.locator(".facts")).to_contain_text(SHOWCASE)
    expect(page.locator(".cert-list")).to_contain_text("Instagram posting")
    page.go_back()

    # Export the filtered list as CSV.
    with page.expect_download() as info:
        page.get_by_role("link", name="Export CSV").click()
    csv_file = tmp_path / "team.csv"
    info.value.save_as(csv_file)
    assert re.fullmatch(r"postready-team-\d{4}-\d{2}-\d{2}\.csv", info.value.suggested_filename)
    text = csv_file.read_text(encoding="utf-8-sig")
    assert "Emma Jones" in text and "Farid Haddad" not in text

    # The audit report (PDF).
    with page.expect_download() as info:
        page.get_by_role("link", name="Audit report (PDF)").click()
    assert re.fullmatch(r"postready-audit-team-\d{4}-\d{2}-\d{2}\.pdf", info.value.suggested_filename)
    pdf = tmp_path / "audit.pdf"
    info.value.save_as(pdf)
    assert_tagged_pdf(pdf)


def test_admin_imports_staff_suspends_rights_and_revokes_a_certificate(site, new_page):
    page = new_page()
    log_in(page, site, ADMIN)

    # People → Import from HR: one upload, a dry run that changes nothing yet.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    page.get_by_role("link", name="Import from HR (CSV)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import staff from HR")
    page.get_by_label("HR export (CSV, UTF-8)").set_input_files(HR_EXPORT)
    page.get_by_role("button", name="Check the file").click()
    result = page.locator("#import-result")
    expect(result.get_by_role("heading", level=2)).to_have_text("Dry run: nothing has changed yet")
    expect(result).to_be_focused()  # the form posts to #import-result, so the outcome is read out first
    creates = int(result.locator("dt:text-is('New') + dd").inner_text())
    assert creates > 0
    expect(result.locator("dt:text-is('Problems') + dd")).to_have_text("0")
    expect(result.get_by_role("heading", name=f"To create ({creates})")).to_be_visible()
    expect(result).to_contain_text("priya.raman@example.org")
    assert_accessible(page, "import dry-run result")
    people = page.context.new_page()  # nobody was created by the dry run
    people.goto("/people")
    people.get_by_label("Search by name or email").fill("priya")
    people.get_by_role("button", name="Search").click()
    expect(people.get_by_text("No one matches.")).to_be_visible()

    # Then apply that same file: no second upload, but a confirmation.
    page.get_by_role("button", name="Apply these changes").click()
    expect(page.locator("#import-result .notice")).to_contain_text("tick the box to confirm")
    page.get_by_label(re.compile("I have checked these changes")).check()
    page.get_by_role("button", name="Apply these changes").click()
    expect(page.locator("#import-result h2")).to_have_text("Import applied")
    expect(page.locator("#import-result dt:text-is('New') + dd")).to_have_text(str(creates))
    people.reload()
    expect(people.get_by_role("link", name="Priya Raman")).to_be_visible()
    people.close()

    # Find a person on the organization dashboard; open their posting rights; suspend them.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Organization").click()
    page.get_by_label("Name or email").fill("ben.okafor")
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("link", name="Ben Okafor").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ben Okafor")
    page.get_by_role("link", name="Posting rights and suspensions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Posting rights: Ben Okafor")
    rights = page.get_by_role("table", name="Each posting right and whether it is allowed now")
    expect(rights.get_by_role("row", name=re.compile("Reply to comments and reviews"))).to_contain_text("Allowed")
    page.get_by_label("Which rights").select_option(label="All posting rights")
    page.get_by_label("Reason").fill("Shared a patient photo on a personal account; under review.")
    page.get_by_role("button", name="Suspend").click()
    expect(page.locator(".flash-success")).to_contain_text("Suspended. Ben Okafor cannot use")
    expect(rights.get_by_text("Allowed", exact=True)).to_have_count(0)
    expect(page.locator(".history")).to_contain_text("Shared a patient photo")
    expect(page.get_by_role("button", name="Lift suspension")).to_be_visible()
    assert_accessible(page, "rights page with a suspension in force")

    # Revoke his certificate on its page.
    page.locator(".cert-list").get_by_role("link", name="HIPAA-Safe Social Media (core)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("HIPAA-Safe Social Media (core)")
    page.get_by_label("Reason for revoking").fill("Issued in error: the final quiz was taken by someone else.")
    page.get_by_role("button", name="Revoke certificate").click()
    expect(page.locator(".flash-success")).to_contain_text("Certificate revoked.")
    expect(page.locator(".status-line")).to_contain_text("Revoked")
    expect(page.locator(".notice")).to_contain_text("Issued in error")
    assert_accessible(page, "revoked certificate")
    page.get_by_role("link", name="Public verification page").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Revoked certificate")
    expect(page.locator(".facts")).to_contain_text("Revoked")
    expect(page.locator("main")).not_to_contain_text("Issued in error")  # the reason is internal
    assert_accessible(page, "verification of a revoked certificate")
