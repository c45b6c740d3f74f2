"""analyze(): traps, offsets, quotes, negation, questions, language, sentiment, verdicts, context."""

import pytest

from toontje.analysis import Analysis, Context, Finding, _merge, analyze, risk_score
from toontje.language import detect_language
from toontje.sentiment import sentiment
from toontje.text import Utf16Offsets, quoted_spans, split_sentences, tokenize, utf16_offset


def rules_of(result: Analysis) -> set[str]:
    return {finding.rule for finding in result.findings}


def categories_of(result: Analysis) -> set[str]:
    return {finding.category for finding in result.findings}


# --- traps from WEBCARE.md: good replies with "maar", "helaas", "niet", "klopt", "schuld", "fout"

TRAPS = [
    ("nl", "Dat klopt, daar hebben wij een steek laten vallen."),
    ("nl", "Helaas lukt het vandaag niet meer, maar morgen staat er een monteur voor je klaar."),
    ("nl", "Dit is inderdaad onze schuld."),
    ("nl", "Dat ligt aan ons, sorry!"),
    ("nl", "Je hebt helemaal gelijk, dat is niet de bedoeling."),
    ("nl", "Klopt het dat u om 10 uur belde?"),
    ("nl", 'U schreef "belachelijke service" en daar baalden we van.'),
    ("nl", "Wat vervelend, sorry dat het misging!"),
    ("nl", "Dat was echt fout van ons. Stuur je ordernummer via DM, dan maken we het goed."),
    ("nl", "Nogmaals excuses, Sanne, en bedankt voor je geduld."),
    ("nl", "Dank je wel, Eva!"),
    ("nl", "Goed voor te stellen dat dit behoorlijk teleurstellend is, Tom. Het is natuurlijk niet de bedoeling "
           "dat de stofzuiger je huis juist viezer maakt. Stuur ons even een DM met je gegevens, dan zorgen we "
           "ervoor dat je een wél goed werkend apparaat krijgt!"),
    ("en", "You're right, that's on us and we're sorry."),
    ("en", "Unfortunately it won't be today, but tomorrow an engineer will be there for you."),
    ("en", "Is it true that you called at 10?"),
    ("en", 'You wrote "ridiculous service" and we hated reading that.'),
    ("en", "Thanks so much, Eva!"),
]


@pytest.mark.parametrize("lang, text", TRAPS)
def test_good_replies_do_not_warn(lang, text):
    result = analyze(text, lang)
    assert result.verdict != "warn", [(f.rule, text[f.start:f.end]) for f in result.findings]


@pytest.mark.parametrize(
    "lang, text, category",
    [
        ("nl", "Dat is toch echt uw eigen schuld.", "attacking"),
        ("nl", "U vergist zich, de actie liep tot mei.", "argumentative"),
        ("nl", "Wij doen niets fout, dat ligt niet aan ons.", "defensive"),
        ("nl", "Zoals ik al zei: de monteur komt morgen.", "impatient"),
        ("nl", "Daar kunnen wij niets aan doen.", "dismissive"),
        ("nl", "PFF, DAT HEBBEN WE AL GEZEGD!!!", "emotional"),
        ("nl", "Ja hoor, natuurlijk.", "attacking"),
        ("nl", "Nog één zo'n reactie en we blokkeren je.", "attacking"),
        ("nl", "Dat is de schuld van de bezorger.", "defensive"),
        ("en", "That's your own fault.", "attacking"),
        ("en", "According to our records the parcel was delivered.", "argumentative"),
        ("en", "As I said, we can't refund this.", "impatient"),
        ("en", "Tough luck, that's just how it is.", "dismissive"),
        ("en", "WE DID NOTHING WRONG!!!", "emotional"),
    ],
)
def test_escalating_replies_warn_with_the_right_category(lang, text, category):
    result = analyze(text, lang)
    assert result.verdict == "warn"
    assert category in {f.category for f in result.findings if f.severity == "warn"}


# --- who is blamed, negation, questions, quotes -------------------------------------------


def test_blaming_the_customer_warns_but_blaming_ourselves_does_not():
    assert "attacking" in categories_of(analyze("Dat is uw eigen schuld.", "nl"))
    assert "attacking" not in categories_of(analyze("Dit is inderdaad onze schuld.", "nl"))
    assert "defensive" in categories_of(analyze("Dat ligt niet aan ons.", "nl"))
    assert "defensive" not in categories_of(analyze("Dat ligt aan ons.", "nl"))


def test_negation_decides():
    assert "argumentative" in categories_of(analyze("U heeft geen gelijk.", "nl"))
    assert "argumentative" not in categories_of(analyze("U heeft helemaal gelijk.", "nl"))
    assert "defensive" in categories_of(analyze("We doen niets fout.", "nl"))
    assert analyze("Dat is niet de bedoeling.", "nl").verdict != "warn"


def test_a_question_is_not_a_contradiction():
    assert analyze("Klopt het dat u om 10 uur belde?", "nl").verdict == "ok"
    statement = analyze("Dat klopt niet.", "nl")
    assert statement.verdict == "warn" and "nl-that-is-not-true" in rules_of(statement)


def test_quoted_customer_words_are_not_the_agent_speaking():
    quoted = 'U schreef "belachelijke service" en daar baalden we van.'
    assert "attacking" not in categories_of(analyze(quoted, "nl"))
    assert "attacking" in categories_of(analyze("Belachelijke service, dat is belachelijk.", "nl"))
    for text in ("U schreef „belachelijk” en dat snappen we.", "U schreef ,,belachelijk” en dat snappen we.",
                 "U schreef “belachelijk” en dat snappen we."):
        assert "attacking" not in categories_of(analyze(text, "nl")), text


def test_reported_customer_words_are_not_the_agent_speaking():
    assert analyze("U schrijft dat onze service belachelijk is, en dat snappen we.", "nl").verdict != "warn"
    assert analyze("You said our service is ridiculous, and we get that.", "en").verdict != "warn"
    # ... but the reporting itself can still be a debate.
    assert "argumentative" in categories_of(analyze("U zegt wel dat u belde, maar wij zien niets.", "nl"))
    assert "argumentative" in categories_of(analyze("Wat u zegt klopt niet.", "nl"))


def test_links_handles_and_codes_are_not_words_of_the_agent():
    text = "Kijk op https://example.com/HELP-NU-NIET of mail naar KLACHT@example.com, @BOOS_KLANT."
    assert analyze(text, "nl").verdict == "ok"
    assert analyze("@SHOUTY_USER thanks for reaching out!", "en").verdict == "ok"


def test_a_greeting_does_not_hide_a_sentence_opener():
    assert "attacking" in categories_of(analyze("Hé Joris, rustig maar, iedereen moet wachten.", "nl"))
    assert "attacking" in categories_of(analyze("Hey Joe, calm down.", "en"))
    # ... but an interjection is not a name: "Tjonge, wat vervelend" stays empathy.
    assert analyze("Tjonge, wat vervelend voor je!", "nl").verdict == "ok"


def test_findings_point_at_the_offending_words():
    text = "Hoi Sanne. Dat is toch echt uw eigen schuld, sorry."
    finding = next(f for f in analyze(text, "nl").findings if f.category == "attacking")
    assert "uw eigen schuld" in text[finding.start:finding.end]
    assert "Hoi" not in text[finding.start:finding.end]


# --- offsets --------------------------------------------------------------------------------


def test_utf16_offsets_after_emoji():
    text = "😀👍🏽 Dat is uw eigen schuld."
    result = analyze(text, "nl")
    finding = next(f for f in result.findings if f.category == "attacking")
    as_json = next(f for f in result.to_json(text)["findings"] if f["category"] == "attacking")
    # 😀 is 2 UTF-16 units, 👍🏽 is 4 (two astral code points): 3 Python chars more than UTF-16.
    assert as_json["start"] == finding.start + 3 and as_json["end"] == finding.end + 3
    encoded = text.encode("utf-16-le")
    assert encoded[as_json["start"] * 2:as_json["end"] * 2].decode("utf-16-le") == text[finding.start:finding.end]


def test_utf16_converters_agree():
    text = "a😀b🇳🇱c é"
    convert = Utf16Offsets(text)
    for index in range(len(text) + 1):
        assert convert(index) == utf16_offset(text, index) == len(text[:index].encode("utf-16-le")) // 2


def test_whole_reply_findings_are_at_zero():
    text = "😀 Bedankt voor je bericht."
    result = analyze(text, "nl", Context(author="Sanne de Boer"))
    name = next(f for f in result.to_json(text)["findings"] if f["category"] == "missing-name")
    assert name["start"] == name["end"] == 0


# --- text ---------------------------------------------------------------------------------


def test_tokens_keep_original_offsets_and_dutch_apostrophes():
    text = "Zo’n dag, ’s avonds wéér een e-mail 😀 over m'n order 12.345!"
    tokens = tokenize(text)
    assert all(text[t.start:t.end] == t.text for t in tokens)
    norms = [t.norm for t in tokens if t.kind == "word"]
    assert "zo'n" in norms and "'s" in norms and "weer" in norms and "e-mail" in norms and "m'n" in norms
    assert "12.345" in norms
    assert any(t.kind == "emoji" and t.text == "😀" for t in tokens)


def test_decomposed_accents_fold_like_composed_ones():
    composed, decomposed = "wéér", "we\u0301e\u0301r"
    assert [t.norm for t in tokenize(composed)] == [t.norm for t in tokenize(decomposed)] == ["weer"]


def test_sentences_and_questions():
    text = "Dhr. P. de Vries belde om 10.30 uur. Klopt dat? Dat is raar?! Echt waar"
    sentences = split_sentences(text)
    assert [text[s.start:s.end] for s in sentences] == [
        "Dhr. P. de Vries belde om 10.30 uur.", "Klopt dat?", "Dat is raar?!", "Echt waar"]
    assert [s.is_question for s in sentences] == [False, True, False, False]


def test_an_emoji_before_a_capital_ends_a_sentence():
    # Typed comments often end a sentence with an emoji instead of a full stop.
    text = "Bij ons werkt het gewoon 🙂 Misschien ligt het aan je wifi? Wij ❤️ onze klanten 😊"
    sentences = split_sentences(text)
    assert [text[s.start:s.end] for s in sentences] == [
        "Bij ons werkt het gewoon 🙂", "Misschien ligt het aan je wifi?", "Wij ❤️ onze klanten 😊"]
    assert [s.is_question for s in sentences] == [False, True, False]


def test_quote_detection_leaves_apostrophes_alone():
    text = "Zo'n dag, 's avonds: u schreef 'slecht' en \"nooit meer\"."
    spans = [text[a:b] for a, b in quoted_spans(text)]
    assert spans == ["'slecht'", '"nooit meer"']


# --- language and sentiment -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, lang",
    [
        ("Wat vervelend dat je pakket nog niet binnen is!", "nl"),
        ("So sorry your parcel hasn't arrived yet!", "en"),
        ("Hoi Tom, thanks voor je bericht, we kijken ernaar.", "nl"),
        ("", "nl"),
        ("👍", "nl"),
        ("Dank je wel, Eva!", "nl"),
        ("Thanks a lot, Eva!", "en"),
    ],
)
def test_language_detection(text, lang):
    assert detect_language(text) == lang


def test_auto_language_picks_the_catalogue_and_message_language():
    result = analyze("That's your own fault.")
    assert result.lang == "en"
    assert all(f.rule.startswith("en-") for f in result.findings)


def test_unknown_language_is_refused():
    with pytest.raises(ValueError):
        analyze("Hallo", "de")


def test_sentiment_direction_and_order():
    for lang, good, bad, worse in [
        ("nl", "Wat fijn, dank je wel!", "Dat is slecht.", "Dat is echt waardeloos en belachelijk."),
        ("en", "That's great, thank you!", "That is bad.", "That is terrible and pathetic."),
    ]:
        assert sentiment(good, lang).polarity > 0
        assert sentiment(bad, lang).polarity < 0
        assert sentiment(worse, lang).polarity < sentiment(bad, lang).polarity


def test_analysis_sentiment_ignores_quoted_words():
    own = analyze("Wat een waardeloze service.", "nl").sentiment.polarity
    quoted = analyze('U schreef "wat een waardeloze service".', "nl").sentiment.polarity
    assert own < 0 and quoted > own


def test_polite_apology_with_negative_words_is_not_emotional():
    for lang, text in [("nl", "Wat ontzettend vervelend, sorry dat het misging."),
                       ("en", "So sorry, that's really awful and frustrating for you.")]:
        assert "emotional" not in categories_of(analyze(text, lang))
    assert "emotional" in categories_of(analyze("Dit is een waardeloze klacht.", "nl"))


def test_acronyms_and_codes_are_not_shouting():
    assert analyze("Stuur ons een DM, dan bellen we met KPN over vlucht KL1234.", "nl").verdict != "warn"
    assert "emotional" in categories_of(analyze("Dat hebben we NIET gezegd.", "nl"))


# --- verdict and score ----------------------------------------------------------------------


def test_verdicts_and_score_bands():
    ok = analyze("Dank je wel, Eva!", "nl")
    review = analyze("Excuses voor het ongemak.", "nl")
    warn = analyze("Dat is uw eigen schuld.", "nl")
    worse = analyze("Dat is uw eigen schuld, u vergist zich en daar kunnen wij niets aan doen!!!", "nl")
    assert (ok.verdict, review.verdict, warn.verdict) == ("ok", "review", "warn")
    assert not ok.findings and all(f.severity == "review" for f in review.findings)
    assert ok.score < review.score < warn.score < worse.score <= 100
    assert 0 <= ok.score <= 15 and 20 <= review.score <= 50 and warn.score >= 60


def test_risk_score_bands_do_not_overlap():
    warn_finding = Finding("x", "attacking", "warn", 0, 1, "m")
    review_finding = Finding("y", "cliche", "review", 0, 0, "m")
    most_ok = risk_score([], -1.0)
    most_review = risk_score([review_finding] * 10, -1.0)
    least_warn = risk_score([warn_finding], 1.0)
    assert most_ok < risk_score([review_finding], 1.0) and most_review < least_warn
    assert risk_score([warn_finding] * 20, -1.0) == 100


def test_overlapping_findings_of_one_category_are_merged():
    first = Finding("a", "emotional", "warn", 0, 10, "m")
    overlapping = Finding("b", "emotional", "warn", 5, 12, "m")
    other_category = Finding("c", "attacking", "warn", 5, 12, "m")
    separate = Finding("d", "emotional", "warn", 20, 25, "m")
    kept = _merge([first, overlapping, other_category, separate])
    assert [f.rule for f in kept] == ["a", "c", "d"]


def test_to_json_matches_the_api_contract():
    text = "Dat is uw eigen schuld."
    data = analyze(text, "nl").to_json(text)
    assert set(data) == {"verdict", "score", "lang", "findings", "sentiment"}
    assert set(data["sentiment"]) == {"polarity", "subjectivity"}
    finding = data["findings"][0]
    assert set(finding) == {"rule", "category", "severity", "start", "end", "message", "replacements"}
    assert isinstance(finding["replacements"], list) and finding["message"]


def test_analysis_is_deterministic():
    text = "Pff. Zoals ik al zei: dat is uw eigen schuld!!! Daar kunnen wij niets aan doen."
    context = Context("Jullie zijn waardeloos, al 3 weken geen pakket!", "Sanne de Boer")
    assert analyze(text, "nl", context) == analyze(text, "nl", context)


def test_messages_are_in_the_reply_language():
    dutch = analyze("Dat is uw eigen schuld.", "nl").findings[0].message
    english = analyze("That's your own fault.", "en").findings[0].message
    assert "schuld" in dutch and "blame" in english


# --- context --------------------------------------------------------------------------------


def test_missing_name_only_when_the_name_is_known():
    reply = "Wat vervelend! Stuur ons een DM met je ordernummer."
    assert "missing-name" in categories_of(analyze(reply, "nl", Context(author="Sanne de Boer")))
    assert "missing-name" not in categories_of(analyze(reply, "nl"))
    assert "missing-name" not in categories_of(analyze("Wat vervelend, Sanne!", "nl", Context(author="Sanne de Boer")))


def test_complaint_needs_empathy_and_a_private_channel_but_a_fan_does_not():
    complaint = Context("Mijn pakket is al 5 dagen niet bezorgd!", "Sanne de Boer")
    bare = analyze("Sanne, je pakket komt morgen.", "nl", complaint)
    assert {"missing-empathy", "missing-private-channel"} <= categories_of(bare)
    good = analyze("Wat vervelend, Sanne! Stuur ons je ordernummer via DM, dan zoeken we het uit.", "nl", complaint)
    assert not {"missing-empathy", "missing-private-channel", "missing-name"} & categories_of(good)
    fan = analyze("Dank je wel, Eva!", "nl", Context("Wat een topservice, dank jullie wel!", "Eva Jansen"))
    assert fan.verdict == "ok"


def test_register_mismatch_highlights_the_pronoun():
    text = "Wat vervelend voor u, Sanne!"
    result = analyze(text, "nl", Context("Hoi, kun je even kijken waar mijn pakket is?", "Sanne de Boer"))
    finding = next(f for f in result.findings if f.category == "register-mismatch")
    assert text[finding.start:finding.end] == "u"
    matched = analyze("Wat vervelend voor je, Sanne!", "nl", Context("Hoi, kun je even kijken?", "Sanne de Boer"))
    assert "register-mismatch" not in categories_of(matched)


def test_pure_anger_suggests_letting_them_have_the_last_word():
    reply = "Vervelend dat je er zo over denkt, Jeroen. Stuur ons gerust een DM."
    angry = analyze(reply, "nl", Context("Stelletje prutsers, waardeloos bedrijf!!", "Jeroen Bakker"))
    assert "nl-let-them-have-the-last-word" in rules_of(angry)
    assert angry.verdict == "review"
    argued = analyze(reply, "nl", Context("Al 3 weken geen internet, wanneer komt de monteur?", "Jeroen Bakker"))
    assert "nl-let-them-have-the-last-word" not in rules_of(argued)


def test_missing_thanks_for_a_report():
    report = Context("Tip: de link in jullie nieuwsbrief werkt niet.")
    assert "missing-thanks" in categories_of(analyze("We passen het aan.", "nl", report))
    assert "missing-thanks" not in categories_of(analyze("Dank je voor de tip! We passen het aan.", "nl", report))


# --- constructions added after the first blind measurement (TUNER) --------------------------

@pytest.mark.parametrize("lang, text", [
    ("nl", "Had u de bijsluiter gelezen, dan was dit niet nodig geweest."),
    ("nl", "Weet u eigenlijk wel hoe een wasmachine werkt?"),
    ("nl", "Wij hebben ons keurig aan alle afspraken gehouden."),
    ("nl", "Zoals al drie keer gezegd: nee."),
    ("nl", "Daar blijft het bij."),
    ("nl", "Het is echt niet zo dat wij u iets hebben aangesmeerd."),
    ("en", "You could have checked that yourself."),
    ("en", "It says so right on the box."),
    ("en", "We stuck to our side of the agreement."),
    ("en", "Some people just love to complain."),
    ("en", "That's a matter for your bank, not for us."),
])
def test_escalating_constructions_warn(lang, text):
    assert analyze(text, lang).verdict == "warn"


@pytest.mark.parametrize("lang, text", [
    ("nl", "Je pakket is wel degelijk onderweg, geen zorgen! Morgen ligt het bij je."),
    ("nl", "Nee meneer, u hoeft niets te betalen."),
    ("nl", "U heeft zelf niets verkeerd gedaan, het lag aan onze site."),
    ("nl", "Het ligt niet aan jouw laptop, Sven, maar aan onze website."),
    ("nl", "Je had je geld gewoon terug moeten krijgen, dat is niet goed gegaan."),
    ("nl", "Sorry voor de HOOFDLETTERS in ons vorige bericht!"),
    ("nl", "Knap hoor, gefeliciteerd met je diploma!"),
    ("en", "Don't blame yourself, Ann. The form was confusing."),
    ("en", "That's outrageous, Sam, and we're sorry."),
    ("en", "Honestly, we'd be annoyed too, Kim. Could you DM us?"),
    ("en", "The office is closed because of the bank holiday."),
    ("en", "Have you ever tried our oat milk? It's lovely!"),
])
def test_traps_stay_quiet(lang, text):
    assert analyze(text, lang).verdict != "warn"


def test_whole_reply_sentiment_is_derived_from_the_sentences():
    from toontje.sentiment import clear_cache, sentiment, tallies
    text = "Wat een waardeloze service. Maar onze monteur is geweldig! Dat klopt niet."
    result = analyze(text, "nl")
    # The figure derived from per-sentence tallies matches TextBlob on the whole reply.
    assert result.sentiment.polarity == pytest.approx(sentiment(text, "nl").polarity, abs=0.05)
    clear_cache()
    sentences = ["Wat een waardeloze service.", "Maar onze monteur is geweldig!", "Dat klopt niet."]
    batch = tallies(sentences, "nl")
    clear_cache()
    assert batch == [tallies([sentence], "nl")[0] for sentence in sentences]
    assert batch[0].sentiment().polarity < 0 < batch[1].sentiment().polarity


def test_sentiment_import_does_not_load_scipy():
    import subprocess
    import sys
    code = "import sys, toontje.analysis; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
    # Whether scipy can be imported is the same before and after (the block is lifted once textblob
    # is loaded); scipy itself is optional, so the comparison is with this environment.
    probe = "import importlib.util; print(importlib.util.find_spec('scipy') is not None)"
    before = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    after = subprocess.run([sys.executable, "-c", "import toontje.analysis\n" + probe],
                           capture_output=True, text=True, check=True).stdout
    assert after == before


def test_emoji_after_the_last_sentence_mark_belong_to_that_sentence():
    from toontje.analysis import Document

    assert Document("We designed it to annoy you. 🙄", "en").stream == " | we designed it to annoy you 🙄 |"
    assert Document("🙄", "en").stream == " | 🙄 |"
    doc = Document("Mooi gedaan. 👍 Fijn!", "nl")
    assert doc.stream == " | mooi gedaan | 👍 fijn |"
