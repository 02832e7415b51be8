"""What `pip install .` ships beside the code: Alembic's migrations and the bundled courses.

Building a wheel and installing it would take too long for a test; these check that the files
are declared (pyproject.toml, setup.py) and found (app/paths.py). The real `pip install .`
into a fresh virtualenv, then `postready demo --no-serve` from another folder, is checked by hand.
"""
import importlib.util
import shutil
import tomllib
from pathlib import Path

from app import config, paths

ROOT = Path(__file__).resolve().parent.parent
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def test_the_migrations_and_the_bundled_courses_are_found():
    migrations = Path(paths.MIGRATIONS_DIR)
    assert (migrations / "env.py").is_file() and (migrations / "script.py.mako").is_file()
    assert len(list((migrations / "versions").glob("*.py"))) >= 8
    courses = Path(paths.BUNDLED_COURSES_DIR)
    assert (courses / "rights.yaml").is_file()
    assert (courses / "hipaa-social-media" / "course.yaml").is_file()


def test_every_file_of_the_shipped_folders_is_declared():
    """Each file is a module of a package setup.py lists, or matches one of pyproject's package-data globs."""
    setup_py = (ROOT / "setup.py").read_text(encoding="utf-8")
    package_dir = SETUPTOOLS["package-dir"]
    assert package_dir == {"app.migrations": "migrations", "app.bundled_courses": "courses"}
    for package, folder in package_dir.items():
        root = ROOT / folder
        declared = {p for pattern in SETUPTOOLS["package-data"][package] for p in root.glob(pattern)}
        files = [p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        assert files
        for path in files:
            module_of = ".".join((package, *path.relative_to(root).parent.parts))
            is_module = path.suffix == ".py" and f'"{module_of}"' in setup_py
            assert is_module or path in declared, f"{path} would not be installed"


def _paths_module_in(app_dir: Path, installed: bool):
    """app/paths.py run from `app_dir`, with (installed) or without (checkout) the shipped folders beside it."""
    app_dir.mkdir(parents=True)
    if installed:
        (app_dir / "migrations").mkdir()
        (app_dir / "bundled_courses").mkdir()
    shutil.copy(paths.__file__, app_dir / "paths.py")
    spec = importlib.util.spec_from_file_location(f"paths_{installed}", app_dir / "paths.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_installed_package_uses_its_own_copies_and_a_checkout_the_top_level_folders(tmp_path):
    installed = _paths_module_in(tmp_path / "site-packages" / "app", installed=True)
    assert installed.MIGRATIONS_DIR == str(tmp_path / "site-packages" / "app" / "migrations")
    assert installed.BUNDLED_COURSES_DIR == str(tmp_path / "site-packages" / "app" / "bundled_courses")
    checkout = _paths_module_in(tmp_path / "checkout" / "app", installed=False)
    assert checkout.MIGRATIONS_DIR == str(tmp_path / "checkout" / "migrations")
    assert checkout.BUNDLED_COURSES_DIR == str(tmp_path / "checkout" / "courses")


def test_courses_dir_defaults_to_the_bundled_courses_and_the_environment_overrides_it(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSES_DIR", raising=False)
    assert config.from_environment(str(tmp_path))["COURSES_DIR"] == paths.BUNDLED_COURSES_DIR
    monkeypatch.setenv("COURSES_DIR", str(tmp_path / "our-courses"))
    assert config.from_environment(str(tmp_path))["COURSES_DIR"] == str(tmp_path / "our-courses")
