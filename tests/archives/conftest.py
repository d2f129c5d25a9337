from __future__ import annotations

import pytest

from conventions.models import Convention
from devis import services as devis_services
from tests.archives.documents import (
    AVANT_LA_PERIODE,
    DANS_LA_PERIODE,
    conserver_pdf_signe,
    convention_signee_le,
    deposer_scan,
)
from tests.factories import devis_emis_pour


@pytest.fixture
def periode(ruitz, signee, alice_agent):
    """Dans la période : les deux devis d'une demande de Ruitz (celui du CDG
    annulé depuis), la convention signée de Quercamps (PDF et scan). Hors de la
    période : un devis émis avant, un brouillon, une convention signée avant, une
    convention encore en signature (deux parties) qui a déjà un scan."""
    fibre, cdg = devis_emis_pour(ruitz, par=alice_agent, jour=DANS_LA_PERIODE)
    cdg = devis_services.devis_annuler(
        devis=cdg, motif="Erreur de saisie", par=alice_agent
    )
    avant = devis_emis_pour(ruitz, par=alice_agent, jour=AVANT_LA_PERIODE)
    brouillon = devis_emis_pour(ruitz, par=alice_agent, emettre=False)
    conserver_pdf_signe(signee)
    deposer_scan(signee, alice_agent)
    ancienne = convention_signee_le("Beuvry", AVANT_LA_PERIODE)
    conserver_pdf_signe(ancienne)
    en_signature = convention_signee_le(
        "Hersin-Coupigny", DANS_LA_PERIODE, parties=("collectivite", "fibre")
    )
    deposer_scan(en_signature, alice_agent)
    return {
        "dedans": [fibre, cdg],
        "avant": avant,
        "brouillon": brouillon,
        "signee": Convention.objects.get(pk=signee.pk),
        "ancienne": ancienne,
        "en_signature": en_signature,
    }
