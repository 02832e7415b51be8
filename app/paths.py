"""Where the files PostReady ships beside its code are: the Alembic migrations and the bundled courses.

In the repository they are the top-level folders `migrations/` and `courses/`. An installed
package (`pip install .`) carries them as `app/migrations/` and `app/bundled_courses/`
(pyproject.toml maps those package names to the two folders). The installed copy is used
when it exists; otherwise, in a checkout or an editable install, the folders themselves.
"""
import os

_APP = os.path.dirname(os.path.abspath(__file__))
_CHECKOUT = os.path.dirname(_APP)


def _shipped(installed_name: str, checkout_name: str) -> str:
    installed = os.path.join(_APP, installed_name)
    return installed if os.path.isdir(installed) else os.path.join(_CHECKOUT, checkout_name)


MIGRATIONS_DIR = _shipped("migrations", "migrations")
BUNDLED_COURSES_DIR = _shipped("bundled_courses", "courses")
