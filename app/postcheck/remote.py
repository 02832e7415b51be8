"""The checker service: the language model in its own process, so web workers stay small.

`postready post-checks serve` answers POST /detect with what the analyzer found in a text; web
workers with POST_CHECK_URL send the text there and apply the rules themselves. The text is
neither stored nor logged on either side. Bind it to loopback or a private network only.
"""
import json

import urllib3
from flask import Flask, jsonify, request

from app.postcheck.analyzer import Detection, detect, engine

TIMEOUT = urllib3.Timeout(connect=2, read=10)
_pool = urllib3.PoolManager(retries=False, timeout=TIMEOUT)


class CheckerUnavailable(Exception):
    """The checker service did not answer."""


def detect_remotely(url: str, text: str) -> list[Detection]:
    try:
        response = _pool.request("POST", url.rstrip("/") + "/detect", body=json.dumps({"text": text}),
                                 headers={"Content-Type": "application/json"})
    except urllib3.exceptions.HTTPError as exc:
        raise CheckerUnavailable(f"The post checker at {url} did not answer ({type(exc).__name__}).") from None
    if response.status != 200:
        raise CheckerUnavailable(f"The post checker at {url} answered {response.status}.")
    return [Detection(**d) for d in response.json()["detections"]]


def checker_app() -> Flask:
    app = Flask("postready-post-checker")
    app.config["MAX_CONTENT_LENGTH"] = 200_000

    @app.post("/detect")
    def detect_view():
        text = (request.get_json(silent=True) or {}).get("text")
        if not isinstance(text, str) or not text:
            return jsonify(error="Send JSON {\"text\": ...}."), 400
        return jsonify(detections=[d.__dict__ for d in detect(text)])

    @app.get("/health")
    def health():
        engine()
        return jsonify(ok=True)

    return app
