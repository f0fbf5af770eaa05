// Follow a running job: its steps as they happen, then the page again with the result.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.EventSource) { return; }
  var line = document.getElementById("line");
  var steps = document.getElementById("steps");
  var source = new EventSource(live.dataset.events);
  function data(event) { try { return JSON.parse(event.data); } catch (err) { return {}; } }
  function say(text) {
    var item = document.createElement("li");
    item.textContent = text;  // text, never HTML: task output is data
    steps.appendChild(item);
  }
  source.addEventListener("state", function (event) { line.textContent = data(event).state || ""; });
  source.addEventListener("run", function (event) { say("run " + (data(event).run_id || "")); });
  source.addEventListener("step", function (event) { say(data(event).text || ""); });
  source.addEventListener("task", function (event) { say(data(event).text || ""); });
  source.addEventListener("reviewed", function (event) {
    var d = data(event), c = d.counts || {};
    say((d.patch || "") + ": " + (c.error || 0) + " error, " + (c.warning || 0) + " warning, " +
        (c.note || 0) + " note");
  });
  source.addEventListener("progress", function (event) {
    var d = data(event);
    line.textContent = (d.node || "") + ": " + (d.tried || 0) + " candidates tried, " +
      (d.plausible || 0) + " plausible, " + (d.rejected || 0) + " rejected";
  });
  source.addEventListener("end", function () {
    source.close();
    line.textContent = "done";
    window.location.reload();
  });
})();
