"""Écritures de la facturation : l'émission de la facture Factur-X d'un devis
accepté (domaine §13).

Règles :

- seul un devis **accepté** se facture, et une seule fois (une facture par
  devis ; la contrainte d'unicité sur ``Facture.devis`` sert de filet) ;
- rien ne part incomplet : l'identité de l'émetteur (SIRET compris, sur
  14 chiffres) et celle de la collectivité (adresse, SIRET ou SIREN) doivent
  être complètes, sinon le refus nomme chaque manque (``conventions.completude``) ;
- la facture imprime les identités **du jour de son émission**, la référence du
  devis, ses lignes et ses montants TTC (ceux du devis, jamais rechiffrés) et
  la mention TVA de l'émetteur ;
- dans **une seule transaction** : le numéro (compteur verrouillé, sans trou),
  le gel des valeurs, le XML validé contre le XSD EN 16931, le PDF rendu une
  fois et stocké avec son SHA-256. Un échec annule tout : pas de numéro perdu,
  pas de fichier laissé.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from conventions.completude import (
    DocumentIncomplet,
    Manque,
    manques_destinataire,
    manques_emetteur,
)
from conventions.fichiers import document_enregistrer, empreinte_sha256
from devis import pdf as devis_pdf
from devis.models import Devis
from facturation import facturx, numerotation
from facturation import pdf as facture_pdf
from facturation.models import Facture

# Délai global de paiement des pouvoirs adjudicateurs publics (code de la
# commande publique, art. R. 2192-10) : l'échéance imprimée.
DELAI_PAIEMENT_JOURS = 30
CONDITIONS_PAIEMENT = (
    f"Paiement à {DELAI_PAIEMENT_JOURS} jours (délai global de paiement de la "
    "commande publique), par virement au comptable public de l'émetteur. "
    "Pas d'escompte pour paiement anticipé."
)


def _verrouiller(devis: Devis) -> Devis:
    return (
        Devis.objects.select_for_update(of=("self",))
        .select_related("emetteur", "collectivite")
        .get(pk=devis.pk)
    )


def _verifier(devis: Devis) -> None:
    """Les conditions d'émission d'une facture (voir le module)."""
    if devis.statut != Devis.Statut.ACCEPTE:
        raise ValidationError(
            f"Le devis {devis} est « {devis.statut_affiche.lower()} » : seul un "
            "devis accepté peut être facturé."
        )
    deja = Facture.objects.filter(devis_id=devis.pk).first()
    if deja is not None:
        raise ValidationError(
            f"Le devis {devis.numero} a déjà sa facture ({deja.numero}) : une "
            "facture émise ne s'établit pas deux fois."
        )
    emetteur = devis.emetteur
    manques = manques_emetteur(emetteur) + manques_destinataire(devis.collectivite)
    siret = (emetteur.siret or "").strip()
    if siret and not (len(siret) == 14 and siret.isdigit()):
        manques.insert(
            0,
            Manque(
                f"un SIRET de {emetteur.nom} à 14 chiffres (« {siret} » saisi)",
                reverse("admin:conventions_organisme_change", args=[emetteur.pk]),
            ),
        )
    if manques:
        raise DocumentIncomplet("La facture ne peut pas être établie", manques)
    montants = [ligne.montant for ligne in devis.lignes.all()]
    if not montants or any(montant is None for montant in montants):
        raise ValidationError(
            f"Le devis {devis.numero} a une ligne sans montant : il ne peut pas "
            "être facturé."
        )
    if sum(montants, Decimal("0")) != devis.total_premiere_annee:
        raise ValidationError(
            f"Les lignes du devis {devis.numero} ne font pas son total de première "
            "année : il ne peut pas être facturé, signalez-le à l'administrateur."
        )


def _facture(devis: Devis, *, par) -> Facture:
    """La facture non enregistrée : numéro pris, valeurs imprimées figées."""
    aujourdhui = timezone.localdate()
    emetteur = devis.emetteur
    sequence = numerotation.prendre_numero(emetteur=emetteur, annee=aujourdhui.year)
    accepte_le = (
        timezone.localtime(devis.accepte_le).date() if devis.accepte_le else aujourdhui
    )
    lignes = facture_pdf.lignes_figees(devis, accepte_le=accepte_le)
    return Facture(
        devis=devis,
        emetteur=emetteur,
        collectivite=devis.collectivite,
        numero=numerotation.format_numero(
            prefixe=emetteur.prefixe_numero, annee=aujourdhui.year, sequence=sequence
        ),
        annee=aujourdhui.year,
        sequence=sequence,
        date_emission=aujourdhui,
        date_echeance=aujourdhui + timedelta(days=DELAI_PAIEMENT_JOURS),
        emetteur_fige=devis_pdf.identite_emetteur(emetteur),
        destinataire_fige=devis_pdf.identite_destinataire(devis.collectivite),
        devis_fige=facture_pdf.reference_devis(devis),
        lignes=lignes,
        total_unique=devis.total_unique,
        total_annuel=devis.total_annuel,
        total_ttc=devis.total_premiere_annee,
        mention_tva=emetteur.mention_tva.strip(),
        conditions_paiement=CONDITIONS_PAIEMENT,
        emise_par=par,
    )


@transaction.atomic
def facture_emettre(*, devis: Devis, par) -> Facture:
    """Émet la facture Factur-X d'un devis accepté : numéro sans trou, valeurs
    figées, XML CII validé, PDF/A-3 rendu une fois et stocké avec son SHA-256
    (voir le module). Lève ``ValidationError`` (en français) si le devis ne se
    facture pas."""
    devis = _verrouiller(devis)
    _verifier(devis)
    facture = _facture(devis, par=par)
    try:
        xml = facturx.facture_xml(facture)
    except facturx.XmlInvalide as erreur:
        raise ValidationError(
            "Les données de la facture ne respectent pas le format Factur-X "
            f"EN 16931 ; rien n'a été émis. Détail technique : {erreur}"
        ) from erreur
    contenu = facturx.pdf_facturx(
        facture_pdf.facture_rendre_pdf(facture), xml, facture=facture
    )
    facture.xml = xml.decode("utf-8")
    facture.pdf_sha256 = empreinte_sha256(contenu)
    # Nom de fichier aléatoire, sans numéro (``document_enregistrer``) ; disque
    # plein ou en lecture seule : une ValidationError en français.
    nom = document_enregistrer(champ=facture.pdf, contenu=contenu)
    try:
        with transaction.atomic():
            facture.save()
    except BaseException:
        facture.pdf.storage.delete(nom)
        raise
    return facture
