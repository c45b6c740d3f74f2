"""Offline nl/en language detection by function-word scoring.

Short webcare replies are full of function words, so counting them is fast and reliable
enough. Words that are common in both languages ("is", "in", "we", "of", "die", "was")
are left out. A tie, a mixed text or a text without function words counts as Dutch,
because most agents write Dutch.
"""

from __future__ import annotations

from .text import Token, tokenize

_DUTCH = frozenset(
    """de het een en van dat niet je jij jou jouw u uw jullie wij ons onze zijn hebben heeft hebt
    ik mij mijn wat voor met op aan er maar ook nog wel naar bij uit om zo dan als dit deze
    wordt worden werd kan kunnen kun wil willen graag moet moeten zal zullen zou zouden geen
    niets niks al heel erg hoe waarom wanneer waar hier daar dus omdat toch even helaas bedankt
    dank jammer vervelend hoor hè nee ja bent ben zijn geweest gaan gaat ga komt komen
    vandaag morgen gisteren alvast groet groetjes hallo hoi beste meneer mevrouw klopt""".split()
)
_ENGLISH = frozenset(
    """the a an and of to that not you your yours it its our ours us they them their i my me
    what for with on at but also still just from about so then as this these those will would
    can could should must shall no nothing none all very how why when where here there because
    really please thanks thank unfortunately hi hello dear are am be been being has have
    had do does did don't can't won't isn't it's we're you're i'm we've let know get got today
    tomorrow yesterday team again cheers regards another great any more some like just never
    ugh fine calm down there's that's we'll you'll you've haven't didn't doesn't let's which""".split()
)


def detect_language(text: str, tokens: list[Token] | None = None) -> str:
    """Return "en" when English function words clearly outnumber Dutch ones, otherwise "nl".

    `tokens`: text.tokenize(text) when the caller has them already.
    """
    dutch = english = 0
    for token in tokenize(text) if tokens is None else tokens:
        if token.kind != "word":
            continue
        if token.norm in _DUTCH:
            dutch += 1
        elif token.norm in _ENGLISH:
            english += 1
    return "en" if english > dutch * 1.5 and english >= 2 or english > 0 and dutch == 0 else "nl"
