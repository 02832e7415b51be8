"""The organisation's look: its name (ORG_NAME), brand colour (ORG_BRAND_COLOR) and logo (ORG_LOGO_FILE).

The colour arrives as a small stylesheet (the CSP allows no inline styles); one that white text on it
could not be read against (WCAG contrast below 4.5:1) is refused at start-up for the default.
"""
import re
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, current_app, send_file

bp = Blueprint("branding", __name__)

DEFAULT_COLOR = "#0b5cad"
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
LOGO_TYPES = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


def _luminance(hex_color: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_with_white(hex_color: str) -> float:
    return 1.05 / (_luminance(hex_color) + 0.05)


def darker(hex_color: str, factor: float = 0.78) -> str:
    return "#" + "".join(f"{round(int(hex_color[i:i + 2], 16) * factor):02x}" for i in (1, 3, 5))


def brand_color(app: Flask) -> str:
    """The configured colour if it is a #rrggbb that white text reads on, else the default (with a warning)."""
    color = (app.config.get("ORG_BRAND_COLOR") or DEFAULT_COLOR).strip()
    if not HEX.match(color) or contrast_with_white(color) < 4.5:
        app.logger.warning("ORG_BRAND_COLOR %r is not a #rrggbb colour that white text can be read on "
                           "(contrast 4.5:1); the default is used instead.", color)
        return DEFAULT_COLOR
    return color.lower()


@bp.get("/brand.css")
def brand_css():
    color = current_app.config["BRAND_COLOR"]
    css = f":root {{ --brand: {color}; --brand-dark: {darker(color)}; }}\n"
    return Response(css, mimetype="text/css", headers={"Cache-Control": "public, max-age=3600"})


@bp.get("/brand/logo")
def logo():
    path = current_app.config.get("ORG_LOGO_FILE")
    if not path or Path(path).suffix.lower() not in LOGO_TYPES or not Path(path).is_file():
        abort(404)
    return send_file(Path(path).resolve(), mimetype=LOGO_TYPES[Path(path).suffix.lower()], max_age=3600)


def init_branding(app: Flask) -> None:
    app.config["BRAND_COLOR"] = brand_color(app)
    app.register_blueprint(bp)

    @app.context_processor
    def brand():
        return {"org_logo": bool(app.config.get("ORG_LOGO_FILE"))}
