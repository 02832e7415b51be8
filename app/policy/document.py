"""The policy document file: Markdown with a short YAML header, validated like the course files.

    ---
    title: Social media policy
    version: "2026.1"
    grace_days: 30
    ---
    # Social media policy
    ...
"""
import hashlib
from dataclasses import dataclass
from pathlib import Path

from app.courses.file_reader import FileReader, Problem
from app.courses.markdown import unsafe_markup

POLICY_FILE = "social-media-policy.md"


@dataclass(frozen=True)
class PolicyDocument:
    title: str
    version: str
    grace_days: int
    markdown: str
    sha256: str  # of the file's bytes: what a person attests to, exactly


def read_policy_document(root: str | Path) -> tuple[PolicyDocument | None, list[Problem]]:
    """The organisation's policy in `root`, or None when it ships none (no attestation is then asked)."""
    file = Path(root) / POLICY_FILE
    problems: list[Problem] = []
    if not file.is_file():
        return None, problems
    reader = FileReader(POLICY_FILE, problems)
    raw = file.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        reader.problem(None, f"not valid UTF-8 ({exc.reason} at byte {exc.start})")
        return None, problems
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---" or "---" not in [line.strip() for line in lines[1:]]:
        reader.problem(1, "the policy starts with a header between two '---' lines (title, version, grace_days)")
        return None, problems
    end = 1 + [line.strip() for line in lines[1:]].index("---")
    header = reader.yaml_text("\n" + "\n".join(lines[1:end]))  # line 1 is the opening '---'

    data = reader.mapping(header, "the header", 2)
    body = "\n".join(lines[end + 1:]).strip()
    if data is None:
        return None, problems
    reader.unknown_keys(data, {"title", "version", "grace_days"})
    title = reader.text(data, "title", max_len=200)
    version = reader.text(data, "version", max_len=40)
    grace_days = reader.integer(data, "grace_days", 0, 365, default=30)
    if not body:
        reader.problem(end + 2, "the policy has a header but no text")
    for line, message in unsafe_markup(body):
        reader.problem(end + 1 + line if line else None, message)
    if problems:
        return None, problems
    return PolicyDocument(title, version, grace_days, body + "\n", hashlib.sha256(raw).hexdigest()), problems

