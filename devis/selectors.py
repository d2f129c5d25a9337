"""Lectures des devis pour le back office.

Chaque liste charge ses relations d'un coup (``select_related``) : le nombre
de requêtes ne dépend pas du nombre de lignes affichées.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Count, IntegerField, Prefetch, Q, QuerySet
from django.db.models.functions import Cast, Coalesce, ExtractYear
from django.shortcuts import get_object_or_404
from django.utils import timezone

from config.historique import journal, valeur_lisible
from conventions.models import Collectivite, Organisme
from devis.models import DemandeDevis, Devis, EnvoiDevis, EvenementDevis, LigneDevis
from tarifs.models import Emetteur

JOURS_AVANT_EXPIRATION = 15


def q_perimes(aujourdhui: date) -> Q:
    """Devis expirés : enregistrés comme tels, ou émis et dont la validité est
    passée (affichés « Expiré » sans attendre la commande quotidienne)."""
    return Q(statut=Devis.Statut.EXPIRE) | Q(
        statut=Devis.Statut.EMIS, date_validite__lt=aujourdhui
    )


def q_en_attente(aujourdhui: date) -> Q:
    """Devis émis, encore valables, sans réponse de la collectivité.

    L'émission fixe toujours la date de validité : pas de « OU date vide »,
    qui empêchait l'index (statut, date_validite) de servir le tri et le
    comptage du tableau de bord."""
    return Q(statut=Devis.Statut.EMIS, date_validite__gte=aujourdhui)


def noms_des_emetteurs() -> dict[str, str]:
    """Nom de chaque émetteur : l'organisme enregistré, sinon son libellé."""
    noms = dict(Emetteur.choices)
    noms.update(Organisme.objects.values_list("code", "nom"))
    return noms


def devis_liste() -> QuerySet[Devis]:
    """Tous les devis, avec l'émetteur, la collectivité et l'année (année du
    numéro, ou de création pour un brouillon). Seules les colonnes que la liste
    montre sont lues (les valeurs figées en JSON pèsent plus que tout le reste)."""
    return (
        Devis.objects.select_related("emetteur", "collectivite")
        .only(
            "numero",
            "statut",
            "date_validite",
            "annee",
            "cree_le",
            "total_premiere_annee",
            "emetteur__nom",
            "emetteur__code",
            "collectivite__nom",
        )
        .annotate(
            annee_affichee=Coalesce(
                "annee",
                Cast(ExtractYear("cree_le"), IntegerField()),
                output_field=IntegerField(),
            )
        )
    )


def devis_detail(pk: int) -> Devis:
    """Un devis avec ses lignes, son historique et ses envois ; 404 sinon."""
    return get_object_or_404(
        Devis.objects.select_related(
            "emetteur", "collectivite", "grille", "demande", "cree_par", "reponse_par"
        ).prefetch_related(
            Prefetch("lignes", queryset=LigneDevis.objects.order_by("ordre", "id")),
            Prefetch(
                "evenements",
                queryset=EvenementDevis.objects.select_related("par").order_by(
                    "le", "id"
                ),
            ),
            Prefetch(
                "envois",
                queryset=EnvoiDevis.objects.select_related("envoye_par").order_by(
                    "-envoye_le", "-id"
                ),
            ),
            Prefetch(
                "demande__devis",
                queryset=Devis.objects.select_related("emetteur").order_by(
                    "emetteur__code"
                ),
            ),
        ),
        pk=pk,
    )


def demande_avec_brouillons(pk: int) -> DemandeDevis:
    """Une demande, sa collectivité et ses devis avec leurs lignes ; 404 sinon."""
    return get_object_or_404(
        DemandeDevis.objects.select_related("collectivite").prefetch_related(
            Prefetch(
                "devis",
                queryset=Devis.objects.select_related("emetteur").prefetch_related(
                    "lignes"
                ),
            )
        ),
        pk=pk,
    )


def devis_en_attente_de_reponse(aujourdhui: date | None = None) -> QuerySet[Devis]:
    """Devis émis et encore valables, les plus proches de l'échéance d'abord."""
    aujourdhui = aujourdhui or timezone.localdate()
    return (
        Devis.objects.filter(q_en_attente(aujourdhui))
        .select_related("emetteur", "collectivite")
        .order_by("date_validite", "id")
    )


def devis_expirant_bientot(
    aujourdhui: date | None = None, jours: int = JOURS_AVANT_EXPIRATION
) -> QuerySet[Devis]:
    """Devis en attente dont la validité prend fin dans les ``jours`` jours."""
    aujourdhui = aujourdhui or timezone.localdate()
    return devis_en_attente_de_reponse(aujourdhui).filter(
        date_validite__lte=aujourdhui + timedelta(days=jours)
    )


# Au-delà, le tableau de bord dit « plus de 1 000 » : compter exactement des
# dizaines de milliers de devis en attente lirait toute la table à chaque visite.
PLAFOND_COMPTES = 1000


def _compte_borne(queryset) -> str:
    """« 42 », ou « plus de 1 000 » : un COUNT sur une sous-requête LIMIT."""
    nombre = queryset.order_by().values("pk")[: PLAFOND_COMPTES + 1].count()
    if nombre > PLAFOND_COMPTES:
        return f"plus de {PLAFOND_COMPTES:,}".replace(",", "\u202f")
    return str(nombre)


def totaux_en_attente(
    aujourdhui: date | None = None, jours: int = JOURS_AVANT_EXPIRATION
) -> dict[str, str]:
    """Nombre (borné) de devis en attente de réponse et, parmi eux, expirant
    dans ``jours`` jours, à afficher."""
    aujourdhui = aujourdhui or timezone.localdate()
    en_attente = Devis.objects.filter(q_en_attente(aujourdhui))
    return {
        "en_attente": _compte_borne(en_attente),
        "expirant": _compte_borne(
            en_attente.filter(date_validite__lte=aujourdhui + timedelta(days=jours))
        ),
    }


def demandes_a_chiffrer() -> QuerySet[DemandeDevis]:
    """Demandes reçues du portail, pas encore chiffrées par un agent."""
    return (
        DemandeDevis.objects.filter(statut=DemandeDevis.Statut.DEMANDEE)
        .select_related("collectivite", "demandee_par")
        .order_by("creee_le", "id")
    )


def devis_de_la_collectivite(collectivite: Collectivite) -> QuerySet[Devis]:
    """Les devis d'une collectivité, les plus récents d'abord."""
    return (
        Devis.objects.filter(collectivite=collectivite)
        .select_related("emetteur")
        .order_by("-cree_le", "-id")
    )


# --- Portail des collectivités -------------------------------------------------


def nombre_en_attente_par_collectivite(
    collectivites_ids: list[int], aujourdhui: date | None = None
) -> dict[int, int]:
    """Nombre de devis en attente de réponse de chaque collectivité (une requête)."""
    aujourdhui = aujourdhui or timezone.localdate()
    return dict(
        Devis.objects.filter(
            q_en_attente(aujourdhui), collectivite__in=collectivites_ids
        )
        .values_list("collectivite")
        .annotate(n=Count("pk"))
        .order_by()
    )


def devis_du_portail_ou_404(collectivite: Collectivite, pk: int) -> Devis:
    """Un devis émis (jamais un brouillon) de la collectivité, avec ses lignes ;
    404 sinon."""
    return get_object_or_404(
        Devis.objects.select_related("emetteur", "collectivite", "demande")
        .prefetch_related(
            Prefetch("lignes", queryset=LigneDevis.objects.order_by("ordre", "id"))
        )
        .exclude(statut=Devis.Statut.BROUILLON),
        pk=pk,
        collectivite=collectivite,
    )


def autres_devis_emis(devis: Devis) -> list[Devis]:
    """Les autres devis émis de la même demande (l'autre émetteur)."""
    return list(
        Devis.objects.filter(demande_id=devis.demande_id)
        .exclude(pk=devis.pk)
        .exclude(statut__in=[Devis.Statut.BROUILLON, Devis.Statut.REMPLACE])
        .select_related("emetteur")
    )


def devis_du_portail_par_demande(collectivite: Collectivite) -> list[dict]:
    """Les devis émis de la collectivité, groupés par demande (la plus récente
    d'abord ; dans une demande, le devis de services puis l'accompagnement).

    Chaque groupe : ``demande``, ``devis`` et ``accord_commun`` — vrai quand la
    demande compte plusieurs devis, tous en attente de réponse (un seul bon
    pour accord pour les deux).
    """
    # Seule la version en cours d'un devis révisé est montrée (le remplacé
    # reste lisible à son adresse, depuis le lien « remplace … »).
    devis_liste = (
        Devis.objects.filter(collectivite=collectivite)
        .exclude(statut__in=[Devis.Statut.BROUILLON, Devis.Statut.REMPLACE])
        .select_related("emetteur", "demande", "remplace")
        .order_by("-demande__creee_le", "-demande_id", "pk")
    )
    groupes: dict[int, dict] = {}
    for devis in devis_liste:
        groupes.setdefault(devis.demande_id, {"demande": devis.demande, "devis": []})[
            "devis"
        ].append(devis)
    for groupe in groupes.values():
        groupe["devis"].sort(key=lambda d: d.emetteur.code != Emetteur.FIBRE)
        groupe["accord_commun"] = len(groupe["devis"]) > 1 and all(
            d.attend_reponse for d in groupe["devis"]
        )
    return list(groupes.values())


def demande_avec_cles(demande: DemandeDevis) -> bool:
    """Vrai si un devis émis de la demande comporte des clés de signature."""
    return any(
        devis.lignes_de_cles()
        for devis in demande.devis.filter(statut=Devis.Statut.EMIS)
        .select_related("emetteur")
        .prefetch_related("lignes")
    )


def demandes_en_attente_du_portail(collectivite: Collectivite, grille) -> list[dict]:
    """Les demandes envoyées par la collectivité, pas encore chiffrées, avec
    le libellé de chaque prestation demandée (``grille`` : l'instantané en
    vigueur, ou ``None``)."""
    libelles = (
        {code: p.libelle for code, p in grille.prestations.items()} if grille else {}
    )
    demandes = (
        DemandeDevis.objects.filter(
            collectivite=collectivite, statut=DemandeDevis.Statut.DEMANDEE
        )
        .select_related("demandee_par")
        .order_by("-creee_le", "-pk")
    )
    return [
        {
            "demande": demande,
            "lignes": [
                {
                    "libelle": libelles.get(ligne.get("code"), ligne.get("code")),
                    "quantite": ligne.get("quantite"),
                    "intervention": ligne.get("intervention", False),
                }
                for ligne in demande.lignes_demandees or []
            ],
        }
        for demande in demandes
    ]


# --- Tableau de bord du back office -------------------------------------------

LIMITE_TABLEAU_DE_BORD = 20


def tableau_de_bord(aujourdhui: date | None = None) -> dict:
    """Ce qui attend un geste sur les devis : demandes du portail à chiffrer,
    devis en attente de réponse et ceux qui expirent dans les 15 jours (les
    premiers de chaque liste et leur nombre), en un nombre fixe de requêtes."""
    aujourdhui = aujourdhui or timezone.localdate()
    demandes = list(demandes_a_chiffrer()[: LIMITE_TABLEAU_DE_BORD + 1])
    totaux = totaux_en_attente(aujourdhui)
    return {
        "en_attente": list(
            devis_en_attente_de_reponse(aujourdhui)[:LIMITE_TABLEAU_DE_BORD]
        ),
        "en_attente_total": totaux["en_attente"],
        "expirant": list(devis_expirant_bientot(aujourdhui)[:LIMITE_TABLEAU_DE_BORD]),
        "expirant_total": totaux["expirant"],
        "demandes": demandes[:LIMITE_TABLEAU_DE_BORD],
        # Une requête de comptage seulement si la liste déborde.
        "demandes_total": len(demandes)
        if len(demandes) <= LIMITE_TABLEAU_DE_BORD
        else demandes_a_chiffrer().count(),
        "jours": JOURS_AVANT_EXPIRATION,
        "aujourdhui": aujourdhui,
    }


# --- Journal des modifications d'une demande ----------------------------------

CHAMPS_JOURNAL_DEMANDE = ("statut", "lignes_demandees", "commentaire")


def _valeur_demande(enregistrement, champ: str) -> str:
    """Les lignes demandées se lisent « code × quantité » ; le reste comme
    partout (:func:`config.historique.valeur_lisible`)."""
    if champ != "lignes_demandees" or not enregistrement.lignes_demandees:
        return valeur_lisible(enregistrement, champ)
    return ", ".join(
        f"{ligne.get('code', '?')} × {ligne.get('quantite', '?')}"
        + (" (avec intervention)" if ligne.get("intervention") else "")
        for ligne in enregistrement.lignes_demandees
    )


def journal_de_la_demande(demande: DemandeDevis) -> list[dict]:
    """Qui a créé ou changé la demande (lignes, commentaire, statut), quand :
    une requête, la plus récente d'abord ; une création montre ce qui a été
    demandé."""
    return journal(
        demande.history.select_related("history_user").order_by(
            "history_date", "history_id"
        ),
        CHAMPS_JOURNAL_DEMANDE,
        DemandeDevis,
        valeur=_valeur_demande,
        creation=True,
    )
