// The dashboard's charts (api/templates/dashboard.html), drawn with the vendored Chart.js from the page's
// JSON data block: no inline script, so the CSP stays script-src 'self'.
(function () {
  "use strict";
  var node = document.getElementById("analytics-data");
  if (!node || typeof window.Chart === "undefined") return;
  var a = JSON.parse(node.textContent);
  var palette = ["#2859c5", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777"];
  var base = { responsive: true, maintainAspectRatio: false, animation: false,
               plugins: { legend: { display: false } } };

  function draw(id, type, labels, datasets, extra) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    var options = Object.assign({}, base, extra || {});
    new window.Chart(canvas, { type: type, data: { labels: labels, datasets: datasets }, options: options });
  }
  function keys(list) { return list.map(function (c) { return c.key.replace(/_/g, " "); }); }
  function counts(list) { return list.map(function (c) { return c.count; }); }

  draw("chart-per-day", "bar", a.per_day.map(function (c) { return c.key.slice(5); }),
       [{ label: "voicemails", data: counts(a.per_day), backgroundColor: palette[0] }]);

  var hours = []; for (var h = 0; h < 24; h++) hours.push(h < 10 ? "0" + h : "" + h);
  draw("chart-week", "line", hours, a.per_hour_of_week.map(function (row, d) {
    return { label: a.days[d], data: row, borderColor: palette[d % palette.length], pointRadius: 0, tension: 0.2 };
  }), { plugins: { legend: { display: true, position: "bottom" } } });

  draw("chart-intent", "bar", keys(a.by_intent),
       [{ label: "voicemails", data: counts(a.by_intent), backgroundColor: palette[1] }], { indexAxis: "y" });
  draw("chart-team", "bar", keys(a.by_team),
       [{ label: "voicemails", data: counts(a.by_team), backgroundColor: palette[4] }], { indexAxis: "y" });

  var outcomes = ["reached", "left_message", "no_answer", "wrong_number", "pending"];
  draw("chart-agents", "bar", a.callbacks_by_agent.map(function (x) { return x.agent; }),
       outcomes.map(function (o, i) {
         return { label: o.replace(/_/g, " "), backgroundColor: palette[i % palette.length],
                  data: a.callbacks_by_agent.map(function (x) { return x.outcomes[o] || 0; }) };
       }),
       { indexAxis: "y", scales: { x: { stacked: true }, y: { stacked: true } },
         plugins: { legend: { display: true, position: "bottom" } } });
})();
