/* Dalili incident map: Leaflet (served by the app), no tiles. Draws the incident point, the places an
   unresolved report may mean, the other reports' points and, when the deployment has them, the admin
   boundaries around them as the base layer. Data comes from <script type="application/json"
   id="map-data"> (not executed, so the Content-Security-Policy allows it). Labels are set as text.
   Where she may correct the place, a click on the map fills the point's coordinates (precision 1),
   and a new place (clicked, typed or found by the search) is shown until she saves it. */
(function () {
  "use strict";
  var holder = document.getElementById("map");
  var source = document.getElementById("map-data");
  if (!holder || !source || typeof window.L === "undefined") {
    return;
  }
  var L = window.L;
  var data = JSON.parse(source.textContent);
  var map = L.map(holder, { attributionControl: false, zoomSnap: 0.5 });

  function text(value) {
    var span = document.createElement("span");
    span.textContent = value;
    return span;
  }

  var reportStyle = { radius: 5, color: "#0b5cad", weight: 2, fillColor: "#0b5cad", fillOpacity: 0.5 };
  var candidateStyle = { radius: 7, color: "#9a4d00", weight: 2, dashArray: "3 3", fillColor: "#f0a800", fillOpacity: 0.25 };
  var incidentStyle = { radius: 9, color: "#7a1010", weight: 3, fillColor: "#d62828", fillOpacity: 0.85 };
  var dots = [];
  (data.reports || []).forEach(function (place) {
    dots.push([place, reportStyle]);
  });
  (data.candidates || []).forEach(function (place) {
    dots.push([place, candidateStyle]);
  });
  if (data.incident) {
    dots.push([{ lat: data.incident.lat, lon: data.incident.lon, label: data.incident.label || data.labels.incident }, incidentStyle]);
  }
  if (!dots.length) {
    return;
  }
  // The view first: Leaflet adds vector layers to a map that has one.
  var points = dots.map(function (dot) {
    return [dot[0].lat, dot[0].lon];
  });
  if (points.length === 1) {
    map.setView(points[0], 9);
  } else {
    map.fitBounds(points, { padding: [30, 30], maxZoom: 11 });
  }
  dots.forEach(function (dot) {
    var marker = L.circleMarker([dot[0].lat, dot[0].lon], dot[1]).addTo(map);
    if (dot[0].label) {
      marker.bindTooltip(text(dot[0].label));
    }
  });

  var draftStyle = { radius: 9, color: "#0d5c4d", weight: 3, dashArray: "4 3", fillColor: "#2a9d8f", fillOpacity: 0.6 };
  var draft = null;

  function showDraft(lat, lon, label) {
    if (draft === null) {
      draft = L.circleMarker([lat, lon], draftStyle).addTo(map);
      draft.bindTooltip(text(label || data.labels.draft));
    } else {
      draft.setLatLng([lat, lon]);
      draft.setTooltipContent(text(label || data.labels.draft));
    }
    holder.setAttribute("data-draft", lat + "," + lon);
  }

  document.addEventListener("dalili:place-preview", function (event) {
    showDraft(event.detail.lat, event.detail.lon, event.detail.label);
    map.panTo([event.detail.lat, event.detail.lon]);
  });

  var latField = document.getElementById("place-lat");
  var lonField = document.getElementById("place-lon");
  if (latField && lonField) {
    holder.classList.add("picking");
    map.on("click", function (event) {
      var point = event.latlng.wrap();
      latField.value = point.lat.toFixed(5);
      lonField.value = point.lng.toFixed(5);
      showDraft(point.lat, point.lng);
    });
    [latField, lonField].forEach(function (field) {
      field.addEventListener("change", function () {
        var lat = parseFloat(latField.value);
        var lon = parseFloat(lonField.value);
        if (isFinite(lat) && isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
          showDraft(lat, lon);
          map.panTo([lat, lon]);
        }
      });
    });
  }

  if (data.boundaries && window.fetch) {
    window
      .fetch(data.boundaries, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (areas) {
        if (!areas) {
          return;
        }
        var base = L.geoJSON(areas, {
          style: function (feature) {
            var province = feature.properties.level <= 1;
            return {
              color: province ? "#3d4650" : "#8a949e",
              weight: province ? 2 : 1,
              fill: !province,
              fillColor: "#f4f1e6",
              fillOpacity: 1
            };
          },
          onEachFeature: function (feature, layer) {
            var p = feature.properties;
            layer.bindTooltip(text(p.name + " (" + p.pcode + ")"), { sticky: true });
          }
        }).addTo(map);
        base.bringToBack();
        holder.setAttribute("data-boundaries", String(areas.features.length));
      })
      .catch(function () {
        /* the points stay useful without the boundaries */
      });
  }
})();
