"""python -m bench: seed an organisation, serve PostReady and the floors alike, load both with wrk,
report each workload as a ratio to its floor, measured in the same run. See bench/README.md."""
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

from bench import seed as seeding
from bench.serve import Gunicorn, Process, Request, headers, login_many, peak_mb, run_wrk

WORKLOADS = ("rights", "quiz", "team", "download", "export", "render")
PLATFORMS = ["facebook", "instagram", "linkedin", "youtube", "tiktok"]
# Refresher week, per 20 submissions: 6 earn a certificate (30 %), 3 fail (15 %), 11 pass a module.
MIX = "cnncnfcnnncfncnncnfn"
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
    unit: str           # "req/s": higher is better; "s" or "MB": lower is better
    target: float       # ratio app/floor at least this (req/s), at most this (otherwise)
    ratio: float = 0.0
    passed: bool = False

    def __post_init__(self):
        self.ratio = self.app / self.floor if self.floor else 0.0
        self.passed = self.ratio >= self.target if self.unit == "req/s" else self.ratio <= self.target
        log(f"    {self.workload} c={self.connections}: {self.app:,.2f} vs {self.floor:,.2f} {self.unit}, "
            f"ratio {self.ratio:.2f} ({'PASS' if self.passed else 'MISS'})")


class Database:
    """A fresh database: a SQLite file in the work dir, or bench_<pid>_<n> on a PostgreSQL server."""

    def __init__(self, url: str | None, workdir: Path, n: int = 0):
        self.admin_url = self.name = None
        if not url:
            self.url = f"sqlite:///{workdir / f'bench{n}.sqlite3'}"
            return
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        self.name, self.admin_url = f"bench_{os.getpid()}_{n}", parsed.set(drivername="postgresql")
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}"', f'CREATE DATABASE "{self.name}"')
        self.url = parsed.set(database=self.name).render_as_string(hide_password=False)

    def _admin(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url.render_as_string(hide_password=False), autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def drop(self) -> None:
        if self.name:
            self._admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{self.name}'",
                        f'DROP DATABASE IF EXISTS "{self.name}"')


class Bench:
    def __init__(self, args, workdir: Path):
        self.args, self.workdir = args, workdir
        self.rows: list[Row] = []
        self.sessions: dict[str, tuple[str, str]] = {}
        self.processes: list[Process] = []
        self.notes: list[str] = []
        self.logins = 0

    # -- set-up --
    def start(self, db: Database) -> None:
        from app import create_app

        log(f"seeding {self.args.people:,} people into {db.url.split(':')[0]} ...")
        self.secret = secrets.token_urlsafe(32)
        self.flask_app = create_app({"SQLALCHEMY_DATABASE_URI": db.url, "SECRET_KEY": self.secret,
                                     "CERTIFICATE_PDFS": "worker"})
        self.seed = seeding.seed(self.flask_app, self.args.people, log=log)
        log(f"  seeded in {self.seed.seconds:.1f}s: {self.seed.counts}")
        self.serve(db)

    def serve(self, db: Database) -> None:
        env = {"SECRET_KEY": self.secret, "DATABASE_URL": db.url, "CERTIFICATE_PDFS": "worker"}
        self.app = Gunicorn("wsgi:app", env, self.workdir / "app.log", "/login")
        self.floors = Gunicorn("bench.floors:app", env, self.workdir / "floors.log", "/floor/json")
        started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        # The PDF renderer beside the web workers, as in production; the seeded history has no PDFs.
        self.renderer = Process([sys.executable, "-m", "flask", "--app", "wsgi", "certificates", "render-pending",
                                 "--watch", "--interval", "0.5", "--issued-since", started],
                                {**env, "PUBLIC_BASE_URL": self.app.base_url}, self.workdir / "renderer.log")
        self.seeded_newest = None
        self.processes += [self.app, self.floors, self.renderer]
        self.app.wait_ready()
        self.floors.wait_ready()
        self.sessions.clear()
        log(f"app on {self.app.base_url}, floors on {self.floors.base_url}")

    def stop(self) -> None:
        while self.processes:
            self.processes.pop().stop()

    def sign_in(self, emails) -> None:
        missing = [e for e in dict.fromkeys(emails) if e not in self.sessions]
        self.sessions.update(login_many(self.app.base_url, missing, seeding.PASSWORD))
        self.logins += len(missing)

    def cookie(self, email: str, form: bool = False) -> dict[str, str]:
        self.sign_in([email])
        return headers(self.sessions[email][0], form=form)

    def check(self, server: Gunicorn, req: Request, expect: int, content_type: str = "") -> requests.Response:
        """One request first: wrk counts a redirect to the sign-in page as a success."""
        answer = requests.request(req.method, server.base_url + req.path, data=req.body or None, headers=req.headers,
                                  allow_redirects=False, timeout=600)
        if answer.status_code != expect or not answer.headers.get("Content-Type", "").startswith(content_type) \
                or "/login" in answer.headers.get("Location", ""):
            raise RuntimeError(f"{req.method} {req.path}: HTTP {answer.status_code} {answer.headers.get('Content-Type')}"
                               f" {answer.headers.get('Location', '')}, expected {expect} {content_type}")
        return answer

    def wrk(self, server: Gunicorn, reqs: list[Request], c: int, name: str):
        for each in (self.app, self.floors):
            each.wait_idle(0.1 if self.args.smoke else 0.25)
        result = run_wrk(server.base_url, reqs, c, self.args.seconds, self.workdir, name)
        bad = {s: n for s, n in result.statuses.items() if not s.startswith(("2", "3"))}
        log(f"      {name:<16} c={c:<3} {result.rps:9.1f} req/s  p50 {result.p50_ms:7.1f} ms  "
            f"p99 {result.p99_ms:7.1f} ms" + (f"  statuses {bad}" if bad else ""))
        return result

    def compare(self, workload: str, label: str, app: list[Request], floor: list[Request], target: float) -> None:
        for c in self.args.connections:
            f = self.wrk(self.floors, floor, c, f"floor-{workload}")
            a = self.wrk(self.app, app, c, workload)
            self.rows.append(Row(workload, label, c, a.rps, f.rps, "req/s", target))

    # -- workloads --
    def rights(self) -> None:
        log("rights check by API token vs indexed-lookup floor")
        with self.flask_app.app_context():
            emails = [e for (e,) in self.query("SELECT email FROM users ORDER BY id DESC LIMIT 5000")]
        auth = headers(token=self.seed.api_token)
        app = [Request("GET", f"/api/v1/people/{quote(e, safe='@')}/posting-rights/{PLATFORMS[i % 5]}", headers=auth)
               for i, e in enumerate(emails)]
        floor = [Request("GET", f"/floor/people/{quote(e, safe='@')}", headers=headers()) for e in emails]
        self.check(self.app, app[0], 200, "application/json")
        self.check(self.floors, floor[0], 200, "application/json")
        self.compare("rights", "GET /api/v1/people/<email>/posting-rights/<platform>", app, floor, 0.35)

    def quiz(self) -> None:
        log("quiz submission (refresher-week mix) vs insert-and-commit floor")
        with self.flask_app.app_context():
            from app.extensions import db

            attempts = seeding.open_attempts(db.engine, 2000 if self.args.smoke else 120_000)
        pools = {kind: [a for a in attempts if a.pool == kind] for kind in ("cert", "nocert")}
        floor = [Request("POST", "/floor/insert", f"note=bench-{i}", headers(form=True)) for i in range(100)]
        self.check(self.floors, floor[0], 201)
        rate = 150.0  # a first guess; each run sizes the next
        for c in self.args.connections:
            f = self.wrk(self.floors, floor, c, "floor-quiz")
            need = int(rate * self.args.seconds * 1.5) + 4 * c
            for _ in range(1 if self.args.smoke else 3):  # a smoke run's pools are small: it only checks
                plan = []
                for i in range(need):
                    kind = MIX[i % len(MIX)]
                    pool = pools["cert" if kind == "c" else "nocert"]
                    if pool:
                        attempt = pool.pop()
                        plan.append((attempt, attempt.wrong if kind == "f" else attempt.correct))
                if not plan:
                    raise RuntimeError("the open attempts are used up: seed more people")
                self.sign_in([attempt.email for attempt, _ in plan])
                reqs = []
                for attempt, answers in plan:
                    cookie, csrf = self.sessions[attempt.email]
                    body = urlencode([("csrf_token", csrf)] + [(f"answer-{q}", o) for q, opts in answers for o in opts])
                    reqs.append(Request("POST", f"/attempts/{attempt.attempt_id}", body, headers(cookie, form=True)))
                self.check(self.app, reqs[0], 302)
                a = self.wrk(self.app, reqs[1:], c, "quiz")
                rate = max(rate, a.statuses.get("302", 0) / self.args.seconds)
                self.drain_renderer()
                if not a.wraps:
                    break
                log(f"      {need} open attempts were not enough; again with {need * 3}")
                need *= 3
            if a.wraps or set(a.statuses) - {"302"}:
                self.notes.append(f"quiz c={c}: statuses {a.statuses}, {a.wraps} wrap(s) of the attempt list.")
            self.rows.append(Row("quiz", "POST /attempts/<id> (30 % earn a certificate, 15 % fail)", c,
                                 a.statuses.get("302", 0) / a.requests * a.rps if a.requests else 0.0, f.rps,
                                 "req/s", 0.2))
        self.notes.append(f"quiz: open attempts left: {', '.join(f'{k} {len(p):,}' for k, p in pools.items())}.")

    def drain_renderer(self, timeout: float = 600) -> None:
        """Wait for the renderer to catch up, so its work does not run into the next measurement."""
        sql = ("SELECT count(*) FROM certificates c LEFT JOIN certificate_pdfs p ON p.certificate_id = c.id "
               "WHERE p.certificate_id IS NULL AND c.id > :newest")
        started = time.monotonic()
        with self.flask_app.app_context():
            if self.seeded_newest is None:
                self.seeded_newest = self.query("SELECT max(id) FROM certificates")[0][0] or 0
            newest = self.seeded_newest
            while self.query(sql, newest=newest)[0][0] and time.monotonic() - started < timeout:
                time.sleep(0.25)

    def query(self, sql: str, **params) -> list[tuple]:
        from sqlalchemy import text

        from app.extensions import db

        try:
            return [tuple(r) for r in db.session.execute(text(sql), params)]
        finally:
            db.session.rollback()

    def team(self) -> None:
        log("team dashboard vs team-report floor")
        lead, m = self.seed.team_manager_email, self.seed.team_manager_id
        for path, floor_path, kind in (("/team", f"/floor/team/{m}", "text/html"),
                                       ("/team.csv", f"/floor/team/{m}.csv", "text/csv")):
            app, floor = [Request("GET", path, headers=self.cookie(lead))], [Request("GET", floor_path, headers=headers())]
            self.check(self.app, app[0], 200, kind)
            self.check(self.floors, floor[0], 200, kind)
            self.compare("team-html" if path == "/team" else "team-csv", f"GET {path}, {self.seed.team_size} people",
                         app, floor, 0.35)

    def download(self) -> None:
        log("certificate download by its holder vs bare JSON floor")
        with self.flask_app.app_context():
            from app.extensions import db

            holders = seeding.pdf_holders(db.engine, 6 if self.args.smoke else 40)
            # Their PDFs, rendered here as the renderer would have long ago (not in a web worker).
            from app.certificates.services import render_missing_pdfs, store_pdfs

            store_pdfs(render_missing_pdfs([cid for _, cid in holders]))
            db.session.commit()
        self.sign_in([e for e, _ in holders])
        links = []
        for email, cid in holders:
            page = self.check(self.app, Request("GET", f"/certificates/{cid}", headers=self.cookie(email)), 200)
            found = DOWNLOAD_LINK.search(page.text)
            if not found:
                raise RuntimeError(f"GET /certificates/{cid}: no download link")
            links.append(Request("GET", html.unescape(found[1]), headers=self.cookie(email)))
            self.check(self.app, links[-1], 200, "application/pdf")
        self.compare("download", f"GET /certificates/<id>/pdf/<link>, {len(holders)} holders", links,
                     [Request("GET", "/floor/json", headers=headers())], 0.2)

    def export(self) -> None:
        log("organisation CSV export vs whole-organisation report floor")
        app = Request("GET", "/organization.csv", headers=self.cookie(self.seed.admin_email))
        floor = Request("GET", "/floor/export.csv", headers=headers())
        times = {"app": [], "floor": []}
        for _ in range(1 if self.args.smoke else 3):
            for name, server, req in (("floor", self.floors, floor), ("app", self.app, app)):
                server.wait_idle()
                started = time.perf_counter()
                answer = self.check(server, req, 200, "text/csv")
                times[name].append(time.perf_counter() - started)
        floor_csv = requests.get(self.floors.base_url + floor.path, timeout=3600).text
        differ = sum(a != b for a, b in zip(answer.text.splitlines(), floor_csv.splitlines()))
        if differ or len(answer.text) != len(floor_csv):  # then the ratio would not compare like with like
            self.notes.append(f"export: the floor's CSV differs from the app's in {differ} line(s).")
        self.rows.append(Row("export", f"GET /organization.csv, {answer.text.count(chr(10)) - 1:,} people", None,
                             statistics.median(times["app"]), statistics.median(times["floor"]), "s", 2.0))

    def render(self) -> None:
        """In the benchmark process: the app's render_certificate_pdf against a replay of the very
        WeasyPrint calls it made (same HTML, stylesheets, fonts, options), alternating which goes first."""
        import weasyprint

        from app.certificates.models import Certificate
        from app.certificates.pdf import render_certificate_pdf
        from app.certificates.services import certificate_document
        from app.extensions import db

        log("certificate render vs bare WeasyPrint of the same HTML")
        calls, init, render = [], weasyprint.HTML.__init__, weasyprint.HTML.render

        def spy_init(self, *args, **kwargs):
            calls.append((args, kwargs, {}))
            init(self, *args, **kwargs)

        def spy_render(self, *args, **kwargs):
            calls[-1][2].update(kwargs)
            return render(self, *args, **kwargs)

        def timed(fn) -> float:
            started = time.perf_counter()
            fn()
            return time.perf_counter() - started

        times = {"app": [], "bare": []}
        with self.flask_app.app_context():
            docs = [certificate_document(c) for c in db.session.scalars(
                db.select(Certificate).order_by(Certificate.id.desc()).limit(1 if self.args.smoke else 12))]
            replays = {}
            weasyprint.HTML.__init__, weasyprint.HTML.render = spy_init, spy_render
            try:
                for doc in docs:  # the calls that made the PDF (a long name may take several tries)
                    render_certificate_pdf(doc)
                    replays[doc.code] = calls[-1]
            finally:
                weasyprint.HTML.__init__, weasyprint.HTML.render = init, render
            for round_ in range(1 if self.args.smoke else 5):
                for n, doc in enumerate(docs):
                    args, kwargs, options = replays[doc.code]
                    pair = [("app", lambda: render_certificate_pdf(doc)),
                            ("bare", lambda: weasyprint.HTML(*args, **kwargs).write_pdf(**options))]
                    for name, fn in pair[::-1] if (n + round_) % 2 else pair:
                        times[name].append(timed(fn))
        self.rows.append(Row("render", f"render_certificate_pdf, median of {len(times['app'])}", None,
                             statistics.median(times["app"]), statistics.median(times["bare"]), "s", 1.3))

    def memory(self) -> None:
        peaks = [p for p in map(peak_mb, self.app.worker_pids()) if p]
        self.rows.append(Row("memory", "peak RSS of a PostReady worker (VmHWM)", None, max(peaks, default=0.0),
                             150.0, "MB", 1.0))

    def scale(self, db: Database) -> None:
        """The team dashboard again on a second, larger organisation: its rate against this run's."""
        base = {r.connections: r.app for r in self.rows if r.workload == "team-html"}
        people, self.args.people = self.args.people, self.args.scale
        self.stop()
        try:
            self.start(db)
            lead, m = self.seed.team_manager_email, self.seed.team_manager_id
            app = [Request("GET", "/team", headers=self.cookie(lead))]
            self.check(self.app, app[0], 200, "text/html")
            for c in self.args.connections:
                rate = self.wrk(self.app, app, c, "team-html-scale").rps
                self.rows.append(Row("scale", f"GET /team at {self.args.scale:,} people vs {people:,} "
                                     "(its rate there / here)", c, base[c], rate, "req/s", 1 / 1.2))
        finally:
            self.args.people = people


def facts(url: str) -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "database": url.split(":")[0], "load": " ".join(Path("/proc/loadavg").read_text().split()[:3])}


def steal() -> list[int]:
    return [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]


def report(args, rows: list[Row], info: dict) -> str:
    out = [f"# python -m bench {' '.join(sys.argv[1:])}", "",
           f"{info['finished']}; {info['nproc']} × {info['cpu']}; Python {info['python']}; {info['database']}; "
           f"{args.people:,} people seeded in {info['seed_seconds']:.0f} s; wrk -t1, {args.seconds:g} s a run; "
           f"load before {info['load']}; CPU taken by the host (steal) {info['steal']:.1%}; {info['elapsed']:.0f} s "
           "in all.", "",
           "| workload | c | PostReady | floor | ratio | target | result |", "| --- | ---: | ---: | ---: | ---: | --- | --- |"]
    for r in rows:
        value = "{:,.1f} req/s" if r.unit == "req/s" else "{:,.0f} MB" if r.unit == "MB" else "{:,.3f} s"
        sign = "≥" if r.unit == "req/s" else "≤"
        out.append(f"| {r.workload}: {r.label} | {r.connections or ''} | {value.format(r.app)} | "
                   f"{value.format(r.floor)} | {r.ratio:.2f} | {sign} {r.target:.2f} | "
                   f"{'PASS' if r.passed else '**MISS**'} |")
    return "\n".join(out + [""] + info["notes"]) + "\n"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--people", type=int, default=20000, help="people to seed (default 20000)")
    parser.add_argument("--seconds", type=float, default=10, help="length of each wrk run (default 10)")
    parser.add_argument("--connections", default="16,64", help="wrk connection counts (default 16,64)")
    parser.add_argument("--database-url", help="default: a fresh SQLite file; a PostgreSQL URL gets a fresh "
                        "database bench_<pid>_<n> on that server, dropped afterwards")
    parser.add_argument("--only", default=",".join(WORKLOADS), help=f"workloads to run (default all: {','.join(WORKLOADS)})")
    parser.add_argument("--scale", type=int, default=0, help="also measure the team dashboard on a second "
                        "organisation of this many people, against this run's rate (e.g. 300000)")
    parser.add_argument("--smoke", action="store_true", help="tiny run for CI: --people 200 --seconds 1 --connections 4")
    parser.add_argument("--keep", action="store_true", help="keep the databases and request lists")
    parser.add_argument("--out", help="also write the report (Markdown) here")
    args = parser.parse_args(argv)
    args.only = [w.strip() for w in args.only.split(",") if w.strip()]
    if set(args.only) - set(WORKLOADS):
        parser.error(f"unknown workload(s) {', '.join(sorted(set(args.only) - set(WORKLOADS)))}")
    if args.smoke:
        args.people, args.seconds, args.connections = 200, 1, "4"
    args.connections = [int(c) for c in str(args.connections).split(",") if c.strip()]
    if args.scale and "team" not in args.only:
        args.only.append("team")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda signum, _: sys.exit(128 + signum))  # unwind: stop servers, drop databases
    workdir = Path(tempfile.mkdtemp(prefix="postready-bench-"))
    log(f"work dir {workdir}")
    bench, databases, before = Bench(args, workdir), [], steal()
    info = facts(args.database_url or "sqlite")
    try:
        databases.append(Database(args.database_url, workdir))
        bench.start(databases[0])
        info["seed_seconds"] = bench.seed.seconds
        for name in WORKLOADS:
            if name in args.only:
                getattr(bench, name)()
        bench.memory()
        if args.scale:
            databases.append(Database(args.database_url, workdir, 1))
            bench.scale(databases[1])
    finally:
        bench.stop()
        for db in databases if not args.keep else []:
            db.drop()
    spent = [b - a for a, b in zip(before, steal())]
    info.update(finished=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), elapsed=time.perf_counter() - _T0,
                steal=spent[7] / max(1, sum(spent)), notes=bench.notes + [f"{bench.logins:,} sign-ins over HTTP."])
    text = report(args, bench.rows, info)
    (workdir / "results.json").write_text(json.dumps({"rows": [asdict(r) for r in bench.rows], **info}, indent=2))
    (workdir / "report.md").write_text(text)
    if args.out:
        Path(args.out).write_text(text)
    if not args.keep:
        for path in [*workdir.glob("*.sqlite3*"), *workdir.glob("*.tsv")]:
            path.unlink()
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
