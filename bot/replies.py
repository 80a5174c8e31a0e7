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
HELD_FOR_ADVISER = "Votre message a bien été transmis au conseiller."
