"""Écritures sur les devis : brouillons, émission, réponses, envoi.

Règles (domaine §2, §5, §6) :

- une demande donne un devis par émetteur qui a au moins une ligne avec un
  montant ou une ligne sur devis ; un émetteur dont toutes les lignes sont
  *incluses* n'a pas de devis (le devis de services mentionne l'accompagnement
  inclus) ;
- les prix viennent uniquement de ``tarifs.calcul.chiffrer`` sur la grille en
  vigueur ; un prix saisi par un agent ne vaut que pour une ligne *sur devis*,
  avec une justification ;
- le numéro n'est donné qu'à l'émission, dans la même transaction que le gel des
  valeurs imprimées et le rendu unique du PDF ;
- un devis émis ne se modifie ni ne se supprime : il s'accepte, se refuse,
  expire ou s'annule (chaque changement d'état laisse un ``EvenementDevis``).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db import transaction
from django.utils import timezone

from comptes.models import Utilisateur
from conventions.access import peut_repondre_devis
from conventions.categories import categorie_de
from conventions.completude import (
    DocumentIncomplet,
    manques_destinataire,
    manques_emetteur,
)
from conventions.fichiers import document_enregistrer
from conventions.formats import format_date
from conventions.models import Collectivite, Organisme
from conventions.selectors import convention_courante
from devis import numerotation, tasks
from devis import pdf as devis_pdf
from devis.models import DemandeDevis, Devis, EnvoiDevis, EvenementDevis, LigneDevis
from devis.signals import devis_accepte
from tarifs import calcul
from tarifs.models import Emetteur, GrilleTarifaire
from tarifs.selectors import AucuneGrilleEnVigueur, grille_en_vigueur, grille_instantane

CANAUX = ("portail", "papier")
ETATS_ANNULABLES = (
    Devis.Statut.EMIS,
    Devis.Statut.ACCEPTE,
    Devis.Statut.REFUSE,
    Devis.Statut.EXPIRE,
)
ETATS_ENVOYABLES = (Devis.Statut.EMIS, Devis.Statut.ACCEPTE)

PrixManuels = dict[tuple[str, str], tuple[Decimal, str]]


# --- Chiffrage ---


def _categorie(
    collectivite: Collectivite,
    instantane: calcul.Grille,
    lignes: list[calcul.LigneDemandee],
) -> str | None:
    """Catégorie de la collectivité ; obligatoire seulement si une ligne en dépend."""
    requise = any(
        instantane.prestations[ligne.code].depend_de_la_categorie
        for ligne in lignes
        if ligne.code in instantane.prestations
    )
    try:
        categorie = categorie_de(collectivite, instantane)
    except calcul.ErreurChiffrage as erreur:
        if requise:
            raise ValidationError(
                [f"{collectivite.nom} : {message}" for message in erreur.erreurs]
            ) from erreur
        return None
    if categorie not in instantane.codes_categories:
        if requise:
            raise ValidationError(
                f"La catégorie « {categorie} » de {collectivite.nom} n'existe pas "
                "dans la grille en vigueur."
            )
        return None
    return categorie


def _prix_manuels(
    chiffrage: calcul.Chiffrage, prix_manuels: PrixManuels | None
) -> tuple[dict[tuple[str, str], Decimal], dict[tuple[str, str], str]]:
    """Valide les prix saisis pour les lignes sur devis (montant ≥ 0 et
    justification) ; un prix donné pour une ligne qui n'est pas sur devis est
    ignoré."""
    montants: dict[tuple[str, str], Decimal] = {}
    justifications: dict[tuple[str, str], str] = {}
    erreurs: list[str] = []
    for devis in chiffrage.devis:
        for ligne in devis.lignes:
            cle = (devis.emetteur, ligne.code)
            if not ligne.sur_devis or cle not in (prix_manuels or {}):
                continue
            montant, justification = prix_manuels[cle]
            if montant in (None, ""):
                continue
            try:
                montant = Decimal(montant)
            except (InvalidOperation, TypeError, ValueError):
                erreurs.append(f"Le prix saisi pour « {ligne.libelle} » est illisible.")
                continue
            if not montant.is_finite() or montant < 0:
                erreurs.append(
                    f"Le prix saisi pour « {ligne.libelle} » doit être un montant "
                    "positif ou nul."
                )
                continue
            justification = (justification or "").strip()
            if not justification:
                erreurs.append(
                    f"Une justification est obligatoire pour le prix saisi de "
                    f"« {ligne.libelle} »."
                )
                continue
            montants[cle] = calcul.arrondi_centime(montant)
            justifications[cle] = justification
    if erreurs:
        raise ValidationError(erreurs)
    return montants, justifications


def chiffrer_pour(
    collectivite: Collectivite,
    lignes: list[calcul.LigneDemandee],
    instantane: calcul.Grille,
) -> calcul.Chiffrage:
    """Chiffrage pur d'une demande pour une collectivité sur une grille (rien
    n'est écrit) : la simulation du renouvellement annuel."""
    categorie = _categorie(collectivite, instantane, lignes)
    try:
        return calcul.chiffrer(instantane, list(lignes), categorie=categorie)
    except calcul.ErreurChiffrage as erreur:
        raise ValidationError(erreur.erreurs) from erreur


def _chiffrer(
    *,
    collectivite: Collectivite,
    lignes: list[calcul.LigneDemandee],
    prix_manuels: PrixManuels | None,
    jour: date | None = None,
):
    """Chiffre la demande sur la grille en vigueur ``jour`` (aujourd'hui par
    défaut) ; renvoie la grille, le chiffrage (prix manuels appliqués), les
    justifications et la catégorie."""
    if not lignes:
        raise ValidationError("Ajoutez au moins une prestation à la demande.")
    try:
        grille = grille_en_vigueur(jour, exiger=True)
    except AucuneGrilleEnVigueur as erreur:
        raise ValidationError(
            [*erreur.erreurs, "Le devis ne peut pas être chiffré."]
        ) from erreur
    instantane = grille_instantane(grille)
    categorie = _categorie(collectivite, instantane, lignes)
    try:
        chiffrage = calcul.chiffrer(instantane, list(lignes), categorie=categorie)
    except calcul.ErreurChiffrage as erreur:
        raise ValidationError(erreur.erreurs) from erreur
    montants, justifications = _prix_manuels(chiffrage, prix_manuels)
    chiffrage = calcul.appliquer_prix_manuels(chiffrage, montants)
    if not any(d.a_emettre for d in chiffrage.devis):
        raise ValidationError(
            "Cette demande ne donne lieu à aucun devis : aucune ligne n'a de "
            "montant ni de prix sur devis."
        )
    return grille, chiffrage, justifications, categorie


def _mention_inclus(chiffrage: calcul.Chiffrage, emetteur: str) -> str:
    """Sur le devis de services : l'accompagnement du CDG inclus sans frais."""
    if emetteur != Emetteur.FIBRE:
        return ""
    incluses = [
        ligne.libelle
        for ligne in chiffrage.pour(Emetteur.CDG).lignes
        if ligne.mode == calcul.MODE_INCLUS
    ]
    if not incluses:
        return ""
    return f"Accompagnement du {Emetteur.CDG.label} inclus : {', '.join(incluses)}."


def _organismes() -> dict[str, Organisme]:
    organismes = {o.code: o for o in Organisme.objects.all()}
    manquants = [e.label for e in Emetteur if e.value not in organismes]
    if manquants:
        raise ValidationError(
            f"Émetteur non configuré : {', '.join(manquants)} (administration)."
        )
    return organismes


def _lignes_json(lignes: list[calcul.LigneDemandee]) -> list[dict]:
    return [
        {
            "code": ligne.code,
            "quantite": ligne.quantite,
            "intervention": ligne.intervention,
        }
        for ligne in lignes
    ]


def lignes_de_la_demande(demande: DemandeDevis) -> list[calcul.LigneDemandee]:
    """Les lignes demandées, relues depuis le JSON de la demande."""
    return [
        calcul.LigneDemandee(
            code=ligne["code"],
            quantite=int(ligne["quantite"]),
            intervention=bool(ligne.get("intervention", False)),
        )
        for ligne in demande.lignes_demandees
    ]


def _creer_lignes(
    devis: Devis, chiffre: calcul.DevisChiffre, justifications: dict
) -> None:
    LigneDevis.objects.bulk_create(
        LigneDevis(
            devis=devis,
            ordre=rang,
            code=ligne.code,
            libelle=ligne.libelle,
            section=ligne.section,
            unite=ligne.unite,
            quantite=ligne.quantite,
            prix_unitaire=ligne.prix_unitaire,
            montant=ligne.montant,
            periodicite=ligne.periodicite,
            mode=ligne.mode,
            prix_manuel=ligne.sur_devis and ligne.montant is not None,
            justification=(
                justifications.get((chiffre.emetteur, ligne.code), "")
                if ligne.sur_devis and ligne.montant is not None
                else ""
            ),
            mention=ligne.mention,
        )
        for rang, ligne in enumerate(chiffre.lignes, start=1)
    )


def _remplir(
    devis: Devis,
    *,
    grille: GrilleTarifaire,
    chiffrage: calcul.Chiffrage,
    chiffre: calcul.DevisChiffre,
    categorie: str | None,
) -> None:
    devis.grille = grille
    devis.categorie = categorie or ""
    devis.categorie_base = (
        devis_pdf.base_categorie(devis.collectivite) if categorie else ""
    )
    devis.mention_inclus = _mention_inclus(chiffrage, chiffre.emetteur)
    devis.total_unique = chiffre.total_unique
    devis.total_annuel = chiffre.total_annuel
    devis.total_premiere_annee = chiffre.total_premiere_annee


def _evenement(devis: Devis, *, par, commentaire: str = "") -> EvenementDevis:
    return EvenementDevis.objects.create(
        devis=devis, statut=devis.statut, commentaire=commentaire, par=par
    )


# --- Brouillons ---


@transaction.atomic
def devis_creer_brouillons(
    *,
    collectivite: Collectivite,
    lignes: list[calcul.LigneDemandee],
    prix_manuels: PrixManuels | None = None,
    par,
    demande: DemandeDevis | None = None,
    commentaire: str = "",
    jour: date | None = None,
) -> list[Devis]:
    """Chiffre une demande et crée un brouillon par émetteur qui a quelque chose
    à facturer (une ligne avec montant ou sur devis).

    ``prix_manuels`` : (émetteur, code) → (montant TTC de la ligne,
    justification) pour les lignes sur devis. ``jour`` : la date dont la
    grille en vigueur chiffre la demande (aujourd'hui par défaut ; le
    renouvellement annuel chiffre à sa date).
    """
    grille, chiffrage, justifications, categorie = _chiffrer(
        collectivite=collectivite,
        lignes=lignes,
        prix_manuels=prix_manuels,
        jour=jour,
    )
    organismes = _organismes()
    if demande is None:
        demande = DemandeDevis.objects.create(
            collectivite=collectivite,
            statut=DemandeDevis.Statut.CHIFFREE,
            lignes_demandees=_lignes_json(lignes),
            commentaire=commentaire,
            demandee_par=par,
        )
    else:
        if demande.collectivite_id != collectivite.pk:
            raise ValidationError("Cette demande appartient à une autre collectivité.")
        if demande.devis.exists():
            raise ValidationError(
                "Cette demande a déjà des devis : modifiez les brouillons existants."
            )
        demande.statut = DemandeDevis.Statut.CHIFFREE
        demande.lignes_demandees = _lignes_json(lignes)
        if commentaire:
            demande.commentaire = commentaire
        demande.save(update_fields=["statut", "lignes_demandees", "commentaire"])

    brouillons = []
    for chiffre in chiffrage.devis:
        if not chiffre.a_emettre:
            continue
        devis = Devis(
            demande=demande,
            emetteur=organismes[chiffre.emetteur],
            collectivite=collectivite,
            cree_par=par,
        )
        _remplir(
            devis,
            grille=grille,
            chiffrage=chiffrage,
            chiffre=chiffre,
            categorie=categorie,
        )
        devis.save()
        _creer_lignes(devis, chiffre, justifications)
        _evenement(devis, par=par, commentaire="Brouillon créé.")
        brouillons.append(devis)
    return brouillons


def _verrouiller_demande(demande: DemandeDevis) -> list[Devis]:
    devis = list(
        Devis.objects.select_for_update().filter(demande=demande).order_by("pk")
    )
    if any(not d.est_brouillon for d in devis):
        raise ValidationError(
            "Un devis de cette demande a déjà été émis : elle ne se modifie plus "
            "(dupliquez-le pour repartir d'un nouveau brouillon)."
        )
    return devis


@transaction.atomic
def devis_modifier_brouillons(
    *,
    demande: DemandeDevis,
    lignes: list[calcul.LigneDemandee],
    prix_manuels: PrixManuels | None = None,
    par,
) -> list[Devis]:
    """Rechiffre les brouillons d'une demande sur la grille du jour.

    Les lignes sont recréées ; un émetteur qui gagne des lignes reçoit un
    brouillon, celui qui n'a plus rien à facturer perd le sien. Refusé dès
    qu'un devis de la demande est sorti du brouillon.
    """
    existants = {d.emetteur.code: d for d in _verrouiller_demande(demande)}
    collectivite = demande.collectivite
    grille, chiffrage, justifications, categorie = _chiffrer(
        collectivite=collectivite, lignes=lignes, prix_manuels=prix_manuels
    )
    organismes = _organismes()
    brouillons = []
    for chiffre in chiffrage.devis:
        devis = existants.get(chiffre.emetteur)
        if not chiffre.a_emettre:
            if devis is not None:
                _supprimer(devis)
            continue
        nouveau = devis is None
        if nouveau:
            devis = Devis(
                demande=demande,
                emetteur=organismes[chiffre.emetteur],
                collectivite=collectivite,
                cree_par=par,
            )
        else:
            devis.lignes.all().delete()
        _remplir(
            devis,
            grille=grille,
            chiffrage=chiffrage,
            chiffre=chiffre,
            categorie=categorie,
        )
        devis.save()
        _creer_lignes(devis, chiffre, justifications)
        _evenement(
            devis,
            par=par,
            commentaire="Brouillon créé." if nouveau else "Brouillon modifié.",
        )
        brouillons.append(devis)
    demande.lignes_demandees = _lignes_json(lignes)
    demande.statut = DemandeDevis.Statut.CHIFFREE
    demande.save(update_fields=["lignes_demandees", "statut"])
    return brouillons


def _supprimer(devis: Devis) -> None:
    devis.evenements.all().delete()
    devis.lignes.all().delete()
    devis.delete()


@transaction.atomic
def devis_supprimer_brouillon(*, devis: Devis, par) -> None:
    """Supprime un brouillon (jamais un devis émis : il s'annule). Une demande
    restée sans devis est supprimée avec lui."""
    devis = Devis.objects.select_for_update().get(pk=devis.pk)
    if not devis.est_brouillon:
        raise ValidationError(
            "Seul un brouillon peut être supprimé : un devis émis s'annule."
        )
    demande = devis.demande
    _supprimer(devis)
    if not demande.devis.exists():
        demande.delete()


# --- Émission ---


def _verifier_emission(devis: Devis):
    """Les conditions d'émission ; renvoie la convention de référence."""
    erreurs = []
    convention = convention_courante(devis.collectivite)
    if convention is None:
        erreurs.append(
            f"{devis.collectivite.nom} n'a pas de convention tripartite en cours "
            "(ni signée, ni en préparation) : le devis ne peut pas être émis."
        )
    lignes = list(devis.lignes.all())
    if not lignes:
        erreurs.append("Le devis n'a aucune ligne.")
    a_chiffrer = [ligne.libelle for ligne in lignes if ligne.a_chiffrer]
    if a_chiffrer:
        erreurs.append(
            "Saisissez le prix des lignes sur devis avant d'émettre : "
            f"{', '.join(a_chiffrer)}."
        )
    manques = manques_emetteur(devis.emetteur) + manques_destinataire(
        devis.collectivite
    )
    if manques:
        # Un devis émis est figé : rien ne s'imprime « à compléter ».
        erreurs.append(
            str(DocumentIncomplet("Le devis ne peut pas être émis", manques).message)
        )
    en_vigueur = grille_en_vigueur(timezone.localdate())
    if en_vigueur is not None and en_vigueur.pk != devis.grille_id:
        erreurs.append(
            f"Ce brouillon a été chiffré sur la grille {devis.grille.reference}, "
            f"remplacée par la grille {en_vigueur.reference} : modifiez-le pour "
            "le rechiffrer avant de l'émettre."
        )
    if erreurs:
        raise ValidationError(erreurs)
    return convention


def devis_emettre(*, devis: Devis, par) -> Devis:
    """Émet un brouillon : numéro, gel des valeurs imprimées, PDF rendu une fois.

    Le numéro est réservé d'abord (``numerotation.reserver``, le compteur n'est
    verrouillé qu'un instant), le PDF rendu ensuite hors de tout verrou, puis
    le devis verrouillé et enregistré dans une courte transaction : deux
    émissions du même émetteur ne s'attendent plus le temps d'un rendu. Si le
    rendu ou l'enregistrement échoue, le numéro est rendu (repris par
    l'émission suivante), le brouillon reste intact et aucun fichier ne demeure.
    """
    devis = Devis.objects.select_related("emetteur", "collectivite", "grille").get(
        pk=devis.pk
    )
    _verifier_emettable(devis)
    convention = _verifier_emission(devis)
    version = devis.modifie_le

    aujourdhui = timezone.localdate()
    emetteur = devis.emetteur
    reservation = numerotation.reserver(emetteur=emetteur, annee=aujourdhui.year)
    try:
        devis.sequence = reservation.sequence
        devis.numero = numerotation.numero_de(reservation)
        devis.annee = aujourdhui.year
        devis.date_emission = aujourdhui
        devis.date_validite = aujourdhui + timedelta(days=emetteur.validite_jours)
        devis.emetteur_fige = devis_pdf.identite_emetteur(emetteur)
        devis.destinataire_fige = devis_pdf.identite_destinataire(devis.collectivite)
        devis.grille_fige = devis_pdf.reference_grille(devis.grille)
        devis.convention_fige = devis_pdf.reference_convention(convention)
        devis.statut = Devis.Statut.EMIS

        contenu = devis_pdf.devis_rendre_pdf(devis)

        # Nom de fichier unique, sans numéro : une transaction annulée (même
        # englobante) ne laisse qu'un orphelin anonyme, effacé par
        # nettoyer_fichiers_orphelins ; disque plein ou en lecture seule : une
        # ValidationError en français, et le numéro est rendu.
        champ = devis.pdf
        nom = document_enregistrer(champ=champ, contenu=contenu)
        try:
            with transaction.atomic():
                _enregistrer_emission(devis, version, reservation, par=par)
                devis.pdf_sha256 = devis_pdf.empreinte(contenu)
                devis.save()
                _evenement(devis, par=par, commentaire=f"Devis {devis.numero} émis.")
                if devis.remplace_id:
                    _marquer_remplace(devis, par=par)
        except BaseException:
            champ.storage.delete(nom)
            raise
    except BaseException:
        numerotation.liberer(reservation)
        raise
    return devis


def _verifier_emettable(devis: Devis) -> None:
    if not devis.est_brouillon:
        raise ValidationError(
            f"Le devis {devis} est déjà émis : il ne peut plus être émis à nouveau."
        )


def _enregistrer_emission(devis: Devis, version, reservation, *, par) -> None:
    """Sous le verrou du devis : il est toujours le brouillon rendu, et le
    numéro réservé est toujours le nôtre."""
    actuel = Devis.objects.select_for_update(of=("self",)).get(pk=devis.pk)
    _verifier_emettable(actuel)
    if actuel.modifie_le != version:
        raise ValidationError(
            "Le brouillon a été modifié pendant son émission : vérifiez-le puis "
            "émettez-le à nouveau."
        )
    if not numerotation.consommer(reservation):
        raise ValidationError(
            "Le numéro réservé pour ce devis a expiré : émettez-le à nouveau."
        )


ETATS_REVISABLES = (Devis.Statut.EMIS, Devis.Statut.REFUSE, Devis.Statut.EXPIRE)


def _marquer_remplace(revision: Devis, *, par) -> None:
    """La révision émise : le devis qu'elle remplace passe à l'état final
    « remplacé » (il garde son numéro et son PDF)."""
    ancien = Devis.objects.select_for_update().get(pk=revision.remplace_id)
    if ancien.statut not in ETATS_REVISABLES:
        raise ValidationError(
            f"Le devis {ancien.numero} est « {ancien.get_statut_display().lower()} » "
            ": il ne peut plus être remplacé."
        )
    ancien.statut = Devis.Statut.REMPLACE
    ancien.save(update_fields=["statut", "modifie_le"])
    _evenement(ancien, par=par, commentaire=f"Remplacé par le devis {revision.numero}.")


@transaction.atomic
def devis_reviser(*, devis: Devis, par) -> Devis:
    """Une révision d'un devis émis : un brouillon du même émetteur et de la
    même demande, rechiffré sur la grille du jour (prix saisis sur devis
    repris), qui le remplacera à son émission."""
    devis = _verrouiller(devis)
    if devis.statut not in ETATS_REVISABLES:
        raise ValidationError(
            f"Le devis {devis} est « {devis.get_statut_display().lower()} » : seul "
            "un devis émis, refusé ou expiré se révise."
        )
    deja = devis.revisions.first()
    if deja is not None:
        raise ValidationError(
            f"Le devis {devis.numero} a déjà une révision "
            f"({deja.numero or f'brouillon n°{deja.pk}'})."
        )
    emetteur = devis.emetteur.code
    prix_manuels = {
        (emetteur, ligne.code): (ligne.montant, ligne.justification)
        for ligne in devis.lignes.filter(prix_manuel=True)
    }
    grille, chiffrage, justifications, categorie = _chiffrer(
        collectivite=devis.collectivite,
        lignes=lignes_de_la_demande(devis.demande),
        prix_manuels=prix_manuels,
    )
    chiffre = chiffrage.pour(emetteur)
    revision = Devis(
        demande=devis.demande,
        emetteur=devis.emetteur,
        collectivite=devis.collectivite,
        cree_par=par,
        remplace=devis,
    )
    _remplir(
        revision,
        grille=grille,
        chiffrage=chiffrage,
        chiffre=chiffre,
        categorie=categorie,
    )
    revision.save()
    _creer_lignes(revision, chiffre, justifications)
    _evenement(revision, par=par, commentaire=f"Révision du devis {devis.numero}.")
    return revision


# --- Après l'émission ---


def _verrouiller(devis: Devis) -> Devis:
    return (
        Devis.objects.select_for_update(of=("self",))
        .select_related("emetteur", "collectivite")
        .get(pk=devis.pk)
    )


def _verifier_repondant(devis: Devis, *, par, canal: str) -> None:
    """Une réponse vient d'un signataire de la collectivité (portail) ou d'un
    agent du CDG qui saisit une réponse papier (``conventions.access``)."""
    if canal not in CANAUX:
        raise ValidationError("Canal de réponse inconnu : « portail » ou « papier ».")
    if peut_repondre_devis(par, devis.collectivite_id, canal=canal):
        return
    if canal == "papier":
        raise ValidationError(
            "Seul un agent du CDG peut enregistrer une réponse papier."
        )
    raise ValidationError(
        f"Seul un signataire de {devis.collectivite.nom} peut répondre à ce "
        "devis sur le portail."
    )


def _signaler_au_cdg(canal: str, quoi: str, devis: list[Devis]) -> None:
    """Un geste de la collectivité sur le portail est signalé aux agents du
    CDG, une fois enregistré (après la validation de la transaction), par la
    file de tâches."""
    if canal == "portail":
        ids = [d.pk for d in devis]
        transaction.on_commit(lambda: tasks.notifier_agents.enqueue(quoi, ids))


def _ip(ip: str | None) -> str | None:
    """L'adresse IP du répondant si elle est valide, sinon rien."""
    try:
        validate_ipv46_address(ip or "")
    except ValidationError:
        return None
    return ip


def _verifier_non_expire(devis: Devis) -> None:
    if devis.statut == Devis.Statut.EXPIRE or devis.est_perime:
        raise ValidationError(
            f"Le devis {devis.numero} a expiré (valable jusqu'au "
            f"{format_date(devis.date_validite)}) : il ne peut plus être accepté. "
            "Un nouveau devis peut être établi à sa place."
        )


def _accepter(
    devis: Devis,
    *,
    signataire_nom: str,
    signataire_qualite: str,
    par,
    canal: str,
    ip: str | None,
    titulaire_cle: tuple[str, str] | None = None,
) -> Devis:
    _verifier_non_expire(devis)
    if devis.statut != Devis.Statut.EMIS:
        raise ValidationError(
            f"Le devis {devis} est « {devis.get_statut_display().lower()} » : "
            "seul un devis émis peut être accepté."
        )
    _verifier_repondant(devis, par=par, canal=canal)
    erreurs = []
    if not (signataire_nom or "").strip():
        erreurs.append("Le nom du signataire est obligatoire.")
    if not (signataire_qualite or "").strip():
        erreurs.append("La qualité du signataire est obligatoire.")
    titulaire_cle = _titulaire_cle(titulaire_cle, erreurs)
    if erreurs:
        raise ValidationError(erreurs)
    devis.statut = Devis.Statut.ACCEPTE
    devis.accepte_le = timezone.now()
    devis.reponse_par = par
    devis.reponse_canal = canal
    devis.reponse_ip = _ip(ip)
    devis.signataire_nom = signataire_nom.strip()
    devis.signataire_qualite = signataire_qualite.strip()
    devis.save(
        update_fields=[
            "statut",
            "accepte_le",
            "reponse_par",
            "reponse_canal",
            "reponse_ip",
            "signataire_nom",
            "signataire_qualite",
            "modifie_le",
        ]
    )
    _evenement(
        devis,
        par=par,
        commentaire=(
            f"Accepté par {devis.signataire_nom}, {devis.signataire_qualite} "
            f"({'portail' if canal == 'portail' else 'réponse papier'})."
        ),
    )
    # L'inventaire (abonnements) s'écrit dans cette transaction-ci.
    devis_accepte.send(
        sender=Devis,
        devis=devis,
        titulaire_cle=titulaire_cle if devis.lignes_de_cles() else None,
    )
    return devis


def _titulaire_cle(titulaire, erreurs: list[str]) -> tuple[str, str] | None:
    """Le titulaire des clés de signature (nom, fonction) indiqué au bon pour
    accord : facultatif (l'agent le saisit sinon à la remise), mais complet."""
    nom, fonction = (valeur.strip() for valeur in (titulaire or ("", "")))
    if bool(nom) != bool(fonction):
        erreurs.append(
            "Indiquez le nom et la fonction du titulaire de la clé de signature, "
            "ou laissez les deux vides."
        )
    return (nom, fonction) if nom and fonction else None


@transaction.atomic
def devis_accepter(
    *,
    devis: Devis,
    signataire_nom: str,
    signataire_qualite: str,
    par,
    canal: str,
    ip: str | None = None,
    titulaire_cle: tuple[str, str] | None = None,
) -> Devis:
    """Enregistre l'acceptation d'un devis émis et encore valable (qui, quand,
    nom et qualité du signataire, canal, adresse IP ; titulaire des clés de
    signature s'il y en a). Une acceptation donnée sur le portail est signalée
    aux agents du CDG, après validation."""
    devis = _accepter(
        _verrouiller(devis),
        signataire_nom=signataire_nom,
        signataire_qualite=signataire_qualite,
        par=par,
        canal=canal,
        ip=ip,
        titulaire_cle=titulaire_cle,
    )
    _signaler_au_cdg(canal, "acceptation", [devis])
    return devis


@transaction.atomic
def devis_accepter_demande(
    *,
    demande: DemandeDevis,
    signataire_nom: str,
    signataire_qualite: str,
    par,
    canal: str,
    ip: str | None = None,
    titulaire_cle: tuple[str, str] | None = None,
) -> list[Devis]:
    """Accepte d'un coup tous les devis émis d'une demande — tous ou aucun."""
    a_accepter = list(
        Devis.objects.select_for_update(of=("self",))
        .select_related("emetteur", "collectivite")
        .filter(demande=demande, statut=Devis.Statut.EMIS)
        .order_by("pk")
    )
    if not a_accepter:
        raise ValidationError("Cette demande n'a aucun devis émis à accepter.")
    acceptes = [
        _accepter(
            devis,
            signataire_nom=signataire_nom,
            signataire_qualite=signataire_qualite,
            par=par,
            canal=canal,
            ip=ip,
            titulaire_cle=titulaire_cle,
        )
        for devis in a_accepter
    ]
    _signaler_au_cdg(canal, "acceptation", acceptes)
    return acceptes


@transaction.atomic
def devis_refuser(
    *, devis: Devis, motif: str, par, canal: str, ip: str | None = None
) -> Devis:
    """Enregistre le refus motivé d'un devis émis."""
    devis = _verrouiller(devis)
    if devis.statut != Devis.Statut.EMIS:
        raise ValidationError(
            f"Le devis {devis} est « {devis.get_statut_display().lower()} » : "
            "seul un devis émis peut être refusé."
        )
    _verifier_repondant(devis, par=par, canal=canal)
    motif = (motif or "").strip()
    if not motif:
        raise ValidationError("Le motif du refus est obligatoire.")
    devis.statut = Devis.Statut.REFUSE
    devis.refuse_le = timezone.now()
    devis.refus_motif = motif
    devis.reponse_par = par
    devis.reponse_canal = canal
    devis.reponse_ip = _ip(ip)
    devis.save(
        update_fields=[
            "statut",
            "refuse_le",
            "refus_motif",
            "reponse_par",
            "reponse_canal",
            "reponse_ip",
            "modifie_le",
        ]
    )
    _evenement(devis, par=par, commentaire=f"Refusé : {motif}")
    _signaler_au_cdg(canal, "refus", [devis])
    return devis


@transaction.atomic
def devis_annuler(*, devis: Devis, motif: str, par) -> Devis:
    """Annule un devis émis (accepté, refusé ou expiré compris) : il garde son
    numéro et son PDF, l'annulation est un état motivé, pas une suppression."""
    devis = _verrouiller(devis)
    if devis.est_brouillon:
        raise ValidationError("Un brouillon ne s'annule pas : supprimez-le.")
    if devis.statut not in ETATS_ANNULABLES:
        raise ValidationError(f"Le devis {devis} est déjà annulé.")
    motif = (motif or "").strip()
    if not motif:
        raise ValidationError("Le motif de l'annulation est obligatoire.")
    devis.statut = Devis.Statut.ANNULE
    devis.annule_le = timezone.now()
    devis.annule_par = par
    devis.annulation_motif = motif
    devis.save(
        update_fields=[
            "statut",
            "annule_le",
            "annule_par",
            "annulation_motif",
            "modifie_le",
        ]
    )
    _evenement(devis, par=par, commentaire=f"Annulé : {motif}")
    return devis


@transaction.atomic
def devis_expirer_perimes(*, aujourdhui: date | None = None) -> int:
    """Enregistre « expiré » pour les devis émis dont la date de validité est
    passée (expirés le lendemain de cette date). Idempotent ; renvoie le nombre
    de devis passés à l'état expiré."""
    aujourdhui = aujourdhui or timezone.localdate()
    perimes = list(
        Devis.objects.select_for_update()
        .filter(statut=Devis.Statut.EMIS, date_validite__lt=aujourdhui)
        .order_by("pk")
    )
    for devis in perimes:
        devis.statut = Devis.Statut.EXPIRE
        devis.expire_le = devis.date_validite + timedelta(days=1)
        devis.save(update_fields=["statut", "expire_le", "modifie_le"])
        _evenement(
            devis,
            par=None,
            commentaire=(
                "Date de validité dépassée (valable jusqu'au "
                f"{format_date(devis.date_validite)})."
            ),
        )
    return len(perimes)


@transaction.atomic
def devis_dupliquer(*, devis: Devis, par) -> list[Devis]:
    """Nouveaux brouillons à partir des lignes demandées du devis, rechiffrés
    sur la grille en vigueur aujourd'hui. Les prix saisis sur devis ne sont pas
    repris : l'agent les fixe à nouveau."""
    demande = devis.demande
    lignes = lignes_de_la_demande(demande)
    nom = devis.numero or f"brouillon n°{devis.pk}"
    return devis_creer_brouillons(
        collectivite=devis.collectivite,
        lignes=lignes,
        par=par,
        commentaire=f"Copie de la demande du devis {nom}.",
    )


@transaction.atomic
def devis_envoyer(*, devis: Devis, par) -> EnvoiDevis:
    """Envoie le devis émis, PDF stocké en pièce jointe, aux adresses de contact
    de la collectivité ; chaque envoi est tracé sur le devis."""
    devis = _verrouiller(devis)
    if devis.statut not in ETATS_ENVOYABLES:
        raise ValidationError(
            f"Le devis {devis} est « {devis.get_statut_display().lower()} » : "
            "seul un devis émis (ou accepté) peut être envoyé."
        )
    collectivite = devis.collectivite
    destinataires = collectivite.liste_emails
    if not destinataires:
        raise ValidationError(
            f"{collectivite.nom} n'a aucune adresse électronique de contact : "
            "renseignez-la avant d'envoyer le devis."
        )
    try:  # vérifié ici (message à l'agent), relu par la tâche qui l'envoie
        devis_pdf.devis_pdf_stocke(devis)
    except (OSError, ValueError) as erreur:
        raise ValidationError(
            f"Le PDF stocké du devis {devis.numero} est introuvable ou altéré : "
            "signalez-le à l'administrateur."
        ) from erreur
    envoi = EnvoiDevis.objects.create(
        devis=devis, destinataires=", ".join(destinataires), envoye_par=par
    )
    # Le courriel part de la file de tâches, après validation : la requête
    # n'attend jamais le serveur de messagerie.
    transaction.on_commit(lambda: tasks.envoyer_devis.enqueue(envoi.pk))
    return envoi


# --- Portail : demande d'une collectivité ---


@transaction.atomic
def demande_creer_depuis_portail(
    *,
    collectivite: Collectivite,
    lignes: list[calcul.LigneDemandee],
    commentaire: str,
    par: Utilisateur,
) -> DemandeDevis:
    """Enregistre la demande d'une collectivité, à chiffrer par le CDG.

    Les lignes ont été validées par le moteur de chiffrage (codes connus,
    quantités entières ≥ 1) ; seuls les codes, quantités et l'option
    « intervention » sont conservés, jamais un prix.
    """
    if not lignes:
        raise ValidationError("Indiquez au moins une prestation.")
    demande = DemandeDevis.objects.create(
        collectivite=collectivite,
        statut=DemandeDevis.Statut.DEMANDEE,
        lignes_demandees=_lignes_json(lignes),
        commentaire=commentaire.strip(),
        demandee_par=par,
    )
    transaction.on_commit(
        lambda: tasks.notifier_agents.enqueue("demande", [demande.pk])
    )
    return demande
