"""The platforms cell of a staff file: the names HR writes, turned into platform certification slugs.

Pure: the caller reads the certifications in force and hands them over as `PlatformNames`.
A platform may be written as its certification's slug ("instagram"), its title ("Instagram posting")
or its title without " posting" ("Instagram"), in any case; names are separated by ";" or ",".
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from app.staff.csv_cells import CellError, clean, show
from app.staff.csv_rows import Platforms

_SEPARATORS = re.compile(r"[;,]")
_POSTING = " posting"


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _short(title: str) -> str:
    """The title without a trailing " posting": what people call the platform."""
    return title[: -len(_POSTING)] if title.casefold().endswith(_POSTING) else title


def _names_of(slug: str, title: str) -> set[str]:
    return {_key(slug), _key(title), _key(_short(title))}


@dataclass(frozen=True)
class PlatformNames:
    """The certifications in force, slug -> title: the platform ones, and the ones required of everyone."""

    platforms: Mapping[str, str] = field(default_factory=dict)
    everyone: Mapping[str, str] = field(default_factory=dict)

    def accepted(self) -> str:
        """The platforms a cell may name, for a message: "Facebook, Instagram or LinkedIn"."""
        names = [_short(title) if _key(_short(title)) == _key(slug) else f"{_short(title)} ({slug})"
                 for slug, title in self.platforms.items()]
        if len(names) < 2:
            return "".join(names)
        return ", ".join(names[:-1]) + " or " + names[-1]

    def slug_of(self, name: str, among: Mapping[str, str]) -> str | None:
        return next((slug for slug, title in among.items() if _key(name) in _names_of(slug, title)), None)


def read_platforms(raw: str, names: PlatformNames) -> Platforms:
    """The slugs a filled-in platforms cell names (blank and (clear) are the caller's to handle)."""
    slugs: set[str] = set()
    unknown: list[str] = []
    for_everyone: list[str] = []
    for name in (" ".join(part.split()) for part in _SEPARATORS.split(clean(raw))):
        if not name:
            continue  # "Instagram;" or "Instagram,,Facebook": a stray separator
        if slug := names.slug_of(name, names.platforms):
            slugs.add(slug)
        elif names.slug_of(name, names.everyone):
            if name not in for_everyone:
                for_everyone.append(name)
        elif name not in unknown:
            unknown.append(name)
    problems = []
    if for_everyone:
        listed = " and ".join(show(n) for n in for_everyone)
        if len(for_everyone) == 1:
            problems.append(f"{listed} is required of everyone, so it is not a platform; remove it from platforms")
        else:
            problems.append(f"{listed} are required of everyone, so they are not platforms; "
                            "remove them from platforms")
    if unknown:
        known = names.accepted()
        problems.append(f"{' and '.join(show(n) for n in unknown)} "
                        f"{'is not a platform' if len(unknown) == 1 else 'are not platforms'} PostReady knows; "
                        + (f"use {known}, separated by ; or ," if known else
                           "PostReady has no platform certifications yet, so leave platforms blank"))
    if problems:
        raise CellError("; ".join(problems))
    return Platforms(slugs)
