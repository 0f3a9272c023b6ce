"""Every word of the customer's page, per language (the email templates have theirs)."""

from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Your complaint", "where": "Where it stands", "about": "About", "received_on": "Received on",
        "reference": "Reference", "offer": "Our offer", "worth": "worth",
        "accepted_note": "You accepted this offer. We will check back with you after {when}.",
        "accept": "Accept this offer", "decline_label": "Not enough? Tell us why (optional)",
        "decline": "Decline this offer", "how": "How did it go?", "right": "Did we put things right?",
        "yes": "Yes", "no": "No", "score": "How happy are you now? (1 = very unhappy, 5 = delighted)",
        "more": "Anything else you want us to know? (optional)", "send": "Send my answer",
        "thanks": "Thank you", "could_not": "We could not do that", "back": "Back to your complaint",
        "st_received": "We have your complaint, and a person is looking at it.",
        "st_escalated": "A senior colleague is looking at your complaint.",
        "st_recovery_offered": "We have made you an offer to put things right.",
        "st_reopened": "You told us it was not enough: a senior colleague is preparing a better offer.",
        "st_getting_ready": "We have your complaint and are getting it ready. Please look again in a minute.",
        "st_closed_satisfied": "Closed: we are glad we could put it right.",
        "st_closed": "Closed: we did not hear back from you. Tell us again if something is still wrong.",
        "st_accepted": "You accepted our offer. We will check back with you.",
        "done_accept": "Thank you: you accepted our offer. We will check back with you.",
        "done_decline": "Thank you for telling us. A senior colleague will make you a better offer.",
        "done_happy": "Thank you! We are glad we could put it right.",
        "done_unhappy": "Thank you for telling us. A senior colleague will get back to you with a better offer.",
        "missing": "Please tell us whether we put things right, and choose a score from 1 to 5.",
        "moment": "%H:%M UTC on %d %B %Y", "day": "%d %B %Y",
    },
    "de": {
        "title": "Ihre Beschwerde", "where": "Stand", "about": "Worum es geht", "received_on": "Eingegangen am",
        "reference": "Referenz", "offer": "Unser Angebot", "worth": "im Wert von",
        "accepted_note": "Sie haben dieses Angebot angenommen. Nach {when} fragen wir nach.",
        "accept": "Angebot annehmen", "decline_label": "Reicht nicht? Sagen Sie uns, warum (freiwillig)",
        "decline": "Angebot ablehnen", "how": "Wie ist es gelaufen?", "right": "Haben wir es wiedergutgemacht?",
        "yes": "Ja", "no": "Nein", "score": "Wie zufrieden sind Sie jetzt? (1 = sehr unzufrieden, 5 = begeistert)",
        "more": "Möchten Sie uns noch etwas sagen? (freiwillig)", "send": "Antwort senden",
        "thanks": "Danke", "could_not": "Das ging leider nicht", "back": "Zurück zu Ihrer Beschwerde",
        "st_received": "Ihre Beschwerde ist bei uns, und ein Mensch kümmert sich darum.",
        "st_escalated": "Eine erfahrene Kollegin oder ein erfahrener Kollege kümmert sich um Ihre Beschwerde.",
        "st_recovery_offered": "Wir haben Ihnen ein Angebot gemacht, um es wiedergutzumachen.",
        "st_reopened": "Sie haben uns gesagt, dass es nicht reicht: Wir bereiten ein besseres Angebot vor.",
        "st_getting_ready": "Ihre Beschwerde ist bei uns und wird vorbereitet. Schauen Sie in einer Minute wieder.",
        "st_closed_satisfied": "Abgeschlossen: Wir freuen uns, dass wir es wiedergutmachen konnten.",
        "st_closed": "Abgeschlossen: Wir haben nichts mehr von Ihnen gehört. Sagen Sie es uns, wenn noch etwas "
                     "nicht stimmt.",
        "st_accepted": "Sie haben unser Angebot angenommen. Wir fragen später nach.",
        "done_accept": "Danke: Sie haben unser Angebot angenommen. Wir fragen später nach.",
        "done_decline": "Danke, dass Sie es uns sagen. Wir machen Ihnen ein besseres Angebot.",
        "done_happy": "Danke! Wir freuen uns, dass wir es wiedergutmachen konnten.",
        "done_unhappy": "Danke, dass Sie es uns sagen. Wir melden uns mit einem besseren Angebot.",
        "missing": "Bitte sagen Sie uns, ob wir es wiedergutgemacht haben, und wählen Sie eine Note von 1 bis 5.",
        "moment": "%H:%M UTC am %d.%m.%Y", "day": "%d.%m.%Y",
    },
}
CATEGORIES_DE = {"wrong_order": "falsche Bestellung", "product_defect": "defektes Produkt", "billing": "Abrechnung",
                 "delivery": "Lieferung", "staff_conduct": "Verhalten des Personals", "wait_time": "Wartezeit",
                 "privacy": "Datenschutz", "policy": "Richtlinie", "other": "Sonstiges"}


def text(language: str | None) -> dict[str, str]:
    """The page's words in `language` when we have them (`de-AT` finds `de`), else English."""
    for candidate in (language, (language or "").split("-")[0].lower()):
        if candidate in TEXT:
            return TEXT[candidate]
    return TEXT["en"]


def lang_of(language: str | None) -> str:
    return next((k for k, v in TEXT.items() if v is text(language)), "en")
