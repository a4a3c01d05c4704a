// Draw the choropleth of rates from our own GeoJSON (no tiles unless the site configures them).
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || typeof L === "undefined") { return; }
  var COLOURS = ["#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d"];
  var WITHHELD = "#bfc1c3";
  // Zoom buttons top right, the key top left: over the Irish Sea and Morecambe Bay at county scale, so
  // neither covers east Lancashire; on a phone the key starts folded (a tap opens it).
  var map = L.map(el, { attributionControl: true, zoomSnap: 0.25, zoomControl: false });
  L.control.zoom({ position: "topright" }).addTo(map);
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 18, attribution: "Map tiles as configured" }).addTo(map);
  }
  function breaks(values) {
    var sorted = values.slice().sort(function (a, b) { return a - b; });
    var out = [];
    for (var k = 1; k < COLOURS.length; k++) {
      out.push(sorted[Math.min(sorted.length - 1, Math.floor(k * sorted.length / COLOURS.length))]);
    }
    return out;
  }
  function colour(value, cuts) {
    if (value === null || value === undefined) { return WITHHELD; }
    var i = 0;
    while (i < cuts.length && value >= cuts[i]) { i++; }
    return COLOURS[i];
  }
  fetch(el.dataset.geojson, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
    .then(function (data) {
      // Which rate the answer carries: per 1,000 for police.uk issues, per 100,000 for road safety.
      var key = (data.meta && data.meta.rate_key) || "rate_per_1000";
      var per = ((data.meta && data.meta.rate_label) || "per 1,000 residents").replace(" residents", "");
      var what = ((data.meta && data.meta.count_label) || "records").toLowerCase();
      var values = data.features.map(function (f) { return f.properties[key]; })
        .filter(function (v) { return v !== null && v !== undefined; });
      var cuts = breaks(values);
      // The report's classes and colours when the server sends them (band 1..n, 0 withheld).
      var classes = (data.meta && data.meta.classes) || null;
      if (classes) {
        COLOURS = classes.map(function (c) { return c.colour; });
        colour = function (value, cuts, band) { return band ? COLOURS[band - 1] : WITHHELD; };
      }
      var layer = L.geoJSON(data, {
        style: function (f) {
          return { color: "#0b0c0c", weight: 1, fillOpacity: 0.8,
                   fillColor: colour(f.properties[key], cuts, f.properties.band),
                   className: "area-" + f.properties.area_code };
        },
        onEachFeature: function (f, lyr) {
          var p = f.properties;
          // A DOM node with textContent, never an HTML string: a name from the data is shown, not parsed.
          var tip = document.createElement("span");
          tip.textContent = p.area_name + (p.place ? ", " + p.place : "") + ": " + p[key + "_published"] + " " + per + " (" + p.count_published + " " + what + ")";
          lyr.bindTooltip(tip);
        }
      }).addTo(map);
      map.fitBounds(layer.getBounds());
      var legend = L.control({ position: "topleft" });
      legend.onAdd = function () {
        // Built with DOM calls, not innerHTML, so the strict Content Security Policy allows the colours.
        // A <details> element: the key folds away (keyboard and screen readers handle it natively).
        var div = L.DomUtil.create("details", "legend");
        div.open = el.clientWidth >= 480;
        L.DomEvent.disableClickPropagation(div);
        var title = L.DomUtil.create("summary", "", div);
        title.textContent = "Key: rate " + per;
        function row(fill, text) {
          if (div.childNodes.length > 1) { L.DomUtil.create("br", "", div); }
          var swatch = L.DomUtil.create("i", "", div);
          swatch.style.background = fill;
          div.appendChild(document.createTextNode(text));
        }
        for (var k = 0; k < COLOURS.length; k++) {
          if (classes) { row(COLOURS[k], classes[k].label); }
          else if (k === 0) { row(COLOURS[k], "under " + cuts[0].toFixed(1)); }
          else if (k < cuts.length) { row(COLOURS[k], cuts[k - 1].toFixed(1) + " to under " + cuts[k].toFixed(1)); }
          else { row(COLOURS[k], cuts[k - 1].toFixed(1) + " and over"); }
        }
        row(WITHHELD, "withheld");
        return div;
      };
      if (values.length) { legend.addTo(map); }
      el.setAttribute("data-drawn", String(data.features.length));
    })
    .catch(function (err) {
      el.textContent = "The map could not be drawn (" + err.message + "). The table below has every figure.";
      el.setAttribute("data-drawn", "error");
    });
}());
