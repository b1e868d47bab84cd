// Small progressive enhancement: keyboard navigation and live rows in the inbox, and transcript
// segments that seek the audio on a voicemail page.
(function () {
  "use strict";
  const table = document.getElementById("inbox");
  const rows = () => Array.from(document.querySelectorAll("#inbox tr[data-href]"));
  let current = -1;

  function select(i) {
    const all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(all.length - 1, i));
    all.forEach((r, j) => r.classList.toggle("selected", j === current));
    all[current].scrollIntoView({ block: "nearest" });
  }

  if (table) {
    table.addEventListener("click", (e) => {
      const row = e.target.closest("tr[data-href]");
      if (row && !e.target.closest("a, button, input, select")) window.location = row.dataset.href;
    });
    // New voicemails slide in at the top of the first page, newest first, without a reload.
    const poll = table.dataset.poll;
    if (poll) {
      setInterval(async () => {
        const sep = poll.includes("?") ? "&" : "?";
        const response = await fetch(`${poll}${sep}after=${encodeURIComponent(table.dataset.newest || "")}`,
          { headers: { "Accept": "text/html" }, credentials: "same-origin" });
        if (response.status !== 200) return;
        const holder = document.createElement("tbody");
        holder.innerHTML = await response.text();
        const fresh = Array.from(holder.querySelectorAll("tr[data-href]"));
        if (!fresh.length) return;
        const body = table.tBodies[0];
        body.querySelectorAll("tr.none").forEach((r) => r.remove());
        fresh.reverse().forEach((r) => { r.classList.add("fresh"); body.insertBefore(r, body.firstChild); });
        table.dataset.newest = fresh[fresh.length - 1].dataset.id;
        if (current >= 0) current += fresh.length;  // keep the same row selected
      }, parseInt(table.dataset.interval || "5000", 10));
    }
  }

  document.addEventListener("keydown", (e) => {
    if (e.target.closest("input, textarea, select") || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "j") select(current + 1);
    else if (e.key === "k") select(current - 1);
    else if (e.key === "Enter" && current >= 0) window.location = rows()[current].dataset.href;
    else if (e.key === "/") {
      const box = document.querySelector("#filters [name=q]");
      if (box) { e.preventDefault(); box.focus(); }
    } else if (e.key === "h") {
      const button = document.getElementById("mark-handled");
      if (button) button.click();
    }
  });

  // Choosing a revision shows it (no inline handler: the page's CSP allows this script only).
  document.querySelectorAll("select[data-autosubmit]").forEach((sel) =>
    sel.addEventListener("change", () => sel.form.submit()));

  // Call back: clicking the tel: link records an attempt (the form's own POST, with its CSRF token; keepalive,
  // so it is sent even as the phone app takes over) while the link dials; the page then comes back with the
  // outcome form.
  const callBack = document.getElementById("call-back");
  if (callBack) {
    callBack.addEventListener("click", () => {
      const form = callBack.closest("form");
      fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)),
        credentials: "same-origin", redirect: "manual", keepalive: true })
        .then((response) => {
          if (response.type === "opaqueredirect" || response.ok) window.location.reload();
        });
    });
  }

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
