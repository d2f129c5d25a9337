/*
 * Graphiques du tableau de bord (Chart.js, embarqué dans static/vendor/chartjs).
 *
 * Chaque <canvas data-graphique="ID"> est dessiné d'après le JSON de
 * <script type="application/json" id="ID"> (rendu par json_script : aucun
 * script en ligne, la CSP l'interdit) :
 *   {unite: "euros" | "nombre" | "pourcentage", horizontal, empile,
 *    libelles: [...], series: [{libelle, valeurs, couleur, pile}]}
 * Les montants arrivent en texte (« 1234.50 ») : le serveur ne passe jamais
 * par un flottant, seul l'affichage le fait.
 *
 * - Chaque graphique a son tableau de données (<details>) : c'est l'alternative
 *   textuelle ; sans JavaScript ou sans Chart.js, seuls les tableaux restent.
 * - prefers-reduced-motion : aucune animation.
 * - Lisible à 390 px comme à 1366 px : hauteur fixée par la CSS (ou, pour les
 *   barres horizontales, selon le nombre de barres), légende en bas, libellés
 *   longs coupés en plusieurs lignes.
 */
(function () {
  "use strict";

  var Chart = window.Chart;
  if (!Chart) {
    return;
  }

  // Contraste sur fond blanc : 11,5:1, 3,9:1, 6,3:1, 3,8:1, 5,1:1.
  var PALETTE = ["#1f3a5f", "#4f83c2", "#9a4a00", "#c8691a", "#2e7d32"];
  var HAUTEUR_BARRE = 34; // px au moins par barre horizontale
  var HAUTEUR_LIGNE = 15; // px par ligne de libellé
  var MARGE_HORIZONTALE = 70; // axe des valeurs
  // Caractères par ligne de libellé : moins sur un écran étroit.
  var LARGEUR_LIBELLE = window.matchMedia("(max-width: 575.98px)").matches ? 18 : 30;

  var mouvementReduit = window.matchMedia
    ? window.matchMedia("(prefers-reduced-motion: reduce)")
    : { matches: false };

  var euros = new Intl.NumberFormat("fr-FR", {
    style: "currency",
    currency: "EUR",
  });
  var eurosArrondis = new Intl.NumberFormat("fr-FR", {
    style: "currency",
    currency: "EUR",
    maximumFractionDigits: 0,
  });
  var nombre = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 1 });

  function formate(valeur, unite, arrondi) {
    if (valeur === null || valeur === undefined || isNaN(valeur)) {
      return "—";
    }
    if (unite === "euros") {
      return (arrondi ? eurosArrondis : euros).format(valeur);
    }
    if (unite === "pourcentage") {
      return nombre.format(valeur) + " %";
    }
    return nombre.format(valeur);
  }

  // « CA de Béthune-Bruay, Artois-Lys Romane » → lignes de LARGEUR_LIBELLE.
  function coupe(libelle) {
    var mots = String(libelle).split(" ");
    var lignes = [];
    var ligne = "";
    mots.forEach(function (mot) {
      if (ligne && (ligne + " " + mot).length > LARGEUR_LIBELLE) {
        lignes.push(ligne);
        ligne = mot;
      } else {
        ligne = ligne ? ligne + " " + mot : mot;
      }
    });
    if (ligne) {
      lignes.push(ligne);
    }
    return lignes.length > 1 ? lignes : libelle;
  }

  function enNombre(valeur) {
    return valeur === null || valeur === undefined ? null : Number(valeur);
  }

  function configuration(donnees) {
    var unite = donnees.unite;
    var axeValeurs = {
      beginAtZero: true,
      stacked: donnees.empile,
      ticks: {
        precision: unite === "nombre" ? 0 : undefined,
        callback: function (valeur) {
          return formate(valeur, unite, true);
        },
      },
    };
    if (unite === "pourcentage") {
      axeValeurs.max = 100;
    }
    var axeCategories = {
      stacked: donnees.empile,
      grid: { display: false },
      ticks: { autoSkip: false },
    };
    return {
      type: "bar",
      data: {
        labels: donnees.horizontal
          ? donnees.libelles.map(coupe)
          : donnees.libelles,
        datasets: donnees.series.map(function (serie) {
          return {
            label: serie.libelle,
            data: serie.valeurs.map(enNombre),
            backgroundColor: PALETTE[serie.couleur % PALETTE.length],
            borderColor: "#ffffff",
            borderWidth: donnees.empile ? 1 : 0,
            stack: serie.pile || undefined,
            maxBarThickness: 48,
          };
        }),
      },
      options: {
        indexAxis: donnees.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: mouvementReduit.matches ? false : { duration: 400 },
        locale: "fr-FR",
        interaction: { mode: "index", intersect: false },
        scales: donnees.horizontal
          ? { x: axeValeurs, y: axeCategories }
          : { x: axeCategories, y: axeValeurs },
        plugins: {
          legend: {
            display: donnees.series.length > 1,
            position: "bottom",
            labels: { boxWidth: 14, boxHeight: 14 },
          },
          tooltip: {
            callbacks: {
              title: function (elements) {
                return elements.length
                  ? donnees.libelles[elements[0].dataIndex]
                  : "";
              },
              label: function (contexte) {
                var valeur = donnees.horizontal
                  ? contexte.parsed.x
                  : contexte.parsed.y;
                return contexte.dataset.label + " : " + formate(valeur, unite);
              },
            },
          },
        },
      },
    };
  }

  // Assez de place pour chaque barre et toutes les lignes de son libellé.
  function hauteurHorizontale(config) {
    return config.data.labels.reduce(function (total, libelle) {
      var lignes = Array.isArray(libelle) ? libelle.length : 1;
      return total + Math.max(HAUTEUR_BARRE, lignes * HAUTEUR_LIGNE + 12);
    }, MARGE_HORIZONTALE + (config.options.plugins.legend.display ? 40 : 0));
  }

  function dessine(canevas) {
    var source = document.getElementById(canevas.getAttribute("data-graphique"));
    if (!source) {
      return;
    }
    var donnees;
    try {
      donnees = JSON.parse(source.textContent);
    } catch (erreur) {
      return;
    }
    var config = configuration(donnees);
    if (donnees.horizontal && canevas.parentElement) {
      // Propriété CSSOM (permise par la CSP, contrairement à style="…").
      canevas.parentElement.style.height = hauteurHorizontale(config) + "px";
    }
    new Chart(canevas, config);
  }

  Chart.defaults.font.family =
    '"Inter", system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';
  Chart.defaults.color = "#212529";
  if (mouvementReduit.matches) {
    Chart.defaults.animation = false;
  }

  var canevas = document.querySelectorAll("canvas[data-graphique]");
  for (var i = 0; i < canevas.length; i++) {
    dessine(canevas[i]);
  }

  // Un réglage « réduire les animations » changé en cours de visite.
  if (mouvementReduit.addEventListener) {
    mouvementReduit.addEventListener("change", function () {
      Object.values(Chart.instances).forEach(function (graphique) {
        graphique.options.animation = mouvementReduit.matches
          ? false
          : { duration: 400 };
        graphique.update("none");
      });
    });
  }

  // Un tableau de données déplié peut déborder : app.js recompte les cadres
  // défilants (et les rend atteignables au clavier) au redimensionnement.
  document.addEventListener(
    "toggle",
    function (evenement) {
      if (evenement.target.classList && evenement.target.classList.contains("graphique-donnees")) {
        window.dispatchEvent(new Event("resize"));
      }
    },
    true
  );
})();
