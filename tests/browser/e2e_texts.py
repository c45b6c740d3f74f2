"""Replies used by the browser tests. Whether a reply warns is decided by the real helper; the tests
check the helper's verdict first (helper.analyze) so a rules change shows up as a clear message."""

# Dutch replies to Sanne (informal thread).
RISKY = "Zoals ik al zei: daar kunnen wij niets aan doen. Dat is uw eigen schuld."
RISKY_2 = "Nogmaals, dat ligt niet aan ons maar aan de bezorger. Klaar ermee."
SAFE = "Hoi Sanne, wat fijn dat je het laat weten! Stuur ons even een DM met je bestelnummer, dan zoeken we het meteen voor je uit."
# An emoji (a surrogate pair in UTF-16) before the flagged words.
EMOJI_RISKY = "😊 Zoals ik al zei: daar kunnen wij niets aan doen."
# English reply to Peter Smith.
RISKY_EN = "As I said before, that is not our fault. Nothing we can do about it."
SAFE_EN = "Thanks for letting us know, Peter! Could you send us a DM with your order number? We will sort it out today."
