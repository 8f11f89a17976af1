// vibrastic web course, the project pages: the stage editor autosaves the open file of your
// mygrad/ package and checks the stage through the grading service; the milestone page runs a
// milestone and shows its verdict, table and figures. Uses api() and detailText() of app.js.
// Without JavaScript the forms post to plain routes and everything still works.
"use strict";

function followJob(started, onState, onEnd) {
  const source = new EventSource(started.events_url);
  source.addEventListener("status", (e) => onState(JSON.parse(e.data)));
  source.addEventListener("end", () => { source.close(); onEnd(); });
}

function setupStage() {
  const root = document.getElementById("stage");
  const textarea = document.getElementById("source");
  if (!root || !textarea) return;
  const stage = root.dataset.stage;
  const file = root.dataset.file;
  const form = document.getElementById("editor-form");
  const saveState = document.getElementById("save-state");
  const checkButton = document.getElementById("check");
  const conflict = document.getElementById("conflict");
  const draftKey = `vibrastic:project:${file}`;
  const url = `/api/project/files/${file.split("/").map(encodeURIComponent).join("/")}`;
  let base = root.dataset.sha || null;
  let saved = textarea.value;
  let timer = null;
  let saving = null;
  let pendingConflict = null;

  const editor = window.VibrasticEditor ?
    window.VibrasticEditor.mount(textarea, { label: `Python code of ${file}`, onChange: changed }) :
    null;
  if (editor) {
    editor.view.scrollDOM.tabIndex = 0;
    editor.view.scrollDOM.setAttribute("aria-label", `Scroll area of the code editor for ${file}`);
  }
  const value = () => (editor ? editor.getValue() : textarea.value);
  if (!editor) textarea.addEventListener("input", () => changed(textarea.value));

  try {  // a draft this browser kept when the server could not be reached
    const draft = JSON.parse(localStorage.getItem(draftKey) || "null");
    if (draft && draft.text !== saved && draft.base === base) {
      if (editor) editor.setValue(draft.text); else textarea.value = draft.text;
      saveState.textContent = "Restored your unsaved draft from this browser; saving…";
      schedule();
    }
  } catch (err) { /* storage unavailable */ }

  function changed(text) {
    try { localStorage.setItem(draftKey, JSON.stringify({ text, base, at: Date.now() })); }
    catch (err) { /* ignore */ }
    saveState.textContent = "Unsaved changes…";
    schedule();
  }
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(save, 800);
  }
  async function save(force = false) {
    clearTimeout(timer);
    const text = value();
    if (text === saved && !force) return true;
    if (saving) await saving;
    saving = api("PUT", url, { source: text, base_sha256: base, force });
    const res = await saving;
    saving = null;
    if (res.ok) {
      base = res.data.sha256;
      saved = text;
      conflict.hidden = true;
      try { localStorage.removeItem(draftKey); } catch (err) { /* ignore */ }
      saveState.textContent = `Saved in ${res.data.path}` +
        (res.data.backup ? ` (the previous version is in ${res.data.backup})` : "") + ".";
      return true;
    }
    if (res.status === 409) {
      pendingConflict = res.data.detail;
      conflict.hidden = false;
      saveState.textContent = "Not saved: the file changed elsewhere (your text is kept here and in this browser).";
      return false;
    }
    saveState.textContent = res.status === 0 || !res.data ?
      "Not saved: the server cannot be reached. Your text is kept in this browser." :
      `Not saved: ${detailText(res.data)}`;
    return false;
  }
  document.getElementById("load-disk").addEventListener("click", () => {
    if (!pendingConflict) return;
    base = pendingConflict.current_sha256;
    saved = pendingConflict.current;
    if (editor) editor.setValue(saved); else textarea.value = saved;
    conflict.hidden = true;
    saveState.textContent = "Loaded the saved version.";
  });
  document.getElementById("keep-mine").addEventListener("click", () => save(true));
  window.addEventListener("beforeunload", (event) => {
    if (value() !== saved) { save(); event.preventDefault(); }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const action = event.submitter ? event.submitter.value : "save";
    if (!(await save())) return;
    if (action === "check") check();
  });

  async function check() {
    const results = document.getElementById("results");
    checkButton.disabled = true;
    results.innerHTML = '<p id="job-state">Sending your package to the grader…</p>';
    const started = await api("POST", `/api/project/stages/${stage}/check`);
    if (!started.ok) {
      results.innerHTML = "";
      const p = document.createElement("p");
      p.className = "bad"; p.setAttribute("role", "alert");
      p.textContent = `Could not check: ${detailText(started.data)}`;
      results.appendChild(p);
      checkButton.disabled = false;
      return;
    }
    followJob(started.data, (job) => {
      const state = document.getElementById("job-state");
      if (state && job.state === "queued") state.textContent = `Waiting in the grading queue (position ${job.position ?? "?"})…`;
      if (state && job.state === "running") state.textContent = "Running the stage's tests…";
    }, async () => {
      const page = await fetch(started.data.results_url);
      results.innerHTML = await page.text();
      checkButton.disabled = false;
      await refreshSide();
      const verdict = document.getElementById("verdict");
      if (verdict) { verdict.tabIndex = -1; verdict.focus(); }
    });
  }

  async function refreshSide() {
    const page = await fetch(`/project/stages/${stage}/side?file=${encodeURIComponent(file)}`);
    if (!page.ok) return;
    const doc = new DOMParser().parseFromString(await page.text(), "text/html");
    for (const id of ["status", "attempts"]) {
      const fresh = doc.getElementById(id);
      const old = document.getElementById(id);
      if (fresh && old) old.replaceWith(fresh);
    }
  }
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
