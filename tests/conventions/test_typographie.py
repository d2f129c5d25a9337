"""Filtre ``typo`` : typographie française des PDF (Imprimerie nationale)."""

from django.template import Context, Template
from django.utils.safestring import SafeData, mark_safe

from conventions.templatetags.typographie import typo

NBSP = "\u00a0"
FINE = "\u202f"


def test_espace_fine_insecable_avant_point_virgule_interrogation_exclamation():
    assert typo("Oui; non? Si!") == f"Oui{FINE}; non{FINE}? Si{FINE}!"


def test_espace_insecable_avant_deux_points():
    assert typo("Nom: Dupont") == f"Nom{NBSP}: Dupont"


def test_espaces_existantes_remplacees_sans_doublon():
    assert typo("Nom  : Dupont ; oui \u00a0!") == f"Nom{NBSP}: Dupont{FINE}; oui{FINE}!"
    assert typo(f"Nom{NBSP}: x") == f"Nom{NBSP}: x"


def test_guillemets_francais_avec_espaces_insecables_interieures():
    assert typo("ensemble « les Parties »") == f"ensemble «{NBSP}les Parties{NBSP}»"
    assert typo("«Mairie Connectée»") == f"«{NBSP}Mairie Connectée{NBSP}»"


def test_apostrophe_droite_remplacee_et_echappement_preserve():
    assert typo("l'article") == "l\u2019article"
    resultat = typo("<b>d'Arras</b>")
    assert isinstance(resultat, SafeData)
    assert resultat == "&lt;b&gt;d\u2019Arras&lt;/b&gt;"


def test_heure_et_url_non_modifiees():
    assert typo("à 10:30") == "à 10:30"
    assert typo("https://exemple.fr/l'a?b=1 x") == "https://exemple.fr/l&#x27;a?b=1 x"


def test_attributs_html_intacts_dans_un_bloc_sur():
    html = mark_safe('<a href="/p?x=1" title="l\'a : b">Voir : ici</a>')
    assert typo(html) == f'<a href="/p?x=1" title="l\'a : b">Voir{NBSP}: ici</a>'


def test_entites_non_coupees_par_la_regle_du_point_virgule():
    assert typo("A & B ; C") == f"A &amp; B{FINE}; C"


def test_signe_apres_balise_dans_un_bloc():
    gabarit = Template(
        "{% load typographie %}{% filter typo %}"
        "<strong>{{ n }}</strong> : ok{% endfilter %}"
    )
    assert (
        gabarit.render(Context({"n": "Duquenoy"}))
        == f"<strong>Duquenoy</strong>{NBSP}: ok"
    )


def test_montant_inchange():
    assert typo("1\u00a0234,50\u00a0€") == "1\u00a0234,50\u00a0€"


def test_none_donne_chaine_vide():
    assert typo(None) == ""
