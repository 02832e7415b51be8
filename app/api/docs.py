"""The API's OpenAPI document, readable in the browser: Swagger UI 5 (it reads OpenAPI 3.1) from the files
the flask-swagger-ui package ships, served from here: nothing comes from a CDN, and the page runs under the
site's Content-Security-Policy (the package's own page has an inline script, so this one is ours)."""
from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, abort, render_template, send_from_directory

SWAGGER_UI = Path(flask_swagger_ui.__file__).parent / "dist"

bp = Blueprint("api_docs", __name__, template_folder="templates")
ASSETS = {"swagger-ui-bundle.js", "swagger-ui.css"}


@bp.get("/api/docs")
def docs():
    return render_template("api/docs.html")


@bp.get("/api/docs/assets/<name>")
def asset(name: str):
    if name not in ASSETS:
        abort(404)
    return send_from_directory(SWAGGER_UI, name, max_age=86400)
