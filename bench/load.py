"""Run wrk against a list of prepared requests and parse what it prints."""
from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

LUA = Path(__file__).resolve().parent / "lua" / "replay.lua"
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


@dataclass
class Request:
    method: str
    path: str
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def line(self) -> str:
        parts = [self.method, self.path, self.body] + [f"{k}: {v}" for k, v in self.headers.items()]
        if any("\t" in p or "\n" in p for p in parts):
            raise ValueError("a request field contains a tab or newline")
        return "\t".join(parts)


@dataclass
class WrkResult:
    connections: int
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx_3xx: int = 0
    socket_errors: str = ""
    wraps: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    raw: str = ""
    load_before: str = ""
    steal: float | None = None  # share of the machine's CPU time the hypervisor took during the run

    @property
    def ok_requests(self) -> int:
        return self.requests - self.non_2xx_3xx


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        raise ValueError(f"cannot read a wrk duration: {text!r}")
    return float(match.group(1)) * UNITS[match.group(2)]


def parse(output: str, connections: int) -> WrkResult:
    def grab(pattern: str, default=None):
        match = re.search(pattern, output, re.M)
        return match.group(1) if match else default

    requests_, seconds = re.search(r"^\s*(\d+) requests in ([\d.]+\w+),", output, re.M).groups()
    statuses = {}
    for item in (grab(r"^BENCH statuses=(.*)$", "") or "").split(","):
        if "=" in item:
            status, n = item.split("=")
            statuses[status] = int(n)
    return WrkResult(
        connections=connections,
        seconds=_ms(seconds) / 1000,
        requests=int(requests_),
        rps=float(grab(r"^Requests/sec:\s+([\d.]+)", "0")),
        p50_ms=_ms(grab(r"^\s+50%\s+(\S+)")),
        p99_ms=_ms(grab(r"^\s+99%\s+(\S+)")),
        non_2xx_3xx=int(grab(r"Non-2xx or 3xx responses: (\d+)", "0")),
        socket_errors=grab(r"Socket errors: (.*)$", "") or "",
        wraps=int(grab(r"^BENCH wraps=(\d+)", "0")),
        statuses=statuses,
        raw=output,
    )


def cpu_times() -> list[int] | None:
    """The machine's CPU time so far, in ticks, by kind (user, nice, system, idle, iowait, irq,
    softirq, steal), or None where /proc/stat is missing."""
    try:
        with open("/proc/stat") as f:
            return [int(n) for n in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None


def steal_between(before: list[int] | None, after: list[int] | None) -> float | None:
    """The share of CPU time a virtual machine's host took (steal) between two cpu_times():
    on a shared host it slows every request measured then, PostReady's and the floors' alike."""
    if not before or not after or len(before) < 8 or len(after) < 8:
        return None
    spent = [b - a for a, b in zip(before, after)]
    return spent[7] / sum(spent) if sum(spent) > 0 else None


def run_wrk(base_url: str, requests_: list[Request], connections: int, seconds: float, workdir: Path,
            name: str, threads: int = 1, statuses: bool = False, timeout_s: int = 60) -> WrkResult:
    """wrk -t threads -c connections -d seconds --latency, replaying `requests_` in order."""
    if not requests_:
        raise ValueError(f"{name}: no requests to send")
    path = workdir / f"{name}-c{connections}.tsv"
    path.write_text("\n".join(r.line() for r in requests_) + "\n")
    threads = max(1, min(threads, connections))
    # wrk takes whole seconds only: "-d 5.0s" is a usage error.
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s", "--latency",
           "--timeout", f"{timeout_s}s", "-s", str(LUA), base_url.rstrip("/") + "/", "--", str(path), str(threads)]
    env = dict(os.environ, BENCH_STATUSES="1" if statuses else "0")
    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else ""
    times_before = cpu_times()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=seconds + timeout_s + 60)
    steal = steal_between(times_before, cpu_times())
    if proc.returncode != 0 or "requests in" not in proc.stdout:
        raise RuntimeError(f"wrk failed for {name}: {proc.stdout}\n{proc.stderr}")
    (workdir / f"{name}-c{connections}.wrk.txt").write_text(proc.stdout)
    result = parse(proc.stdout, connections)
    result.load_before = load_before
    result.steal = steal
    return result
