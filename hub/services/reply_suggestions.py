"""A suggested reply to the customer of a case, per category, in German or English.

It is the part of the close-the-loop email the person writes (hub/templates/email/close_loop.*
already greets, thanks and signs), named with the store, so it reads as the store's own. It is
only ever a suggestion: the case page puts it into the message field, a person edits it, and
nothing is sent until they press send (hub/services/cases.py ``resolve``).
"""

from __future__ import annotations

REPLY_LANGUAGES = ("de", "en")

_REPLIES = {
    "checkout": {
        "de": (
            "Es tut uns leid, dass Sie bei {store} so lange an der Kasse warten mussten. Wir haben mit "
            "dem Team besprochen, bei Andrang früher eine weitere Kasse zu öffnen."
        ),
        "en": (
            "We are sorry you had to wait so long at the checkout at {store}. We have agreed with the "
            "team to open another till sooner when it gets busy."
        ),
    },
    "staff": {
        "de": (
            "Es tut uns leid, dass Sie sich bei {store} nicht gut behandelt gefühlt haben. Wir haben "
            "Ihre Rückmeldung mit dem Team besprochen; freundlicher Service ist uns wichtig."
        ),
        "en": (
            "We are sorry you did not feel well looked after at {store}. We have talked your feedback "
            "through with the team; friendly service matters to us."
        ),
    },
    "availability": {
        "de": (
            "Es tut uns leid, dass bei {store} nicht alles da war, was Sie gesucht haben. Wir haben "
            "Bestellung und Auffüllen der Regale geprüft, damit das nicht wieder vorkommt."
        ),
        "en": (
            "We are sorry {store} did not have everything you were looking for. We have checked our "
            "ordering and restocking so that it does not happen again."
        ),
    },
    "prices": {
        "de": (
            "Danke, dass Sie uns zu den Preisen bei {store} geschrieben haben. Wir haben Ihre "
            "Rückmeldung weitergegeben; unsere aktuellen Angebote finden Sie auch im Markt."
        ),
        "en": (
            "Thank you for telling us about the prices at {store}. We have passed your feedback on; "
            "you will also find our current offers in the store."
        ),
    },
    "cleanliness": {
        "de": (
            "Es tut uns leid, dass {store} nicht so sauber war, wie Sie es erwarten dürfen. Wir haben "
            "das sofort angesehen und die Reinigung verstärkt."
        ),
        "en": (
            "We are sorry {store} was not as clean as you can expect. We looked into it at once and "
            "have stepped up the cleaning."
        ),
    },
    "other": {
        "de": (
            "Es tut uns leid, dass Ihr Einkauf bei {store} nicht so war, wie er sein sollte. Wir haben "
            "Ihre Rückmeldung mit dem Team besprochen."
        ),
        "en": (
            "We are sorry your visit to {store} was not what it should have been. We have talked your "
            "feedback through with the team."
        ),
    },
}

CATEGORIES = tuple(_REPLIES)


def suggested_reply(category: str, language: str, store_name: str) -> str:
    """The reply for ``category`` in ``language`` (German or English; any other: English),
    naming the store as it is entered."""
    texts = _REPLIES.get(category, _REPLIES["other"])
    return texts.get(language, texts["en"]).replace("{store}", store_name)
