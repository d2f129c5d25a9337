"""Les clés de signature (domaine §8 et §12) : une par certificat accepté,
« à remettre » jusqu'à ce que l'agent enregistre son titulaire (nom, fonction)
et sa remise ; elle expire à la remise plus sa validité. Les clés qui expirent
dans ``ParametresRelances.cles_jours_avant_expiration`` jours, et celles dont
le titulaire est parti, sont listées au tableau de bord avec « préparer le
renouvellement » (un brouillon de devis en un clic). Enregistrer un nouveau
signataire de la collectivité signale « titulaire parti » les clés actives
d'un autre titulaire."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from abonnements.models import CleSignature, ParametresRelances
from devis import services as devis_services
from devis.models import Devis
from tarifs.calcul import LigneDemandee, cle_du_code


def cles_enregistrer(devis: Devis, titulaire: tuple[str, str] | None = None) -> None:
    """À l'acceptation : une clé « à remettre » par certificat accepté, avec
    son titulaire (nom, fonction) s'il a été indiqué au bon pour accord. Le
    certificat est facturé par La Fibre ; la ligne du CDG (remise) ne compte
    pas une seconde fois."""
    nom, fonction = titulaire or ("", "")
    for ligne in devis.lignes_de_cles():
        validite, mode = cle_du_code(ligne.code)
        for rang in range(1, ligne.quantite + 1):
            CleSignature.objects.create(
                collectivite_id=devis.collectivite_id,
                devis=devis,
                ligne=ligne,
                rang=rang,
                code=ligne.code,
                mode_remise=mode,
                validite_annees=validite,
                titulaire_nom=nom,
                titulaire_fonction=fonction,
            )


def _plus_annees(jour: datetime.date, annees: int) -> datetime.date:
    try:
        return jour.replace(year=jour.year + annees)
    except ValueError:  # 29 février
        return jour.replace(year=jour.year + annees, day=28)


@transaction.atomic
def cle_remettre(
    *, cle: CleSignature, titulaire_nom: str, titulaire_fonction: str, remise_le, par
) -> CleSignature:
    cle = CleSignature.objects.select_for_update().get(pk=cle.pk)
    erreurs = []
    if not (titulaire_nom or "").strip():
        erreurs.append("Indiquez le nom du titulaire de la clé.")
    if not (titulaire_fonction or "").strip():
        erreurs.append("Indiquez la fonction du titulaire de la clé.")
    if remise_le is None:
        erreurs.append("Indiquez la date de remise de la clé.")
    elif remise_le > timezone.localdate():
        erreurs.append("La date de remise ne peut pas être dans le futur.")
    if erreurs:
        raise ValidationError(erreurs)
    cle.titulaire_nom = titulaire_nom.strip()
    cle.titulaire_fonction = titulaire_fonction.strip()
    cle.remise_le = remise_le
    cle.expire_le = _plus_annees(remise_le, cle.validite_annees)
    cle.statut = CleSignature.Statut.ACTIVE
    cle._change_reason = f"Remise à {cle.titulaire_nom} le {remise_le:%d/%m/%Y}"
    cle.save()
    return cle


@transaction.atomic
def nouveau_signataire(*, collectivite, nom: str, par) -> int:
    """Le signataire de la collectivité (maire, président) change : les clés
    actives d'un autre titulaire sont signalées « titulaire parti »."""
    nom = (nom or "").strip()
    if not nom:
        raise ValidationError("Indiquez le nom du nouveau signataire.")
    parties = list(
        CleSignature.objects.select_for_update()
        .filter(collectivite=collectivite, statut=CleSignature.Statut.ACTIVE)
        .exclude(titulaire_nom__iexact=nom)
    )
    for cle in parties:
        cle.statut = CleSignature.Statut.TITULAIRE_PARTI
        cle._change_reason = f"Nouveau signataire : {nom}"
        cle.save(update_fields=["statut"])
    return len(parties)


def cles_a_renouveler(jour: datetime.date | None = None):
    """Les clés qui expirent bientôt (ou déjà) et celles dont le titulaire est
    parti, les plus pressées d'abord."""
    jour = jour or timezone.localdate()
    delai = ParametresRelances.actuels().cles_jours_avant_expiration
    limite = jour + datetime.timedelta(days=delai)
    return (
        CleSignature.objects.filter(
            Q(statut=CleSignature.Statut.ACTIVE, expire_le__lte=limite)
            | Q(statut=CleSignature.Statut.TITULAIRE_PARTI)
        )
        .select_related("collectivite")
        .order_by("expire_le", "id")
    )


def cle_preparer_renouvellement(*, cle: CleSignature, par) -> Devis:
    """Un brouillon de devis pour une nouvelle clé de même validité et même
    mode de remise ; renvoie le brouillon de La Fibre."""
    titulaire = cle.titulaire_nom or "la collectivité"
    echeance = f" (expire le {cle.expire_le:%d/%m/%Y})" if cle.expire_le else ""
    brouillons = devis_services.devis_creer_brouillons(
        collectivite=cle.collectivite,
        lignes=[LigneDemandee(cle.code, 1)],
        par=par,
        commentaire=f"Renouvellement de la clé de {titulaire}{echeance}",
    )
    return next((d for d in brouillons if d.emetteur.code == "fibre"), brouillons[0])
