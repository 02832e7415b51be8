"""Every email carries the organisation's brand: its text as written, then an HTML version with the
organisation's name, colour and logo (an inline part, never fetched from the web), its links clickable,
and nothing a person typed turned into markup."""
import html
import re
from email import message_from_string
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from app.mail import Mail, Mailer
from app.mail_html import Piece, blocks_of
from tests.conftest import csrf_token
from tests.test_lifecycle import smtp  # noqa: F401  (a real SMTP server on loopback)

SCRIPT_NAME = "Nova <script>alert(1)</script> New"
NEW = {"email": "nova.new@test-health.example", "full_name": SCRIPT_NAME, "role": "employee", "manager_id": "0"}
REPO_PNG = Path(__file__).parents[1] / "docs" / "screenshots" / "certificate-1366.png"


def received(raw: str) -> EmailMessage:
    return message_from_string(raw.replace("\r\n", "\n"), policy=default)  # as sent over SMTP: CRLF


def invite_nova(client, people, login) -> None:
    login(people.admin)
    client.post("/people/new", data={**NEW, "csrf_token": csrf_token(client, "/people/new")})


def test_an_invitation_has_its_text_then_a_branded_html_version(app, client, people, login, smtp):  # noqa: F811
    app.config.update(ORG_BRAND_COLOR="#7a1f5c", BRAND_COLOR="#7a1f5c")
    invite_nova(client, people, login)
    message = received(smtp.messages[0][1])
    assert message.get_content_type() == "multipart/alternative"
    text_part, html_part = message.get_payload()
    assert text_part.get_content_type() == "text/plain" and html_part.get_content_type() == "text/html"
    text, page = text_part.get_content(), html_part.get_content()

    url = re.search(r"^(https?://\S+/welcome/\S+)$", text, re.MULTILINE).group(1)  # alone on its line
    assert f'href="{html.escape(url)}"' in page  # a button to the very same link
    assert "Test Health" in page and "#7a1f5c" in page
    assert SCRIPT_NAME in text  # the text is as written
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
    assert "cid:" not in page and len(list(message.walk())) == 3  # no logo set: the name alone, no image part


def test_a_logo_goes_inline_and_the_html_names_it_by_cid(app, smtp, tmp_path):  # noqa: F811
    app.config.update(ORG_LOGO_FILE=str(REPO_PNG))
    mail = Mail("eli@test-health.example", "Hello", "Hello Eli,\n\nSee your rights: https://x.test/rights.\n",
                reason="You get this email because you have a PostReady account.")
    with Mailer(app.config) as mailer:
        mailer.send(mail)
    message = received(smtp.messages[0][1])
    text_part, related = message.get_payload()
    assert text_part.get_content() == mail.text
    assert related.get_content_type() == "multipart/related"
    html_part, image = related.get_payload()
    page = html_part.get_content()
    assert image.get_content_type() == "image/png" and image.get_content() == REPO_PNG.read_bytes()
    assert f'src="cid:{image["Content-ID"].strip("<>")}"' in page
    assert '<a href="https://x.test/rights"' in page and "</a>." in page  # the full stop is not in the link
    assert "You get this email because you have a PostReady account." in page


def test_an_svg_logo_is_left_out_of_emails_and_the_name_shown_alone(app, smtp, tmp_path):  # noqa: F811
    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', encoding="utf-8")
    app.config.update(ORG_LOGO_FILE=str(logo))
    with Mailer(app.config) as mailer:
        mailer.send(Mail("eli@test-health.example", "Hello", "Hello Eli,\n"))
    message = received(smtp.messages[0][1])
    assert [p.get_content_type() for p in message.walk()] == ["multipart/alternative", "text/plain", "text/html"]
    assert "cid:" not in message.get_body(("html",)).get_content()


def test_the_console_backend_prints_only_the_text(app, client, people, login, capsys):
    app.config.update(MAIL_BACKEND="console")
    invite_nova(client, people, login)
    printed = capsys.readouterr().out
    assert "/welcome/" in printed and "<html" not in printed and "<table" not in printed


def test_text_becomes_paragraphs_buttons_and_links():
    blocks = blocks_of("Hi <b>you</b>,\n\nOpen it:\n\n  https://x.test/a?b=1&c=2  \n\n"
                       "See https://x.test/r. Or (https://x.test/s)\n-- PostReady\n")
    assert [b.button for b in blocks] == [None, None, "https://x.test/a?b=1&c=2", None]
    assert blocks[0].lines == ((Piece("Hi <b>you</b>,"),),)
    assert blocks[3].lines == (
        (Piece("See "), Piece("https://x.test/r", "https://x.test/r"), Piece(". Or ("),
         Piece("https://x.test/s", "https://x.test/s"), Piece(")")),
        (Piece("-- PostReady"),),
    )
    assert blocks_of("javascript:alert(1) and ftp://x.test")[0].lines == (
        (Piece("javascript:alert(1) and ftp://x.test"),),)  # only http(s) addresses become links
