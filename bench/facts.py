"""Facts about the machine and software, printed at the top of the report."""
from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import sys
from pathlib import Path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def _version(module: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(module)
    except PackageNotFoundError:
        return "not installed"


def _harfbuzz_subset() -> str:
    """WeasyPrint subsets fonts with HarfBuzz when it finds libharfbuzz-subset, else with fontTools,
    which makes every certificate render several times slower (and the quiz's catch-up with it)."""
    import ctypes.util

    return "yes" if ctypes.util.find_library("harfbuzz-subset") else "no (WeasyPrint falls back to fontTools: slow renders)"


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def collect(db) -> dict:
    facts = {
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_gb": round(_mem_gb(), 1),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "database": db.kind,
        "gunicorn": _version("gunicorn"),
        "flask": _version("flask"),
        "sqlalchemy": _version("sqlalchemy"),
        "weasyprint": _version("weasyprint"),
        "harfbuzz_subset": _harfbuzz_subset(),
        "psycopg": _version("psycopg"),
    }
    try:
        facts["wrk"] = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0].strip()
    except OSError:
        facts["wrk"] = "not installed"
    if db.kind == "postgresql":
        import psycopg

        from sqlalchemy.engine import make_url

        url = make_url(db.url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(url) as conn:
            facts["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
    return facts
