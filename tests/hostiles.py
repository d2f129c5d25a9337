"""Les charges hostiles et les outils des tests d'entrées hostiles, communs
à toutes les applications (``tests/<app>/test_entrees_hostiles.py``).

Pour chaque saisie, on vérifie : jamais d'erreur 500 ; un refus se fait par
un nouvel affichage (200/400) ou une redirection, avec une erreur en français ;
rien n'est écrit quand la saisie est refusée ; la saisie ne reparaît
qu'échappée dans le HTML ; un octet NUL n'atteint jamais la base (PostgreSQL
le refuse : ce serait une erreur 500).
"""

from __future__ import annotations

import html
import re

from django.forms import BaseForm

from comptes.models import Utilisateur
from conventions.models import Collectivite, Convention, Signature
from devis.models import DemandeDevis, Devis, EnvoiDevis, EvenementDevis, LigneDevis

# --- Les charges ---------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SCRIPT_ECHAPPE = "&lt;script&gt;alert(1)&lt;/script&gt;"

TEXTES = {
    "long_10k": "a" * 10_000,
    "long_1M": "x" * 1_000_000,
    "nul": "Ruitz\x00",
    "nul_seul": "\x00",
    "echappement": "Ruitz\x1b[31m",
    "bidi": "Ruitz\u202efdp.exe",
    "crlf": "Ruitz\r\nBcc: pirate@exemple.fr",
    "script": SCRIPT,
    "img": IMG,
    "sql": "'; DROP TABLE conventions_collectivite; --",
    "vide": "",
    "espaces": "  \t  ",
}
# Saisies qu'aucun champ d'une ligne ne doit accepter.
REFUS_LIGNE = {"long_10k", "long_1M", "nul", "nul_seul", "echappement", "bidi", "crlf"}
# Saisies qu'aucun champ de texte libre (motif, commentaire…) ne doit accepter.
REFUS_TEXTE_LIBRE = {"long_10k", "long_1M", "nul", "nul_seul", "echappement", "bidi"}

NOMBRES = {
    "negatif": "-1",
    "immense": str(10**30),
    "exposant": "1e309",
    "nan": "NaN",
    "infini": "Infinity",
    "moins_zero": "-0",
    "arabe": "٣",
    "pleine_chasse": "３",
    "decimal": "2,5",
    "hexa": "0x10",
    "nul": "3\x00",
    "long": "9" * 10_000,
    "vide": "",
    "espaces": "   ",
    "script": SCRIPT,
}

DATES = {
    "30_fevrier": "2024-02-30",
    "an_9999": "9999-12-31",
    "an_0": "0000-01-01",
    "mois_13": "2024-13-01",
    "francaise_impossible": "31/02/2024",
    "nul": "2024-01-01\x00",
    "script": SCRIPT,
    "long": "2024-01-01" * 1000,
    "vide": "",
}

ANGLAIS = re.compile(
    r"\b(This field|Ensure this|Enter a|Select a|Null characters|is required|"
    r"not allowed|Invalid|characters|valid)\b"
)


# --- Outils ---------------------------------------------------------------------


def compter() -> dict[str, int]:
    """Tout ce qu'une saisie refusée ne doit pas créer."""
    return {
        "collectivites": Collectivite.objects.count(),
        "collectivites_historique": Collectivite.history.count(),
        "conventions": Convention.objects.count(),
        "conventions_historique": Convention.history.count(),
        "signatures": Signature.objects.count(),
        "demandes": DemandeDevis.objects.count(),
        "devis": Devis.objects.count(),
        "lignes": LigneDevis.objects.count(),
        "envois": EnvoiDevis.objects.count(),
        "evenements": EvenementDevis.objects.count(),
        "utilisateurs": Utilisateur.objects.count(),
    }


def erreurs_affichees(reponse) -> list[str]:
    """Les erreurs des formulaires du contexte et les messages d'erreur."""
    erreurs: list[str] = []
    vus: set[int] = set()
    for contexte in reponse.context or []:
        for valeur in contexte.dicts if hasattr(contexte, "dicts") else [contexte]:
            if not isinstance(valeur, dict):
                continue
            for objet in valeur.values():
                if isinstance(objet, BaseForm) and id(objet) not in vus:
                    vus.add(id(objet))
                    if objet.is_bound:
                        for liste in objet.errors.values():
                            erreurs.extend(liste)
    if reponse.context and "messages" in reponse.context:
        erreurs.extend(
            str(m) for m in reponse.context["messages"] if m.level_tag == "error"
        )
    return erreurs


def sans_faille(reponse) -> str:
    """Le HTML ne contient la charge qu'échappée ; renvoie le HTML."""
    assert reponse.status_code < 500
    contenu = reponse.content.decode()
    assert SCRIPT not in contenu
    assert "<img src=x" not in contenu
    assert "onerror=alert(1)>" not in contenu.replace('"', "")
    return contenu


def refus_en_francais(reponse, avant: dict[str, int]) -> list[str]:
    """Un refus : nouvel affichage avec des erreurs françaises, visibles dans la
    page, et rien d'écrit."""
    contenu = sans_faille(reponse)
    assert reponse.status_code in (200, 400), reponse.status_code
    erreurs = erreurs_affichees(reponse)
    assert erreurs, "aucune erreur affichée"
    for erreur in erreurs:
        assert not ANGLAIS.search(erreur), erreur
        assert html.escape(erreur) in contenu or erreur in html.unescape(contenu), (
            erreur
        )
    assert compter() == avant
    return erreurs


def suivre(client, reponse):
    """La page où mène une redirection (messages compris)."""
    assert reponse.status_code == 302, reponse.status_code
    return client.get(reponse["Location"])


def sans_controle(texte: str) -> bool:
    """Aucun caractère de contrôle (sauf tabulation et fin de ligne) ni NUL."""
    return not re.search(
        r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]", texte
    )


# --- Paramètres d'adresse hostiles des listes filtrées -----------------------

PARAMETRES = [
    {"q": TEXTES["nul"]},
    {"q": TEXTES["long_10k"]},
    {"q": SCRIPT},
    {"q": "%' OR 1=1 --"},
    {"page": "9" * 30},
    {"page": "-1"},
    {"page": SCRIPT},
    {"type": "mairie", "statut": "x\x00", "categorie": SCRIPT, "convention": "?"},
    {"annee": "1e309", "emetteur": "pirate", "collectivite": "9" * 30},
    {"annee": "NaN", "collectivite": "²"},
    {"q": ["a", "b", "c"], "statut": ["emis", "brouillon"]},
]
