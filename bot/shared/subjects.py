"""This module contains the subjects an artisan can be called back about, with their French labels.

Shared by the action server (the callback form's buttons and summary) and the gateway (the staff pages,
exports and the internal API's check): it must stay pure standard library and run on Python 3.10.
"""

# The FAQ intents, and "other". Labels as on the artisan's buttons.
SUBJECTS = {
    "faq_fonds_solidarite": "Fonds de solidarité",
    "faq_pge": "Prêt garanti (PGE)",
    "faq_activite_partielle": "Chômage partiel",
    "faq_report_charges": "Report de charges",
    "faq_loyers_factures": "Loyers et factures",
    "faq_mediation_credit": "Médiation du crédit",
    "faq_aides_region": "Aides de la Région",
    "faq_protocole_sanitaire": "Protocole sanitaire",
    "faq_ouverture_commerces": "Ouverture des commerces",
    "faq_apprentissage": "Apprentissage",
    "other": "Autre sujet",
}
