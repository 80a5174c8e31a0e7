// A news item's page: the send button asks to confirm with the number of recipients; while the broadcast is
// sending, its bar and counts follow it live (GET /staff/news/{id}/progress), and the page reloads when it ends.
(() => {
  const page = document.getElementById("news-item");
  if (!page) return;
  const KEYS = ["read", "delivered", "sent", "failed", "skipped", "stopped", "waiting"];

  const send = document.getElementById("send-form");
  if (send) {
    send.addEventListener("submit", (event) => {
      const count = document.getElementById("send").dataset.reachable;
      if (!window.confirm(`Envoyer cette annonce maintenant à ${count} artisan(s) ? L’envoi ne se reprend pas.`)) {
        event.preventDefault();
      }
    });
  }

  function draw(progress) {
    const total = progress.total || 0;
    for (const key of KEYS) {
      const segment = document.querySelector(`.progress .segment.${key}`);
      if (segment) segment.style.width = total ? `${(100 * progress[key]) / total}%` : "0";
      const count = document.getElementById(`count-${key}`);
      if (count) count.textContent = progress[key];
    }
    const reasons = document.getElementById("reasons");
    if (reasons && progress.reasons) {
      reasons.replaceChildren(...progress.reasons.map(([reason, count]) => {
        const item = document.createElement("li");
        item.textContent = `${reason} : ${count}`;
        return item;
      }));
    }
  }

  const bar = document.getElementById("progress");
  if (!bar) return;
  const counts = {};
  for (const segment of document.querySelectorAll(".progress .segment")) counts[segment.dataset.key] = Number(segment.dataset.count);
  draw({ ...counts, total: Number(bar.dataset.total) });
  if (page.dataset.status !== "sending") return;

  async function poll() {
    try {
      const response = await fetch(`/staff/news/${page.dataset.id}/progress`, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const progress = await response.json();
        draw(progress);
        document.getElementById("news-status").textContent = progress.status_label;
        if (progress.status !== "sending") return window.location.reload();
      }
    } catch (e) { /* the next poll tries again */ }
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 1000);
})();
