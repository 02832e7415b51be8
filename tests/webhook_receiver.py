"""A real webhook receiver on loopback for the tests: records each request and answers from a script."""
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook


@dataclass
class Received:
    headers: dict[str, str]
    body: str

    @property
    def payload(self) -> dict:
        return json.loads(self.body)

    @property
    def message_id(self) -> str:
        return self.headers["webhook-id"]


class Receiver:
    """`answer(503, 503, 204)` scripts the next answers (then 204); `answer(("wait", event))` holds
    the request open until the event is set; `answer(("sleep", 2.0))` answers 204 after a pause."""

    def __init__(self):
        self.received: list[Received] = []
        self.script: list = []
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                receiver.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                receiver.arrived.set()
                step = receiver.script.pop(0) if receiver.script else 204
                if isinstance(step, tuple):
                    kind, value = step
                    if kind == "wait":
                        value.wait(30)
                    else:
                        threading.Event().wait(value)
                    step = 204
                try:
                    payload = b'{"ok": true}' if step < 300 else b"Service Unavailable, try later"
                    self.send_response(step)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the sender gave up (a timeout, a killed worker)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/postready"

    def answer(self, *steps) -> None:
        self.script.extend(steps)

    def verified(self, secret: str) -> list[dict]:
        """Every request's body, after the standardwebhooks library verified its signature (raises if one fails)."""
        return [Webhook(secret).verify(r.body, r.headers) for r in self.received]

    def of_type(self, event_type: str) -> list[Received]:
        return [r for r in self.received if r.payload["type"] == event_type]

    def __enter__(self) -> "Receiver":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
