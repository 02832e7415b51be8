"""The quiz workloads: each request submits a different open attempt, signed in as its owner."""
from __future__ import annotations

import time
from urllib.parse import urlencode

import requests

from bench.load import Request, WrkResult
from bench.results import Workload, log
from bench.sessions import USER_AGENT, headers

# Refresher week, per 20 submissions: 6 earn a certificate (30%), 3 fail (15%), 11 pass a module; interleaved.
MIX = ["cert", "nocert", "nocert", "cert", "nocert", "fail", "cert", "nocert", "nocert", "nocert",
       "cert", "fail", "nocert", "cert", "nocert", "nocert", "cert", "nocert", "fail", "nocert"]


class Pool:
    """Open attempts, each submitted at most once; a cursor marks what has been used."""

    def __init__(self, attempts):
        self.attempts, self.cursor = attempts, 0

    def available(self) -> int:
        return len(self.attempts) - self.cursor


class QuizRuns:
    """Bench's quiz methods (a mixin: they use its servers, sessions, seed and arguments)."""

    # 2. quiz submission
    def quiz(self) -> None:
        log("quiz submission vs insert-and-commit floor")
        seed = self.seed
        self.pools = {"cert": Pool(seed.open_attempts["cert"]), "nocert": Pool(seed.open_attempts["nocert"])}
        floor_reqs = [Request("POST", "/floor/insert", f"note=bench-{i}",
                              {"User-Agent": USER_AGENT, "Content-Type": "application/x-www-form-urlencoded"})
                      for i in range(100)]
        self.check(self.floors, floor_reqs[0], 201)
        variants = [
            ("mix", "Quiz submission, refresher-week mix (30% earn a certificate, 15% fail)", 0.35),
            ("nocert", "Quiz submission that passes a module, no certificate earned", None),
            ("cert", "Quiz submission that earns a certificate" + (
                " (PDF by the renderer process)" if self.args.certificate_pdfs == "worker"
                else " (PDF rendered at issue, in the request)"), None),
        ]
        if self.args.smoke:  # a smoke run only checks that everything works: the mix covers both kinds
            variants = variants[:1]
        else:
            self.warm_certificates()
        floors: dict[int, WrkResult] = {}
        for key, title, threshold in variants:
            w = Workload(f"quiz-{key}", title, "POST inserting and committing one row (`POST /floor/insert`)",
                         "≥ 0.35 × floor req/s" if threshold else "(diagnostic)",
                         "throughput", threshold)
            rate = self.calibrate(key)
            for c in self.args.connections:
                if c not in floors:
                    floors[c] = self.wrk(self.floors, floor_reqs, c, "floor-insert")
                need = int(rate * self.args.seconds * 1.6) + (2 * c + 5 if self.args.smoke else 4 * c + 20)
                app = None
                for _ in range(1 if self.args.smoke else 3):
                    plan = self.plan(key, need)
                    if not plan:
                        break
                    self.drain_renderer()
                    # Smoke: long enough for the cold workers' first submissions to come back (a first
                    # WeasyPrint render takes seconds), short enough for the 200-person pools.
                    smoke_seconds = 4 if self.args.certificate_pdfs == "at-issue" else 1
                    app = self.submit(plan, c, f"quiz-{key}", seconds=smoke_seconds if self.args.smoke else None)
                    if not app.wraps or len(plan) < need:
                        break
                    # The slice ran out, so some attempts were sent twice (409): run again with more.
                    log(f"      {key}: {need} open attempts were not enough; again with {need * 3}")
                    need *= 3
                if app is None:
                    w.notes.append(f"c={c}: not run, the open-attempt pool is used up (seed more people).")
                    continue
                w.add("POST /attempts/<id>", c, app, floors[c])
                backlog, seconds = self.drain_renderer()
                if self.renderer is not None:
                    w.notes.append(f"c={c}: the PDF renderer had {backlog} certificate(s) left at the end of the "
                                   f"run and caught up {seconds:.1f} s later (before the next run started).")
            w.notes.append(self.pool_note())
            self.workloads.append(w)

    def drain_renderer(self, timeout: float = 600) -> tuple[int, float]:
        """Wait until every issued certificate has its PDF, so the renderer's catching up does not
        run into the next measurement. Returns (certificates left when called, seconds to catch up)."""
        from sqlalchemy import func, select

        from app.certificates.models import Certificate, CertificatePdf
        from app.extensions import db

        started = time.monotonic()
        pending = (select(func.count()).select_from(Certificate).outerjoin(CertificatePdf)
                   .where(CertificatePdf.certificate_id.is_(None), Certificate.issued_at >= self.run_started))
        with self.flask_app.app_context():
            first = left = db.session.scalar(pending)
            db.session.rollback()
            while left and self.renderer is not None and time.monotonic() - started < timeout:
                time.sleep(0.25)
                left = db.session.scalar(pending)
                db.session.rollback()
        return first, time.monotonic() - started

    def warm_certificates(self) -> None:
        """Each worker loads WeasyPrint's fonts and stylesheet on its first render (a second or more);
        long-lived workers have done so long ago, so do it before measuring: a few certificate-earning
        submissions, two at a time."""
        from concurrent.futures import ThreadPoolExecutor

        plan = self.plan("cert", 2 if self.args.smoke else 6)
        self.pools["cert"].cursor += len(plan)
        self.ensure_sessions([a.email for _, a, _ in plan])

        def post(item):
            _, attempt, _ = item
            cookie, csrf = self.sessions[attempt.email]
            body = urlencode([("csrf_token", csrf)] + [(f"answer-{q}", o) for q, opts in attempt.correct for o in opts])
            return requests.post(f"{self.app.base_url}/attempts/{attempt.attempt_id}", data=body,
                                 headers=headers(cookie, form=True), allow_redirects=False, timeout=600).status_code

        with ThreadPoolExecutor(2) as pool:
            codes = list(pool.map(post, plan))
        log(f"      warmed certificate rendering: {codes}")

    def plan(self, key: str, n: int) -> list[tuple[str, object, bool]]:
        """The next n open attempts to submit: (pool, attempt, pass?)."""
        kinds = {"mix": MIX, "nocert": ["nocert"], "cert": ["cert"]}[key]
        cursors = {name: pool.cursor for name, pool in self.pools.items()}
        plan = []
        for i in range(n):
            kind = kinds[i % len(kinds)]
            pool_name = "cert" if kind == "cert" else "nocert"
            pool = self.pools[pool_name]
            if cursors[pool_name] >= len(pool.attempts):
                break
            plan.append((pool_name, pool.attempts[cursors[pool_name]], kind != "fail"))
            cursors[pool_name] += 1
        return plan

    def submit(self, plan, c: int, name: str, seconds: float | None = None) -> WrkResult:
        if not plan:
            raise RuntimeError(f"{name}: the open-attempt pools are used up; seed more people")
        self.ensure_sessions([a.email for _, a, _ in plan])
        reqs = []
        for _, attempt, passing in plan:
            cookie, csrf = self.sessions[attempt.email]
            answers = attempt.correct if passing else attempt.wrong
            body = urlencode([("csrf_token", csrf)] + [(f"answer-{q}", o) for q, opts in answers for o in opts])
            reqs.append(Request("POST", f"/attempts/{attempt.attempt_id}", body, headers(cookie, form=True)))
        result = self.wrk(self.app, reqs, c, name, statuses=True, seconds=seconds)
        # Everything sent (answered or in flight when wrk stopped) is used up.
        used = min(len(plan), result.requests + c * self.args.threads + 1)
        for pool_name in self.pools:
            self.pools[pool_name].cursor += sum(1 for p, _, _ in plan[:used] if p == pool_name)
        redirects = result.statuses.get("302", 0)
        stored = self.count_submissions([a.attempt_id for _, a, _ in plan[:used]])
        if stored < redirects:
            raise RuntimeError(f"{name}: {redirects} redirects but only {stored} submissions stored")
        return result

    def count_submissions(self, attempt_ids: list[int]) -> int:
        from sqlalchemy import create_engine, text

        from app.database import set_write_intent

        set_write_intent(False)  # a read: never queue for SQLite's write lock behind the server
        engine = create_engine(self.db.url)
        try:
            with engine.connect() as conn:
                total = 0
                for i in range(0, len(attempt_ids), 500):
                    chunk = attempt_ids[i:i + 500]
                    total += conn.execute(text("SELECT count(*) FROM submissions WHERE attempt_id IN (%s)"
                                               % ",".join(map(str, chunk)))).scalar_one()
                return total
        finally:
            engine.dispose()

    def calibrate(self, key: str) -> float:
        """A short run to size the pool slices (each attempt can be submitted once)."""
        if self.args.smoke:
            return {"nocert": 30.0, "mix": 60.0}.get(key, 5.0)  # pools are tiny: guess instead of spending them
        c = max(self.args.connections)
        batch = 60 if self.args.smoke else 400
        seconds = 1
        result = self.submit(self.plan(key, batch), c, f"calibrate-{key}", seconds=seconds)
        # A slice that ran out was answered 409 at the end, faster than real submissions: count only
        # the stored ones then (a lower bound; a run that needs more gets them, see quiz()).
        rate = result.statuses.get("302", 0) / seconds if result.wraps else result.rps
        rate = max(rate, 5.0 if self.args.smoke else 10.0)
        log(f"      calibrated {key}: ~{rate:.0f} submissions/s")
        return rate

    def pool_note(self) -> str:
        return (f"Each request submits a different open attempt (the simulated employees' own, {self.logins} "
                f"signed in over HTTP so far in {self.login_seconds:.0f}s); answers pre-computed; a "
                "second submission would get 409 and count as non-2xx/3xx. Pools left: "
                + ", ".join(f"{k} {p.available()}" for k, p in self.pools.items()) + ".")
