"""The checker's engine: runs with no network at all, and as a separate service for the web workers."""
import subprocess
import sys
from pathlib import Path

import pytest

from app.postcheck import analyzer
from app.postcheck.remote import checker_app
from tests.conftest import csrf_token
from tests.tools import serving

ROOT = Path(__file__).parent.parent
NO_NETWORK = """
import socket, sys
def refuse(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request"):
        raise RuntimeError(f"network use: {event} {args!r}")
sys.addaudithook(refuse)
from app.postcheck.analyzer import detect
found = {d.entity for d in detect("Email jo.smith@example.org or see https://www.gofundme.com/f/help-jo, "
                                  "Maria Lopez, MRN 00482913, room 4B, on March 3.")}
print(sorted(found))
"""


def test_the_engine_loads_and_checks_with_no_network_use_at_all(tmp_path):
    """Every socket connection or name lookup raises: the model, the public-suffix list and the
    recognizers must all come from the installed packages."""
    result = subprocess.run([sys.executable, "-c", NO_NETWORK], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr[-2000:]
    for entity in ("EMAIL_ADDRESS", "PATIENT_URL", "PERSON", "MRN", "ROOM_BED", "SPECIFIC_DATE"):
        assert entity in result.stdout
    assert not (tmp_path / ".cache").exists()  # nothing written to fetch later either


def test_the_model_is_the_pinned_one(monkeypatch):
    analyzer.check_model()  # the installed weights match the hash
    monkeypatch.setattr(analyzer, "MODEL_NER_SHA256", "0" * 64)
    with pytest.raises(analyzer.ModelProblem, match="not the pinned ones"):
        analyzer.check_model()


@pytest.fixture
def checker_service():
    with serving(checker_app()) as url:
        yield url


def test_web_workers_can_use_the_checker_service(app, client, people, login, checker_service):
    app.config.update(POST_CHECK_URL=checker_service, COURSES_DIR=str(ROOT / "courses"))
    login(people.employee)
    token = csrf_token(client, "/check-post")
    page = client.post("/check-post", data={"text": "Bed 12 is going home today after her hip surgery, Mrs. Ruiz!",
                                            "platform": "facebook", "csrf_token": token})
    assert page.status_code == 200 and "Do not post this" in page.text
    app.config["POST_CHECK_URL"] = "http://127.0.0.1:9"  # nobody there
    down = client.post("/check-post", data={"text": "Hello", "platform": "facebook", "csrf_token": token})
    assert down.status_code == 503 and "not answering" in down.text
