// vibrastic web course: progressive enhancement. Every page works without this file; with it,
// math is typeset by KaTeX, labs stream their progress, and the challenge editor autosaves.
"use strict";

function typesetMath(root) {
  if (!window.katex) return;
  root.querySelectorAll(".math[data-tex]").forEach((el) => {
    try {
      window.katex.render(el.dataset.tex, el, {
        displayMode: el.classList.contains("display"), output: "htmlAndMathml",
        throwOnError: false,
      });
    } catch (err) { /* keep the server's MathML */ }
  });
}

const csrfMeta = document.querySelector('meta[name="csrf-token"]');

async function api(method, url, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (csrfMeta) init.headers["X-CSRF-Token"] = csrfMeta.content;  // classroom sessions
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  let data = null;
  try { data = await response.json(); } catch (err) { data = null; }
  return { ok: response.ok, status: response.status, data };
}

function detailText(data) {
  if (!data) return "the server did not answer";
  const d = data.detail;
  return typeof d === "string" ? d : (d && d.message) || JSON.stringify(d);
}

// ---- labs ----
function setupLab() {
  const form = document.getElementById("lab-form");
  if (!form) return;
  const result = document.getElementById("lab-result");
  const runButton = document.getElementById("run");
  const cancelButton = document.getElementById("cancel");
  const errorBox = document.getElementById("form-error");
  let current = null;

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errorBox.hidden = true;
    const params = {};
    new FormData(form).forEach((value, key) => { params[key] = String(value); });
    runButton.disabled = true;
    const started = await api("POST", `/api/labs/${form.dataset.lab}/runs`, params);
    if (!started.ok) {
      errorBox.textContent = detailText(started.data);
      errorBox.hidden = false;
      runButton.disabled = false;
      return;
    }
    current = started.data.id;
    cancelButton.hidden = false;
    result.innerHTML = '<p id="lab-progress-text">Starting…</p>' +
      '<progress id="lab-progress" aria-label="Lab progress"></progress>';
    const source = new EventSource(started.data.events_url);
    source.addEventListener("status", (e) => {
      const run = JSON.parse(e.data);
      const text = document.getElementById("lab-progress-text");
      const bar = document.getElementById("lab-progress");
      if (!text || !bar) return;
      const p = run.progress;
      if (p.total) { bar.max = p.total; bar.value = p.done; }
      text.textContent = run.state === "queued" ? "Waiting for a free worker…" :
        `Running${p.stage ? ": " + p.stage : ""}${p.total ? ` — ${p.done} of ${p.total}` : ""}…`;
    });
    source.addEventListener("end", async () => {
      source.close();
      cancelButton.hidden = true;
      runButton.disabled = false;
      const page = await fetch(`/labs/${form.dataset.lab}/runs/${current}?fragment=1`);
      result.innerHTML = await page.text();
      const heading = document.getElementById("result-h");
      if (heading) heading.scrollIntoView({ block: "start" });
    });
  });
  cancelButton.addEventListener("click", async () => {
    if (current) await api("POST", `/api/runs/${current}/cancel`);
  });
}

// ---- challenges ----
function setupChallenge() {
  const root = document.getElementById("challenge");
  if (!root) return;
  const name = root.dataset.name;
  const textarea = document.getElementById("source");
  const form = document.getElementById("editor-form");
  const saveState = document.getElementById("save-state");
  const checkButton = document.getElementById("check");
  const conflict = document.getElementById("conflict");
  const draftKey = `vibrastic:draft:${name}`;
  let base = root.dataset.sha || null;   // hash of the file the editor started from
  let saved = textarea.value;
  let timer = null;
  let saving = null;
  let pendingConflict = null;

  const editor = window.VibrasticEditor ?
    window.VibrasticEditor.mount(textarea, { label: `Python code for ${name}`, onChange: changed }) :
    null;
  if (editor) {  // a scrollable region must be reachable by keyboard (WCAG 2.1.1)
    editor.view.scrollDOM.tabIndex = 0;
    editor.view.scrollDOM.setAttribute("aria-label", `Scroll area of the code editor for ${name}`);
  }
  const value = () => (editor ? editor.getValue() : textarea.value);
  if (!editor) textarea.addEventListener("input", () => changed(textarea.value));

  // A draft kept in localStorage against a lost connection, restored if newer than the file.
  try {
    const draft = JSON.parse(localStorage.getItem(draftKey) || "null");
    if (draft && draft.text !== saved && draft.base === base) {
      if (editor) editor.setValue(draft.text); else textarea.value = draft.text;
      saveState.textContent = "Restored your unsaved draft from this browser; saving…";
      schedule();
    }
  } catch (err) { /* storage unavailable: the server copy is what counts */ }

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
    saving = api("PUT", `/api/challenges/${name}/source`, { source: text, base_sha256: base, force });
    const res = await saving;
    saving = null;
    if (res.ok) {
      base = res.data.sha256;
      saved = text;
      conflict.hidden = true;
      try { localStorage.removeItem(draftKey); } catch (err) { /* ignore */ }
      saveState.textContent = `Saved in ${res.data.path}` +
        (res.data.backup ? ` (the file's previous version is in ${res.data.backup})` : "") + ".";
      return true;
    }
    if (res.status === 409) {
      pendingConflict = res.data.detail;
      conflict.hidden = false;
      saveState.textContent = "Not saved: the file changed outside the browser (your text is kept here and in this browser).";
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
    saveState.textContent = "Loaded the file's version.";
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
    if (editor) editor.setReadOnly(true);
    results.innerHTML = '<p id="job-state">Sending your code to the grader…</p>';
    const started = await api("POST", `/api/challenges/${name}/check`, { source: value() });
    if (!started.ok) {
      results.innerHTML = "";
      const p = document.createElement("p");
      p.className = "bad"; p.setAttribute("role", "alert");
      p.textContent = `Could not check: ${detailText(started.data)}`;
      results.appendChild(p);
      checkButton.disabled = false;
      if (editor) editor.setReadOnly(false);
      return;
    }
    const source = new EventSource(started.data.events_url);
    source.addEventListener("status", (e) => {
      const job = JSON.parse(e.data);
      const state = document.getElementById("job-state");
      if (state && job.state === "queued") state.textContent = `Waiting in the grading queue (position ${job.position ?? "?"})…`;
      if (state && job.state === "running") state.textContent = "Running the tests…";
    });
    source.addEventListener("end", async () => {
      source.close();
      const page = await fetch(`/challenges/${name}/results/${started.data.job_id}`);
      results.innerHTML = await page.text();
      checkButton.disabled = false;
      if (editor) editor.setReadOnly(false);
      refreshSide();
      const verdict = document.getElementById("verdict");
      if (verdict) { verdict.tabIndex = -1; verdict.focus(); }
    });
  }

  async function refreshSide() {
    const page = await fetch(`/challenges/${name}/side`);
    if (!page.ok) return;
    const doc = new DOMParser().parseFromString(await page.text(), "text/html");
    for (const id of ["status", "solution-box", "attempts"]) {
      const fresh = doc.getElementById(id);
      const old = document.getElementById(id);
      if (fresh && old) old.replaceWith(fresh);
    }
  }
}

document.addEventListener("DOMContentLoaded", () => {
  typesetMath(document);
  setupLab();
  setupChallenge();
});
document.addEventListener("htmx:afterSwap", (e) => typesetMath(e.target));
