// vibrastic web course, the project pages: the stage editor autosaves the open file of your
// mygrad/ package and checks the stage through the grading service; the milestone page runs a
// milestone and shows its verdict, table and figures. Uses api(), detailText(), followJob(),
// setupCodeEditor() and runCheck() of app.js.
// Without JavaScript the forms post to plain routes and everything still works.
"use strict";

function setupStage() {
  const root = document.getElementById("stage");
  if (!root || !document.getElementById("source")) return;
  const stage = root.dataset.stage;
  const file = root.dataset.file;
  setupCodeEditor({
    root, name: file, subject: `of ${file}`,
    saveUrl: `/api/project/files/${file.split("/").map(encodeURIComponent).join("/")}`,
    draftKey: `vibrastic:project:${file}`,
    messages: { previous: "the previous version", saved: "the saved version",
      changed: "the file changed elsewhere" },
    onCheck: () => runCheck({
      editor: null,  // the package is checked as saved; the editor stays open
      sending: "Sending your package to the grader…",
      running: "Running the stage's tests…",
      start: () => api("POST", `/api/project/stages/${stage}/check`),
      resultsUrl: (job) => job.results_url,
      side: { url: `/project/stages/${stage}/side?file=${encodeURIComponent(file)}`,
        ids: ["status", "attempts"] },
    }),
  });
}

function setupMilestone() {
  const root = document.getElementById("milestone");
  const form = document.getElementById("run-form");
  if (!root || !form) return;
  const state = document.getElementById("run-state");
  const button = document.getElementById("run");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const options = {};
    new FormData(form).forEach((value, key) => {
      if (key !== "csrf_token" && String(value).trim()) options[key] = Number(value);
    });
    button.disabled = true;
    state.textContent = "Sending your package to the grader…";
    const started = await api("POST", `/api/project/milestones/${root.dataset.name}/run`, { options });
    if (!started.ok) {
      state.textContent = `Could not run: ${detailText(started.data)}`;
      button.disabled = false;
      return;
    }
    followJob(started.data, (job) => {
      if (job.state === "queued") state.textContent = `Waiting in the grading queue (position ${job.position ?? "?"})…`;
      if (job.state === "running") state.textContent = "Running on your engine, then on vibrastic and PyTorch…";
    }, async () => {
      const job = await api("GET", started.data.status_url);
      if (job.ok && job.data.result) { window.location.reload(); return; }
      state.textContent = `No result: ${job.data ? job.data.error || job.data.state : "the server did not answer"}`;
      button.disabled = false;
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setupStage();
  setupMilestone();
});
