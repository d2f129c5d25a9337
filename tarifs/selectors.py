"""Lectures des grilles : grille en vigueur et instantané pour le moteur de calcul."""

from __future__ import annotations

from datetime import date

from django.db.models import Prefetch

from tarifs import calcul
from tarifs.models import Bareme, GrilleTarifaire, LigneDerivee, Prestation, Tarif

# Une grille publiée ne change plus : son instantané peut rester en mémoire.
_instantanes: dict[tuple[int, object], calcul.Grille] = {}


def grille_en_vigueur(jour: date) -> GrilleTarifaire | None:
    """La grille publiée de date d'effet la plus récente, au plus tard ``jour``."""
    return (
        GrilleTarifaire.objects.filter(
            statut=GrilleTarifaire.Statut.PUBLIEE, date_effet__lte=jour
        )
        .order_by("-date_effet")
        .first()
    )


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


def grille_instantane(grille: GrilleTarifaire) -> calcul.Grille:
    """Instantané immuable d'une grille pour ``tarifs.calcul``.

    Mis en cache pour une grille publiée (clé : identifiant et instant de
    publication) ; reconstruit à chaque appel pour un brouillon.
    """
    if not grille.est_publiee:
        return _construire(grille)
    cle = (grille.pk, grille.publiee_le)
    instantane = _instantanes.get(cle)
    if instantane is None:
        if len(_instantanes) > 32:
            _instantanes.clear()
        instantane = _instantanes[cle] = _construire(grille)
    return instantane
