"""The signed cookie session, less three costs on the hot paths (docs/benchmarks.md §16).

* Flask builds the cookie's signing serializer anew on each request (probing it with a JSON
  round trip): here it is built once per secret key.
* An empty, unchanged session (every request without a cookie: the API, a signed link)
  is not saved: Flask would still look up six cookie settings before finding that out.
* A request that a signed link authorizes by itself (a holder's certificate download,
  app.certificates.links) never reads the cookie: nothing in it uses the session, and
  checking the cookie's signature cost a sixth of such a request.
"""
import re

from flask.sessions import SecureCookieSessionInterface


class SessionInterface(SecureCookieSessionInterface):
    def __init__(self, cookieless_paths: tuple[re.Pattern, ...] = ()):
        self.cookieless_paths = cookieless_paths
        self._serializers: dict = {}

    def get_signing_serializer(self, app):
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        serializer = self._serializers.get(key)
        if serializer is None:
            serializer = super().get_signing_serializer(app)  # None without a secret key: not kept
            if serializer is not None:
                self._serializers[key] = serializer
        return serializer

    def open_session(self, app, request):
        if any(pattern.fullmatch(request.path) for pattern in self.cookieless_paths):
            return self.session_class()  # empty and unmodified: saving it writes no cookie
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if not session and not session.modified:  # what Flask does then, without its settings lookups
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)
