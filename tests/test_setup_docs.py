"""The README's two set-up commands: CI runs the test command exactly as the README gives it."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    """The one-line bash blocks under "## Set up", in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Set up\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+)\n```", section)


def test_the_readme_has_two_set_up_commands_one_for_the_demo_and_one_for_the_tests():
    demo, tests = readme_commands()
    assert ".venv/bin/pip install . " in demo and demo.endswith(".venv/bin/postready demo")
    assert '.venv/bin/pip install -e ".[test]"' in tests and tests.endswith(".venv/bin/pytest")
    for command in (demo, tests):
        assert command.startswith("$(command -v sudo) apt-get update && $(command -v sudo) apt-get install -y ")


def test_the_tests_command_installs_what_the_demo_command_installs():
    demo, tests = readme_commands()
    packages = re.compile(r"apt-get install -y ([^&]+) &&")
    assert set(packages.search(demo).group(1).split()) <= set(packages.search(tests).group(1).split())


def test_ci_runs_the_readme_test_command_verbatim():
    _, tests = readme_commands()
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert tests in ci_lines
