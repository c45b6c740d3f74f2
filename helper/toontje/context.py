"""What the thread tells us about the customer: who they are, how they write, how angry they are.

Used by the analysis (missing-name, register-mismatch, the "let them have the last word"
hint of seed 003 tip 5) and by the rewrite (greeting by name, matching je/u).
Everything here is plain string work: no corpora, no network, fast enough to run per keystroke.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "Addressee",
    "addressee_from_author",
    "register_of",
    "is_pure_anger",
    "mentions_name",
]

# --- names -------------------------------------------------------------------------------

# Honorifics as they appear in display names, mapped to one canonical English title.
# "mr." is ambiguous: in Dutch it is also "meester in de rechten" (a law degree), but in a
# Facebook/LinkedIn display name it is far more often the English "Mister"; we read it as Mister.
_HONORIFICS = {
    "dhr": "Mr", "de heer": "Mr", "heer": "Mr", "meneer": "Mr", "mnr": "Mr", "mijnheer": "Mr",
    "mr": "Mr", "mister": "Mr", "sir": "Mr",
    "mevr": "Ms", "mevrouw": "Ms", "mw": "Ms", "mvr": "Ms", "mej": "Ms", "mejuffrouw": "Ms",
    "ms": "Ms", "mrs": "Mrs", "miss": "Miss",
    "mx": "Mx",
}
# Academic titles make the name formal but say nothing about how to address the person.
_ACADEMIC_TITLES = {"dr", "drs", "prof", "ir", "ing", "ds", "dipl"}

# Dutch surname particles ("tussenvoegsels"). Dutch spelling: lower case after a first name or
# initial ("P. de Vries"), capital when the surname stands alone ("meneer De Vries").
_PARTICLES = {
    "de", "den", "der", "van", "von", "het", "'t", "t", "te", "ten", "ter", "in", "op", "onder",
    "la", "le", "du", "des", "da", "di", "del", "d'", "l'", "aan", "bij", "uit", "uijt", "voor",
}

# Words that make a display name a page (company, shop, team) rather than a person.
_PAGE_WORDS = {
    "bv", "b.v.", "b.v", "nv", "n.v.", "vof", "v.o.f.", "cv", "c.v.", "bvba", "ltd", "ltd.",
    "inc", "inc.", "llc", "gmbh", "plc", "corp", "co.", "sarl",
    "stichting", "vereniging", "gemeente", "bakkerij", "slagerij", "kapsalon", "garage",
    "winkel", "shop", "store", "restaurant", "cafe", "café", "hotel", "klantenservice",
    "webcare", "team", "support", "official", "officieel", "company", "group", "groep",
    "foundation", "services", "service", "nederland", "benelux", "media", "makelaardij",
    "verzekeringen", "bank", "club", "fc", "sv", "vv", "studio", "bureau", "administratie",
}
_MAX_PERSON_NAME_WORDS = 6

# Emoji, pictographs and other symbols people put in display names.
_SYMBOL_CATEGORIES = {"So", "Sk", "Sm", "Cs", "Co", "Cn", "Mn", "Me", "Cf"}


@dataclass(frozen=True)
class Addressee:
    """The customer a reply answers, as far as their display name tells us.

    ``salutation`` is how to address them in the language their name is written in:
    the first name when informal, "meneer De Vries" / "mevrouw Jansen" / "Mr Smith" when the
    name carries a title. ``form_of_address(lang)`` gives it in the reply's language.
    """

    first_name: str | None
    salutation: str
    formal: bool
    surname: str | None = None
    # Canonical English title (Mr, Ms, Mrs, Miss, Mx) or None.
    honorific: str | None = None

    def form_of_address(self, lang: str) -> str:
        """How to address this person in a reply written in ``lang`` ("nl" or "en")."""
        if not self.formal or not self.surname or not self.honorific:
            return self.salutation
        standalone_surname = _capitalise_particle(self.surname)
        if lang == "nl":
            dutch_title = {"Mr": "meneer", "Ms": "mevrouw", "Mrs": "mevrouw", "Miss": "mevrouw"}
            title = dutch_title.get(self.honorific)
            # Dutch has no gender-neutral title; the full name is the polite fallback.
            if title is None:
                return self._full_name()
            return f"{title} {standalone_surname}"
        # British usage: no full stop after Mr/Ms. Fine for Dutch webcare writing English too.
        return f"{self.honorific} {standalone_surname}"

    def _full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.surname) if part) or self.salutation


def _strip_symbols(text: str) -> str:
    kept = []
    for char in text:
        if unicodedata.category(char) in _SYMBOL_CATEGORIES and char not in "'’":
            kept.append(" ")
        else:
            kept.append(char)
    return "".join(kept)


def _fix_case(word: str) -> str:
    """'jan' -> 'Jan', 'SANNE' -> 'Sanne', 'jan-willem' -> 'Jan-Willem'; 'McDonald' stays."""
    if not word:
        return word
    parts = []
    for part in word.split("-"):
        if part.islower() or part.isupper():
            part = part.lower()
        parts.append(part[:1].upper() + part[1:])
    return "-".join(parts)


def _capitalise_particle(surname: str) -> str:
    """'de Vries' -> 'De Vries', 'van der Berg' -> 'Van der Berg' (only the first word)."""
    return surname[:1].upper() + surname[1:]


def _is_initials(token: str) -> bool:
    """'P.', 'P.J.', 'PJ.', 'P' - a given name written as initials."""
    return bool(re.fullmatch(r"(?:[A-Za-z]\.)+|[A-Z]{1,3}\.|[A-Z]", token))


def _is_name_word(token: str) -> bool:
    return bool(re.fullmatch(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*\.?", token))


def _build_surname(tokens: list[str]) -> str | None:
    if not tokens:
        return None
    words = []
    for token in tokens:
        lowered = token.lower()
        if lowered in _PARTICLES:
            words.append(lowered)
        else:
            words.append(_fix_case(token))
    return " ".join(words)


def _take_honorific(tokens: list[str]) -> tuple[str | None, bool, list[str]]:
    """Remove leading titles. Returns (canonical honorific, any title seen, remaining tokens)."""
    honorific = None
    saw_title = False
    while tokens:
        first = tokens[0].lower().rstrip(".")
        two = " ".join(t.lower().rstrip(".") for t in tokens[:2])
        if two in _HONORIFICS and len(tokens) > 2:
            honorific, saw_title, tokens = _HONORIFICS[two], True, tokens[2:]
        elif first in _HONORIFICS and len(tokens) > 1:
            honorific, saw_title, tokens = _HONORIFICS[first], True, tokens[1:]
        elif first in _ACADEMIC_TITLES and len(tokens) > 1:
            saw_title, tokens = True, tokens[1:]
        else:
            break
    return honorific, saw_title, tokens


@lru_cache(maxsize=1024)  # the same thread's author comes with every keystroke
def addressee_from_author(author: str | None) -> Addressee | None:
    """Who to greet, from a thread's display name; None when it is not a usable person's name.

    Handles ("@sanne_db"), page names ("Bakkerij Jansen B.V."), bare initials and names made
    only of emoji give None: greeting those would look odd or wrong in public.
    """
    if not author or not author.strip():
        return None
    name = author.strip()
    if name.startswith("@"):
        return None
    # "Sanne de Boer | Coach", "Sanne de Boer (Utrecht)", "Sanne de Boer - Fotografie"
    name = re.split(r"\s[|·•–—-]\s|\s*[|(,/]", name, maxsplit=1)[0]
    name = " ".join(_strip_symbols(name).split())
    tokens = name.split()
    if not tokens or len(tokens) > _MAX_PERSON_NAME_WORDS:
        return None
    if any(token.lower() in _PAGE_WORDS or token.lower().rstrip(".") in _PAGE_WORDS for token in tokens):
        return None
    if any(not _is_name_word(token) for token in tokens):
        return None

    honorific, formal, tokens = _take_honorific(tokens)
    if not tokens:
        return None

    first_name = None
    rest = tokens
    if _is_initials(tokens[0]):
        # Initials make the name formal: "P. de Vries" signs like a letter, not a chat.
        formal = True
        while rest and _is_initials(rest[0]):
            rest = rest[1:]
    elif honorific and len(tokens) == 1:
        # "mw. Jansen", "Mrs. Smith": after a title a lone word is the surname.
        pass
    elif tokens[0].lower() not in _PARTICLES or len(tokens) == 1:
        first_name = _fix_case(tokens[0].rstrip("."))
        rest = tokens[1:]
    surname = _build_surname(rest)

    if formal:
        if honorific and surname:
            salutation = f"{_dutch_or_english_title(honorific, author)} {_capitalise_particle(surname)}"
        elif surname:
            # No title to go by: "P. de Vries" is addressed by the name as written.
            initials = " ".join(t for t in tokens if _is_initials(t))
            salutation = " ".join(part for part in (initials or first_name, surname) if part)
        elif first_name:
            salutation = first_name
        else:
            return None
        return Addressee(first_name, salutation, True, surname, honorific)

    if first_name is None:
        return None
    return Addressee(first_name, first_name, False, surname, None)


def _dutch_or_english_title(honorific: str, author: str) -> str:
    """Write the salutation in the language the author's own title is in."""
    lowered = author.lower()
    dutch_title_written = re.search(r"\b(dhr|de heer|heer|meneer|mijnheer|mnr|mevr|mevrouw|mw|mvr|mej)\b", lowered)
    if dutch_title_written:
        return "meneer" if honorific == "Mr" else "mevrouw"
    return honorific


# --- register (je versus u) --------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
# Quoted stretches are someone else's words (often the customer's, quoted back).
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|„[^”“]*[”“]|‘[^’]*’|«[^»]*»|(?<!\w)'[^']*'(?!\w)")

_INFORMAL_NL = {"je", "jij", "jou", "jouw", "jezelf", "jouwe", "jullie", "julliezelf"}
_FORMAL_NL = {"u", "uw", "uzelf", "uwe"}
# "jullie" addresses a group (often the company itself); a formal writer would still use "u",
# so it counts as an informal signal, but a weaker one than "je/jij".
_WEAK_INFORMAL_NL = {"jullie", "julliezelf"}


def _without_quotes(text: str) -> str:
    return _QUOTED.sub(" ", text)


def register_of(text: str, lang: str) -> str | None:
    """"informal" (je/jij/jouw), "formal" (u/uw) or None when the text does not show it.

    English has no T/V distinction in its pronouns, so English gives None: casual tone is not
    a reliable enough signal to make the agent change how they address someone.
    """
    if lang != "nl" or not text:
        return None
    informal = formal = 0.0
    for match in _WORD.finditer(_without_quotes(text)):
        word = match.group().lower().replace("’", "'")
        if word in _FORMAL_NL:
            formal += 1
        elif word in _WEAK_INFORMAL_NL:
            informal += 0.5
        elif word in _INFORMAL_NL:
            informal += 1
    if informal == formal:
        return None
    return "informal" if informal > formal else "formal"


# --- pure anger (seed 003, tip 5) ----------------------------------------------------------

_ANGER_WORDS = {
    "nl": {
        "waardeloos", "waardeloze", "oplichters", "oplichter", "oplichterij", "boeven", "dieven",
        "klote", "kut", "kanker", "tering", "tyfus", "godverdomme", "verdomme", "getver",
        "shit", "fuck", "belachelijk", "belachelijke", "schandalig", "schandalige", "schande",
        "idioten", "idioot", "debielen", "debiel", "sukkels", "prutsers", "amateurs", "amateuristisch",
        "incompetent", "incompetente", "kansloos", "bagger", "zooi", "rotzooi", "walgelijk",
        "triest", "bah", "slechtste", "zielig", "zieligste", "bedriegers", "criminelen",
        "tuig", "nep", "flut", "lachertje", "grap", "minkukels", "ezels", "clowns", "fuckers",
    },
    "en": {
        "useless", "pathetic", "scam", "scammers", "thieves", "crooks", "idiots", "idiot", "morons",
        "moron", "clowns", "joke", "disgrace", "disgraceful", "disgusting", "terrible", "worst",
        "garbage", "trash", "rubbish", "shit", "crap", "fuck", "fucking", "wtf", "hate", "awful",
        "ridiculous", "shameful", "incompetent", "liars", "frauds", "fraud", "bullshit", "damn",
        "sucks", "suck", "horrible", "shambles", "shocking", "appalling", "losers",
    },
}
# Compounds like "klotebedrijf", "kutservice", "shitcompany" are anger too.
_ANGER_PREFIXES = ("klote", "kut", "tering", "kanker", "tyfus", "rot", "shit", "fuck", "kk")

# Words that carry no argument: pronouns, articles, auxiliaries, intensifiers, the company
# as "jullie/you". Whatever else is left counts as content the customer is arguing with.
_FILLER_WORDS = {
    "nl": {
        "jullie", "je", "jij", "u", "ik", "wij", "we", "zij", "ze", "hij", "het", "de", "een", "is",
        "zijn", "ben", "bent", "was", "waren", "wat", "echt", "zo", "heel", "totaal", "compleet",
        "gewoon", "weer", "nooit", "meer", "ooit", "allemaal", "stelletje", "stel", "bedrijf", "club",
        "tent", "jongens", "hoor", "zeg", "nou", "toch", "alleen", "maar", "en", "of", "dit", "dat",
        "die", "deze", "van", "met", "voor", "zeer", "super", "mega", "ontzettend", "enorm", "ook",
        "niks", "niets", "al", "weg", "schaam", "schamen", "jezelf", "jullie", "service",
        "klantenservice", "bende", "zooitje", "wel", "er", "hier", "daar", "jou", "jouw", "uw",
        "mijn", "me", "mij", "als", "dan", "te", "om", "in", "op", "aan", "nog", "niet", "geen",
        "bij", "naar", "uit", "moeten", "moet",
    },
    "en": {
        "you", "your", "you're", "youre", "are", "is", "a", "an", "the", "what", "so", "such",
        "really", "totally", "completely", "just", "again", "never", "ever", "all", "bunch", "of",
        "company", "guys", "this", "that", "these", "those", "and", "or", "absolutely", "very",
        "utterly", "i", "we", "they", "it", "it's", "its", "be", "been", "being", "am", "was",
        "were", "service", "customer", "shame", "on", "too", "also", "nothing", "but", "here",
        "there", "my", "me", "to", "in", "at", "for", "with", "not", "no", "go", "hell", "lot",
        "company's", "people", "serious", "seriously", "literally", "most", "from", "by", "guys",
    },
}
# Wanting something is an argument: a request or a question the agent can answer.
_REQUEST_WORDS = {
    "nl": {"graag", "alsjeblieft", "alstublieft", "wanneer", "waarom", "hoe", "hoelang", "wil",
           "willen", "kunnen", "kun", "kunt", "zou", "zouden", "terug", "retour", "vergoeding"},
    "en": {"please", "pls", "when", "why", "how", "want", "would", "could", "can", "refund",
           "back", "return", "need"},
}
_MAX_CONTENT_WORDS = 1


def _shouts(text: str) -> bool:
    shouted = [w for w in _WORD.findall(text) if len(w) >= 4 and w.isupper()]
    return len(shouted) >= 2


def is_pure_anger(comment: str | None, lang: str) -> bool:
    """True when the comment is anger without an argument: insults, swearing or shouting and
    nothing the company could answer (no facts, numbers, question or request).

    Conservative on purpose: it feeds a hint to perhaps not reply at all, so a comment that
    says anything concrete ("al 3 weken geen pakket") is never pure anger.
    """
    if not comment or not comment.strip():
        return False
    lang = lang if lang in _ANGER_WORDS else "nl"
    if "?" in comment or re.search(r"\d", comment) or re.search(r"https?://|www\.|@", comment):
        return False
    words = [w.lower().replace("’", "'") for w in _WORD.findall(comment)]
    if not words:
        return False
    anger = [w for w in words if w in _ANGER_WORDS[lang] or w.startswith(_ANGER_PREFIXES) and len(w) > 5]
    exclaimed = "!!" in comment
    if not anger and not (_shouts(comment) and exclaimed):
        return False
    if any(w in _REQUEST_WORDS[lang] for w in words):
        return False
    content = [w for w in words if w not in anger and w not in _FILLER_WORDS[lang]]
    return len(content) <= _MAX_CONTENT_WORDS


# --- names in a reply --------------------------------------------------------------------


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def mentions_name(reply: str, addressee: Addressee | None) -> bool:
    """Does the reply address this person: their first name, or their surname when formal?"""
    if addressee is None or not reply:
        return False
    folded_reply = _fold(reply)
    candidates = [addressee.first_name] if addressee.first_name else []
    if addressee.formal and addressee.surname:
        candidates.append(addressee.surname)
    for name in candidates:
        words = re.findall(r"[a-z0-9]+", _fold(name))
        # The name's words as whole words, with anything but letters and digits between them.
        if words and re.search(r"(?<![a-z0-9])" + "[^a-z0-9]+".join(words) + "(?![a-z0-9])", folded_reply):
            return True
    return False
