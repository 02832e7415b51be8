"""What pyproject.toml cannot say: the packages are app and every package found under it, plus the
repository's migrations/ and courses/ folders, shipped inside it as app.migrations and
app.bundled_courses (pyproject.toml maps those names to the folders and lists their files)."""
from setuptools import find_namespace_packages, setup

SHIPPED_FOLDERS = ["app.migrations", "app.migrations.versions", "app.bundled_courses"]

setup(packages=find_namespace_packages(include=["app", "app.*"]) + SHIPPED_FOLDERS)
