"""Write docs/benchmarks.md from a run's results.

Anything after the KEEP marker in an existing report (the hand-written
analysis of a run) is carried over to the new report unchanged.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from bench.load import WrkResult

KEEP = "<!-- Everything below this line is hand-written and kept when python -m bench rewrites this file. -->"


def _r(ratio: float) -> str:
    return f"{ratio:.2f}" if ratio >= 0.1 else f"{ratio:.3f}"


def _mark(passed) -> str:
    return {True: "**PASS**", False: "**MISS**", None: "n/a"}[passed]


def _v(result, name):
    return getattr(result, name) if isinstance(result, WrkResult) else result[name]


def _wrk_table(workload: dict) -> list[str]:
    p99 = workload["kind"] == "p99"
    head_app, head_floor = ("during export", "at rest") if p99 else ("PostReady", "floor")
    lines = [f"| connections | {head_app} req/s | p50 | p99 | {head_floor} req/s | p50 | p99 | ratio | target | result |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for row in workload["rows"]:
        a, f = row["app"], row["floor"]
        lines.append(
            f"| {row['connections']} | {a['rps']:,.1f} | {a['p50_ms']:.1f} ms | {a['p99_ms']:.1f} ms | "
            f"{f['rps']:,.1f} | {f['p50_ms']:.1f} ms | {f['p99_ms']:.1f} ms | "
            f"**{_r(row['ratio'])}**{' (p99/p99)' if p99 else ''} | {workload['target']} | {_mark(row['passed'])} |")
    notes = [f"c={row['connections']}: {row['note']}" for row in workload["rows"] if row["note"]]
    errors = [f"c={row['connections']}: non-2xx/3xx {row['app']['non_2xx_3xx']}"
              + (f", statuses {row['app']['statuses']}" if row['app'].get('statuses') else "")
              + (f", socket errors {row['app']['socket_errors']}" if row['app'].get('socket_errors') else "")
              for row in workload["rows"]]
    loads = [f"c={row['connections']}: {row['app'].get('load_before', '?')} / {row['floor'].get('load_before', '?')}"
             for row in workload["rows"]]
    steals = [f"c={row['connections']}: {_steal(row['app'])} / {_steal(row['floor'])}" for row in workload["rows"]]
    return lines + [""] + ([f"Notes: {'; '.join(notes)}.", ""] if notes else []) + \
        [f"Responses: {'; '.join(errors)}.", "",
         f"Load average (1, 5, 15 min) just before the PostReady / floor run: {'; '.join(loads)}.", "",
         f"CPU time taken by the virtual machine's host (steal) during the PostReady / floor run: "
         f"{'; '.join(steals)}.", ""]


def _steal(result: dict) -> str:
    steal = result.get("steal")
    return "?" if steal is None else f"{steal:.1%}"


def _time_table(workload: dict) -> list[str]:
    lines = ["| | PostReady | floor | ratio | target | result |", "| --- | ---: | ---: | ---: | --- | --- |"]
    for row in workload["rows"]:
        lines.append(f"| {row['label']} | {row['app']['seconds'] * 1000:,.0f} ms | "
                     f"{row['floor']['seconds'] * 1000:,.0f} ms | **{_r(row['ratio'])}** | {workload['target']} | "
                     f"{_mark(row['passed'])} |")
    return lines + [""]


def write_report(path: Path, args, results: dict) -> None:
    """`args` needs .threads and .seconds (the run's settings)."""
    facts, workloads = results["facts"], results["workloads"]
    kept = ""
    if path.exists():
        old = path.read_text()
        if KEEP in old:
            kept = old.split(KEEP, 1)[1].lstrip("\n")
    when = results.get("finished_at") or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    db = facts["database"] + (f" {facts.get('postgresql')}" if facts["database"] == "postgresql" else
                               f" {facts['sqlite']} (WAL, synchronous=FULL)")
    out = [
        "# PostReady benchmarks",
        "",
        f"Written by `{results['command']}` on {when} ({results['elapsed_seconds']:.0f} s in all). "
        "Every figure is a ratio to a floor measured in the same run, on the same machine, against the same "
        "database, served the same way: gunicorn, 2 sync workers, on 127.0.0.1, loaded by wrk "
        f"(`-t {args.threads} --latency`, {args.seconds:g} s per run). How to run it: `bench/README.md`.",
        "",
        "## Machine",
        "",
        "| | |",
        "| --- | --- |",
        f"| CPUs (nproc) | {facts['nproc']} × {facts['cpu']} |",
        f"| memory | {facts['memory_gb']} GB |",
        f"| kernel | {facts['kernel']} |",
        f"| Python | {facts['python']} |",
        f"| database | {db} |",
        f"| SQLite library | {facts['sqlite']} |",
        *([f"| PostgreSQL server | {facts['postgresql']} |"] if facts.get("postgresql") else []),
        f"| gunicorn / Flask / SQLAlchemy | {facts['gunicorn']} / {facts['flask']} / {facts['sqlalchemy']} |",
        f"| WeasyPrint | {facts['weasyprint']} |",
        f"| HarfBuzz font subsetting | {facts.get('harfbuzz_subset', 'unknown')} |",
        f"| load generator | {facts['wrk']} |",
        f"| load average before / after | {facts['load_before']} / {facts.get('load_after', '?')} |",
        f"| CPU time taken by the host (steal), whole run | {_steal(facts)} |",
        "",
        f"Seeded {results['seed']['people']:,} people in {results['seed']['seconds']:.0f} s: "
        + ", ".join(f"{k} {v:,}" for k, v in results["seed"]["counts"].items()) + ".",
        "",
        "## Summary",
        "",
        "| workload | target | ratio (worst connection count) | result |",
        "| --- | --- | ---: | --- |",
    ]
    for w in workloads:
        if not w["rows"]:
            continue
        lower_is_better = w["kind"] in ("time", "p99")
        worst = max(w["rows"], key=lambda r: r["ratio"]) if lower_is_better else min(w["rows"], key=lambda r: r["ratio"])
        result = "n/a" if w["threshold"] is None else _mark(all(r["passed"] for r in w["rows"]))
        out.append(f"| {w['title']} | {w['target']} | {_r(worst['ratio'])} | {result} |")
    memory = results["memory"]["app"]
    peak = max((m["peak_mb"] for m in memory), default=0.0)
    out.append(f"| Peak memory per PostReady worker | < 150 MB | {peak:.0f} MB | {_mark(peak < 150)} |")
    out += ["", "## Workloads", ""]
    for w in workloads:
        out += [f"### {w['title']}", "", f"Floor: {w['floor']}.", ""]
        out += _time_table(w) if w["kind"] == "time" else _wrk_table(w)
        out += [n + "\n" for n in w["notes"]]
    out += ["## Memory", "",
            "Peak resident memory (VmHWM) of each gunicorn worker at the end of the run, after every workload "
            "including the exports.", "",
            "| server | worker pid | peak RSS | RSS at the end |", "| --- | ---: | ---: | ---: |"]
    names = {"app": "PostReady", "floors": "floors", "renderer": "PostReady PDF renderer (one process, not a worker)"}
    for name, label in names.items():
        for m in results["memory"].get(name, []):
            out.append(f"| {label} | {m['pid']} | {m['peak_mb']:.0f} MB | {m['rss_mb']:.0f} MB |")
    out += ["", f"Sessions: {results['logins']} people signed in over HTTP (GET /login, POST the form with its CSRF "
            f"token) in {results['login_seconds']:.0f} s, before the runs that use them.", "", KEEP, ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + kept)


if __name__ == "__main__":  # python -m bench.report RESULTS.json OUT.md: rewrite a report from a run's raw results
    import json
    import sys
    from types import SimpleNamespace

    raw = json.loads(Path(sys.argv[1]).read_text())
    settings = SimpleNamespace(**raw.get("settings", {"threads": 1, "seconds": 10}))
    write_report(Path(sys.argv[2]), settings, raw)
