"""The seed's evidence rows, as the app itself records them: attempts with their drawn questions,
submissions and answers, module completions, lesson views and signed certificates.

A Recorder writes into a BulkSink (bench/bulk.py); bench/seed.py decides who gets what.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

CORE_ORDER = ["phi", "consent", "claims", "reviews", "workflow"]


@dataclass
class ModuleInfo:
    id: int
    slug: str
    kind: str
    lesson_ids: list[int]
    # question id -> (option ids in position order, correct option ids)
    questions: dict[int, tuple[list[int], list[int]]]
    title: str


@dataclass
class CourseInfo:
    """The synced course version, read once: what every evidence row refers to."""
    version_id: int
    version_label: str
    version_title: str
    course_slug: str
    pass_mark: int
    validity: timedelta
    modules: dict[str, ModuleInfo]
    draw: dict[str, int]                                   # module slug -> questions drawn per attempt
    certifications: dict[str, tuple[int, str, list[str]]]  # slug -> (id, title, module slugs)


@dataclass
class OpenAttempt:
    attempt_id: int
    user_id: int
    email: str
    module_slug: str
    correct: list[tuple[int, list[int]]]   # (question id, correct option ids)
    wrong: list[tuple[int, list[int]]]     # answers that fail the quiz (4 of 10 wrong)
    pool: str                              # "cert" or "nocert"


class Recorder:
    def __init__(self, sink, ids, rng, course: CourseInfo, *, key, org: str, now: datetime, revoker_id: int):
        self.buffers, self.cv, self.ids, self.rng = sink.buffers, sink.cv, ids, rng
        self.course, self.key, self.org, self.now, self.revoker_id = course, key, org, now, revoker_id
        self.lesson_seen: set[tuple[int, int]] = set()
        self.cert_cycles: dict[tuple[int, str], int] = {}
        # A few shuffled option orders per question, drawn from at random (shuffling each time is slow).
        self.orders = {qid: [self.cv.js(rng.sample(opts, len(opts))) for _ in range(6)]
                       for info in course.modules.values() for qid, (opts, _) in info.questions.items()}
        self.question_ids = {slug: sorted(info.questions) for slug, info in course.modules.items()}
        self.passed_flag, self.failed_flag = self.cv.flag(True), self.cv.flag(False)

    def attempt(self, user_id: int, slug: str, started: datetime, submitted: datetime | None, passed: bool) -> int:
        """A submitted attempt: 10 drawn questions, the answers (4 wrong if failed), the submission."""
        info, buffers, cv, ids = self.course.modules[slug], self.buffers, self.cv, self.ids
        aid = next(ids["attempts"])
        buffers["attempts"].append((aid, user_id, info.id, cv.ts(started)))
        wrong_left = 0 if passed else 4
        correct = 0
        drawn = self.rng.sample(self.question_ids[slug], self.course.draw[slug])
        aq_rows, answer_rows = buffers["attempt_questions"], buffers["answers"]
        for position, qid in enumerate(drawn, start=1):
            aqid = next(ids["attempt_questions"])
            aq_rows.append((aqid, aid, qid, position, self.orders[qid][position % 6]))
            options, right = info.questions[qid]
            chosen = right
            if wrong_left and len(options) > len(right):
                chosen = [next(o for o in options if o not in right)]
                wrong_left -= 1
            else:
                correct += 1
            for oid in chosen:
                answer_rows.append((next(ids["answers"]), aid, aqid, oid))
        count = len(drawn)
        pass_mark = self.course.pass_mark
        ok = correct * 100 >= pass_mark * count
        buffers["submissions"].append((aid, cv.ts(submitted), correct, count, correct * 100 // count, pass_mark,
                                       self.passed_flag if ok else self.failed_flag))
        return aid

    def complete(self, user_id: int, slug: str, at: datetime) -> dict:
        """The module's lessons seen, sometimes a failed attempt first, a passed one, the completion."""
        info, buffers, cv, ids = self.course.modules[slug], self.buffers, self.cv, self.ids
        seen = cv.ts(at - timedelta(hours=2))
        for lid in info.lesson_ids:
            if (user_id, lid) not in self.lesson_seen:
                self.lesson_seen.add((user_id, lid))
                buffers["lesson_views"].append((next(ids["lesson_views"]), user_id, lid, seen))
        if self.rng.random() < 0.1:  # failed once first
            failed_at = at - timedelta(days=1)
            self.attempt(user_id, slug, failed_at - timedelta(minutes=15), failed_at, passed=False)
        aid = self.attempt(user_id, slug, at - timedelta(minutes=15), at, passed=True)
        buffers["module_completions"].append((next(ids["module_completions"]), user_id, info.id,
                                              self.course.version_id, aid, cv.ts(at)))
        return {"slug": slug, "title": info.title, "completed_at": at.isoformat(),
                "course_version": self.course.version_label}

    def certificate(self, user: dict, slug: str, issued: datetime, module_list: list[dict]) -> dict:
        """A certificate signed with the instance key, as issuing signs it; a few are later revoked."""
        course, cv, now = self.course, self.cv, self.now
        cert_id, cert_title, _ = course.certifications[slug]
        cycle = self.cert_cycles.get((user["id"], slug), 0) + 1
        self.cert_cycles[(user["id"], slug)] = cycle
        code = secrets.token_urlsafe(20)
        expires = issued + course.validity
        payload = json.dumps({
            "v": 1, "code": code, "organization": self.org, "holder": user["full_name"], "certification": slug,
            "certification_title": cert_title, "course": course.course_slug, "course_version": course.version_label,
            "cycle": cycle, "modules": module_list, "issued_at": issued.isoformat(),
            "expires_at": expires.isoformat(), "key_id": self.key.key_id,
        }, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        row = {"id": next(self.ids["certificates"]), "code": code, "holder_name": user["full_name"],
               "modules": module_list, "issued_at": issued, "expires_at": expires}
        self.buffers["certificates"].append((row["id"], code, user["id"], cert_id, slug, course.version_id, cycle,
                                             user["full_name"], cv.js(module_list), cv.ts(issued), cv.ts(expires),
                                             payload, self.key.sign(payload), self.key.key_id))
        if self.rng.random() < 0.003 and issued + timedelta(days=10) < now:
            self.buffers["certificate_revocations"].append((
                next(self.ids["certificate_revocations"]), row["id"],
                cv.ts(min(now, issued + timedelta(days=self.rng.randint(10, 100)))), self.revoker_id,
                "Posted a patient photo without authorization."))
        return row

    def cycle(self, user: dict, issued: datetime, platforms: list[str]) -> dict:
        """Five core completions ending at `issued`, the core certificate, then platform ones."""
        uid, rng = user["id"], self.rng
        done = []
        start = issued - timedelta(days=rng.randint(1, 14))
        span = (issued - start) / 4
        for i, slug in enumerate(CORE_ORDER):
            done.append(self.complete(uid, slug, issued if i == 4 else start + span * i))
        core = self.certificate(user, "core", issued, done)
        for slug in platforms:
            at = issued + timedelta(hours=rng.randint(1, 72))
            if at >= self.now:
                continue
            self.certificate(user, slug, at, [self.complete(uid, slug, at)])
        return core

    def open_attempt(self, user: dict, slug: str, pool: str) -> OpenAttempt:
        """A started, unsubmitted attempt, with the answers that pass it and answers that fail it."""
        info, rng, buffers = self.course.modules[slug], self.rng, self.buffers
        aid = next(self.ids["attempts"])
        buffers["attempts"].append((aid, user["id"], info.id,
                                    self.cv.ts(self.now - timedelta(minutes=rng.randint(1, 30)))))
        correct, wrong = [], []
        for position, qid in enumerate(rng.sample(self.question_ids[slug], self.course.draw[slug]), start=1):
            options, right = info.questions[qid]
            buffers["attempt_questions"].append((next(self.ids["attempt_questions"]), aid, qid, position,
                                                 self.cv.js(rng.sample(options, len(options)))))
            correct.append((qid, right))
            bad = [o for o in options if o not in right][:1]
            wrong.append((qid, bad if position <= 4 and bad else right))
        return OpenAttempt(aid, user["id"], user["email"], slug, correct, wrong, pool)
