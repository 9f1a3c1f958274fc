"""What the phone page says, in the languages voxloop speaks (shared/languages.py).

The survey's questions come with their own translations (the survey definition); these are
the words around them. ``{store}`` is replaced by the store's name.
"""

from __future__ import annotations

from typing import Any

from shared.languages import FALLBACK

TEXTS: dict[str, dict[str, Any]] = {
    "de": {
        "title": "Feedback für {store}",
        "subtitle": "Feedback",
        "greeting": "Hallo! Hier ist {store}. Wie war es bei uns? Es dauert keine Minute.",
        "store_says": "{store}:",
        "you_say": "Sie:",
        "typing": "{store} schreibt …",
        "language": "Sprache",
        "skip": "Überspringen",
        "send": "Senden",
        "choose_then_send": "Wählen Sie alles Zutreffende, dann „Senden“.",
        "your_message": "Ihre Nachricht",
        "message_placeholder": "Schreiben Sie uns …",
        "faces": {
            4: ["Sehr schlecht", "Schlecht", "Gut", "Sehr gut"],
            5: ["Sehr schlecht", "Schlecht", "Geht so", "Gut", "Sehr gut"],
        },
        "nps_low": "0 = unwahrscheinlich",
        "nps_high": "10 = sehr wahrscheinlich",
        "contact_question": "Dürfen wir Sie zu Ihrem Feedback kontaktieren?",
        "contact_yes": "Ja, gerne",
        "contact_no": "Nein, danke",
        "contact_ask": "Wie erreichen wir Sie? Ihre E-Mail-Adresse oder Telefonnummer:",
        "contact_label": "E-Mail oder Telefon",
        "consent": (
            "Ich bin einverstanden, dass {store} mich unter dieser Adresse zu meinem Feedback "
            "kontaktiert. Sie wird verschlüsselt gespeichert, nur dafür verwendet und danach gelöscht."
        ),
        "consent_needed": "Bitte bestätigen Sie die Einwilligung oder wählen Sie „Nein, danke“.",
        "address_needed": "Bitte geben Sie eine E-Mail-Adresse oder Telefonnummer ein.",
        "contact_given": "Gern, melden Sie sich.",
        "thanks": "Vielen Dank! Ihr Feedback hilft dem Team von {store}.",
        "thanks_contact": "Wir melden uns bei Ihnen.",
        "summary": "Ihre Antworten",
        "skipped": "übersprungen",
        "status_saving": "Wird gesendet …",
        "status_sent": "Gesendet ✓",
        "status_offline": "Auf Ihrem Telefon gespeichert – wird gesendet, sobald Sie wieder online sind.",
        "status_rejected": "Diese Antwort konnte nicht angenommen werden.",
        "status_used": "Für diesen Beleg wurde schon Feedback gegeben.",
        "status_reused": "Diese Seite hat schon eine Antwort gesendet. Laden Sie sie neu, um noch einmal zu antworten.",
        "again": "Neues Feedback geben",
        "submit": "Feedback senden",
        "form_hint": "Beantworten Sie, was Sie möchten, und senden Sie das Formular ab.",
        "rating_needed": "Bitte wählen Sie zuerst, wie es war.",
        "continue_greeting": "Danke für Ihre Bewertung „{face}“ an unserem Terminal! Möchten Sie uns noch mehr sagen?",
        "continue_greeting_unknown": "Danke für Ihre Bewertung an unserem Terminal! Möchten Sie uns noch mehr sagen?",
        "continue_used": "Zu dieser Bewertung wurde schon auf einem anderen Telefon geantwortet.",
        "problems": {
            "continuation_used": (
                "Schon beantwortet – danke!",
                [
                    "Zu dieser Bewertung haben Sie uns schon mehr gesagt.",
                    "Jeder Code vom Terminal nimmt eine Antwort an.",
                ],
            ),
            "continuation_expired": (
                "Dieser Code ist abgelaufen",
                [
                    "Ihre Bewertung am Terminal ist angekommen – danke!",
                    "Der Code galt zwei Stunden lang, um noch mehr zu sagen.",
                ],
            ),
            "invalid": (
                "Dieser Code funktioniert nicht",
                [
                    "Der QR-Code ist unvollständig oder ungültig.",
                    "Bitte scannen Sie ihn noch einmal oder fragen Sie im Markt nach einem neuen.",
                ],
            ),
            "expired": (
                "Dieser Code ist abgelaufen",
                [
                    "Danke, dass Sie uns Feedback geben möchten!",
                    "Dieser Code gilt leider nicht mehr.",
                    "Fragen Sie im Markt nach einem aktuellen.",
                ],
            ),
            "ticket_used": (
                "Schon gesendet – danke!",
                [
                    "Diese Seite hat ihre Antwort schon gesendet.",
                    "Möchten Sie noch einmal antworten? Öffnen Sie den Link noch einmal.",
                ],
            ),
            "used": (
                "Schon beantwortet – danke!",
                [
                    "Für diesen Beleg wurde bereits Feedback gegeben.",
                    "Jeder Beleg nimmt eine Antwort an.",
                ],
            ),
            "unknown": (
                "Diese Umfrage gibt es nicht mehr",
                [
                    "Der Code gehört zu einer Umfrage, die nicht mehr läuft.",
                ],
            ),
            "rate_limited": (
                "Einen Moment bitte",
                [
                    "Gerade kommen sehr viele Antworten von hier.",
                    "Bitte versuchen Sie es in {seconds} Sekunden noch einmal.",
                ],
            ),
            "csrf_failed": (
                "Bitte noch einmal senden",
                [
                    "Das Formular konnte nicht bestätigt werden.",
                    "Ihre Antworten stehen noch unten –",
                    "bitte senden Sie sie noch einmal.",
                ],
            ),
            "invalid_form": (
                "Bitte prüfen Sie Ihre Antworten",
                [
                    "Etwas fehlt noch oder passt nicht.",
                ],
            ),
            "error": (
                "Das hat nicht geklappt",
                [
                    "Bitte versuchen Sie es gleich noch einmal.",
                ],
            ),
        },
    },
    "en": {
        "title": "Feedback for {store}",
        "subtitle": "Feedback",
        "greeting": "Hi! This is {store}. How did it go? It takes less than a minute.",
        "store_says": "{store}:",
        "you_say": "You:",
        "typing": "{store} is typing …",
        "language": "Language",
        "skip": "Skip",
        "send": "Send",
        "choose_then_send": "Choose all that apply, then “Send”.",
        "your_message": "Your message",
        "message_placeholder": "Write to us …",
        "faces": {
            4: ["Very bad", "Bad", "Good", "Very good"],
            5: ["Very bad", "Bad", "Okay", "Good", "Very good"],
        },
        "nps_low": "0 = not likely",
        "nps_high": "10 = very likely",
        "contact_question": "May we contact you about your feedback?",
        "contact_yes": "Yes, please",
        "contact_no": "No, thanks",
        "contact_ask": "How can we reach you? Your email address or phone number:",
        "contact_label": "Email or phone",
        "consent": (
            "I agree that {store} may contact me at this address about my feedback. It is stored "
            "encrypted, used only for this and deleted afterwards."
        ),
        "consent_needed": "Please tick the consent box, or choose “No, thanks”.",
        "address_needed": "Please enter an email address or phone number.",
        "contact_given": "Yes, please get in touch.",
        "thanks": "Thank you! Your feedback helps the {store} team.",
        "thanks_contact": "We will get back to you.",
        "summary": "Your answers",
        "skipped": "skipped",
        "status_saving": "Sending …",
        "status_sent": "Sent ✓",
        "status_offline": "Saved on your phone – it will be sent as soon as you are back online.",
        "status_rejected": "This answer could not be accepted.",
        "status_used": "Feedback for this receipt was already given.",
        "status_reused": "This page has sent an answer already. Reload it to answer again.",
        "again": "Give new feedback",
        "submit": "Send feedback",
        "form_hint": "Answer what you like and send the form.",
        "rating_needed": "Please choose how it was first.",
        "continue_greeting": "Thank you for rating us “{face}” on our terminal! Would you like to tell us more?",
        "continue_greeting_unknown": "Thank you for rating us on our terminal! Would you like to tell us more?",
        "continue_used": "This rating was already continued on another phone.",
        "problems": {
            "continuation_used": (
                "Already answered – thank you!",
                [
                    "You have already told us more about this rating.",
                    "Each code from the terminal takes one answer.",
                ],
            ),
            "continuation_expired": (
                "This code has expired",
                [
                    "Your rating at the terminal has arrived – thank you!",
                    "The code was valid for two hours to tell us more.",
                ],
            ),
            "invalid": (
                "This code doesn't work",
                [
                    "The QR code is incomplete or not valid.",
                    "Please scan it again, or ask in the store for a new one.",
                ],
            ),
            "expired": (
                "This code has expired",
                [
                    "Thanks for wanting to give feedback!",
                    "This code is no longer valid.",
                    "Ask in the store for a current one.",
                ],
            ),
            "ticket_used": (
                "Already sent – thank you!",
                [
                    "This page has sent its answer already.",
                    "Want to answer again? Open the link once more.",
                ],
            ),
            "used": (
                "Already answered – thank you!",
                [
                    "Feedback for this receipt has already been given.",
                    "Each receipt takes one response.",
                ],
            ),
            "unknown": (
                "This survey has ended",
                [
                    "The code belongs to a survey that no longer runs.",
                ],
            ),
            "rate_limited": (
                "One moment, please",
                [
                    "A great many answers are arriving from here right now.",
                    "Please try again in {seconds} seconds.",
                ],
            ),
            "csrf_failed": (
                "Please send it again",
                [
                    "The form could not be verified.",
                    "Your answers are still below –",
                    "please send them again.",
                ],
            ),
            "invalid_form": (
                "Please check your answers",
                [
                    "Something is missing or does not fit.",
                ],
            ),
            "error": (
                "That did not work",
                [
                    "Please try again in a moment.",
                ],
            ),
        },
    },
}

# Error code -> which friendly page explains it: (title, sentences).
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


def texts(language: str, store_name: str) -> dict[str, Any]:
    """The page's words in ``language`` with the store's name filled in."""
    source = TEXTS.get(language, TEXTS[FALLBACK])

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("{store}", store_name)
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(fill(v) for v in value)
        return value

    return fill(source)
