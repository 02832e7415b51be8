"""Who a post is about: the text cut into sentences, and which detected names are of people the post
ties to care (not staff, not things the name model takes for names, not people who agreed to be shared)."""
import re
from bisect import bisect_right

from app.postcheck.analyzer import Detection

STAFF_TITLE = re.compile(r"\b(?:Dr|Nurse|Coach|Officer|Mayor|Pastor|Father|Sister|Judge|Chef|Prof)\b\.?\s*$")
TITLE = re.compile(r"(?i:Dr|Nurse|Mr|Mrs|Ms|Mx|Miss|Coach|Officer|Mayor|Pastor|Father|Sister|Judge|Chef|Prof|"
                   r"Grandma|Grandpa|Auntie|Uncle|baby|little)\.?")
PATIENT_TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Mx|Miss)\b\.?\s*$")
# A sentence ends at . ! ? or a line break, but not after a title or an initial ("Dr. Hale", "D. Kowalski").
SENTENCE_END = re.compile(r"(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bSt)(?<!\b[A-Z])(?<![ap]\.m)"
                          r"[.!?]+[\"')”]*\s+|\n+")
# A care word before one of these names a service ("a cancer institute"), not care someone had.
SERVICE = re.compile(r"\s+(?:center|centre|institute|program|department|services?|gym|clinic)\b", re.I)


class Post:
    """The text cut into sentences, with where each word list matches."""

    def __init__(self, text: str, lexicons: dict):
        self.text, self.lex, self._hits = text, lexicons, {}
        self.starts = [0] + [m.end() for m in SENTENCE_END.finditer(text)]

    def sentence(self, pos: int) -> int:
        return bisect_right(self.starts, pos) - 1

    def bounds(self, i: int, spread: int = 0) -> tuple[int, int]:
        last = min(len(self.starts) - 1, i + spread)
        return self.starts[max(0, i - spread)], self.starts[last + 1] if last + 1 < len(self.starts) else len(self.text)

    def hits(self, lexicon: str) -> list[tuple[int, int]]:
        if lexicon not in self._hits:
            self._hits[lexicon] = [m.span() for m in self.lex[lexicon].finditer(self.text)
                                   if not (lexicon == "patient_context" and self._in_proper_name(m))]
        return self._hits[lexicon]

    def has(self, lexicon: str, i: int, spread: int = 0) -> bool:
        lo, hi = self.bounds(i, spread)
        return any(lo <= s < hi for s, _ in self.hits(lexicon))

    def _in_proper_name(self, m: re.Match) -> bool:
        # "Cancer Center", "Recovery Month": a care word inside a name of a place or a campaign.
        after = self.text[m.end():m.end() + 14]
        return m.group()[0].isupper() and bool(re.match(r"\s+[A-Z][a-z]", after)) or bool(SERVICE.match(after))


def patient_names(post: Post, detections, rooms, care, confirmed: bool) -> list[tuple[int, int]]:
    """Names of people the post ties to care: not staff by title, role or a sentence about colleagues.
    Someone shown to be staff anywhere in the post is staff wherever else only the context hints care."""
    text, strong, weak, staff = post.text, [], [], set()
    about_care = bool(post.hits("patient_context") or post.hits("patient_ref")) or any(
        d.entity in ("ROOM_BED", "AGE_OVER_89") for d in detections)
    for d in detections:
        span = _clean_name(text, d, post.lex["not_a_name"]) if d.entity in ("PERSON", "TITLED_NAME") else None
        if span is None or any(s < span[1] and span[0] < e for s, e in strong + weak):
            continue
        start, end = span
        before, i = text[max(0, start - 50):start], post.sentence(start)
        lead = before[max(before.rfind("."), before.rfind("!"), before.rfind("\n")) + 1:]
        refs = list(post.lex["patient_ref"].finditer(lead))
        if STAFF_TITLE.search(before) or _names_a_thing(text, text[start:end]):
            staff |= _words(text[start:end])
        elif confirmed or PATIENT_TITLE.search(before) and about_care or _own_care(post, i, span, rooms):
            strong.append(span)
        elif refs and not post.lex["staff_role"].search(lead[refs[-1].end():]):
            strong.append(span)  # "our patient Amber", "her roommate, Gloria Hammond"
        elif _in_their_room(post, i, rooms) and not post.lex["staff_role"].search(lead):
            strong.append(span)  # people "in room 318" are its patients, even at a celebration
        elif post.has("staff_role", i) or post.has("staff_context", i):
            staff |= _words(text[start:end])  # a colleague, or a sentence celebrating one
        elif care(i, 1):
            weak.append(span)
    return sorted(strong + [s for s in weak if not _words(text[s[0]:s[1]]) & staff])


def _own_care(post: Post, i: int, span, rooms) -> bool:
    """Care that is this person's own: their birth, surgery or recovery, a sensitive condition in the same
    sentence (celebrating a colleague's sobriety still discloses it), or a room right beside the name."""
    return post.has("personal_care", i) or post.has("sensitive", i) or any(
        -15 < r.start - span[1] < 15 or -15 < span[0] - r.end < 15 for r in rooms)


def _in_their_room(post: Post, i: int, rooms) -> bool:
    """A patient's room in a sentence about care ("in room 318 of our oncology unit")."""
    return post.has("patient_context", i) and any(post.sentence(r.start) == i for r in rooms)


def _names_a_thing(text: str, name: str) -> bool:
    """A name that is part of a place's or a disease's name elsewhere in the post: "Quarry Hill" where the
    post says "Quarry Hill Hospital", "Ellis-van Creveld" in "Ellis-van Creveld syndrome"."""
    return bool(re.search(re.escape(name) + r"(?:['’]s)?\s+(?:Hospital|Medical|Health|Clinic|Center|Centre|Campus|"
                          r"Foundation|Institute|University|College|School|County|Valley|Regional|Memorial|General|Dental|"
                          r"Aesthetics|Pharmacy|Pediatrics|Orthopedics|Wellness|Gym|Library|syndrome|disease|"
                          r"(?i:count(?:y|ies)))\b", text))  # "Harlan, Pike and Merritt counties"


def _words(name: str) -> set[str]:
    return set(re.findall(r"[A-Z][a-z]+", name))


def _clean_name(text: str, d: Detection, not_a_name: re.Pattern) -> tuple[int, int] | None:
    """The detected span trimmed to what looks like a name, or None: emoji, hashtags and words the
    model takes for names ("Meet", "Twenty-two") are not names."""
    start, end = d.start, d.end
    while start < end and not text[start].isalpha():
        start += 1
    while end > start and not text[end - 1].isalpha():
        end -= 1
    if start >= end or text[start - 1:start] in ("#", "@") or "#" in text[start:end]:
        return None
    tokens = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    while tokens and (not_a_name.fullmatch(text[tokens[0][0]:tokens[0][1]])
                      or TITLE.fullmatch(text[tokens[0][0]:tokens[0][1]]) and len(tokens) > 1):
        tokens.pop(0)
    while len(tokens) > 1 and not text[tokens[-1][0]].isupper():
        tokens.pop()  # "Mr. Pruitt in"
    words = [text[s:e] for s, e in tokens]
    lower_ok = d.entity == "TITLED_NAME" and len(words) == 1  # "to jorge in bed 7"
    initials = [w for w in words if re.fullmatch(r"(?:[A-Z]\.)+[A-Z]", w)]  # "J.R."
    if not words or any(not (w[0].isupper() or lower_ok) or (w.isupper() and len(w) > 2 and w not in initials)
                        for w in words):
        return None
    if not all(re.fullmatch(r"[^\W\d_][\w'’.-]*", w) for w in words) or not_a_name.fullmatch(" ".join(words)):
        return None
    if len(words) == 1 and re.search(r"\b(?:a|an|the|in|at|from|near|into|via)\s+$", text[max(0, start - 6):start]):
        return None  # "a Lego", "in MyWillow": a thing or a place
    return tokens[0][0], tokens[-1][1]


def consented(post: Post, consent_sentences: set[int], people):
    """Who the post says agreed: the people named where it says so (all, if that sentence names no one)."""
    words = set().union(*(_words(post.text[slice(*post.bounds(i))]) for i in consent_sentences))
    anyone = consent_sentences and not any(post.sentence(s) in consent_sentences for s, _ in people) and not any(
        re.search(r"\b[A-Z][a-z]+'s\b", post.text[slice(*post.bounds(i))]) for i in consent_sentences)
    return lambda span: bool(anyone or words & _words(post.text[span[0]:span[1]]))
