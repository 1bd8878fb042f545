"""The three starter pages and each block type's default content, in English and French.

The texts are the page's content, not the interface: they follow the account's language
(not the user's), and are written here rather than through gettext so that a French
account gets French pages whatever the state of the translation catalogue.
"""

from __future__ import annotations

import copy
import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from landingpages.blocks import new_block_id

STARTERS = {
    "promotion": {
        "label": _("Promotion with a coupon"),
        "description": _("A heading, an offer, a coupon code with its QR code, a button."),
        "icon": "ticket-perforated",
    },
    "event": {
        "label": _("Event invitation with a form"),
        "description": _("The date with a countdown, the place, and a form to register."),
        "icon": "calendar-event",
    },
    "store": {
        "label": _("Store visit with a map"),
        "description": _("Opening hours, the address with directions, a call button."),
        "icon": "shop",
    },
}

_TEXTS = {
    "en": {
        "promotion": [
            ("heading", {"text": "20% off this weekend", "level": 1}),
            (
                "text",
                {
                    "html": "<p>Thank you for being a customer. Show this code at the "
                    "checkout or enter it online: <strong>20% off everything</strong>, "
                    "until Sunday.</p>"
                },
            ),
            (
                "coupon",
                {"code": "WEEKEND20", "note": "One use per customer.", "barcode": "qr"},
            ),
            (
                "button",
                {"label": "Shop online", "action": "link", "target": "https://www.example.com"},
            ),
        ],
        "event": [
            ("heading", {"text": "You are invited", "level": 1}),
            (
                "text",
                {
                    "html": "<p>Join us for an evening of tastings and surprises. "
                    "Places are limited: <strong>register below</strong>.</p>"
                },
            ),
            ("countdown", {"label": "The evening starts in"}),
            ("map", {"address": "1 Main Street, Springfield"}),
            (
                "form",
                {
                    "title": "Register",
                    "ask_name": True,
                    "ask_phone": True,
                    "ask_email": True,
                    "questions": [
                        {"key": "guests", "label": "How many guests?", "required": False}
                    ],
                    "consent_text": "I agree to be contacted about this event.",
                    "submit_label": "Register",
                    "thanks": "Thank you! See you there.",
                },
            ),
        ],
        "store": [
            ("heading", {"text": "Come and see us", "level": 1}),
            (
                "text",
                {
                    "html": "<p>Our shop is open:</p><ul><li>Monday to Friday: "
                    "9 am - 7 pm</li><li>Saturday: 10 am - 6 pm</li></ul>"
                },
            ),
            ("map", {"address": "1 Main Street, Springfield"}),
            (
                "button",
                {
                    "label": "Get directions",
                    "action": "directions",
                    "target": "1 Main Street, Springfield",
                },
            ),
            ("button", {"label": "Call us", "action": "call", "target": "+1 555 010 0000"}),
        ],
    },
    "fr": {
        "promotion": [
            ("heading", {"text": "-20 % ce week-end", "level": 1}),
            (
                "text",
                {
                    "html": "<p>Merci de votre fidélité. Présentez ce code en caisse ou "
                    "saisissez-le en ligne : <strong>-20 % sur tout</strong>, jusqu'à "
                    "dimanche.</p>"
                },
            ),
            (
                "coupon",
                {"code": "WEEKEND20", "note": "Une utilisation par client.", "barcode": "qr"},
            ),
            (
                "button",
                {
                    "label": "Acheter en ligne",
                    "action": "link",
                    "target": "https://www.example.com",
                },
            ),
        ],
        "event": [
            ("heading", {"text": "Vous êtes invité", "level": 1}),
            (
                "text",
                {
                    "html": "<p>Rejoignez-nous pour une soirée de dégustations et de "
                    "surprises. Les places sont limitées : <strong>inscrivez-vous "
                    "ci-dessous</strong>.</p>"
                },
            ),
            ("countdown", {"label": "La soirée commence dans"}),
            ("map", {"address": "1 rue de la Paix, 75002 Paris"}),
            (
                "form",
                {
                    "title": "Inscription",
                    "ask_name": True,
                    "ask_phone": True,
                    "ask_email": True,
                    "questions": [
                        {"key": "guests", "label": "Combien d'invités ?", "required": False}
                    ],
                    "consent_text": "J'accepte d'être contacté au sujet de cet événement.",
                    "submit_label": "S'inscrire",
                    "thanks": "Merci ! À bientôt.",
                },
            ),
        ],
        "store": [
            ("heading", {"text": "Venez nous voir", "level": 1}),
            (
                "text",
                {
                    "html": "<p>Notre boutique est ouverte :</p><ul><li>du lundi au "
                    "vendredi : 9 h - 19 h</li><li>le samedi : 10 h - 18 h</li></ul>"
                },
            ),
            ("map", {"address": "1 rue de la Paix, 75002 Paris"}),
            (
                "button",
                {
                    "label": "Itinéraire",
                    "action": "directions",
                    "target": "1 rue de la Paix, 75002 Paris",
                },
            ),
            ("button", {"label": "Appelez-nous", "action": "call", "target": "+33 1 23 45 67 89"}),
        ],
    },
}

_DEFAULTS = {
    "en": {
        "heading": {"text": "Your heading", "level": 2},
        "text": {"html": "<p>Write your text here.</p>"},
        "button": {"label": "Find out more", "action": "link", "target": "https://www.example.com"},
        "coupon": {"code": "WELCOME10", "note": "", "barcode": "none"},
        "countdown": {"label": "Ends in"},
        "map": {"address": "1 Main Street, Springfield"},
        "video": {"url": "https://www.youtube.com/", "title": ""},
        "form": {
            "title": "Stay in touch",
            "consent_text": "I agree to be contacted about this offer.",
            "submit_label": "Send",
            "thanks": "Thank you!",
        },
    },
    "fr": {
        "heading": {"text": "Votre titre", "level": 2},
        "text": {"html": "<p>Écrivez votre texte ici.</p>"},
        "button": {
            "label": "En savoir plus",
            "action": "link",
            "target": "https://www.example.com",
        },
        "coupon": {"code": "BIENVENUE10", "note": "", "barcode": "none"},
        "countdown": {"label": "Se termine dans"},
        "map": {"address": "1 rue de la Paix, 75002 Paris"},
        "video": {"url": "https://www.youtube.com/", "title": ""},
        "form": {
            "title": "Restons en contact",
            "consent_text": "J'accepte d'être contacté au sujet de cette offre.",
            "submit_label": "Envoyer",
            "thanks": "Merci !",
        },
    },
}


_COPY_TITLE = {"en": "{title} (copy)", "fr": "{title} (copie)"}


def copy_title(title: str, language: str) -> str:
    """A duplicate's title (visitors see it in the browser tab: the account's language)."""
    return _COPY_TITLE[_language(language)].format(title=title)


def _language(language: str) -> str:
    return language if language in _TEXTS else "en"


def _until() -> str:
    """A week from now, on the hour: a countdown needs a date to count to."""
    moment = timezone.now() + datetime.timedelta(days=7)
    return moment.replace(minute=0, second=0, microsecond=0).isoformat()


def default_data(block_type: str, language: str) -> dict:
    """What a new block of this type holds (valid for `validate_block`). An image
    block has no default: it is added with its uploaded image."""
    data = copy.deepcopy(_DEFAULTS[_language(language)][block_type])
    if block_type == "countdown":
        data["until"] = _until()
    return data


def starter_blocks(name: str, language: str) -> list[dict]:
    """The blocks of a starter page (unvalidated: the caller validates)."""
    blocks = []
    for block_type, data in _TEXTS[_language(language)][name]:
        data = copy.deepcopy(data)
        if block_type == "countdown":
            data["until"] = _until()
        blocks.append({"id": new_block_id(), "type": block_type, "data": data})
    return blocks
