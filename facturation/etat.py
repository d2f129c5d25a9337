"""L'état des sommes à facturer (domaine §13) : lectures seules.

Pour un émetteur et une période, les devis **acceptés** dont la date
d'acceptation (jour à Paris) tombe dans la période, bornes comprises — devis
de renouvellement compris. Un devis accepté puis annulé n'est plus à facturer :
il n'y figure pas. Une ligne de l'état par ligne de devis (code, libellé,
quantité, prix unitaire, montant, périodicité), avec :

- l'identité du débiteur telle que le devis l'a imprimée (SIRET, à défaut
  SIREN ; code INSEE) : l'état d'une période passée ne change pas quand la
  fiche de la collectivité change ; un identifiant absent à l'émission est
  pris sur la fiche d'aujourd'hui ;
- le montant ventilé en **unique** ou **annuel** selon la périodicité ;
- la **période de service** d'une ligne annuelle : du début de l'abonnement
  qu'elle a ouvert (la date d'acceptation, sauf mise en service fixée par un
  agent) à un an plus tard moins un jour ; une ligne unique n'a pas de période.

Montants TTC en ``Decimal``, comme sur les devis.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from conventions.models import Organisme
from devis.models import Devis, LigneDevis
from tarifs.enums import Emetteur, Periodicite

ZERO = Decimal("0.00")
PAR_PAQUET = 2000


def fin_de_service(debut: datetime.date) -> datetime.date:
    """Un an de service : du ``debut`` à la veille de son anniversaire (le
    29 février a pour anniversaire le 1er mars)."""
    try:
        anniversaire = debut.replace(year=debut.year + 1)
    except ValueError:
        anniversaire = datetime.date(debut.year + 1, 3, 1)
    return anniversaire - datetime.timedelta(days=1)


@dataclass(frozen=True)
class LigneAFacturer:
    code: str
    libelle: str
    quantite: int
    prix_unitaire: Decimal | None
    montant: Decimal
    periodicite: str
    mode: str
    debut_service: datetime.date | None
    fin_service: datetime.date | None

    @property
    def annuelle(self) -> bool:
        return self.periodicite == Periodicite.ANNUELLE

    @property
    def montant_unique(self) -> Decimal:
        return ZERO if self.annuelle else self.montant

    @property
    def montant_annuel(self) -> Decimal:
        return self.montant if self.annuelle else ZERO


@dataclass
class DevisAFacturer:
    pk: int
    numero: str
    accepte_le: datetime.date
    renouvellement: int | None
    collectivite_id: int
    collectivite: str
    identifiant: str  # SIRET, à défaut SIREN
    code_insee: str
    lignes: list[LigneAFacturer] = field(default_factory=list)

    @property
    def total_unique(self) -> Decimal:
        return sum((ligne.montant_unique for ligne in self.lignes), ZERO)

    @property
    def total_annuel(self) -> Decimal:
        return sum((ligne.montant_annuel for ligne in self.lignes), ZERO)

    @property
    def total(self) -> Decimal:
        return self.total_unique + self.total_annuel


@dataclass
class EtatDesSommes:
    emetteur: str
    nom_emetteur: str
    du: datetime.date
    au: datetime.date
    devis: list[DevisAFacturer]

    @property
    def total_unique(self) -> Decimal:
        return sum((d.total_unique for d in self.devis), ZERO)

    @property
    def total_annuel(self) -> Decimal:
        return sum((d.total_annuel for d in self.devis), ZERO)

    @property
    def total(self) -> Decimal:
        return self.total_unique + self.total_annuel

    @property
    def nb_collectivites(self) -> int:
        return len({d.collectivite_id for d in self.devis})

    @property
    def nb_lignes(self) -> int:
        return sum(len(d.lignes) for d in self.devis)


def _debut_du_jour(jour: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(jour, datetime.time.min))


def devis_acceptes(*, emetteur: str, du: datetime.date, au: datetime.date):
    """Les devis acceptés de l'émetteur dont l'acceptation (heure de Paris)
    tombe entre ``du`` et ``au`` inclus."""
    return Devis.objects.filter(
        statut=Devis.Statut.ACCEPTE,
        emetteur__code=emetteur,
        accepte_le__gte=_debut_du_jour(du),
        accepte_le__lt=_debut_du_jour(au + datetime.timedelta(days=1)),
    )


def _identite(fige: dict, *, siret: str, siren: str, insee: str) -> tuple[str, str]:
    """(SIRET à défaut SIREN, code INSEE) imprimés, complétés par la fiche."""
    identifiant = (
        fige.get("siret") or siret or fige.get("siren") or siren or ""
    ).strip()
    return identifiant, (fige.get("code_insee") or insee or "").strip()


def etat_des_sommes(
    *, emetteur: str, du: datetime.date, au: datetime.date
) -> EtatDesSommes:
    """L'état d'un émetteur (``fibre`` ou ``cdg``) sur une période : deux
    requêtes (les devis, puis leurs lignes avec le début de leur abonnement)."""
    acceptes = devis_acceptes(emetteur=emetteur, du=du, au=au)
    par_pk: dict[int, DevisAFacturer] = {}
    for (
        pk,
        numero,
        accepte_le,
        renouvellement,
        collectivite_id,
        nom,
        fige,
        siret,
        siren,
        insee,
    ) in acceptes.order_by("accepte_le", "numero").values_list(
        "pk",
        "numero",
        "accepte_le",
        "demande__renouvellement__annee",
        "collectivite_id",
        "collectivite__nom",
        "destinataire_fige",
        "collectivite__siret",
        "collectivite__siren",
        "collectivite__code_insee",
    ):
        fige = fige or {}
        identifiant, code_insee = _identite(fige, siret=siret, siren=siren, insee=insee)
        par_pk[pk] = DevisAFacturer(
            pk=pk,
            numero=numero,
            accepte_le=timezone.localtime(accepte_le).date(),
            renouvellement=renouvellement,
            collectivite_id=collectivite_id,
            collectivite=fige.get("nom") or nom,
            identifiant=identifiant,
            code_insee=code_insee,
        )
    lignes = (
        LigneDevis.objects.filter(devis__in=acceptes)
        .order_by("devis_id", "ordre", "id")
        .values_list(
            "devis_id",
            "code",
            "libelle",
            "quantite",
            "prix_unitaire",
            "montant",
            "periodicite",
            "mode",
            "abonnement__debut",
        )
    )
    for (
        devis_id,
        code,
        libelle,
        quantite,
        prix_unitaire,
        montant,
        periodicite,
        mode,
        debut_abonnement,
    ) in lignes.iterator(chunk_size=PAR_PAQUET):
        devis = par_pk.get(devis_id)
        if devis is None:  # accepté entre les deux lectures : au prochain état
            continue
        debut = fin = None
        if periodicite == Periodicite.ANNUELLE:
            debut = debut_abonnement or devis.accepte_le
            fin = fin_de_service(debut)
        devis.lignes.append(
            LigneAFacturer(
                code=code,
                libelle=libelle,
                quantite=quantite,
                prix_unitaire=prix_unitaire,
                montant=montant if montant is not None else ZERO,
                periodicite=periodicite,
                mode=mode,
                debut_service=debut,
                fin_service=fin,
            )
        )
    nom_emetteur = (
        Organisme.objects.filter(code=emetteur).values_list("nom", flat=True).first()
        or Emetteur(emetteur).label
    )
    return EtatDesSommes(
        emetteur=emetteur,
        nom_emetteur=nom_emetteur,
        du=du,
        au=au,
        devis=list(par_pk.values()),
    )


# --- Le tableur ---------------------------------------------------------------

ENTETES = (
    "Émetteur",
    "N° devis",
    "Accepté le",
    "Renouvellement",
    "Collectivité",
    "SIRET (ou SIREN)",
    "Code INSEE",
    "Code prestation",
    "Libellé",
    "Quantité",
    "Prix unitaire TTC",
    "Montant TTC",
    "Périodicité",
    "Mode",
    "Montant unique TTC",
    "Montant annuel TTC",
    "Début du service",
    "Fin du service",
)


def lignes_du_tableur(etat: EtatDesSommes):
    """Une ligne par ligne de devis, dans l'ordre des acceptations."""
    periodicites = dict(Periodicite.choices)
    modes = dict(LigneDevis.Mode.choices)
    for devis in etat.devis:
        renouvellement = (
            f"Renouvellement {devis.renouvellement}" if devis.renouvellement else ""
        )
        for ligne in devis.lignes:
            yield (
                etat.nom_emetteur,
                devis.numero,
                devis.accepte_le,
                renouvellement,
                devis.collectivite,
                devis.identifiant,
                devis.code_insee,
                ligne.code,
                ligne.libelle,
                ligne.quantite,
                ligne.prix_unitaire,
                ligne.montant,
                periodicites.get(ligne.periodicite, ligne.periodicite),
                modes.get(ligne.mode, ligne.mode),
                ligne.montant_unique,
                ligne.montant_annuel,
                ligne.debut_service,
                ligne.fin_service,
            )
