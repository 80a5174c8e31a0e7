// The models page, live: the latest job's status and log, and whether Rasa has loaded the active model.
(() => {
  const STATUS = { queued: "en attente", running: "en cours", succeeded: "terminé", failed: "échoué" };
  const job = document.getElementById("job");
  const loaded = document.getElementById("loaded-state");
  const running = () => job && ["queued", "running"].includes(job.dataset.status);
  const loading = () => loaded && !loaded.classList.contains("done");
  if (!running() && !loading()) return;

  async function poll() {
    let data;
    try {
      const response = await fetch("/staff/models/live", { headers: { Accept: "application/json" } });
      if (!response.ok) return schedule();
      data = await response.json();
    } catch (e) {
      return schedule();
    }
    const wasRunning = running();
    if (data.job && job) {
      job.dataset.status = data.job.status;
      const log = document.getElementById("job-log");
      if (log) {
        const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
        log.textContent = data.job.log;
        if (atBottom) log.scrollTop = log.scrollHeight;
      }
      const status = document.getElementById("job-status");
      if (status) status.textContent = STATUS[data.job.status] || data.job.status;
      const error = document.getElementById("job-error");
      if (error) { error.textContent = data.job.error || ""; error.hidden = !data.job.error; }
    }
    if (data.active && loaded && data.active.loaded) {
      loaded.textContent = "chargé par Rasa";
      loaded.className = "done";
    }
    // A job that just finished added a model to the table: show the page as it is now.
    if (wasRunning && !running()) return window.location.replace("/staff/models");
    if (running() || loading()) schedule();
  }
  function schedule() { setTimeout(poll, 1000); }
  schedule();
})();
