"""This module contains the crafts' four sectors (trade categories) and how a trade written in free text
("boulangère", "salon de coiffure", "maçon couvreur") falls into one of them, by keywords.

Shared by the action server (the barometer's "Votre secteur ?" buttons) and the gateway (the artisans' profiles
behind the partners' reports): it must stay pure standard library and run on Python 3.10. The keys are the
values of bot.storage.models.TradeCategory.
"""

import re
import unicodedata
from typing import Optional

__all__ = ["TRADE_CATEGORIES", "trade_category_of"]

# The sectors as the chambers count them, with their labels on the artisan's buttons.
TRADE_CATEGORIES = {
    "alimentation": "Alimentation",
    "batiment": "Bâtiment",
    "production": "Production",
    "services": "Services",
}

# Word stems (accents folded, lower case) that name a trade of each sector. A stem matches at the start of a word
# ("boulang" matches "boulanger", "boulangere", "boulangerie"). Where a trade could be read two ways, the usual
# reading wins ("peintre" is a house painter, "mecanicien" a car mechanic, "menuisier" works on buildings).
_STEMS = {
    "alimentation": (
        "boulang", "patiss", "boucher", "boucherie", "charcut", "traiteur", "chocolat", "confis", "glacier",
        "poissonn", "fromag", "cremier", "cremerie", "meunier", "brasseu", "brasserie artisanale", "torrefact",
        "biscuit", "conserver", "salaison", "viennois", "pain", "epicerie fine", "cuisinier", "restaurat",
        "food truck", "apicult", "miel",
    ),
    "batiment": (
        "macon", "maconn", "plomb", "chauffag", "electricien", "electricite", "couvreur", "couverture",
        "charpent", "menuis", "carrel", "platr", "plaquist", "peintre", "peinture", "serrur", "terrass",
        "facad", "etanch", "zingu", "vitrier", "vitrerie", "frigori", "climatis", "isolation", "demolition",
        "btp", "batiment", "renovation", "cuisiniste", "parquet", "solier", "staff", "tailleur de pierre",
        "ramon", "sanitaire", "chape", "enduit", "metallier", "metallerie", "second oeuvre", "gros oeuvre",
        "poseur", "ferronn",
    ),
    "production": (
        "ebenist", "bijout", "joaill", "imprim", "couturi", "couture", "tailleur", "prothesiste dentaire",
        "potier", "poterie", "ceram", "verrier", "souffleur de verre", "sellier", "sellerie", "maroquin",
        "tapissier", "luthier", "encadr", "serigraph", "fabricant", "fabrication", "usinage", "chaudronn",
        "soudeu", "soudure", "tourneur", "forgeron", "coutel", "atelier de confection", "confection",
        "tricot", "savonn", "bougie", "ebenisterie", "sculpt", "graveu", "relieu", "doreur", "modiste",
        "tonnel", "vannier",
    ),
    "services": (
        "coiff", "esthetic", "beaute", "barbier", "taxi", "vtc", "ambulanc", "garag", "mecanicien", "chauffeur", "coursier", "carross",
        "reparat", "cordonn", "pressing", "blanchiss", "teinturier", "photograph", "toilett", "fleurist",
        "nettoyage", "menage", "demenag", "transport", "depann", "horlog", "tatou", "ongle", "onglerie",
        "manucur", "institut", "paysagist", "jardin", "espaces verts", "retouche", "informatique", "auto ecole",
        "prothesiste ongulaire", "maquill", "spa", "massage", "pompes funebres", "funeraire", "laverie",
        "controle technique",
    ),
}
_PATTERNS = [
    (category, re.compile(r"\b(?:" + "|".join(re.escape(stem) for stem in stems) + r")"))
    for category, stems in _STEMS.items()
]


def _folded(text: str) -> str:
    """Lowercase ASCII words separated by one space: "Pâtissière-chocolatière" is "patissiere chocolatiere"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    ascii_text = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", ascii_text.replace("œ", "oe")).split())


def trade_category_of(trade: Optional[str]) -> Optional[str]:
    """The sector of a trade written in free text, or None when no word of it names a known trade.

    The word that comes first decides ("boulanger traiteur" is alimentation, "ébéniste et menuisier" is
    production)."""
    words = _folded(trade or "")
    best: Optional[tuple] = None
    for category, pattern in _PATTERNS:
        found = pattern.search(words)
        if found is not None and (best is None or found.start() < best[0]):
            best = (found.start(), category)
    return best[1] if best is not None else None
