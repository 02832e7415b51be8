"""The organisation's name, colour and logo on every page; a favicon; an unreadable colour refused."""
from app import create_app
from app.branding import DEFAULT_COLOR, contrast_with_white


def test_brand_colour_and_logo_are_served(app, client, tmp_path):
    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', encoding="utf-8")
    app.config.update(ORG_LOGO_FILE=str(logo), BRAND_COLOR="#7a1f5c")
    page = client.get("/login").text
    assert '/brand.css' in page and 'favicon.svg' in page and 'src="/brand/logo"' in page
    css = client.get("/brand.css")
    assert css.mimetype == "text/css" and "--brand: #7a1f5c" in css.text
    served = client.get("/brand/logo")
    assert served.status_code == 200 and served.mimetype == "image/svg+xml"
    assert client.get("/static/favicon.svg").status_code == 200


def test_no_logo_configured_is_a_404_and_no_img(app, client):
    assert client.get("/brand/logo").status_code == 404
    assert 'class="org-logo"' not in client.get("/login").text


def test_a_colour_white_text_cannot_be_read_on_falls_back(tmp_path, database_url):
    from tests.conftest import _config

    app = create_app({**_config(database_url, tmp_path), "ORG_BRAND_COLOR": "#ffee88"})
    assert app.config["BRAND_COLOR"] == DEFAULT_COLOR
    assert contrast_with_white(DEFAULT_COLOR) >= 4.5


def test_the_api_reference_page_serves_its_own_files(client):
    page = client.get("/api/docs")
    assert page.status_code == 200 and "/api/docs/assets/swagger-ui-bundle.js" in page.text
    assert client.get("/api/docs/assets/swagger-ui-bundle.js").mimetype == "text/javascript"
    assert client.get("/api/docs/assets/index.html").status_code == 404  # only the two files it needs


def test_a_chosen_brand_colour_reaches_the_certificate(app, course, people):
    from app.certificates.models import Certificate
    from app.certificates.services import certificate_document
    from app.extensions import db
    from app.timestamps import utcnow
    from tests.factories import certify

    certify(people.employee, utcnow(), platforms=())
    certificate = db.session.query(Certificate).first()
    assert certificate_document(certificate).accent == ""  # not chosen: the certificate keeps its navy
    app.config.update(ORG_BRAND_COLOR="#7a1f5c", BRAND_COLOR="#7a1f5c")
    assert certificate_document(certificate).accent == "#7a1f5c"
