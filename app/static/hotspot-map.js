/* Dalili hotspot map: the protection page's preview of the product its downloads contain. Cells are
   coloured by Gi* class (the same classes as the PDF legend), incident points are drawn only when the
   classification allows them, admin boundaries (when installed) are the base layer. No tiles, no CDN;
   the statement (period, suppressed cells, caveat) is set as text. */
(function () {
  "use strict";
  var holder = document.getElementById("hotspot-map");
  var statement = document.getElementById("hotspot-statement");
  if (!holder || typeof window.L === "undefined" || !window.fetch) {
    return;
  }
  var L = window.L;
  // geo/products.py HOTSPOT_COLOURS, as on the PDF and KML (tests/unit/web/test_hotspot_palette.py)
  var COLOURS = {
    hot_99: "#7f0000", hot_95: "#ef6548", hot_90: "#fdd0a2", not_significant: "#a6a6a6",
    cold_90: "#c6dbef", cold_95: "#4292c6", cold_99: "#08306b", suppressed: "#e6e6e6"
  };
  var map = L.map(holder, { attributionControl: false, zoomSnap: 0.5 }).setView([0, 20], 3);

  function text(value) {
    var span = document.createElement("span");
    span.textContent = value;
    return span;
  }

  // The page's legend names each class in the page's language (data-class: the product's class code).
  var classNames = {};
  Array.prototype.forEach.call(document.querySelectorAll(".legend [data-class]"), function (item) {
    classNames[item.getAttribute("data-class")] = item.textContent.trim();
  });
  var language = document.documentElement.lang || "en";

  function day(iso) {
    var moment = new Date(iso + "T00:00:00Z");
    if (isNaN(moment.getTime()) || !window.Intl) {
      return iso;
    }
    // Western digits in every language, as the server writes its dates
    return moment.toLocaleDateString(language + "-u-nu-latn", {
      year: "numeric", month: "short", day: "numeric", timeZone: "UTC"
    });
  }

  function cellStyle(feature) {
    if (feature.properties.layer === "incident") {
      return { color: "#000", weight: 1, fillColor: "#000", fillOpacity: 0.8 };
    }
    var cls = feature.properties.hotspot || "not_significant";
    var quiet = cls === "not_significant" || cls === "suppressed";
    return {
      color: cls === "suppressed" ? "#555" : quiet ? "#9e9e9e" : "#3d3d3d",
      weight: quiet ? 0.75 : 1,
      dashArray: cls === "suppressed" ? "3 3" : null,
      fillColor: COLOURS[cls] || "#bdbdbd",
      fillOpacity: cls === "suppressed" ? 0.7 : quiet ? 0.25 : 0.75
    };
  }

  function describe(p) {
    if (p.layer === "incident") {
      return text(p.category + " · " + p.priority + " · " + day(p.date));
    }
    var line = text((p.adm2_name || p.adm1_name || p.cell_id) + " · " + (classNames[p.hotspot] || p.hotspot) + " · ");
    var count = document.createElement("bdi");  // "<k" stays "<k" on an Arabic page
    count.dir = "ltr";
    count.textContent = p.suppressed ? "<k" : String(p.reports);
    line.appendChild(count);
    return line;
  }

  function drawBoundaries(bounds) {
    var base = holder.getAttribute("data-boundaries");
    if (!base) {
      return;
    }
    var bbox = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]
      .map(function (v) { return v.toFixed(4); }).join(",");
    window.fetch(base + "?bbox=" + bbox, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (areas) {
        if (!areas) {
          return;
        }
        L.geoJSON(areas, {
          style: { color: "#8a949e", weight: 1, fillColor: "#f4f1e6", fillOpacity: 1 },
          onEachFeature: function (feature, layer) {
            layer.bindTooltip(text(feature.properties.name + " (" + feature.properties.pcode + ")"), { sticky: true });
          }
        }).addTo(map).bringToBack();
      })
      .catch(function () { /* the cells stay readable without the boundaries */ });
  }

  window.fetch(holder.getAttribute("data-source"), { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then(function (response) {
      if (!response.ok) {
        return response.text().then(function (message) { throw new Error(message); });
      }
      return response.json();
    })
    .then(function (product) {
      var features = product.features || [];
      holder.setAttribute("data-cells", String(features.filter(function (f) { return f.properties.layer === "cell"; }).length));
      if (statement && product.description) {
        statement.textContent = product.description;
      }
      if (!features.length) {
        holder.appendChild(text(holder.getAttribute("data-empty")));
        return;
      }
      var layer = L.geoJSON(product, {
        style: cellStyle,
        pointToLayer: function (feature, latlng) {
          return L.circleMarker(latlng, { radius: 3, color: "#000", weight: 1, fillColor: "#000", fillOpacity: 0.8 });
        },
        onEachFeature: function (feature, shape) {
          shape.bindTooltip(describe(feature.properties), { sticky: true });
        }
      }).addTo(map);
      map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 11 });
      drawBoundaries(layer.getBounds());
    })
    .catch(function (error) {
      if (statement) {
        statement.textContent = String(error.message || error);
      }
    });
})();
