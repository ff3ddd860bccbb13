// The supplier network picture: vis-network draws the nodes and edges from the JSON block
// #network-data, one column per tier (the lead firm on the right, its tier-1 suppliers left
// of it, and so on; associations and networks in the last column). Labels are plain text,
// never HTML; long names are shortened in the picture and given whole on hover.
(function () {
  "use strict";
  var holder = document.getElementById("network");
  if (!holder) { return; }
  var data = JSON.parse(document.getElementById("network-data").textContent);
  var colors = { lead: "#c0392b", tier1: "#1f6f8b", tier2: "#4aa3c8", tier3: "#8cc9e0", org: "#7d8b3a" };
  var perLevel = {};
  var nodes = data.nodes.map(function (n) {
    var group = n.group in colors ? n.group : "tier3";
    perLevel[n.level] = (perLevel[n.level] || 0) + 1;
    var label = n.label.length > 48 ? n.label.slice(0, 46) + "…" : n.label;
    return { id: n.id, label: label, title: n.label, level: n.level, url: n.url, shape: "box",
             widthConstraint: { maximum: 190 }, margin: 6,
             color: { background: colors[group], border: "#333" },
             font: { color: group === "tier3" ? "#1d2327" : "#fff", size: 13 } };
  });
  var edges = data.edges.map(function (e) {
    return { from: e.from, to: e.to, title: e.label, arrows: "to", dashes: e.dashes,
             color: { color: e.dashes ? "#7d8b3a" : "#555", opacity: 0.7 }, smooth: false };
  });
  var tallest = Math.max.apply(null, Object.keys(perLevel).map(function (k) { return perLevel[k]; }));
  holder.style.height = Math.max(420, Math.min(2400, tallest * 58 + 80)) + "px";
  var network = new vis.Network(holder, { nodes: new vis.DataSet(nodes), edges: new vis.DataSet(edges) }, {
    layout: { hierarchical: { direction: "RL", sortMethod: "directed", levelSeparation: 290,
                              nodeSpacing: 52, treeSpacing: 60 } },
    physics: false,
    interaction: { hover: true, tooltipDelay: 150 },
  });
  network.on("doubleClick", function (params) {
    if (params.nodes.length) {
      var node = nodes.find(function (n) { return n.id === params.nodes[0]; });
      if (node && node.url && node.url.charAt(0) === "/") { window.location.href = node.url; }
    }
  });
  network.once("afterDrawing", function () { holder.dataset.drawn = "true"; });
})();
