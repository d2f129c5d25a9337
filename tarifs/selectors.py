"""Lectures des grilles : la grille en vigueur à une date (seul endroit de
cette règle) et son instantané pour le moteur de calcul."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from django.db.models import Prefetch
from django.utils import timezone

from tarifs import calcul
from tarifs.models import Bareme, GrilleTarifaire, LigneDerivee, Prestation, Tarif


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
