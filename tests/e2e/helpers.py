"""Helpers for the browser tests: axe-core scans, overflow checks, focus checks, and the page catalogue."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from tests.e2e.conftest import ADMIN, MANAGER, SCAN_EMPLOYEE, SHOWCASE, Site

AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"  # axe-core, MPL-2.0, vendored so CI needs no network
BLOCKING_IMPACTS = ("serious", "critical")


# --- axe-core ----------------------------------------------------------------------------------

_AXE_RUN = """async () => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.map(String), html: n.html.slice(0, 160),
                              summary: (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 300)})),
  }));
}"""


def run_axe(page) -> list[dict]:
    """Every axe-core violation on the page as it is now.

    axe is evaluated through the DevTools protocol, which the page's CSP does
    not govern, so the page is scanned exactly as users get it (CSP on).
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    return page.evaluate(_AXE_RUN)


def blocking(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in BLOCKING_IMPACTS]


def describe(violations: list[dict], where: str = "") -> str:
    lines = [f"{len(violations)} serious/critical axe violation(s){' on ' + where if where else ''}:"]
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} [{v['helpUrl']}]")
        for node in v["nodes"][:10]:
            lines.append(f"    at {' '.join(node['target'])}: {node['summary']}")
    return "\n".join(lines)


def assert_accessible(page, where: str = "") -> None:
    bad = blocking(run_axe(page))
    assert not bad, describe(bad, where or page.url)


# --- layout ------------------------------------------------------------------------------------

_OVERFLOW = """() => {
  const width = window.innerWidth;
  const offenders = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.skip-link')) continue;
    const inScroller = el.parentElement && el.parentElement.closest('.table-scroll');
    if (inScroller && !['absolute', 'fixed'].includes(getComputedStyle(el).position)) continue;
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1) {
      offenders.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                     (typeof el.className === 'string' && el.className.trim()
                      ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
                     ' right=' + Math.round(box.right));
    }
  }
  return {scrollWidth: document.scrollingElement.scrollWidth, innerWidth: width, offenders: offenders.slice(0, 10)};
}"""


def assert_no_horizontal_overflow(page, where: str = "") -> None:
    """The page itself never scrolls sideways; wide tables scroll inside their .table-scroll wrapper."""
    m = page.evaluate(_OVERFLOW)
    assert m["scrollWidth"] <= m["innerWidth"] + 1, (
        f"{where or page.url} overflows horizontally at {m['innerWidth']}px: scrollWidth {m['scrollWidth']}; "
        f"widest elements: {m['offenders']}"
    )


# --- focus -------------------------------------------------------------------------------------

_FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const cs = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(), id: el.id, type: el.type || '', name: el.name || '', value: el.value || '',
    text: (el.innerText || el.value || '').trim().slice(0, 60),
    outlineStyle: cs.outlineStyle, outlineWidth: parseFloat(cs.outlineWidth) || 0, boxShadow: cs.boxShadow,
    focusVisible: el.matches(':focus-visible'),
  };
}"""


def focused(page) -> dict | None:
    return page.evaluate(_FOCUS)


def focus_indicator_visible(info: dict | None) -> bool:
    if info is None:
        return False
    outline = info["outlineStyle"] != "none" and info["outlineWidth"] > 0
    return outline or info["boxShadow"] not in ("none", "")


# --- pages of every type -----------------------------------------------------------------------

@dataclass(frozen=True)
class PageType:
    name: str                          # also the screenshot file name
    user: str | None                   # who looks at it (None: not signed in)
    path: Callable[[Site], str]
    main: bool = False                 # a main page: screenshots at both sizes
    heading: str | None = None         # text the page's h1 contains


def _person(email):
    return lambda site: site.people[email]


PAGE_TYPES = [
    PageType("login", None, lambda s: "/login", main=True, heading="Sign in"),
    PageType("my-training", SCAN_EMPLOYEE, lambda s: "/", main=True, heading="My training"),
    PageType("module", SCAN_EMPLOYEE, lambda s: "/learn/hipaa-social-media/phi/", main=True),
    PageType("module-after-failure", SCAN_EMPLOYEE, lambda s: "/learn/hipaa-social-media/consent/"),
    PageType("lesson", SCAN_EMPLOYEE, lambda s: s.lesson_path("phi", 2), main=True),
    PageType("quiz-attempt", SCAN_EMPLOYEE, lambda s: f"/attempts/{s.attempts['open']}", main=True, heading="Quiz"),
    PageType("quiz-result", SCAN_EMPLOYEE, lambda s: f"/attempts/{s.attempts['failed']}", main=True,
             heading="Not passed yet"),
    PageType("my-rights", SHOWCASE, lambda s: "/rights", main=True, heading="My posting rights"),
    PageType("certificate", SHOWCASE, lambda s: f"/certificates/{s.certificates[SHOWCASE + ':core']}", main=True,
             heading="HIPAA-Safe Social Media"),
    PageType("verify", None, lambda s: _verify_path(s), main=True, heading="Valid certificate"),
    PageType("team-dashboard", MANAGER, lambda s: "/team", main=True, heading="My team"),
    PageType("team-rights", MANAGER, lambda s: "/team/rights", heading="Team posting rights"),
    PageType("person-rights", MANAGER, lambda s: f"/people/{_person(SHOWCASE)(s)}/rights", main=True,
             heading="Posting rights: Emma Jones"),
    PageType("person", MANAGER, lambda s: f"/people/{_person(SHOWCASE)(s)}", main=True, heading="Emma Jones"),
    PageType("organization", ADMIN, lambda s: "/organization", main=True, heading="Organization"),
    PageType("organization-filtered", ADMIN,
             lambda s: "/organization?status=certified&department=Nursing&sort=hire_date", heading="Organization"),
    PageType("people", ADMIN, lambda s: "/people", main=True, heading="People"),
    PageType("person-edit", ADMIN, lambda s: f"/people/{_person(SHOWCASE)(s)}/edit", main=True, heading="Emma Jones"),
    PageType("person-new", ADMIN, lambda s: "/people/new", heading="Add a person"),
    PageType("import", ADMIN, lambda s: "/people/import", main=True, heading="Import staff"),
    PageType("requirement-rules", ADMIN, lambda s: "/requirements", main=True, heading="Who must earn what"),
    PageType("api-tokens", ADMIN, lambda s: "/api-tokens", heading="API tokens"),
    PageType("webhooks", ADMIN, lambda s: "/admin/webhooks", heading="Webhooks"),
    PageType("check-post", SCAN_EMPLOYEE, lambda s: "/check-post", main=True, heading="Check a post"),
    PageType("post-check-counts", ADMIN, lambda s: "/reports/post-checks", heading="Post checks"),
    PageType("change-password", SCAN_EMPLOYEE, lambda s: "/account/password", heading="Change your password"),
    PageType("account-time-zone", SCAN_EMPLOYEE, lambda s: "/account/time-zone", heading="Your time zone"),
    PageType("policy", SCAN_EMPLOYEE, lambda s: "/policy", main=True, heading="Social media policy"),
    PageType("forgot-password", None, lambda s: "/forgot-password", heading="Forgot your password?"),
    PageType("item-analysis", ADMIN, lambda s: "/reports/questions", heading="How the questions perform"),
    PageType("new-hires", ADMIN, lambda s: "/reports/new-hires?from=2026-01-01&to=2026-12-31", main=True,
             heading="New hires"),
    PageType("admin-certificate", ADMIN, lambda s: f"/certificates/{s.certificates[SHOWCASE + ':instagram']}",
             heading="Instagram posting"),
    PageType("not-found", SCAN_EMPLOYEE, lambda s: "/no-such-page", heading="404"),
]


def _verify_path(site: Site) -> str:
    from app.certificates.models import Certificate

    with site.db() as session:
        return f"/verify/{session.get(Certificate, site.certificates[SHOWCASE + ':core']).code}"
