"""python -m bench: seed a synthetic organisation, serve PostReady and the floors, load both, write a report.

See bench/README.md. Every figure is a ratio to a floor measured in the same run.
"""
from __future__ import annotations

import argparse
import functools
import html
import json
import re
import secrets
import shlex
import signal
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

import requests

from bench import facts as machine
from bench.database import Database
from bench.load import Request, WrkResult, cpu_times, run_wrk, steal_between
from bench.quiz import QuizRuns
from bench.report import write_report
from bench.results import Workload, log
from bench.server import REPO, Gunicorn, Renderer
from bench.sessions import USER_AGENT, headers, login_many

# The download link on a holder's certificate page (app/certificates/templates/certificates/detail.html).
DOWNLOAD_LINK = re.compile(r'href="(/certificates/\d+/pdf/[^"]+)"')
PLATFORMS = ["facebook", "instagram", "linkedin", "youtube", "tiktok"]


class Bench(QuizRuns):
    def __init__(self, args, db: Database, workdir: Path):
        self.args, self.db, self.workdir = args, db, workdir
        self.sessions: dict[str, tuple[str, str]] = {}
        self.workloads: list[Workload] = []

    # -- helpers --
    def wrk(self, server: Gunicorn, reqs: list[Request], c: int, name: str, statuses: bool = False,
            seconds: float | None = None, idle: bool = True) -> WrkResult:
        if idle:  # not when the load is meant to overlap something (an export)
            for each in (self.app, self.floors):
                each.wait_idle(window=0.1 if self.args.smoke else 0.25)
        result = run_wrk(server.base_url, reqs, c, seconds or self.args.seconds, self.workdir, name,
                         threads=self.args.threads, statuses=statuses)
        log(f"      {name:<28} c={c:<3} {result.rps:9.1f} req/s  p50 {result.p50_ms:8.2f} ms  "
            f"p99 {result.p99_ms:8.2f} ms  non-2xx/3xx {result.non_2xx_3xx}"
            + (f"  statuses {result.statuses}" if result.statuses else "")
            + (f"  steal {result.steal:.1%}" if result.steal else ""))
        return result

    def ensure_sessions(self, emails: list[str]) -> None:
        missing = [e for e in dict.fromkeys(emails) if e not in self.sessions]
        if missing:
            started = time.perf_counter()
            self.sessions.update(login_many(self.app.base_url, missing, self.password, parallel=8))
            self.login_seconds += time.perf_counter() - started
            self.logins += len(missing)

    def check(self, server: Gunicorn, req: Request, expect: int, content_type: str | None = None) -> None:
        """Send one request first: wrk counts a redirect to the login page as a success, so make sure it is not."""
        answer = requests.request(req.method, server.base_url + req.path, data=req.body or None,
                                  headers=req.headers, allow_redirects=False, timeout=600)
        if answer.status_code != expect or (content_type and not answer.headers.get("Content-Type", "")
                                                                   .startswith(content_type)):
            raise RuntimeError(f"{req.method} {req.path}: HTTP {answer.status_code} "
                               f"{answer.headers.get('Content-Type')} {answer.headers.get('Location', '')}, "
                               f"expected {expect} {content_type or ''}")

    # -- the run --
    def run(self) -> None:
        args = self.args
        from app import create_app
        from bench.seed import PASSWORD, seed

        self.password = PASSWORD
        self.logins, self.login_seconds = 0, 0.0
        self.facts = machine.collect(self.db)
        self.facts["load_before"] = machine.loadavg()
        self.cpu_before = cpu_times()
        log(f"seeding {args.people} people into {self.db.kind} ...")
        secret = secrets.token_urlsafe(32)
        self.flask_app = create_app({"SQLALCHEMY_DATABASE_URI": self.db.url, "SECRET_KEY": secret})
        # Every long-tenured employee has open attempts (95 % in small organisations; see the
        # README). On 12-02 a machine that submits ~400 a second used ~23,000 in a quiz run: the
        # certificate-earning quarter each hold ~4.9 (the last core module, untaken platforms),
        # the rest ~2.5 (core modules short of the last).
        big = args.people >= 5000
        self.seed = seed(self.flask_app, args.people, log=log, pool_share=1.0 if big else 0.95,
                         cert_share=0.25 if big else 0.35)
        log(f"  seeded in {self.seed.seconds:.1f}s: {self.seed.counts}")

        env = {"SECRET_KEY": secret, "DATABASE_URL": self.db.url, "CERTIFICATE_PDFS": args.certificate_pdfs}
        self.app = Gunicorn("wsgi:app", env, self.workdir / "app-gunicorn.log", ready_path="/login").start(wait=False)
        self.run_started = datetime.now(timezone.utc).replace(microsecond=0)
        self.renderer = (Renderer(env, self.workdir / "renderer.log", self.run_started).start()
                         if args.certificate_pdfs == "worker" else None)
        self.floors = Gunicorn("bench.floors:app", {"DATABASE_URL": self.db.url}, self.workdir / "floors-gunicorn.log",
                               ready_path="/floor/json").start(wait=False)
        self.app.wait_ready()
        self.floors.wait_ready()
        log(f"app on {self.app.base_url}, floors on {self.floors.base_url}")
        try:
            self.ensure_sessions([self.seed.admin_email, self.seed.team_manager_email])
            for name in args.only:
                getattr(self, name)()
            self.memory = {"app": self.app.worker_memory(), "floors": self.floors.worker_memory(),
                           "renderer": self.renderer.memory() if self.renderer else []}
        finally:
            self.app.stop()
            self.floors.stop()
            if self.renderer:
                self.renderer.stop()
        self.facts["load_after"] = machine.loadavg()
        self.facts["steal"] = steal_between(self.cpu_before, cpu_times())

    @functools.cached_property
    def rights_requests(self) -> list[Request]:
        auth = {"Authorization": f"Bearer {self.seed.api_token}", "User-Agent": USER_AGENT}
        return [Request("GET", f"/api/v1/people/{quote(e, safe='@')}/posting-rights/{PLATFORMS[i % len(PLATFORMS)]}",
                        headers=auth) for i, e in enumerate(self.seed.emails)]

    # 1. rights check
    def rights(self) -> None:
        log("rights check by API token vs indexed-lookup floor")
        w = Workload("rights", "Posting-rights check by API token",
                     "one indexed lookup by email among the N users (`GET /floor/people/<email>`)",
                     "≥ 0.6 × floor req/s", "throughput", 0.6)
        emails = self.seed.emails
        floor_reqs = [Request("GET", f"/floor/people/{quote(e, safe='@')}", headers={"User-Agent": USER_AGENT})
                      for e in emails]
        self.check(self.app, self.rights_requests[0], 200, "application/json")
        self.check(self.floors, floor_reqs[0], 200, "application/json")
        self.rights_at_rest = {}
        for c in self.args.connections:
            floor = self.wrk(self.floors, floor_reqs, c, "floor-lookup")
            app = self.wrk(self.app, self.rights_requests, c, "rights-api")
            w.add("GET /api/v1/people/<email>/posting-rights/<platform>", c, app, floor)
        w.notes.append(f"Rotates over {len(emails)} people's emails and the five platforms; one API token.")
        self.workloads.append(w)

    # 3. team dashboard
    def team(self) -> None:
        log("manager team dashboard vs team-report floor")
        cookie, _ = self.sessions[self.seed.team_manager_email]
        m = self.seed.team_manager_id
        for fmt, path, floor_path, ctype in (("html", "/team", f"/floor/team/{m}", "text/html"),
                                            ("csv", "/team.csv", f"/floor/team/{m}.csv", "text/csv")):
            w = Workload(f"team-{fmt}", f"Manager's team dashboard, {self.seed.team_size} people, {fmt.upper()}",
                         f"a {self.seed.team_size} × 6 team report, one SQL query and a plain loop "
                         f"(`GET {floor_path.replace(str(m), '<manager>')}`)", "≥ 0.5 × floor req/s", "throughput", 0.5)
            app_req = [Request("GET", path, headers=headers(cookie))]
            floor_req = [Request("GET", floor_path, headers={"User-Agent": USER_AGENT})]
            self.check(self.app, app_req[0], 200, ctype)
            self.check(self.floors, floor_req[0], 200, ctype)
            for c in self.args.connections:
                floor = self.wrk(self.floors, floor_req, c, f"floor-team-{fmt}")
                app = self.wrk(self.app, app_req, c, f"team-{fmt}")
                w.add(f"GET {path}", c, app, floor)
            self.workloads.append(w)

    # 5b. certificate download
    def download(self) -> None:
        log("certificate PDF download vs bare JSON floor")
        holders = self.seed.pdf_holders[: (10 if self.args.smoke else 400)]
        self.ensure_sessions([e for e, _ in holders])
        floor_reqs = [Request("GET", "/floor/json", headers={"User-Agent": USER_AGENT})]
        # Each holder's link as their certificate page gives it, sent with their cookie, as a browser would.
        links = [Request("GET", self.download_link(e, cid), headers=headers(self.sessions[e][0])) for e, cid in holders]
        routes = [Request("GET", f"/certificates/{cid}/pdf", headers=headers(self.sessions[e][0])) for e, cid in holders]
        for req in (links[0], routes[0]):
            self.check(self.app, req, 200, "application/pdf")
        w = Workload("download", "Certificate PDF download by its holder (stored bytes)",
                     "bare JSON endpoint (`GET /floor/json`)", "≥ 0.5 × floor req/s", "throughput", 0.5)
        signed_in = Workload("download-signed-in", "Certificate PDF download through the signed-in route",
                             "bare JSON endpoint (`GET /floor/json`), the same run as above",
                             "(reference: the route a manager's audited download takes)", "throughput", None)
        for c in self.args.connections:
            floor = self.wrk(self.floors, floor_reqs, c, "floor-json")
            w.add("GET /certificates/<id>/pdf/<link>", c, self.wrk(self.app, links, c, "certificate-download"), floor)
            signed_in.add("GET /certificates/<id>/pdf", c,
                          self.wrk(self.app, routes, c, "certificate-download-signed-in"), floor)
        w.notes.append(f"{len(holders)} holders, each downloading their own certificate by the link on its page "
                       f"(`app/certificates/links.py`: signed, an hour long, bound to the holder's sign-in); "
                       f"stored PDF {self.seed.pdf_bytes:,} bytes.")
        signed_in.notes.append("The same holders by `GET /certificates/<id>/pdf`: the session's user is loaded, "
                               "then the PDF; by the holder it writes nothing, by anyone else it also records "
                               "an audit event (not measured here).")
        self.workloads += [w, signed_in]

    def download_link(self, email: str, certificate_id: int) -> str:
        page = requests.get(f"{self.app.base_url}/certificates/{certificate_id}",
                            headers=headers(self.sessions[email][0]), allow_redirects=False, timeout=60)
        found = DOWNLOAD_LINK.search(page.text)
        if page.status_code != 200 or not found:
            raise RuntimeError(f"GET /certificates/{certificate_id}: HTTP {page.status_code}, no download link")
        return html.unescape(found.group(1))

    # 4 and 6. export, and rights while an export runs
    def export(self) -> None:
        from bench.inprocess import certificates_only_floor, export_floor

        log("full-organisation CSV export vs raw aggregation query + CSV (in-process)")
        cookie, _ = self.sessions[self.seed.admin_email]
        export_req = Request("GET", "/organization.csv", headers=headers(cookie))
        self.check(self.app, export_req, 200, "text/csv")
        repeats = 1 if self.args.smoke else 3
        times, size = [], 0
        for _ in range(repeats):
            started = time.perf_counter()
            answer = requests.get(self.app.base_url + export_req.path, headers=export_req.headers, timeout=3600)
            times.append(time.perf_counter() - started)
            size = len(answer.content)
            if answer.status_code != 200:
                raise RuntimeError(f"export: HTTP {answer.status_code}")
        floor = export_floor(self.db.url, repeats)
        simple = certificates_only_floor(self.db.url, repeats)
        app = {"seconds": statistics.median(times), "all": times, "bytes": size,
               "rows": answer.text.count("\r\n") - 1}
        app_lines, floor_lines = answer.text.split("\r\n"), floor.pop("csv").split("\r\n")
        differing = sum(a != b for a, b in zip(app_lines, floor_lines)) + abs(len(app_lines) - len(floor_lines))
        log(f"      export app {app['seconds']:.2f}s ({app['rows']} rows), floor {floor['seconds']:.2f}s "
            f"({floor['rows']} rows, {differing} lines differ), certificates-only query {simple['seconds']:.2f}s")
        w = Workload("export", f"Full-organisation CSV export, {self.seed.people} people (`GET /organization.csv` as admin)",
                     "the same report as one raw aggregation query plus a plain loop and csv.writer "
                     "(`bench/export_floor.py`), in the benchmark process, same database",
                     "≤ 1.5 × floor time", "time", 1.5)
        w.add("GET /organization.csv", None, app, floor)
        w.notes.append(f"Median of {repeats} sequential downloads vs median of {repeats} in-process runs; "
                       f"app CSV {app['bytes']:,} bytes, {app['rows']} rows; floor CSV {floor['bytes']:,} bytes, "
                       f"{floor['rows']} rows.")
        w.notes.append("The floor's CSV and the app's are compared line by line: "
                       + ("identical." if not differing else
                          f"**{differing} lines differ**, so this ratio does not compare like with like."))
        self.workloads.append(w)
        w = Workload("export-certificates-only", "Full-organisation CSV export against a certificates-only query",
                     "the first export floor: one query over certificates alone, a plain loop, csv.writer "
                     "(a simpler report: no assignments, progress or suspensions)", "(reference)", "time", None)
        w.add("GET /organization.csv", None, app, simple)
        self.workloads.append(w)

        log("rights-check p99 while a full export runs vs at rest")
        w = Workload("rights-under-export", "Rights-check p99 while a full export runs",
                     "the same rights check at rest, measured just before", "≤ 3 × p99 at rest", "p99", 3.0)
        for c in self.args.connections:
            rest = self.wrk(self.app, self.rights_requests, c, "rights-at-rest")
            self.app.wait_idle()
            stop = threading.Event()
            durations: list[float] = []

            def exporter():
                while not stop.is_set():
                    started = time.perf_counter()
                    requests.get(self.app.base_url + export_req.path, headers=export_req.headers, timeout=3600)
                    durations.append(time.perf_counter() - started)

            thread = threading.Thread(target=exporter, daemon=True)
            thread.start()
            time.sleep(0.3)
            busy = self.wrk(self.app, self.rights_requests, c, "rights-during-export", idle=False)
            stop.set()
            thread.join()
            w.add("p99 of the rights check", c, busy, rest,
                  note=f"{len(durations)} export(s) ran back to back during the run, "
                       f"{statistics.mean(durations):.1f}s each on average")
        self.workloads.append(w)

    # 5a. certificate render
    def render(self) -> None:
        from bench.inprocess import certificate_render

        log("certificate render at issue vs bare WeasyPrint")
        result = certificate_render(self.flask_app, 1 if self.args.smoke else 12, 1 if self.args.smoke else 5)
        w = Workload("render", "Certificate rendering at issue (`render_certificate_pdf`, in-process)",
                     "a bare WeasyPrint `HTML(...).write_pdf()` of the very same HTML, stylesheet, fonts and PDF "
                     "variant", "≤ 1.3 × floor time", "time", 1.3)
        w.add("render_certificate_pdf", None, {"seconds": result["app_seconds"]}, {"seconds": result["bare_seconds"]})
        w.notes.append(f"Median of {result['renders']} renders each ({result['samples']} recent certificates, "
                       f"{result['rounds']} rounds), app and bare interleaved, each going first in every other pair "
                       "and every other round; "
                       f"PDF ~{result['pdf_bytes']:,} bytes. The end-to-end cost of issuing (inside a quiz "
                       "submission) is the quiz-cert row above.")
        self.workloads.append(w)

    def results(self) -> dict:
        return {"workloads": [asdict(w) for w in self.workloads], "memory": self.memory, "facts": self.facts,
                "seed": {"people": self.seed.people, "counts": self.seed.counts, "seconds": self.seed.seconds,
                         "team_size": self.seed.team_size},
                "logins": self.logins, "login_seconds": self.login_seconds}


WORKLOADS = ("rights", "quiz", "team", "download", "export", "render")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=20000, help="people to seed (default 20000)")
    parser.add_argument("--seconds", type=float, default=10, help="length of each load run (default 10)")
    parser.add_argument("--connections", default="16,64", help="wrk connection counts (default 16,64)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1: leave the cores to the server)")
    parser.add_argument("--database-url", default=None,
                        help="default: a fresh SQLite file in a temp dir; a PostgreSQL URL gets a fresh database "
                             "bench_<pid> on that server, dropped afterwards")
    parser.add_argument("--out", default=None,
                        help="report to write (default docs/benchmarks.md; with --smoke, a file in the work dir)")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny run for CI: --people 200 --seconds 1 --connections 4")
    parser.add_argument("--certificate-pdfs", choices=("worker", "at-issue"), default="worker",
                        help="where certificate PDFs are rendered (the app's CERTIFICATE_PDFS; default worker: "
                             "a renderer process runs beside gunicorn, as in production)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir and database (for profiling)")
    parser.add_argument("--only", default=",".join(WORKLOADS),
                        help=f"comma-separated workloads to run, for development (default all: {','.join(WORKLOADS)}); "
                             "rights_under_export runs inside export")
    args = parser.parse_args(argv)
    args.only = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = sorted(set(args.only) - set(WORKLOADS))
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    if args.smoke:
        args.people, args.seconds, args.connections = 200, 1, "4"
    args.connections = [int(c) for c in str(args.connections).split(",") if c.strip()]
    args.command = " ".join(["python -m bench", *(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))])
    return args


def _exit_on_sigterm(signum, _frame):
    # SIGTERM would end the process without unwinding: the servers, the PDF renderer and a
    # PostgreSQL bench_<pid> database would outlive it. As SystemExit, the finally blocks run.
    raise SystemExit(128 + signum)


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="postready-bench-"))
    log(f"work dir {workdir}")
    db = Database(args.database_url, workdir, args.keep)
    bench = Bench(args, db, workdir)
    try:
        bench.run()
    finally:
        db.cleanup()
    results = bench.results()
    results["elapsed_seconds"] = time.perf_counter() - started
    results["finished_at"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    results["command"] = args.command
    results["settings"] = {"threads": args.threads, "seconds": args.seconds, "connections": args.connections,
                           "people": args.people}
    (workdir / "results.json").write_text(json.dumps(results, indent=2, default=str))
    out = Path(args.out or (workdir / "benchmarks-smoke.md" if args.smoke else "docs/benchmarks.md"))
    if not out.is_absolute():
        out = REPO / out
    write_report(out, args, results)
    log(f"wrote {out} (raw results: {workdir / 'results.json'}) in {results['elapsed_seconds']:.0f}s")
    if not args.keep:  # keep the small files (wrk outputs, logs, results.json); drop the database and request lists
        for path in list(workdir.glob("bench.sqlite3*")) + list(workdir.glob("*.tsv")):
            path.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
