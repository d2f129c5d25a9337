from django.contrib.auth import views as auth_views
from django.urls import path

from conventions.forms import ConnexionForm

urlpatterns = [
    path(
        "connexion/",
        auth_views.LoginView.as_view(
            authentication_form=ConnexionForm, redirect_authenticated_user=True
        ),
        name="connexion",
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="deconnexion"),
]
