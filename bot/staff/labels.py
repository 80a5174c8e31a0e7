"""This module contains the French labels the staff pages and exports show for stored codes."""

from __future__ import annotations

from bot.desk.request_statuses import CALLBACK_STATUS_LABELS, PLEDGE_STATUS_LABELS
from bot.shared.subjects import SUBJECTS
from bot.storage.models import IncidentKind

SUBJECT_LABELS = SUBJECTS
PREFERRED_TIME_LABELS = {"morning": "Matin", "afternoon": "Après-midi", "any": "Indifférent"}
MASK_TYPE_LABELS = {"surgical": "Chirurgicaux", "ffp2": "FFP2", "fabric": "Tissu / grand public", "other": "Autre"}
DELIVERY_LABELS = {"drop_off": "Dépôt à la Chambre", "collection": "Collecte"}
AUTHOR_LABELS = {"artisan": "Artisan", "bot": "crisisbot", "agent": "Conseiller", "news": "Annonce"}
CHANNEL_LABELS = {"rest": "Web chat", "telegram": "Telegram", "whatsapp": "WhatsApp"}
# Where a reply is on its way to the artisan (outbound messages only).
DELIVERY_STATUS_LABELS = {
    "pending": "En attente d’envoi",
    "sent": "Envoyé",
    "delivered": "Distribué",
    "read": "Lu",
    "failed": "Non remis",
    "held": "Retenu (fenêtre WhatsApp de 24 h fermée)",
}
# How Rasa misbehaved on a message (the artisan got one answer anyway).
INCIDENT_LABELS = {
    IncidentKind.REPEATED: "La même réponse plusieurs fois (une seule envoyée)",
    IncidentKind.CIRCUIT_BREAKER: "L’assistant tournait en rond (arrêté, il a repris le fil)",
}
# What an artisan sent that is not text, as the channel recorded it.
KIND_LABELS = {
    "photo": "Photo",
    "video": "Vidéo",
    "voice": "Message vocal",
    "audio": "Fichier audio",
    "sticker": "Autocollant",
    "document": "Document",
    "location": "Position",
    "contact": "Fiche contact",
    "edited": "Message modifié",
    "deleted": "Message supprimé",
    "reaction": "Réaction",
    "system": "Notification WhatsApp",
    "other": "Contenu non pris en charge",
}


def label(labels: dict[str, str], code: str | None) -> str:
    """The French label of a code; the code itself when it has none (a subject added later)."""
    if code is None:
        return ""
    return labels.get(code, code)


def status_label(code: str) -> str:
    """A callback's or a pledge's status in French (the two sets of codes do not overlap)."""
    return CALLBACK_STATUS_LABELS.get(code) or PLEDGE_STATUS_LABELS.get(code) or code


FILTERS = {
    "status_label": status_label,
    "subject_label": lambda code: label(SUBJECT_LABELS, code),
    "time_label": lambda code: label(PREFERRED_TIME_LABELS, code),
    "mask_label": lambda code: label(MASK_TYPE_LABELS, code),
    "delivery_label": lambda code: label(DELIVERY_LABELS, code),
    "author_label": lambda code: label(AUTHOR_LABELS, code),
    "channel_label": lambda code: label(CHANNEL_LABELS, code),
    "delivery_status_label": lambda code: label(DELIVERY_STATUS_LABELS, code),
    "kind_label": lambda code: label(KIND_LABELS, code),
    "incident_label": lambda code: label(INCIDENT_LABELS, code),
}


def phone_display(phone: str) -> str:
    """A French E.164 number as advisers dial it (`06 12 34 56 78`); any other number as stored."""
    if phone.startswith("+33") and len(phone) == 12 and phone[1:].isdigit():
        national = "0" + phone[3:]
        return " ".join(national[i : i + 2] for i in range(0, 10, 2))
    return phone


FILTERS["phone_display"] = phone_display

JOB_STATUS_LABELS = {"queued": "en attente", "running": "en cours", "succeeded": "terminé", "failed": "échoué"}


def percent(value: float | None) -> str:
    """A fraction as the chamber reads it: 0.9512 → "95,1 %"; none → "—"."""
    if value is None:
        return "—"
    return f"{value * 100:.1f} %".replace(".", ",")


FILTERS["job_status"] = lambda code: label(JOB_STATUS_LABELS, code)
FILTERS["percent"] = percent
