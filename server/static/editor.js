// The query editor: YASGUI (vendored) over this server's /sparql endpoint, with the project's
// example questions and download links. Configuration comes from a JSON block in the page,
// so no inline script is needed (the Content-Security-Policy allows none).
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("editor-config").textContent);
  var endpoint = new URL(config.endpoint, window.location.href).href;
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    persistenceId: null,
    yasqe: { value: config.query, autocompleters: ["prefixes", "variables"] },
  });
  function currentQuery() {
    return yasgui.getTab().getYasqe().getValue();
  }
  function setQuery(text, run) {
    var yasqe = yasgui.getTab().getYasqe();
    yasqe.setValue(text);
    if (run) { yasqe.query(); }
  }
  yasgui.getTab().getYasqe().setValue(config.query);
  // Say so when the server cut the answer at its row limit (X-Clusterkg-Truncated).
  var note = document.getElementById("truncated-note");
  function watch(tab) {
    tab.getYasqe().on("queryResponse", function (yasqe, response) {
      var headers = response && response.headers;
      var cut = !!headers && typeof headers.get === "function" &&
        headers.get("x-clusterkg-truncated") === "true";
      note.hidden = !cut;
    });
  }
  watch(yasgui.getTab());
  yasgui.on("tabSelect", function (instance, id) { note.hidden = true; watch(yasgui.getTab(id)); });
  window.clusterkgEditor = { yasgui: yasgui, setQuery: setQuery, currentQuery: currentQuery };
  document.querySelectorAll("button.example").forEach(function (button) {
    button.addEventListener("click", function () {
      var example = config.examples[Number(button.dataset.example)];
      setQuery(example.query, true);
    });
  });
  document.querySelectorAll(".downloads a").forEach(function (link) {
    link.addEventListener("click", function () {
      var params = new URLSearchParams({ query: currentQuery(), format: link.dataset.format, download: "1" });
      link.href = "/sparql?" + params.toString();
    });
  });
})();
