// The map page (clusterkg/web/mapview.py): draws the points embedded in the page with the
// vendored Leaflet. Works offline: tiles only when the operator configured a tile server.
(function () {
  "use strict";
  var holder = document.getElementById("map");
  var data = document.getElementById("map-data");
  if (!holder || !data || typeof L === "undefined") { return; }
  var points = JSON.parse(data.textContent);
  var tiles = JSON.parse((document.getElementById("map-tiles") || {}).textContent || "{}");
  var map = L.map(holder, { worldCopyJump: true, minZoom: 1 });
  if (tiles.url) {
    L.tileLayer(tiles.url, { attribution: tiles.attribution || "", maxZoom: 18 }).addTo(map);
  } else {
    // A plain graticule, so the points keep their bearings without a background map.
    var style = { color: "#9fb3c8", weight: 1, interactive: false };
    for (var lon = -180; lon <= 180; lon += 30) { L.polyline([[-85, lon], [85, lon]], style).addTo(map); }
    for (var lat = -60; lat <= 60; lat += 30) { L.polyline([[lat, -180], [lat, 180]], style).addTo(map); }
    L.polyline([[0, -180], [0, 180]], { color: "#6b8aa8", weight: 1.5, interactive: false }).addTo(map);
  }
  function text(value) {
    var span = document.createElement("span");
    span.textContent = value;
    return span.innerHTML;
  }
  function safe(url) { return /^(https?:\/\/|\/)/i.test(url) ? url : null; }
  var layer = L.geoJSON(points, {
    pointToLayer: function (feature, latlng) {
      var cluster = feature.properties.kind === "cluster";
      return L.circleMarker(latlng, {
        radius: cluster ? 8 : 5,
        color: cluster ? "#c05621" : "#2b6cb0",
        fillOpacity: 0.7,
        weight: 1
      });
    },
    onEachFeature: function (feature, marker) {
      var p = feature.properties;
      var html = "<strong>" + (safe(p.href) ? '<a href="' + text(p.href) + '">' + text(p.label) + "</a>" : text(p.label)) + "</strong>";
      html += "<br>" + text(p.kind) + (p.via ? " at " + text(p.via) : "");
      (p.links || []).forEach(function (l) {
        if (safe(l)) { html += '<br><a href="' + text(l) + '" rel="noopener">' + text(l) + "</a>"; }
      });
      marker.bindPopup(html);
      marker.bindTooltip(p.label);
    }
  }).addTo(map);
  if (points.features.length) {
    map.fitBounds(layer.getBounds().pad(0.2), { maxZoom: 6 });
  } else {
    map.setView([20, 0], 2);
  }
}());
