/*
 * Simulateur public (/simulateur/) : saisir dans le champ d'une base
 * (recherche de commune, population, nombre d'agents) coche le bouton radio
 * de cette base, pour que le calcul en direct (htmx) l'utilise.
 *
 * Sans JavaScript, le formulaire marche tel quel : on coche soi-même la base,
 * puis « Calculer ».
 */
(function () {
  "use strict";

  function cocherLaBase(evenement) {
    var cible = evenement.target;
    if (!(cible instanceof Element)) {
      return;
    }
    var base = cible.getAttribute("data-pour-base");
    var formulaire = cible.closest("#simulateur");
    if (!base || !formulaire) {
      return;
    }
    var radio = formulaire.querySelector(
      "input[type='radio'][name='base'][value='" + base + "']"
    );
    if (radio && !radio.checked) {
      radio.checked = true;
    }
  }

  // En phase de capture : la base est cochée avant que htmx n'envoie la saisie.
  document.addEventListener("input", cocherLaBase, true);
  document.addEventListener("change", cocherLaBase, true);
})();
