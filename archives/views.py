"""Back office des archives : lancement d'un export, progression, rapport et
téléchargement du ZIP (agents du CDG seulement)."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from archives import selectors, services
from archives.forms import ExportArchiveForm
from archives.models import ExportArchive
from conventions.access import agent_requis
from conventions.fichiers import empreinte_sha256

journal = logging.getLogger(__name__)


@agent_requis
def exports(request, form=None):
    return render(
        request,
        "archives/gestion/exports.html",
        {"form": form or ExportArchiveForm(), "exports": selectors.exports_recents()},
    )


@agent_requis
@require_POST
def export_lancer(request):
    form = ExportArchiveForm(request.POST)
    if form.is_valid():
        try:
            export = services.export_lancer(
                du=form.cleaned_data["du"], au=form.cleaned_data["au"], par=request.user
            )
        except ValidationError as erreur:
            form.add_error(None, erreur)
        else:
            messages.success(
                request,
                "L'export est lancé : la page suit sa progression, le ZIP se "
                "télécharge une fois terminé.",
            )
            return redirect("archives:export", pk=export.pk)
    return exports(request, form=form)


@agent_requis
def export(request, pk: int):
    export = get_object_or_404(ExportArchive.objects.select_related("lance_par"), pk=pk)
    return render(request, "archives/gestion/export.html", {"export": export})


@agent_requis
def export_progression(request, pk: int):
    """Le fragment de progression, relu par htmx tant que l'export tourne."""
    export = get_object_or_404(ExportArchive, pk=pk)
    return render(request, "archives/gestion/_progression.html", {"export": export})


@agent_requis
def export_telecharger(request, pk: int):
    """Le ZIP terminé, servi s'il est toujours celui enregistré (SHA-256 relu
    au fil de l'eau : une archive de plusieurs Go ne passe pas en mémoire)."""
    export = get_object_or_404(ExportArchive, pk=pk)
    if not export.telechargeable:
        raise Http404("Cette archive n'est pas (ou pas encore) disponible.")
    stockage, nom = export.fichier.storage, export.fichier.name
    try:
        with stockage.open(nom, "rb") as ouvert:
            lue = empreinte_sha256(ouvert)
        fichier = stockage.open(nom, "rb")
    except FileNotFoundError:
        journal.error("Archive stockée introuvable : %s", nom)
        raise Http404("Le fichier de cette archive est introuvable.") from None
    if lue != export.sha256:
        fichier.close()
        journal.error(
            "Archive stockée altérée, non servie : %s (SHA-256 attendu %s, lu %s)",
            nom,
            export.sha256,
            lue,
        )
        return render(
            request,
            "document_altere.html",
            {"nom": export.nom_telechargement},
            status=409,
        )
    reponse = FileResponse(
        fichier,
        as_attachment=True,
        filename=export.nom_telechargement,
        content_type="application/zip",
    )
    reponse["Cache-Control"] = "private, no-store"
    return reponse
