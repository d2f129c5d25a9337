"""Normalisation des textes de recherche, telle que les gens tapent (module pur).

Le même ``normaliser`` s'applique au nom enregistré (colonne de recherche) et à
ce que l'on tape : « villers chatel » retrouve « Villers-Châtel », « st omer »
retrouve « Saint-Omer ».

Règles, dans l'ordre :

1. minuscules ; ligatures œ → oe, æ → ae, ß → ss ;
2. accents retirés (décomposition NFKD, marques combinantes supprimées) ;
3. « s/ » (abréviation de « sur ») devient « sur » ;
4. tout ce qui n'est ni lettre ni chiffre (tirets, apostrophes ' ’ ʼ, points,
   ponctuation) devient une espace ; espaces fusionnées, bords retirés ;
5. les mots « st » et « ste » deviennent « saint » et « sainte ».
"""

from __future__ import annotations

import re
import unicodedata

LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})
# ʼ (U+02BC) est une « lettre modificative » pour Unicode : on la traite à part
# comme les autres apostrophes.
APOSTROPHES = str.maketrans({"ʼ": " ", "’": " ", "'": " "})
SUR_ABREGE = re.compile(r"(?<![^\W_])s/")
ABREVIATIONS = {"st": "saint", "ste": "sainte"}


def normaliser(texte: str) -> str:
    """Forme de recherche d'un texte : voir les règles du module."""
    texte = texte.lower().translate(LIGATURES).translate(APOSTROPHES)
    texte = "".join(
        caractere
        for caractere in unicodedata.normalize("NFKD", texte)
        if not unicodedata.combining(caractere)
    )
    texte = SUR_ABREGE.sub(" sur ", texte)
    texte = "".join(caractere if caractere.isalnum() else " " for caractere in texte)
    return " ".join(ABREVIATIONS.get(mot, mot) for mot in texte.split())
