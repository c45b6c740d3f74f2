"""A calmer rewrite of a webcare reply that keeps what the agent meant to say.

How it works (WEBCARE.md, "A rewrite"):
1. Analyse the reply. Sentences without a finding stay, only cleaned (shouting, "!!!", sighs,
   swearing) and put in the customer's je/u register.
2. A sentence with a warn-level finding is repaired as lightly as possible: calming it, cutting
   a flagged opening phrase ("Nogmaals, ...", "Volgens onze gegevens ...", with the Dutch word
   order put right), a flagged swear word, or the flagged clause; only when nothing readable is
   left is the sentence dropped, and its facts (order numbers, amounts, dates, products, links)
   are carried over into a neutral sentence so nothing the customer needs is lost.
3. Around what is kept: a greeting with the customer's name, an acknowledgement that fits
   the situation (not a cliché), ownership where the agent was defensive or dismissive, and an
   invitation to DM or call where the matter needs details.
4. The whole new reply is analysed; a sentence that still warns moves on to its next repair
   (one analysis per round, not per candidate), anything left over is removed, and the last
   resort is a short safe reply that still carries every fact.

Replies are short, so all of this is plain string work; the analyses dominate the time.
Reply text is never printed or logged here.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field

from .analysis import Context
from .context import Addressee, addressee_from_author, mentions_name, register_of
from .house_rules import HouseRules, analyze_with
from .language import detect_language
from .text import split_sentences

__all__ = ["Rewrite", "rewrite", "facts_in", "convert_register", "calm_down"]


@dataclass(frozen=True)
class Rewrite:
    text: str
    verdict: str
    changes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """The /v1/rewrite answer."""
        return {"text": self.text, "verdict": self.verdict, "changes": list(self.changes)}


# --- facts that must survive a rewrite ----------------------------------------------------

_MONTHS = (
    "januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december|"
    "jan|feb|mrt|apr|jun|jul|aug|sep|sept|okt|oct|nov|dec|"
    "january|february|march|may|june|july|august|october"
)
_WEEKDAYS = (
    "maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag|"
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
)
# Each pattern finds one kind of fact; the order matters only for readability of the carrier.
_FACT_PATTERNS = [
    re.compile(r"https?://[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]|www\.[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]", re.I),
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.I),
    # Amounts: € 12,50 / €12.50 / $5 / £18.40 / 12 euro / € 312,-
    re.compile(r"(?:€|\$|£|EUR\b|USD\b)\s?\d+(?:[.,]\d+)*(?:,-)?|\d+(?:[.,]\d+)*\s?(?:euro|eur|dollars?|pond|cent)\b", re.I),
    # Dates: 12 maart (2025), 1 June, June 1st, 3/4, 31-05-2024
    re.compile(rf"\b\d{{1,2}}\s(?:{_MONTHS})\b(?:\s\d{{4}})?|\b(?:{_MONTHS})\s\d{{1,2}}(?:st|nd|rd|th)?\b", re.I),
    re.compile(r"\b\d{1,2}[/-]\d{1,2}(?:[/-]\d{2,4})?\b"),
    re.compile(rf"\b(?:{_WEEKDAYS})\b", re.I),
    # Times: 14:00, 8.30 uur, 9 uur, 3pm
    re.compile(r"\b\d{1,2}[:.]\d{2}\b(?:\s?uur)?|\b\d{1,2}\s?(?:uur|am|pm)\b", re.I),
    # Order, tracking, invoice and model codes: a token with at least four digits, or letters
    # and digits mixed (WX-200, 3SABC123456, KL1234, #58213).
    re.compile(r"#?\b(?=[A-Za-z0-9-]*\d)(?:[A-Z]{1,6}[- ]?\d[\dA-Z-]*|\d{4,}[\dA-Z-]*|\d+[A-Z]{2,}[\dA-Z]*)\b"),
]
# Percentages are left out on purpose: in a reply they are mostly statistics thrown at the
# customer ("97% van onze klanten is tevreden"), which is what WEBCARE.md calls argumentative.

# Capitalised words that are not product or brand names.
_ORDINARY_CAPITALISED = {
    "u", "uw", "ik", "i", "i'm", "i'll", "i've", "i'd", "we", "wij", "je", "jij", "dm", "pb",
    "ok", "oke", "oké", "sorry", "tip", "ps", "nb", "tv",
}


@dataclass(frozen=True)
class _Fact:
    text: str
    start: int
    end: int


def _greeting_end(text: str) -> int:
    match = _GREETING.match(text)
    return match.end() if match else 0


# A name the agent addresses: ", Mark." / ", Ilse, dat ..." / "Sorry, Mo!".
_VOCATIVE = re.compile(r"(?<=, )([A-Z][a-zà-ÿ]+(?:-[A-Z][a-zà-ÿ]+)?)(?=[,.!?:;]|\s*$|\s+[^\w\s])")


def _vocatives(text: str) -> list[tuple[int, int]]:
    return [
        match.span(1)
        for match in _VOCATIVE.finditer(text)
        if match.group(1).lower() not in _ORDINARY_CAPITALISED | _PROPER_WORD_STARTS | _NOT_NAMES
    ]


# Capitalised words that may stand alone between commas but are no one's name.
_NOT_NAMES = {"sorry", "helaas", "bedankt", "thanks", "nee", "ja", "yes", "no", "oke", "prima", "top", "super",
              "hoi", "hallo", "hi", "hey", "dag", "nogmaals", "zeker", "natuurlijk", "inderdaad", "klopt", "great"}


# Words after a greeting that address no one in particular ("Beste klant", "Hi there").
_NOBODY_IN_PARTICULAR = {
    "klant", "klanten", "allemaal", "iedereen", "daar", "customer", "customers", "all", "there", "everyone",
    "team", "sir", "madam", "sir/madam", "heer/mevrouw", "lezer", "reader",
}


def _addressed_name(text: str) -> Addressee | None:
    """The customer's name as the agent wrote it ("Hoi Sanne,", "Dear Mrs. Thompson,", "..., Mark."),
    for when the thread does not give it."""
    greeting = _GREETING.match(text)
    if greeting:
        name = greeting.group().strip().split(None, 1)[1:]
        name = name[0].rstrip(" ,!:") if name else ""
        if name and name.split()[0].lower().strip(".,") not in _NOBODY_IN_PARTICULAR | _NOT_NAMES:
            return addressee_from_author(name)
    names = {text[a:b] for a, b in _vocatives(text)}
    if len(names) == 1:
        name = names.pop()
        return Addressee(name, name, False)
    return None


def _fact_spans(text: str) -> list[_Fact]:
    """Facts with their positions, skipping the greeting and names the agent addresses
    (those are greetings, not reported facts; the rewrite greets by name itself)."""
    skip_until = _greeting_end(text)
    found: list[_Fact] = []
    taken = [False] * (len(text) + 1)
    for start, end in _vocatives(text):
        for index in range(start, end):
            taken[index] = True

    def add(start: int, end: int) -> None:
        if start < skip_until or any(taken[start:end]):
            return
        for index in range(start, end):
            taken[index] = True
        found.append(_Fact(text[start:end].strip(), start, end))

    for pattern in _FACT_PATTERNS:
        for match in pattern.finditer(text):
            add(*match.span())
    for start, end in _product_name_spans(text):
        add(start, end)
    found.sort(key=lambda fact: fact.start)
    return found


def _product_name_spans(text: str) -> list[tuple[int, int]]:
    """Capitalised words inside a sentence (brands, products, places): 'Philips', 'PostNL', 'iPhone'."""
    spans = []
    for sentence in split_sentences(text):
        words = [token for token in sentence.tokens if token.kind == "word"]
        shouting = _is_shouting_run([token.text for token in words])
        for position, token in enumerate(words):
            word = token.text
            has_capital = any(ch.isupper() for ch in word[1:]) or word[:1].isupper()
            if not has_capital or token.norm in _ORDINARY_CAPITALISED or word.isdigit():
                continue
            if position == 0 and not any(ch.isupper() for ch in word[1:]):
                continue  # an ordinary word that starts the sentence
            if _is_shouted(word, shouting):
                continue
            spans.append((token.start, token.end))
    return spans


def facts_in(text: str) -> list[str]:
    """The facts a rewrite must keep: references, amounts, dates, times, products, links."""
    return [fact.text for fact in _fact_spans(text or "")]


# --- cleaning: shouting, "!!!", sighs, swearing -------------------------------------------

# Short all-caps words that are names, not shouting.
_ACRONYMS = {
    "dm", "pb", "kpn", "ns", "dhl", "ups", "dpd", "gls", "klm", "ing", "abn", "amro", "btw", "pdf",
    "url", "faq", "ov", "bsn", "iban", "sms", "usb", "tv", "pc", "ceo", "eu", "nl", "be", "uk",
    "usa", "ikea", "hema", "anwb", "uwv", "rdw", "cjib", "duo", "svb", "ggd", "rivm", "bbc", "nhs",
    "ok", "id", "app", "wifi", "nasa", "vvv", "aow", "ww", "zzp", "ict", "it", "hr", "ah", "ret",
    "gvb", "htm", "api", "sim", "pin", "pvc", "led", "hd", "gb", "mb", "kwh", "eta", "asap", "fyi",
    "pm", "am", "bv", "nv", "vof", "ltd", "inc", "llc",
}
# In a shouted sentence these are ordinary words ("THIS IS NOT HOW IT WORKS"), not acronyms.
_ACRONYMS_THAT_ARE_WORDS = {"it", "app", "am", "pm", "ok", "id", "be", "ah", "pin", "sim", "led", "ret"}
# Short words that are shouted when written in capitals ("NIET", "NU", "WEL").
_SHOUTED_SHORT_WORDS = {
    "niet", "wel", "nu", "nog", "al", "echt", "nooit", "zo", "wat", "ja", "nee", "je", "jij", "u",
    "we", "wij", "is", "dat", "het", "de", "een", "en", "ik", "zelf",
    "not", "now", "no", "yes", "you", "all", "the", "and", "it", "our", "we're", "did", "do", "why", "how",
}


def _is_shouting_run(words: list[str]) -> bool:
    capitals = [word for word in words if len(word) >= 2 and word.isupper() and word.isalpha()]
    return len(capitals) >= 2 and len(capitals) * 2 >= len(words)


def _is_shouted(word: str, in_shouting_run: bool) -> bool:
    if not word.isupper() or any(ch.isdigit() for ch in word):
        return False
    if len(word) < 2:
        # "WAT DENKT U WEL NIET": the Dutch "u" is shouted with the rest; English "I" never is.
        return in_shouting_run and word == "U"
    lowered = word.lower()
    if lowered in _ACRONYMS and not in_shouting_run:
        return False
    return in_shouting_run or len(word) >= 5 or lowered in _SHOUTED_SHORT_WORDS


_SIGHS = re.compile(
    r"(?<![\w*])\*?(?:p+f+|pff+t*|zucht|sigh|ugh+|tss+|poeh|pfoe+|argh+|grr+|jeez|jezus|jeetje|"
    r"verdomme|godverdomme|verdorie|potverdorie|damn|dammit|goddamn|shit|wtf|fff+)\*?(?!\w)[,.!?…]*\s*",
    re.I,
)
# Exasperation that stands on its own at the start of a sentence, usually right after a sigh:
# "Pff, alweer dit, ...", "Ugh, here we go again."
_EXASPERATION = re.compile(
    r"^[\s,.;:!?…-]*(?:daar gaan we (?:weer|alweer)|alweer dit|niet weer|serieus|here we go again|this again|"
    r"not again|seriously)\s*[,.!?…]+\s*",
    re.I,
)
# Swearing used as an adjective or compound prefix: "die klote bezorger", "kutbezorger".
_SWEAR_ADJECTIVES = re.compile(r"\b(?:klote|kut|kanker|tering|tyfus|fucking|bloody|freaking|frigging)(?:\s+|(?=[a-z]{4,}))", re.I)


_WORD_TOKEN = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def calm_down(sentence: str) -> str:
    """Shouting to normal case, '!!!'/'?!' to one mark, sighs and swearing out."""
    sentence = _SIGHS.sub("", sentence)
    sentence = _EXASPERATION.sub("", sentence)
    sentence = _collapse_marks(_SWEAR_ADJECTIVES.sub("", sentence))
    words = list(_WORD_TOKEN.finditer(sentence))
    shouting = _is_shouting_run([word.group() for word in words])
    pieces = []
    last = 0
    for word in words:
        written = word.group()
        if _is_shouted(written, shouting):
            pieces.append(sentence[last:word.start()])
            lowered = written.lower()
            if lowered in _ACRONYMS and lowered not in _ACRONYMS_THAT_ARE_WORDS:
                lowered = written
            elif lowered == "i" or lowered.startswith(("i'", "i’")):
                lowered = "I" + lowered[1:]
            pieces.append(lowered)
            last = word.end()
    pieces.append(sentence[last:])
    return _tidy("".join(pieces))


def _collapse_marks(text: str) -> str:
    """'!!!' to '!', '?!' and '??' to '?', '.....' to '…'."""
    text = re.sub(r"[!?]*\?[!?]*!+1*|[!?]*!+\?[!?]*|\?{2,}", "?", text)
    text = re.sub(r"!{2,}1*|!1+", "!", text)
    return re.sub(r"\.{4,}", "…", text)


def _calming_handles(span: str) -> bool:
    """Is this flagged stretch something calm_down() takes care of (marks, capitals, a sigh)?"""
    return bool(
        re.search(r"[!?]{2,}|!1", span) or _SIGHS.search(span) or _SWEAR_ADJECTIVES.search(span)
        or any(len(word) >= 2 and word.isupper() for word in _WORD_TOKEN.findall(span))
    )


def _tidy(sentence: str) -> str:
    """Spacing and capitals after pieces were cut out."""
    sentence = re.sub(r"\s+", " ", sentence).strip()
    sentence = re.sub(r"\s+([,.;:!?…])", r"\1", sentence)
    sentence = re.sub(r"([,;:])\s*([,.;:!?])", r"\2", sentence)
    sentence = re.sub(r"^[,.;:!?…\-–—\s]+", "", sentence)
    sentence = re.sub(r"\(\s*\)", "", sentence).strip()
    return _capitalise_first(sentence)


def _capitalise_first(text: str) -> str:
    for index, char in enumerate(text):
        if char.isalpha():
            # "iPhone", "eBay": a lower-case letter followed by a capital is a name as written.
            if index + 1 < len(text) and text[index + 1].isupper():
                return text
            return text[:index] + char.upper() + text[index + 1 :]
        if char.isdigit():
            return text
    return text


def _lowercase_first(text: str, facts: list[str]) -> str:
    """For a sentence that now follows a greeting: 'Je pakket...' -> 'je pakket...'."""
    match = re.match(r"\W*(\w[\w'’-]*)", text)
    if not match:
        return text
    word = match.group(1)
    if word == "I" or word.startswith(("I'", "I’")) or word in facts or word[1:] != word[1:].lower():
        return text
    if word.lower() in {"u", "uw"} or word.lower() in _PROPER_WORD_STARTS:
        return text
    return text[: match.start(1)] + word[0].lower() + text[match.start(1) + 1 :]


_PROPER_WORD_STARTS = set(_WEEKDAYS.split("|")) | {"january", "february", "march", "april", "june", "july", "august", "september", "october", "november", "december"}


# --- register: je <-> u --------------------------------------------------------------------

# Verb forms that change with the pronoun in inversion ("heb je" / "heeft u") and after it
# ("je hebt" / "u heeft"). Only the common irregular ones; regular verbs are stem + t.
_INVERTED_INFORMAL_TO_FORMAL = {
    "heb": "heeft", "ben": "bent", "kan": "kunt", "kun": "kunt", "wil": "wilt", "zal": "zult",
    "mag": "mag", "zou": "zou", "ga": "gaat", "sta": "staat", "doe": "doet", "zie": "ziet",
    "weet": "weet", "moet": "moet", "hoef": "hoeft", "krijg": "krijgt", "stuur": "stuurt",
    "wacht": "wacht", "vind": "vindt", "word": "wordt", "kom": "komt", "laat": "laat",
    "bel": "belt", "ontvang": "ontvangt", "merk": "merkt", "lees": "leest", "probeer": "probeert",
    "had": "had", "was": "was", "kreeg": "kreeg", "zag": "zag", "wou": "wou", "kon": "kon",
    "hoor": "hoort", "denk": "denkt", "zit": "zit", "woon": "woont", "gebruik": "gebruikt",
}
_INVERTED_FORMAL_TO_INFORMAL = {formal: informal for informal, formal in _INVERTED_INFORMAL_TO_FORMAL.items()}
_INVERTED_FORMAL_TO_INFORMAL.update({"kunt": "kun", "wilt": "wil", "zult": "zal", "heeft": "heb", "hebt": "heb"})
_SUBJECT_VERB_INFORMAL_TO_FORMAL = {"hebt": "heeft", "heb": "heeft"}
_SUBJECT_VERB_FORMAL_TO_INFORMAL = {"heeft": "hebt"}

# After "je": these words show "je" is the pronoun ("je krijgt", "stuur je een DM"), not "your".
_AFTER_PRONOUN_JE = {
    "een", "de", "het", "dit", "dat", "deze", "die", "morgen", "vandaag", "graag", "nog", "al",
    "ook", "wel", "niet", "niets", "niks", "even", "zo", "snel", "direct", "hier", "er", "daar",
    "meteen", "gerust", "alvast", "nu", "straks", "zelf", "dan", "echt", "toch", "altijd", "op",
    "in", "aan", "mee", "terug", "voor", "met", "bij", "van", "binnen", "via", "om", "te", "na",
    "ons", "mij", "me", "hem", "haar", "hun", "iets", "alles", "geen", "helemaal", "natuurlijk",
    "dus", "wat", "hoe", "waar", "wanneer", "uiterlijk", "binnenkort", "vanavond", "zometeen",
}
_PAST_TENSE_VERBS = {
    "schreef", "zei", "gaf", "kreeg", "vroeg", "ontving", "zag", "las", "dacht", "kon", "mocht",
    "moest", "deed", "ging", "kwam", "stond", "lag", "zat", "liep", "nam", "koos", "vond", "wist",
    "hoorde", "bleef", "werd", "heette", "kocht", "bracht",
}
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def _match_case(replacement: str, original: str) -> str:
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


# Nouns that end like a verb ("je pakket" is not "je krijgt"): the common ones in webcare.
_NOUNS_ENDING_IN_T = {
    "pakket", "ticket", "product", "abonnement", "contract", "apparaat", "bericht", "account", "internet",
    "kaart", "vlucht", "rit", "resultaat", "krediet", "tegoed", "saldo", "budget", "feest", "plekje",
    "adresgegevens", "paspoort", "onderdeel", "cadeaubon", "bezoek", "rijbewijs", "recept", "dossier",
    "wachtwoord", "telefoonnummer", "klantnummer", "ordernummer", "bestelnummer", "bedrijf", "gesprek",
}


def _je_means_you(next_word: str | None, previous_word: str | None, word_after_next: str | None = None) -> bool:
    """Is this "je" the pronoun (you) rather than the possessive (your)?"""
    if next_word is None:
        return True
    if next_word in _AFTER_PRONOUN_JE:
        return True
    if next_word in _NOUNS_ENDING_IN_T or word_after_next in _DUTCH_FINITE_VERBS:
        return False  # "je pakket komt", "je vlucht is": a noun with its own verb after it
    # "je krijgt", "je hebt", "je bent": a finite verb after "je" ends in -t (or is irregular).
    if next_word in {"bent", "hebt", "kunt", "wilt", "zult", "kan", "mag", "moet", "zou", "gaat", "was", "had"}:
        return True
    if previous_word in _INVERTED_INFORMAL_TO_FORMAL or next_word in _PAST_TENSE_VERBS:
        return True
    # Present tense "je krijgt" (-t) and regular past tense "je belde", "je wachtte" (-de, -te).
    return len(next_word) > 3 and (
        next_word.endswith("t") and not next_word.endswith(("heid", "st"))
        or next_word.endswith(("de", "te")) and not next_word.endswith(("ende", "ste", "nte", "ijde"))
    )


def convert_register(sentence: str, target: str) -> str:
    """Rewrite the agent's own je/jij/jouw as u/uw ("formal") or back ("informal").

    Covers the pronouns and the simple verb agreement around them ("heb je" -> "heeft u",
    "kun je" -> "kunt u", "je hebt" -> "u heeft"). Quoted text is left alone: those are the
    customer's words.
    """
    protected = [match.span() for match in re.finditer(r"\"[^\"]*\"|“[^”]*”|‘[^’]*’|'[^']{3,}'", sentence)]
    words = [m for m in _WORD_RE.finditer(sentence) if not any(a <= m.start() < b for a, b in protected)]
    replacements: dict[int, tuple[int, str]] = {}

    def replace(match, new: str) -> None:
        replacements[match.start()] = (match.end(), _match_case(new, match.group()))

    lowered = [m.group().lower().replace("’", "'") for m in words]
    for index, match in enumerate(words):
        word = lowered[index]
        previous_word = lowered[index - 1] if index > 0 else None
        next_word = lowered[index + 1] if index + 1 < len(words) else None
        if target == "formal":
            if word in {"jij", "jou"}:
                replace(match, "u")
            elif word in {"jouw", "jouwe"}:
                replace(match, "uw")
            elif word == "jezelf":
                replace(match, "uzelf")
            elif word == "je":
                word_after_next = lowered[index + 2] if index + 2 < len(words) else None
                replace(match, "u" if _je_means_you(next_word, previous_word, word_after_next) else "uw")
            else:
                continue
            if previous_word in _INVERTED_INFORMAL_TO_FORMAL and word in {"je", "jij"} and _is_inversion(words, index):
                replace(words[index - 1], _INVERTED_INFORMAL_TO_FORMAL[previous_word])
            if next_word in _SUBJECT_VERB_INFORMAL_TO_FORMAL and word in {"je", "jij"}:
                replace(words[index + 1], _SUBJECT_VERB_INFORMAL_TO_FORMAL[next_word])
        else:
            if word == "u":
                replace(match, "je")
            elif word in {"uw", "uwe"}:
                replace(match, "je")
            elif word == "uzelf":
                replace(match, "jezelf")
            else:
                continue
            if word == "u" and previous_word in _INVERTED_FORMAL_TO_INFORMAL and _is_inversion(words, index):
                replace(words[index - 1], _INVERTED_FORMAL_TO_INFORMAL[previous_word])
            if word == "u" and next_word in _SUBJECT_VERB_FORMAL_TO_INFORMAL:
                replace(words[index + 1], _SUBJECT_VERB_FORMAL_TO_INFORMAL[next_word])

    if not replacements:
        return sentence
    pieces = []
    last = 0
    for start in sorted(replacements):
        end, new = replacements[start]
        pieces.append(sentence[last:start])
        pieces.append(new)
        last = end
    pieces.append(sentence[last:])
    return "".join(pieces)


def _is_inversion(words, pronoun_index: int) -> bool:
    """The verb directly before the pronoun with nothing between but a space ("heb je", "Kunt u")."""
    if pronoun_index == 0:
        return False
    between = words[pronoun_index - 1].string[words[pronoun_index - 1].end() : words[pronoun_index].start()]
    return between.strip() == ""


# --- greetings, sign-offs, situations -----------------------------------------------------

_GREETING = re.compile(
    r"^\s*(?:hoi|hallo|hey|hee|hé|hi|hello|beste|dag|goedemorgen|goedemiddag|goedenavond|"
    r"good morning|good afternoon|good evening|dear|lieve|geachte|hiya)\b"
    r"(?:[ \t]+[^\s,!?:\n]+){0,4}?[ \t]*(?:[,!:]+|\n|$)\s*",
    re.I,
)
# The agent's sign-off at the very end: "Groetjes,\nMark", "Cheers, Anna", "^MK", "- Lisa".
# "Bedankt"/"thanks" are left out: at the end of a reply they are mostly a sentence of their own.
_SIGN_OFF = re.compile(
    r"(?:(?<=\n)|(?<=[.!?…]\s)|(?<=[.!?…]))\s*"
    r"(?:(?:met\s+)?(?:vriendelijke\s+)?groet(?:en|jes)?|gr\.|mvg|kind regards|best regards|warm regards|regards|cheers)\b"
    r"[^\n]{0,40}(?:\n[^\n]{1,40})?\s*$"
    r"|\s+[\^~]\s*\w[\w .]{0,30}$"
    r"|\n\s*[-–—]\s*\w[\w .]{0,30}$",
    re.I,
)

_SITUATION_WORDS = {
    "delay": r"vertrag|te laat|nog niet|nog steeds|wacht|bezorg|levering|geleverd|pakket|zending|onderweg|"
             r"trein|vlucht|uitgevallen|delay|late\b|waiting|wait\b|not arrived|hasn't arrived|still no|"
             r"deliver|parcel|package|shipping|cancel+ed|on hold",
    "broken": r"kapot|defect|stuk\b|werkt niet|doet het niet|beschadigd|lekt|storing|valt uit|"
              r"broken|damaged|doesn't work|does not work|not working|faulty|stopped working|outage|crash",
    "billing": r"factuur|rekening|betaling|betaald|afgeschreven|incasso|terugbetal|geld terug|bedrag|"
               r"korting|prijs|tarief|invoice|bill\b|billing|charged|payment|refund|money back|overcharg|price|fee",
    "service": r"klantenservice|medewerker|wachttijd|niemand|teruggebeld|terugbellen|onvriendelijk|"
               r"reactie|gebeld|in de wacht|customer service|staff|nobody|rude|call back|no reply|no answer|ignored",
}
# What to ask for in the invitation, by what the matter is about (first match wins).
_DETAILS = [
    (r"bestel|order|pakket|parcel|package|levering|delivery|bezorg|deliver|retour|return",
     {"informal": "je bestelnummer", "formal": "uw bestelnummer", "en": "your order number"}),
    (r"vlucht|flight|boeking|booking|reis|trip|ticket|kaart",
     {"informal": "je boekingsnummer", "formal": "uw boekingsnummer", "en": "your booking reference"}),
    (r"factuur|invoice|rekening|bill|betaling|payment|afgeschreven|charged|abonnement|subscription|contract|account|klantnummer",
     {"informal": "je klantnummer", "formal": "uw klantnummer", "en": "your account number"}),
]
_GENERAL_DETAILS = {"informal": "je gegevens", "formal": "uw gegevens", "en": "your details"}


def _detail_to_ask(plan: "_Plan", reply: str, *texts: str) -> str:
    """What the DM should contain; not a reference number the reply already has."""
    key = "en" if plan.lang == "en" else plan.voice[1]
    if re.search(r"\d{4,}|#\d+", reply):
        return _GENERAL_DETAILS[key]
    joined = " ".join(text for text in (reply, *texts) if text)
    for pattern, wording in _DETAILS:
        if re.search(pattern, joined, re.I):
            return wording[key]
    return _GENERAL_DETAILS[key]


# The matter needs personal details or a longer talk: offer a private channel.
_NEEDS_DETAILS = re.compile(
    r"bestel|order|account|factuur|invoice|rekening|bill|klantnummer|adres|address|gegevens|details|"
    r"pakket|parcel|package|levering|delivery|bezorg|betaling|payment|refund|terugbetal|abonnement|"
    r"subscription|contract|monteur|engineer|klacht|complaint|storing|kapot|broken|defect",
    re.I,
)
_PRIVATE_CHANNEL = re.compile(
    r"\bdm\b|\bpb\b|privé|prive|priv[ée]bericht|direct message|private message|inbox|\bbel(?:len|t)?\b|"
    r"\bcall\b|e-?mail|\bmail\b|telefo|phone|chat|whatsapp|contactformulier|contact form|message us",
    re.I,
)
_EMPATHY = re.compile(
    r"begrijp|snap|voor te stellen|balen|baal|vervelend|jammer|naar dat|rot dat|pech|frustrer|"
    r"teleurstel|sorry|excuses|excuus|spijt|understand|imagine|frustrat|disappoint|so sorry|apolog|"
    r"annoying|what a pain|not what|niet de bedoeling|rotdag|ellende",
    re.I,
)
_APOLOGY = re.compile(r"\bsorry\b|excuses|excuus|spijt|apolog", re.I)
_THANKS_TO_FAN = re.compile(
    r"dank je|dankjewel|dank u|bedankt|thanks|thank you|wat leuk|wat fijn|super|top|graag gedaan|"
    r"glad|great|lovely|happy to",
    re.I,
)
_COMPLAINT_WORDS = "|".join(_SITUATION_WORDS.values()) + r"|niet\b|geen\b|nooit|not\b|never|no\b|waardeloos|slecht|useless|worst|terrible"
_COMPLAINT = re.compile(_COMPLAINT_WORDS, re.I)


_SITUATION_PATTERNS = {name: re.compile(pattern, re.I) for name, pattern in _SITUATION_WORDS.items()}


def _situation(*texts: str) -> str:
    """delay, broken, billing, service or general: whichever the words point to most."""
    joined = " ".join(text for text in texts if text)
    best, best_count = "general", 0
    for name, pattern in _SITUATION_PATTERNS.items():
        count = len(pattern.findall(joined))
        if count > best_count:
            best, best_count = name, count
    return best


# --- the words the rewrite adds -----------------------------------------------------------
# Each list holds variants so replies do not all read like one template; one is chosen from
# the text itself (same input, same output). None of them may be a cliché (WEBCARE.md) or
# carry an apology of their own: the agent's apology, if any, is kept and must not be doubled.

_ACKNOWLEDGEMENTS = {
    ("nl", "informal"): {
        "delay": ["wat balen dat je nog steeds moet wachten", "ik snap goed dat je het wachten nu wel zat bent",
                  "goed voor te stellen dat je hier inmiddels flink van baalt"],
        "broken": ["goed voor te stellen dat dit behoorlijk teleurstellend is",
                   "het is natuurlijk niet de bedoeling dat het niet goed werkt",
                   "wat een domper dat het niet doet wat het moet doen"],
        "service": ["ik begrijp goed dat je beter geholpen had willen worden",
                    "goed voor te stellen dat je je zo niet gehoord voelt",
                    "zo had je contact met ons niet moeten lopen, dat snap ik"],
        "billing": ["ik snap goed dat je precies wilt weten waar je aan toe bent",
                    "goed voor te stellen dat dit vragen oproept",
                    "ik snap dat je hier duidelijkheid over wilt"],
        "general": ["ik begrijp goed dat je hier niet blij mee bent", "goed voor te stellen dat dit je dwarszit",
                    "ik snap goed dat dit je bezighoudt"],
    },
    ("nl", "formal"): {
        "delay": ["wat vervelend dat u nog steeds moet wachten", "ik begrijp goed dat het wachten u zwaar valt",
                  "goed voor te stellen dat u hier inmiddels genoeg van heeft"],
        "broken": ["goed voor te stellen dat dit behoorlijk teleurstellend is",
                   "het is natuurlijk niet de bedoeling dat het niet goed werkt",
                   "ik begrijp goed dat u had verwacht dat alles gewoon zou werken"],
        "service": ["ik begrijp goed dat u beter geholpen had willen worden",
                    "goed voor te stellen dat u zich zo niet gehoord voelt",
                    "zo had uw contact met ons niet moeten lopen, dat begrijp ik"],
        "billing": ["ik begrijp goed dat u precies wilt weten waar u aan toe bent",
                    "goed voor te stellen dat dit vragen oproept",
                    "ik begrijp dat u hier duidelijkheid over wilt"],
        "general": ["ik begrijp goed dat u hier niet blij mee bent", "goed voor te stellen dat dit u dwarszit",
                    "ik begrijp goed dat dit u bezighoudt"],
    },
    ("en", None): {
        "delay": ["I completely understand that the wait is getting to you", "I can imagine you'd hoped to have it by now",
                  "waiting this long is not what we want for you either"],
        "broken": ["I can imagine how disappointing it is when it doesn't work as it should",
                   "that's really not how it should work", "I understand you expected it to just work"],
        "service": ["I understand you expected better help from us", "I can imagine you feel you weren't heard",
                    "that's not the kind of help we want to give"],
        "billing": ["I understand you want to know exactly where you stand", "I can imagine this raises questions",
                    "I understand you want clarity on this"],
        "general": ["I understand this isn't what you hoped for", "I can see why this bothers you",
                    "I understand this matters to you"],
    },
}
_INVITATIONS = {
    ("nl", "informal"): [
        "Stuur je ons even een DM met {detail}? Dan zoeken we het voor je uit.",
        "Wil je ons een privébericht sturen met {detail}? Dan kijken we meteen met je mee.",
        "Stuur ons gerust een DM met {detail}. Bellen kan ook: zet dan je telefoonnummer erbij.",
    ],
    ("nl", "formal"): [
        "Wilt u ons een privébericht sturen met {detail}? Dan zoeken we het voor u uit.",
        "Stuurt u ons even een DM met {detail}? Dan kijken we direct met u mee.",
        "Stuurt u ons gerust een privébericht met {detail}? Bellen kan ook: zet dan uw telefoonnummer erbij.",
    ],
    ("en", None): [
        "Could you send us a DM with {detail}? Then we'll look into it for you.",
        "Please send us a private message with {detail} and we'll sort this out with you.",
        "Feel free to DM us {detail}. If you'd rather talk, add your phone number and we'll call you.",
    ],
}
# The single phrases the rewrite adds, one set per voice, so each voice is complete in one place
# (a test holds every voice to the same names):
# - ownership: taking ownership where the agent was defensive, argumentative or dismissive;
#   ownership_with: the same, naming who was blamed as who we sort it out with;
# - what_can_be_done: the answer to a brush-off ("daar kunnen we niets aan doen");
# - best_effort: instead of a promise nobody can keep;
# - thanks_for_reporting: for feedback or a report; greeting: before the customer's name.
_PHRASES = {
    ("nl", "informal"): {
        "ownership": "We zoeken het voor je uit.",
        "ownership_with": "We zoeken het samen met {partners} voor je uit.",
        "what_can_be_done": "We kijken graag met je wat er wél kan.",
        "best_effort": "We doen er alles aan om te voorkomen dat dit nog eens gebeurt.",
        "thanks_for_reporting": "Dank je dat je het laat weten.",
        "greeting": "Hoi",
    },
    ("nl", "formal"): {
        "ownership": "We zoeken het voor u uit.",
        "ownership_with": "We zoeken het samen met {partners} voor u uit.",
        "what_can_be_done": "We kijken graag met u wat er wél kan.",
        "best_effort": "We doen er alles aan om te voorkomen dat dit nog eens gebeurt.",
        "thanks_for_reporting": "Dank u dat u het laat weten.",
        "greeting": "Beste",
    },
    ("en", None): {
        "ownership": "We'll look into it for you.",
        "ownership_with": "We'll look into it with {partners} for you.",
        "what_can_be_done": "We'd like to look at what we can do for you.",
        "best_effort": "We'll do everything we can to keep this from happening again.",
        "thanks_for_reporting": "Thanks for letting us know.",
        "greeting": "Hi",
    },
}
# Carries facts from a sentence that had to go, so the customer loses nothing they need.
_FACT_CARRIER = {"nl": "Voor de volledigheid: {facts}.", "en": "For reference: {facts}."}

_CHANGE_MESSAGES = {
    "nl": {
        "argumentative": "Tegenspraak weggelaten",
        "attacking": "Verwijt aan de klant weggelaten",
        "defensive": "Verdediging en wijzen naar anderen weggelaten",
        "impatient": "Ongeduld weggelaten",
        "dismissive": "Afwijzing ('daar kunnen we niets aan doen') weggelaten",
        "emotional": "Emotie eruit gehaald",
        "shouting": "Hoofdletters en uitroeptekens rustiger gemaakt",
        "sigh": "Zuchten en vloeken weggelaten",
        "cliche": "Cliché vervangen door een erkenning die bij de situatie past",
        "empty-promise": "Belofte die niemand kan waarmaken vervangen door 'we doen er alles aan'",
        "name": "Aanhef met naam toegevoegd",
        "acknowledgement": "Erkenning van het gevoel van de klant toegevoegd",
        "invitation": "Uitnodiging om via DM of telefoon verder te praten toegevoegd",
        "ownership": "Zelf verantwoordelijkheid genomen: we zoeken het uit",
        "thanks": "Bedankje voor de melding toegevoegd",
        "formal": "Aangesproken met u, zoals de klant schrijft",
        "informal": "Aangesproken met je, zoals de klant schrijft",
        "facts": "Feiten uit weggelaten zinnen bewaard",
        "fallback": "Reactie helemaal herschreven tot een veilige versie",
        "apology": "Dubbele excuses samengevoegd",
    },
    "en": {
        "argumentative": "Removed the contradiction",
        "attacking": "Removed the blame aimed at the customer",
        "defensive": "Removed the defensiveness and the blaming of others",
        "impatient": "Removed the impatience",
        "dismissive": "Removed the brush-off ('nothing we can do')",
        "emotional": "Took the emotion out",
        "shouting": "Calmed capitals and exclamation marks",
        "sigh": "Removed sighs and swearing",
        "cliche": "Replaced the cliché with an acknowledgement that fits",
        "empty-promise": "Replaced a promise nobody can keep with best effort",
        "name": "Greeted the customer by name",
        "acknowledgement": "Acknowledged how the customer feels",
        "invitation": "Invited the customer to continue by DM or phone",
        "ownership": "Took ownership: we'll look into it",
        "thanks": "Thanked the customer for reporting it",
        "formal": "Matched the customer's formal register",
        "informal": "Matched the customer's informal register",
        "facts": "Kept the facts from removed sentences",
        "fallback": "Rewrote the reply into a safe version",
        "apology": "Merged a repeated apology",
    },
}

_DANGLING_START = re.compile(r"^(?:maar|want|dus|en|of|omdat|hoewel|toch|but|because|so|and|or|though|although|however)\b[,\s]*", re.I)
_DANGLING_END = re.compile(r"[,\s]+(?:maar|want|dus|en|of|omdat|but|because|so|and|or)\s*([.!?…]*)$", re.I)
# A Dutch main clause that starts with its finite verb is a question or a broken sentence
# (what is left of "Volgens onze gegevens is het pakket bezorgd" without its first words).
_DUTCH_FINITE_VERBS = {
    "is", "zijn", "was", "waren", "heeft", "hebben", "heb", "hebt", "had", "hadden", "kan", "kun",
    "kunt", "kunnen", "zal", "zult", "zullen", "wordt", "worden", "werd", "werden", "moet", "moeten",
    "mag", "mogen", "gaat", "gaan", "komt", "komen", "staat", "staan", "ligt", "liggen", "zou", "zouden",
    "reed", "kwam", "ging", "stond", "lag", "wil", "wilt", "willen", "blijkt", "lijkt",
}
_CLAUSE_BREAK = re.compile(r",\s+|;\s+|:\s+|\s+[–—-]\s+|\s+(?=(?:maar|want|dus|omdat|but|because|so|though)\b)", re.I)


def _variant(options: list[str], seed: str, salt: str) -> str:
    return options[zlib.crc32(f"{salt}:{seed}".encode()) % len(options)]


# --- the plan of the new reply -------------------------------------------------------------


@dataclass
class _Sentence:
    text: str
    kind: str  # "greeting", "opening", "agent", "carrier", "ownership", "invitation", "signoff"
    facts: list[str] = field(default_factory=list)
    # Change messages (keys of _CHANGE_MESSAGES) that hold only while this sentence is in the reply.
    notes: tuple[str, ...] = ()
    # For a copy of one of the agent's sentences: the sentence it was copied from.
    source: "_Sentence | None" = field(default=None, repr=False, compare=False)


@dataclass
class _Plan:
    lang: str
    register: str | None
    addressee: Addressee | None
    seed: str
    house: HouseRules | None = None
    changes: list[str] = field(default_factory=list)

    def analyze(self, text: str, context=None):
        """analyze() with the team's house rules, if any: a rewrite must pass those too."""
        return analyze_with(self.house, text, lang=self.lang, context=context)

    def note(self, key: str) -> None:
        message = _CHANGE_MESSAGES[self.lang][key]
        if message not in self.changes:
            self.changes.append(message)

    def changes_for(self, sentences: list["_Sentence"]) -> list[str]:
        """The edits to the agent's sentences, then what the added sentences do."""
        changes = list(self.changes)
        for sentence in sentences:
            for key in sentence.notes:
                message = _CHANGE_MESSAGES[self.lang][key]
                if message not in changes:
                    changes.append(message)
        return changes

    @property
    def voice(self) -> tuple[str, str | None]:
        if self.lang == "en":
            return ("en", None)
        return ("nl", self.register or "informal")

    def phrase(self, name: str) -> str:
        """One of the phrases the rewrite adds (see _PHRASES), in this reply's voice."""
        return _PHRASES[self.voice][name]


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text)


# A fragment that starts with one of these cannot stand on its own ("Als u zo doorgaat.").
_SUBORDINATORS = {
    "als", "omdat", "wanneer", "zodra", "terwijl", "voordat", "nadat", "hoewel", "tenzij", "indien",
    "doordat", "zodat", "dat", "wie", "if", "because", "when", "while", "unless", "although", "since",
    "that", "who", "whoever",
}
# Clauses that only make sense after the clause before them ("..., dan was dit niet gebeurd").
_CONSEQUENCE_STARTS = re.compile(r"^(?:dan|daarom|dus|then|so|therefore)\b", re.I)
_COMMON_VERBS = {
    "nl": _DUTCH_FINITE_VERBS | {
        "hebt", "heb", "krijgt", "krijg", "sturen", "stuur", "stuurt", "zoeken", "kijken", "bellen",
        "ontvangt", "doen", "doet", "werkt", "helpt", "regelen", "vervangen", "betalen", "rekenen",
        "loopt", "liep", "passen", "zien", "zie", "weet", "ga", "kom", "zit", "staan", "reed",
    },
    "en": {
        "is", "are", "was", "were", "be", "been", "has", "have", "had", "will", "can", "could", "would",
        "should", "do", "does", "did", "may", "might", "must", "shall", "get", "got", "send", "sent",
        "take", "takes", "took", "make", "made", "go", "goes", "went", "arrive", "arrives", "arrived",
        "cost", "costs", "close", "closes", "open", "opens", "run", "runs", "ran", "lost", "need",
        "needs", "works", "work", "look", "sort", "check", "renews", "ended", "ends",
    },
}
# Plural nouns that end in -s like a verb ("ships", "arrives") but are not one.
_ENGLISH_NOT_VERBS = {
    "days", "weeks", "hours", "minutes", "months", "orders", "items", "customers", "terms", "others",
    "us", "yours", "ours", "this", "its", "his", "thanks",
}


def _has_verb(words: list[str], lang: str) -> bool:
    """Rough but enough to tell a clause from a leftover like "niet van ons magazijn"."""
    for word in words:
        lowered = word.lower()
        if lowered in _COMMON_VERBS[lang] or "'" in lowered or "’" in lowered:
            return True
        if lang == "nl" and (lowered.startswith("ge") and lowered.endswith(("d", "t", "en")) and len(lowered) > 5):
            return True
        if lang == "en" and len(lowered) > 3 and (
            lowered.endswith(("ed", "ing")) or lowered.endswith("s") and not lowered.endswith("ss") and lowered not in _ENGLISH_NOT_VERBS
        ):
            return True
        if lang == "nl" and lowered.endswith(("t", "en")) and len(lowered) >= 4 and lowered not in _NOT_VERBS_NL:
            return True
    return False


_NOT_VERBS_NL = _NOUNS_ENDING_IN_T | {
    "klanten", "kosten", "gegevens", "dagen", "weken", "uren", "minuten", "contact", "moment", "magazijn",
    "tarief", "niet", "het", "dat", "wat", "met", "tot", "echt", "best", "ooit", "eerst", "laatst", "net",
    "want", "zelfs", "juist", "morgen", "tegen", "even", "samen", "alleen", "binnen", "buiten", "open",
    "boven", "beneden", "heen", "geen", "een", "eens", "toen", "straks", "liefst", "meest", "zeven", "negen",
    "tien", "elf", "twaalf", "twintig", "dertig", "veertig", "vijftig", "zestig", "zeventig", "tachtig", "honderd",
    "laatste", "tijden", "mensen", "reizigers", "klachten", "regels", "zaken", "redenen", "volgens",
}


def _is_readable(fragment: str, lang: str, was_question: bool) -> bool:
    words = [word.lower() for word in _words(fragment)]
    if len(words) < 3 or words[0] in _SUBORDINATORS:
        return False
    if lang == "nl" and not was_question:
        # A Dutch statement does not start with its verb: "is het pakket bezorgd", or what is
        # left of "Als je beter had gelezen, wist je dit" ("wist je dit").
        if words[0] in _DUTCH_FINITE_VERBS:
            return False
        if words[1] in _SUBJECT_PRONOUNS - {"de", "het", "dit", "dat", "deze", "die", "er"} and words[0] not in _DUTCH_ADVERBS:
            return False
    return _has_verb(words, lang)


# Words a Dutch statement may start with before its verb and subject ("Morgen komt hij").
_DUTCH_ADVERBS = {
    "daar", "hier", "dan", "nu", "morgen", "vandaag", "gisteren", "ook", "toen", "zo", "dus", "daarom",
    "graag", "helaas", "gelukkig", "straks", "inmiddels", "natuurlijk", "zeker", "misschien", "vanmiddag",
    "vanavond", "vanochtend", "binnenkort", "meestal", "soms", "altijd", "daarna", "eerst", "wel", "nog",
}


def _finish_sentence(fragment: str, original: str) -> str:
    fragment = _DANGLING_START.sub("", fragment.strip())
    fragment = _DANGLING_END.sub(r"\1", fragment)
    fragment = fragment.strip(" ,;:-–—")
    if fragment and fragment[-1] not in ".!?…" and not _ends_with_emoji(fragment):
        end = re.search(r"[.!?…]+\W*$", original)
        fragment += "?" if end and "?" in end.group() else "."
    return _tidy(fragment)


def _ends_with_emoji(text: str) -> bool:
    return bool(text) and ord(text[-1]) > 0x2000 and not text[-1].isalnum()


_ENGLISH_SUBJECT_STARTS = {
    "the", "your", "you", "we", "our", "this", "that", "it", "i", "a", "an", "my", "they", "he", "she",
    "there", "these", "those", "its", "their", "his", "her",
}
_SUBJECT_PRONOUNS = {"het", "de", "ik", "we", "wij", "u", "je", "jij", "hij", "zij", "ze", "dit", "dat", "er", "deze", "die"}
_DETERMINERS = {"de", "het", "een", "uw", "je", "jouw", "ons", "onze", "dit", "deze", "dat", "die", "mijn", "zijn", "haar", "hun"}


def _restore_word_order(fragment: str) -> str | None:
    """What is left of "Volgens onze gegevens is uw pakket om 14:00 afgeleverd" starts with its
    verb; Dutch wants the subject first: "Uw pakket is om 14:00 afgeleverd"."""
    words = fragment.strip(" ,;:").split()
    if len(words) < 3 or words[0].lower() not in _DUTCH_FINITE_VERBS:
        return None
    verb, rest = words[0].lower(), words[1:]
    if rest[0].lower() in _DETERMINERS and len(rest) > 2:
        subject_length = 2
        # Adjectives between determiner and noun: "uw nieuwe pakket".
        while subject_length < len(rest) - 1 and rest[subject_length - 1].lower().endswith("e") and subject_length < 4:
            subject_length += 1
    elif rest[0].lower() in _SUBJECT_PRONOUNS:
        subject_length = 1
    else:
        return None
    # "uw pakket 4471829": a reference right after the noun belongs to the subject.
    while subject_length < len(rest) - 1 and re.fullmatch(r"#?[A-Z0-9-]*\d[A-Z0-9-]*", rest[subject_length]):
        subject_length += 1
    subject, tail = rest[:subject_length], rest[subject_length:]
    return " ".join([*subject, verb, *tail])


def _clauses(sentence: str) -> list[tuple[int, int]]:
    spans, last = [], 0
    for boundary in _CLAUSE_BREAK.finditer(sentence):
        if boundary.start() > last:
            spans.append((last, boundary.start()))
        last = boundary.end()
    spans.append((last, len(sentence)))
    return spans


# Words that open a phrase put in front of a sentence ("Volgens onze gegevens ...", "Zoals ik al
# zei ...", "According to our records ..."): cutting such a phrase leaves a whole sentence.
# Cutting anything else from the front ("Mensen zoals jij zijn ...") would leave a broken one.
_FRONTED_PHRASE_STARTS = {
    "nl": {"volgens", "zoals", "nogmaals", "uit", "in", "op", "bij", "voor", "na", "naar", "helaas",
           "eerlijk", "echt", "gewoon", "nou", "tja", "ach", "pff", "zucht", "kortom", "dus", "eigenlijk"},
    "en": {"according", "our", "as", "once", "for", "again", "actually", "honestly", "frankly", "clearly",
           "obviously", "seriously", "per", "based", "like", "look", "listen", "well", "so", "ugh", "sigh"},
}
# Never cut on its own: without it the sentence says the opposite ("Dit is NIET onze fout").
_NEGATIONS = {"niet", "geen", "nooit", "niets", "niks", "not", "no", "never", "nothing", "none", "nobody", "niemand"}


def _candidates(sentence: str, findings, lang: str, fact_spans: list[tuple[int, int]] = ()):
    """Ways to repair a sentence with warn-level findings, lightest first.

    ``findings`` carry offsets relative to the sentence. Words are only cut where what is left
    still reads as a sentence: a whole opening phrase ("Nogmaals, ...", "Volgens onze gegevens
    ..."), a single swear word or intensifier, or whole clauses.
    """
    # Calming alone may be enough ("!!!", capitals, a sigh).
    yield sentence
    clauses = _clauses(sentence)
    spans = sorted((f.start, f.end) for f in findings if f.end > f.start)
    # Words are cut around facts, never through them: an order number stays even if a rule flags it.
    cuttable = [(a, b) for a, b in spans if not any(a < fb and b > fa for fa, fb in fact_spans)]
    # After "not our fault" the clause left over is mostly who is to blame instead ("the bank
    # is slow"): it stays only when it carries something the customer needs.
    shifts_blame = any(f.category == "defensive" for f in findings)

    def may_keep(rest: str) -> bool:
        return not shifts_blame or bool(_HARD_FACT.search(rest))

    # An opening phrase: the flagged words start the sentence.
    opening = next(((a, b) for a, b in cuttable if not sentence[:a].strip()), None)
    if opening:
        start, end = opening
        last = next(((a, b) for a, b in clauses if a < end <= b), clauses[0])
        rest_of_clause = sentence[end:last[1]]
        following = next((a for a, _ in clauses if a >= last[1]), len(sentence))
        remainder = sentence[following:] if len(_words(rest_of_clause)) <= 2 else sentence[end:]
        phrase_start = (_words(sentence[start:end]) or [""])[0].lower()
        if len(_words(rest_of_clause)) <= 2:
            # "Nogmaals, ..." / "As I said before, ...": the whole clause goes, with its break;
            # unless what follows leans on it ("..., dan was dit niet gebeurd").
            if remainder.strip() and not _CONSEQUENCE_STARTS.match(remainder) and may_keep(remainder):
                yield remainder
        elif phrase_start in _FRONTED_PHRASE_STARTS[lang] and may_keep(remainder):
            # The phrase is cut from its clause. Dutch put the verb right after the phrase
            # ("Volgens onze gegevens is uw pakket ..."): it goes back after its subject.
            if lang == "nl":
                reordered = _restore_word_order(remainder)
                if reordered:
                    yield reordered
            elif _words(remainder) and _words(remainder)[0].lower() in _ENGLISH_SUBJECT_STARTS:
                yield remainder

    # One swear word or intensifier ("gewoon", "klote"); capitals are calmed, not cut.
    single_words = [
        (f.start, f.end) for f in findings
        if f.category == "emotional" and (f.start, f.end) in cuttable
        and len(_words(sentence[f.start:f.end])) == 1
        and not sentence[f.start:f.end].isupper()
        and sentence[f.start:f.end].lower() not in _NEGATIONS
    ]
    if single_words:
        yield _remove_spans(sentence, single_words)

    # Whole clauses go ("Dat klopt niet, ...", "..., maar dat ligt niet aan ons").
    if len(clauses) > 1:
        kept = []
        dropped_before = False
        for a, b in clauses:
            flagged = any(start < b and end > a for start, end in spans)
            depends = dropped_before and _CONSEQUENCE_STARTS.match(sentence[a:b].strip())
            if flagged or depends:
                dropped_before = True
                continue
            dropped_before = False
            kept.append(sentence[a:b].strip())
        if kept and len(kept) < len(clauses) and may_keep(" ".join(kept)):
            yield ", ".join(kept)


# A reference, amount, date, time or link: digits, an address, a URL.
_HARD_FACT = re.compile(r"\d|@|https?://|www\.")


def _remove_spans(text: str, spans: list[tuple[int, int]]) -> str:
    pieces, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            continue
        pieces.append(text[last:start])
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def rewrite(text: str, lang: str = "auto", context: Context | None = None, house: HouseRules | None = None) -> Rewrite:
    """A calmer version of ``text`` that keeps its facts, in the customer's register.

    ``house`` (a team's house rules, issue 4) adds the team's own rules to every check and
    gives the DM invitation and sign-off in the team's own words.
    """
    text = text if isinstance(text, str) else ""
    context = context or Context()
    language = detect_language(text) if lang in (None, "auto") else lang
    if not any(ch.isalnum() for ch in text):
        return _without_words(text, language, context, house)
    analysis = analyze_with(house, text, lang=language, context=context)
    if not analysis.findings and not _context_asks_for_more(text, language, context):
        return Rewrite(text, analysis.verdict, [])

    addressee = addressee_from_author(context.author) or _addressed_name(text)
    customer_register = register_of(context.comment or "", language) if context.comment else None
    if language == "nl" and customer_register is None and addressee is not None and addressee.formal:
        customer_register = "formal"
    own_register = register_of(text, language)
    plan = _Plan(language, customer_register or own_register, addressee, text, house)

    prepared = _prepare(text, analysis, plan, context)
    sentences = _assemble(prepared, plan, context)
    result_text = _join(sentences)
    final = plan.analyze(result_text, context)
    for _ in range(_MAX_REPAIR_ROUNDS):
        if final.verdict != "warn" or not _try_next_repairs(prepared, sentences, result_text, final, plan):
            break
        sentences = _assemble(prepared, plan, context)
        result_text = _join(sentences)
        final = plan.analyze(result_text, context)
    if final.verdict == "warn":
        sentences = _remove_remaining_warnings(result_text, final, sentences, plan)
        result_text = _join(sentences)
        final = plan.analyze(result_text, context)
    if final.verdict == "warn":
        plan.note("fallback")
        sentences = _safe_reply(text, plan, context)
        result_text = _join(sentences)
        final = plan.analyze(result_text, context)
    if result_text == text:
        return Rewrite(text, analysis.verdict, [])
    return Rewrite(result_text, final.verdict, plan.changes_for(sentences))


def _without_words(text: str, lang: str, context: Context, house: HouseRules | None) -> Rewrite:
    """Empty, whitespace, only emoji or only marks: nothing to rewrite but the marks ("🙄!!!")."""
    if not text.strip():
        return Rewrite(text, "ok", [])
    verdict = analyze_with(house, text, lang=lang, context=context).verdict
    if verdict != "warn":
        return Rewrite(text, verdict, [])
    calmer = _collapse_marks(text)
    verdict = analyze_with(house, calmer, lang=lang, context=context).verdict
    if verdict == "warn":
        calmer, verdict = "", "ok"  # marks that still read as anger are better not posted at all
    return Rewrite(calmer, verdict, [_CHANGE_MESSAGES[lang]["shouting"]])


def _context_asks_for_more(text: str, lang: str, context: Context) -> bool:
    """Even a reply without findings may need the customer's name or register."""
    addressee = addressee_from_author(context.author)
    if addressee is not None and not mentions_name(text, addressee):
        return True
    if context.comment:
        wanted = register_of(context.comment, lang)
        return wanted is not None and register_of(text, lang) not in (None, wanted)
    return False


@dataclass
class _Prepared:
    """The agent's reply taken apart once; each round of the rewrite assembles a reply from it."""

    text: str
    original_greeting: str
    sign_off: str
    sentences: list[_Sentence]  # the agent's sentences in order; text "" once dropped
    drafts: list[_Draft]
    warn_categories: set[str]
    review_categories: set[str]
    situation: str
    is_fan_thanks: bool


def _prepare(text: str, analysis, plan: _Plan, context) -> _Prepared:
    findings = analysis.findings
    greeting_end = _greeting_end(text)
    sign_off_match = _SIGN_OFF.search(text[greeting_end:])
    body_end = greeting_end + sign_off_match.start() if sign_off_match else len(text)

    all_facts = _fact_spans(text)
    sentences: list[_Sentence] = []
    drafts: list[_Draft] = []
    for sentence in split_sentences(text[:body_end]):
        start = max(sentence.start, greeting_end)
        if start >= sentence.end:
            continue
        original = text[start : sentence.end]
        facts = [fact for fact in all_facts if start <= fact.start < sentence.end]
        here = [f for f in findings if f.end > f.start and f.start < sentence.end and f.end > start]
        warn_here = [_shift(f, start) for f in here if f.severity == "warn"]
        current = _Sentence(calm_down(original), "agent", [fact.text for fact in facts])
        if current.text != _tidy(original):
            plan.note("shouting" if _looks_shouted(original) else "sigh")
        if warn_here:
            relative_facts = [_Fact(f.text, f.start - start, f.end - start) for f in facts]
            options = _repair_options(original, warn_here, relative_facts, plan.lang, sentence.is_question)
            current.text = options[0][0] if options else ""
            # Capitals, "!!!" and sighs are already reported as calmed; "emotional" is for the rest.
            categories = [
                f.category for f in warn_here
                if not (f.category == "emotional" and _calming_handles(original[f.start:f.end]))
            ]
            drafts.append(_Draft(current, options, categories))
        elif any(f.category == "cliche" for f in here) and not facts:
            current.text = ""
            plan.note("cliche")
        elif any(f.category == "empty-promise" for f in here):
            current.text = plan.phrase("best_effort")
            plan.note("empty-promise")
        sentences.append(current)
    return _Prepared(
        text=text,
        original_greeting=text[:greeting_end].strip(),
        sign_off=sign_off_match.group().strip() if sign_off_match else "",
        sentences=sentences,
        drafts=drafts,
        warn_categories={f.category for f in findings if f.severity == "warn"},
        review_categories={f.category for f in findings if f.severity != "warn"},
        situation=_situation(context.comment, text),
        is_fan_thanks=_is_fan_thanks(text, context, any(f.severity == "warn" for f in findings)),
    )


def _assemble(prepared: _Prepared, plan: _Plan, context) -> list[_Sentence]:
    """The whole new reply from the agent's sentences as they stand now."""
    text = prepared.text
    warn_categories_seen, review_categories = prepared.warn_categories, prepared.review_categories
    for draft in prepared.drafts:
        calming_was_enough = bool(draft.sentence.text) and draft.options[draft.tried][1]
        for category in draft.categories:
            if not (calming_was_enough and category == "emotional"):
                plan.note(category)

    # What was cut: facts go to the carrier, a sentence after a cut loses its "Maar". Names from
    # a sentence that shifted the blame ("de vertraging ligt bij PostNL") become who we sort it
    # out with; a name alone from an insult ("Lees de FAQ") is not worth a sentence of its own.
    blamed = {id(d.sentence) for d in prepared.drafts if "defensive" in d.categories}
    kept: list[_Sentence] = []
    dropped_facts: list[str] = []
    partners: list[str] = []
    previous_dropped = False
    for sentence in prepared.sentences:
        if not sentence.text:
            dropped_facts.extend(fact for fact in sentence.facts if not _is_name(fact))
            names = [fact for fact in sentence.facts if _is_name(fact)]
            if id(sentence) in blamed:
                partners.extend(names)
            elif any(not _is_name(fact) for fact in sentence.facts):
                dropped_facts.extend(names)  # "Philips" next to "WX-200" in the carrier reads fine
            previous_dropped = True
            continue
        copy = _Sentence(sentence.text, "agent", sentence.facts, sentence.notes, sentence)
        if previous_dropped:
            copy.text = _tidy(_DANGLING_START.sub("", copy.text))
        previous_dropped = False
        dropped_facts.extend(fact for fact in copy.facts if fact not in copy.text)
        kept.append(copy)

    if plan.lang == "nl" and plan.register:
        converted = [convert_register(s.text, plan.register) for s in kept]
        if any(new != s.text for new, s in zip(converted, kept)):
            plan.note(plan.register)
        for sentence, new_text in zip(kept, converted):
            sentence.text = new_text

    kept = _without_second_apology(kept, plan)
    is_fan_thanks, situation = prepared.is_fan_thanks, prepared.situation

    result: list[_Sentence] = []
    needs_acknowledgement = (
        not is_fan_thanks
        and (warn_categories_seen or review_categories & {"missing-empathy", "cliche"})
        and not any(_EMPATHY.search(s.text) for s in kept)
    )
    opening = _opening(plan, prepared.original_greeting, needs_acknowledgement, situation, kept)
    if opening:
        result.append(opening)
    if "missing-thanks" in review_categories and not is_fan_thanks:
        result.append(_Sentence(plan.phrase("thanks_for_reporting"), "opening", notes=("thanks",)))
    result.extend(kept)

    dropped_facts = list(dict.fromkeys(dropped_facts))
    hard_facts = [fact for fact in dropped_facts if not _is_name(fact)]
    partners = [name for name in dict.fromkeys(partners) if name not in " ".join(s.text for s in kept)]
    if hard_facts:
        result.append(_carrier(plan, dropped_facts))

    whole_reply = " ".join(s.text for s in result)
    wants_channel = "missing-private-channel" in review_categories or (
        bool(warn_categories_seen) and _NEEDS_DETAILS.search(" ".join(filter(None, [text, context.comment])))
    )
    if partners:
        ownership = plan.phrase("ownership_with").format(partners=_and_list(partners, plan.lang))
        result.append(_Sentence(ownership, "ownership", partners, ("ownership",)))
    if wants_channel and not is_fan_thanks and not _PRIVATE_CHANNEL.search(whole_reply):
        invitation = _invitation(plan, text, context.comment, offers_to_look_into_it=not partners)
        result.append(_Sentence(invitation, "invitation", notes=("invitation",)))
    elif not partners and not is_fan_thanks and (
        warn_categories_seen & {"defensive", "argumentative", "attacking", "dismissive", "impatient"}
        # Nothing of the agent's reply is left: an acknowledgement alone says nothing.
        or warn_categories_seen and not kept and not hard_facts
    ):
        closing = "what_can_be_done" if "dismissive" in warn_categories_seen else "ownership"
        result.append(_Sentence(plan.phrase(closing), "ownership", notes=("ownership",)))
    house_sign_off = plan.house.sign_off.get(plan.lang) if plan.house else None
    if house_sign_off or prepared.sign_off:
        result.append(_Sentence(house_sign_off or prepared.sign_off, "signoff"))
    return result


def _is_name(fact: str) -> bool:
    return all(ch.isalpha() or ch in " -'" for ch in fact)


def _and_list(items: list[str], lang: str) -> str:
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {'en' if lang == 'nl' else 'and'} {items[-1]}"


def _carrier(plan: _Plan, facts: list[str]) -> _Sentence:
    return _Sentence(_FACT_CARRIER[plan.lang].format(facts=", ".join(dict.fromkeys(facts))), "carrier", list(facts), ("facts",))


def _invitation(plan: _Plan, reply: str, comment: str | None, offers_to_look_into_it: bool = True) -> str:
    """The DM invitation; without the "we'll look into it" half when the reply already says so."""
    house_wording = plan.house.dm_wording.get(plan.lang) if plan.house else None
    if house_wording:
        return house_wording
    detail = _detail_to_ask(plan, reply, comment)
    variants = _INVITATIONS[plan.voice]
    if not offers_to_look_into_it:
        variants = [v for v in variants if not re.search(r"zoeken we|look into", v)]
    return _variant(variants, plan.seed, "invite").format(detail=detail)


def _shift(finding, offset: int) -> "_Span":
    """A finding's span relative to the sentence that starts at ``offset``."""
    return _Span(finding.category, max(0, finding.start - offset), finding.end - offset)


@dataclass(frozen=True)
class _Span:
    category: str
    start: int
    end: int


def _looks_shouted(text: str) -> bool:
    return bool(re.search(r"[!?]{2,}", text)) or any(_is_shouted(w, False) for w in _words(text))


def _repair_options(original: str, findings, facts: list[_Fact], lang: str, is_question: bool) -> list[tuple[str, bool]]:
    """Readable repairs of a flagged sentence, lightest first, those that keep every fact before
    those that do not. Each is (sentence, whether it is only the calmed original).

    ``findings`` and ``facts`` have offsets relative to ``original``. A repair that still has a
    flagged phrase word for word cannot be right and is left out, which saves analysing it."""
    fact_spans = [(fact.start, fact.end) for fact in facts]
    flagged = [
        original[f.start:f.end] for f in findings
        if f.end > f.start and not any(f.start < b and f.end > a for a, b in fact_spans)
    ]
    keeping, losing = [], []
    for index, candidate in enumerate(_candidates(original, findings, lang, fact_spans)):
        finished = _finish_sentence(calm_down(candidate), original)
        if not _is_readable(finished, lang, is_question) or any(phrase in finished for phrase in flagged):
            continue
        if (finished, index == 0) in keeping + losing:
            continue
        if all(fact.text in finished for fact in facts):
            keeping.append((finished, index == 0))
        else:
            losing.append((finished, index == 0))
    return keeping + losing


@dataclass
class _Draft:
    """A flagged sentence and the repairs still to try."""

    sentence: "_Sentence"
    options: list[tuple[str, bool]]
    categories: list[str]
    tried: int = 0


_MAX_REPAIR_ROUNDS = 4


def _try_next_repairs(prepared: _Prepared, sentences: list[_Sentence], text: str, analysis, plan: _Plan) -> bool:
    """After the whole reply was analysed: each of the agent's sentences that still warns moves
    on to its next repair (or is dropped when none is left). False when there is nothing to try.

    The reply is analysed once per round rather than once per candidate: that keeps a rewrite
    fast. A sentence that did not warn in the original can warn here (a rule anchored at the
    start of a sentence, once the greeting before it went); it then gets repairs of its own,
    found by locating the flagged words in it."""
    failing: dict[int, tuple[_Sentence, list]] = {}
    for finding in analysis.findings:
        if finding.severity != "warn":
            continue
        for sentence, (start, end) in zip(sentences, _positions(text, sentences)):
            if sentence.source is not None and finding.start < end and finding.end > start:
                failing.setdefault(id(sentence.source), (sentence.source, []))[1].append(finding)
    for agent_sentence, findings in failing.values():
        draft = next((d for d in prepared.drafts if d.sentence is agent_sentence), None)
        if draft is None:
            spans = []
            for finding in findings:
                flagged = text[finding.start:finding.end]
                position = agent_sentence.text.find(flagged)
                if position >= 0:
                    spans.append(_Span(finding.category, position, position + len(flagged)))
            options = _repair_options(agent_sentence.text, spans, _facts_at(agent_sentence), plan.lang,
                                      agent_sentence.text.endswith("?")) if spans else []
            draft = _Draft(agent_sentence, options, [f.category for f in findings], tried=-1)
            prepared.drafts.append(draft)
        draft.tried += 1
        agent_sentence.text = draft.options[draft.tried][0] if draft.tried < len(draft.options) else ""
    return bool(failing)


def _positions(text: str, sentences: list[_Sentence]) -> list[tuple[int, int]]:
    """Where each sentence stands in the joined reply (see _join)."""
    positions, position = [], 0
    for sentence in sentences:
        if sentence.kind == "signoff":
            position = text.find(sentence.text, position)
        positions.append((position, position + len(sentence.text)))
        position += len(sentence.text) + 1
    return positions


def _facts_at(sentence: _Sentence) -> list[_Fact]:
    facts = []
    for fact in sentence.facts:
        position = sentence.text.find(fact)
        if position >= 0:
            facts.append(_Fact(fact, position, position + len(fact)))
    return facts


def _without_second_apology(sentences: list[_Sentence], plan: _Plan) -> list[_Sentence]:
    """"Sorry! ... Excuses nogmaals." reads like a template: keep the first apology only,
    unless the second one carries facts."""
    seen_apology = False
    kept = []
    for sentence in sentences:
        if _APOLOGY.search(sentence.text):
            if seen_apology and not sentence.facts and len(_words(sentence.text)) <= 6:
                plan.note("apology")
                continue
            seen_apology = True
        kept.append(sentence)
    return kept


def _is_fan_thanks(text: str, context, agent_warned: bool) -> bool:
    """A thank-you or praise, not a complaint: no acknowledgement of trouble, no DM.
    The customer's comment decides when we have it; otherwise the reply must be a happy one."""
    comment = context.comment
    if comment:
        return bool(_THANKS_TO_FAN.search(comment)) and not _COMPLAINT.search(comment)
    return not agent_warned and bool(_THANKS_TO_FAN.search(text)) and not _COMPLAINT.search(text)


def _opening(plan: _Plan, original_greeting: str, acknowledge: bool, situation: str, kept: list[_Sentence]) -> _Sentence | None:
    """Greeting and acknowledgement in one sentence, as a person would write it:
    "Hoi Sanne, wat balen dat je nog steeds moet wachten."."""
    addressee = plan.addressee
    body_text = " ".join(s.text for s in kept)
    name = None
    if addressee is not None and not mentions_name(body_text, addressee):
        name = addressee.form_of_address(plan.lang)
    acknowledgement = _variant(_ACKNOWLEDGEMENTS[plan.voice][situation], plan.seed, "ack") if acknowledge else None
    notes = ("acknowledgement",) if acknowledgement else ()

    if name and mentions_name(original_greeting, addressee):
        salutation = original_greeting.rstrip(" ,!.:\n")  # the agent's own "Dear Mrs. Thompson"
    elif name:
        notes += ("name",)
        greeting_word = plan.phrase("greeting")
        if plan.lang == "en" and addressee.formal:
            greeting_word = "Hello"
        salutation = f"{greeting_word} {name}"
    elif original_greeting:
        salutation = original_greeting.rstrip(" ,!.:\n")
    else:
        salutation = None

    if salutation and acknowledgement:
        return _Sentence(_tidy(f"{salutation}, {acknowledgement}."), "opening", notes=notes)
    if acknowledgement:
        return _Sentence(_tidy(f"{acknowledgement}."), "opening", notes=notes)
    if salutation and kept:
        facts = [f for s in kept for f in s.facts]
        kept[0].text = f"{salutation}, {_lowercase_first(kept[0].text, facts)}"
        kept[0].notes += notes
        return None
    if salutation:
        return _Sentence(_tidy(f"{salutation}!"), "greeting", notes=notes)
    return None


def _join(sentences: list[_Sentence]) -> str:
    body = " ".join(s.text for s in sentences if s.kind != "signoff" and s.text)
    sign_offs = [s.text for s in sentences if s.kind == "signoff"]
    return "\n".join([body, *sign_offs]).strip()


def _remove_remaining_warnings(text: str, final, sentences: list[_Sentence], plan: _Plan) -> list[_Sentence]:
    """Drop whichever sentence still warns; the facts of the agent's sentences move to the carrier."""
    positions = _positions(text, sentences)
    bad = {
        index
        for finding in final.findings
        if finding.severity == "warn"
        for index, (start, end) in enumerate(positions)
        if finding.start < end and finding.end > start
    }
    carried = [fact for index in bad for fact in sentences[index].facts if sentences[index].kind == "agent"]
    remaining = [s for index, s in enumerate(sentences) if index not in bad]
    if carried:
        position = next((i for i, s in enumerate(remaining) if s.kind in ("ownership", "invitation", "signoff")), len(remaining))
        remaining.insert(position, _carrier(plan, carried))
    return remaining


def _safe_reply(text: str, plan: _Plan, context) -> list[_Sentence]:
    """Last resort: name, acknowledgement, every fact, and an offer to sort it out privately."""
    situation = _situation(context.comment, text)
    result = []
    opening = _opening(plan, "", True, situation, [])
    if opening:
        result.append(opening)
    facts = facts_in(text)
    if facts:
        result.append(_carrier(plan, facts))
    result.append(_Sentence(_invitation(plan, text, context.comment), "invitation", notes=("invitation",)))
    house_sign_off = plan.house.sign_off.get(plan.lang) if plan.house else None
    if house_sign_off:
        result.append(_Sentence(house_sign_off, "signoff"))
    return result
