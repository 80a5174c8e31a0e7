"""This module contains the few sentences the gateway says itself, without asking Rasa."""

TOO_LONG = (
    "Votre message est très long et je risque de mal le comprendre. "
    "Pouvez-vous résumer votre question en une ou deux phrases ?"
)
NOTHING_TO_READ = (
    "Je ne sais lire que du texte. Pouvez-vous écrire votre question en quelques mots ? "
    "Tapez « menu » pour voir les sujets."
)
ENGINE_FAILED = (
    "Désolé, je n'arrive pas à traiter votre message pour le moment. "
    "Réessayez dans quelques minutes, ou contactez directement la Chambre de Métiers."
)
# Rasa lost track of the conversation on this message (bot/messaging/router.py) and said nothing: it listens again.
LOST_TRACK = "Désolé, je n'ai pas pu répondre à ce message. Pouvez-vous reposer votre question ?"
HELD_FOR_ADVISER = (
    "Votre message a bien été transmis : un conseiller va le lire. Vous pouvez continuer à écrire ici."
)

# What the bot says to a message it cannot read, by the kind its channel gave it (payload["kind"]).
# A kind missing here (a reaction, a system notice) is stored and gets no answer.
_WRITE_INSTEAD = "Pouvez-vous écrire votre question en quelques mots ? Tapez « menu » pour voir les sujets."
CANNOT_READ = {
    "photo": f"Merci, mais je ne sais pas lire les images. {_WRITE_INSTEAD}",
    "video": f"Merci, mais je ne peux pas regarder les vidéos. {_WRITE_INSTEAD}",
    "voice": f"Je ne peux pas écouter les messages vocaux. {_WRITE_INSTEAD}",
    "audio": f"Je ne peux pas écouter les fichiers audio. {_WRITE_INSTEAD}",
    "sticker": f"Merci ! Je ne comprends que le texte. {_WRITE_INSTEAD}",
    "document": (
        "Je ne peux pas lire les documents envoyés ici. Si un conseiller vous a demandé une pièce, "
        f"il vous dira comment la transmettre. {_WRITE_INSTEAD}"
    ),
    "location": "Merci, mais je ne lis pas les positions. Écrivez plutôt le nom de votre commune.",
    "contact": "Merci, mais je ne lis pas les fiches contact. Écrivez plutôt le numéro de téléphone.",
    "edited": (
        "J'ai vu que vous avez modifié un message, mais je ne lis pas les modifications. "
        "Envoyez votre correction dans un nouveau message."
    ),
    "other": NOTHING_TO_READ,
}

# The hand-off (bot/desk/handoff.py): what the artisan reads on the way.
TAKEN = "Un conseiller de la Chambre a pris votre conversation et vous répond ici."
GIVEN_BACK = (
    "Le conseiller a terminé. Je reprends la conversation : posez-moi une autre question quand vous voulez, "
    "ou tapez « menu »."
)
CLOSED_BY_ADVISER = "Le conseiller a clos la conversation. Merci, et bon courage ! Si besoin, écrivez-moi à nouveau."
NOBODY_IN_TIME = (
    "Désolé, aucun conseiller n'a pu vous répondre à temps. Voulez-vous qu'un conseiller vous rappelle "
    "par téléphone ? Je reste là pour vos autres questions."
)
ADVISERS_GONE = (
    "Nos conseillers ont terminé pour aujourd'hui ; ils répondent {hours}. Voulez-vous qu'un conseiller vous "
    "rappelle ? Je reste là pour vos autres questions."
)
ADVISER_GONE = (
    "Le conseiller a dû s'interrompre. Je reprends la conversation : voulez-vous qu'un conseiller vous "
    "rappelle par téléphone ? Je reste là pour vos autres questions."
)
OFFER_CALLBACK = [
    {"title": "Être rappelé", "payload": "/request_callback"},
    {"title": "Non merci", "payload": "/deny"},
]
