"""Un nouveau millésime du référentiel ne touche jamais un devis émis."""

from __future__ import annotations

import copy

from conventions.models import Collectivite
from conventions.referentiel_chargement import (
    referentiel_charger,
    referentiel_officiel,
)
from devis.models import Devis


def test_a_new_millesime_never_touches_an_issued_devis(devis_emis):
    collectivite = devis_emis.collectivite
    Collectivite.objects.filter(pk=collectivite.pk).update(
        code_insee="62727", siren="216207274"
    )
    fige = dict(devis_emis.destinataire_fige)
    donnees = copy.deepcopy(referentiel_officiel())
    donnees.pop("communes_par_code")
    donnees["millesime"] = 2027
    commune = next(c for c in donnees["communes"] if c["code_insee"] == "62727")
    commune["population_totale"] = 99_999

    referentiel_charger(donnees=donnees)

    collectivite.refresh_from_db()
    devis_emis.refresh_from_db()
    assert collectivite.population == 99_999
    assert devis_emis.destinataire_fige == fige
    assert Devis.objects.get(pk=devis_emis.pk).pdf_sha256 == devis_emis.pdf_sha256
