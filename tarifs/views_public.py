"""Les pages publiques, sans connexion : la grille publiée et le simulateur.

- ``/tarifs/`` : la grille en vigueur ; ``/tarifs/<référence>/`` (« 2024-14 »
  pour la délibération « 2024/14 ») : une grille publiée, avec sa délibération.
  Un brouillon n'existe pas pour le public (404).
- ``/simulateur/`` : une mairie choisit sa collectivité (référentiel, ou une
  population, ou un nombre d'agents), des prestations et leurs quantités, et
  voit les deux devis (La Fibre, CDG) chiffrés en direct par le moteur de
  l'API ``/api/chiffrage`` (``tarifs.calcul.chiffrer`` sur la grille en
  vigueur, même règle de catégorie) ; puis « Demander ce devis » sur le portail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from conventions.categories import categorie_expliquee
from conventions.formats import format_nombre
from conventions.models import Adhesion, Collectivite
from conventions.selectors import q_nom_cherche
from tarifs import calcul
from tarifs.enums import Emetteur, Periodicite
from tarifs.forms import (
    BASE_AGENTS,
    BASE_COMMUNE,
    BASE_POPULATION,
    SimulateurForm,
    nom_intervention,
    nom_quantite,
)
from tarifs.models import GrilleTarifaire
from tarifs.selectors import (
    AucuneGrilleEnVigueur,
    PrixDeGrille,
    grille_en_vigueur,
    grille_instantane,
    instantane_en_vigueur,
    prix_de_la_ligne_derivee,
    prix_du_tarif,
)

RESULTATS_MAX = 15

# --- La grille publiée --------------------------------------------------------


def slug_reference(reference: str) -> str:
    """L'adresse d'une grille : « 2024/14 » → « 2024-14 »."""
    return slugify(reference.replace("/", "-"))


def _publiees():
    return GrilleTarifaire.objects.filter(statut=GrilleTarifaire.Statut.PUBLIEE)


@dataclass(frozen=True)
class CelluleTarif:
    """Le prix d'une prestation chez un émetteur, tel que la page l'affiche."""

    calcul: str
    periodicite: str
    prix: tuple[PrixDeGrille, ...]
    mention: str
    si_intervention: bool

    @property
    def par_categorie(self) -> bool:
        return self.calcul == "categorie"


def _cellule(grille: calcul.Grille, prestation, tarif: calcul.Tarif) -> CelluleTarif:
    return CelluleTarif(
        calcul=tarif.calcul,
        periodicite=Periodicite(tarif.periodicite).label,
        prix=tuple(prix_du_tarif(grille, prestation, tarif)),
        mention=tarif.mention,
        si_intervention=tarif.si_intervention,
    )


def _tableau_des_categories(grille: calcul.Grille) -> dict:
    """Le tableau 2 : une ligne par catégorie (seuils), une colonne par tarif
    « selon la catégorie » (prestation, émetteur)."""
    colonnes = []
    for prestation in sorted(grille.prestations.values(), key=lambda p: p.ordre):
        for tarif in prestation.tarifs:
            if tarif.calcul == "categorie":
                colonnes.append((prestation, tarif))
    lignes = []
    for seuils in grille.categories:
        lignes.append(
            {
                "seuils": seuils,
                "montants": [
                    tarif.montants_categorie.get(seuils.code) for _, tarif in colonnes
                ],
            }
        )
    return {
        "colonnes": [
            {
                "prestation": prestation,
                "emetteur": Emetteur(tarif.emetteur).label,
                "periodicite": Periodicite(tarif.periodicite).label,
            }
            for prestation, tarif in colonnes
        ],
        "lignes": lignes,
    }


def _contexte_grille(modele: GrilleTarifaire) -> dict:
    grille = grille_instantane(modele)
    notes = dict(modele.prestations.values_list("code", "notes"))
    sections: dict[str, list] = {}
    for prestation in sorted(
        grille.prestations.values(), key=lambda p: (p.ordre, p.code)
    ):
        cellules = {
            t.emetteur: _cellule(grille, prestation, t) for t in prestation.tarifs
        }
        sections.setdefault(prestation.section or "Autres prestations", []).append(
            {
                "prestation": prestation,
                "notes": notes.get(prestation.code, ""),
                "fibre": cellules.get(Emetteur.FIBRE),
                "cdg": cellules.get(Emetteur.CDG),
            }
        )
    derivees = [
        {
            "ligne": derivee,
            "emetteur": Emetteur(derivee.emetteur).label,
            "periodicite": Periodicite(derivee.periodicite).label,
            "prix": prix_de_la_ligne_derivee(derivee),
            "comptees": [
                grille.prestations[code].libelle
                for code in derivee.codes_comptes
                if code in grille.prestations
            ],
        }
        for derivee in sorted(grille.lignes_derivees, key=lambda d: d.ordre)
    ]
    en_vigueur = grille_en_vigueur()
    return {
        "grille": modele,
        "slug": slug_reference(modele.reference),
        "sections": list(sections.items()),
        "derivees": derivees,
        "categories": _tableau_des_categories(grille),
        "en_vigueur": en_vigueur,
        "slug_en_vigueur": slug_reference(en_vigueur.reference) if en_vigueur else "",
        "autres": [
            (g, slug_reference(g.reference))
            for g in _publiees().order_by("-date_effet")
            if g.pk != modele.pk
        ],
    }


@require_GET
def grille_en_vigueur_page(request):
    """``/tarifs/`` : la grille publiée en vigueur aujourd'hui."""
    modele = grille_en_vigueur()
    if modele is None:
        return render(
            request,
            "tarifs/public/grille.html",
            {
                "grille": None,
                "autres": [
                    (g, slug_reference(g.reference))
                    for g in _publiees().order_by("-date_effet")
                ],
            },
        )
    return render(request, "tarifs/public/grille.html", _contexte_grille(modele))


@require_GET
def grille_publiee(request, reference: str):
    """``/tarifs/2024-14/`` : une grille publiée (la plus récente si plusieurs
    portent la même référence) ; un brouillon ou une référence inconnue : 404."""
    candidates = [
        g
        for g in _publiees().order_by("-date_effet", "-pk")
        if slug_reference(g.reference) == reference
    ]
    if not candidates:
        raise Http404("Aucune grille publiée ne porte cette référence.")
    return render(request, "tarifs/public/grille.html", _contexte_grille(candidates[0]))


# --- Le simulateur ------------------------------------------------------------


def _communes():
    """Ce qu'une mairie peut choisir : les communes et EPCI du référentiel."""
    return Collectivite.objects.filter(referentiel_millesime__isnull=False)


def chercher_communes(texte: str) -> list[Collectivite]:
    """Les collectivités du référentiel dont le nom contient les mots tapés
    (sans souci d'accents, de tirets…), ou dont le code INSEE ou un code
    postal commence par les chiffres tapés ; au plus ``RESULTATS_MAX``."""
    texte = (texte or "").strip()[:100]
    if len(texte) < 2:
        return []
    condition = q_nom_cherche(texte) or Q(pk__in=[])
    chiffres = re.sub(r"[\s.]", "", texte)
    if chiffres.isascii() and chiffres.isdigit() and len(chiffres) <= 5:
        condition |= Q(code_insee__startswith=chiffres) | Q(
            codes_postaux__icontains=chiffres
        )
    return list(
        _communes().filter(condition).order_by("type", "nom", "pk")[:RESULTATS_MAX]
    )


def _categorie(form: SimulateurForm, grille: calcul.Grille) -> tuple[str | None, str]:
    """La catégorie selon la base choisie, par la même règle que l'API
    (collectivité : ``categorie_expliquee`` ; population ou agents :
    ``calcul.categorie_pour``), et son explication."""
    donnees = form.cleaned_data
    base = donnees["base"]
    if base == BASE_COMMUNE:
        commune = donnees.get("commune")
        if commune is None:
            return None, ""
        return categorie_expliquee(commune, grille)
    if base == BASE_POPULATION and donnees.get("population") is not None:
        code = calcul.categorie_pour(grille, population=donnees["population"])
        return code, f"{code} — {format_nombre(donnees['population'])} habitants"
    if base == BASE_AGENTS and donnees.get("agents") is not None:
        code = calcul.categorie_pour(grille, agents=donnees["agents"])
        return code, f"{code} — {format_nombre(donnees['agents'])} agents"
    return None, ""


def simuler(form: SimulateurForm, grille: calcul.Grille) -> calcul.Chiffrage | None:
    """Le chiffrage de la saisie valide (``None`` sans ligne ou si la saisie
    est à corriger : les erreurs sont alors sur les champs)."""
    if not form.is_valid() or not form.lignes:
        return None
    base = form.cleaned_data["base"]
    champ = base if base in (BASE_POPULATION, BASE_AGENTS) else "commune"
    try:
        categorie, explication = _categorie(form, grille)
    except calcul.ErreurChiffrage as erreur:
        for message in erreur.erreurs:
            form.add_error(champ, message)
        return None
    if (
        categorie is None
        and explication
        and any(
            grille.prestations[ligne.code].depend_de_la_categorie
            for ligne in form.lignes
        )
    ):
        form.add_error(
            champ,
            f"Catégorie de {form.cleaned_data['commune']} : {explication}. "
            "Indiquez plutôt sa population.",
        )
        return None
    try:
        chiffrage = calcul.chiffrer(grille, form.lignes, categorie=categorie)
    except calcul.ErreurChiffrage as erreur:
        for message in erreur.erreurs:
            form.add_error(None, message)
        return None
    form.explication_categorie = explication
    return chiffrage


@dataclass(frozen=True)
class LienDemande:
    url: str
    texte: str
    note: str = ""


def lien_demande(request, form: SimulateurForm) -> LienDemande:
    """« Demander ce devis » : le formulaire de demande du portail pour la
    commune choisie, pré-rempli des quantités ; par la page de connexion
    (``next``) pour un visiteur anonyme."""
    params = {}
    for ligne in form.lignes:
        params[nom_quantite(ligne.code)] = ligne.quantite
        if ligne.intervention:
            params[nom_intervention(ligne.code)] = "1"
    commune = None
    if form.cleaned_data.get("base") == BASE_COMMUNE:
        commune = form.cleaned_data.get("commune")
    if commune is not None:
        cible = reverse("portail:demander", kwargs={"cid": commune.pk})
        cible += "?" + urlencode(params)
    else:
        cible = reverse("portail:accueil")
    utilisateur = request.user
    if not utilisateur.is_authenticated:
        note = "Connexion au portail des collectivités."
        if commune is None:
            note += " Choisissez ensuite votre collectivité et ses prestations."
        return LienDemande(
            reverse("connexion") + "?" + urlencode({"next": cible}),
            "Demander ce devis",
            note,
        )
    if utilisateur.est_agent:
        return LienDemande(
            reverse("devis:nouveau"), "Préparer ce devis dans le back office"
        )
    if (
        commune is not None
        and not Adhesion.objects.filter(
            utilisateur=utilisateur, collectivite=commune
        ).exists()
    ):
        return LienDemande(
            reverse("portail:accueil"),
            "Aller au portail",
            f"Votre compte n'est pas rattaché à {commune.nom} : demandez au CDG 62 "
            "de vous y rattacher pour demander ce devis.",
        )
    return LienDemande(cible, "Demander ce devis")


def _commune_choisie(form: SimulateurForm) -> Collectivite | None:
    if not form.is_bound or not hasattr(form, "cleaned_data"):
        return None
    return form.cleaned_data.get("commune")


def _proposees(form: SimulateurForm) -> list[Collectivite]:
    """Les communes trouvées pour la recherche, la commune choisie d'abord
    (elle reste cochée)."""
    if not form.is_bound:
        return []
    if "recherche" in form.errors:
        return []
    trouvees = chercher_communes(form.cleaned_data.get("recherche", ""))
    choisie = _commune_choisie(form)
    if choisie is not None:
        trouvees = [choisie] + [c for c in trouvees if c.pk != choisie.pk]
    return trouvees


def _contexte_communes(form: SimulateurForm) -> dict:
    return {
        "communes": _proposees(form),
        "recherche": (
            form.cleaned_data.get("recherche", "")
            if form.is_bound and hasattr(form, "cleaned_data")
            else ""
        ),
        "commune_choisie": _commune_choisie(form),
    }


def _contexte_simulateur(request, grille: calcul.Grille) -> dict:
    form = SimulateurForm(request.GET or None, grille=grille, communes=_communes())
    chiffrage = simuler(form, grille) if form.is_bound else None
    return {
        "form": form,
        "grille": grille,
        "slug": slug_reference(grille.reference),
        "chiffrage": chiffrage,
        "explication_categorie": getattr(form, "explication_categorie", ""),
        "emetteurs": [
            {"code": d.emetteur, "nom": Emetteur(d.emetteur).label, "devis": d}
            for d in (chiffrage.devis if chiffrage else ())
        ],
        "ensemble": _ensemble(chiffrage),
        "lien": lien_demande(request, form) if chiffrage is not None else None,
        **_contexte_communes(form),
    }


def _ensemble(chiffrage: calcul.Chiffrage | None) -> dict | None:
    """Les deux devis ensemble (une addition des totaux du moteur, par
    commodité : chaque émetteur facture le sien)."""
    if chiffrage is None:
        return None
    return {
        cle: sum((getattr(d, cle) for d in chiffrage.devis), Decimal("0.00"))
        for cle in ("total_unique", "total_annuel", "total_premiere_annee")
    }


def _sans_grille(request, gabarit: str, erreur: AucuneGrilleEnVigueur):
    return render(request, gabarit, {"erreur_grille": erreur.erreurs, "htmx": True})


@require_GET
def simulateur(request):
    """La page du simulateur ; sans JavaScript, le bouton « Calculer » la
    recharge avec le résultat."""
    try:
        grille = instantane_en_vigueur()
    except AucuneGrilleEnVigueur as erreur:
        return render(
            request, "tarifs/public/simulateur.html", {"erreur_grille": erreur.erreurs}
        )
    return render(
        request, "tarifs/public/simulateur.html", _contexte_simulateur(request, grille)
    )


@require_GET
def simulateur_chiffrage(request):
    """Le résultat en direct (htmx) : les deux devis et leurs trois totaux."""
    try:
        grille = instantane_en_vigueur()
    except AucuneGrilleEnVigueur as erreur:
        return _sans_grille(request, "tarifs/public/_resultat.html", erreur)
    return render(
        request,
        "tarifs/public/_resultat.html",
        {**_contexte_simulateur(request, grille), "htmx": True},
    )


@require_GET
def simulateur_communes(request):
    """Les communes trouvées pour la recherche tapée (htmx)."""
    try:
        grille = instantane_en_vigueur()
    except AucuneGrilleEnVigueur as erreur:
        return _sans_grille(request, "tarifs/public/_communes.html", erreur)
    form = SimulateurForm(request.GET or None, grille=grille, communes=_communes())
    if form.is_bound:
        form.is_valid()
    return render(
        request,
        "tarifs/public/_communes.html",
        {"form": form, **_contexte_communes(form)},
    )
