"""python -m bench: seed an organisation, serve PostReady and the floors alike, load both with wrk,
report each workload as a ratio to its floor measured in the same run. See docs/performance.md."""
from __future__ import annotations

import argparse
import html
import json
import os
import platform
import re
import secrets
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote, urlencode

import requests
from sqlalchemy import create_engine, text

from bench import seed as seeding
from bench.serve import Gunicorn, Process, Request, headers, login_many, peak_mb, run_wrk

WORKLOADS = ("rights", "quiz", "team", "download", "export", "render", "postcheck")
PLATFORMS = ["facebook", "instagram", "linkedin", "youtube", "tiktok"]
MIX = "cnncnfcnnncfncnncnfn"  # per 20 submissions: 6 earn a certificate (c); 11 pass (n), 3 fail (f) a module
DOWNLOAD_LINK = re.compile(r'href="(/certificates/\d+/pdf/[^"]+)"')
_T0 = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - _T0:6.1f}s] {message}", flush=True)


@dataclass
class Row:
    workload: str
    label: str
    connections: int | None
    app: float
    floor: float
    unit: str      # "req/s": app/floor must reach the target; "s", "MB": must stay within it
    target: float
    ratio: float = 0.0
    passed: bool = False

    def __post_init__(self):
        self.ratio = self.app / self.floor if self.floor else 0.0
        self.passed = self.ratio >= self.target if self.unit == "req/s" else self.ratio <= self.target
        log(f"    {self.workload}: {self.app:,.3f} / {self.floor:,.3f} = {self.ratio:.2f} {'PASS' * self.passed}")


class Database:
    """A fresh database: a SQLite file in the work dir, or bench_<pid>_<n> on a PostgreSQL server."""

    def __init__(self, url: str | None, workdir: Path, n: int = 0):
        from sqlalchemy.engine import make_url

        self.server = make_url(url).set(drivername="postgresql") if url else None
        self.name = f"bench_{os.getpid()}_{n}"
        self.url = make_url(url).set(database=self.name).render_as_string(False) if url else \
            f"sqlite:///{workdir / f'{self.name}.sqlite3'}"
        self.drop(f'CREATE DATABASE "{self.name}"')

    def drop(self, *then: str) -> None:
        if self.server:
            import psycopg

            with psycopg.connect(self.server.render_as_string(False), autocommit=True) as conn:
                conn.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{self.name}'")
                for statement in (f'DROP DATABASE IF EXISTS "{self.name}"', *then):
                    conn.execute(statement)


class Bench:
    def __init__(self, args, workdir: Path):
        self.args, self.workdir, self.rows, self.notes, self.processes, self.logins = args, workdir, [], [], [], 0

    def start(self, db: Database) -> None:
        """Seed, then serve PostReady, the floors and the PDF renderer (as production runs it)."""
        from app import create_app

        log(f"seeding {self.args.people:,} people into {db.url.split(':')[0]} ...")
        # One API token drives the rights load: its limit is lifted (the limiter still runs, as in production).
        env = {"SECRET_KEY": secrets.token_urlsafe(32), "DATABASE_URL": db.url, "CERTIFICATE_PDFS": "worker",
               "API_RATE_LIMIT": "1000000 per minute"}
        self.flask_app = create_app({"SQLALCHEMY_DATABASE_URI": db.url, "SECRET_KEY": env["SECRET_KEY"],
                                     "CERTIFICATE_PDFS": "worker"})
        self.seed = seeding.seed(self.flask_app, self.args.people, log=log)
        env["COURSES_DIR"] = str(self.flask_app.config["COURSES_DIR"])
        log(f"  seeded in {self.seed.seconds:.1f}s: {self.seed.counts}")
        self.engine, self.sessions = create_engine(db.url), {}
        self.newest = self.sql("SELECT max(id) FROM certificates")[0][0] or 0
        self.app = Gunicorn("wsgi:app", env, self.workdir / "app.log", "/login")
        self.floors = Gunicorn("bench.floors:app", env, self.workdir / "floors.log", "/floor/json")
        since = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")  # the seeded history has no PDFs
        self.processes += [self.app, self.floors, Process(
            [sys.executable, "-m", "flask", "--app", "wsgi", "certificates", "render-pending", "--watch",
             "--interval", "0.5", "--issued-since", since], env, self.workdir / "renderer.log")]
        self.app.wait_ready()
        self.floors.wait_ready()
        log(f"app on {self.app.base_url}, floors on {self.floors.base_url}")

    def stop(self) -> None:
        while self.processes:
            self.processes.pop().stop()

    def sql(self, query: str, **params) -> list[tuple]:
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(query), params)]

    def cookie(self, *emails: str, form: bool = False) -> dict[str, str]:
        """Sign these people in over HTTP (once each); the last one's headers."""
        missing = [e for e in dict.fromkeys(emails) if e not in self.sessions]
        self.sessions.update(login_many(self.app.base_url, missing, seeding.PASSWORD))
        self.logins += len(missing)
        return headers(self.sessions[emails[-1]][0], form=form)

    def check(self, server: Gunicorn, req: Request, expect: int, kind: str = "") -> requests.Response:
        """One request first: wrk would count a redirect to the sign-in page as a success."""
        answer = requests.request(req.method, server.base_url + req.path, data=req.body or None, headers=req.headers,
                                  allow_redirects=False, timeout=3600)
        ctype, location = answer.headers.get("Content-Type", ""), answer.headers.get("Location", "")
        if answer.status_code != expect or not ctype.startswith(kind) or "/login" in location:
            raise RuntimeError(f"{req.method} {req.path}: HTTP {answer.status_code} {ctype} {location}, "
                               f"expected {expect} {kind}")
        return answer

    def wrk(self, server: Gunicorn, reqs: list[Request], c: int, name: str, seconds: float | None = None):
        for each in (self.app, self.floors):  # what the last run sent must not spill into this one
            each.wait_idle(0.1 if self.args.smoke else 0.25)
        result = run_wrk(server.base_url, reqs, c, seconds or self.args.seconds, self.workdir, name)
        log(f"      {name:<16} c={c:<3} {result.rps:9.1f} req/s  p50 {result.p50_ms:7.1f} ms  p99 "
            f"{result.p99_ms:7.1f} ms  {result.statuses}")
        return result

    def compare(self, workload: str, label: str, app: list[Request], floor: list[Request], target: float) -> None:
        for c in self.args.connections:
            f = self.wrk(self.floors, floor, c, f"floor-{workload}")
            self.rows.append(Row(workload, label, c, self.wrk(self.app, app, c, workload).rps, f.rps, "req/s", target))

    # -- the workloads --
    def rights(self) -> None:
        log("rights check by API token vs one indexed lookup")
        emails = [e for (e,) in self.sql("SELECT email FROM users ORDER BY id DESC LIMIT 5000")]
        app = [Request("GET", f"/api/v1/people/{quote(e, safe='@')}/posting-rights/{PLATFORMS[i % 5]}",
                       headers=headers(token=self.seed.api_token)) for i, e in enumerate(emails)]
        floor = [Request("GET", f"/floor/people/{quote(e, safe='@')}", headers=headers()) for e in emails]
        self.check(self.app, app[0], 200, "application/json")
        self.check(self.floors, floor[0], 200, "application/json")
        self.compare("rights", "GET /api/v1/people/<email>/posting-rights/<platform>", app, floor, 0.35)

    def quiz(self) -> None:
        """Each request submits a different open attempt as its owner: each run gets as many as it can use
        (a short run first measures how many that is), or runs shorter when the pools are low."""
        log("quiz submission (refresher-week mix) vs insert and commit")
        attempts = seeding.open_attempts(self.engine, 2000 if self.args.smoke else 120_000)
        pools = {kind: [a for a in attempts if a.pool[0] == kind] for kind in ("c", "n")}  # cert, nocert
        floor = [Request("POST", "/floor/insert", f"note=bench-{i}", headers(form=True)) for i in range(100)]
        self.check(self.floors, floor[0], 201)

        def submit(n: int, c: int, seconds: float, name: str = "quiz"):
            kinds = [(MIX[i % len(MIX)], pools["c" if MIX[i % len(MIX)] == "c" else "n"]) for i in range(n)]
            plan = [(pool.pop(), k) for k, pool in kinds if pool]
            self.cookie(*(a.email for a, _ in plan))
            reqs = [Request("POST", f"/attempts/{a.attempt_id}", urlencode(
                [("csrf_token", self.sessions[a.email][1])]
                + [(f"answer-{q}", o) for q, opts in (a.wrong if k == "f" else a.correct) for o in opts]),
                headers(self.sessions[a.email][0], form=True)) for a, k in plan]
            self.check(self.app, reqs[0], 302)
            result = self.wrk(self.app, reqs[1:], c, name, seconds)
            self.drain_renderer()
            if result.wraps:
                self.notes.append(f"{name} c={c}: the list of {len(reqs) - 1} attempts ran out ({result.statuses}).")
            return result.rps * result.statuses.get(302, 0) / max(1, result.requests)  # submissions stored a second

        rate = 300.0 if self.args.smoke else submit(900, max(self.args.connections), 1, "quiz-sizing")
        for i, c in enumerate(self.args.connections):
            f = self.wrk(self.floors, floor, c, "floor-quiz")
            left = min(len(pools["c"]) / 0.3, len(pools["n"]) / 0.7) // (len(self.args.connections) - i)
            n = int(min(rate * self.args.seconds * 1.3 + 4 * c, left))
            if n < 10:
                raise RuntimeError("the open attempts are used up: seed more people")
            rate = submit(n, c, max(1.0, min(self.args.seconds, n / rate / 1.6)))
            self.rows.append(Row("quiz", "POST /attempts/<id>, 30 % earn a certificate, 15 % fail", c, rate, f.rps,
                                 "req/s", 0.2))
        self.notes.append(f"quiz: open attempts left: cert {len(pools['c']):,}, nocert {len(pools['n']):,}.")

    def drain_renderer(self, timeout: float = 600) -> None:
        """Until the renderer has caught up: its work must not run into the next measurement."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.sql(
                "SELECT count(*) FROM certificates c LEFT JOIN certificate_pdfs p ON p.certificate_id = c.id "
                "WHERE p.certificate_id IS NULL AND c.id > :newest", newest=self.newest)[0][0]:
            time.sleep(0.25)

    def team(self) -> None:
        log("team dashboard vs one query and a plain loop")
        m = self.seed.team_manager_id
        for name, path, kind in (("team-html", "/team", "text/html"), ("team-csv", "/team.csv", "text/csv")):
            app = [Request("GET", path, headers=self.cookie(self.seed.team_manager_email))]
            floor = [Request("GET", f"/floor/team/{m}{path[5:]}", headers=headers())]
            self.check(self.app, app[0], 200, kind), self.check(self.floors, floor[0], 200, kind)
            self.compare(name, f"GET {path}, {self.seed.team_size} people", app, floor, 0.35)

    def download(self) -> None:
        log("certificate download by its holder vs bare JSON")
        holders = seeding.pdf_holders(self.engine, 6 if self.args.smoke else 40)
        with self.flask_app.app_context():  # their PDFs, as the renderer made them long ago
            from app.certificates.services import render_missing_pdfs, store_pdfs
            from app.extensions import db

            store_pdfs(render_missing_pdfs([cid for _, cid in holders]))
            db.session.commit()
        self.cookie(*(e for e, _ in holders))
        links = []
        for email, cid in holders:  # each holder's link, as their certificate page gives it
            page = self.check(self.app, Request("GET", f"/certificates/{cid}", headers=self.cookie(email)), 200).text
            links.append(Request("GET", html.unescape(DOWNLOAD_LINK.search(page)[1]), headers=self.cookie(email)))
            self.check(self.app, links[-1], 200, "application/pdf")
        self.compare("download", f"GET /certificates/<id>/pdf/<link>, {len(holders)} holders", links,
                     [Request("GET", "/floor/json", headers=headers())], 0.2)

    def export(self) -> None:
        log("organisation CSV export vs one aggregation query")
        reqs = {"floor": Request("GET", "/floor/export.csv", headers=headers()),
                "app": Request("GET", "/organization.csv", headers=self.cookie(self.seed.admin_email))}
        times, answers = {"app": [], "floor": []}, {}
        for _ in range(1 if self.args.smoke else 3):
            for name, server in (("floor", self.floors), ("app", self.app)):
                server.wait_idle()
                started = time.perf_counter()
                answers[name] = self.check(server, reqs[name], 200, "text/csv").text
                times[name].append(time.perf_counter() - started)
        if answers["app"] != answers["floor"]:  # then the ratio would not compare like with like
            self.notes.append("export: **the floor's CSV is not the app's**.")
        self.rows.append(Row("export", f"GET /organization.csv, {answers['app'].count(chr(10)) - 1:,} people", None,
                             statistics.median(times["app"]), statistics.median(times["floor"]), "s", 2.0))

    def render(self) -> None:
        """In this process: render_certificate_pdf against a replay of the WeasyPrint calls it made (same HTML,
        stylesheets, fonts, options), in pairs whose order alternates (single renders vary by a tenth)."""
        import weasyprint

        from app.certificates.models import Certificate
        from app.certificates.pdf import render_certificate_pdf
        from app.certificates.services import certificate_document
        from app.extensions import db

        log("certificate render vs bare WeasyPrint of the same HTML")
        real, calls, times = (weasyprint.HTML.__init__, weasyprint.HTML.render), [], {"app": [], "bare": []}
        spies = (lambda html_, *a, **kw: calls.append((a, kw, {})) or real[0](html_, *a, **kw),
                 lambda html_, *a, **kw: calls[-1][2].update(kw) or real[1](html_, *a, **kw))
        with self.flask_app.app_context():
            docs = [certificate_document(c) for c in db.session.scalars(
                db.select(Certificate).order_by(Certificate.id.desc()).limit(1 if self.args.smoke else 12))]
            weasyprint.HTML.__init__, weasyprint.HTML.render = spies
            try:  # the calls that made each PDF (the last try is the one that fits the page)
                replays = [(doc, render_certificate_pdf(doc) and calls[-1]) for doc in docs]
            finally:
                weasyprint.HTML.__init__, weasyprint.HTML.render = real
            for n in range(1 if self.args.smoke else 5 * len(docs)):
                doc, (args, kwargs, options) = replays[n % len(docs)]
                pair = [("app", lambda: render_certificate_pdf(doc)),
                        ("bare", lambda: weasyprint.HTML(*args, **kwargs).write_pdf(**options))]
                for name, fn in pair[::-1] if (n + n // len(docs)) % 2 else pair:
                    started = time.perf_counter()
                    fn()
                    times[name].append(time.perf_counter() - started)
        self.rows.append(Row("render", f"render_certificate_pdf, median of {len(times['app'])}", None,
                             statistics.median(times["app"]), statistics.median(times["bare"]), "s", 1.3))

    def postcheck(self) -> None:
        """The pre-publish checker, in this process (bench/postcheck.py)."""
        from bench.postcheck import postcheck_rows

        log("post check of a 2,000-character post, warm; then memory over many checks")
        self.rows += postcheck_rows(self.flask_app, self.args.smoke, Row, log)

    def memory(self) -> None:
        peak = max(filter(None, map(peak_mb, self.app.worker_pids())), default=0.0)
        self.rows.append(Row("memory", "peak RSS of a PostReady worker (VmHWM)", None, peak, 150.0, "MB", 1.0))

    def scale(self, db: Database) -> None:
        """The team dashboard again on a second, larger organisation: its rate there against here."""
        base, people = {r.connections: r.app for r in self.rows if r.workload == "team-html"}, self.args.people
        self.stop()
        self.args.people = self.args.scale
        self.start(db)
        app = [Request("GET", "/team", headers=self.cookie(self.seed.team_manager_email))]
        self.check(self.app, app[0], 200, "text/html")
        for c in self.args.connections:
            self.rows.append(Row("scale", f"GET /team at {self.args.scale:,} people (floor: at {people:,})", c,
                                 self.wrk(self.app, app, c, "team-html-scale").rps, base[c], "req/s", 1 / 1.2))
        self.args.people = people


def report(args, rows: list[Row], info: dict) -> str:
    out = [f"# python -m bench {' '.join(info.get('argv', []))}", "",
           f"{info['finished']}; {info['nproc']} × {info['cpu']}; Python {info['python']}; {info['database']}; "
           f"{args.people:,} people seeded in {info['seed_seconds']:.0f} s; wrk -t1, {args.seconds:g} s a run; "
           f"load before {info['load']}; CPU taken by the host (steal) {info['steal']:.1%}; {info['elapsed']:.0f} s.",
           "", "| workload | c | PostReady | floor | ratio | target | result |",
           "| --- | ---: | ---: | ---: | ---: | --- | --- |"]
    for r in rows:
        fmt = {"req/s": "{:,.1f} req/s", "MB": "{:,.0f} MB"}.get(r.unit, "{:,.3f} s")
        out.append(f"| {r.workload}: {r.label} | {r.connections or ''} | {fmt.format(r.app)} | {fmt.format(r.floor)} "
                   f"| {r.ratio:.2f} | {'≥' if r.unit == 'req/s' else '≤'} {r.target:.2f} | "
                   f"{'PASS' if r.passed else '**MISS**'} |")
    return "\n".join(out + [""] + info["notes"]) + "\n"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--people", type=int, default=20000, help="people to seed (default 20000)")
    parser.add_argument("--seconds", type=float, default=10, help="length of each wrk run (default 10)")
    parser.add_argument("--connections", default="16,64", help="wrk connection counts (default 16,64)")
    parser.add_argument("--database-url", help="default: a fresh SQLite file; with a PostgreSQL URL, a fresh "
                        "database bench_<pid>_<n> on that server, dropped afterwards")
    parser.add_argument("--only", default=",".join(WORKLOADS), help=f"some of {','.join(WORKLOADS)} (default all)")
    parser.add_argument("--scale", type=int, default=0, help="also the team dashboard on a second organisation "
                        "of this many people, against this one's (e.g. 300000)")
    parser.add_argument("--smoke", action="store_true", help="for CI: --people 200 --seconds 1 --connections 4")
    parser.add_argument("--keep", action="store_true", help="keep the databases and request lists")
    parser.add_argument("--out", help="also write the report (Markdown) here")
    args = parser.parse_args(argv)
    args.only = [w.strip() for w in args.only.split(",") if w.strip()]
    if set(args.only) - set(WORKLOADS):
        parser.error(f"unknown workload(s): {', '.join(sorted(set(args.only) - set(WORKLOADS)))}")
    if args.smoke:
        args.people, args.seconds, args.connections = 200, 1, "4"
    args.connections = [int(c) for c in str(args.connections).split(",") if c.strip()]
    if args.scale and "team" not in args.only:
        args.only.append("team")
    return args


def cpu_ticks() -> list[int]:
    return [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda signum, _: sys.exit(128 + signum))  # unwind: stop servers, drop databases
    workdir = Path(tempfile.mkdtemp(prefix="postready-bench-"))
    log(f"work dir {workdir}")
    bench, databases, ticks = Bench(args, workdir), [], cpu_ticks()
    cpu = [x.split(":")[1].strip() for x in Path("/proc/cpuinfo").read_text().splitlines() if x.startswith("model n")]
    info = {"argv": sys.argv[1:] if argv is None else argv, "nproc": os.cpu_count(), "cpu": (cpu or ["?"])[0],
            "python": platform.python_version(), "database": (args.database_url or "sqlite").split(":")[0],
            "load": " ".join(Path("/proc/loadavg").read_text().split()[:3])}
    try:
        databases.append(Database(args.database_url, workdir))
        bench.start(databases[0])
        info["seed_seconds"] = bench.seed.seconds
        for name in (w for w in WORKLOADS if w in args.only):
            getattr(bench, name)()
        bench.memory()
        if args.scale:
            databases.append(Database(args.database_url, workdir, 1))
            bench.scale(databases[1])
    finally:
        bench.stop()
        for db in databases if not args.keep else []:
            db.drop()
    spent = [b - a for a, b in zip(ticks, cpu_ticks())]
    info.update(finished=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), elapsed=time.perf_counter() - _T0,
                steal=spent[7] / max(1, sum(spent)), notes=bench.notes + [f"{bench.logins:,} sign-ins over HTTP."])
    text_ = report(args, bench.rows, info)
    (workdir / "results.json").write_text(json.dumps({"rows": [asdict(r) for r in bench.rows], **info}, indent=2))
    for path in [workdir / "report.md"] + ([Path(args.out)] if args.out else []):
        path.write_text(text_)
    for path in [] if args.keep else [*workdir.glob("*.sqlite3*"), *workdir.glob("*.tsv")]:
        path.unlink()
    print(text_)
    return 0


if __name__ == "__main__":
    sys.exit(main())
