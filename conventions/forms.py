from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from stdnum import exceptions as stdnum_exceptions
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from conventions.fichiers import TAILLE_MAX_SCAN, verifier_pdf
from conventions.models import Collectivite, Signature
from conventions.recherche import normaliser
from conventions.referentiel_chargement import (
    commune_du_referentiel,
    referentiel_officiel,
)
from conventions.services import CHAMPS_COLLECTIVITE

# --- Back office : collectivités et conventions ---------------------------
# Les formulaires valident ; les écritures passent par conventions.services.


# [0-9] et non \d : \d accepte aussi les chiffres arabes, persans, etc.
CODE_INSEE = re.compile(r"^([0-9]{5}|2[AB][0-9]{3})$")
CODE_POSTAL = re.compile(r"^[0-9]{5}$")
TELEPHONE = re.compile(r"^\+?[0-9 .()-]{10,20}$")

# Caractères de contrôle et commandes de direction du texte (U+202A à U+202E,
# U+2066 à U+2069) : invisibles à l'écran, ils falsifient l'affichage d'un nom
# (« Ruitz\u202efdp.exe » s'affiche « Ruitzexe.pdf ») ; une fin de ligne dans un
# nom casse l'en-tête d'un courriel (le sujet des notifications) ; un NUL est
# refusé par PostgreSQL. Un texte sur plusieurs lignes garde tabulations et
# fins de ligne.
_DIRECTION = r"\u202a-\u202e\u2066-\u2069"
_CONTROLES_LIGNE = re.compile(rf"[\x00-\x1f\x7f-\x9f\u2028\u2029{_DIRECTION}]")
_CONTROLES_TEXTE = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_DIRECTION}]")


def valider_ligne(valeur: str) -> None:
    """Un texte d'une ligne (nom, qualité, adresse…) sans caractère invisible."""
    if valeur and _CONTROLES_LIGNE.search(valeur):
        raise ValidationError(
            "Ce champ contient un caractère invisible ou de contrôle (retour à la "
            "ligne, tabulation, caractère de direction du texte…) : retirez-le.",
            code="controle",
        )


def valider_texte(valeur: str) -> None:
    """Un texte libre (motif, commentaire…) : fins de ligne permises, pas les
    autres caractères de contrôle ni les commandes de direction du texte."""
    if valeur and _CONTROLES_TEXTE.search(valeur):
        raise ValidationError(
            "Ce texte contient un caractère invisible ou de contrôle (caractère "
            "d'échappement, de direction du texte…) : retirez-le.",
            code="controle",
        )


class ChampDate(forms.DateField):
    """Date saisie avec le sélecteur du navigateur (AAAA-MM-JJ) ou en JJ/MM/AAAA."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    input_formats = ["%Y-%m-%d", "%d/%m/%Y"]
    default_error_messages = {
        "invalid": "Saisissez une date valide (JJ/MM/AAAA).",
        "required": "Indiquez la date.",
    }


def _sans_espaces(valeur: str) -> str:
    return re.sub(r"[\s.]", "", valeur or "")


def _numero_valide(valeur: str, module, nom: str, longueur: int) -> str:
    """SIREN ou SIRET contrôlé par python-stdnum (longueur, chiffres, clé de Luhn)."""
    valeur = _sans_espaces(valeur)
    if not valeur:
        return ""
    try:
        return module.validate(valeur)
    except stdnum_exceptions.InvalidLength as erreur:  # avant InvalidFormat (parente)
        raise ValidationError(
            f"Le {nom} compte {longueur} chiffres ({len(valeur)} saisis)."
        ) from erreur
    except stdnum_exceptions.InvalidFormat as erreur:
        raise ValidationError(f"Le {nom} ne contient que des chiffres.") from erreur
    except stdnum_exceptions.ValidationError as erreur:
        raise ValidationError(
            f"Ce {nom} n'est pas valide (clé de contrôle incorrecte) : "
            "vérifiez la saisie."
        ) from erreur


class CollectiviteForm(forms.ModelForm):
    """Identité et chiffres d'une collectivité (création et modification)."""

    class Meta:
        model = Collectivite
        fields = CHAMPS_COLLECTIVITE
        labels = {
            "nom": "Nom",
            "adresse": "Adresse",
            "ville": "Commune (adresse)",
        }
        help_texts = {
            "siren": "9 chiffres.",
            "siret": "14 chiffres (SIREN + NIC).",
            "code_insee": "Code officiel géographique de la commune, ex. 62737.",
            "population": "Population totale INSEE (communes et EPCI).",
            "agents": "Pour les établissements sans population (CCAS, syndicat…).",
        }
        widgets = {
            "agents_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        error_messages = {
            "nom": {"required": "Indiquez le nom de la collectivité."},
            "population": {
                "min_value": "La population ne peut pas être négative.",
                "invalid": "Saisissez un nombre entier d'habitants.",
            },
            "agents": {
                "min_value": "Le nombre d'agents ne peut pas être négatif.",
                "invalid": "Saisissez un nombre entier d'agents.",
            },
            "agents_date": {"invalid": "Saisissez une date valide (JJ/MM/AAAA)."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # La collectivité déjà présente qu'une saisie voudrait doubler (la page
        # affiche le lien vers sa fiche).
        self.doublon: Collectivite | None = None
        # Le nom d'une commune vient du référentiel : il peut rester vide.
        self.fields["nom"].required = False
        self.fields[
            "nom"
        ].help_text = (
            "Pour une commune, repris du référentiel officiel d'après le code INSEE."
        )
        self.fields["agents_date"].input_formats = ["%Y-%m-%d", "%d/%m/%Y"]
        for champ in self.fields.values():
            if isinstance(champ, forms.CharField):
                champ.validators.append(valider_ligne)

    def _doublon(self, **filtre) -> Collectivite | None:
        autres = Collectivite.objects.filter(**filtre)
        if self.instance.pk:
            autres = autres.exclude(pk=self.instance.pk)
        return autres.first()

    def clean_siren(self) -> str:
        return _numero_valide(self.cleaned_data.get("siren"), stdnum_siren, "SIREN", 9)

    def clean_siret(self) -> str:
        return _numero_valide(self.cleaned_data.get("siret"), stdnum_siret, "SIRET", 14)

    def clean_code_insee(self) -> str:
        code = _sans_espaces(self.cleaned_data.get("code_insee")).upper()
        if code and not CODE_INSEE.match(code):
            raise ValidationError(
                "Le code INSEE compte 5 caractères : 5 chiffres, ou 2A / 2B suivi "
                "de 3 chiffres pour la Corse."
            )
        return code

    def clean_code_postal(self) -> str:
        code = _sans_espaces(self.cleaned_data.get("code_postal"))
        if code and not CODE_POSTAL.match(code):
            raise ValidationError("Le code postal compte 5 chiffres.")
        return code

    def clean_population_annee(self) -> int | None:
        annee = self.cleaned_data.get("population_annee")
        if annee is not None and not 1900 <= annee <= timezone.localdate().year:
            raise ValidationError(
                "L'année de la population doit être comprise entre 1900 et "
                "l'année en cours."
            )
        return annee

    def clean_agents_date(self):
        # Comme l'année de la population : un effectif constaté, donc passé.
        jour = self.cleaned_data.get("agents_date")
        if jour is not None and jour > timezone.localdate():
            raise ValidationError(
                "La date du nombre d'agents ne peut pas être dans le futur."
            )
        return jour

    def clean_emails_contact(self) -> str:
        adresses = [
            a.strip()
            for a in re.split(r"[,;\s]+", self.cleaned_data.get("emails_contact", ""))
            if a.strip()
        ]
        for adresse in adresses:
            try:
                validate_email(adresse)
            except ValidationError as erreur:
                raise ValidationError(
                    f"« {adresse} » n'est pas une adresse électronique valide."
                ) from erreur
        return ", ".join(adresses)

    def clean_telephone(self) -> str:
        telephone = (self.cleaned_data.get("telephone") or "").strip()
        if telephone and not TELEPHONE.match(telephone):
            raise ValidationError(
                "Saisissez un numéro de téléphone, ex. 03 21 00 00 00."
            )
        return telephone

    def clean(self):
        donnees = super().clean()
        siren, siret = donnees.get("siren"), donnees.get("siret")
        if siret and not siren and "siren" not in self.errors:
            # Le SIREN se lit dans les 9 premiers chiffres du SIRET.
            donnees["siren"] = siren = siret[:9]
        if siren and siret and not siret.startswith(siren):
            self.add_error("siret", f"Le SIRET doit commencer par le SIREN ({siren}).")
        if donnees.get("type") == Collectivite.Type.COMMUNE:
            if not donnees.get("code_insee") and "code_insee" not in self.errors:
                self.add_error(
                    "code_insee", "Le code INSEE est obligatoire pour une commune."
                )
            elif "code_insee" not in self.errors and self._referentiel_a_verifier():
                self._depuis_le_referentiel(donnees)
        if not donnees.get("nom") and "nom" not in self.errors:
            self.add_error("nom", "Indiquez le nom de la collectivité.")
        for champ, libelle in (("siren", "SIREN"), ("siret", "SIRET")):
            valeur = donnees.get(champ)
            if valeur and champ not in self.errors:
                autre = self._doublon(**{champ: valeur})
                if autre:
                    self.add_error(champ, f"Ce {libelle} est déjà celui de {autre}.")
        code_insee = donnees.get("code_insee")
        if (
            code_insee
            and donnees.get("type") == Collectivite.Type.COMMUNE
            and "code_insee" not in self.errors
        ):
            autre = self._doublon(type=Collectivite.Type.COMMUNE, code_insee=code_insee)
            if autre:
                self.doublon = autre
                self.add_error(
                    "code_insee",
                    f"Ce code INSEE est déjà celui de {autre} : la commune existe "
                    "déjà (lien vers sa fiche ci-dessus).",
                )
        return donnees

    def _referentiel_a_verifier(self) -> bool:
        """À la création d'une commune, ou quand le type ou le code INSEE d'une
        collectivité change (une fiche ancienne garde son code tant qu'on n'y
        touche pas)."""
        if not self.instance.pk:
            return True
        return bool({"type", "code_insee"} & set(self.changed_data))

    def _depuis_le_referentiel(self, donnees: dict) -> None:
        """Une commune ne se crée que depuis le référentiel officiel du 62 : le
        code INSEE doit y être ; nom et SIREN en sont repris (ou vérifiés)."""
        code = donnees["code_insee"]
        commune = commune_du_referentiel(code)
        if commune is None:
            millesime = referentiel_officiel()["millesime"]
            self.add_error(
                "code_insee",
                f"Le code INSEE {code} n'existe pas dans le référentiel officiel "
                f"des communes du Pas-de-Calais (millésime {millesime}).",
            )
            return
        nom = donnees.get("nom") or ""
        if not nom:
            donnees["nom"] = commune["nom"]
        elif normaliser(nom) != normaliser(commune["nom"]):
            self.add_error(
                "nom",
                f"La commune de code INSEE {code} s'appelle « {commune['nom']} » "
                "dans le référentiel officiel.",
            )
        siren = donnees.get("siren")
        if not siren and "siren" not in self.errors:
            donnees["siren"] = commune["siren"]
        elif siren and siren != commune["siren"]:
            self.add_error(
                "siren",
                f"Le SIREN de {commune['nom']} est {commune['siren']} dans le "
                "référentiel officiel.",
            )
        if donnees.get("population") is None:
            donnees["population"] = commune["population_totale"]
            donnees["population_annee"] = referentiel_officiel()["millesime"]


class _IdentifiantsPropres:
    """Plusieurs formulaires d'action cohabitent sur une fiche : chacun préfixe
    les ``id`` de ses champs (les noms envoyés restent inchangés) pour que
    chaque étiquette désigne le bon champ."""

    prefixe_id = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"id_{self.prefixe_id}_%s")
        super().__init__(*args, **kwargs)


class ForcageCategorieForm(_IdentifiantsPropres, forms.Form):
    """Forcer la catégorie : un motif écrit est obligatoire (il est journalisé)."""

    prefixe_id = "forcage"

    categorie = forms.ChoiceField(
        label="Catégorie imposée",
        error_messages={
            "required": "Choisissez la catégorie.",
            "invalid_choice": "Cette catégorie n'existe pas dans la grille en vigueur.",
        },
    )
    motif = forms.CharField(
        label="Motif du forçage",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        validators=[valider_texte],
        help_text="Obligatoire : il figure dans l'historique de la collectivité.",
        error_messages={"required": "Indiquez le motif du forçage de la catégorie."},
    )

    def __init__(self, *args, codes: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categorie"].choices = [("", "—")] + [(c, c) for c in codes]


class SignatureForm(_IdentifiantsPropres, forms.Form):
    """Signature d'une partie : qui a signé, en quelle qualité, à quelle date."""

    prefixe_id = "signature"

    partie = forms.ChoiceField(
        label="Partie",
        error_messages={
            "required": "Choisissez la partie qui a signé.",
            "invalid_choice": "Cette partie a déjà signé ou n'existe pas.",
        },
    )
    signataire_nom = forms.CharField(
        label="Nom du signataire",
        max_length=200,
        validators=[valider_ligne],
        error_messages={"required": "Indiquez le nom du signataire."},
    )
    signataire_qualite = forms.CharField(
        label="Qualité du signataire",
        max_length=200,
        validators=[valider_ligne],
        help_text="Ex. Maire, Président, Adjoint délégué.",
        error_messages={"required": "Indiquez la qualité du signataire."},
    )
    date = ChampDate(
        label="Date de signature",
        error_messages={"required": "Indiquez la date de signature."},
    )

    def __init__(self, *args, parties: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        parties = Signature.Partie.values if parties is None else parties
        self.fields["partie"].choices = [("", "—")] + [
            (p, Signature.Partie(p).label) for p in parties
        ]

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise ValidationError(
                "La date de signature ne peut pas être dans le futur."
            )
        return date


class ScanForm(_IdentifiantsPropres, forms.Form):
    """Dépôt du scan signé : un PDF contrôlé (voir conventions.fichiers)."""

    prefixe_id = "scan"

    fichier = forms.FileField(
        label="Scan signé (PDF)",
        help_text=f"PDF non protégé, {TAILLE_MAX_SCAN // (1024 * 1024)} Mo au plus.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
        error_messages={
            "required": "Choisissez le fichier PDF à déposer.",
            "empty": "Le fichier est vide.",
        },
    )

    def clean_fichier(self):
        fichier = self.cleaned_data["fichier"]
        verifier_pdf(fichier)
        return fichier


class ResiliationForm(_IdentifiantsPropres, forms.Form):
    prefixe_id = "resiliation"

    date = ChampDate(
        label="Date de résiliation",
        error_messages={"required": "Indiquez la date de la résiliation."},
    )
    motif = forms.CharField(
        label="Motif de la résiliation",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        validators=[valider_texte],
        error_messages={"required": "Indiquez le motif de la résiliation."},
    )


class ExpirationForm(_IdentifiantsPropres, forms.Form):
    prefixe_id = "expiration"

    date = ChampDate(
        label="Date de fin",
        help_text="Date à laquelle la convention est arrivée à son terme.",
        error_messages={"required": "Indiquez la date de fin."},
    )

    def clean_date(self):
        # On constate une fin arrivée, on ne la programme pas.
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise ValidationError(
                "La date de fin ne peut pas être dans le futur : on constate "
                "l'expiration d'une convention arrivée à son terme."
            )
        return date
