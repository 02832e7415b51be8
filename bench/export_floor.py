"""The export's floor: the organisation report as one raw SQL aggregation, a plain loop and csv.writer.

For every active person and current certification the query finds what the app's status rule reads
(the newest certificate and its end, the latest valid expiry, modules completed, and since the
newest certificate, lessons opened, the earliest open assignment, suspensions in force); `label`
turns each row into the app's wording. The benchmark checks that this CSV is the app's, line for line.
"""
import csv
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml
from sqlalchemy import text

EXPIRING_WINDOW = timedelta(days=30)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
RIGHTS_FILE = Path(__file__).resolve().parent.parent / "courses" / "rights.yaml"
REQUIREMENTS = text("SELECT c.slug, c.title, c.module_slugs FROM certifications c "
                    "JOIN course_versions v ON v.id = c.course_version_id "
                    "WHERE v.id IN (SELECT MAX(id) FROM course_versions GROUP BY course_id) ORDER BY v.title, c.position")
REPORT = """
WITH req(cert, module) AS (VALUES {modules}),
right_cert(right_slug, cert) AS (VALUES {rights}),
ranked AS (
    SELECT c.user_id, c.certification_slug AS cert, c.issued_at, c.expires_at, r.revoked_at,
           ROW_NUMBER() OVER (PARTITION BY c.user_id, c.certification_slug ORDER BY c.issued_at DESC) AS newest,
           MAX(CASE WHEN c.expires_at > :now AND r.revoked_at IS NULL THEN c.expires_at END)
               OVER (PARTITION BY c.user_id, c.certification_slug) AS valid_until
    FROM certificates c LEFT JOIN certificate_revocations r ON r.certificate_id = c.id),
cert_stats AS (
    SELECT user_id, cert, issued_at AS latest_issued, expires_at AS latest_expires, revoked_at AS latest_revoked,
           valid_until
    FROM ranked WHERE newest = 1),
done AS (
    SELECT mc.user_id, m.slug AS module, MAX(mc.completed_at) AS done_at
    FROM module_completions mc JOIN modules m ON m.id = mc.module_id
    GROUP BY mc.user_id, m.slug),
progress AS (
    SELECT d.user_id, q.cert, COUNT(*) AS done_n,
           SUM(CASE WHEN d.done_at > s.latest_issued THEN 1 ELSE 0 END) AS fresh_n
    FROM done d JOIN req q ON q.module = d.module
    LEFT JOIN cert_stats s ON s.user_id = d.user_id AND s.cert = q.cert
    GROUP BY d.user_id, q.cert),
started AS (
    SELECT DISTINCT v.user_id, q.cert
    FROM (SELECT DISTINCT lv.user_id, l.module_id FROM lesson_views lv JOIN lessons l ON l.id = lv.lesson_id) v
    JOIN modules m ON m.id = v.module_id JOIN req q ON q.module = m.slug),
open_due AS (
    SELECT a.user_id, a.certification_slug AS cert, MIN(a.due_at) AS due_at
    FROM assignments a LEFT JOIN cert_stats s ON s.user_id = a.user_id AND s.cert = a.certification_slug
    WHERE a.assigned_at <= :now AND CASE
        WHEN a.module_slugs IS NULL OR CAST(a.module_slugs AS TEXT) IN ('[]', 'null')
            THEN s.latest_issued IS NULL OR s.latest_issued < a.assigned_at
        ELSE EXISTS (SELECT 1 FROM req q WHERE q.cert = a.certification_slug
                     AND CAST(a.module_slugs AS TEXT) LIKE '%"' || q.module || '"%'
                     AND NOT EXISTS (SELECT 1 FROM done d WHERE d.user_id = a.user_id AND d.module = q.module
                                     AND d.done_at >= a.assigned_at))
        END
    GROUP BY a.user_id, a.certification_slug),
suspended AS (
    SELECT DISTINCT s.user_id, COALESCE(rc.cert, '*') AS cert
    FROM rights_suspensions s
    LEFT JOIN rights_suspension_lifts l ON l.suspension_id = s.id
    LEFT JOIN right_cert rc ON rc.right_slug = s.right_slug
    WHERE l.id IS NULL AND (s.right_slug IS NULL OR rc.cert IS NOT NULL)),
suspended_cell AS (
    SELECT DISTINCT x.user_id, q.cert FROM suspended x JOIN (SELECT DISTINCT cert FROM req) q ON x.cert IN ('*', q.cert))
SELECT u.id, u.full_name, u.email, dp.name, mg.full_name, u.hire_date, q.cert,
       cs.valid_until, cs.latest_issued, cs.latest_expires, cs.latest_revoked,
       COALESCE(p.done_n, 0), COALESCE(p.fresh_n, 0), st.user_id IS NOT NULL, od.due_at, sc.user_id IS NOT NULL
FROM users u
CROSS JOIN (SELECT DISTINCT cert FROM req) q
LEFT JOIN departments dp ON dp.id = u.department_id
LEFT JOIN users mg ON mg.id = u.manager_id
LEFT JOIN cert_stats cs ON cs.user_id = u.id AND cs.cert = q.cert
LEFT JOIN progress p ON p.user_id = u.id AND p.cert = q.cert
LEFT JOIN started st ON st.user_id = u.id AND st.cert = q.cert
LEFT JOIN open_due od ON od.user_id = u.id AND od.cert = q.cert
LEFT JOIN suspended_cell sc ON sc.user_id = u.id AND sc.cert = q.cert
WHERE u.active
"""


def _when(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(str(value)).replace(tzinfo=timezone.utc)


def _day(value: datetime) -> str:
    return f"{value:%b %-d, %Y}"


def label(now, valid_until, latest_issued, latest_expires, latest_revoked, done_n, fresh_n, n_modules,
          started, due_at, suspended) -> str:
    """The app's status rule, restated over the query's aggregates."""
    if suspended:
        return "Suspended"
    if due_at is not None and due_at <= now:
        return f"Overdue since {_day(due_at)}"
    if valid_until is not None:
        return f"Expiring {_day(valid_until)}" if valid_until - now <= EXPIRING_WINDOW else \
            f"Certified until {_day(valid_until)}"
    if latest_issued is not None:
        if fresh_n == n_modules:
            return "Passed"
        ended = latest_revoked if latest_revoked is not None and latest_revoked <= now else latest_expires
        return f"Expired {_day(ended)}"
    if n_modules and done_n == n_modules:
        return "Passed"
    if started or done_n:
        return "In progress"
    return "Not started"


def _safe(value) -> str:
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def export_csv(conn) -> str:
    """The requirements, the one report query, a plain loop, csv.writer."""
    now, pg = datetime.now(timezone.utc), conn.dialect.name == "postgresql"
    if pg:  # the JIT would spend longer compiling this plan than the query runs
        conn.execute(text("SET jit = off"))
    reqs = [(slug, title, json.loads(modules) if isinstance(modules, str) else list(modules))
            for slug, title, modules in conn.execute(REQUIREMENTS)]
    params: dict = {"now": now if pg else now.replace(tzinfo=None).isoformat(" ")}
    pairs, rights = [], []
    for i, (slug, _, modules) in enumerate(reqs):
        for j, module in enumerate(modules):
            params[f"c{i}_{j}"], params[f"m{i}_{j}"] = slug, module
            pairs.append(f"(:c{i}_{j}, :m{i}_{j})")
    platforms = [(r["slug"], r["platform"]) for r in yaml.safe_load(RIGHTS_FILE.read_text())["rights"] if r.get("platform")]
    for k, (right, platform) in enumerate(platforms):
        params[f"r{k}"], params[f"p{k}"] = right, platform
        rights.append(f"(:r{k}, :p{k})")
    query = text(REPORT.format(modules=", ".join(pairs), rights=", ".join(rights) or "(NULL, NULL)"))
    index = {slug: i for i, (slug, _, _) in enumerate(reqs)}
    people: dict[int, list] = {}
    for (uid, name, email, dept, manager, hired, cert, valid_until, issued, expires, revoked, done_n, fresh_n,
         started, due_at, suspended) in conn.execute(query, params):
        row = people.get(uid) or people.setdefault(uid, [name, email, dept or "", manager or "", hired or "", "yes"]
                                                   + [""] * len(reqs))
        i = index[cert]
        row[6 + i] = label(now, _when(valid_until), _when(issued), _when(expires), _when(revoked), done_n, fresh_n,
                           len(reqs[i][2]), bool(started), _when(due_at), bool(suspended))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_safe(h) for h in ["Name", "Email", "Department", "Manager", "Hire date", "Active",
                                        *(title for _, title, _ in reqs)]])
    for _, row in sorted(people.items(), key=lambda item: (item[1][0].casefold(), item[0])):
        writer.writerow([_safe(v) for v in row])
    return out.getvalue()
