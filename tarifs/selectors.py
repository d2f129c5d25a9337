"""Lectures des grilles : la grille en vigueur à une date (seul endroit de
cette règle) et son instantané pour le moteur de calcul."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from django.db.models import Prefetch
from django.utils import timezone

from config.historique import fusionner, journal, valeur_lisible
from tarifs import calcul
from tarifs.enums import Emetteur, Periodicite
from tarifs.models import (
    Bareme,
    Categorie,
    GrilleTarifaire,
    LigneDerivee,
    Palier,
    Prestation,
    Tarif,
    TarifCategorie,
)


class AucuneGrilleEnVigueur(calcul.ErreurChiffrage):
    """Aucune grille publiée n'est en vigueur au jour demandé."""


def grille_en_vigueur(
    jour: date | None = None, *, exiger: bool = False
) -> GrilleTarifaire | None:
    """La grille publiée de date d'effet la plus récente, au plus tard ``jour``
    (aujourd'hui par défaut) ; ``None`` s'il n'y en a pas, ou, avec
    ``exiger=True``, :class:`AucuneGrilleEnVigueur` (message en français)."""
    jour = jour or timezone.localdate()
    grille = (
        GrilleTarifaire.objects.filter(
            statut=GrilleTarifaire.Statut.PUBLIEE, date_effet__lte=jour
        )
        .order_by("-date_effet")
        .first()
    )
    if grille is None and exiger:
        raise AucuneGrilleEnVigueur(
            [f"Aucune grille tarifaire publiée n'est en vigueur au {jour:%d/%m/%Y}."]
        )
    return grille


def _bareme(bareme: Bareme) -> calcul.Bareme:
    return calcul.Bareme(
        code=bareme.code,
        paliers=tuple(
            calcul.Palier(p.quantite_min, p.quantite_max, p.montant)
            for p in sorted(bareme.paliers.all(), key=lambda p: p.quantite_min)
        ),
        au_dela_tranche=bareme.au_dela_tranche,
        au_dela_montant=bareme.au_dela_montant,
    )


def _construire(grille: GrilleTarifaire) -> calcul.Grille:
    baremes = {b.pk: _bareme(b) for b in grille.baremes.prefetch_related("paliers")}
    prestations = Prestation.objects.filter(grille=grille).prefetch_related(
        Prefetch(
            "tarifs",
            queryset=Tarif.objects.prefetch_related("montants_categorie__categorie"),
        )
    )
    derivees = LigneDerivee.objects.filter(grille=grille).prefetch_related(
        "prestations_comptees"
    )
    return calcul.Grille(
        id=grille.pk,
        reference=grille.reference,
        date_deliberation=grille.date_deliberation,
        date_effet=grille.date_effet,
        categories=tuple(
            calcul.SeuilsCategorie(
                c.code, c.population_min, c.population_max, c.agents_min, c.agents_max
            )
            for c in grille.categories.order_by("code")
        ),
        prestations={
            p.code: calcul.Prestation(
                code=p.code,
                libelle=p.libelle,
                section=p.section,
                unite=p.unite,
                ordre=p.ordre,
                tarifs=tuple(
                    calcul.Tarif(
                        emetteur=t.emetteur,
                        calcul=t.calcul,
                        periodicite=t.periodicite,
                        prix_unitaire=t.prix_unitaire,
                        plafond=t.plafond,
                        bareme=baremes.get(t.bareme_id),
                        si_intervention=t.si_intervention,
                        montants_categorie={
                            m.categorie.code: m.montant
                            for m in t.montants_categorie.all()
                        },
                        mention=t.mention,
                    )
                    for t in sorted(p.tarifs.all(), key=lambda t: t.emetteur != "fibre")
                ),
            )
            for p in prestations
        },
        lignes_derivees=tuple(
            calcul.LigneDerivee(
                code=d.code,
                libelle=d.libelle,
                emetteur=d.emetteur,
                periodicite=d.periodicite,
                unite=d.unite,
                bareme=baremes[d.bareme_id],
                codes_comptes=tuple(p.code for p in d.prestations_comptees.all()),
                ordre=d.ordre,
            )
            for d in derivees
        ),
    )


@lru_cache(maxsize=32)
def _instantane_publie(pk: int, publiee_le) -> calcul.Grille:
    # Une grille publiée ne change plus (gardes du modèle et de la base) : son
    # instantané reste en mémoire, clé identifiant + instant de publication.
    return _construire(GrilleTarifaire.objects.get(pk=pk))


def grille_instantane(grille: GrilleTarifaire) -> calcul.Grille:
    """Instantané immuable d'une grille pour ``tarifs.calcul``.

    Gardé en mémoire pour une grille publiée ; reconstruit à chaque appel pour
    un brouillon.
    """
    if not grille.est_publiee:
        return _construire(grille)
    return _instantane_publie(grille.pk, grille.publiee_le)


def instantane_en_vigueur(jour: date | None = None) -> calcul.Grille:
    """L'instantané de la grille en vigueur ``jour`` (aujourd'hui par défaut) ;
    lève :class:`AucuneGrilleEnVigueur` (message en français) s'il n'y en a pas."""
    return grille_instantane(grille_en_vigueur(jour, exiger=True))


# --- Les prix d'une grille, lisibles, et ce qui change d'une grille à l'autre ---


# Les valeurs sans montant d'un prix de grille.
INCLUS = "Inclus"
SUR_DEVIS = "Sur devis"
ABSENT = "Absent de la grille"


@dataclass(frozen=True)
class PrixDeGrille:
    """Un prix tel que la grille l'écrit : un palier d'une prestation (ou d'une
    ligne dérivée) chez un émetteur.

    ``valeur`` est un montant TTC (``Decimal``) ou ``INCLUS`` / ``SUR_DEVIS`` ;
    ``forfait`` : le montant vaut pour tout le palier, quelle que soit la
    quantité (barèmes par tranches) ; ``increment`` : montant ajouté par
    tranche commencée au-delà du dernier palier ; ``plafond`` : la quantité
    au-delà de laquelle un prix unitaire passe sur devis.
    """

    code: str
    prestation: str
    emetteur: str
    palier: str
    valeur: Decimal | str
    forfait: bool = False
    increment: bool = False
    plafond: int | None = None

    @property
    def cle(self) -> tuple[str, str, str]:
        return (self.code, self.emetteur, self.palier)

    @property
    def emetteur_libelle(self) -> str:
        return Emetteur(self.emetteur).label if self.emetteur else ""

    @property
    def est_montant(self) -> bool:
        return isinstance(self.valeur, Decimal)


@dataclass(frozen=True)
class Ecart:
    """Un prix qui change entre deux grilles ; ``None`` : absent de la grille."""

    code: str
    prestation: str
    emetteur: str
    palier: str
    avant: Decimal | str | None
    apres: Decimal | str | None

    @property
    def emetteur_libelle(self) -> str:
        return Emetteur(self.emetteur).label if self.emetteur else ""

    @property
    def avant_est_montant(self) -> bool:
        return isinstance(self.avant, Decimal)

    @property
    def apres_est_montant(self) -> bool:
        return isinstance(self.apres, Decimal)


def _entier(nombre: int) -> str:
    """« 100 001 » : milliers séparés par une espace insécable."""
    return f"{nombre:,}".replace(",", "\u00a0")


def _intervalle(minimum: int, maximum: int) -> str:
    if minimum == maximum:
        return _entier(minimum)
    return f"{_entier(minimum)} à {_entier(maximum)}"


def _prix_bareme(
    code: str, prestation: str, emetteur: str, bareme: calcul.Bareme
) -> list[PrixDeGrille]:
    """Un forfait par palier, puis l'au-delà (incrément par tranche commencée,
    ou sur devis)."""
    prix = [
        PrixDeGrille(
            code,
            prestation,
            emetteur,
            _intervalle(p.quantite_min, p.quantite_max),
            p.montant,
            forfait=True,
        )
        for p in bareme.paliers
    ]
    if bareme.paliers:
        dernier = bareme.paliers[-1].quantite_max
        if bareme.au_dela_tranche and bareme.au_dela_montant is not None:
            prix.append(
                PrixDeGrille(
                    code,
                    prestation,
                    emetteur,
                    f"Au-delà de {_entier(dernier)}, par tranche de "
                    f"{_entier(bareme.au_dela_tranche)} commencée",
                    bareme.au_dela_montant,
                    increment=True,
                )
            )
        else:
            prix.append(
                PrixDeGrille(
                    code,
                    prestation,
                    emetteur,
                    f"Au-delà de {_entier(dernier)}",
                    SUR_DEVIS,
                )
            )
    return prix


def prix_du_tarif(
    grille: calcul.Grille, prestation: calcul.Prestation, tarif: calcul.Tarif
) -> list[PrixDeGrille]:
    """Les prix d'un tarif, palier par palier (voir :class:`PrixDeGrille`)."""
    code, libelle, emetteur = prestation.code, prestation.libelle, tarif.emetteur
    if tarif.calcul == "inclus":
        return [PrixDeGrille(code, libelle, emetteur, "", INCLUS)]
    if tarif.calcul == "sur_devis":
        return [PrixDeGrille(code, libelle, emetteur, "", SUR_DEVIS)]
    if tarif.calcul == "bareme" and tarif.bareme is not None:
        return _prix_bareme(code, libelle, emetteur, tarif.bareme)
    if tarif.calcul == "categorie":
        return [
            PrixDeGrille(
                code,
                libelle,
                emetteur,
                f"Catégorie {categorie}",
                montant
                if (montant := tarif.montants_categorie.get(categorie)) is not None
                else SUR_DEVIS,
            )
            for categorie in grille.codes_categories
        ]
    # Un prix unitaire, comme « inclus » et « sur devis », est le prix de la
    # prestation sans palier : passer de l'un à l'autre est un seul changement.
    prix = [
        PrixDeGrille(
            code,
            libelle,
            emetteur,
            "",
            tarif.prix_unitaire if tarif.prix_unitaire is not None else SUR_DEVIS,
        )
    ]
    if tarif.plafond is not None:
        prix.append(
            PrixDeGrille(
                code,
                libelle,
                emetteur,
                f"Au-delà de {_entier(tarif.plafond)}",
                SUR_DEVIS,
                plafond=tarif.plafond,
            )
        )
    return prix


def prix_de_la_ligne_derivee(derivee: calcul.LigneDerivee) -> list[PrixDeGrille]:
    return _prix_bareme(derivee.code, derivee.libelle, derivee.emetteur, derivee.bareme)


def _seuils_lisibles(seuils: calcul.SeuilsCategorie) -> str:
    def borne(minimum: int, maximum: int | None, unite: str) -> str:
        if maximum is None:
            return f"à partir de {_entier(minimum)} {unite}"
        return f"de {_entier(minimum)} à {_entier(maximum)} {unite}"

    return (
        borne(seuils.population_min, seuils.population_max, "habitants")
        + " ; "
        + borne(seuils.agents_min, seuils.agents_max, "agents")
    )


def _valeurs(grille: calcul.Grille) -> dict[tuple[str, str, str], PrixDeGrille]:
    """Tout ce qui fixe un prix dans une grille, par clé stable (code,
    émetteur, palier) : prix et paliers, périodicité de chaque tarif, seuils
    des catégories."""
    valeurs: dict[tuple[str, str, str], PrixDeGrille] = {}
    for seuils in grille.categories:
        prix = PrixDeGrille(
            "categories",
            "Catégories de collectivités (tableau 2)",
            "",
            f"Catégorie {seuils.code}",
            _seuils_lisibles(seuils),
        )
        valeurs[prix.cle] = prix
    for prestation in sorted(grille.prestations.values(), key=lambda p: p.ordre):
        for tarif in prestation.tarifs:
            for prix in prix_du_tarif(grille, prestation, tarif):
                if prix.plafond is not None:
                    # Le plafond change de valeur, pas de palier.
                    prix = PrixDeGrille(
                        prix.code,
                        prix.prestation,
                        prix.emetteur,
                        "Quantité maximale (au-delà : sur devis)",
                        _entier(prix.plafond),
                    )
                valeurs[prix.cle] = prix
            periodicite = PrixDeGrille(
                prestation.code,
                prestation.libelle,
                tarif.emetteur,
                "Périodicité",
                Periodicite(tarif.periodicite).label,
            )
            valeurs[periodicite.cle] = periodicite
    for derivee in sorted(grille.lignes_derivees, key=lambda d: d.ordre):
        for prix in prix_de_la_ligne_derivee(derivee):
            valeurs[prix.cle] = prix
        periodicite = PrixDeGrille(
            derivee.code,
            derivee.libelle,
            derivee.emetteur,
            "Périodicité",
            Periodicite(derivee.periodicite).label,
        )
        valeurs[periodicite.cle] = periodicite
    return valeurs


def _instantane(grille: GrilleTarifaire | calcul.Grille) -> calcul.Grille:
    return grille_instantane(grille) if isinstance(grille, GrilleTarifaire) else grille


def grille_differences(
    ancienne: GrilleTarifaire | calcul.Grille | None,
    nouvelle: GrilleTarifaire | calcul.Grille,
) -> list[Ecart]:
    """Chaque prix qui change de ``ancienne`` à ``nouvelle`` : montant d'un
    prix unitaire, d'un palier de barème ou d'une catégorie, passage à
    « inclus » ou « sur devis », plafond, périodicité, seuils des catégories,
    prestation ajoutée ou retirée (``None`` du côté où elle manque).

    Dans l'ordre de la nouvelle grille, puis ce qu'elle retire. Sans ancienne
    grille (première publication), rien n'est comparé : liste vide.
    """
    if ancienne is None:
        return []
    avant = _valeurs(_instantane(ancienne))
    apres = _valeurs(_instantane(nouvelle))
    ecarts = []
    for cle, prix in [
        *apres.items(),
        *((c, p) for c, p in avant.items() if c not in apres),
    ]:
        ancien = avant[cle].valeur if cle in avant else None
        nouveau = apres[cle].valeur if cle in apres else None
        if ancien == nouveau and type(ancien) is type(nouveau):
            continue
        ecarts.append(
            Ecart(
                code=prix.code,
                prestation=prix.prestation,
                emetteur=prix.emetteur,
                palier=prix.palier,
                avant=ancien,
                apres=nouveau,
            )
        )
    return ecarts


def grille_remplacee(grille: GrilleTarifaire) -> GrilleTarifaire | None:
    """La grille publiée que ``grille`` remplace (ou remplacerait, pour un
    brouillon) : la plus récente des autres grilles publiées dont la date
    d'effet est au plus tard la sienne ; à défaut, la grille en vigueur
    aujourd'hui si ce n'est pas elle. C'est la référence de la comparaison
    avant publication."""
    publiees = GrilleTarifaire.objects.filter(
        statut=GrilleTarifaire.Statut.PUBLIEE
    ).exclude(pk=grille.pk)
    precedente = (
        publiees.filter(date_effet__lte=grille.date_effet)
        .order_by("-date_effet", "-pk")
        .first()
    )
    if precedente is not None:
        return precedente
    en_vigueur = grille_en_vigueur()
    return en_vigueur if en_vigueur is not None and en_vigueur.pk != grille.pk else None


# --- Journal des modifications d'une grille ------------------------------------

# Champs suivis, par modèle : tout ce qui fixe un prix, un palier ou un seuil.
CHAMPS_JOURNAL_GRILLE = {
    GrilleTarifaire: (
        "reference",
        "date_deliberation",
        "date_effet",
        "statut",
        "publiee_le",
    ),
    Categorie: (
        "code",
        "population_min",
        "population_max",
        "agents_min",
        "agents_max",
    ),
    Bareme: ("code", "libelle", "au_dela_tranche", "au_dela_montant"),
    Palier: ("quantite_min", "quantite_max", "montant"),
    Prestation: ("code", "libelle", "section", "unite", "ordre", "notes"),
    Tarif: (
        "emetteur",
        "calcul",
        "periodicite",
        "prix_unitaire",
        "plafond",
        "bareme",
        "si_intervention",
        "mention",
    ),
    TarifCategorie: ("categorie", "montant"),
    LigneDerivee: (
        "code",
        "libelle",
        "emetteur",
        "periodicite",
        "unite",
        "bareme",
        "ordre",
    ),
}


def journal_de_la_grille(grille: GrilleTarifaire) -> list[dict]:
    """Chaque modification de la grille et de ses lignes (catégories, barèmes,
    paliers, prestations, tarifs, montants par catégorie, lignes dérivées), la
    plus récente d'abord, avec son auteur : « qui a changé ce prix, quand ».

    Une requête par historique ; les lignes supprimées gardent leur historique
    (retrouvées par les historiques de leurs parents). Chaque ligne nomme son
    objet (« Tarif messagerie-5go · La Fibre »…) sans requête de plus.
    """

    def historique(modele, **filtre):
        return list(
            modele.history.filter(**filtre)
            .select_related("history_user")
            .order_by("history_date", "history_id")
        )

    pk = grille.pk
    baremes = historique(Bareme, grille_id=pk)
    prestations = historique(Prestation, grille_id=pk)
    categories = historique(Categorie, grille_id=pk)
    tarifs = historique(
        Tarif, prestation_id__in=Prestation.history.filter(grille_id=pk).values("id")
    )
    enregistrements = {
        GrilleTarifaire: historique(GrilleTarifaire, id=pk),
        Categorie: categories,
        Bareme: baremes,
        Palier: historique(
            Palier, bareme_id__in=Bareme.history.filter(grille_id=pk).values("id")
        ),
        Prestation: prestations,
        Tarif: tarifs,
        TarifCategorie: historique(
            TarifCategorie,
            tarif_id__in=Tarif.history.filter(
                prestation_id__in=Prestation.history.filter(grille_id=pk).values("id")
            ).values("id"),
        ),
        LigneDerivee: historique(LigneDerivee, grille_id=pk),
    }
    # Le dernier nom connu de chaque objet parent, d'après son historique.
    code_bareme = {e.id: e.code for e in baremes}
    code_prestation = {e.id: e.code for e in prestations}
    code_categorie = {e.id: e.code for e in categories}
    tarif = {
        e.id: (code_prestation.get(e.prestation_id, "?"), e.get_emetteur_display())
        for e in tarifs
    }
    objets = {
        GrilleTarifaire: lambda e: f"Grille {e.reference}",
        Categorie: lambda e: f"Catégorie {e.code}",
        Bareme: lambda e: f"Barème {e.code}",
        Palier: lambda e: (
            f"Barème {code_bareme.get(e.bareme_id, '?')}, palier "
            f"{e.quantite_min} à {e.quantite_max}"
        ),
        Prestation: lambda e: f"Prestation {e.code}",
        Tarif: lambda e: (
            f"Tarif {code_prestation.get(e.prestation_id, '?')} · "
            f"{e.get_emetteur_display()}"
        ),
        TarifCategorie: lambda e: "Tarif {} · {}, catégorie {}".format(
            *tarif.get(e.tarif_id, ("?", "?")),
            code_categorie.get(e.categorie_id, "?"),
        ),
        LigneDerivee: lambda e: f"Ligne dérivée {e.code}",
    }

    def valeur(e, champ: str) -> str:
        # Un barème, une catégorie : leur code plutôt que leur identifiant.
        if champ == "bareme" and e.bareme_id is not None:
            return code_bareme.get(e.bareme_id, f"n°{e.bareme_id}")
        if champ == "categorie" and e.categorie_id is not None:
            return code_categorie.get(e.categorie_id, f"n°{e.categorie_id}")
        return valeur_lisible(e, champ)

    return fusionner(
        *(
            journal(
                liste,
                CHAMPS_JOURNAL_GRILLE[modele],
                modele,
                valeur=valeur,
                objet=objets[modele],
            )
            for modele, liste in enregistrements.items()
        )
    )
