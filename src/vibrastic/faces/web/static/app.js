// vibrastic web course: progressive enhancement. Every page works without this file; with it,
// math is typeset by KaTeX, labs stream their progress, and the code editor of the challenge
// and project pages (setupCodeEditor, runCheck; project.js uses them too) autosaves and checks.
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
  let response;
  try { response = await fetch(url, init); }
  catch (err) { return { ok: false, status: 0, data: null }; }  // the server cannot be reached
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

// ---- the code editor of the challenge and project pages ----
function followJob(started, onState, onEnd) {
  const source = new EventSource(started.events_url);
  source.addEventListener("status", (e) => onState(JSON.parse(e.data)));
  source.addEventListener("end", () => { source.close(); onEnd(); });
}

async function replaceFromPage(url, ids) {
  // Swap the parts of this page named by ids for their fresh versions from url.
  const page = await fetch(url);
  if (!page.ok) return;
  const doc = new DOMParser().parseFromString(await page.text(), "text/html");
  for (const id of ids) {
    const fresh = doc.getElementById(id);
    const old = document.getElementById(id);
    if (fresh && old) old.replaceWith(fresh);
  }
}

// The #editor-form's code editor: CodeMirror (or the plain textarea), autosaved with PUT to
// saveUrl against the hash it started from; a draft kept in localStorage against a lost
// connection; on a conflict (409) "load the saved version" or "keep mine". The form's Check
// button saves first, then calls onCheck(). name: what is edited (a challenge, a file); subject:
// the editor's label after "Python code"; messages word what the saved file is called.
function setupCodeEditor({ root, name, subject, saveUrl, draftKey, messages, onCheck }) {
  const textarea = document.getElementById("source");
  const form = document.getElementById("editor-form");
  const saveState = document.getElementById("save-state");
  const conflict = document.getElementById("conflict");
  let base = root.dataset.sha || null;   // hash of the file the editor started from
  let saved = textarea.value;
  let timer = null;
  let saving = null;
  let pendingConflict = null;

  const editor = window.VibrasticEditor ?
    window.VibrasticEditor.mount(textarea, { label: `Python code ${subject}`, onChange: changed }) :
    null;
  if (editor) {  // a scrollable region must be reachable by keyboard (WCAG 2.1.1)
    editor.view.scrollDOM.tabIndex = 0;
    editor.view.scrollDOM.setAttribute("aria-label", `Scroll area of the code editor for ${name}`);
  }
  const value = () => (editor ? editor.getValue() : textarea.value);
  const show = (text) => { if (editor) editor.setValue(text); else textarea.value = text; };
  if (!editor) textarea.addEventListener("input", () => changed(textarea.value));

  // A draft kept in localStorage against a lost connection, restored if newer than the file.
  try {
    const draft = JSON.parse(localStorage.getItem(draftKey) || "null");
    if (draft && draft.text !== saved && draft.base === base) {
      show(draft.text);
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
    saving = api("PUT", saveUrl, { source: text, base_sha256: base, force });
    const res = await saving;
    saving = null;
    if (res.ok) {
      base = res.data.sha256;
      saved = text;
      conflict.hidden = true;
      try { localStorage.removeItem(draftKey); } catch (err) { /* ignore */ }
      saveState.textContent = `Saved in ${res.data.path}` +
        (res.data.backup ? ` (${messages.previous} is in ${res.data.backup})` : "") + ".";
      return true;
    }
    if (res.status === 409) {
      pendingConflict = res.data.detail;
      conflict.hidden = false;
      saveState.textContent = `Not saved: ${messages.changed} (your text is kept here and in this browser).`;
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
    show(saved);
    conflict.hidden = true;
    saveState.textContent = `Loaded ${messages.saved}.`;
  });
  document.getElementById("keep-mine").addEventListener("click", () => save(true));
  window.addEventListener("beforeunload", (event) => {
    if (value() !== saved) { save(); event.preventDefault(); }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const action = event.submitter ? event.submitter.value : "save";
    if (!(await save())) return;
    if (action === "check") onCheck();
  });
  return { editor, value };
}

// A Check: start(), follow the job in #job-state, show its results page, refresh the side.
async function runCheck({ editor, sending, running, start, resultsUrl, side }) {
  const results = document.getElementById("results");
  const checkButton = document.getElementById("check");
  const busy = (on) => { checkButton.disabled = on; if (editor) editor.setReadOnly(on); };
  busy(true);
  results.innerHTML = `<p id="job-state">${sending}</p>`;
  const started = await start();
  if (!started.ok) {
    results.innerHTML = "";
    const p = document.createElement("p");
    p.className = "bad"; p.setAttribute("role", "alert");
    p.textContent = `Could not check: ${detailText(started.data)}`;
    results.appendChild(p);
    busy(false);
    return;
  }
  followJob(started.data, (job) => {
    const state = document.getElementById("job-state");
    if (state && job.state === "queued") state.textContent = `Waiting in the grading queue (position ${job.position ?? "?"})…`;
    if (state && job.state === "running") state.textContent = running;
  }, async () => {
    const page = await fetch(resultsUrl(started.data));
    results.innerHTML = await page.text();
    busy(false);
    await replaceFromPage(side.url, side.ids);
    const verdict = document.getElementById("verdict");
    if (verdict) { verdict.tabIndex = -1; verdict.focus(); }
  });
}

// ---- challenges ----
function setupChallenge() {
  const root = document.getElementById("challenge");
  if (!root) return;
  const name = root.dataset.name;
  const code = setupCodeEditor({
    root, name, subject: `for ${name}`, saveUrl: `/api/challenges/${name}/source`,
    draftKey: `vibrastic:draft:${name}`,
    messages: { previous: "the file's previous version", saved: "the file's version",
      changed: "the file changed outside the browser" },
    onCheck: () => runCheck({
      editor: code.editor, sending: "Sending your code to the grader…",
      running: "Running the tests…",
      start: () => api("POST", `/api/challenges/${name}/check`, { source: code.value() }),
      resultsUrl: (job) => `/challenges/${name}/results/${job.job_id}`,
      side: { url: `/challenges/${name}/side`, ids: ["status", "solution-box", "attempts"] },
    }),
  });
}

document.addEventListener("DOMContentLoaded", () => {
  typesetMath(document);
  setupLab();
  setupChallenge();
});
document.addEventListener("htmx:afterSwap", (e) => typesetMath(e.target));
