"""From what was detected in a post to findings and a verdict (pure: the detections, the text and the
reviewed catalogue in; a CheckResult out).

An identifier matters when it is tied to someone's care, and that is judged where it sits: its own
sentence and the ones beside it, not the whole post. A nurse's name in a birthday line is fine; the
same name beside "discharged" is not. The word lists that decide this are data
(courses/post-checks.yaml), so compliance can review them.
"""
import re
from bisect import bisect_right
from dataclasses import dataclass

from app.postcheck.analyzer import Detection
from app.postcheck.catalogue import Catalogue

REVIEW_PLATFORMS = {"google-reviews", "yelp"}
STAFF_TITLE = re.compile(r"\b(?:Dr|Nurse|Coach|Officer|Mayor|Pastor|Father|Sister|Judge|Chef|Prof)\b\.?\s*$")
TITLE = re.compile(r"(?i:Dr|Nurse|Mr|Mrs|Ms|Mx|Miss|Coach|Officer|Mayor|Pastor|Father|Sister|Judge|Chef|Prof|"
                   r"Grandma|Grandpa|Auntie|Uncle|baby|little)\.?")
PATIENT_TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Mx|Miss)\b\.?\s*$")
GENERIC_FILE_WORDS = {"img", "dsc", "pxl", "photo", "pic", "image", "final", "edit", "edited", "logo", "banner",
                      "flyer", "event", "team", "staff", "xray", "scan", "mri", "copy", "version", "draft", "post",
                      "story", "reel", "new", "old", "web", "small", "large", "hd", "crop", "cropped", "jpg", "png"}
# A sentence ends at . ! ? or a line break, but not after a title or an initial ("Dr. Hale", "D. Kowalski").
SENTENCE_END = re.compile(r"(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bSt)(?<!\b[A-Z])(?<![ap]\.m)"
                          r"[.!?]+[\"')”]*\s+|\n+")
HASHTAG_PILE = re.compile(r"(?:#\w+\s+){3,}#\w+")  # a disclosure lost among hashtags is not clear
VERDICTS = ("ok", "review", "stop")


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int
    message: str
    lesson_path: str
    rule: str
    severity: str


@dataclass(frozen=True)
class CheckResult:
    verdict: str
    findings: tuple[Finding, ...]

    @property
    def kinds(self) -> list[str]:
        return list(dict.fromkeys(f.kind for f in self.findings))


class _Post:
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
        return m.group()[0].isupper() and bool(re.match(r"\s+[A-Z][a-z]", self.text[m.end():m.end() + 3]))


def judge(text: str, platform: str, detections: list[Detection], catalogue: Catalogue) -> CheckResult:
    lex = catalogue.lexicons
    post = _Post(text, lex)
    rooms = [d for d in detections if d.entity == "ROOM_BED" and not _is_ward(text, d)
             and not _near(lex["not_a_room"], text, d, 25, 25)]
    room_sentences = {post.sentence(d.start) for d in rooms}

    def care(i: int, spread: int = 0, rooms_count: bool = True) -> bool:
        return (post.has("patient_context", i, spread) or post.has("patient_ref", i, spread)
                or rooms_count and any(abs(j - i) <= spread for j in room_sentences))

    reply = platform in REVIEW_PLATFORMS or bool(lex["reply_opening"].search(text[:80]))
    confirm = lex["confirms_patient"].search(text) if reply else None
    consent_sentences = {post.sentence(s) for s, _ in post.hits("consent")}
    names = _patient_names(post, detections, rooms, care, bool(confirm))
    consented = _consented(post, consent_sentences, [(d.start, d.end) for d in detections if d.entity in (
        "PERSON", "TITLED_NAME")])
    names = [n for n in names if not consented(n)]
    name_sentences = {post.sentence(s) for s, _ in names}
    age_sentences = {post.sentence(d.start) for d in detections if d.entity == "AGE_OVER_89"}
    spans: list[tuple[str, int, int, str]] = [("name", s, e, "") for s, e in names]  # kind, start, end, message

    def tied(i: int) -> bool:  # a particular patient is in this sentence (or named just before it)
        return (i in name_sentences or i - 1 in name_sentences or post.has("patient_ref", i)
                or post.has("person", i) and (care(i) or bool(confirm)))

    for d in detections:
        i = post.sentence(d.start)
        if d.entity == "MRN":
            spans.append(("record_number", d.start, d.end, ""))
        elif d.entity == "ROOM_BED" and not _is_ward(text, d):
            if d in rooms and (care(i, 1, False) or post.has("person", i)):
                spans.append(("room_bed", d.start, d.end, ""))
        elif d.entity == "ROOM_BED" and not consent_sentences and (tied(i) or i in age_sentences):
            spans.append(("room_bed", d.start, d.end, ""))  # a ward ("5 North") with a patient on it
        elif d.entity == "PATIENT_URL":
            spans.append(("patient_url", d.start, d.end, ""))
        elif d.entity == "PHOTO_FILE" and _names_someone(text[d.start:d.end]):
            spans.append(("photo_filename", d.start, d.end, ""))
        elif d.entity in ("PHONE_NUMBER", "EMAIL_ADDRESS") and (i in name_sentences or (
                (care(i) or confirm) and not _near(lex["contact_is_ours"], text, d, 60))):
            spans.append(("phone" if d.entity == "PHONE_NUMBER" else "email", d.start, d.end, ""))
        elif d.entity == "STREET_ADDRESS" and care(i, 1) and not _near(lex["contact_is_ours"], text, d, 60):
            spans.append(("address", d.start, d.end, ""))
        elif consent_sentences:
            continue  # an authorised story may carry what the person agreed to share
        elif d.entity == "AGE_OVER_89" and (care(i) or i in name_sentences or not (
                post.has("staff_role", i) or post.has("staff_context", i))):
            spans.append(("age_over_89", d.start, d.end, ""))
        elif d.entity == "SPECIFIC_DATE" and tied(i):
            spans.append(("date", d.start, d.end, ""))
        elif d.entity == "LOCATION" and text[max(0, d.start - 5):d.start].lower() == "from " and (
                post.has("patient_ref", i) or i in name_sentences) and not text[d.end:d.end + 2].strip()[:1].isdigit():
            spans.append(("address", d.start, d.end, ""))  # where a patient comes from
    spans += _after_names(text, names)
    if confirm:
        spans.append(("confirms_patient", confirm.start(), confirm.end(), ""))
    if not consent_sentences:
        spans += _sensitive(post, names, bool(confirm))
        spans += _children(post, care)
        if not any(catalogue.kinds[k].severity == "stop" for k, *_ in spans):
            spans += _combination(post, detections, care)
    spans += _claims(text, catalogue, lex)
    return _result(spans, catalogue)


def _patient_names(post: _Post, detections, rooms, care, confirmed: bool) -> list[tuple[int, int]]:
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
        if STAFF_TITLE.search(before):
            staff |= _words(text[start:end])
        elif confirmed or PATIENT_TITLE.search(before) and about_care or post.has("personal_care", i) or any(
                -15 < r.start - end < 15 or -15 < start - r.end < 15 for r in rooms):
            strong.append(span)
        elif refs and not post.lex["staff_role"].search(lead[refs[-1].end():]):
            strong.append(span)  # "our patient Amber", "her roommate, Gloria Hammond"
        elif post.has("staff_role", i) or post.has("staff_context", i):
            staff |= _words(text[start:end])  # a colleague, or a sentence celebrating one
        elif care(i, 1):
            weak.append(span)
    return sorted(strong + [s for s in weak if not _words(text[s[0]:s[1]]) & staff])


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
    if not words or any(not (w[0].isupper() or lower_ok) or (w.isupper() and len(w) > 2) for w in words):
        return None
    if not all(re.fullmatch(r"[^\W\d_][\w'’.-]*", w) for w in words) or not_a_name.fullmatch(" ".join(words)):
        return None
    if len(words) == 1 and re.search(r"\b(?:a|an|the|in|at|from|near|into|via)\s+$", text[max(0, start - 6):start]):
        return None  # "a Lego", "in MyWillow": a thing or a place
    return tokens[0][0], tokens[-1][1]


def _consented(post: _Post, consent_sentences: set[int], people):
    """Who the post says agreed: the people named where it says so (all, if that sentence names no one)."""
    words = set().union(*(_words(post.text[slice(*post.bounds(i))]) for i in consent_sentences))
    anyone = consent_sentences and not any(post.sentence(s) in consent_sentences for s, _ in people) and not any(
        re.search(r"\b[A-Z][a-z]+'s\b", post.text[slice(*post.bounds(i))]) for i in consent_sentences)
    return lambda span: bool(anyone or words & _words(post.text[span[0]:span[1]]))


def _after_names(text: str, names) -> list:
    """ "Mr. Pruitt in 214": a number right after a patient's name is their room."""
    spans = []
    for _, end in names:
        if m := re.match(r"\s+in\s+(\d{1,4}[A-Z]?)\b(?!\s*(?:%|minutes|hours|days|weeks|months|years))", text[end:]):
            spans.append(("room_bed", end + m.start(1), end + m.end(1), ""))
    return spans


def _sensitive(post: _Post, names, confirmed: bool) -> list:
    """A sensitive condition beside a particular person: a patient's name, "our patient", or he or she."""
    for s, e in post.hits("sensitive"):
        i = post.sentence(s)
        named = any(abs(post.sentence(n) - i) <= 1 for n, _ in names)
        if named or post.has("patient_ref", i, 1) or post.has("person", i) or (
                confirmed and re.search(r"\byour?\b", post.text[slice(*post.bounds(i))], re.IGNORECASE)):
            return [("sensitive_condition", s, e, "")]
    return []


def _children(post: _Post, care) -> list:
    """A child patient: a child in a sentence about care (not a patient's own kids), or "our little patients"."""
    for s, e in post.hits("child_patient"):
        return [("child", s, e, "")]
    for s, e in post.hits("child"):
        if care(post.sentence(s), 1) and not re.search(r"\b(?:his|her|their|your|my)\s+$", post.text[max(0, s - 7):s],
                                                       re.IGNORECASE):
            return [("child", s, e, "")]
    return []


def _combination(post: _Post, detections, care) -> list:
    """No identifier, but a recent time with a role, a place or a rare event, in a story about care."""
    places = [d.start for d in detections if d.entity == "LOCATION"]
    for s, e in post.hits("recent_time"):
        i = post.sentence(s)
        lo, hi = post.bounds(i, 1)
        person = post.has("person", i, 1) or post.has("patient_ref", i, 1)
        if care(i, 1) and (post.has("identifying_role", i, 1) or person and any(lo <= p < hi for p in places)):
            return [("identifying_combination", s, e, "")]
    return []


def _claims(text: str, catalogue: Catalogue, lex) -> list:
    clear = HASHTAG_PILE.sub(" ", text)
    spans = []
    for rule in catalogue.rules:
        if any(u.search(clear) for u in rule.unless):
            continue
        for p in rule.patterns:
            match = next((m for m in p.finditer(text) if not (rule.kind == "unsupported_claim" and _near(
                lex["not_a_claim"], text, Detection("", m.start(), m.end(), 0), 25, 25))), None)
            if match:
                spans.append((rule.kind, match.start(), match.end(), rule.message))
                break
    return spans


def _is_ward(text: str, d: Detection) -> bool:
    return not re.match(r"(?i)(?:room|rm|bed|bay|ward|bassinet|crib|pod|stall)", text[d.start:d.end])


def _near(pattern: re.Pattern, text: str, d: Detection, before: int, after: int = 10) -> bool:
    return bool(pattern.search(text[max(0, d.start - before):d.end + after]))


def _names_someone(file_name: str) -> bool:
    words = [w for w in re.split(r"[_\-.\d]+", file_name.lower()) if w]
    return sum(1 for w in words[:-1] if w not in GENERIC_FILE_WORDS and len(w) > 2) >= 1


def _result(spans, catalogue: Catalogue) -> CheckResult:
    findings: list[Finding] = []
    for kind, start, end, message in sorted(spans, key=lambda s: (s[1], s[0])):
        if any(f.kind == kind and f.start < end and start < f.end for f in findings):
            continue
        info = catalogue.kinds[kind]
        findings.append(Finding(kind, start, end, message or info.message, catalogue.lesson_path(kind), info.rule,
                                info.severity))
    # A child's care is identifying once anything else about them is there.
    if any(f.severity == "stop" and f.kind != "child" for f in findings):
        findings = [Finding(**{**f.__dict__, "severity": "stop"}) if f.kind == "child" else f for f in findings]
    verdict = "stop" if any(f.severity == "stop" for f in findings) else "review" if findings else "ok"
    return CheckResult(verdict, tuple(findings))
