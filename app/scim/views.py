"""The SCIM blueprint with all its routes (importing the route modules attaches them)."""
from app.scim import discovery_views, user_views  # noqa: F401  (routes)
from app.scim.blueprint import bp

__all__ = ["bp"]
