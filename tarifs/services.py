"""Écritures sur les grilles tarifaires : publication et duplication."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

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


def _verifier_bornes(
    intervalles: list[tuple[str, int, int | None]], quoi: str
) -> list[str]:
    """Les intervalles doivent partir de 0, se suivre sans trou ni chevauchement
    et finir sans borne haute."""
    erreurs = []
    attendu = 0
    for i, (code, minimum, maximum) in enumerate(intervalles):
        if minimum != attendu:
            erreurs.append(
                f"Catégorie {code} : la {quoi} minimale devrait être {attendu}, "
                f"elle est {minimum}."
            )
        dernier = i == len(intervalles) - 1
        if maximum is None:
            if not dernier:
                erreurs.append(
                    f"Catégorie {code} : seule la dernière catégorie peut être "
                    f"sans {quoi} maximale."
                )
                break
        else:
            if maximum < minimum:
                erreurs.append(f"Catégorie {code} : bornes de {quoi} inversées.")
            if dernier:
                erreurs.append(
                    f"Catégorie {code} : la dernière catégorie doit être sans "
                    f"{quoi} maximale."
                )
            attendu = maximum + 1
    return erreurs


def grille_erreurs(grille: GrilleTarifaire) -> list[str]:
    """Ce qui empêche de publier une grille (liste vide : publiable)."""
    erreurs: list[str] = []
    categories = list(grille.categories.order_by("code"))
    if not categories:
        erreurs.append("La grille n'a aucune catégorie.")
    else:
        erreurs += _verifier_bornes(
            [(c.code, c.population_min, c.population_max) for c in categories],
            "population",
        )
        erreurs += _verifier_bornes(
            [(c.code, c.agents_min, c.agents_max) for c in categories],
            "nombre d'agents",
        )
    for bareme in grille.baremes.prefetch_related("paliers"):
        attendu = 1
        paliers = list(bareme.paliers.all())
        if not paliers:
            erreurs.append(f"Le barème {bareme.code} n'a aucun palier.")
        for palier in paliers:
            if palier.quantite_min != attendu:
                erreurs.append(
                    f"Barème {bareme.code} : le palier commençant à "
                    f"{palier.quantite_min} devrait commencer à {attendu}."
                )
            attendu = palier.quantite_max + 1
    prestations = list(
        grille.prestations.prefetch_related("tarifs__montants_categorie")
    )
    if not prestations:
        erreurs.append("La grille n'a aucune prestation.")
    for prestation in prestations:
        tarifs = list(prestation.tarifs.all())
        if not tarifs:
            erreurs.append(f"La prestation « {prestation.code} » n'a aucun tarif.")
        for tarif in tarifs:
            if tarif.calcul == Tarif.Calcul.UNITAIRE and tarif.prix_unitaire is None:
                erreurs.append(f"« {prestation.code} » : prix unitaire manquant.")
            if tarif.calcul == Tarif.Calcul.BAREME and tarif.bareme_id is None:
                erreurs.append(f"« {prestation.code} » : barème manquant.")
            if tarif.bareme_id and tarif.bareme.grille_id != grille.pk:
                erreurs.append(f"« {prestation.code} » : barème d'une autre grille.")
            if tarif.calcul == Tarif.Calcul.CATEGORIE:
                couvertes = {m.categorie_id for m in tarif.montants_categorie.all()}
                manquantes = [c.code for c in categories if c.pk not in couvertes]
                if manquantes:
                    erreurs.append(
                        f"« {prestation.code} » ({tarif.get_emetteur_display()}) : "
                        f"montant manquant pour les catégories {', '.join(manquantes)} "
                        "(laisser le montant vide pour « sur devis »)."
                    )
    for derivee in grille.lignes_derivees.all():
        if not derivee.prestations_comptees.exists():
            erreurs.append(f"La ligne dérivée « {derivee.code} » ne compte rien.")
    autre = (
        GrilleTarifaire.objects.filter(
            statut=GrilleTarifaire.Statut.PUBLIEE, date_effet=grille.date_effet
        )
        .exclude(pk=grille.pk)
        .first()
    )
    if autre is not None:
        erreurs.append(
            f"La grille {autre.reference} est déjà publiée avec la date d'effet "
            f"{grille.date_effet:%d/%m/%Y}."
        )
    return erreurs


@transaction.atomic
def grille_publier(*, grille: GrilleTarifaire) -> GrilleTarifaire:
    """Publie une grille en brouillon après validation ; elle devient intouchable."""
    grille = GrilleTarifaire.objects.select_for_update().get(pk=grille.pk)
    if grille.est_publiee:
        raise ValidationError(f"La grille {grille.reference} est déjà publiée.")
    erreurs = grille_erreurs(grille)
    if erreurs:
        raise ValidationError(erreurs)
    grille.statut = GrilleTarifaire.Statut.PUBLIEE
    grille.publiee_le = timezone.now()
    grille.save()
    return grille


@transaction.atomic
def grille_dupliquer(*, grille: GrilleTarifaire) -> GrilleTarifaire:
    """Copie complète d'une grille, en brouillon, pour préparer une nouvelle version.

    La copie garde la référence et la date d'effet de l'original : on les
    corrige (nouvelle délibération, date d'effet) avant de la publier.
    """
    copie = GrilleTarifaire.objects.create(
        reference=grille.reference,
        date_deliberation=grille.date_deliberation,
        instance=grille.instance,
        date_effet=grille.date_effet,
    )
    categories = {}
    for c in grille.categories.all():
        categories[c.pk] = Categorie.objects.create(
            grille=copie,
            code=c.code,
            population_min=c.population_min,
            population_max=c.population_max,
            agents_min=c.agents_min,
            agents_max=c.agents_max,
        )
    baremes = {}
    for b in grille.baremes.prefetch_related("paliers"):
        baremes[b.pk] = Bareme.objects.create(
            grille=copie,
            code=b.code,
            libelle=b.libelle,
            au_dela_tranche=b.au_dela_tranche,
            au_dela_montant=b.au_dela_montant,
        )
        for p in b.paliers.all():
            Palier.objects.create(
                bareme=baremes[b.pk],
                quantite_min=p.quantite_min,
                quantite_max=p.quantite_max,
                montant=p.montant,
            )
    prestations = {}
    for p in grille.prestations.prefetch_related("tarifs__montants_categorie"):
        prestations[p.pk] = Prestation.objects.create(
            grille=copie,
            code=p.code,
            libelle=p.libelle,
            section=p.section,
            unite=p.unite,
            ordre=p.ordre,
            notes=p.notes,
        )
        for t in p.tarifs.all():
            tarif = Tarif.objects.create(
                prestation=prestations[p.pk],
                emetteur=t.emetteur,
                calcul=t.calcul,
                periodicite=t.periodicite,
                prix_unitaire=t.prix_unitaire,
                plafond=t.plafond,
                bareme=baremes.get(t.bareme_id),
                si_intervention=t.si_intervention,
                mention=t.mention,
            )
            for m in t.montants_categorie.all():
                TarifCategorie.objects.create(
                    tarif=tarif, categorie=categories[m.categorie_id], montant=m.montant
                )
    for d in grille.lignes_derivees.prefetch_related("prestations_comptees"):
        derivee = LigneDerivee.objects.create(
            grille=copie,
            code=d.code,
            libelle=d.libelle,
            emetteur=d.emetteur,
            periodicite=d.periodicite,
            unite=d.unite,
            bareme=baremes[d.bareme_id],
            ordre=d.ordre,
        )
        derivee.prestations_comptees.set(
            [prestations[p.pk] for p in d.prestations_comptees.all()]
        )
    return copie
