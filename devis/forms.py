"""Formulaires des devis du back office.

Les formulaires valident et préparent ; ils n'écrivent jamais (les écritures
sont dans ``devis/services.py``).
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from conventions.formats import en_decimal
from conventions.forms import valider_ligne, valider_texte
from conventions.models import Collectivite
from devis.chiffrage_formulaire import (
    PrixManuels,
    chiffrer_demande,
    lignes_sur_devis,
    nom_intervention,
    nom_justification,
    nom_prix,
    nom_quantite,
    prestations_par_section,
)
from devis.models import DemandeDevis
from tarifs import calcul
from tarifs.models import Emetteur

MONTANT_MAX = Decimal("9999999999.99")
CENTIME = Decimal("0.01")

MESSAGE_AUCUNE_LIGNE = (
    "Indiquez au moins une prestation : saisissez une quantité d'au moins 1."
)


# Au-delà, aucun enregistrement n'existe (clé primaire sur 64 bits signés).
IDENTIFIANT_MAX = 2**63 - 1


def identifiant_ou_none(valeur) -> int | None:
    """Un identifiant saisi (« 12 ») ou ``None`` : chiffres ASCII seulement, et
    dans les bornes de la base. ``str.isdigit`` ne suffit pas : « ² » ou « ٣ »
    passent ce test, et ``int("²")`` lève une erreur."""
    texte = str(valeur or "").strip()
    if not texte.isascii() or not texte.isdigit() or len(texte) > 19:
        return None
    identifiant = int(texte)
    return identifiant if 1 <= identifiant <= IDENTIFIANT_MAX else None


class MontantField(forms.Field):
    """Montant TTC en euros saisi par un agent : « 150 », « 150,50 » ou
    « 1 234,50 € » ; positif ou nul, au centime."""

    widget = forms.TextInput
    default_error_messages = {
        "invalid": "Saisissez un montant en euros, par exemple 150 ou 150,50.",
        "negatif": "Le montant ne peut pas être négatif.",
        "centimes": "Le montant s'arrête au centime (deux décimales au plus).",
        "trop_grand": "Le montant est trop élevé.",
    }

    def to_python(self, value):
        if value in self.empty_values or not str(value).strip():
            return None
        if isinstance(value, Decimal):
            montant = value
        else:
            try:
                montant = en_decimal(str(value).replace("€", ""))
            except (TypeError, ValueError):
                raise ValidationError(
                    self.error_messages["invalid"], code="invalid"
                ) from None
        if montant < 0:
            raise ValidationError(self.error_messages["negatif"], code="negatif")
        if montant > MONTANT_MAX:
            raise ValidationError(self.error_messages["trop_grand"], code="trop_grand")
        if montant != montant.quantize(CENTIME):
            raise ValidationError(self.error_messages["centimes"], code="centimes")
        # « -0 » est lisible mais s'afficherait « -0,00 € » : zéro positif.
        return abs(montant.quantize(CENTIME))

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "decimal", "autocomplete": "off"})
        return attrs


class CollectiviteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Collectivite) -> str:
        return f"{obj.nom} ({obj.get_type_display()})" if obj.type else obj.nom


class DemandeDevisForm(forms.Form):
    """La demande de devis d'une collectivité : une quantité par prestation de
    la grille en vigueur (0 ou vide = non demandée), l'option « intervention du
    CDG » des prestations qui l'acceptent, et pour chaque ligne « sur devis » un
    montant TTC avec sa justification.

    Une fois valide, le formulaire porte ``lignes`` (les lignes demandées),
    ``prix_manuels`` ({(émetteur, code): (montant, justification)}) et
    ``chiffrage`` (le résultat du moteur, prix manuels appliqués).
    """

    collectivite = CollectiviteChoiceField(
        label="Collectivité",
        queryset=Collectivite.objects.order_by("nom"),
        empty_label="— Choisissez une collectivité —",
        error_messages={
            "required": "Choisissez la collectivité destinataire.",
            "invalid_choice": "Cette collectivité n'existe pas.",
        },
    )
    commentaire = forms.CharField(
        label="Commentaire (interne)",
        required=False,
        max_length=2000,
        validators=[valider_texte],
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": "Le commentaire ne dépasse pas %(limit_value)d caractères."
        },
    )

    def __init__(
        self,
        *args,
        grille: calcul.Grille,
        collectivite_fixe: Collectivite | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.grille = grille
        self.sections = prestations_par_section(grille)
        self.lignes: list[calcul.LigneDemandee] = []
        self.prix_manuels: PrixManuels = {}
        self.chiffrage: calcul.Chiffrage | None = None
        self.aucune_ligne = False
        if collectivite_fixe is not None:
            champ = self.fields["collectivite"]
            champ.disabled = True
            champ.initial = collectivite_fixe.pk
            self.initial["collectivite"] = collectivite_fixe.pk
        for section in self.sections:
            for prestation in section.prestations:
                self.fields[nom_quantite(prestation.code)] = forms.IntegerField(
                    label=prestation.libelle,
                    required=False,
                    min_value=0,
                    max_value=calcul.QUANTITE_MAX,
                    widget=forms.TextInput(
                        attrs={
                            "inputmode": "numeric",
                            "autocomplete": "off",
                            "size": 6,
                        }
                    ),
                    error_messages={
                        "invalid": "La quantité doit être un nombre entier.",
                        "min_value": "La quantité ne peut pas être négative.",
                        "max_value": (
                            "La quantité ne peut pas dépasser "
                            f"{calcul.QUANTITE_MAX:_}.".replace("_", "\u00a0")
                        ),
                    },
                )
                if prestation.accepte_intervention:
                    self.fields[nom_intervention(prestation.code)] = forms.BooleanField(
                        label="Avec l'intervention du CDG",
                        required=False,
                    )
        # Les lignes « sur devis » dépendent des quantités saisies : on les
        # prévoit d'après les données brutes pour créer leurs champs de prix.
        self.cles_sur_devis = self._prevoir_sur_devis()
        for emetteur, code in self.cles_sur_devis:
            # hx-preserve : l'aperçu en direct ne remplace pas un champ en
            # cours de saisie.
            self.fields[nom_prix(emetteur, code)] = MontantField(
                label="Montant TTC (€)",
                required=False,
                widget=forms.TextInput(attrs={"hx-preserve": "true", "size": 10}),
            )
            self.fields[nom_justification(emetteur, code)] = forms.CharField(
                label="Justification du montant",
                required=False,
                max_length=2000,
                validators=[valider_texte],
                widget=forms.Textarea(attrs={"rows": 2, "hx-preserve": "true"}),
                error_messages={
                    "max_length": (
                        "La justification ne dépasse pas %(limit_value)d caractères."
                    )
                },
            )

    # --- Lecture tolérante, avant validation ------------------------------

    def collectivite_brute(self) -> Collectivite | None:
        valeur = self["collectivite"].value()
        if isinstance(valeur, Collectivite):
            return valeur
        identifiant = identifiant_ou_none(valeur)
        if identifiant is None:
            return None
        return Collectivite.objects.filter(pk=identifiant).first()

    def lignes_brutes(self) -> list[calcul.LigneDemandee]:
        lignes = []
        for section in self.sections:
            for prestation in section.prestations:
                brut = self[nom_quantite(prestation.code)].value()
                try:
                    quantite = int(str(brut).strip())
                except (TypeError, ValueError):
                    continue
                if not 1 <= quantite <= calcul.QUANTITE_MAX:
                    continue
                intervention = False
                if prestation.accepte_intervention:
                    intervention = bool(self[nom_intervention(prestation.code)].value())
                lignes.append(
                    calcul.LigneDemandee(prestation.code, quantite, intervention)
                )
        return lignes

    def _prevoir_sur_devis(self) -> list[tuple[str, str]]:
        """Les lignes sur devis du chiffrage des données brutes, plus celles
        dont un montant ou une justification a été saisi (rien de ce que
        l'agent a tapé ne se perd, même si une quantité est à corriger)."""
        collectivite = self.collectivite_brute()
        lignes = self.lignes_brutes()
        if collectivite is None or (
            not collectivite.categorie_forcee
            and collectivite.population is None
            and collectivite.agents is None
        ):
            lignes = [
                ligne
                for ligne in lignes
                if not self.grille.prestations[ligne.code].depend_de_la_categorie
            ]
        cles: list[tuple[str, str]] = []
        if lignes:
            try:
                chiffrage = chiffrer_demande(
                    grille=self.grille, collectivite=collectivite, lignes=lignes
                )
            except calcul.ErreurChiffrage:
                chiffrage = None
            if chiffrage is not None:
                cles = lignes_sur_devis(chiffrage)
        codes = set(self.grille.prestations) | {
            d.code for d in self.grille.lignes_derivees
        }
        source = self.data if self.is_bound else self.initial
        for emetteur in calcul.EMETTEURS:
            for code in sorted(codes):
                cle = (emetteur, code)
                if cle in cles:
                    continue
                for nom in (
                    nom_prix(emetteur, code),
                    nom_justification(emetteur, code),
                ):
                    if str(source.get(self.add_prefix(nom), "") or "").strip():
                        cles.append(cle)
                        break
        return cles

    # --- Validation --------------------------------------------------------

    def clean(self):
        donnees = super().clean()
        erreur_quantite = False
        for section in self.sections:
            for prestation in section.prestations:
                nom = nom_quantite(prestation.code)
                if nom in self.errors:
                    erreur_quantite = True
                    continue
                quantite = donnees.get(nom)
                if quantite:
                    self.lignes.append(
                        calcul.LigneDemandee(
                            prestation.code,
                            quantite,
                            bool(donnees.get(nom_intervention(prestation.code))),
                        )
                    )
        if erreur_quantite:
            return donnees
        if not self.lignes:
            self.aucune_ligne = True
            raise ValidationError(MESSAGE_AUCUNE_LIGNE, code="aucune_ligne")
        collectivite = donnees.get("collectivite")
        try:
            base = chiffrer_demande(
                grille=self.grille, collectivite=collectivite, lignes=self.lignes
            )
        except calcul.ErreurChiffrage as exc:
            raise ValidationError(exc.erreurs) from None
        # Un montant lisible entre dans les totaux affichés même si sa
        # justification manque encore ; il n'est enregistré qu'avec elle.
        affiches: PrixManuels = {}
        for emetteur, code in lignes_sur_devis(base):
            champ_prix = nom_prix(emetteur, code)
            champ_justification = nom_justification(emetteur, code)
            if champ_prix not in self.fields or champ_prix in self.errors:
                continue
            montant = donnees.get(champ_prix)
            justification = (donnees.get(champ_justification) or "").strip()
            if montant is not None:
                affiches[(emetteur, code)] = (montant, justification)
            if montant is not None and not justification:
                self.add_error(
                    champ_justification,
                    "Justifiez le montant saisi pour cette ligne sur devis.",
                )
            elif montant is None and justification:
                self.add_error(
                    champ_prix,
                    "Saisissez le montant de cette ligne sur devis "
                    "(ou videz sa justification).",
                )
            elif montant is not None:
                self.prix_manuels[(emetteur, code)] = (montant, justification)
        self.chiffrage = chiffrer_demande(
            grille=self.grille,
            collectivite=collectivite,
            lignes=self.lignes,
            prix_manuels=affiches,
        )
        return donnees

    # --- Aides d'affichage -------------------------------------------------

    @property
    def sections_et_champs(self):
        """[(section, [(prestation, champ quantité, champ intervention ou None)])]."""
        return [
            (
                section,
                [
                    (
                        prestation,
                        self[nom_quantite(prestation.code)],
                        self[nom_intervention(prestation.code)]
                        if prestation.accepte_intervention
                        else None,
                    )
                    for prestation in section.prestations
                ],
            )
            for section in self.sections
        ]

    def erreurs_resumees(self) -> list[str]:
        """Toutes les erreurs, chacune précédée de ce qu'elle concerne."""
        resume = []
        for nom, erreurs in self.errors.items():
            if nom == "__all__":
                resume.extend(erreurs)
                continue
            quoi = self._libelle_de(nom)
            resume.extend(f"{quoi} : {erreur}" for erreur in erreurs)
        return resume

    def erreurs_de_chiffrage(self) -> list[str]:
        """Les erreurs qui empêchent le chiffrage (aperçu en direct) : celles
        des quantités et du moteur, pas le choix de la collectivité ni l'absence
        de ligne, que l'agent est encore en train de saisir."""
        resume = []
        for nom, erreurs in self.errors.items():
            if nom == "__all__":
                resume.extend(e for e in erreurs if e != MESSAGE_AUCUNE_LIGNE)
            elif nom.startswith("quantite_"):
                quoi = self._libelle_de(nom)
                resume.extend(f"{quoi} : {erreur}" for erreur in erreurs)
        return resume

    def _libelle_de(self, nom: str) -> str:
        for prefixe in ("prix_", "justification_"):
            if nom.startswith(prefixe):
                emetteur, _, code = nom.removeprefix(prefixe).partition("_")
                quoi = "Montant" if prefixe == "prix_" else "Justification"
                emetteur = Emetteur(emetteur).label
                return f"{quoi} de « {self._libelle_code(code)} » ({emetteur})"
        if nom.startswith("intervention_"):
            code = nom.removeprefix("intervention_")
            return f"Intervention pour « {self._libelle_code(code)} »"
        return str(self.fields[nom].label) if nom in self.fields else nom

    def _libelle_code(self, code: str) -> str:
        prestation = self.grille.prestations.get(code)
        if prestation is not None:
            return prestation.libelle
        for derivee in self.grille.lignes_derivees:
            if derivee.code == code:
                return derivee.libelle
        return code

    def champs_prix(self, emetteur: str, code: str):
        """(champ montant, champ justification) d'une ligne sur devis, ou None."""
        nom = nom_prix(emetteur, code)
        if nom not in self.fields:
            return None
        return self[nom], self[nom_justification(emetteur, code)]


def initial_depuis_demande(demande: DemandeDevis) -> dict:
    """Les valeurs du formulaire d'une demande : quantités demandées et prix
    saisis sur les lignes « sur devis » de ses brouillons."""
    initial: dict = {
        "collectivite": demande.collectivite_id,
        "commentaire": demande.commentaire,
    }
    for ligne in demande.lignes_demandees or []:
        code = ligne.get("code")
        if not code:
            continue
        initial[nom_quantite(code)] = ligne.get("quantite")
        if ligne.get("intervention"):
            initial[nom_intervention(code)] = True
    for devis in demande.devis.all():
        for ligne in devis.lignes.all():
            if ligne.prix_manuel and ligne.montant is not None:
                emetteur = devis.emetteur.code
                initial[nom_prix(emetteur, ligne.code)] = ligne.montant
                initial[nom_justification(emetteur, ligne.code)] = ligne.justification
    return initial


# --- Actions sur un devis ----------------------------------------------------


class MotifForm(forms.Form):
    motif = forms.CharField(
        label="Motif",
        max_length=2000,
        validators=[valider_texte],
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": "Indiquez le motif.",
            "max_length": "Le motif ne dépasse pas %(limit_value)d caractères.",
        },
    )


class AnnulationForm(MotifForm):
    prefix = "annulation"


class RefusForm(MotifForm):
    prefix = "refus"


class AcceptationForm(forms.Form):
    prefix = "acceptation"

    signataire_nom = forms.CharField(
        label="Nom du signataire",
        max_length=200,
        validators=[valider_ligne],
        error_messages={
            "required": "Indiquez le nom du signataire.",
            "max_length": "Le nom ne dépasse pas %(limit_value)d caractères.",
        },
    )
    signataire_qualite = forms.CharField(
        label="Qualité du signataire",
        max_length=200,
        validators=[valider_ligne],
        help_text="Par exemple : Maire, Président, adjoint délégué.",
        error_messages={
            "required": "Indiquez la qualité du signataire (maire, président…).",
            "max_length": "La qualité ne dépasse pas %(limit_value)d caractères.",
        },
    )
    # Seulement pour un devis qui comporte des clés de signature (avec_cle).
    titulaire_cle_nom = forms.CharField(
        label="Titulaire de la clé de signature",
        required=False,
        max_length=200,
        validators=[valider_ligne],
        help_text="Facultatif : à défaut, le CDG le demandera à la remise de la clé.",
        error_messages={
            "max_length": "Le nom ne dépasse pas %(limit_value)d caractères."
        },
    )
    titulaire_cle_fonction = forms.CharField(
        label="Fonction du titulaire de la clé",
        required=False,
        max_length=200,
        validators=[valider_ligne],
        help_text="Par exemple : Maire, secrétaire de mairie.",
        error_messages={
            "max_length": "La fonction ne dépasse pas %(limit_value)d caractères."
        },
    )

    def __init__(self, *args, avec_cle: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not avec_cle:
            del self.fields["titulaire_cle_nom"]
            del self.fields["titulaire_cle_fonction"]

    def clean(self):
        donnees = super().clean()
        if "titulaire_cle_nom" not in self.fields:
            return donnees
        nom = donnees.get("titulaire_cle_nom", "")
        fonction = donnees.get("titulaire_cle_fonction", "")
        if nom and not fonction:
            self.add_error(
                "titulaire_cle_fonction", "Indiquez la fonction du titulaire de la clé."
            )
        if fonction and not nom:
            self.add_error(
                "titulaire_cle_nom", "Indiquez le nom du titulaire de la clé."
            )
        return donnees

    @property
    def titulaire_cle(self) -> tuple[str, str] | None:
        nom = self.cleaned_data.get("titulaire_cle_nom", "")
        fonction = self.cleaned_data.get("titulaire_cle_fonction", "")
        return (nom, fonction) if nom and fonction else None


# --- Portail des collectivités ---------------------------------------------
# Le bon pour accord reprend l'acceptation du back office (nom et qualité du
# signataire) et y ajoute l'engagement exigé d'un signataire en ligne.

MESSAGE_ENGAGEMENT = (
    "Cochez « J'ai qualité pour engager la collectivité » pour donner le bon "
    "pour accord."
)


class AccordPortailForm(AcceptationForm):
    """Bon pour accord donné en ligne par un membre *signataire*."""

    engagement = forms.BooleanField(
        label="J'ai qualité pour engager la collectivité",
        required=True,
        error_messages={"required": MESSAGE_ENGAGEMENT},
    )


class RefusPortailForm(RefusForm):
    """Refus d'un devis : le motif est obligatoire."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        motif = self.fields["motif"]
        motif.label = "Motif du refus"
        motif.error_messages["required"] = "Indiquez le motif du refus."
