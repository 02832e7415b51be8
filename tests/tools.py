"""What the tests need from outside Python, checked in one place.

A test that needs a missing tool, module or service skips with the reason on a developer's
machine, and fails under CI (the environment variable CI=true, as `.ci/run` is run there):
CI installs everything the tests use, so there a missing tool is a broken set-up, not a
reason to pass quietly.
"""
from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from types import ModuleType

import pytest

TEST_INSTALL = 'pip install -e ".[test]"'


def on_ci() -> bool:
    return os.environ.get("CI") == "true"


def missing(reason: str):
    """Skip (on a developer's machine) or fail (under CI=true) with `reason`; usable at module level too."""
    if on_ci():
        pytest.fail(f"{reason}. CI=true: a test that cannot run fails the run instead of skipping", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def need_tool(name: str, package: str) -> str:
    """The path of the command `name`, from the Debian package `package`."""
    path = shutil.which(name)
    if path is None:
        missing(f"{name} is not installed (Debian package {package})")
    return path


def need_module(name: str, package: str | None = None) -> ModuleType:
    """The Python module `name`, from the PyPI package `package` (one of the test extra's)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        missing(f"the Python package {package or name} is not installed ({TEST_INSTALL})")


def need_service(name: str, host: str, port: int, package: str) -> None:
    """A server answering on host:port, such as Redis from the Debian package redis-server."""
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        missing(f"{name} is not answering on {host}:{port} (Debian package {package}; start it)")


@contextlib.contextmanager
def serving(wsgi_app, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve a WSGI app on a real server on loopback, in a thread; yields its base URL.

    The app under test in a browser, an identity provider, the post checker's service: each a
    counterpart the test talks to over HTTP. Requests are not logged."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass

    server = make_server(host, 0, wsgi_app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()
