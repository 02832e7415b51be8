"""Serve a WSGI app with gunicorn (2 sync workers on loopback) and watch its workers' memory."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_memory(pid: int) -> dict | None:
    """Peak (VmHWM) and current (VmRSS) resident memory of a process, in MB."""
    fields = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                fields[key] = int(value.split()[0]) / 1024
    except OSError:
        return None
    return {"pid": pid, "peak_mb": fields.get("VmHWM", 0.0), "rss_mb": fields.get("VmRSS", 0.0)}


class Renderer:
    """The certificate PDF renderer (`postready certificates render-pending --watch`), run beside
    gunicorn as production runs it with CERTIFICATE_PDFS=worker."""

    def __init__(self, env: dict[str, str], log_path: Path, issued_since: datetime):
        self.env, self.log_path, self.issued_since = dict(os.environ, **env), log_path, issued_since
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Renderer":
        # Seeded history has no PDFs (they render at first download): only the run's certificates.
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "certificates", "render-pending", "--watch",
             "--interval", "0.5", "--issued-since", self.issued_since.strftime("%Y-%m-%dT%H:%M:%S")],
            env=self.env, stdout=self._log, stderr=subprocess.STDOUT, cwd=REPO)
        return self

    def memory(self) -> list[dict]:
        found = process_memory(self.proc.pid) if self.proc and self.proc.poll() is None else None
        return [found] if found else []

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._log.close()


class Gunicorn:
    def __init__(self, target: str, env: dict[str, str], log_path: Path, workers: int = 2, ready_path: str = "/"):
        self.target, self.workers, self.ready_path = target, workers, ready_path
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, **env)
        self.env.setdefault("PUBLIC_BASE_URL", self.base_url)
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 120, wait: bool = True) -> "Gunicorn":
        cmd = [sys.executable, "-m", "gunicorn", "--workers", str(self.workers), "--worker-class", "sync",
               "--bind", f"127.0.0.1:{self.port}", "--timeout", "600", "--chdir", str(REPO), self.target]
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, cwd=REPO)
        return self.wait_ready(timeout) if wait else self

    def wait_ready(self, timeout: float = 120) -> "Gunicorn":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn {self.target} exited; see {self.log_path}")
            try:
                urllib.request.urlopen(self.base_url + self.ready_path, timeout=5)
                if len(self.worker_pids()) >= self.workers:
                    return self
            except urllib.error.HTTPError:
                if len(self.worker_pids()) >= self.workers:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn {self.target} did not answer in {timeout}s; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def worker_memory(self) -> list[dict]:
        """Peak (VmHWM) and current (VmRSS) resident memory of each worker, in MB."""
        return [m for m in map(process_memory, self.worker_pids()) if m]

    def _cpu_ticks(self) -> int:
        total = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime + stime
            except (OSError, IndexError, ValueError):
                pass
        return total

    def wait_idle(self, window: float = 0.25, timeout: float = 120) -> float:
        """Wait until the workers stop using CPU: requests queued by the previous run
        (wrk stops, but what it already sent is still served) must not spill into the next one."""
        started = time.monotonic()
        tick = os.sysconf("SC_CLK_TCK")
        before = self._cpu_ticks()
        while time.monotonic() - started < timeout:
            time.sleep(window)
            after = self._cpu_ticks()
            if (after - before) / tick < 0.05 * window * max(1, self.workers):
                break
            before = after
        return time.monotonic() - started

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "_log", None):
            self._log.close()
