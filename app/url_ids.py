"""Ids in URLs: what the database can hold, or the route does not match (404).

Flask's `int` converter accepts any number of digits, and an id beyond the column's range made
the database raise (a 500). Every `<int:...>` route uses this converter instead; 2^31 - 1 is the
largest PostgreSQL integer, and SQLite's range is wider.
"""
from werkzeug.routing import IntegerConverter

LARGEST_ID = 2**31 - 1
LARGEST_PAGE = 100_000


class DatabaseId(IntegerConverter):
    def __init__(self, url_map, fixed_digits=0, min=None, max=LARGEST_ID, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits, min, max, signed)


def page_number(args) -> int:
    """`?page=`: a positive whole number, at most LARGEST_PAGE; anything else is the first page."""
    page = args.get("page", 1, type=int) or 1
    return min(max(page, 1), LARGEST_PAGE)
