"""Écritures métier sur les collectivités et les conventions tripartites.

Chaque fonction est une opération complète (``@transaction.atomic``) : elle
vérifie la règle, écrit, et laisse une trace dans l'historique
(django-simple-history) avec l'auteur et le motif. Une opération refusée lève
``ValidationError`` avec un message en français et n'écrit rien.
"""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from comptes.models import Utilisateur
from conventions.completude import DocumentIncomplet, manques_convention
from conventions.fichiers import document_enregistrer, verifier_pdf
from conventions.formats import format_date
from conventions.models import Collectivite, Convention, Signature
from conventions.selectors import termes_en_vigueur
from tarifs.selectors import (
    AucuneGrilleEnVigueur,
    grille_en_vigueur,
    instantane_en_vigueur,
)

Statut = Convention.Statut

# Le cycle de vie d'une convention, en un seul endroit (domaine §7) :
# brouillon → en signature → signée (en vigueur) → résiliée | expirée.
TRANSITIONS: dict[str, frozenset[str]] = {
    Statut.BROUILLON: frozenset({Statut.EN_SIGNATURE}),
    Statut.EN_SIGNATURE: frozenset({Statut.SIGNEE}),
    Statut.SIGNEE: frozenset({Statut.RESILIEE, Statut.EXPIREE}),
    Statut.RESILIEE: frozenset(),
    Statut.EXPIREE: frozenset(),
}

# Les gestes qui ne changent pas forcément l'état, et les états où ils sont permis.
ACTIONS: dict[str, frozenset[str]] = {
    # Une signature reçue sur un brouillon le fait passer en signature.
    "signer": frozenset({Statut.BROUILLON, Statut.EN_SIGNATURE}),
    "deposer_scan": frozenset({Statut.EN_SIGNATURE, Statut.SIGNEE}),
    "supprimer": frozenset({Statut.BROUILLON}),
}

_LIBELLES_ACTIONS = {
    "signer": "enregistrer une signature",
    "deposer_scan": "déposer le scan signé",
    "supprimer": "supprimer la convention",
}

_LONGUEUR_MOTIF_HISTORIQUE = 100  # taille du champ history_change_reason


# --- Outils ---------------------------------------------------------------


def _tracer(instance, *, par: Utilisateur | None, motif: str) -> None:
    """Auteur et motif du prochain enregistrement dans l'historique."""
    if len(motif) > _LONGUEUR_MOTIF_HISTORIQUE:
        motif = motif[: _LONGUEUR_MOTIF_HISTORIQUE - 1] + "…"
    instance._change_reason = motif
    instance._history_user = par


def _libelle(statut: str) -> str:
    return Statut(statut).label


def transition_permise(depart: str, arrivee: str) -> bool:
    return arrivee in TRANSITIONS.get(depart, frozenset())


def action_permise(convention: Convention, action: str) -> bool:
    return convention.statut in ACTIONS[action]


def _verifier_transition(convention: Convention, arrivee: str) -> None:
    if not transition_permise(convention.statut, arrivee):
        raise ValidationError(
            f"Une convention à l'état « {_libelle(convention.statut)} » ne peut pas "
            f"passer à l'état « {_libelle(arrivee)} ».",
            code="transition",
        )


def _verifier_action(convention: Convention, action: str) -> None:
    if not action_permise(convention, action):
        permis = [f"« {_libelle(s)} »" for s in Statut if s in ACTIONS[action]]
        etats = ("à l'état " if len(permis) == 1 else "aux états ") + " ou ".join(
            permis
        )
        raise ValidationError(
            f"Impossible de {_LIBELLES_ACTIONS[action]} : la convention est à "
            f"l'état « {_libelle(convention.statut)} » (possible seulement "
            f"{etats}).",
            code="action",
        )


def _verrouiller(convention: Convention) -> Convention:
    """Relit la convention verrouillée : deux agents ne la modifient pas ensemble."""
    return (
        Convention.objects.select_for_update()
        .select_related("collectivite")
        .get(pk=convention.pk)
    )


def _enregistrer(convention: Convention, *, par: Utilisateur | None, motif: str):
    """Enregistre ; traduit une contrainte de base violée en message français."""
    _tracer(convention, par=par, motif=motif)
    try:
        with transaction.atomic():
            convention.save()
    except IntegrityError as erreur:
        raise ValidationError(
            "L'opération contredit une règle des conventions (une seule en vigueur "
            "et une seule en préparation par collectivité).",
            code="contrainte",
        ) from erreur


def _aujourdhui() -> datetime.date:
    return timezone.localdate()


# --- Collectivités --------------------------------------------------------

CHAMPS_COLLECTIVITE = Collectivite.CHAMPS_SAISIS


def _appliquer(collectivite: Collectivite, donnees: dict[str, Any]) -> list[str]:
    inconnus = set(donnees) - set(CHAMPS_COLLECTIVITE)
    if inconnus:
        raise ValueError(f"Champs non modifiables ici : {sorted(inconnus)}")
    modifies = []
    for champ, valeur in donnees.items():
        if getattr(collectivite, champ) != valeur:
            setattr(collectivite, champ, valeur)
            modifies.append(champ)
    return modifies


@transaction.atomic
def collectivite_creer(*, donnees: dict[str, Any], par: Utilisateur) -> Collectivite:
    """Crée une collectivité à partir de données validées (``CollectiviteForm``)."""
    collectivite = Collectivite()
    _appliquer(collectivite, donnees)
    _tracer(collectivite, par=par, motif="Création")
    collectivite.full_clean()
    collectivite.save()
    return collectivite


@transaction.atomic
def collectivite_modifier(
    *, collectivite: Collectivite, donnees: dict[str, Any], par: Utilisateur
) -> list[str]:
    """Modifie l'identité ou les chiffres d'une collectivité.

    Renvoie les champs changés (liste vide : rien à enregistrer).

    Le forçage de catégorie ne passe pas par ici (il exige un motif) : voir
    :func:`collectivite_forcer_categorie`.
    """
    collectivite = Collectivite.objects.select_for_update().get(pk=collectivite.pk)
    modifies = _appliquer(collectivite, donnees)
    if not modifies:
        return []
    noms = ", ".join(Collectivite._meta.get_field(c).verbose_name for c in modifies)
    _tracer(collectivite, par=par, motif=f"Modification : {noms}")
    collectivite.full_clean()
    collectivite.save()
    return modifies


def codes_categories() -> tuple[str, ...]:
    """Les codes de catégorie de la grille en vigueur (A à I pour 2024/14)."""
    try:
        return instantane_en_vigueur().codes_categories
    except AucuneGrilleEnVigueur:
        return ()


@transaction.atomic
def collectivite_forcer_categorie(
    *, collectivite: Collectivite, categorie: str, motif: str, par: Utilisateur
) -> Collectivite:
    """Un agent impose une catégorie ; le motif écrit est obligatoire et journalisé."""
    motif = (motif or "").strip()
    if not motif:
        raise ValidationError(
            "Indiquez le motif du forçage de la catégorie.", code="motif"
        )
    codes = codes_categories()
    if categorie not in codes:
        raise ValidationError(
            f"La catégorie « {categorie} » n'existe pas dans la grille en vigueur.",
            code="categorie",
        )
    collectivite = Collectivite.objects.select_for_update().get(pk=collectivite.pk)
    collectivite.categorie_forcee = categorie
    collectivite.categorie_forcee_motif = motif
    _tracer(collectivite, par=par, motif=f"Catégorie forcée à {categorie} : {motif}")
    collectivite.save()
    return collectivite


@transaction.atomic
def collectivite_retirer_forcage(
    *, collectivite: Collectivite, par: Utilisateur, motif: str = ""
) -> Collectivite:
    """Retire le forçage : la catégorie redevient celle de la règle de la grille."""
    collectivite = Collectivite.objects.select_for_update().get(pk=collectivite.pk)
    if not collectivite.categorie_forcee:
        raise ValidationError(
            "La catégorie de cette collectivité n'est pas forcée.", code="non_forcee"
        )
    ancienne = collectivite.categorie_forcee
    collectivite.categorie_forcee = ""
    collectivite.categorie_forcee_motif = ""
    texte = f"Forçage de la catégorie {ancienne} retiré"
    motif = (motif or "").strip()
    _tracer(collectivite, par=par, motif=f"{texte} : {motif}" if motif else texte)
    collectivite.save()
    return collectivite


# --- Conventions ----------------------------------------------------------


@transaction.atomic
def convention_creer(*, collectivite: Collectivite, par: Utilisateur) -> Convention:
    """Prépare une convention (brouillon) annexant la grille en vigueur aujourd'hui.

    Une seule convention en préparation par collectivité ; une convention en
    vigueur n'empêche pas d'en préparer une nouvelle (renouvellement).
    """
    # Le verrou sur la collectivité sérialise deux créations simultanées.
    collectivite = Collectivite.objects.select_for_update().get(pk=collectivite.pk)
    grille = grille_en_vigueur(_aujourdhui())
    if grille is None:
        raise ValidationError(
            "Aucune grille tarifaire publiée n'est en vigueur aujourd'hui : "
            "impossible d'annexer les tarifs à une convention.",
            code="sans_grille",
        )
    en_cours = collectivite.conventions.filter(
        statut__in=[Statut.BROUILLON, Statut.EN_SIGNATURE]
    ).first()
    if en_cours is not None:
        raise ValidationError(
            f"Une convention est déjà en préparation pour {collectivite.nom} "
            f"(convention n°{en_cours.pk}, {en_cours.get_statut_display().lower()}).",
            code="deja_en_preparation",
        )
    convention = Convention(
        collectivite=collectivite,
        grille=grille,
        statut=Statut.BROUILLON,
        creee_par=par,
    )
    _enregistrer(
        convention, par=par, motif=f"Création (grille {grille.reference} annexée)"
    )
    return convention


# --- Le document conservé --------------------------------------------------


def _verifier_complete(convention: Convention, termes, debut: str) -> None:
    """Refuse (:class:`DocumentIncomplet`) si la convention imprimerait un
    fait « à compléter »."""
    manques = manques_convention(convention.collectivite, termes)
    if manques:
        raise DocumentIncomplet(debut, manques)


def _rendre(convention: Convention, *, version: str) -> bytes:
    from conventions.pdf import convention_pdf

    return convention_pdf(convention, version=version)


def _conserver(convention: Convention, champ: str, contenu: bytes, nom: str) -> str:
    """Écrit le PDF rendu dans le stockage privé et note son SHA-256 sur la
    convention (enregistrée ensuite, dans le même UPDATE que son nouvel état).
    Renvoie le nom du fichier écrit, à effacer si l'enregistrement échoue."""
    nom = document_enregistrer(champ=getattr(convention, champ), contenu=contenu)
    setattr(convention, f"{champ}_sha256", hashlib.sha256(contenu).hexdigest())
    return nom


def _enregistrer_avec_pdf(
    convention: Convention, *, ecrits: list[str], par, motif: str
) -> None:
    """Enregistre ; si l'enregistrement échoue, les fichiers écrits sont effacés
    (pas de fichier orphelin, la convention reste dans son état précédent)."""
    stockage = Convention._meta.get_field("pdf_envoye").storage
    try:
        _enregistrer(convention, par=par, motif=motif)
    except BaseException:
        for nom in ecrits:
            stockage.delete(nom)
        raise


def _preparer_envoi(convention: Convention, debut: str):
    """Termes en vigueur, vérification et rendu de l'exemplaire à signer,
    hors du verrou de la ligne (le rendu prend près d'une seconde)."""
    termes = convention.termes if convention.termes_id else termes_en_vigueur()
    _verifier_complete(convention, termes, debut)
    convention.termes = termes
    statut = convention.statut
    convention.statut = Statut.EN_SIGNATURE
    try:
        contenu = _rendre(convention, version="envoyee")
    finally:
        convention.statut = statut
    return termes, contenu


def _verifier_inchangee(verrouillee: Convention, lue: Convention) -> None:
    if (verrouillee.collectivite_id, verrouillee.grille_id) != (
        lue.collectivite_id,
        lue.grille_id,
    ):
        raise ValidationError(
            "La convention a été modifiée pendant sa préparation : recommencez.",
            code="concurrence",
        )


@transaction.atomic
def convention_envoyer_en_signature(
    *, convention: Convention, par: Utilisateur
) -> Convention:
    """Le brouillon part à la signature des trois parties.

    Refusé si la convention imprimerait un fait « à compléter » (identités,
    termes). L'exemplaire à signer est rendu une fois, conservé dans le
    stockage privé avec son SHA-256, et lié aux termes en vigueur ; le fichier
    et l'empreinte s'écrivent dans le même UPDATE que le nouvel état.
    """
    lue = Convention.objects.select_related("collectivite", "grille").get(
        pk=convention.pk
    )
    _verifier_transition(lue, Statut.EN_SIGNATURE)
    termes, contenu = _preparer_envoi(
        lue, "La convention ne peut pas partir en signature"
    )
    convention = _verrouiller(convention)
    _verifier_transition(convention, Statut.EN_SIGNATURE)
    _verifier_inchangee(convention, lue)
    convention.termes = termes
    convention.statut = Statut.EN_SIGNATURE
    ecrit = _conserver(
        convention, "pdf_envoye", contenu, f"convention-{convention.pk}-a-signer.pdf"
    )
    _enregistrer_avec_pdf(
        convention, ecrits=[ecrit], par=par, motif="Envoyée en signature"
    )
    return convention


def parties_manquantes(convention: Convention) -> list[str]:
    """Les parties (codes) qui n'ont pas encore signé, dans l'ordre de ``Partie``.

    Utilise ``convention.signatures.all()`` : à précharger pour les listes.
    """
    signees = {s.partie for s in convention.signatures.all()}
    return [p for p in Signature.Partie.values if p not in signees]


@transaction.atomic
def convention_signer(
    *,
    convention: Convention,
    partie: str,
    signataire_nom: str,
    signataire_qualite: str,
    date: datetime.date,
    par: Utilisateur,
) -> Convention:
    """Enregistre la signature d'une partie, dans n'importe quel ordre.

    Une signature reçue sur un brouillon l'envoie en signature. Quand les trois
    parties ont signé, la convention est signée (en vigueur) et prend effet à la
    date de la dernière signature — sauf si une autre convention est déjà en
    vigueur pour la collectivité : rien n'est alors enregistré.
    """
    lue = Convention.objects.select_related("collectivite", "grille").get(
        pk=convention.pk
    )
    envoi = None
    if lue.statut == Statut.BROUILLON:
        # Signer un brouillon l'envoie en signature : mêmes exigences.
        envoi = _preparer_envoi(lue, "La convention ne peut pas être signée")
    convention = _verrouiller(convention)
    _verifier_action(convention, "signer")
    if envoi is not None:
        _verifier_inchangee(convention, lue)
    if partie not in Signature.Partie.values:
        raise ValidationError("Partie signataire inconnue.", code="partie")
    libelle_partie = Signature.Partie(partie).label
    signataire_nom = (signataire_nom or "").strip()
    signataire_qualite = (signataire_qualite or "").strip()
    if not signataire_nom or not signataire_qualite:
        raise ValidationError(
            "Indiquez le nom et la qualité du signataire.", code="signataire"
        )
    if date > _aujourdhui():
        raise ValidationError(
            "La date de signature ne peut pas être dans le futur.", code="date_future"
        )
    signatures = {s.partie: s for s in convention.signatures.all()}
    if partie in signatures:
        raise ValidationError(
            f"{libelle_partie} a déjà signé cette convention "
            f"({signatures[partie].signataire_nom}, le "
            f"{format_date(signatures[partie].date)}).",
            code="deja_signee",
        )

    complete = len(signatures) + 1 == len(Signature.Partie.values)
    if complete:
        en_vigueur = (
            Convention.objects.select_for_update()
            .filter(collectivite_id=convention.collectivite_id, statut=Statut.SIGNEE)
            .exclude(pk=convention.pk)
            .first()
        )
        if en_vigueur is not None:
            raise ValidationError(
                f"La convention n°{en_vigueur.pk} est déjà en vigueur pour "
                f"{convention.collectivite.nom} : résiliez-la ou constatez son "
                "expiration avant d'enregistrer la dernière signature de celle-ci.",
                code="deja_en_vigueur",
            )

    Signature.objects.create(
        convention=convention,
        partie=partie,
        signataire_nom=signataire_nom,
        signataire_qualite=signataire_qualite,
        date=date,
        enregistree_par=par,
    )
    motif = f"Signature : {libelle_partie} ({signataire_nom}, {format_date(date)})"
    ecrits: list[str] = []
    if convention.statut == Statut.BROUILLON:
        _verifier_transition(convention, Statut.EN_SIGNATURE)
        if envoi is None:  # brouillon devenu tel entre la lecture et le verrou
            raise ValidationError(
                "La convention a été modifiée pendant sa préparation : recommencez.",
                code="concurrence",
            )
        convention.termes, contenu = envoi
        convention.statut = Statut.EN_SIGNATURE
        ecrits.append(
            _conserver(
                convention,
                "pdf_envoye",
                contenu,
                f"convention-{convention.pk}-a-signer.pdf",
            )
        )
    try:
        if complete:
            _verifier_transition(convention, Statut.SIGNEE)
            termes = convention.termes if convention.termes_id else termes_en_vigueur()
            _verifier_complete(
                convention, termes, "La dernière signature ne peut pas être enregistrée"
            )
            convention.termes = termes
            convention.statut = Statut.SIGNEE
            convention.date_effet = max([date, *(s.date for s in signatures.values())])
            motif += " — convention signée"
            # La version signée imprime les trois signatures : rendue sous le
            # verrou, une fois la dernière enregistrée.
            ecrits.append(
                _conserver(
                    convention,
                    "pdf_signe",
                    _rendre(convention, version="signee"),
                    f"convention-{convention.pk}-signee-generee.pdf",
                )
            )
        _enregistrer(convention, par=par, motif=motif)
    except BaseException:
        stockage = Convention._meta.get_field("pdf_envoye").storage
        for nom in ecrits:
            stockage.delete(nom)
        raise
    return convention


@transaction.atomic
def convention_deposer_scan(
    *, convention: Convention, fichier, par: Utilisateur
) -> Convention:
    """Dépose le scan signé (PDF contrôlé) dans le stockage privé, avec son SHA-256.

    Un nouveau dépôt remplace le précédent ; l'ancien fichier n'est effacé
    qu'une fois la transaction validée.
    """
    convention = _verrouiller(convention)
    _verifier_action(convention, "deposer_scan")
    empreinte = verifier_pdf(fichier)
    ancien = convention.scan.name if convention.scan else ""
    stockage = convention.scan.storage
    # Nom unique ; disque plein ou en lecture seule : ValidationError en
    # français (voir document_enregistrer).
    nouveau = document_enregistrer(champ=convention.scan, contenu=fichier)
    convention.scan_sha256 = empreinte
    convention.scan_depose_le = timezone.now()
    nouveau = convention.scan.name
    # Si la transaction échoue, le nouveau fichier ne doit pas rester orphelin.
    transaction.on_commit(
        lambda: stockage.delete(ancien) if ancien and ancien != nouveau else None
    )
    try:
        _enregistrer(
            convention, par=par, motif=f"Scan signé déposé (SHA-256 {empreinte[:12]}…)"
        )
    except ValidationError:
        stockage.delete(nouveau)
        raise
    return convention


@transaction.atomic
def convention_resilier(
    *,
    convention: Convention,
    date: datetime.date,
    motif: str,
    par: Utilisateur,
) -> Convention:
    """Résilie une convention en vigueur ; la date et le motif sont obligatoires."""
    convention = _verrouiller(convention)
    _verifier_transition(convention, Statut.RESILIEE)
    motif = (motif or "").strip()
    if not motif:
        raise ValidationError("Indiquez le motif de la résiliation.", code="motif")
    if date is None:
        raise ValidationError("Indiquez la date de la résiliation.", code="date")
    if convention.date_effet and date < convention.date_effet:
        raise ValidationError(
            "La date de résiliation ne peut pas précéder la date d'effet de la "
            f"convention ({format_date(convention.date_effet)}).",
            code="date_avant_effet",
        )
    convention.statut = Statut.RESILIEE
    convention.resiliation_date = date
    convention.resiliation_motif = motif
    convention.date_fin = date
    _enregistrer(
        convention, par=par, motif=f"Résiliée au {format_date(date)} : {motif}"
    )
    return convention


@transaction.atomic
def convention_expirer(
    *,
    convention: Convention,
    par: Utilisateur,
    date: datetime.date | None = None,
) -> Convention:
    """Constate la fin d'une convention en vigueur arrivée à son terme."""
    convention = _verrouiller(convention)
    _verifier_transition(convention, Statut.EXPIREE)
    date = date or _aujourdhui()
    if convention.date_effet and date < convention.date_effet:
        raise ValidationError(
            "La date d'expiration ne peut pas précéder la date d'effet de la "
            f"convention ({format_date(convention.date_effet)}).",
            code="date_avant_effet",
        )
    convention.statut = Statut.EXPIREE
    convention.date_fin = date
    _enregistrer(convention, par=par, motif=f"Expirée au {format_date(date)}")
    return convention


@transaction.atomic
def convention_supprimer_brouillon(*, convention: Convention, par: Utilisateur) -> None:
    """Supprime un brouillon (jamais une convention partie en signature)."""
    convention = _verrouiller(convention)
    _verifier_action(convention, "supprimer")
    _tracer(convention, par=par, motif="Brouillon supprimé")
    convention.delete()
