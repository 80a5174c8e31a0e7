"""This module contains `mask`, which takes personal data out of an artisan's message before it can be learned.

Phone numbers, e-mail addresses, IBANs, SIRET/SIREN numbers and recognisable names become tokens in angle
quotes (`‹téléphone›`, `‹e-mail›`, `‹iban›`, `‹numéro›`, `‹nom›`). Never square brackets: Rasa's training YAML
reads `[..](..)` as an entity. Pure functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import phonenumbers

PHONE = "‹téléphone›"
EMAIL = "‹e-mail›"
NAME = "‹nom›"
NUMBER = "‹numéro›"
IBAN = "‹iban›"

EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Country code, two check digits, then the account in groups of four (spaces optional), 14 to 34 characters.
IBAN_PATTERN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b", re.IGNORECASE)
SIRET_PATTERN = re.compile(r"(?<![\w+])\d{3}[ .]?\d{3}[ .]?\d{3}[ .]?\d{5}(?!\w)")
SIREN_PATTERN = re.compile(r"(?<![\w+])\d{3}[ .]?\d{3}[ .]?\d{3}(?![\w])")
# The safety net: any run of nine digits or more, whatever separates them, is treated as a phone number.
DIGIT_RUN = re.compile(r"(?<!\w)\+?\d(?:[ .\-/]?\d){8,}(?!\w)")

# A word as people write it: letters, with inner apostrophes and hyphens (Jean-Pierre, O'Neil).
WORD = r"[^\W\d_](?:[^\W\d_]|['’-](?=[^\W\d_]))*"
CAPITALISED = re.compile(r"[^\W\d_]")

# What introduces a name. `lower_ok`: people often type their own name in lower case after these.
INTRODUCERS: list[tuple[re.Pattern[str], bool]] = [
    (re.compile(r"\bje\s+m['’]\s*appel+e\s+", re.IGNORECASE), True),
    (re.compile(r"\bmon\s+nom\s+(?:est|c['’]est)\s+", re.IGNORECASE), True),
    (re.compile(r"\bmoi\s*,?\s+c['’]est\s+", re.IGNORECASE), True),
    (re.compile(r"\bje\s+suis\s+", re.IGNORECASE), False),
]
# Titles: "M. Dupont", "Mme Martin", "Monsieur Jean Dupont". Case matters ("m." is not a title).
TITLE = re.compile(r"(?<!\w)(?:M\.|MM\.|Mr\.?|Mme\.?|Mmes\.?|Mlle\.?|Monsieur|Madame|Mademoiselle|monsieur|madame)\s+")
# A signature: the sign-off, then the name (on the same line or the next). After a formal sign-off, the last
# few words of the message are a name even in lower case; after "merci", only capitalised words.
END = r"\s*[,.!]?[ \t]*\n?[ \t]*"
SIGN_OFFS: list[tuple[re.Pattern[str], bool]] = [
    (
        re.compile(
            r"(?:\b(?:bien\s+)?cordialement|\bbien\s+(?:à|a)\s+vous|\bsalutations(?:\s+distinguées)?"
            r"|\bsinc[èe]rement)" + END,
            re.IGNORECASE,
        ),
        True,
    ),
    (
        re.compile(
            r"(?:\bbonne\s+(?:journée|soirée)|\bmerci(?:\s+(?:d['’]avance|beaucoup|par\s+avance))?)" + END,
            re.IGNORECASE,
        ),
        False,
    ),
]

# Common words that follow "je suis", "c'est" or a sign-off without being a name; also what a display name may
# contain without being one (a WhatsApp profile is often a shop: "Boulangerie Martin"). Accents folded.
COMMON_WORDS = frozenset(
    """
    a au aux avec ce ces cet cette dans de des du elle en et il ils je la le les leur lui ma mais me mes moi mon
    ne nos notre nous on ou par pas pour qu que qui sa se ses si son sur ta te tes toi ton tu un une vos votre vous
    y ici la bien tres trop plus moins tout toute tous toutes deja encore aussi vraiment toujours jamais actuellement
    bonjour bonsoir merci salut madame monsieur oui non ok cordialement
    artisan artisane entrepreneur auto micro autoentrepreneur microentrepreneur gerant gerante patron patronne
    chef salarie salariee independant independante commercant commercante createur creatrice dirigeant dirigeante
    president presidente proprietaire locataire apprenti apprentie employeur employe employee retraite
    boulanger boulangere boulangerie patissier patissiere patisserie boucher bouchere boucherie charcutier
    charcutiere charcuterie traiteur coiffeur coiffeuse coiffure barbier estheticienne esthetique fleuriste
    plombier chauffagiste electricien electricienne menuisier menuisiere macon carreleur peintre couvreur
    charpentier serrurier garagiste mecanicien carrossier taxi chauffeur ambulancier photographe imprimeur
    cordonnier couturier couturiere tailleur bijoutier horloger opticien prothesiste ebeniste tapissier
    ferronnier plaquiste paysagiste jardinier ramoneur vitrier toiletteur toiletteuse poissonnier poissonniere
    fromager traiteur restaurateur cuisinier cuisiniere brasseur torrefacteur chocolatier glacier caviste
    francais francaise inquiet inquiete perdu perdue desespere desesperee ferme fermee ouvert ouverte
    seul seule malade enceinte oblige obligee en difficulte confine confinee presente present inscrit inscrite
    nouveau nouvelle ancien ancienne installe installee base basee situe situee desole desolee content contente
    sur certain certaine pret prete the cma chambre metiers region urssaf bpi pole emploi etat
    lundi mardi mercredi jeudi vendredi samedi dimanche janvier fevrier mars avril mai juin juillet aout
    septembre octobre novembre decembre paris lyon
    """.split()
)


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


def _is_common(word: str) -> bool:
    folded = _fold(word)
    return folded in COMMON_WORDS or folded.split("'")[-1] in COMMON_WORDS


def mask(text: str, names: Iterable[str] = ()) -> str:
    """The message with its phone numbers, e-mails, IBANs, SIRET/SIREN numbers and recognisable names masked."""
    text = EMAIL_PATTERN.sub(EMAIL, text)
    text = IBAN_PATTERN.sub(_iban, text)
    text = _mask_phones(text)
    text = SIRET_PATTERN.sub(NUMBER, text)
    text = SIREN_PATTERN.sub(NUMBER, text)
    text = DIGIT_RUN.sub(PHONE, text)
    found: list[str] = []  # names recognised in the message are masked wherever else it repeats them
    text = _mask_introduced_names(text, found)
    text = _mask_titled_names(text, found)
    text = _mask_signature(text, found)
    return _mask_known_names(text, [*names, *found])


def _iban(match: re.Match[str]) -> str:
    # An IBAN has digits in its account part; "FR12 ABCD EFGH IJKL" without any is more likely not one.
    value = match.group(0)
    return IBAN if sum(c.isdigit() for c in value) >= 8 else value


def _mask_phones(text: str) -> str:
    pieces: list[str] = []
    last = 0
    for match in phonenumbers.PhoneNumberMatcher(text, "FR"):
        digits = re.sub(r"\D", "", match.raw_string)
        # Nine digits without a leading 0 or + are a SIREN as French people write them, not a phone.
        token = NUMBER if len(digits) == 9 and match.raw_string[0] not in "0+" else PHONE
        pieces.append(text[last : match.start])
        pieces.append(token)
        last = match.end
    pieces.append(text[last:])
    return "".join(pieces)


def _mask_known_names(text: str, names: Iterable[str]) -> str:
    """The platform's display name, whole, then each of its words that is not a common word."""
    candidates: set[str] = set()
    for name in names:
        name = (name or "").strip()
        if not name:
            continue
        candidates.add(name)
        for word in re.findall(WORD, name):
            if len(word) >= 2 and not _is_common(word):
                candidates.add(word)
    for candidate in sorted(candidates, key=len, reverse=True):
        pattern = re.compile(r"(?<![\w‹])" + re.escape(candidate) + r"(?![\w›])", re.IGNORECASE)
        text = pattern.sub(NAME, text)
    return _merge_names(text)


def _name_words(text: str, start: int, *, lower_ok: bool, limit: int = 3) -> int:
    """Where the name starting at `start` ends (== start when there is none): up to `limit` words."""
    position = start
    end = start
    count = 0
    word = re.compile(WORD)
    while count < limit:
        if text.startswith(NAME, position):  # a part of the name masked already
            count += 1
            end = position + len(NAME)
            gap = re.match(r"[ \t]+", text[end:])
            if gap is None:
                break
            position = end + gap.end()
            continue
        match = word.match(text, position)
        if match is None:
            break
        value = match.group(0)
        if _is_common(value) or (not value[0].isupper() and not (lower_ok and count < 2)):
            break
        if not lower_ok and value.isupper() and len(value) <= 3:
            break  # an acronym (CMA, PGE) rather than a name
        count += 1
        end = match.end()
        gap = re.match(r"[ \t]+", text[end:])
        if gap is None:
            break
        position = end + gap.end()
    return end


def _mask_introduced_names(text: str, found: list[str]) -> str:
    for pattern, lower_ok in INTRODUCERS:
        text = _replace_after(text, pattern, found, lower_ok=lower_ok)
    return text


def _mask_titled_names(text: str, found: list[str]) -> str:
    return _replace_after(text, TITLE, found, lower_ok=False)


def _replace_after(text: str, pattern: re.Pattern[str], found: list[str], *, lower_ok: bool) -> str:
    pieces: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        if match.start() < last:
            continue
        end = _name_words(text, match.end(), lower_ok=lower_ok)
        if end == match.end():
            continue
        found.append(text[match.end() : end].replace(NAME, " "))
        pieces.append(text[last : match.end()])
        pieces.append(NAME)
        last = end
    pieces.append(text[last:])
    return _merge_names("".join(pieces))


def _mask_signature(text: str, found: list[str]) -> str:
    """A name after a sign-off at the end of a line or of the message ("Cordialement, Jean Dupont")."""
    for pattern, formal in SIGN_OFFS:
        text = _mask_signed(text, pattern, formal, found)
    return text


def _mask_signed(text: str, pattern: re.Pattern[str], formal: bool, found: list[str]) -> str:
    pieces: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        if match.start() < last:
            continue
        rest = text[match.end() :]
        line = rest.split("\n", 1)[0]
        at_end = "\n" not in rest.strip() and len(re.findall(r"\S+", line)) <= 4
        end = _name_words(text, match.end(), lower_ok=formal and at_end)
        tail = text[end:].strip(" \t.!")
        if end == match.end() or (tail and not tail.startswith("\n")):
            continue  # words that go on into a sentence are not a signature
        found.append(text[match.end() : end].replace(NAME, " "))
        pieces.append(text[last : match.end()])
        pieces.append(NAME)
        last = end
    pieces.append(text[last:])
    return _merge_names("".join(pieces))


def _merge_names(text: str) -> str:
    # "‹nom› ‹nom›" (a first name and a surname masked one by one) reads as one name.
    return re.sub(re.escape(NAME) + r"(?:[ \t]+" + re.escape(NAME) + r")+", NAME, text)
