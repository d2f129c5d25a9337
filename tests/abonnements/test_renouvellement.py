"""Le renouvellement annuel : un devis par émetteur avec les seules lignes
annuelles, chiffré sur la grille en vigueur à la date du renouvellement,
paliers recalculés d'après l'inventaire ; idempotent, reprenable, simulable ;
lancé en tâche de fond depuis le back office ou par ``manage.py renouveler``."""

from __future__ import annotations

import datetime
import html
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from abonnements import services
from abonnements.models import Abonnement, DemandeRenouvellee, Renouvellement
from devis import services as devis_services
from devis.models import Devis
from tarifs.calcul import LigneDemandee
from tests.factories import CollectiviteFactory, ConventionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pdf_rapide")]

ANNEE = timezone.localdate().year + 1
JOUR = datetime.date(ANNEE, 1, 1)


def souscrire(collectivite, agent, lignes) -> list[Devis]:
    """Une demande chiffrée, émise et acceptée sur papier : l'inventaire."""
    acceptes = []
    for brouillon in devis_services.devis_creer_brouillons(
        collectivite=collectivite, lignes=lignes, par=agent
    ):
        devis = devis_services.devis_emettre(devis=brouillon, par=agent)
        acceptes.append(
            devis_services.devis_accepter(
                devis=devis,
                signataire_nom="Jeanne Dupont",
                signataire_qualite="Maire",
                par=agent,
                canal="papier",
            )
        )
    return acceptes


def campagne(agent, **options) -> Renouvellement:
    cree = Renouvellement.objects.create(
        annee=ANNEE, date_renouvellement=JOUR, lance_par=agent, **options
    )
    return services.renouvellement_executer(cree.pk)


def lignes_renouvelees(collectivite) -> dict[tuple[str, str], object]:
    demande = DemandeRenouvellee.objects.get(annee=ANNEE, collectivite=collectivite)
    return {
        (devis.emetteur.code, ligne.code): ligne
        for devis in demande.demande.devis.all()
        for ligne in devis.lignes.all()
    }


@pytest.fixture
def ruitz_abonnee(ruitz, alice_agent):
    souscrire(
        ruitz,
        alice_agent,
        [LigneDemandee("messagerie-5go", 3), LigneDemandee("cle-1an-cdg", 1)],
    )
    return ruitz


def test_a_renewal_devis_carries_only_the_annual_lines(ruitz_abonnee, alice_agent):
    resultat = campagne(alice_agent)

    lignes = lignes_renouvelees(ruitz_abonnee)
    assert resultat.statut == Renouvellement.Statut.TERMINE
    assert resultat.compte("cree") == 1
    assert {ligne.periodicite for ligne in lignes.values()} == {"annuelle"}
    assert lignes[("fibre", "messagerie-5go")].quantite == 3
    assert not any(code.startswith("cle-") for _, code in lignes)
    devis = DemandeRenouvellee.objects.get().demande.devis.all()
    assert {d.statut for d in devis} == {"brouillon"}
    assert {d.emetteur.code for d in devis} == {"fibre", "cdg"}


def test_a_renewal_recounts_the_mailbox_tier_from_the_whole_inventory(
    ruitz_abonnee, alice_agent
):
    """3 comptes (palier 3–5 : 50 €) puis 10 de plus : le renouvellement compte
    13 comptes, palier 11–20 : 150 € (domaine, barème M)."""
    souscrire(ruitz_abonnee, alice_agent, [LigneDemandee("messagerie-5go", 10)])

    campagne(alice_agent)

    lignes = lignes_renouvelees(ruitz_abonnee)
    assert lignes[("fibre", "messagerie-5go")].quantite == 13
    assert lignes[("fibre", "messagerie-5go")].montant == Decimal("260.00")
    assert lignes[("cdg", "messagerie-accompagnement")].montant == Decimal("150.00")


def test_a_second_run_for_the_same_year_creates_nothing(ruitz_abonnee, alice_agent):
    campagne(alice_agent)
    avant = Devis.objects.count()

    seconde = campagne(alice_agent)

    assert Devis.objects.count() == avant
    assert seconde.compte("inchange") == 1 and seconde.compte("cree") == 0


def test_an_interrupted_run_resumes_where_it_stopped(
    ruitz_abonnee, alice_agent, grille_2024_14
):
    autre = CollectiviteFactory(nom="Quercamps")
    ConventionFactory(collectivite=autre, grille=grille_2024_14, signee=True)
    souscrire(autre, alice_agent, [LigneDemandee("nom-de-domaine", 1)])
    interrompue = Renouvellement.objects.create(
        annee=ANNEE, date_renouvellement=JOUR, lance_par=alice_agent
    )
    # La première collectivité faite, puis le worker s'arrête.
    premiere = services.collectivites_a_renouveler(JOUR).first()
    from tarifs.selectors import grille_en_vigueur, grille_instantane

    grille = grille_instantane(grille_en_vigueur(JOUR))
    interrompue.rapport = [services._renouveler_une(interrompue, premiere, grille)]
    interrompue.statut = Renouvellement.Statut.EN_COURS
    interrompue.save()

    reprise = services.renouvellement_executer(interrompue.pk)

    assert (reprise.faites, reprise.total) == (2, 2)
    assert [ligne["collectivite"] for ligne in reprise.rapport] == sorted(
        [ruitz_abonnee.pk, autre.pk]
    )
    assert DemandeRenouvellee.objects.filter(annee=ANNEE).count() == 2


def test_a_terminated_abonnement_is_not_renewed(ruitz_abonnee, alice_agent):
    for abonnement in Abonnement.objects.filter(collectivite=ruitz_abonnee):
        services.abonnement_resilier(
            abonnement=abonnement,
            fin=timezone.localdate(),
            motif="Départ",
            par=alice_agent,
        )

    resultat = campagne(alice_agent)

    assert resultat.total == 0
    assert not DemandeRenouvellee.objects.exists()


def test_an_issued_run_numbers_the_renewal_devis(ruitz_abonnee, alice_agent):
    resultat = campagne(alice_agent, emettre=True)

    devis = DemandeRenouvellee.objects.get().demande.devis.all()
    assert {d.statut for d in devis} == {"emis"}
    assert all(d.numero in resultat.rapport[0]["motif"] for d in devis)


def test_a_renewal_not_issuable_keeps_its_drafts_and_the_next_run_issues_them(
    ruitz_abonnee, alice_agent
):
    from conventions.models import Collectivite

    adresse = ruitz_abonnee.adresse
    Collectivite.objects.filter(pk=ruitz_abonnee.pk).update(adresse="")

    premiere = campagne(alice_agent, emettre=True)

    (ligne,) = premiere.rapport
    assert ligne["resultat"] == "ignore"
    assert "brouillon(s) créé(s), non émis" in ligne["motif"]
    assert "adresse" in ligne["motif"]
    demande = DemandeRenouvellee.objects.get().demande
    assert {d.statut for d in demande.devis.all()} == {"brouillon"}

    Collectivite.objects.filter(pk=ruitz_abonnee.pk).update(adresse=adresse)
    seconde = campagne(alice_agent, emettre=True)

    assert seconde.rapport[0]["resultat"] == "cree"
    assert {d.statut for d in demande.devis.all()} == {"emis"}
    assert DemandeRenouvellee.objects.count() == 1


def test_a_run_in_two_parts_shares_the_communes_and_the_last_part_finishes_it(
    ruitz_abonnee, alice_agent, grille_2024_14
):
    """Deux workers : chaque part renouvelle ses collectivités (identifiant
    pair / impair) ; la campagne n'est terminée qu'avec la dernière part."""
    autres = []
    for nom in ("Quercamps", "Beuvry", "Hesdin"):
        commune = CollectiviteFactory(nom=nom, population=900)
        ConventionFactory(
            collectivite=commune,
            grille=grille_2024_14,
            statut="signee",
            date_effet=datetime.date(2024, 5, 2),
        )
        souscrire(commune, alice_agent, [LigneDemandee("messagerie-5go", 2)])
        autres.append(commune)
    communes = [ruitz_abonnee, *autres]
    cree = Renouvellement.objects.create(
        annee=ANNEE, date_renouvellement=JOUR, lance_par=alice_agent, emettre=True
    )

    premiere = services.renouvellement_executer(cree.pk, 0, 2)
    paires = {c.pk for c in communes if c.pk % 2 == 0}
    assert premiere.statut == Renouvellement.Statut.EN_COURS
    assert {ligne["collectivite"] for ligne in premiere.rapport} == paires
    assert premiere.faites == len(paires)

    finie = services.renouvellement_executer(cree.pk, 1, 2)

    assert finie.statut == Renouvellement.Statut.TERMINE
    assert sorted(ligne["collectivite"] for ligne in finie.rapport) == sorted(
        c.pk for c in communes
    )
    assert (finie.faites, finie.total) == (4, 4)
    emis = Devis.objects.filter(demande__renouvellement__annee=ANNEE)
    assert {d.statut for d in emis} == {"emis"}
    sequences = sorted(emis.values_list("emetteur__code", "sequence"))
    for code in ("fibre", "cdg"):
        suite = [n for e, n in sequences if e == code]
        assert suite == list(range(suite[0], suite[0] + len(suite)))


def test_the_simulation_prints_totals_per_issuer_and_writes_nothing(
    ruitz_abonnee, alice_agent
):
    avant = (Devis.objects.count(), Renouvellement.objects.count())
    sortie = io.StringIO()

    call_command("renouveler", "--annee", str(ANNEE), "--simulation", stdout=sortie)

    texte = sortie.getvalue()
    assert (Devis.objects.count(), Renouvellement.objects.count()) == avant
    assert "1 collectivité(s), rien n'est écrit" in texte
    assert "fibre : 1 devis, 60,00" in texte  # 3 comptes × 20 €
    assert "cdg : 1 devis, 50,00" in texte  # accompagnement, palier 3–5


def test_the_command_runs_the_campaign_and_reports(ruitz_abonnee, alice_agent):
    sortie = io.StringIO()

    call_command(
        "renouveler", "--annee", str(ANNEE), "--par", alice_agent.email, stdout=sortie
    )
    call_command(
        "renouveler", "--annee", str(ANNEE), "--par", alice_agent.email, stdout=sortie
    )

    texte = sortie.getvalue()
    assert f"Renouvellement {ANNEE} : 1 créé(s), 0 inchangé(s)" in texte
    assert f"Renouvellement {ANNEE} : 0 créé(s), 1 inchangé(s)" in texte


def test_an_agent_starts_the_run_and_follows_its_progress(
    agent, ruitz_abonnee, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reponse = agent.post(
            "/gestion/abonnements/renouvellements/lancer", {"annee": str(ANNEE)}
        )

    campagne_lancee = Renouvellement.objects.get()
    assert reponse.status_code == 302
    assert (
        reponse["Location"]
        == f"/gestion/abonnements/renouvellements/{campagne_lancee.pk}/"
    )
    assert campagne_lancee.statut == Renouvellement.Statut.TERMINE
    assert campagne_lancee.tache
    page = agent.get(reponse["Location"]).content.decode()
    assert "100 %" in page and "Créées : 1" in page and "hx-trigger" not in page


def test_the_progress_fragment_polls_while_the_run_is_going(agent, alice_agent):
    en_cours = Renouvellement.objects.create(
        annee=ANNEE,
        date_renouvellement=JOUR,
        lance_par=alice_agent,
        statut=Renouvellement.Statut.EN_COURS,
        total=4,
        faites=1,
    )

    fragment = agent.get(
        f"/gestion/abonnements/renouvellements/{en_cours.pk}/progression"
    ).content.decode()

    assert 'hx-trigger="every 1s"' in fragment
    assert 'value="25"' in fragment
    assert "1 collectivité traitée sur 4" in fragment


@pytest.mark.parametrize(
    ("donnees", "message"),
    [
        ({"annee": "deux-mille"}, "Saisissez une année (quatre chiffres)."),
        (
            {"annee": str(ANNEE), "date_renouvellement": f"{ANNEE - 1}-06-01"},
            "doit être en",
        ),
        ({"annee": "2001"}, "Aucune grille publiée n'est en vigueur le 01/01/2001"),
    ],
    ids=["annee_illisible", "date_d_une_autre_annee", "sans_grille"],
)
def test_a_bad_start_is_refused_in_french_and_starts_nothing(
    agent, grille_2024_14, donnees, message
):
    reponse = agent.post("/gestion/abonnements/renouvellements/lancer", donnees)

    assert reponse.status_code == 200
    assert message in html.unescape(reponse.content.decode())
    assert not Renouvellement.objects.exists()


@pytest.mark.django_db(transaction=True)  # le worker ferme sa connexion
def test_the_database_worker_runs_a_queued_campaign(
    agent, ruitz_abonnee, settings, django_capture_on_commit_callbacks
):
    """Sous make run : la campagne attend dans la file en base
    (django-tasks-db) jusqu'à ce que le worker (db_worker) la traite."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    with django_capture_on_commit_callbacks(execute=True):
        agent.post("/gestion/abonnements/renouvellements/lancer", {"annee": str(ANNEE)})
    en_file = Renouvellement.objects.get()
    assert en_file.statut == Renouvellement.Statut.EN_ATTENTE

    call_command("db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO())

    en_file.refresh_from_db()
    assert en_file.statut == Renouvellement.Statut.TERMINE
    assert en_file.compte("cree") == 1


def test_a_campaign_left_running_by_a_stopped_worker_is_resumed_from_the_page(
    agent, ruitz_abonnee, alice_agent, django_capture_on_commit_callbacks
):
    arretee = Renouvellement.objects.create(
        annee=ANNEE,
        date_renouvellement=JOUR,
        lance_par=alice_agent,
        statut=Renouvellement.Statut.EN_COURS,
    )
    tout_juste = agent.get(f"/gestion/abonnements/renouvellements/{arretee.pk}/")
    assert "Reprendre la campagne" not in tout_juste.content.decode()
    # Trois minutes sans avancée : le worker est tenu pour arrêté.
    Renouvellement.objects.filter(pk=arretee.pk).update(
        modifie_le=timezone.now() - datetime.timedelta(minutes=3)
    )
    page = agent.get(f"/gestion/abonnements/renouvellements/{arretee.pk}/")
    assert "Reprendre la campagne" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        agent.post(f"/gestion/abonnements/renouvellements/{arretee.pk}/reprendre")

    arretee.refresh_from_db()
    assert arretee.statut == Renouvellement.Statut.TERMINE
    assert arretee.compte("cree") == 1
    refus = agent.post(
        f"/gestion/abonnements/renouvellements/{arretee.pk}/reprendre", follow=True
    )
    assert "Cette campagne est terminée : rien à reprendre." in refus.content.decode()


def test_the_command_refuses_a_date_without_a_grid_in_french(
    alice_agent, grille_2024_14
):
    from django.core.management.base import CommandError

    with pytest.raises(
        CommandError, match="Aucune grille publiée n'est en vigueur le 01/01/2001"
    ):
        call_command("renouveler", "--annee", "2001", "--par", alice_agent.email)

    assert not Renouvellement.objects.exists()
