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

  // Jeton CSRF pour les requêtes htmx (POST, PUT, PATCH, DELETE).
  document.addEventListener("htmx:configRequest", function (evenement) {
    var meta = document.querySelector("meta[name='csrf-token']");
    if (meta && meta.content) {
      evenement.detail.headers["X-CSRFToken"] = meta.content;
    }
  });
})();
