"""The learned escalation detector (toontje.learned) and its rule in the catalogues."""

import pytest

from toontje import LANGUAGES, learned
from toontje.analysis import Document, analyze
from toontje.rewrite import rewrite
from toontje.rules import load_catalogue

ESCALATING = {
    "nl": ["Dat is echt uw eigen schuld.", "Zoals ik al zei, daar kunnen wij niets aan doen.",
           "U vergist zich, dat klopt gewoon niet."],
    "en": ["That is entirely your own fault.", "As I said, there is nothing we can do.",
           "You're wrong, that simply isn't true."],
}
CALM = {
    "nl": ["Dank je wel voor je bericht, we helpen je graag verder.",
           "Stuur ons een DM met je ordernummer, dan zoeken we het uit.",
           "Wat fijn dat alles goed is aangekomen!"],
    "en": ["Thank you for your message, we're happy to help.",
           "Send us a DM with your order number and we'll look into it.",
           "So glad everything arrived safely!"],
}


def _probability(text, lang):
    scores = learned.score_text(text, lang)
    return max(probability for probability, _ in scores)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_training_is_deterministic(lang):
    examples = learned.training_examples(lang)
    first, second = learned.train(examples), learned.train(examples)
    assert first.weights == second.weights and first.bias == second.bias
    assert learned.score_text(ESCALATING[lang][0], lang) == learned.score_text(ESCALATING[lang][0], lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_it_trains_from_the_catalogue_alone(lang):
    examples = learned.training_examples(lang)
    assert sum(label for _, label, _ in examples) > 100 and sum(1 - label for _, label, _ in examples) > 100
    trained = learned.train(examples)
    # A model trained on the catalogue knows its own escalating examples from its calm ones.
    escalating = [trained.probability(found) for found, label, _ in examples if label]
    calm = [trained.probability(found) for found, label, _ in examples if not label]
    assert sum(escalating) / len(escalating) > 0.8 > 0.2 > sum(calm) / len(calm)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_shipped_weights_are_for_the_language(lang):
    model = learned.model(lang)
    assert len(model.weights) > 1000
    assert all(isinstance(weight, float) for weight in list(model.weights.values())[:50])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_escalating_sentences_score_above_calm_ones(lang):
    escalating = [_probability(text, lang) for text in ESCALATING[lang]]
    calm = [_probability(text, lang) for text in CALM[lang]]
    assert min(escalating) > max(calm), (escalating, calm)
    assert all(probability < 0.5 for probability in calm)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_category_is_a_warn_category(lang):
    for text in ESCALATING[lang]:
        for probability, category in learned.score_text(text, lang):
            assert category in learned.WARN_CATEGORIES


@pytest.mark.parametrize("lang, own, quoted", [
    ("nl", "Jullie zijn waardeloze oplichters en prutsers.",
     'U noemt ons "waardeloze oplichters en prutsers", dat raakt ons.'),
    ("en", "You are useless idiots and scammers.",
     'You called us "useless idiots and scammers", and that hurts.'),
])
def test_quoted_customer_words_do_not_count(lang, own, quoted):
    doc = Document(quoted, lang)
    terms = learned.sentence_terms(doc.sentences[0].tokens, doc.is_hidden)
    assert not {"waardeloze", "oplichters", "prutsers", "useless", "idiots", "scammers"} & set(terms)
    assert "<q>" in terms
    # The same words as the agent's own count: the quoted sentence scores far lower.
    assert _probability(quoted, lang) < _probability(own, lang)
    # The features do not depend on what is quoted.
    other = quoted.replace("oplichters", "helden").replace("scammers", "heroes")
    assert learned.score_text(other, lang) == learned.score_text(quoted, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_cross_validated_accuracy_beats_the_majority_class(lang):
    rows = learned.catalogue_examples(lang)
    examples = [(learned.text_features(text), label, category) for text, label, category in rows]
    folds, correct = 5, 0
    for fold in range(folds):
        trained = learned.train([e for i, e in enumerate(examples) if i % folds != fold])
        correct += sum((trained.probability(found) >= 0.5) == bool(label)
                       for i, (found, label, _) in enumerate(examples) if i % folds == fold)
    majority = max(sum(label for _, label, _ in examples), sum(1 - label for _, label, _ in examples)) / len(examples)
    floor = majority + 0.15
    assert correct / len(examples) > floor, f"CV accuracy {correct / len(examples):.3f} <= floor {floor:.3f}"


# --- the detector as a rule -------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_declares_the_detector(lang):
    rule = load_catalogue(lang).rule(f"{lang}-learned-escalation")
    assert rule.detector == "learned" and rule.severity == "warn"
    assert 0.5 <= rule.params["threshold"] < 1.0


@pytest.mark.parametrize("lang, text", [
    ("nl", "Wij hebben ons werk prima gedaan.  "),
    ("en", "Honestly, this is getting old.  "),
])
def test_finding_spans_the_sentence(lang, text):
    findings = [f for f in analyze(text, lang).findings if f.rule == f"{lang}-learned-escalation"]
    assert len(findings) == 1
    finding = findings[0]
    assert text[finding.start:finding.end] == text.strip()
    assert finding.category in learned.WARN_CATEGORIES and finding.severity == "warn"


@pytest.mark.parametrize("lang, text", [
    ("nl", "Zoals ik al zei, daar kunnen wij niets aan doen. Uw eigen schuld."),
    ("en", "As I said, there is nothing we can do. Your own fault."),
])
def test_no_learned_finding_where_a_rule_already_warns(lang, text):
    findings = analyze(text, lang).findings
    learned_findings = [f for f in findings if f.rule.endswith("learned-escalation")]
    others = [f for f in findings if f.severity == "warn" and not f.rule.endswith("learned-escalation")]
    assert others
    for finding in learned_findings:
        assert not any(o.start < finding.end and finding.start < o.end for o in others)


@pytest.mark.parametrize("lang, text", [
    ("nl", "Daar gaan we het niet nog een keer over hebben. Stuur ons een DM met je ordernummer."),
    ("en", "Honestly, this is getting old. Send us a DM with your order number."),
])
def test_rewrite_of_a_learned_finding_does_not_warn(lang, text):
    assert analyze(text, lang).verdict == "warn"
    assert rewrite(text, lang).verdict != "warn"
