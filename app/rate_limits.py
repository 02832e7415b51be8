"""Flask-Limiter, hooked only into the requests its limits apply to.

Every limit in PostReady is a view's own (@limiter.limit on signing in and on certificate
verification), checked by its decorator. Flask-Limiter also hooks every request three times:
before it (for app-wide default limits, which PostReady does not set), after it (rate-limit
headers and deductions that depend on the response, such as counting only failed sign-ins) and at
its teardown (its per-request state). On the other views all three find nothing to do, yet cost a
twentieth of a signed-in request (the first) and 4 % of a certificate download's instructions (the
other two; docs/benchmarks.md §16, §19). Here the first is removed and the other two run only for
the limited views.
"""
from functools import partial

from flask import Flask, request
from flask_limiter import Limiter

# How Flask-Limiter marks the views its decorator wraps (flask_limiter/_limits.py, RouteLimit).
LIMITED_VIEW_MARK = "__wrapper-limiter-instance"


class LimiterChanged(RuntimeError):
    """Flask-Limiter no longer hooks in as this module expects: fail at start, not throttle nothing."""


def hook_limited_views_only(app: Flask, limiter: Limiter) -> frozenset[str]:
    """Call after every blueprint is registered; returns the limited endpoints."""
    before = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit not in before:
        return frozenset()  # RATELIMIT_ENABLED is off: the limiter registered no hooks
    before.remove(limiter._check_request_limit)
    limited = frozenset(endpoint for endpoint, view in app.view_functions.items()
                        if getattr(view, LIMITED_VIEW_MARK, None) == limiter)  # the mark is a weak proxy
    after = app.after_request_funcs[None]
    teardown = app.teardown_request_funcs[None]
    after_hooks = [i for i, f in enumerate(after) if isinstance(f, partial) and f.args == (limiter,)]
    teardown_hooks = [i for i, f in enumerate(teardown) if getattr(f, "__self__", None) is limiter]
    if not limited or len(after_hooks) != 1 or len(teardown_hooks) != 1:
        raise LimiterChanged(f"found {len(limited)} limited views, {len(after_hooks)} after-request and "
                             f"{len(teardown_hooks)} teardown hooks of the limiter; expected some, 1 and 1")
    inject_headers, release_context = after[after_hooks[0]], teardown[teardown_hooks[0]]

    def limiter_after_request(response):
        return inject_headers(response) if request.endpoint in limited else response

    def limiter_teardown(exc):
        if request.endpoint in limited:
            release_context(exc)

    after[after_hooks[0]] = limiter_after_request  # same place: after-request hooks run in reverse order
    teardown[teardown_hooks[0]] = limiter_teardown
    return limited
