"""tests/tools.py: a missing tool skips a test on a developer's machine and fails it under CI=true."""
import pytest

from tests.tools import missing, need_module, need_service, need_tool

NO_SUCH_TOOL = "postready-no-such-tool-3f9a"


@pytest.mark.parametrize("ci", [None, "false", "1"])
def test_a_missing_tool_skips_with_its_package_outside_ci(monkeypatch, ci):
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match=f"{NO_SUCH_TOOL} is not installed \\(Debian package some-pkg\\)"):
        need_tool(NO_SUCH_TOOL, "some-pkg")


def test_under_ci_a_missing_tool_fails_the_test(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=f"{NO_SUCH_TOOL} is not installed.*CI=true"):
        need_tool(NO_SUCH_TOOL, "some-pkg")
    with pytest.raises(pytest.fail.Exception, match="postready_no_such_module"):
        need_module("postready_no_such_module")
    with pytest.raises(pytest.fail.Exception, match="Nothing is not answering on 127.0.0.1:9"):
        need_service("Nothing", "127.0.0.1", 9, "none")
    with pytest.raises(pytest.fail.Exception):
        missing("any reason")


def test_a_present_tool_module_or_service_is_returned(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert need_tool("sh", "dash").endswith("/sh")
    assert need_module("json").dumps([]) == "[]"
