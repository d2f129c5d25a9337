"""Gardes de base de données des conventions et des termes publiés.

- Termes publiés : ni modification, ni suppression, ni remplacement, ni vidage.
- Convention : transitions d'état limitées à celles du service
  (``conventions.services.TRANSITIONS``) ; « signée » seulement avec les trois
  parties signataires ; une fois partie en signature, collectivité, grille,
  termes et PDF envoyé figés, le PDF signé généré figé dès qu'il existe, la date
  d'effet figée une fois signée, plus rien ne change une fois résiliée ou
  expirée ; pas de suppression hors brouillon.
- Signature : une signature enregistrée ne change plus ni ne s'efface ; une
  convention résiliée ou expirée ne se signe plus.

Voir ``config.gardes_sql`` pour le mécanisme (PostgreSQL et SQLite).
"""

from django.db import migrations

from config.gardes_sql import (
    Garde,
    Regle,
    colonnes_changees,
    executer,
    garde_version_publiee,
    transitions,
)

TERMES_MODIFICATION = "Une version publiée des termes ne peut plus être modifiée."
TERMES_SUPPRESSION = "Une version publiée des termes ne peut pas être supprimée."

CONVENTION_MODIFICATION = "Une convention partie en signature ne peut plus être modifiée."
CONVENTION_SUPPRESSION = "Une convention partie en signature ne se supprime pas."
CONVENTION_TRANSITION = "Ce changement d'état de la convention n'est pas permis."
CONVENTION_INCOMPLETE = "Une convention n'est signée qu'avec la signature des trois parties."
CONVENTION_CLOSE = "Une convention résiliée ou expirée ne change plus."

SIGNATURE_MODIFICATION = "Une signature enregistrée ne se modifie plus."
SIGNATURE_SUPPRESSION = "Une signature enregistrée ne se supprime pas."
SIGNATURE_CLOSE = "Une convention résiliée ou expirée ne se signe plus."

TRANSITIONS = {
    "brouillon": ("en_signature",),
    "en_signature": ("signee",),
    "signee": ("resiliee", "expiree"),
}

PARTIE_EN_SIGNATURE = (
    "EXISTS (SELECT 1 FROM conventions_convention c "
    "WHERE c.id = {r}.convention_id AND c.statut <> 'brouillon')"
)


def _signature_figee(r: str) -> str:
    return PARTIE_EN_SIGNATURE.replace("{r}", r)


GARDES = (
    garde_version_publiee(
        "conventions_termesconvention",
        modification=TERMES_MODIFICATION,
        suppression=TERMES_SUPPRESSION,
    ),
    Garde(
        table="conventions_convention",
        regles=(
            Regle(
                "garde_remplacement",
                "INSERT",
                "EXISTS (SELECT 1 FROM conventions_convention x WHERE x.statut <> 'brouillon' "
                "AND (x.id = NEW.id OR (x.collectivite_id = NEW.collectivite_id AND ("
                "(NEW.statut = 'signee' AND x.statut = 'signee') OR "
                "(NEW.statut IN ('brouillon', 'en_signature') AND x.statut = 'en_signature')))))",
                CONVENTION_MODIFICATION,
                sqlite_seulement=True,
            ),
            Regle("garde_transition", "UPDATE", transitions("statut", TRANSITIONS), CONVENTION_TRANSITION),
            Regle(
                "garde_trois_signatures",
                "UPDATE",
                "NEW.statut = 'signee' AND OLD.statut <> 'signee' AND (SELECT COUNT(DISTINCT s.partie) "
                "FROM conventions_signature s WHERE s.convention_id = NEW.id) < 3",
                CONVENTION_INCOMPLETE,
            ),
            Regle("garde_close", "UPDATE", "OLD.statut IN ('resiliee', 'expiree')", CONVENTION_CLOSE),
            Regle(
                "garde_modification",
                "UPDATE",
                "(OLD.statut <> 'brouillon' AND "
                + colonnes_changees(("collectivite_id", "grille_id", "creee_le", "creee_par_id"))
                + ") OR (OLD.statut <> 'brouillon' AND OLD.termes_id IS NOT NULL "
                "AND NEW.termes_id {ne} OLD.termes_id)"
                " OR (OLD.pdf_envoye <> '' AND "
                + colonnes_changees(("pdf_envoye", "pdf_envoye_sha256"))
                + ") OR (OLD.pdf_signe <> '' AND "
                + colonnes_changees(("pdf_signe", "pdf_signe_sha256"))
                + ") OR (OLD.statut = 'signee' AND NEW.date_effet {ne} OLD.date_effet)",
                CONVENTION_MODIFICATION,
            ),
            Regle("garde_suppression", "DELETE", "OLD.statut <> 'brouillon'", CONVENTION_SUPPRESSION),
        ),
        figee="x.statut <> 'brouillon'",
        message_vidage=CONVENTION_SUPPRESSION,
    ),
    Garde(
        table="conventions_signature",
        regles=(
            Regle(
                "garde_ajout",
                "INSERT",
                "EXISTS (SELECT 1 FROM conventions_convention c WHERE c.id = NEW.convention_id "
                "AND c.statut IN ('resiliee', 'expiree'))",
                SIGNATURE_CLOSE,
            ),
            Regle(
                "garde_remplacement",
                "INSERT",
                "EXISTS (SELECT 1 FROM conventions_signature x WHERE (x.id = NEW.id OR "
                "(x.convention_id = NEW.convention_id AND x.partie = NEW.partie)) AND "
                + _signature_figee("x")
                + ")",
                SIGNATURE_MODIFICATION,
                sqlite_seulement=True,
            ),
            Regle("garde_modification", "UPDATE", _signature_figee("OLD"), SIGNATURE_MODIFICATION),
            Regle("garde_suppression", "DELETE", _signature_figee("OLD"), SIGNATURE_SUPPRESSION),
        ),
        figee=_signature_figee("x"),
        message_vidage=SIGNATURE_SUPPRESSION,
    ),
)


def poser(apps, schema_editor):
    executer(schema_editor, GARDES, poser=True)


def lever(apps, schema_editor):
    executer(schema_editor, GARDES, poser=False)


class Migration(migrations.Migration):
    dependencies = [
        ("conventions", "0004_recherche_normalisee"),
    ]

    operations = [
        migrations.RunPython(poser, lever),
    ]
