// The challenge editor: CodeMirror 6 with Python highlighting, bundled once by esbuild into
// src/vibrastic/faces/web/static/vendor/codemirror.js (the page loads it; no Node.js at run time).
// Tab is left to the browser (focus moves on), so keyboard users are never trapped in the editor;
// indent with Mod-] / Mod-[ (CodeMirror's defaults) or rely on auto-indent after Enter.
import { basicSetup } from "codemirror";
import { EditorView } from "@codemirror/view";
import { Compartment, EditorState } from "@codemirror/state";
import { syntaxHighlighting } from "@codemirror/language";
import { classHighlighter } from "@lezer/highlight";
import { python } from "@codemirror/lang-python";

const theme = EditorView.theme({
  "&": { color: "var(--fg)", backgroundColor: "var(--code-bg)", fontSize: "0.95rem" },
  ".cm-content": { caretColor: "var(--fg)", fontFamily: "var(--mono)" },
  ".cm-gutters": { backgroundColor: "var(--code-bg)", color: "var(--muted)", border: "none" },
  ".cm-activeLine, .cm-activeLineGutter": { backgroundColor: "var(--active-line)" },
  "&.cm-focused": { outline: "3px solid var(--focus)", outlineOffset: "2px" },
  ".cm-cursor": { borderLeftColor: "var(--fg)" },
  "&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection": {
    backgroundColor: "var(--selection)" },
});

// Replace ``textarea`` by an editor with the same text; the textarea stays in the form (hidden)
// and is kept in sync, so a plain form submit still sends the code.
export function mount(textarea, { onChange = () => {}, label = "Code editor" } = {}) {
  const editable = new Compartment();
  const view = new EditorView({
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        basicSetup, python(), syntaxHighlighting(classHighlighter), theme,
        editable.of(EditorView.editable.of(true)),
        EditorView.contentAttributes.of({ "aria-label": label, "aria-multiline": "true" }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) {
            textarea.value = update.state.doc.toString();
            onChange(textarea.value);
          }
        }),
      ],
    }),
  });
  textarea.insertAdjacentElement("afterend", view.dom);
  textarea.hidden = true;
  return {
    view,
    getValue: () => view.state.doc.toString(),
    setValue(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    setReadOnly(flag) {
      view.dispatch({ effects: editable.reconfigure(EditorView.editable.of(!flag)) });
    },
    focus: () => view.focus(),
  };
}

window.VibrasticEditor = { mount };
