"""The customer as seen from the thread: name, register (je/u) and pure anger."""

import pytest

from toontje.context import Addressee, addressee_from_author, is_pure_anger, mentions_name, register_of


@pytest.mark.parametrize(
    ("author", "first_name", "formal", "dutch_address", "english_address"),
    [
        ("Sanne de Boer", "Sanne", False, "Sanne", "Sanne"),
        ("sanne de boer", "Sanne", False, "Sanne", "Sanne"),
        ("SANNE DE BOER", "Sanne", False, "Sanne", "Sanne"),
        ("jan", "Jan", False, "Jan", "Jan"),
        ("Jan-willem van der Berg", "Jan-Willem", False, "Jan-Willem", "Jan-Willem"),
        ("Sanne 🌸 de Boer", "Sanne", False, "Sanne", "Sanne"),
        ("🌻 Eva", "Eva", False, "Eva", "Eva"),
        ("Sanne de Boer | Coach", "Sanne", False, "Sanne", "Sanne"),
        ("Dhr. P. de Vries", None, True, "meneer De Vries", "Mr De Vries"),
        ("De heer P. de Vries", None, True, "meneer De Vries", "Mr De Vries"),
        ("dhr P de Vries", None, True, "meneer De Vries", "Mr De Vries"),
        ("Dhr. Peter de Vries", "Peter", True, "meneer De Vries", "Mr De Vries"),
        ("Mevr. J. Jansen", None, True, "mevrouw Jansen", "Ms Jansen"),
        ("mw. Jansen", None, True, "mevrouw Jansen", "Ms Jansen"),
        ("Mevr. van den Berg", None, True, "mevrouw Van den Berg", "Ms Van den Berg"),
        ("Mr. John Smith", "John", True, "meneer Smith", "Mr Smith"),
        ("Mrs. Smith", None, True, "mevrouw Smith", "Mrs Smith"),
        ("P. de Vries", None, True, "P. de Vries", "P. de Vries"),
    ],
)
def test_addressee_from_display_names(author, first_name, formal, dutch_address, english_address):
    addressee = addressee_from_author(author)
    assert addressee is not None
    assert addressee.first_name == first_name
    assert addressee.formal is formal
    assert addressee.form_of_address("nl") == dutch_address
    assert addressee.form_of_address("en") == english_address


def test_salutation_is_written_in_the_language_of_the_title():
    assert addressee_from_author("Dhr. P. de Vries").salutation == "meneer De Vries"
    assert addressee_from_author("Mr. John Smith").salutation == "Mr Smith"


def test_dutch_has_no_neutral_title_so_the_full_name_is_used():
    addressee = addressee_from_author("Mx. Alex Jansen")
    assert addressee.formal
    assert addressee.form_of_address("nl") == "Alex Jansen"
    assert addressee.form_of_address("en") == "Mx Jansen"


@pytest.mark.parametrize(
    "author",
    [None, "", "   ", "🌸🌸", "@sanne_db", "Bakkerij Jansen B.V.", "Coolblue Klantenservice", "P.J.",
     "Gemeente Utrecht", "xX_gamer_99_Xx", "de Boer", "Stichting Present Nederland",
     "een heel lange naam met veel te veel woorden erin"],
)
def test_no_addressee_for_handles_pages_initials_and_junk(author):
    assert addressee_from_author(author) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Heb je dit al gezien? Jouw pakket is weg.", "informal"),
        ("Kunt u mij helpen? Uw bezorger is nooit gekomen.", "formal"),
        ("Wat doen jullie nou, al een week niks", "informal"),
        ("U heeft mijn bestelling nog steeds niet verstuurd!", "formal"),
        # The quoted promise is the company's voice, not the customer's.
        ('Jullie zeiden "u krijgt het morgen" en ik heb nog niks', "informal"),
        # "u" inside words (uur, nu, duur, thuis) is no pronoun.
        ("Ik zit al een uur thuis te wachten, nu is het te duur", None),
        ("Mijn pakket is nooit aangekomen.", None),
        ("", None),
    ],
)
def test_register_of_dutch_text(text, expected):
    assert register_of(text, "nl") == expected


def test_u_outweighs_jullie_because_a_formal_writer_may_address_the_company_as_jullie():
    assert register_of("Kunnen jullie u mij terugbellen? Uw collega zei van wel.", "nl") == "formal"


def test_english_has_no_register():
    assert register_of("Can you please help me? Your courier never came.", "en") is None
    assert register_of("Thank u so much", "en") is None


@pytest.mark.parametrize(
    ("comment", "lang"),
    [
        ("Jullie zijn echt waardeloos!!! Oplichters!!!", "nl"),
        ("Wat een klotebedrijf zijn jullie, nooit meer!!!", "nl"),
        ("Slechtste service ooit!!!", "nl"),
        ("Stelletje prutsers", "nl"),
        ("You guys are useless. Worst company ever!!", "en"),
        ("Absolute clowns. Pathetic.", "en"),
        ("WAT EEN ONGELOFELIJKE BENDE!!!", "nl"),
    ],
)
def test_pure_anger(comment, lang):
    assert is_pure_anger(comment, lang)


@pytest.mark.parametrize(
    ("comment", "lang"),
    [
        # A fact, a number, a question or a request is an argument the company can answer.
        ("Waardeloze service, al 3 weken wacht ik op mijn pakket!!!", "nl"),
        ("Wanneer krijg ik mijn geld terug?!", "nl"),
        ("Oplichters, ik wil gewoon mijn geld terug!!!", "nl"),
        ("My order never arrived, useless", "en"),
        ("Useless!! Please refund me", "en"),
        ("Zijn jullie gek geworden?!", "nl"),
        ("Dank je wel, super geholpen!", "nl"),
        ("Mijn wasmachine lekt en de monteur is niet gekomen.", "nl"),
        ("", "nl"),
        (None, "en"),
    ],
)
def test_not_pure_anger(comment, lang):
    assert not is_pure_anger(comment, lang)


def test_mentions_name_first_name_and_formal_surname():
    sanne = addressee_from_author("Sanne de Boer")
    assert mentions_name("Hoi Sanne, wat vervelend!", sanne)
    assert mentions_name("hoi sanne", sanne)
    assert not mentions_name("Hoi, wat vervelend!", sanne)
    assert not mentions_name("Hoi Sannes vriendin", sanne)
    de_vries = addressee_from_author("Dhr. P. de Vries")
    assert mentions_name("Beste meneer De Vries, excuses.", de_vries)
    assert not mentions_name("Beste meneer, excuses.", de_vries)
    assert not mentions_name("Hoi Sanne", None)


def test_addressee_is_a_value():
    assert addressee_from_author("Sanne de Boer") == Addressee("Sanne", "Sanne", False, "de Boer", None)
