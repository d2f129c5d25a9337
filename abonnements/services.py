"""L'inventaire d'une collectivité et le renouvellement annuel (domaine §12).

- :func:`inventaire_enregistrer` : à l'acceptation d'un devis (signal de
  ``devis.services``, même transaction), chaque ligne annuelle devient un
  abonnement, chaque ligne unique une prestation livrée ;
- :func:`abonnement_fixer_debut`, :func:`abonnement_resilier` : ce que l'agent
  corrige ensuite (historique gardé) ; une quantité change par un nouveau devis ;
- :func:`renouvellement_lancer` met une campagne en file (tâche de fond,
  ``abonnements.tasks``) ; :func:`renouvellement_executer` la déroule,
  collectivité par collectivité, chacune dans sa transaction : une campagne
  interrompue reprend où elle s'est arrêtée, une deuxième pour la même année ne
  recrée rien (:class:`~abonnements.models.DemandeRenouvellee`) ;
- :func:`renouvellement_simuler` chiffre sans rien écrire.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from abonnements import cles
from abonnements.models import (
    Abonnement,
    DemandeRenouvellee,
    ElementLivre,
    Renouvellement,
)
from conventions.models import Collectivite
from devis import services as devis_services
from devis.models import Devis
from tarifs import calcul
from tarifs.enums import Periodicite
from tarifs.selectors import grille_en_vigueur, grille_instantane

journal = logging.getLogger(__name__)


# --- Inventaire ---------------------------------------------------------------


def inventaire_enregistrer(
    sender=None, *, devis: Devis, titulaire_cle: tuple[str, str] | None = None, **kwargs
) -> None:
    """Les lignes d'un devis accepté entrent dans l'inventaire de sa
    collectivité (appelé dans la transaction de l'acceptation : une erreur ici
    annule l'acceptation)."""
    jour = timezone.localtime(devis.accepte_le).date() if devis.accepte_le else None
    jour = jour or timezone.localdate()
    for ligne in devis.lignes.all():
        commun = {
            "collectivite_id": devis.collectivite_id,
            "emetteur_id": devis.emetteur_id,
            "code": ligne.code,
            "libelle": ligne.libelle,
            "quantite": ligne.quantite,
            "devis": devis,
            "ligne": ligne,
        }
        if ligne.periodicite == Periodicite.ANNUELLE:
            Abonnement.objects.create(
                **commun,
                montant_annuel=ligne.montant,
                debut=jour,
                grille_id=devis.grille_id,
            )
        else:
            ElementLivre.objects.create(
                **commun, montant=ligne.montant, accepte_le=jour
            )
    cles.cles_enregistrer(devis, titulaire=titulaire_cle)


@transaction.atomic
def abonnement_fixer_debut(
    *, abonnement: Abonnement, debut: datetime.date, par
) -> Abonnement:
    """La date de mise en service réelle (par défaut, celle de l'acceptation)."""
    abonnement = Abonnement.objects.select_for_update().get(pk=abonnement.pk)
    if abonnement.statut != Abonnement.Statut.ACTIF:
        raise ValidationError("Un abonnement résilié ne change plus.")
    abonnement.debut = debut
    abonnement._change_reason = f"Début du service fixé au {debut:%d/%m/%Y}"
    abonnement.save(update_fields=["debut"])
    return abonnement


@transaction.atomic
def abonnement_resilier(
    *, abonnement: Abonnement, fin: datetime.date, motif: str, par
) -> Abonnement:
    """Met fin à un abonnement, à une date et pour un motif (historique gardé)."""
    abonnement = Abonnement.objects.select_for_update().get(pk=abonnement.pk)
    if abonnement.statut != Abonnement.Statut.ACTIF:
        raise ValidationError("Cet abonnement est déjà résilié.")
    motif = (motif or "").strip()
    erreurs = []
    if not motif:
        erreurs.append("Le motif de la résiliation est obligatoire.")
    if fin < abonnement.debut:
        erreurs.append(
            "La fin ne peut pas précéder le début du service "
            f"({abonnement.debut:%d/%m/%Y})."
        )
    if erreurs:
        raise ValidationError(erreurs)
    abonnement.statut = Abonnement.Statut.RESILIE
    abonnement.fin = fin
    abonnement.motif_fin = motif
    abonnement._change_reason = f"Résilié au {fin:%d/%m/%Y} : {motif}"
    abonnement.save(update_fields=["statut", "fin", "motif_fin"])
    return abonnement


# --- Renouvellement annuel ----------------------------------------------------


def date_par_defaut(annee: int) -> datetime.date:
    """Le renouvellement se fait au 1er janvier (modifiable à chaque campagne)."""
    return datetime.date(annee, 1, 1)


def _actifs_au(jour: datetime.date):
    return Abonnement.objects.filter(statut=Abonnement.Statut.ACTIF, debut__lt=jour)


def collectivites_a_renouveler(jour: datetime.date):
    """Les collectivités qui ont au moins un abonnement actif avant ``jour``."""
    return Collectivite.objects.filter(
        pk__in=_actifs_au(jour).values("collectivite_id")
    ).order_by("pk")


def lignes_a_renouveler(
    collectivite_id: int, grille: calcul.Grille, jour: datetime.date
) -> list[calcul.LigneDemandee]:
    """Les prestations annuelles demandées à renouveler, quantités tirées de
    l'inventaire (les lignes dérivées, comme l'accompagnement messagerie, sont
    recalculées par le moteur : leur palier suit le nouveau total)."""
    par_code: dict[str, int] = defaultdict(int)
    sommes = (
        _actifs_au(jour)
        .filter(collectivite_id=collectivite_id)
        .values("code", "emetteur__code")
        .annotate(total=Sum("quantite"))
    )
    for ligne in sommes:
        if ligne["code"] in grille.prestations:
            par_code[ligne["code"]] = max(par_code[ligne["code"]], ligne["total"])
    return [
        calcul.LigneDemandee(code, quantite)
        for code, quantite in sorted(par_code.items())
    ]


@dataclass
class Simulation:
    collectivites: int = 0
    ignorees: list[tuple[str, str]] = field(default_factory=list)
    annuel: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    devis: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def renouvellement_simuler(
    *, annee: int, jour: datetime.date | None = None
) -> Simulation:
    """Chiffre la campagne de l'année sans rien écrire : totaux par émetteur."""
    jour = jour or date_par_defaut(annee)
    resultat = Simulation()
    grille_modele = grille_en_vigueur(jour)
    if grille_modele is None:
        raise ValidationError(
            f"Aucune grille publiée n'est en vigueur le {jour:%d/%m/%Y}."
        )
    grille = grille_instantane(grille_modele)
    for collectivite in collectivites_a_renouveler(jour):
        lignes = lignes_a_renouveler(collectivite.pk, grille, jour)
        if not lignes:
            resultat.ignorees.append((str(collectivite), "aucune prestation annuelle"))
            continue
        try:
            chiffrage = devis_services.chiffrer_pour(collectivite, lignes, grille)
        except ValidationError as erreur:
            resultat.ignorees.append((str(collectivite), "; ".join(erreur.messages)))
            continue
        resultat.collectivites += 1
        for devis in chiffrage.devis:
            if devis.a_emettre:
                resultat.annuel[devis.emetteur] += devis.total_annuel
                resultat.devis[devis.emetteur] += 1
    return resultat


def renouvellement_lancer(
    *, annee: int, par, jour: datetime.date | None = None, emettre: bool = False
) -> Renouvellement:
    """Crée la campagne et la met en file ; le travail se fait en tâche de fond
    (``abonnements.tasks.renouveler``), après validation de la transaction."""
    from abonnements import tasks

    jour = jour or date_par_defaut(annee)
    if jour.year != annee:
        raise ValidationError(
            f"La date du renouvellement doit être en {annee} (reçu {jour:%d/%m/%Y})."
        )
    if grille_en_vigueur(jour) is None:
        raise ValidationError(
            f"Aucune grille publiée n'est en vigueur le {jour:%d/%m/%Y} : "
            "publiez-en une avant de lancer le renouvellement."
        )
    with transaction.atomic():
        campagne = Renouvellement.objects.create(
            annee=annee, date_renouvellement=jour, emettre=emettre, lance_par=par
        )
        transaction.on_commit(lambda: _mettre_en_file(tasks, campagne.pk))
    return campagne


def renouvellement_reprendre(*, campagne: Renouvellement, par) -> Renouvellement:
    """Remet en file une campagne qu'un worker arrêté a laissée en cours (ou
    qu'une erreur a interrompue) : elle repart de la collectivité suivante."""
    from abonnements import tasks

    if campagne.statut == Renouvellement.Statut.TERMINE:
        raise ValidationError("Cette campagne est terminée : rien à reprendre.")
    if not campagne.reprenable:
        raise ValidationError(
            "Cette campagne avance encore (ou attend le worker) : attendez quelques "
            "minutes sans progression avant de la reprendre."
        )
    with transaction.atomic():
        Renouvellement.objects.filter(pk=campagne.pk).update(
            statut=Renouvellement.Statut.EN_ATTENTE
        )
        transaction.on_commit(lambda: _mettre_en_file(tasks, campagne.pk))
    campagne.refresh_from_db()
    return campagne


def _mettre_en_file(tasks, pk: int) -> None:
    """Une tâche par part de la campagne (``RENOUVELLEMENT_PARTIES``, autant que
    de workers) : deux workers renouvellent et émettent en même temps, chacun
    ses collectivités ; avec un seul worker, les parts se suivent."""
    parties = max(1, settings.RENOUVELLEMENT_PARTIES)
    identifiants = [
        str(tasks.renouveler.enqueue(pk, partie, parties).id)
        for partie in range(parties)
    ]
    Renouvellement.objects.filter(pk=pk).update(tache=identifiants[0][:64])


def _renouveler_une(
    campagne: Renouvellement, collectivite: Collectivite, grille: calcul.Grille
) -> dict:
    """Une collectivité : ses brouillons dans leur propre transaction, puis, si
    la campagne émet, chaque devis émis à part (le compteur de l'émetteur n'est
    pas tenu pendant le rendu des PDF). Résultat : créée, inchangée (déjà
    renouvelée cette année), ignorée (avec la raison) ou en échec."""
    base = {"collectivite": collectivite.pk, "nom": str(collectivite)}
    deja = DemandeRenouvellee.objects.filter(
        annee=campagne.annee, collectivite=collectivite
    ).first()
    if deja is not None:
        restants = _brouillons_a_emettre(campagne, deja.demande_id)
        if not restants:
            return {
                **base,
                "resultat": "inchange",
                "motif": "déjà renouvelée cette année",
            }
        # Reprise d'une campagne interrompue entre brouillons et émission.
        return _emettre(campagne, base, restants, deja.demande_id)
    lignes = lignes_a_renouveler(collectivite.pk, grille, campagne.date_renouvellement)
    if not lignes:
        return {**base, "resultat": "ignore", "motif": "aucune prestation annuelle"}
    try:
        with transaction.atomic():
            brouillons = devis_services.devis_creer_brouillons(
                collectivite=collectivite,
                lignes=lignes,
                par=campagne.lance_par,
                commentaire=f"Renouvellement annuel {campagne.annee}",
                jour=campagne.date_renouvellement,
            )
            DemandeRenouvellee.objects.create(
                annee=campagne.annee,
                collectivite=collectivite,
                demande_id=brouillons[0].demande_id,
                renouvellement=campagne,
            )
    except ValidationError as erreur:
        return {**base, "resultat": "ignore", "motif": "; ".join(erreur.messages)}
    except IntegrityError:  # un autre worker vient de la renouveler
        return {**base, "resultat": "inchange", "motif": "déjà renouvelée cette année"}
    except Exception as erreur:  # une collectivité en échec n'arrête pas la campagne
        journal.exception(
            "Renouvellement %s de %s en échec", campagne.annee, collectivite
        )
        return {**base, "resultat": "echec", "motif": str(erreur)[:300]}
    if campagne.emettre:
        return _emettre(campagne, base, brouillons, brouillons[0].demande_id)
    return {
        **base,
        "resultat": "cree",
        "motif": f"{len(brouillons)} brouillon(s)",
        "demande": brouillons[0].demande_id,
    }


def _brouillons_a_emettre(campagne: Renouvellement, demande_id: int) -> list[Devis]:
    if not campagne.emettre:
        return []
    return list(
        Devis.objects.filter(demande_id=demande_id, statut=Devis.Statut.BROUILLON)
        .select_related("emetteur")
        .order_by("pk")
    )


def _emettre(campagne, base: dict, brouillons: list[Devis], demande_id: int) -> dict:
    """Émet les brouillons d'un renouvellement ; un refus laisse le brouillon
    (que la reprise de la campagne ou l'agent émettra) et se lit au rapport."""
    numeros, refus, resultat = [], [], "cree"
    for brouillon in brouillons:
        try:
            numeros.append(
                devis_services.devis_emettre(
                    devis=brouillon, par=campagne.lance_par
                ).numero
            )
        except ValidationError as erreur:  # collectivité à compléter, etc.
            refus.append("; ".join(erreur.messages))
            resultat = "ignore" if resultat == "cree" else resultat
        except Exception as erreur:
            journal.exception("Émission du devis %s en échec", brouillon.pk)
            refus.append(str(erreur)[:300])
            resultat = "echec"
    if refus:
        return {
            **base,
            "resultat": resultat,
            "motif": "brouillon(s) créé(s), non émis : " + " ; ".join(refus),
            "demande": demande_id,
        }
    return {
        **base,
        "resultat": "cree",
        "motif": ", ".join(numeros),
        "demande": demande_id,
    }


def renouvellement_executer(
    campagne_id: int, partie: int = 0, parties: int = 1
) -> Renouvellement:
    """Déroule une campagne, ou sa part ``partie`` sur ``parties`` (les
    collectivités dont l'identifiant modulo ``parties`` vaut ``partie``) ;
    relancée, elle reprend où elle s'était arrêtée (les collectivités déjà au
    rapport sont passées). La dernière part à finir termine la campagne."""
    campagne = Renouvellement.objects.get(pk=campagne_id)
    if campagne.statut == Renouvellement.Statut.TERMINE:
        return campagne
    jour = campagne.date_renouvellement
    modele = grille_en_vigueur(jour)
    if modele is None:
        campagne.statut = Renouvellement.Statut.ECHOUE
        campagne.rapport = [
            {
                "resultat": "echec",
                "motif": f"aucune grille en vigueur le {jour:%d/%m/%Y}",
            }
        ]
        campagne.save(update_fields=["statut", "rapport"])
        return campagne
    grille = grille_instantane(modele)
    collectivites = list(collectivites_a_renouveler(jour))
    with transaction.atomic():
        campagne = Renouvellement.objects.select_for_update().get(pk=campagne_id)
        deja = _deja_au_rapport(campagne)
        campagne.statut = Renouvellement.Statut.EN_COURS
        campagne.total = len(collectivites)
        campagne.faites = len(deja)
        campagne.save(update_fields=["statut", "total", "faites", "modifie_le"])
    for collectivite in collectivites:
        if collectivite.pk % parties != partie or collectivite.pk in deja:
            continue
        _consigner(campagne_id, _renouveler_une(campagne, collectivite, grille))
    with transaction.atomic():
        campagne = Renouvellement.objects.select_for_update().get(pk=campagne_id)
        if campagne.faites >= campagne.total:
            campagne.statut = Renouvellement.Statut.TERMINE
            campagne.termine_le = timezone.now()
            campagne.save(update_fields=["statut", "termine_le", "modifie_le"])
    return campagne


def _deja_au_rapport(campagne: Renouvellement) -> set[int]:
    return {
        ligne["collectivite"] for ligne in campagne.rapport if "collectivite" in ligne
    }


def _consigner(campagne_id: int, ligne: dict) -> None:
    """Ajoute au rapport la ligne d'une collectivité, sous le verrou de la
    campagne (les parts écrivent le même rapport) ; une ligne déjà présente
    (parts qui se chevauchent après un changement d'inventaire) n'est pas doublée."""
    with transaction.atomic():
        campagne = Renouvellement.objects.select_for_update().get(pk=campagne_id)
        deja = _deja_au_rapport(campagne)
        if ligne["collectivite"] in deja:
            return
        campagne.rapport.append(ligne)
        campagne.faites = len(deja) + 1
        campagne.erreurs += ligne["resultat"] == "echec"
        campagne.save(update_fields=["rapport", "faites", "erreurs", "modifie_le"])
