"""Gardes de base de données des devis émis, complètes (remplacent 0002).

Une fois un devis sorti du brouillon :

- ses colonnes figées (``Devis.CHAMPS_FIGES``) ne changent plus et il ne
  revient pas au brouillon ; il ne se supprime pas ; ses lignes ne s'ajoutent,
  ne se modifient ni ne s'effacent plus ;
- son état ne suit que les transitions du service : émis → accepté, refusé,
  expiré ou annulé ; accepté, refusé ou expiré → annulé ; annulé est final ;
- la réponse enregistrée (date, canal, signataire, motif…) ne change plus, ni
  l'annulation une fois faite ;
- un ``INSERT OR REPLACE`` (SQLite) en conflit avec un devis émis ou l'une de
  ses lignes est refusé, comme le ``TRUNCATE`` (PostgreSQL) d'une table qui en
  contient.

Voir ``config.gardes_sql`` pour le mécanisme (PostgreSQL et SQLite).
"""

import importlib

from django.db import migrations

from config.gardes_sql import Garde, Regle, colonnes_changees, executer, transitions

MODIFICATION = "Un devis émis ne peut plus être modifié."
SUPPRESSION = "Un devis émis ne se supprime pas : annulez-le."
TRANSITION = "Ce changement d'état du devis n'est pas permis."
REPONSE = "La réponse à un devis ne se modifie plus."
LIGNES = "Les lignes d'un devis émis ne se modifient plus."

# Copie figée de Devis.CHAMPS_FIGES au moment de cette migration (colonnes).
COLONNES_FIGEES = (
    "demande_id",
    "emetteur_id",
    "collectivite_id",
    "grille_id",
    "numero",
    "annee",
    "sequence",
    "date_emission",
    "date_validite",
    "emetteur_fige",
    "destinataire_fige",
    "grille_fige",
    "convention_fige",
    "categorie",
    "categorie_base",
    "mention_inclus",
    "total_unique",
    "total_annuel",
    "total_premiere_annee",
    "pdf",
    "pdf_sha256",
    "cree_par_id",
    "cree_le",
)
COLONNES_REPONSE = (
    "accepte_le",
    "refuse_le",
    "reponse_par_id",
    "reponse_canal",
    "reponse_ip",
    "signataire_nom",
    "signataire_qualite",
    "refus_motif",
    "expire_le",
)
COLONNES_ANNULATION = ("annule_le", "annule_par_id", "annulation_motif")

TRANSITIONS = {
    "brouillon": ("emis",),
    "emis": ("accepte", "refuse", "expire", "annule"),
    "accepte": ("annule",),
    "refuse": ("annule",),
    "expire": ("annule",),
}

LIGNE_FIGEE = (
    "EXISTS (SELECT 1 FROM devis_devis d WHERE d.id = {r}.devis_id AND d.statut <> 'brouillon')"
)


def _ligne_figee(r: str) -> str:
    return LIGNE_FIGEE.replace("{r}", r)


GARDES = (
    Garde(
        table="devis_devis",
        regles=(
            Regle(
                "garde_remplacement",
                "INSERT",
                "EXISTS (SELECT 1 FROM devis_devis x WHERE x.statut <> 'brouillon' AND ("
                "x.id = NEW.id OR x.numero = NEW.numero "
                "OR (x.emetteur_id = NEW.emetteur_id AND x.annee = NEW.annee "
                "AND x.sequence = NEW.sequence) "
                "OR (x.demande_id = NEW.demande_id AND x.emetteur_id = NEW.emetteur_id)))",
                MODIFICATION,
                sqlite_seulement=True,
            ),
            Regle("garde_transition", "UPDATE", transitions("statut", TRANSITIONS), TRANSITION),
            Regle(
                "garde_modification",
                "UPDATE",
                "OLD.statut <> 'brouillon' AND (NEW.statut = 'brouillon' OR "
                + colonnes_changees(COLONNES_FIGEES)
                + ")",
                MODIFICATION,
            ),
            Regle(
                "garde_reponse",
                "UPDATE",
                "(OLD.statut IN ('accepte', 'refuse', 'expire', 'annule') AND "
                + colonnes_changees(COLONNES_REPONSE)
                + ") OR (OLD.statut = 'annule' AND "
                + colonnes_changees(COLONNES_ANNULATION)
                + ")",
                REPONSE,
            ),
            Regle("garde_suppression", "DELETE", "OLD.statut <> 'brouillon'", SUPPRESSION),
        ),
        figee="x.statut <> 'brouillon'",
        message_vidage=SUPPRESSION,
    ),
    Garde(
        table="devis_lignedevis",
        regles=(
            Regle("garde_ajout", "INSERT", _ligne_figee("NEW"), LIGNES),
            Regle(
                "garde_remplacement",
                "INSERT",
                "EXISTS (SELECT 1 FROM devis_lignedevis x WHERE x.id = NEW.id AND "
                + _ligne_figee("x")
                + ")",
                LIGNES,
                sqlite_seulement=True,
            ),
            Regle(
                "garde_modification",
                "UPDATE",
                f"{_ligne_figee('OLD')} OR {_ligne_figee('NEW')}",
                LIGNES,
            ),
            Regle("garde_suppression", "DELETE", _ligne_figee("OLD"), LIGNES),
        ),
        figee=_ligne_figee("x"),
        message_vidage=LIGNES,
    ),
)


def _premieres_gardes():
    return importlib.import_module("devis.migrations.0002_gardes_base_de_donnees")


def poser(apps, schema_editor):
    _premieres_gardes().supprimer(apps, schema_editor)
    executer(schema_editor, GARDES, poser=True)


def lever(apps, schema_editor):
    executer(schema_editor, GARDES, poser=False)
    _premieres_gardes().creer(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("devis", "0002_gardes_base_de_donnees"),
    ]

    operations = [
        migrations.RunPython(poser, lever),
    ]
