"""Mise en forme française des montants, nombres et dates (sans base de données)."""

import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone

from conventions.formats import format_date, format_euros, format_nombre

NBSP = "\u00a0"
PARIS = "Europe/Paris"


@pytest.mark.parametrize(
    ("valeur", "attendu"),
    [
        (0, f"0,00{NBSP}€"),
        (Decimal("0"), f"0,00{NBSP}€"),
        (Decimal("1234.56"), f"1{NBSP}234,56{NBSP}€"),
        (Decimal("1000000"), f"1{NBSP}000{NBSP}000,00{NBSP}€"),
        (Decimal("0.005"), f"0,01{NBSP}€"),
        (Decimal("0.004"), f"0,00{NBSP}€"),
        (Decimal("2.675"), f"2,68{NBSP}€"),
        (Decimal("-0.005"), f"-0,01{NBSP}€"),
        (Decimal("-0.004"), f"0,00{NBSP}€"),
        (Decimal("-12.5"), f"-12,50{NBSP}€"),
        (Decimal("-1234.56"), f"-1{NBSP}234,56{NBSP}€"),
        (Decimal("999.995"), f"1{NBSP}000,00{NBSP}€"),
        (
            Decimal("123456789012345678901234567890.125"),
            f"123{NBSP}456{NBSP}789{NBSP}012{NBSP}345{NBSP}678{NBSP}901{NBSP}"
            f"234{NBSP}567{NBSP}890,13{NBSP}€",
        ),
        (26, f"26,00{NBSP}€"),
        (-7, f"-7,00{NBSP}€"),
        ("1234.5", f"1{NBSP}234,50{NBSP}€"),
        ("1234,5", f"1{NBSP}234,50{NBSP}€"),
        (None, "—"),
        ("", "—"),
    ],
)
def test_format_euros(valeur, attendu):
    assert format_euros(valeur) == attendu


@pytest.mark.parametrize("valeur", ["abc", "1.234,56", Decimal("NaN"), "Infinity"])
def test_format_euros_refuse_valeur_illisible(valeur):
    with pytest.raises(ValueError):
        format_euros(valeur)


@pytest.mark.parametrize("valeur", [True, object()])
def test_format_euros_refuse_type(valeur):
    with pytest.raises(TypeError):
        format_euros(valeur)


@pytest.mark.parametrize(
    ("valeur", "attendu"),
    [
        (0, "0"),
        (26, "26"),
        (999, "999"),
        (1000, f"1{NBSP}000"),
        (12345, f"12{NBSP}345"),
        (1234567, f"1{NBSP}234{NBSP}567"),
        (-12345, f"-12{NBSP}345"),
        (Decimal("12345"), f"12{NBSP}345"),
        (Decimal("12345.00"), f"12{NBSP}345"),
        (Decimal("2.50"), "2,5"),
        (Decimal("1234.5"), f"1{NBSP}234,5"),
        (Decimal("-0.0"), "0"),
        (Decimal("1E+3"), f"1{NBSP}000"),
        ("12345", f"12{NBSP}345"),
        (None, "—"),
    ],
)
def test_format_nombre(valeur, attendu):
    assert format_nombre(valeur) == attendu


@pytest.mark.parametrize(
    ("valeur", "attendu"),
    [
        (datetime.date(2024, 3, 26), "26 mars 2024"),
        (datetime.date(2024, 1, 1), "1er janvier 2024"),
        (datetime.date(2024, 2, 29), "29 février 2024"),
        (datetime.date(2025, 8, 15), "15 août 2025"),
        (datetime.date(2025, 12, 31), "31 décembre 2025"),
        (datetime.datetime(2024, 3, 26, 23, 59), "26 mars 2024"),
        ("2024-03-26", "26 mars 2024"),
        (None, "—"),
        ("", "—"),
    ],
)
def test_format_date(valeur, attendu):
    assert format_date(valeur) == attendu


def test_format_date_datetime_conscient_converti_en_heure_locale():
    # 31 mars 2024, 22 h 30 UTC = 1er avril, 0 h 30 à Paris (heure d'été).
    instant = datetime.datetime(2024, 3, 31, 22, 30, tzinfo=datetime.UTC)
    with timezone.override(PARIS):
        assert format_date(instant) == "1er avril 2024"
    with timezone.override("UTC"):
        assert format_date(instant) == "31 mars 2024"


@pytest.mark.parametrize("valeur", [12, 3.5])
def test_format_date_refuse_type(valeur):
    with pytest.raises(TypeError):
        format_date(valeur)


@pytest.mark.parametrize(
    ("gabarit", "contexte", "attendu"),
    [
        ("{{ v|euros }}", {"v": Decimal("1234.56")}, f"1{NBSP}234,56{NBSP}€"),
        ("{{ v|euros }}", {"v": None}, "—"),
        ("{{ v|euros }}", {}, "—"),
        ("{{ v|euros }}", {"v": "<b>x</b>"}, "&lt;b&gt;x&lt;/b&gt;"),
        ("{{ v|nombre_fr }}", {"v": 12345}, f"12{NBSP}345"),
        ("{{ v|date_fr }}", {"v": datetime.date(2024, 3, 26)}, "26 mars 2024"),
        ("{{ v|date_fr }}", {"v": None}, "—"),
        ("{{ v|date_fr }}", {"v": "pas une date"}, "pas une date"),
    ],
)
def test_filtres_de_gabarit(gabarit, contexte, attendu):
    rendu = Template("{% load format_fr %}" + gabarit).render(Context(contexte))
    assert rendu == attendu
