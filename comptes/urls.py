"""Connexion, déconnexion et mots de passe (vues d'authentification de Django)."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from comptes.forms import ConnexionForm

urlpatterns = [
    path(
        "connexion/",
        auth_views.LoginView.as_view(
            authentication_form=ConnexionForm, redirect_authenticated_user=True
        ),
        name="connexion",
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="deconnexion"),
    path(
        "mot-de-passe/changer/",
        auth_views.PasswordChangeView.as_view(
            success_url=reverse_lazy("mot_de_passe_change")
        ),
        name="mot_de_passe_changer",
    ),
    path(
        "mot-de-passe/change/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="mot_de_passe_change",
    ),
    path(
        "mot-de-passe/reinitialisation/",
        auth_views.PasswordResetView.as_view(
            success_url=reverse_lazy("mot_de_passe_reinitialisation_envoyee"),
            subject_template_name="registration/password_reset_subject.txt",
            email_template_name="registration/password_reset_email.txt",
        ),
        name="mot_de_passe_reinitialiser",
    ),
    path(
        "mot-de-passe/reinitialisation/envoyee/",
        auth_views.PasswordResetDoneView.as_view(),
        name="mot_de_passe_reinitialisation_envoyee",
    ),
    path(
        "mot-de-passe/reinitialisation/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("mot_de_passe_reinitialise")
        ),
        name="mot_de_passe_reinitialisation_confirmer",
    ),
    path(
        "mot-de-passe/reinitialisation/terminee/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="mot_de_passe_reinitialise",
    ),
]
