/*
 * Comportements communs de l'application CDG 62.
 *
 * Aucun gestionnaire inline (onclick=…) ni script inline : la future CSP les
 * interdit. Tout passe par des attributs data-* et des écouteurs délégués.
 *
 * - data-confirm="Message" sur un <form>, un <button>, un <input type=submit>
 *   ou un <a> : demande confirmation (window.confirm) avant d'agir. Les
 *   écouteurs sont en phase de capture : un refus bloque aussi htmx et
 *   Bootstrap. Pour un élément htmx, hx-confirm reste utilisable.
 * - .table-responsive : un tableau plus large que son cadre défile ; le cadre
 *   devient alors atteignable au clavier (tabindex="0", role="region", nommé
 *   d'après la légende du tableau) pour qu'on puisse le faire défiler sans
 *   souris (RGAA 7.3, WCAG 2.1.1). Recalculé au chargement, après chaque
 *   échange htmx et au redimensionnement de la fenêtre.
 * - htmx : ajoute l'en-tête X-CSRFToken lu dans <meta name="csrf-token">.
 *   La configuration (allowEval: false, includeIndicatorStyles: false) est
 *   donnée par <meta name="htmx-config"> dans base.html.
 */
(function () {
  "use strict";

  var SELECTEUR_DECLENCHEUR =
    "a[data-confirm], button[data-confirm], input[type='submit'][data-confirm]," +
    " input[type='image'][data-confirm]";

  function confirme(element) {
    var message = element.getAttribute("data-confirm");
    return !message || window.confirm(message);
  }

  function bloque(evenement) {
    evenement.preventDefault();
    evenement.stopImmediatePropagation();
  }

  // Clic (ou Entrée / Espace, qui produisent un clic) sur un lien ou un bouton.
  document.addEventListener(
    "click",
    function (evenement) {
      var cible = evenement.target;
      if (!(cible instanceof Element)) {
        return;
      }
      var declencheur = cible.closest(SELECTEUR_DECLENCHEUR);
      if (!declencheur || declencheur.disabled) {
        return;
      }
      if (!confirme(declencheur)) {
        bloque(evenement);
      }
    },
    true
  );

  // Soumission d'un formulaire portant data-confirm. Si le bouton utilisé porte
  // lui-même data-confirm, la question a déjà été posée au clic.
  document.addEventListener(
    "submit",
    function (evenement) {
      var formulaire = evenement.target;
      if (!(formulaire instanceof HTMLFormElement)) {
        return;
      }
      if (!formulaire.hasAttribute("data-confirm")) {
        return;
      }
      var bouton = evenement.submitter;
      if (bouton && bouton.hasAttribute("data-confirm")) {
        return;
      }
      if (!confirme(formulaire)) {
        bloque(evenement);
      }
    },
    true
  );

  // Cadres de tableaux qui défilent : atteignables au clavier.
  function nomDuCadre(cadre) {
    var legende = cadre.querySelector("caption");
    var texte = legende ? legende.textContent.replace(/\s+/g, " ").trim() : "";
    return (texte || "Tableau") + " (défilement horizontal)";
  }

  function marqueLesCadresDefilants() {
    var cadres = document.querySelectorAll(".table-responsive");
    for (var i = 0; i < cadres.length; i++) {
      var cadre = cadres[i];
      var defile = cadre.scrollWidth > cadre.clientWidth + 1;
      if (defile && !cadre.hasAttribute("data-defilant")) {
        cadre.setAttribute("data-defilant", "");
        cadre.setAttribute("tabindex", "0");
        cadre.setAttribute("role", "region");
        cadre.setAttribute("aria-label", nomDuCadre(cadre));
      } else if (!defile && cadre.hasAttribute("data-defilant")) {
        cadre.removeAttribute("data-defilant");
        cadre.removeAttribute("tabindex");
        cadre.removeAttribute("role");
        cadre.removeAttribute("aria-label");
      }
    }
  }

  // Les scripts sont chargés avec « defer » : le document est déjà analysé.
  // Les largeurs changent encore au chargement des polices : on recompte alors.
  marqueLesCadresDefilants();
  window.addEventListener("load", marqueLesCadresDefilants);
  // htmx:afterSwap est émis dans la même tâche que l'insertion du contenu.
  document.addEventListener("htmx:afterSwap", marqueLesCadresDefilants);
  var attenteRedimensionnement = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(attenteRedimensionnement);
    attenteRedimensionnement = window.setTimeout(marqueLesCadresDefilants, 150);
  });

  // Jeton CSRF pour les requêtes htmx (POST, PUT, PATCH, DELETE).
  document.addEventListener("htmx:configRequest", function (evenement) {
    var meta = document.querySelector("meta[name='csrf-token']");
    if (meta && meta.content) {
      evenement.detail.headers["X-CSRFToken"] = meta.content;
    }
  });
})();
