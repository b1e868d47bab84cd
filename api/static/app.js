// Small progressive enhancement: keyboard navigation in the inbox, and segments that seek the audio.
(function () {
  "use strict";
  const rows = Array.from(document.querySelectorAll("#inbox tr[data-href]"));
  let current = -1;
  function select(i) {
    if (!rows.length) return;
    current = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach((r, j) => r.classList.toggle("selected", j === current));
    rows[current].scrollIntoView({ block: "nearest" });
  }
  rows.forEach((row, i) => row.addEventListener("click", (e) => {
    if (e.target.closest("a, button, input, select")) return;
    window.location = row.dataset.href;
  }));
  document.addEventListener("keydown", (e) => {
    if (e.target.closest("input, textarea, select")) return;
    if (e.key === "j") select(current + 1);
    else if (e.key === "k") select(current - 1);
    else if (e.key === "Enter" && current >= 0) window.location = rows[current].dataset.href;
    else if (e.key === "/") { const f = document.querySelector("#filters [name=q]"); if (f) { e.preventDefault(); f.focus(); } }
    else if (e.key === "h") { const b = document.getElementById("mark-handled"); if (b) b.click(); }
  });

  const player = document.getElementById("player");
  const segments = Array.from(document.querySelectorAll(".segments li[data-start]"));
  if (player && segments.length) {
    segments.forEach((li) => li.addEventListener("click", () => {
      player.currentTime = parseFloat(li.dataset.start);
      player.play().catch(() => {});
    }));
    player.addEventListener("timeupdate", () => {
      const t = player.currentTime;
      segments.forEach((li) => li.classList.toggle("playing",
        t >= parseFloat(li.dataset.start) && t < parseFloat(li.dataset.end)));
    });
  }
})();
