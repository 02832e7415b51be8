import pytest, json
from tests.e2e.conftest import PHONE
from tests.e2e.helpers import PAGE_TYPES, run_axe
pytestmark = pytest.mark.e2e

def test_dump(site, signed_in):
    out = {}
    for vp in (None, PHONE):
        for pt in PAGE_TYPES:
            page = signed_in(pt.user) if vp is None else signed_in(pt.user, vp)
            page.goto(pt.path(site))
            v = run_axe(page)
            out[pt.name + ("-phone" if vp else "")] = [(x["id"], x["impact"], [n["target"] for n in x["nodes"]][:4]) for x in v]
    for k, v in out.items():
        print(k, json.dumps(v))
    print("version", page.evaluate("axe.version"))
