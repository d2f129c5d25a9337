"""Import des collectivités depuis un fichier CSV « à la INSEE ».

Colonnes reconnues (en-têtes sans souci de casse, d'accents ni de ponctuation) :
``code commune`` (code INSEE), ``libellé`` (nom), ``population totale``,
``SIREN`` et, en option, ``année`` (millésime de la population). Les autres
colonnes sont ignorées. Séparateur ``;`` ou ``,`` (déduit de l'en-tête) ;
encodage UTF-8 (avec ou sans BOM), à défaut Latin-1. Les lignes vides et celles
qui commencent par ``#`` sont ignorées.

Règles :

- rapprochement d'une collectivité existante par code INSEE, sinon par SIREN ;
  sinon, si une commune de même nom existe déjà (nom comparé sous sa forme de
  recherche : casse, accents, tirets), rien n'est créé et la ligne est
  signalée (avertissement avec son numéro) : c'est sans doute la même ;
  sinon création (type « commune ») ;
- mise à jour des seuls champs fournis et différents ; une cellule vide ne
  s'efface jamais sur une valeur connue ;
- une ligne rejetée (avec son numéro et la raison) n'empêche pas les autres ;
- l'historique porte le motif « Import CSV » (une ligne par collectivité créée
  ou modifiée).

Les collectivités existantes sont lues une fois, indexées par code INSEE, SIREN
et nom de recherche ; chaque ligne est décidée en mémoire (en voyant les
précédentes du fichier), puis tout s'écrit en lots (``bulk_create`` /
``bulk_update`` avec leur historique). Si la base refuse un lot (écriture
concurrente), l'import repart ligne à ligne, chaque ligne dans son point de
sauvegarde.
"""

from __future__ import annotations

import copy
import csv
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history
from stdnum.exceptions import ValidationError as ErreurStdnum
from stdnum.fr import siren as stdnum_siren

from conventions.forms import valider_ligne
from conventions.models import Collectivite
from conventions.recherche import normaliser

MOTIF_HISTORIQUE = "Import CSV"

# En-tête normalisé -> champ. La normalisation retire accents, casse et
# ponctuation : « Libellé », « LIBELLE » et « libelle_commune » se valent.
COLONNES = {
    "code_insee": {
        "code commune",
        "code commune insee",
        "code insee",
        "code insee commune",
        "codgeo",
        "com",
        "depcom",
        "insee",
    },
    "nom": {
        "libelle",
        "libelle commune",
        "libelle de la commune",
        "nom",
        "nom commune",
        "nom de la commune",
        "commune",
    },
    "population": {
        "population totale",
        "population",
        "ptot",
        "pop totale",
        "population municipale",
    },
    "siren": {"siren", "numero siren", "n siren", "no siren", "code siren"},
    "population_annee": {
        "annee",
        "annee population",
        "annee de la population",
        "millesime",
    },
}

RE_INSEE = re.compile(r"^([0-9]{5}|2[AB][0-9]{3})$")
# Chiffres ASCII seulement : « ² » ou « ٣ » passent ``str.isdigit()``.
RE_CHIFFRES = re.compile(r"[0-9]+")
# Garde-fou : aucune collectivité française n'approche 10 millions d'habitants.
POPULATION_MAX = 10_000_000
LOT = 1000


class FichierIllisible(Exception):
    """Le fichier entier est refusé (en-tête, fichier vide) ; message en français."""


@dataclass
class RapportImport:
    creees: int = 0
    mises_a_jour: int = 0
    inchangees: int = 0
    rejets: list[tuple[int, str]] = field(default_factory=list)
    avertissements: list[tuple[int, str]] = field(default_factory=list)
    colonnes_ignorees: list[str] = field(default_factory=list)

    @property
    def rejetees(self) -> int:
        return len(self.rejets)

    def resume(self) -> str:
        return (
            f"{self.creees} créée(s), {self.mises_a_jour} mise(s) à jour, "
            f"{self.inchangees} inchangée(s), {self.rejetees} rejetée(s), "
            f"{len(self.avertissements)} signalée(s) sans création."
        )


class LigneRejetee(Exception):
    pass


class HomonymeSignale(Exception):
    """Rien à rapprocher, mais une collectivité de même nom et de même type
    existe : la ligne est signalée, rien n'est créé."""


def _normaliser_entete(texte: str) -> str:
    sans_accents = "".join(
        c for c in unicodedata.normalize("NFKD", texte) if not unicodedata.combining(c)
    )
    return " ".join(re.sub(r"[^a-z0-9]+", " ", sans_accents.lower()).split())


def _decoder(contenu: bytes) -> str:
    try:
        return contenu.decode("utf-8-sig")
    except UnicodeDecodeError:
        return contenu.decode("latin-1")


def _lignes_utiles(texte: str) -> list[tuple[int, str]]:
    """(numéro de ligne dans le fichier, texte), sans lignes vides ni commentaires."""
    return [
        (numero, ligne)
        for numero, ligne in enumerate(texte.splitlines(), start=1)
        if ligne.strip() and not ligne.lstrip().startswith("#")
    ]


def _colonnes(entete: list[str]) -> tuple[dict[str, int], list[str]]:
    positions: dict[str, int] = {}
    ignorees = []
    for index, titre in enumerate(entete):
        cle = _normaliser_entete(titre)
        champ = next((c for c, noms in COLONNES.items() if cle in noms), None)
        if champ is None or champ in positions:
            if titre.strip():
                ignorees.append(titre.strip())
            continue
        positions[champ] = index
    if "nom" not in positions:
        raise FichierIllisible(
            "Colonne « libellé » (nom de la collectivité) introuvable dans l'en-tête."
        )
    if "code_insee" not in positions and "siren" not in positions:
        raise FichierIllisible(
            "Il faut une colonne « code commune » (code INSEE) ou « SIREN » pour "
            "rapprocher les collectivités."
        )
    return positions, ignorees


def _sans_espaces(valeur: str) -> str:
    return "".join(valeur.split())


def _lire_ligne(
    cellules: list[str], positions: dict[str, int], annee_defaut: int | None
) -> dict:
    """Valide une ligne ; renvoie les valeurs fournies (non vides) par champ."""

    def cellule(champ: str) -> str:
        index = positions.get(champ)
        if index is None or index >= len(cellules):
            return ""
        return cellules[index].strip()

    valeurs: dict = {}
    # Les règles de texte du formulaire de la fiche, à l'identique : pas de
    # caractère de contrôle ni de direction du texte, longueur maximale.
    try:
        valider_ligne(cellule("nom"))
    except ValidationError as erreur:
        raise LigneRejetee(f"nom refusé : {erreur.messages[0]}") from None
    nom = " ".join(cellule("nom").split())
    if not nom:
        raise LigneRejetee("nom manquant (colonne « libellé »)")
    longueur = Collectivite._meta.get_field("nom").max_length
    if len(nom) > longueur:
        raise LigneRejetee(f"nom trop long ({len(nom)} caractères, {longueur} au plus)")
    valeurs["nom"] = nom

    code = _sans_espaces(cellule("code_insee")).upper()
    if code:
        if RE_CHIFFRES.fullmatch(code) and len(code) == 4:
            code = "0" + code  # zéro initial perdu par un tableur
        if not RE_INSEE.match(code):
            raise LigneRejetee(f"code INSEE invalide « {cellule('code_insee')} »")
        valeurs["code_insee"] = code

    siren = _sans_espaces(cellule("siren"))
    if siren:
        try:
            valeurs["siren"] = stdnum_siren.validate(siren)
        except ErreurStdnum:
            raise LigneRejetee(
                f"SIREN invalide « {cellule('siren')} » (9 chiffres, clé de contrôle)"
            ) from None

    if "code_insee" not in valeurs and "siren" not in valeurs:
        raise LigneRejetee("ni code INSEE ni SIREN : rapprochement impossible")

    population = _sans_espaces(cellule("population"))
    if population:
        if not RE_CHIFFRES.fullmatch(population) or int(population) > POPULATION_MAX:
            raise LigneRejetee(
                f"population totale non numérique « {cellule('population')} »"
            )
        valeurs["population"] = int(population)

    annee = _sans_espaces(cellule("population_annee"))
    if annee:
        if not (RE_CHIFFRES.fullmatch(annee) and 1800 <= int(annee) <= 2100):
            raise LigneRejetee(f"année de population invalide « {annee} »")
        valeurs["population_annee"] = int(annee)
    elif "population" in valeurs and annee_defaut is not None:
        valeurs["population_annee"] = annee_defaut
    return valeurs


def _existante(valeurs: dict) -> Collectivite | None:
    """Collectivité de même code INSEE, sinon de même SIREN."""
    for champ in ("code_insee", "siren"):
        if champ not in valeurs:
            continue
        trouvees = list(
            Collectivite.objects.filter(**{champ: valeurs[champ]}).order_by("pk")[:2]
        )
        if len(trouvees) > 1:
            libelle = "code INSEE" if champ == "code_insee" else "SIREN"
            raise LigneRejetee(
                f"plusieurs collectivités ont le {libelle} {valeurs[champ]}"
            )
        if trouvees:
            return trouvees[0]
    return None


def _enregistrer(valeurs: dict) -> str:
    """Crée ou met à jour ; renvoie « creee », « mise_a_jour » ou « inchangee »."""
    collectivite = _existante(valeurs)
    code = valeurs.get("code_insee")
    if collectivite is not None and code and collectivite.code_insee not in ("", code):
        # Trouvée par son SIREN, mais avec un autre code INSEE : on ne devine pas.
        raise LigneRejetee(
            f"le SIREN {valeurs['siren']} appartient déjà à « {collectivite} » "
            f"(code INSEE {collectivite.code_insee})"
        )
    if "siren" in valeurs:
        autre = Collectivite.objects.filter(siren=valeurs["siren"])
        if collectivite is not None:
            autre = autre.exclude(pk=collectivite.pk)
        if autre.exists():
            raise LigneRejetee(
                f"le SIREN {valeurs['siren']} appartient déjà à « {autre.first()} »"
            )
    if collectivite is None:
        homonyme = (
            Collectivite.objects.filter(
                type=Collectivite.Type.COMMUNE,
                nom_recherche=normaliser(valeurs["nom"]),
            )
            .order_by("pk")
            .first()
        )
        if homonyme is not None:
            identifiants = ", ".join(
                f"{libelle} {valeur}"
                for libelle, valeur in (
                    ("code INSEE", homonyme.code_insee),
                    ("SIREN", homonyme.siren),
                )
                if valeur
            )
            raise HomonymeSignale(
                f"« {valeurs['nom']} » n'est pas créée : la commune « {homonyme} » "
                f"existe déjà ({identifiants or 'sans identifiant'}) ; vérifiez le "
                "code INSEE et le SIREN de la ligne"
            )
        collectivite = Collectivite(type=Collectivite.Type.COMMUNE, **valeurs)
        resultat = "creee"
    else:
        modifies = [c for c, v in valeurs.items() if getattr(collectivite, c) != v]
        if not modifies:
            return "inchangee"
        for champ in modifies:
            setattr(collectivite, champ, valeurs[champ])
        resultat = "mise_a_jour"
    try:
        collectivite.full_clean()
    except ValidationError as erreur:
        raise LigneRejetee(" ".join(erreur.messages)) from None
    collectivite._change_reason = MOTIF_HISTORIQUE
    collectivite.save()
    return resultat


class _Index:
    """Les collectivités connues (en base, puis créées plus haut dans le
    fichier), par code INSEE, SIREN et nom de recherche des communes."""

    def __init__(self, collectivites):
        self.par_code = defaultdict(list)
        self.par_siren = defaultdict(list)
        self.communes_par_nom: dict[str, Collectivite] = {}
        for collectivite in collectivites:
            self.ajouter(collectivite)

    def ajouter(self, collectivite: Collectivite) -> None:
        if (
            collectivite.code_insee
            and collectivite not in self.par_code[collectivite.code_insee]
        ):
            self.par_code[collectivite.code_insee].append(collectivite)
        if (
            collectivite.siren
            and collectivite not in self.par_siren[collectivite.siren]
        ):
            self.par_siren[collectivite.siren].append(collectivite)
        if collectivite.type == Collectivite.Type.COMMUNE:
            self.communes_par_nom.setdefault(normaliser(collectivite.nom), collectivite)

    def existante(self, valeurs: dict) -> Collectivite | None:
        """Même règle que :func:`_existante`, en mémoire."""
        for champ, index in (("code_insee", self.par_code), ("siren", self.par_siren)):
            if champ not in valeurs:
                continue
            trouvees = index.get(valeurs[champ], [])
            if len(trouvees) > 1:
                libelle = "code INSEE" if champ == "code_insee" else "SIREN"
                raise LigneRejetee(
                    f"plusieurs collectivités ont le {libelle} {valeurs[champ]}"
                )
            if trouvees:
                return trouvees[0]
        return None


def _valider(collectivite: Collectivite) -> None:
    # La seule contrainte du modèle porte sur le forçage de catégorie, que
    # l'import ne touche pas : pas de requête par ligne pour la vérifier.
    try:
        collectivite.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as erreur:
        raise LigneRejetee(" ".join(erreur.messages)) from None


def _decider(valeurs: dict, index: _Index, nouvelles: list, modifiees: dict) -> str:
    """Les règles de :func:`_enregistrer`, décidées en mémoire : la ligne
    crée (ajoutée à ``nouvelles``), modifie (``modifiees`` : pk → champs) ou
    ne change rien."""
    collectivite = index.existante(valeurs)
    code = valeurs.get("code_insee")
    if collectivite is not None and code and collectivite.code_insee not in ("", code):
        raise LigneRejetee(
            f"le SIREN {valeurs['siren']} appartient déjà à « {collectivite} » "
            f"(code INSEE {collectivite.code_insee})"
        )
    if "siren" in valeurs:
        autres = [
            c
            for c in index.par_siren.get(valeurs["siren"], [])
            if c is not collectivite
        ]
        if autres:
            raise LigneRejetee(
                f"le SIREN {valeurs['siren']} appartient déjà à « {autres[0]} »"
            )
    if collectivite is None:
        homonyme = index.communes_par_nom.get(normaliser(valeurs["nom"]))
        if homonyme is not None:
            identifiants = ", ".join(
                f"{libelle} {valeur}"
                for libelle, valeur in (
                    ("code INSEE", homonyme.code_insee),
                    ("SIREN", homonyme.siren),
                )
                if valeur
            )
            raise HomonymeSignale(
                f"« {valeurs['nom']} » n'est pas créée : la commune « {homonyme} » "
                f"existe déjà ({identifiants or 'sans identifiant'}) ; vérifiez le "
                "code INSEE et le SIREN de la ligne"
            )
        collectivite = Collectivite(type=Collectivite.Type.COMMUNE, **valeurs)
        _valider(collectivite)
        collectivite.nom_recherche = normaliser(collectivite.nom)
        nouvelles.append(collectivite)
        index.ajouter(collectivite)
        return "creee"
    modifies = [c for c, v in valeurs.items() if getattr(collectivite, c) != v]
    if not modifies:
        return "inchangee"
    essai = copy.copy(collectivite)
    for champ in modifies:
        setattr(essai, champ, valeurs[champ])
    _valider(essai)
    for champ in modifies:
        setattr(collectivite, champ, valeurs[champ])
    collectivite.nom_recherche = normaliser(collectivite.nom)
    if collectivite.pk is not None:
        modifiees.setdefault(collectivite.pk, set()).update(modifies)
    index.ajouter(collectivite)
    return "mise_a_jour"


def _ecrire(nouvelles: list, modifiees: dict, par_pk: dict) -> None:
    bulk_create_with_history(
        nouvelles,
        Collectivite,
        batch_size=LOT,
        default_change_reason=MOTIF_HISTORIQUE,
    )
    champs: dict[frozenset, list] = defaultdict(list)
    for pk, modifies in modifiees.items():
        champs[frozenset(modifies)].append(par_pk[pk])
    for modifies, collectivites in champs.items():
        bulk_update_with_history(
            collectivites,
            Collectivite,
            fields=sorted({*modifies, "nom_recherche"}),
            batch_size=LOT,
            default_change_reason=MOTIF_HISTORIQUE,
        )


def _compter(rapport: RapportImport, resultat: str) -> None:
    if resultat == "creee":
        rapport.creees += 1
    elif resultat == "mise_a_jour":
        rapport.mises_a_jour += 1
    else:
        rapport.inchangees += 1


def collectivites_importer_csv(
    *, contenu: bytes, annee_population: int | None = None
) -> RapportImport:
    """Importe les collectivités d'un CSV ; voir la docstring du module.

    :raises FichierIllisible: en-tête sans les colonnes nécessaires, ou vide.
    """
    lignes = _lignes_utiles(_decoder(contenu))
    if not lignes:
        raise FichierIllisible("Le fichier est vide.")
    _numero, entete = lignes[0]
    separateur = ";" if entete.count(";") >= entete.count(",") else ","
    positions, ignorees = _colonnes(next(csv.reader([entete], delimiter=separateur)))
    rapport = RapportImport(colonnes_ignorees=ignorees)
    lues = [
        (numero, next(csv.reader([ligne], delimiter=separateur)))
        for numero, ligne in lignes[1:]
    ]
    with transaction.atomic():
        existantes = list(Collectivite.objects.all())
        par_pk = {c.pk: c for c in existantes}
        index = _Index(existantes)
        nouvelles: list[Collectivite] = []
        modifiees: dict[int, set[str]] = {}
        for numero, cellules in lues:
            try:
                valeurs = _lire_ligne(cellules, positions, annee_population)
                _compter(rapport, _decider(valeurs, index, nouvelles, modifiees))
            except LigneRejetee as rejet:
                rapport.rejets.append((numero, str(rejet)))
            except HomonymeSignale as signalement:
                rapport.avertissements.append((numero, str(signalement)))
        try:
            with transaction.atomic():
                _ecrire(nouvelles, modifiees, par_pk)
        except IntegrityError:
            # La base refuse un lot (écriture concurrente) : ligne à ligne.
            return _importer_ligne_a_ligne(lues, positions, annee_population, ignorees)
    return rapport


def _importer_ligne_a_ligne(lues, positions, annee_population, ignorees):
    """Chaque ligne dans son point de sauvegarde, rapprochée en base."""
    rapport = RapportImport(colonnes_ignorees=ignorees)
    for numero, cellules in lues:
        try:
            valeurs = _lire_ligne(cellules, positions, annee_population)
            with transaction.atomic():  # point de sauvegarde par ligne
                resultat = _enregistrer(valeurs)
        except LigneRejetee as rejet:
            rapport.rejets.append((numero, str(rejet)))
            continue
        except HomonymeSignale as signalement:
            rapport.avertissements.append((numero, str(signalement)))
            continue
        except IntegrityError as erreur:
            rapport.rejets.append((numero, f"refusée par la base ({erreur})"))
            continue
        _compter(rapport, resultat)
    return rapport
