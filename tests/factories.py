"""Fabriques factory_boy partagées par les tests.

Une convention a besoin d'une grille : passer ``grille=grille_2024_14`` (fixture)
ou laisser la fabrique charger la grille 2024/14 depuis son fichier.
"""

from __future__ import annotations

import contextlib
import datetime

import factory
from stdnum import luhn

from comptes.models import Utilisateur
from conventions.models import Adhesion, Collectivite, Convention, Signature


def siren_valide(n: int) -> str:
    """Un SIREN à clé de Luhn correcte, différent pour chaque ``n``."""
    base = f"2{n:07d}"
    return base + luhn.calc_check_digit(base)


def siret_valide(siren: str, etablissement: int = 1) -> str:
    base = f"{siren}{etablissement:04d}"
    return base + luhn.calc_check_digit(base)


def _grille_2024_14():
    from django.conf import settings

    from tarifs.chargement import grille_charger_fichier
    from tarifs.models import GrilleTarifaire

    grille = GrilleTarifaire.objects.filter(reference="2024/14").first()
    if grille is None:
        fichier = settings.BASE_DIR / "tarifs" / "data" / "grille-2024-14.toml"
        grille = grille_charger_fichier(fichier).grille
    return grille


class UtilisateurFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Utilisateur

    email = factory.Sequence(lambda n: f"utilisateur{n}@exemple.fr")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    role = Utilisateur.Role.PORTAIL

    class Params:
        agent = factory.Trait(role=Utilisateur.Role.AGENT)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        password = kwargs.pop("password", "mot-de-passe")
        return model_class.objects.create_user(*args, password=password, **kwargs)


class CollectiviteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collectivite

    type = Collectivite.Type.COMMUNE
    nom = factory.Sequence(lambda n: f"Commune {n:03d}")
    siren = factory.Sequence(lambda n: siren_valide(n))
    siret = factory.LazyAttribute(lambda o: siret_valide(o.siren) if o.siren else "")
    code_insee = factory.Sequence(lambda n: f"62{n % 1000:03d}")
    adresse = "Place de la Mairie"
    code_postal = "62000"
    ville = factory.LazyAttribute(lambda o: o.nom)
    population = 1500
    population_annee = 2021
    emails_contact = factory.Sequence(lambda n: f"mairie{n}@exemple.fr")


class AdhesionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Adhesion

    utilisateur = factory.SubFactory(UtilisateurFactory)
    collectivite = factory.SubFactory(CollectiviteFactory)
    role = Adhesion.Role.CONSULTATION


class ConventionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Convention

    collectivite = factory.SubFactory(CollectiviteFactory)
    grille = factory.LazyFunction(_grille_2024_14)
    statut = Convention.Statut.BROUILLON

    class Params:
        signee = factory.Trait(
            statut=Convention.Statut.SIGNEE,
            date_effet=datetime.date(2024, 5, 2),
        )


class SignatureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Signature

    convention = factory.SubFactory(
        ConventionFactory, statut=Convention.Statut.EN_SIGNATURE
    )
    partie = Signature.Partie.COLLECTIVITE
    signataire_nom = "Dominique Durand"
    signataire_qualite = "Maire"
    date = datetime.date(2024, 5, 2)


def pdf_octets(*, pages: int = 1, mot_de_passe: str | None = None) -> bytes:
    """Un vrai PDF fabriqué avec pypdf (pages blanches A4, chiffré sur demande)."""
    import io

    from pypdf import PdfWriter

    ecrivain = PdfWriter()
    for _ in range(pages):
        ecrivain.add_blank_page(width=595, height=842)
    if mot_de_passe:
        ecrivain.encrypt(mot_de_passe)
    tampon = io.BytesIO()
    ecrivain.write(tampon)
    return tampon.getvalue()


@contextlib.contextmanager
def stockage_prive_dans(dossier):
    """Redirige le stockage privé des scans vers ``dossier`` le temps d'un test."""
    from conventions.models import stockage_prive

    ancien = stockage_prive._location
    stockage_prive._location = str(dossier)
    stockage_prive.__dict__.pop("base_location", None)
    stockage_prive.__dict__.pop("location", None)
    try:
        yield stockage_prive
    finally:
        stockage_prive._location = ancien
        stockage_prive.__dict__.pop("base_location", None)
        stockage_prive.__dict__.pop("location", None)


# --- Portail : devis émis par les vrais services ------------------------------

# Émetteurs à l'identité complète (valeurs d'essai) : ce que leurs documents
# impriment ne doit jamais être « à compléter » (conventions.completude).
ORGANISMES_EMETTEURS = {
    "cdg": {
        "nom": "Centre de Gestion de la Fonction Publique Territoriale du "
        "Pas-de-Calais",
        "prefixe_numero": "CDG62",
        "validite_jours": 90,
        "statut_juridique": "Établissement public administratif",
        "adresse": "1 rue de l'Essai",
        "code_postal": "62700",
        "ville": "Bruay-la-Buissière",
        "siret": "26620001300016",
        "mention_tva": "TVA non applicable, art. 256 B du CGI (test)",
        "signataire_nom": "Claude Essai",
        "signataire_qualite": "Président du CDG 62",
    },
    "fibre": {
        "nom": "La Fibre Numérique 59-62 — Syndicat Mixte Nord Pas-de-Calais",
        "prefixe_numero": "LFN5962",
        "validite_jours": 90,
        "statut_juridique": "Syndicat mixte",
        "adresse": "2 rue de l'Essai",
        "code_postal": "59000",
        "ville": "Lille",
        "siret": "20000001600010",
        "mention_tva": "TVA non applicable, art. 256 B du CGI (test)",
        "signataire_nom": "Dominique Essai",
        "signataire_qualite": "Président du Syndicat",
    },
}

TERMES_ESSAI = {
    "reference": "Essai",
    "date_effet": datetime.date(2024, 1, 1),
    "duree_annees": 3,
    "reconduction": "reconduite tacitement par périodes d'un an",
    "preavis_mois": 3,
}


def poser_documents_complets(*, termes: bool = True) -> None:
    """Les deux émetteurs à l'identité complète et, sauf ``termes=False``, une
    version publiée des termes de la convention (si aucune ne l'est)."""
    from conventions.models import Organisme, TermesConvention

    for code, identite in ORGANISMES_EMETTEURS.items():
        if not Organisme.objects.filter(code=code).update(**identite):
            Organisme.objects.create(code=code, **identite)
    if termes and not TermesConvention.objects.filter(statut="publiee").exists():
        TermesConvention.objects.create(statut="publiee", **TERMES_ESSAI)


def organismes_emetteurs() -> dict:
    """Les deux émetteurs, complets, et les termes publiés (posés aussi pour
    les tests qui partagent une base entre plusieurs tests)."""
    from conventions.models import Organisme

    poser_documents_complets()
    return {o.code: o for o in Organisme.objects.all()}


def devis_emis_pour(collectivite, *, par, lignes=None, emettre=True, jour=None):
    """Une demande de ``collectivite`` chiffrée puis émise par les vrais services
    (``devis_creer_brouillons`` puis ``devis_emettre``) ; renvoie ses devis,
    services (La Fibre) d'abord. ``emettre=False`` laisse des brouillons ;
    ``jour`` émet à une date passée (``timezone.localdate`` simulé), pour
    obtenir un devis périmé.

    Sans ``lignes`` : messagerie 5 Go × 3 et clé 1 an → un devis de services
    et un devis d'accompagnement (CDG).
    """
    from unittest import mock

    from devis import services
    from tarifs.calcul import LigneDemandee

    organismes_emetteurs()
    lignes = lignes or [
        LigneDemandee("messagerie-5go", 3),
        LigneDemandee("cle-1an-cdg", 1),
    ]
    simulation = (
        mock.patch("django.utils.timezone.localdate", return_value=jour)
        if jour
        else contextlib.nullcontext()
    )
    with simulation:
        brouillons = services.devis_creer_brouillons(
            collectivite=collectivite, lignes=lignes, par=par
        )
        if emettre:
            brouillons = [
                services.devis_emettre(devis=devis, par=par) for devis in brouillons
            ]
    return sorted(brouillons, key=lambda d: d.emetteur.code != "fibre")
