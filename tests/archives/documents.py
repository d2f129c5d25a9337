"""Les documents d'une période d'archive : dates, PDF conservés, conventions
signées à une date (outils des tests des archives)."""

from __future__ import annotations

import datetime

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from archives import services
from conventions import services as services_conventions
from conventions.fichiers import empreinte_sha256
from conventions.models import Convention, stockage_prive
from tests.factories import (
    CollectiviteFactory,
    ConventionFactory,
    SignatureFactory,
    pdf_octets,
)

DU, AU = datetime.date(2024, 5, 1), datetime.date(2025, 12, 31)
DANS_LA_PERIODE = datetime.date(2025, 6, 2)
AVANT_LA_PERIODE = datetime.date(2024, 4, 15)
NS = {"seda": services.SEDA}


def conserver_pdf_signe(convention: Convention) -> bytes:
    """Le PDF généré à la troisième signature, posé comme le service le pose."""
    contenu = pdf_octets(pages=2)
    nom = stockage_prive.save(
        f"conventions/{convention.collectivite_id}/signee-{convention.pk}.pdf",
        ContentFile(contenu),
    )
    Convention.objects.filter(pk=convention.pk).update(
        pdf_signe=nom, pdf_signe_sha256=empreinte_sha256(contenu)
    )
    return contenu


def deposer_scan(convention: Convention, agent) -> None:
    services_conventions.convention_deposer_scan(
        convention=convention,
        fichier=SimpleUploadedFile("scan.pdf", pdf_octets(pages=3), "application/pdf"),
        par=agent,
    )


def convention_signee_le(nom: str, jour: datetime.date, parties=None) -> Convention:
    statut = Convention.Statut.SIGNEE if parties is None else "en_signature"
    convention = ConventionFactory(
        collectivite=CollectiviteFactory(nom=nom), statut=statut, date_effet=jour
    )
    for partie in parties or ("collectivite", "fibre", "cdg"):
        SignatureFactory(convention=convention, partie=partie, date=jour)
    return convention
