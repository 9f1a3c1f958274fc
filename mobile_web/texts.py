"""What the phone page says, in the shopper's language: gettext catalogs.

Every text around the survey's questions (greeting, buttons, the contact step, the thank-you,
the refusal pages) is written here in English and marked with ``N_``; the catalog
``mobile_web/locale/<language>/LC_MESSAGES/phone.mo`` translates it. The page's script gets
its texts from the page (``texts()`` goes into the page's boot JSON), so it holds none of its
own. The survey's questions come with their own translations (the survey definition).

``scripts/phone-catalog`` extracts the marked texts into ``mobile_web/locale/phone.pot``,
merges them into every language's catalog and compiles the .mo files, which are committed.
A new language is a new catalog: ``pybabel init -D phone -d mobile_web/locale -i
mobile_web/locale/phone.pot -l fr``, translate, run the script; the page offers it to stores
that list it. tests/mobile_web/test_phone_catalog.py fails on an empty, fuzzy or obsolete
entry and on a .mo that is not its .po compiled. ``{store}``, ``{face}`` and ``{seconds}`` are
filled in where the text is shown.
"""

from __future__ import annotations

import gettext as _gettext
from functools import cache
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "phone"
SOURCE_LANGUAGE = "en"  # the language the texts are written in: it needs no catalog


def N_(message: str) -> str:
    """Marks a text for the catalog where it is defined; it is translated where it is shown."""
    return message


WORDS = {
    "title": N_("Feedback for {store}"),
    "subtitle": N_("Feedback"),
    "greeting": N_("Hi! This is {store}. How did it go? It takes less than a minute."),
    "store_says": N_("{store}:"),
    "you_say": N_("You:"),
    "typing": N_("{store} is typing …"),
    "language": N_("Language"),
    "skip": N_("Skip"),
    "send": N_("Send"),
    "choose_then_send": N_("Choose all that apply, then “Send”."),
    "your_message": N_("Your message"),
    "message_placeholder": N_("Write to us …"),
    "nps_low": N_("0 = not likely"),
    "nps_high": N_("10 = very likely"),
    "contact_question": N_("May we contact you about your feedback?"),
    "contact_yes": N_("Yes, please"),
    "contact_no": N_("No, thanks"),
    "contact_ask": N_("How can we reach you? Your email address or phone number:"),
    "contact_label": N_("Email or phone"),
    "consent": N_(
        "I agree that {store} may contact me at this address about my feedback. It is stored "
        "encrypted, used only for this and deleted afterwards."
    ),
    "consent_needed": N_("Please tick the consent box, or choose “No, thanks”."),
    "address_needed": N_("Please enter an email address or phone number."),
    "contact_given": N_("Yes, please get in touch."),
    "thanks": N_("Thank you! Your feedback helps the {store} team."),
    "thanks_contact": N_("We will get back to you."),
    "summary": N_("Your answers"),
    "skipped": N_("skipped"),
    "status_saving": N_("Sending …"),
    "status_sent": N_("Sent ✓"),
    "status_offline": N_("Saved on your phone – it will be sent as soon as you are back online."),
    "status_rejected": N_("This answer could not be accepted."),
    "status_used": N_("Feedback for this receipt was already given."),
    "status_reused": N_("This page has sent an answer already. Reload it to answer again."),
    "again": N_("Give new feedback"),
    "submit": N_("Send feedback"),
    "form_hint": N_("Answer what you like and send the form."),
    "rating_needed": N_("Please choose how it was first."),
    "continue_greeting": N_("Thank you for rating us “{face}” on our terminal! Would you like to tell us more?"),
    "continue_greeting_unknown": N_("Thank you for rating us on our terminal! Would you like to tell us more?"),
    "continue_used": N_("This rating was already continued on another phone."),
}

# the faces' names, very bad .. very good, for a scale of four or five faces
FACES = {
    4: (N_("Very bad"), N_("Bad"), N_("Good"), N_("Very good")),
    5: (N_("Very bad"), N_("Bad"), N_("Okay"), N_("Good"), N_("Very good")),
}

# a refusal page: its title and what it says
PROBLEMS = {
    "continuation_used": (
        N_("Already answered – thank you!"),
        N_("You have already told us more about this rating. Each code from the terminal takes one answer."),
    ),
    "continuation_expired": (
        N_("This code has expired"),
        N_("Your rating at the terminal has arrived – thank you! The code was valid for two hours to tell us more."),
    ),
    "invalid": (
        N_("This code doesn't work"),
        N_("The QR code is incomplete or not valid. Please scan it again, or ask in the store for a new one."),
    ),
    "expired": (
        N_("This code has expired"),
        N_("Thanks for wanting to give feedback! This code is no longer valid. Ask in the store for a current one."),
    ),
    "ticket_used": (
        N_("Already sent – thank you!"),
        N_("This page has sent its answer already. Want to answer again? Open the link once more."),
    ),
    "used": (
        N_("Already answered – thank you!"),
        N_("Feedback for this receipt has already been given. Each receipt takes one response."),
    ),
    "unknown": (
        N_("This survey has ended"),
        N_("The code belongs to a survey that no longer runs."),
    ),
    "rate_limited": (
        N_("One moment, please"),
        N_("A great many answers are arriving from here right now. Please try again in {seconds} seconds."),
    ),
    "csrf_failed": (
        N_("Please send it again"),
        N_("The form could not be verified. Your answers are still below – please send them again."),
    ),
    "invalid_form": (
        N_("Please check your answers"),
        N_("Something is missing or does not fit."),
    ),
    "error": (
        N_("That did not work"),
        N_("Please try again in a moment."),
    ),
}

# Error code -> which friendly page explains it (any other code: "error").
PROBLEM_PAGES = {
    "malformed_token": "invalid",
    "bad_token_signature": "invalid",
    "unknown_token_key": "invalid",
    "expired_token": "expired",
    "token_used": "used",
    "ticket_used": "ticket_used",
    "continuation_used": "continuation_used",
    "continuation_expired": "continuation_expired",
    "revoked_device": "invalid",
    "unknown_store": "unknown",
    "unknown_touchpoint": "unknown",
    "not_found": "invalid",
    "rate_limited": "rate_limited",
    "csrf_failed": "csrf_failed",
}


@cache
def catalog(language: str) -> _gettext.NullTranslations:
    """The compiled catalog of ``language``; the English texts themselves when it has none."""
    return _gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=True)


@cache
def spoken() -> frozenset[str]:
    """The languages the page can speak: English, and every language with a compiled catalog."""
    found = {path.parent.parent.name for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")}
    return frozenset({SOURCE_LANGUAGE, *found})


def texts(language: str, store_name: str) -> dict[str, Any]:
    """The page's words in ``language`` with the store's name filled in: ``WORDS``' keys, the
    faces' names under ``faces`` and the refusal pages under ``problems``."""
    say = catalog(language).gettext

    def local(message: str) -> str:
        return say(message).replace("{store}", store_name)

    words: dict[str, Any] = {key: local(message) for key, message in WORDS.items()}
    words["faces"] = {count: [local(name) for name in names] for count, names in FACES.items()}
    words["problems"] = {key: (local(title), local(text)) for key, (title, text) in PROBLEMS.items()}
    return words
