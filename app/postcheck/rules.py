"""From what was detected in a post to findings and a verdict (pure: the detections, the text and the
reviewed catalogue in; a CheckResult out).

An identifier matters when it is tied to someone's care, and that is judged where it sits: its own
sentence and the ones beside it, not the whole post. A nurse's name in a birthday line is fine; the
same name beside "discharged" is not. The word lists that decide this are data
(courses/post-checks.yaml), so compliance can review them.
"""
import re
from dataclasses import dataclass

from app.postcheck.analyzer import Detection
from app.postcheck.catalogue import Catalogue
from app.postcheck.people import Post, consented, patient_names

REVIEW_PLATFORMS = {"google-reviews", "yelp"}
GENERIC_FILE_WORDS = {"img", "dsc", "pxl", "photo", "pic", "image", "final", "edit", "edited", "logo", "banner",
                      "flyer", "event", "team", "staff", "xray", "scan", "mri", "copy", "version", "draft", "post",
                      "story", "reel", "new", "old", "web", "small", "large", "hd", "crop", "cropped", "jpg", "png"}
HASHTAG_PILE = re.compile(r"(?:#\w+\s+){3,}#\w+")  # a disclosure lost among hashtags is not clear
STORY = ("This tells one patient's story. Even with no name, the time, the place or what happened may point to "
         "them: have someone review it.")
VERDICTS = ("ok", "review", "stop")
CHILD_SERVICE = re.compile(r"(?:\s+(?:[A-Z][a-z]+|life|care|health))?\s+(?:team|program|services?|center|centre|"
                           r"department|specialists?)\b", re.IGNORECASE)
# A season or a year, or a tally of cases, narrows a story less than a day does: worth a review, not a stop.
BROAD_TIME = re.compile(r"(?i)year|month|season|summer|spring|fall|autumn|winter")
DISGUISED = ("This says names or details were changed. Have someone confirm that no real patient can still be "
             "recognised from what is left.")
CONSENT_SCOPE = ("The authorization it mentions covers other platforms, not this one. Check that it covers where "
                 "you are posting.")
PLATFORM_WORDS = {"facebook": "facebook", "instagram": "instagram", "tiktok": "tiktok", "x": r"x|twitter",
                  "linkedin": "linkedin", "youtube": "youtube"}
# A meeting room in a public venue ("Room 101 of the Community Center") is not where a patient is.
VENUE = re.compile(r"\s+(?:of|at|in) (?:the )?(?:[A-Z][\w'-]+ ){0,4}(?:Community Center|Community Centre|Library|"
                   r"Hall|Church|School|YMCA|Y)\b")


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


def judge(text: str, platform: str, detections: list[Detection], catalogue: Catalogue) -> CheckResult:
    lex = catalogue.lexicons
    post = Post(text, lex)
    rooms = [d for d in detections if d.entity == "ROOM_BED" and not _is_ward(text, d)
             and not _near(lex["not_a_room"], text, d, 25, 25) and not VENUE.match(text, d.end)]
    room_sentences = {post.sentence(d.start) for d in rooms}

    def care(i: int, spread: int = 0, rooms_count: bool = True) -> bool:
        return (post.has("patient_context", i, spread) or post.has("patient_ref", i, spread)
                or rooms_count and any(abs(j - i) <= spread for j in room_sentences))

    reply = platform in REVIEW_PLATFORMS or bool(lex["reply_opening"].search(text[:80]))
    confirm = lex["confirms_patient"].search(text) if reply else None
    consent_sentences = {post.sentence(s) for s, _ in post.hits("consent")}
    names = patient_names(post, detections, rooms, care, bool(confirm))
    agreed = consented(post, consent_sentences, [(d.start, d.end) for d in detections if d.entity in (
        "PERSON", "TITLED_NAME")])
    # Consent given for other platforms does not cover this one: the names are for a reviewer to check.
    # A span: kind, start, end, message, and optionally a severity other than the kind's own.
    elsewhere = _consent_elsewhere(post, consent_sentences, platform)
    spans: list[tuple] = [("name", s, e, CONSENT_SCOPE, "review") for s, e in names if elsewhere and agreed((s, e))]
    names = [n for n in names if not agreed(n)]
    name_sentences = {post.sentence(s) for s, _ in names}
    age_sentences = {post.sentence(d.start) for d in detections if d.entity == "AGE_OVER_89"}
    disguised = bool(post.hits("disguised"))  # a stand-in name is for a reviewer, not a stop
    spans += [("name", s, e, DISGUISED if disguised else "", "review" if disguised else "") for s, e in names]

    def tied(i: int) -> bool:  # a particular patient is in this sentence (or named just before it)
        return (i in name_sentences or i - 1 in name_sentences or post.has("patient_ref", i)
                or post.has("person", i) and (care(i) or bool(confirm)))

    for d in detections:
        i = post.sentence(d.start)
        if d.entity == "MRN":
            spans.append(("record_number", d.start, d.end, ""))
        elif d.entity == "ROOM_BED" and not _is_ward(text, d):
            if d in rooms and (care(i, 1, False) or post.has("person", i) or i in name_sentences):
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
                post.has("staff_role", i) or post.has("staff_context", i)
                or post.has("not_a_person", i) and not post.has("person", i))):
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
        if not spans:
            spans += _one_patients_story(post, detections)
    spans += _claims(text, catalogue, lex)
    return _result(spans, catalogue)


def _after_names(text: str, names) -> list:
    """ "Mr. Pruitt in 214": a number right after a patient's name is their room."""
    spans = []
    for _, end in names:
        if m := re.match(r"\s+in\s+(\d{1,4}[A-Z]?)\b(?!\s*(?:%|minutes|hours|days|weeks|months|years))", text[end:]):
            spans.append(("room_bed", end + m.start(1), end + m.end(1), ""))
    return spans


def _sensitive(post: Post, names, confirmed: bool) -> list:
    """A sensitive condition beside a particular person: a patient's name, "our patient", or he or she."""
    for s, e in post.hits("sensitive"):
        i = post.sentence(s)
        named = any(abs(post.sentence(n) - i) <= 1 for n, _ in names)
        if named or post.has("patient_ref", i, 1) or post.has("person", i) or (
                confirmed and re.search(r"\byour?\b", post.text[slice(*post.bounds(i))], re.IGNORECASE)):
            return [("sensitive_condition", s, e, "")]
    return []


def _children(post: Post, care) -> list:
    """A child patient: a child in a sentence about care (not a patient's own kids), or "our little patients"."""
    for s, e in post.hits("child_patient"):
        return [("child", s, e, "")]
    for s, e in post.hits("child"):
        if CHILD_SERVICE.match(post.text, e):
            continue  # "our Child Life team" is a service, not a child
        # "her kids" are a patient's own children; "every child" is children in general
        if care(post.sentence(s), 1) and not re.search(r"\b(?:his|her|their|your|my|every|each|any|all|no)\s+$",
                                                       post.text[max(0, s - 7):s], re.IGNORECASE):
            return [("child", s, e, "")]
    return []


def _combination(post: Post, detections, care) -> list:
    """No identifier, but a recent time with a role, a place or a rare event, in a story about care."""
    places = [d.start for d in detections if d.entity == "LOCATION"]
    for s, e in post.hits("recent_time"):
        i = post.sentence(s)
        lo, hi = post.bounds(i, 1)
        person = post.has("person", i, 1) or post.has("patient_ref", i, 1)
        role = post.has("identifying_role", i, 1)
        rare = role or post.has("identifying_place", i, 1) or post.has("tally", i, 1)
        if care(i, 1) and (rare or person and any(lo <= p < hi for p in places)):
            # An event and a place with no one described is a review rather than a stop.
            broad = BROAD_TIME.search(post.text[s:e]) or not (person or role)
            return [("identifying_combination", s, e, "", "review" if broad else "")]
    return []


def _one_patients_story(post: Post, detections) -> list:
    """Nothing that identifies, but a sentence about what happened to one patient (or about someone on a
    named ward): a second pair of eyes is cheaper than a complaint, since details the checker cannot weigh
    may point to them."""
    wards = {post.sentence(d.start) for d in detections if d.entity == "ROOM_BED" and _is_ward(post.text, d)}
    for i in range(len(post.starts)):
        if post.has("patient_context", i) and (post.has("patient_ref", i) or post.has("personal_care", i)) or (
                i in wards and post.has("person", i)):
            lo, hi = post.bounds(i)
            return [("identifying_combination", lo, hi, STORY, "review")]
    return []


def _consent_elsewhere(post: Post, consent_sentences: set[int], platform: str) -> bool:
    """The consent sentence names platforms, and this post's platform is not among them."""
    said = " ".join(post.text[slice(*post.bounds(i))] for i in consent_sentences)
    named = [p for p, words in PLATFORM_WORDS.items() if re.search(rf"(?i)\b(?:{words})\b", said)]
    return bool(named) and platform not in named


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
    for kind, start, end, message, *severity in sorted(spans, key=lambda s: (s[1], s[0])):
        if any(f.kind == kind and f.start < end and start < f.end for f in findings):
            continue
        info = catalogue.kinds[kind]
        findings.append(Finding(kind, start, end, message or info.message, catalogue.lesson_path(kind), info.rule,
                                severity[0] if severity and severity[0] else info.severity))
    # A child's care is identifying once anything else about them is there.
    if any(f.severity == "stop" and f.kind != "child" for f in findings):
        findings = [Finding(**{**f.__dict__, "severity": "stop"}) if f.kind == "child" else f for f in findings]
    verdict = "stop" if any(f.severity == "stop" for f in findings) else "review" if findings else "ok"
    return CheckResult(verdict, tuple(findings))
