"""Données de démonstration de la facturation (voir ``charger_demo``).

Le devis de démonstration accepté (Ruitz, La Fibre Numérique 59-62, accepté sur
papier par ``devis.demo``) reçoit sa facture Factur-X par le vrai service
(numéro, XML validé, PDF/A-3 stocké). Idempotent : s'il a déjà sa facture, ou
s'il n'existe pas, rien n'est fait.
"""

from __future__ import annotations

from comptes.models import Utilisateur
from devis.demo import AGENT
from devis.models import Devis
from facturation.services import facture_emettre


def charger(stdout) -> None:
    devis = (
        Devis.objects.filter(
            statut=Devis.Statut.ACCEPTE,
            collectivite__nom="Ruitz",
            demande__commentaire="Demande de démonstration.",
        )
        .order_by("pk")
        .first()
    )
    if devis is None:
        stdout.write("Aucun devis accepté de démonstration à facturer.")
        return
    if hasattr(devis, "facture"):
        stdout.write(f"Facture de démonstration déjà présente ({devis.facture}).")
        return
    agent = Utilisateur.objects.filter(email=AGENT).first()
    facture = facture_emettre(devis=devis, par=agent)
    stdout.write(
        f"Facture Factur-X de démonstration {facture.numero} (devis {devis.numero})."
    )
