"""A Markdown map of a course: modules, lessons, questions and the rules they cite.

`postready courses map > docs/curriculum.md` regenerates it; a test keeps the
committed file in step with the course files.
"""
import re

from app.courses.specs import CourseSpec


def _sources(citations: list[str]) -> list[str]:
    parts = []
    for citation in citations:
        for piece in re.split(r";\s*", citation):
            piece = piece.strip().rstrip(".")
            if piece and piece not in parts:
                parts.append(piece)
    return sorted(parts, key=str.casefold)


def render_map(course: CourseSpec) -> str:
    total_questions = sum(len(m.questions) for m in course.modules)
    lines = [
        f"# Curriculum map: {course.title} (version {course.version})",
        "",
        "Generated from `courses/` by `postready courses map`; do not edit by hand.",
        "",
        f"{len(course.modules)} modules, {sum(len(m.lessons) for m in course.modules)} lessons, "
        f"{total_questions} scenario questions. Pass mark {course.pass_mark}%. "
        f"Certificates are valid for {course.validity_days} days.",
        "",
        "## Certifications",
        "",
        "| certification | modules | also requires |",
        "| --- | --- | --- |",
    ]
    titles = {m.slug: m.title for m in course.modules}
    for cert in course.certifications:
        lines.append(f"| {cert.title} | {', '.join(titles[s] for s in cert.modules)} | "
                     f"{', '.join(cert.requires) or '—'} |")
    lines += ["", "## Modules at a glance", "", "| module | kind | lessons | question pool | drawn per attempt |",
              "| --- | --- | --- | --- | --- |"]
    for m in course.modules:
        lines.append(f"| [{m.title}](#{m.slug}) | {m.kind} | {len(m.lessons)} | {len(m.questions)} | {m.draw} |")
    for m in course.modules:
        lines += ["", f'<a id="{m.slug}"></a>', "", f"## {m.title}", "", m.summary, "", "**Lessons**", ""]
        lines += [f"{i}. {lesson.title}" for i, lesson in enumerate(m.lessons, start=1)]
        lines += ["", "**Key takeaways**", ""] + [f"- {t}" for t in m.takeaways]
        lines += ["", "**Questions** (scenario, then the rule or case it tests)", ""]
        for q in m.questions:
            stem = " ".join(q.stem.split())
            lines.append(f"- `{q.key}`: {stem} *({q.citation})*")
        lines += ["", "**Sources cited**", ""] + [f"- {s}" for s in _sources([q.citation for q in m.questions])]
    return "\n".join(lines) + "\n"
