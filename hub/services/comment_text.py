"""What a comment talks about and how it sounds, in German and English, without any dependency.

Ingest calls both functions on every comment (hub/services/rollups.py feeds term_daily), so they
are small and fast: one regular expression pass, set look-ups, no models.

- ``comment_terms``: the distinct terms of a comment, words and two-word phrases, lower case,
  stop words, numbers and tokens shorter than three letters dropped. Plural and inflection
  folding is light and predictable: it only ever cuts an ending off, so a term is always the
  start of every word it stands for ("kasse" for "Kassen", "queue" for "queues", "freundlich"
  for "freundlichen", "gut" for "gute"), and a plain ``LIKE '%term%'`` on the raw text finds
  the comments behind it. German nouns (written with a capital) lose a plural -n/-en, common
  adjectives their inflection; English words a plural -s/-es.
  A phrase is two neighbouring words with no stop word or punctuation between them.
- ``comment_sentiment``: a hand-made lexicon of weights from -3 to 3, negation ("nicht
  freundlich", "not friendly", "kein Problem") flips and dampens the next few words up to a
  punctuation mark, intensifiers ("sehr", "very") strengthen the next word, and after a contrast
  ("aber", "but") the clause weighs more. The sum is squashed into (-1, 1) as VADER does.

- ``detect_language``: which of ``LANGUAGES`` a comment is written in, from its words (the
  stop words and lexicon words of each language it holds, umlauts and ß for German), so a
  German comment typed on a page set to English is counted with the German themes; a comment
  that gives no sign keeps the language its page was set to.

A language outside ``LANGUAGES`` gets both stop-word lists and both lexicons, with no folding.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

LANGUAGES = ("de", "en")

MIN_LENGTH = 3
# a single word of weight 2 ("freundlich") gives 0.71, "sehr freundlich" 0.83
_SQUASH = 4.0
_NEGATION_FACTOR = -0.8
_NEGATION_REACH = 3
_INTENSITY = 1.5
_BEFORE_CONTRAST = 0.5
_AFTER_CONTRAST = 1.5

# words (letters only, inner apostrophes kept for "don't", "store's"), numbers, clause breaks;
# numbers and breaks end a phrase
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+|[.,;:!?()\[\]\"…–—/]+")
_BREAK = frozenset('.,;:!?()[]"…–—/')
_NOT_A_WORD = _BREAK | frozenset("0123456789")


def _words(text: str) -> list[str]:
    """The words of a list written as one string (easier to read and extend than many quotes)."""
    return text.split()


_STOP = {
    "de": frozenset(
        _words("""
        aber alle allem allen aller alles als also am an ander andere anderem anderen anderer
        anderes anders auch auf aus bei beim bin bis bist bitte da dabei dadurch dafür dagegen
        daher dahin damals damit dann dar daran darauf daraus darf darum das dass daß dein deine
        dem den denen denn der deren des deshalb dessen dich die dies diese diesem diesen dieser
        dieses doch dort du durch eben ein eine einem einen einer eines einfach einige einmal er
        es etwa etwas euch euer eure für gab gar gegen geht gibt ging habe haben hast hat hatte
        hatten hätte hier hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer im immer in
        ins ist ja jede jedem jeden jeder jedes jetzt kam kann kannst kein keine keinem keinen
        keiner keines konnte könnte lassen man manche mehr mein meine meinem meinen meiner mich
        mir mit muss musste müssen nach nein nicht nichts nie niemals noch nun nur ob oder ohne
        schon sehr sein seine seinem seinen seiner seit sich sie sind so sogar soll sollte sonst
        über um und uns unser unsere unter viel vom von vor war waren warst was weil weiter
        welche welchem welchen welcher wenn wer werde werden wie wieder wir wird wo wohl wollen
        wurde wurden würde zu zum zur zwar zwischen echt ganz total ziemlich wirklich leider wenig
        heute gestern mal halt eher bisschen eins zwei drei vier fünf sechs sieben acht neun zehn
        """)
    ),
    "en": frozenset(
        _words("""
        about above after again against all also am an and any are aren't as at be because been
        before being below between both but by can can't cannot could couldn't did didn't do does
        doesn't doing don't down during each even ever every few for from further get got had
        hadn't has hasn't have haven't having he her here hers herself him himself his how however
        i i'm i've if in into is isn't it it's its itself just let's me more most much must my
        myself no nor not now of off on once only or other our ours ourselves out over own quite
        rather really same she should shouldn't so some such than that that's the their theirs
        them themselves then there there's these they this those through to too today under
        until up upon very was wasn't we we're were weren't what when where which while who whom
        why will with won't would wouldn't yes yesterday you your yours yourself yet still
        though although dont didnt doesnt isnt wasnt cant wont im ive
        one two three four five six seven eight nine ten
        """)
    ),
}
_ALL_STOP = _STOP["de"] | _STOP["en"]

_NEGATORS = frozenset(
    _words("""
    nicht kein keine keinem keinen keiner keines nie niemals nichts ohne weder
    not no never none nothing without nor neither cannot can't don't doesn't didn't isn't wasn't
    aren't weren't won't wouldn't couldn't shouldn't haven't hasn't hadn't dont doesnt didnt isnt
    wasnt arent werent wont wouldnt couldnt shouldnt cant
    """)
)
_INTENSIFIERS = frozenset(
    _words("""
    sehr extrem äußerst total absolut richtig wirklich besonders echt super voll ganz so zu
    very extremely really so too absolutely totally truly particularly incredibly super highly
    """)
)
_CONTRASTS = frozenset(_words("aber jedoch allerdings trotzdem but however though although yet"))

# weights -3..3, keyed by the folded word (see _fold); a few inflected forms spelt out where the
# folding does not reach them (participles, comparatives)
_LEXICON = {
    "de": {
        **dict.fromkeys(_words("freundlich nett hilfsbereit kompetent zuvorkommend höflich sauber"), 2.0),
        **dict.fromkeys(_words("gut schnell lecker frisch angenehm zufrieden ordentlich günstig"), 1.5),
        **dict.fromkeys(_words("toll super klasse prima perfekt hervorragend ausgezeichnet wunderbar"), 2.5),
        **dict.fromkeys(_words("top spitze exzellent begeistert großartig fantastisch"), 2.5),
        **dict.fromkeys(_words("danke dank gerne gern empfehlen lob kurz bequem übersichtlich"), 1.0),
        **dict.fromkeys(_words("gefallen gefällt geholfen besser beste schön"), 1.5),
        **dict.fromkeys(_words("okay ok"), 0.5),
        **dict.fromkeys(_words("unfreundlich unhöflich frech arrogant inkompetent genervt"), -2.5),
        **dict.fromkeys(_words("schlecht langsam dreckig schmutzig teuer kalt voll eng laut"), -1.5),
        **dict.fromkeys(_words("schlimm katastrophe katastrophal furchtbar schrecklich ärgerlich"), -2.5),
        **dict.fromkeys(_words("unmöglich enttäuscht enttäuschend peinlich miserabel mies"), -2.0),
        **dict.fromkeys(_words("problem fehler ärger beschwerde chaos chaotisch defekt kaputt"), -1.5),
        **dict.fromkeys(_words("warten gewartet wartezeit warteschlange schlange lang lange ewig ewigkeit"), -1.0),
        **dict.fromkeys(_words("leer fehlt fehlten gefehlt ausverkauft überfüllt stress"), -1.0),
        **dict.fromkeys(_words("schlechter schlechteste"), -1.5),
    },
    "en": {
        **dict.fromkeys(_words("friendly nice helpful polite courteous competent clean kind"), 2.0),
        **dict.fromkeys(_words("good fast quick fresh pleasant happy satisfied tidy cheap easy"), 1.5),
        **dict.fromkeys(_words("great excellent perfect wonderful amazing awesome fantastic superb"), 2.5),
        **dict.fromkeys(_words("brilliant outstanding love loved lovely delighted best"), 2.5),
        **dict.fromkeys(_words("thanks thank recommend like liked enjoy enjoyed better short"), 1.0),
        **dict.fromkeys(_words("ok okay fine"), 0.5),
        **dict.fromkeys(_words("rude unfriendly impolite arrogant incompetent hostile hate hated"), -2.5),
        **dict.fromkeys(_words("bad slow dirty expensive cold crowded noisy messy poor"), -1.5),
        **dict.fromkeys(_words("terrible awful horrible disgusting worst dreadful appalling"), -2.5),
        **dict.fromkeys(_words("disappointed disappointing annoying annoyed unacceptable useless"), -2.0),
        **dict.fromkeys(_words("problem issue error complaint chaos chaotic broken faulty mess"), -1.5),
        **dict.fromkeys(_words("wait waited waiting queue line long forever ages"), -1.0),
        **dict.fromkeys(_words("empty missing sold stress stressful worse"), -1.0),
    },
}
_ALL_LEXICON = {**_LEXICON["en"], **_LEXICON["de"]}

_DE_ADJECTIVE = re.compile(r"(.{2,}(?:lich|ig|isch|bar|sam|los|haft))(?:e|en|er|es|em)")
# common short adjectives that customers inflect ("gute Angebote", "lange Wartezeit")
_DE_SHORT_ADJECTIVES = frozenset(
    _words(
        """
        gut schnell lang kurz nett klein groß neu alt schön toll frisch sauber billig kalt warm voll leer
        eng laut leise hell schlecht lecker perfekt klar weit stark schwach frech mies fein lieb heiß nass
        ganz viel wenig
        """
    )
)
_DE_ENDING = re.compile(r"(.+?)(?:e|en|er|es|em)")
# noun plurals in -en whose singular has no -e: Wartezeiten, Meinungen, Möglichkeiten, Aktionen
_DE_EN_PLURAL = ("ungen", "heiten", "keiten", "schaften", "ionen", "täten", "zeiten", "nissen")
# nouns that end in -en in the singular (and their compounds: Einkaufswagen, Brötchen)
_DE_EN_SINGULAR = (
    "chen", "wagen", "laden", "kuchen", "garten", "boden", "essen", "zeichen", "leben", "becken",
    "morgen", "regen", "kosten", "posten", "rücken", "kissen", "wissen", "ofen", "hafen", "haken",
)  # fmt: skip


@lru_cache(maxsize=65536)
def _fold(word: str, language: str, noun: bool = False) -> str:
    """The word with its plural or inflection ending cut off (always a prefix of the word).
    ``noun``: it was written with a capital, which in German marks a noun."""
    if language == "de":
        if len(word) > 7 and word.endswith("innen"):
            return word[:-3]  # Mitarbeiterinnen -> mitarbeiterin
        adjective = _DE_ADJECTIVE.fullmatch(word)
        if adjective:
            return adjective.group(1)  # freundlichen -> freundlich
        short = _DE_ENDING.fullmatch(word)
        if short and short.group(1) in _DE_SHORT_ADJECTIVES:
            return short.group(1)  # gute -> gut, langen -> lang
        if noun and len(word) > 4 and word.endswith("en") and not word.endswith(_DE_EN_SINGULAR):
            if word.endswith(_DE_EN_PLURAL):
                return word[:-2]  # Wartezeiten -> wartezeit
            return word[:-1]  # Kassen -> kasse
        return word
    if language == "en":
        if word.endswith("'s"):
            word = word[:-2]
        if len(word) > 4 and word.endswith(("ches", "shes", "xes", "zes", "sses")):
            return word[:-2]  # boxes -> box, classes -> class
        if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
            return word[:-1]  # queues -> queue
        return word
    return word


@lru_cache(maxsize=64)  # ingest asks for the terms and then the sentiment of the same comment
def _tokens(text: str) -> tuple[tuple[str, bool], ...]:
    """Lower-case tokens (words and clause breaks), each with whether it began with a capital."""
    return tuple(
        (token.lower().replace("’", "'"), token[0].isupper())
        for token in _TOKEN.findall(unicodedata.normalize("NFC", text))
    )


_UMLAUTS = frozenset("äöüß")
_OWN_WORDS = {
    language: (_STOP[language] | frozenset(_LEXICON[language])) - (_STOP[other] | frozenset(_LEXICON[other]))
    for language, other in (("de", "en"), ("en", "de"))
}


def detect_language(text: str, fallback: str) -> str:
    """The language of ``text`` among ``LANGUAGES``: the one more of its words belong to only
    (a word with an umlaut or ß counts for German); ``fallback`` when neither leads."""
    votes = dict.fromkeys(LANGUAGES, 0)
    for token, _ in _tokens(text):
        if token[0] in _NOT_A_WORD:
            continue
        if not _UMLAUTS.isdisjoint(token):
            votes["de"] += 1
        else:
            for language, words in _OWN_WORDS.items():
                votes[language] += token in words
    best = max(votes.values())
    leaders = [language for language, count in votes.items() if count == best]
    return leaders[0] if best and len(leaders) == 1 else fallback


def comment_terms(text: str, language: str) -> list[str]:
    """The distinct terms of ``text``: folded words and two-word phrases, in order of appearance
    (each phrase after its second word)."""
    stop = _STOP.get(language, _ALL_STOP)
    terms: dict[str, None] = {}
    previous: str | None = None
    for token, capital in _tokens(text):
        if token[0] in _NOT_A_WORD or token in stop or len(token) < MIN_LENGTH:
            previous = None
            continue
        word = _fold(token, language, capital)
        if word in stop:  # "ganze", "viele": an inflected stop word
            previous = None
            continue
        terms[word] = None
        if previous is not None and previous != word:
            terms[f"{previous} {word}"] = None
        previous = word
    return list(terms)


def comment_sentiment(text: str, language: str) -> float:
    """How positive ``text`` sounds, from -1 (very negative) to 1 (very positive); 0 when no
    word of the lexicon occurs."""
    lexicon = _LEXICON.get(language, _ALL_LEXICON)
    total = 0.0
    scale = 1.0  # after a contrast the rest weighs more
    negated = 0  # how many more words a negation still reaches
    boost = 1.0
    held = 0.0  # "super", "voll": a lexicon word on its own, an intensifier before another one
    for token, capital in _tokens(text):
        if token[0] in _BREAK:
            total, held, negated, boost = total + held, 0.0, 0, 1.0
            continue
        if token in _CONTRASTS:
            total, held, negated, boost = (total + held) * _BEFORE_CONTRAST, 0.0, 0, 1.0
            scale = _AFTER_CONTRAST
            continue
        if token in _NEGATORS:
            negated = _NEGATION_REACH
            continue
        weight = lexicon.get(token)
        if weight is None:
            weight = lexicon.get(_fold(token, language, capital))
        if weight is None:
            if token in _INTENSIFIERS:
                boost = _INTENSITY
            else:
                total, held = total + held, 0.0
                negated = max(negated - 1, 0)
            continue
        value = weight * scale
        if negated:
            value *= _NEGATION_FACTOR
            negated -= 1
        if token in _INTENSIFIERS:
            total, held, boost = total + held, value, _INTENSITY
            continue
        total += value * boost
        held, boost = 0.0, 1.0
    score = total + held
    if score == 0:
        return 0.0
    return score / math.sqrt(score * score + _SQUASH)
