"""Devis dans le back office (``/gestion/devis/``)."""

from django.urls import path

from devis import views_gestion as vues

app_name = "devis"

urlpatterns = [
    path("", vues.liste, name="liste"),
    path("nouveau", vues.nouveau, name="nouveau"),
    path("chiffrage", vues.chiffrage, name="chiffrage"),
    path("demandes/<int:pk>/modifier", vues.demande_modifier, name="demande_modifier"),
    path("<int:pk>/", vues.detail, name="detail"),
    path("<int:pk>/pdf", vues.pdf, name="pdf"),
    path("<int:pk>/apercu.pdf", vues.apercu, name="apercu"),
    path("<int:pk>/supprimer", vues.supprimer, name="supprimer"),
    path("<int:pk>/emettre", vues.emettre, name="emettre"),
    path("<int:pk>/annuler", vues.annuler, name="annuler"),
    path("<int:pk>/accepter", vues.accepter, name="accepter"),
    path("<int:pk>/refuser", vues.refuser, name="refuser"),
    path("<int:pk>/dupliquer", vues.dupliquer, name="dupliquer"),
    path("<int:pk>/reviser", vues.reviser, name="reviser"),
    path("<int:pk>/envoyer", vues.envoyer, name="envoyer"),
]
