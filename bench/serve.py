"""Serving and loading: gunicorn (2 sync workers on loopback), wrk replaying prepared requests
(bench/replay.lua), and signing in over HTTP the way a browser does."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
USER_AGENT = "postready-bench/1"  # the same on every request: a sign-in is tied to it
COOKIE = "postready_session"
CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Request:
    method: str
    path: str
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def line(self) -> str:
        parts = [self.method, self.path, self.body] + [f"{k}: {v}" for k, v in self.headers.items()]
        assert not any("\t" in p or "\n" in p for p in parts), "a tab or newline would split the request"
        return "\t".join(parts)


@dataclass
class WrkResult:
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    wraps: int  # times the list of requests started over
    statuses: dict[int, int]


def parse(output: str) -> WrkResult:
    def grab(pattern: str, default: str = "0") -> str:
        match = re.search(pattern, output, re.M)
        return match[1] if match else default

    def ms(value: str) -> float:
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
        return float(number) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}[unit]

    statuses = [item.split("=") for item in grab(r"^BENCH statuses=(.*)$", "").split(",") if "=" in item]
    return WrkResult(int(grab(r"^\s*(\d+) requests in")), float(grab(r"^Requests/sec:\s+([\d.]+)")),
                     ms(grab(r"^\s+50%\s+(\S+)", "0ms")), ms(grab(r"^\s+99%\s+(\S+)", "0ms")),
                     int(grab(r"^BENCH wraps=(\d+)")), {int(k): int(v) for k, v in statuses})


def run_wrk(base_url: str, reqs: list[Request], connections: int, seconds: float, workdir: Path, name: str):
    path = workdir / f"{name}-c{connections}.tsv"
    path.write_text("\n".join(r.line() for r in reqs) + "\n")
    proc = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
                           "--timeout", "60s", "-s", str(REPO / "bench" / "replay.lua"), base_url + "/", "--",
                           str(path)], capture_output=True, text=True, timeout=seconds + 120)
    (workdir / f"{name}-c{connections}.wrk.txt").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0 or "requests in" not in proc.stdout:
        raise RuntimeError(f"wrk failed for {name}: {proc.stdout}\n{proc.stderr}")
    return parse(proc.stdout)


def peak_mb(pid: int) -> float | None:
    """Peak resident memory (VmHWM) of a process, in MB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return int(re.search(r"^VmHWM:\s+(\d+)", status, re.M)[1]) / 1024


class Process:
    def __init__(self, cmd: list[str], env: dict[str, str], log_path: Path):
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=REPO)

    def stop(self) -> None:
        self.proc.terminate()  # nothing if it has ended
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class Gunicorn(Process):
    def __init__(self, target: str, env: dict[str, str], log_path: Path, ready_path: str, workers: int = 2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.base_url, self.workers, self.ready_path = f"http://127.0.0.1:{port}", workers, ready_path
        super().__init__([sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "sync",
                          "--bind", f"127.0.0.1:{port}", "--timeout", "600", target],
                         {"PUBLIC_BASE_URL": self.base_url, **env}, log_path)

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                requests.get(self.base_url + self.ready_path, timeout=5)
                if len(self.worker_pids()) >= self.workers:
                    return
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or a worker still importing
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not come up; see {self.log.name}")

    def worker_pids(self) -> list[int]:
        try:
            return [int(p) for p in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()]
        except OSError:
            return []

    def wait_idle(self, window: float = 0.25, timeout: float = 120) -> None:
        """Until the workers stop using CPU (under 5 % of the window)."""
        def ticks() -> int:
            total = 0
            for pid in self.worker_pids():
                try:
                    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:  # a worker replaced meanwhile
                    continue
                total += int(stat[11]) + int(stat[12])  # utime + stime
            return total

        before, deadline = ticks(), time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(window)
            after = ticks()
            if after - before < 0.05 * window * self.workers * os.sysconf("SC_CLK_TCK"):
                return
            before = after


def login(base_url: str, email: str, password: str) -> tuple[str, str]:
    """(session cookie, CSRF token) after a real sign-in: GET /login, POST the form, GET / for the token of
    the signed-in session. The cookie is Secure, so requests would not send it back over http: it goes by hand."""
    def cookie(response, before: str = "") -> str:
        match = re.search(COOKIE + r"=([^;]+)", response.headers.get("Set-Cookie", ""))
        return match[1] if match else before

    page = requests.get(base_url + "/login", headers=headers(), timeout=60)
    form = {"email": email, "password": password, "csrf_token": CSRF_INPUT.search(page.text)[1]}
    answer = requests.post(base_url + "/login", data=form, headers=headers(cookie(page)), allow_redirects=False,
                           timeout=60)
    if answer.status_code != 302 or not cookie(answer):
        raise RuntimeError(f"sign-in of {email} failed: HTTP {answer.status_code}")
    home = requests.get(base_url + "/", headers=headers(cookie(answer)), allow_redirects=False, timeout=60)
    return cookie(home, cookie(answer)), CSRF_INPUT.search(home.text)[1]


def login_many(base_url: str, emails: list[str], password: str) -> dict[str, tuple[str, str]]:
    with ThreadPoolExecutor(4) as pool:
        return dict(pool.map(lambda e: (e, login(base_url, e, password)), emails))


def headers(cookie: str = "", form: bool = False, token: str = "") -> dict[str, str]:
    return {"User-Agent": USER_AGENT, **({"Cookie": f"{COOKIE}={cookie}"} if cookie else {}),
            **({"Authorization": f"Bearer {token}"} if token else {}),
            **({"Content-Type": "application/x-www-form-urlencoded"} if form else {})}
