"""Le formulaire du simulateur public (``/simulateur/``).

Il valide la saisie d'une mairie : sa collectivité (une commune ou un EPCI du
référentiel, ou une population, ou un nombre d'agents), puis une quantité par
prestation de la grille en vigueur. Il n'écrit rien et ne chiffre rien : la
vue appelle le moteur (``tarifs.calcul.chiffrer``), comme l'API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django import forms
from django.db.models import QuerySet

from tarifs import calcul

POPULATION_MAX = 10_000_000
AGENTS_MAX = 1_000_000

# Caractères de contrôle et de direction du texte : refusés dans la recherche.
INVISIBLES = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")

BASE_COMMUNE = "commune"
BASE_POPULATION = "population"
BASE_AGENTS = "agents"


def nom_quantite(code: str) -> str:
    return f"quantite_{code}"


def nom_intervention(code: str) -> str:
    return f"intervention_{code}"


def _nombre(n: int) -> str:
    return f"{n:,}".replace(",", "\u00a0")


def _entier(
    label: str, maximum: int, quoi: str, *, feminin: bool, **attrs
) -> forms.IntegerField:
    negatif = "négative" if feminin else "négatif"
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=maximum,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", **attrs}
        ),
        error_messages={
            "invalid": f"{quoi} doit être un nombre entier, sans espace ni virgule.",
            "min_value": f"{quoi} ne peut pas être {negatif}.",
            "max_value": f"{quoi} ne peut pas dépasser {_nombre(maximum)}.",
        },
    )


@dataclass(frozen=True)
class Section:
    titre: str
    prestations: tuple[calcul.Prestation, ...]


def sections_de(grille: calcul.Grille) -> list[Section]:
    """Les prestations dans l'ordre de la grille, groupées par section."""
    sections: dict[str, list[calcul.Prestation]] = {}
    for prestation in sorted(
        grille.prestations.values(), key=lambda p: (p.ordre, p.code)
    ):
        sections.setdefault(prestation.section or "Autres prestations", []).append(
            prestation
        )
    return [Section(titre, tuple(liste)) for titre, liste in sections.items()]


class SimulateurForm(forms.Form):
    """Collectivité et quantités du simulateur.

    Une fois valide : ``lignes`` (les prestations demandées, quantité ≥ 1),
    ``cleaned_data["commune"]`` (une collectivité du référentiel ou ``None``),
    ``cleaned_data["population"]`` / ``["agents"]`` selon la base choisie.
    ``communes`` : les collectivités que l'on peut choisir (le référentiel).
    """

    base = forms.ChoiceField(
        label="Votre collectivité",
        choices=[
            (
                BASE_COMMUNE,
                "Je choisis ma commune ou mon EPCI dans la liste officielle",
            ),
            (BASE_POPULATION, "J'indique une population"),
            (
                BASE_AGENTS,
                "J'indique un nombre d'agents (CCAS, syndicat, autre établissement)",
            ),
        ],
        initial=BASE_COMMUNE,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choisissez l'une des trois possibilités."},
    )
    recherche = forms.CharField(
        label="Rechercher une commune ou un EPCI",
        help_text="Nom, code INSEE ou code postal (par exemple « Ruitz », "
        "« 62727 » ou « 62620 »).",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off", "type": "search"}),
        error_messages={
            "max_length": "La recherche ne dépasse pas %(limit_value)d caractères."
        },
    )
    commune = forms.CharField(
        required=False,
        max_length=20,
        error_messages={
            "max_length": "Cette commune n'existe pas : choisissez-la dans la liste."
        },
    )
    # data-pour-base : static/js/simulateur.js coche la base du champ saisi.
    population = _entier(
        "Population totale (habitants)",
        POPULATION_MAX,
        "La population",
        feminin=True,
        size=10,
        **{"data-pour-base": BASE_POPULATION},
    )
    agents = _entier(
        "Nombre d'agents",
        AGENTS_MAX,
        "Le nombre d'agents",
        feminin=False,
        size=10,
        **{"data-pour-base": BASE_AGENTS},
    )

    def __init__(self, *args, grille: calcul.Grille, communes: QuerySet, **kwargs):
        super().__init__(*args, **kwargs)
        self.grille = grille
        self.communes = communes
        self.sections = sections_de(grille)
        self.lignes: list[calcul.LigneDemandee] = []
        for section in self.sections:
            for prestation in section.prestations:
                self.fields[nom_quantite(prestation.code)] = _entier(
                    prestation.libelle,
                    calcul.QUANTITE_MAX,
                    "La quantité",
                    feminin=True,
                    size=6,
                )
                if prestation.accepte_intervention:
                    self.fields[nom_intervention(prestation.code)] = forms.BooleanField(
                        label="Avec l'intervention du CDG",
                        required=False,
                    )

    def clean_recherche(self) -> str:
        texte = self.cleaned_data["recherche"]
        if INVISIBLES.search(texte):
            raise forms.ValidationError(
                "La recherche contient des caractères invisibles : retapez-la."
            )
        return texte.strip()

    def clean_commune(self):
        valeur = (self.cleaned_data["commune"] or "").strip()
        if not valeur:
            return None
        if not valeur.isascii() or not valeur.isdigit() or len(valeur) > 18:
            raise forms.ValidationError(
                "Cette commune n'existe pas : choisissez-la dans la liste."
            )
        commune = self.communes.filter(pk=int(valeur)).first()
        if commune is None:
            raise forms.ValidationError(
                "Cette commune n'est pas dans la liste officielle : recherchez-la "
                "par son nom, son code INSEE ou son code postal."
            )
        return commune

    def clean(self):
        donnees = super().clean()
        for section in self.sections:
            for prestation in section.prestations:
                quantite = donnees.get(nom_quantite(prestation.code))
                if quantite:
                    self.lignes.append(
                        calcul.LigneDemandee(
                            prestation.code,
                            quantite,
                            bool(donnees.get(nom_intervention(prestation.code))),
                        )
                    )
        base = donnees.get("base") or BASE_COMMUNE
        donnees["base"] = base
        categorie_requise = [
            self.grille.prestations[ligne.code].libelle
            for ligne in self.lignes
            if self.grille.prestations[ligne.code].depend_de_la_categorie
        ]
        if categorie_requise:
            pourquoi = (
                f"« {categorie_requise[0]} » dépend de la catégorie de la collectivité"
            )
            if base == BASE_COMMUNE and not donnees.get("commune"):
                if "commune" not in self.errors:
                    self.add_error(
                        "commune",
                        f"Choisissez votre commune dans la liste : {pourquoi}.",
                    )
            elif base == BASE_POPULATION and donnees.get("population") is None:
                if "population" not in self.errors:
                    self.add_error(
                        "population", f"Indiquez la population : {pourquoi}."
                    )
            elif base == BASE_AGENTS and donnees.get("agents") is None:
                if "agents" not in self.errors:
                    self.add_error(
                        "agents", f"Indiquez le nombre d'agents : {pourquoi}."
                    )
        return donnees

    # --- Aides d'affichage -------------------------------------------------

    @property
    def sections_et_champs(self):
        """[(section, [(prestation, champ quantité, champ intervention ou None)])]."""
        return [
            (
                section,
                [
                    (
                        prestation,
                        self[nom_quantite(prestation.code)],
                        self[nom_intervention(prestation.code)]
                        if prestation.accepte_intervention
                        else None,
                    )
                    for prestation in section.prestations
                ],
            )
            for section in self.sections
        ]

    def erreurs_resumees(self) -> list[str]:
        """Chaque erreur précédée de ce qu'elle concerne (résumé en tête du
        résultat, pour l'aperçu en direct)."""
        resume = []
        for nom, erreurs in self.errors.items():
            if nom == "__all__":
                resume.extend(erreurs)
                continue
            quoi = self.fields[nom].label if nom in self.fields else nom
            if nom == "commune":
                quoi = "Commune"
            elif nom.startswith("intervention_"):
                code = nom.removeprefix("intervention_")
                quoi = f"Intervention pour « {self.grille.prestations[code].libelle} »"
            resume.extend(f"{quoi} : {erreur}" for erreur in erreurs)
        return resume
