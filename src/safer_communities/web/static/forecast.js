// The forecast layer: next month's top cells for the issue on their own small map, with the skill that
// chose them. Drawn from our own GeoJSON; no tiles unless the site configures them.
(function () {
  "use strict";
  var el = document.getElementById("forecast-map");
  if (!el || typeof L === "undefined") { return; }
  var map = L.map(el, { attributionControl: true, zoomSnap: 0.25 });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 18, attribution: "Map tiles as configured" }).addTo(map);
  }
  var skill = document.getElementById("forecast-skill");
  if (el.dataset.outlines) {  // the area's units as outlines only, for bearings (the same cached answer as the rate map)
    fetch(el.dataset.outlines, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        L.geoJSON(data, { interactive: false, style: function () { return { color: "#505a5f", weight: 0.6, fill: false }; } })
          .addTo(map).bringToBack();
      })
      .catch(function () { /* outlines are optional */ });
  }
  fetch(el.dataset.geojson, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
    .then(function (data) {
      var outline = L.geoJSON(data, {
        style: function () { return { color: "#8a3b00", weight: 1, fillOpacity: 0.75, fillColor: "#b35806" }; },
        onEachFeature: function (f, lyr) { lyr.bindTooltip("Forecast rank " + f.properties.rank); }
      }).addTo(map);
      if (data.features.length) { map.fitBounds(outline.getBounds()); }
      var m = data.meta, s = m.skill;
      if (skill) {
        skill.textContent = "Cells most likely to see " + (m.definition_id || "the issue") + " in " +
          m.forecast_months.join(", ") + " (top " + Math.round(m.share_of_area * 100) + "% of the county's area, " +
          m.cell_size_m + " m cells), from " + m.model_label + ". Over " + s.origins + " past months such maps " +
          "caught " + Math.round(s.expected_hit_rate * 100) + "% of records (" + Math.round(s.hit_rate_min * 100) +
          "% to " + Math.round(s.hit_rate_max * 100) + "%), PAI " + s.pai +
          (s.baselines.length ? "; better than " + (s.baselines.length === 1 ? "the other naive baseline" :
            "the naive baselines") + " in " + Math.round(s.beats_baselines * 100) + "% of months." : ".");
      }
      el.setAttribute("data-drawn", String(data.features.length));
    })
    .catch(function (err) {
      el.textContent = "The forecast could not be drawn (" + err.message + ").";
      el.setAttribute("data-drawn", "error");
    });
}());
