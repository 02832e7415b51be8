"""The posting-rights policy (courses/rights.yaml): which certifications each right needs."""
from dataclasses import dataclass
from pathlib import Path

from app.courses.file_reader import SLUG, FileReader, Problem

POLICY_FILE = "rights.yaml"


@dataclass(frozen=True)
class RightRule:
    slug: str
    title: str
    requires: tuple[str, ...]
    platform: str | None = None


@dataclass(frozen=True)
class RightsPolicy:
    rights: tuple[RightRule, ...]

    def for_platform(self, platform: str) -> RightRule | None:
        return next((r for r in self.rights if r.platform == platform), None)

    @property
    def platforms(self) -> list[str]:
        return [r.platform for r in self.rights if r.platform]


def read_policy(root: str | Path, certification_slugs: set[str]) -> tuple[RightsPolicy, list[Problem]]:
    """Parse and validate rights.yaml against the certifications the courses define."""
    path = Path(root) / POLICY_FILE
    problems: list[Problem] = []
    reader = FileReader(POLICY_FILE, problems)
    if not path.is_file():
        reader.problem(None, "the posting-rights policy file is missing")
        return RightsPolicy(()), problems
    data = reader.mapping(reader.yaml_file(path), POLICY_FILE, 1)
    if data is None:
        return RightsPolicy(()), problems
    reader.unknown_keys(data, {"rights"})
    items = data.get("rights")
    if not isinstance(items, list) or not items:
        reader.problem(data.line_of("rights"), "'rights' must list at least one right")
        return RightsPolicy(()), problems
    rights: list[RightRule] = []
    for item in items:
        right = reader.mapping(item, "each right", data.line_of("rights"))
        if right is None:
            continue
        reader.unknown_keys(right, {"slug", "title", "platform", "requires"})
        slug = right.get("slug")
        if not isinstance(slug, str) or not SLUG.match(slug):
            reader.problem(right.line_of("slug"), f"right 'slug' must be a slug, not {slug!r}")
            continue
        if any(r.slug == slug for r in rights):
            reader.problem(right.line_of("slug"), f"right {slug!r} is defined twice")
        platform = right.get("platform")
        if platform is not None and (not isinstance(platform, str) or not SLUG.match(platform)):
            reader.problem(right.line_of("platform"), f"'platform' must be a slug, not {platform!r}")
            platform = None
        if platform and any(r.platform == platform for r in rights):
            reader.problem(right.line_of("platform"), f"platform {platform!r} has two rights")
        requires = reader.slug_list(right, "requires")
        for cert in requires:
            if cert not in certification_slugs:
                reader.problem(right.line_of("requires"), f"right {slug!r} requires unknown certification {cert!r}")
        rights.append(RightRule(slug, reader.text(right, "title", max_len=200), requires, platform))
    return RightsPolicy(tuple(rights)), problems


def load_policy(app) -> RightsPolicy:
    """The policy for this app, read once (content files change only with a deploy)."""
    policy = app.extensions.get("postready.rights_policy")
    if policy is None:
        from app.courses.content import read_courses

        root = app.config["COURSES_DIR"]
        courses, _ = read_courses(root)
        slugs = {c.slug for course in courses for c in course.certifications}
        policy, problems = read_policy(root, slugs)
        if problems:
            raise RuntimeError("invalid posting-rights policy:\n" + "\n".join(map(str, problems)))
        app.extensions["postready.rights_policy"] = policy
    return policy


