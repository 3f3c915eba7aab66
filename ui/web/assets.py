"""Static assets of the web chat: the theme (system fonts only: nothing is fetched from the internet),
the CSS for the rendered answers and sources, and the page script that makes [n] footnotes jump to
their source, opens a citation in the reader (ui.web.reader) and copies the conversation."""

from __future__ import annotations

from typing import Any

from ui.web.reader import READER_CSS, READER_JS

CSS = """
.ba-answer { line-height: 1.55; }
.ba-first-step { border-left: 4px solid #2563eb; background: rgba(37, 99, 235, 0.08); padding: 8px 12px;
  border-radius: 6px; margin: 4px 0; }
.ba-kind-label { font-weight: 600; margin: 0 0 4px 0; color: #475467; font-size: 0.92em; }
.dark .ba-first-step { border-left: 4px solid #2563eb; background: rgba(37, 99, 235, 0.08); padding: 8px 12px;
  border-radius: 6px; margin: 4px 0; }
.dark .ba-kind-label { color: #cbd5e1; }
.ba-list { margin: 4px 0 0 1.2em; padding: 0; }
.ba-list li { margin: 0 0 8px 0; }
.ba-list-title { font-weight: 600; }
.ba-list-why { margin-top: 2px; }
.ba-compare { border-collapse: collapse; width: 100%; margin: 4px 0; }
.ba-compare th, .ba-compare td { border: 1px solid rgba(128, 128, 128, 0.35); padding: 6px 8px; vertical-align: top; text-align: left; }
.ba-compare thead th, .ba-compare tr:first-child th { background: rgba(128, 128, 128, 0.10); }
.ba-compare th[scope=row] { width: 28%; }
.ba-missing { font-style: italic; color: #b45309; }
.ba-meta-answer { margin: 0; }
.ba-why { margin-top: 6px; font-size: 0.85em; color: #667085; }
.ba-why summary { cursor: pointer; }
.ba-why ul { margin: 4px 0 0 1.2em; padding: 0; }
.ba-answer sup { line-height: 0; }
a.ba-cite { font-weight: 600; text-decoration: none; padding: 0 2px; border-radius: 3px;
  color: var(--color-accent); cursor: pointer; }
a.ba-cite:hover, a.ba-cite:focus-visible { background: var(--color-accent-soft); text-decoration: underline; }
a.ba-cite:focus-visible { outline: 2px solid var(--color-accent); outline-offset: 1px; }
.ba-cite-pending { color: var(--body-text-color-subdued); font-size: 0.8em; }
.ba-thinking { color: var(--body-text-color-subdued); font-style: italic; }
.ba-abstain { border-left: 4px solid #d97706; background: rgba(217, 119, 6, 0.10); padding: 8px 12px;
  border-radius: 6px; }
.ba-abstain p { margin: 4px 0; }
.ba-abstain-title { font-weight: 700; color: #b45309; }
.dark .ba-abstain-title { color: #fbbf24; }
.ba-closest { margin: 2px 0 4px 1.2em; padding: 0; }
.ba-error { border-left: 4px solid #dc2626; background: rgba(220, 38, 38, 0.08); padding: 8px 12px; border-radius: 6px; }
#ba-sources { max-height: 72vh; overflow-y: auto; }
.ba-turn { margin-bottom: 8px; }
.ba-turn > summary { cursor: pointer; font-weight: 600; padding: 4px 0; }
.ba-brief { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px; margin: 6px 0; }
#ba-summary .html-container, #ba-sources .html-container, #ba-library .html-container,
#ba-status .html-container { padding: 0; }
.ba-summary { margin: 0; }
.ba-meta, .ba-file, .ba-summary, .ba-empty { color: var(--body-text-color); opacity: 0.78; }
.ba-title { font-weight: 600; }
a.ba-title { padding: 0; }
.ba-meta, .ba-file { font-size: 0.9em; }
.ba-passage { margin: 6px 0 0 0; padding: 2px 0 2px 10px; border-left: 3px solid var(--border-color-primary);
  white-space: pre-line; font-size: 0.92em; overflow-wrap: anywhere; }
.ba-source { scroll-margin: 80px; border-radius: 3px; }
.ba-source:focus { outline: none; }
.ba-n { font-weight: 700; color: var(--color-accent); margin-right: 1px; }
.ba-passage mark { background: #fde68a; color: #1f2937; padding: 0 1px; border-radius: 2px; }
.ba-source.ba-active mark { background: #fb923c; color: #111827; box-shadow: 0 0 0 2px #ea580c; }
.ba-library { list-style: none; padding: 0; margin: 0; }
.ba-lib-item { border-bottom: 1px solid var(--border-color-primary); padding: 6px 0; overflow-wrap: anywhere; }
.ba-status { list-style: none; padding: 0; margin: 6px 0; }
.ba-fail { color: #dc2626; }
.ba-ok { color: #15803d; }
.dark .ba-fail { color: #f87171; }
.dark .ba-ok { color: #4ade80; }
.ba-passage-tools { margin: 2px 0 0 13px; font-size: 0.9em; }
@media (max-width: 640px) { #ba-sources { max-height: none; } }
""" + READER_CSS

# Runs once when the page loads. One delegated listener survives every re-render of the chat.
JS = """
() => {
  const activate = (id) => {
    const el = document.getElementById(id);
    if (!el) return false;
    document.querySelectorAll('.ba-source.ba-active').forEach((x) => x.classList.remove('ba-active'));
    const details = el.closest('details');
    if (details) details.open = true;
    el.classList.add('ba-active');
    el.scrollIntoView({behavior: 'smooth', block: 'center'});
    el.focus({preventScroll: true});
    return true;
  };
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest && ev.target.closest('a.ba-cite');
    if (!a) return;
    ev.preventDefault();
    ev.stopPropagation();
    activate((a.getAttribute('href') || '').replace(/^#/, ''));
  }, true);
""" + READER_JS + """
}
"""

# Runs before Gradio's own scripts: its upload requests carry the API key typed into the Library tab, so that
# Gradio's upload endpoint can refuse callers who may not write (see ui.web.app.UploadGuard).
UPLOAD_KEY_SCRIPT = """<script>
(() => {
  const realFetch = window.fetch.bind(window);
  window.fetch = (input, init) => {
    const url = typeof input === 'string' ? input : (input && input.url) || '';
    if (url.includes('/gradio_api/upload')) {
      const box = document.querySelector('#ba-key input, #ba-key textarea');
      if (box && box.value) {
        const headers = new Headers((init && init.headers) || {});
        headers.set('Authorization', 'Bearer ' + box.value);
        init = Object.assign({}, init || {}, {headers});
      }
    }
    return realFetch(input, init);
  };
})();
</script>"""

COPY_JS = """
(md) => {
  const done = () => {
    const b = document.getElementById('ba-copy');
    if (!b) return;
    const old = b.textContent;
    b.textContent = 'Copied ✓';
    setTimeout(() => { b.textContent = old; }, 1500);
  };
  const fallback = () => {
    const ta = document.createElement('textarea');
    ta.value = md; document.body.appendChild(ta); ta.select();
    document.execCommand('copy'); ta.remove(); done();
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(md).then(done, fallback);
  } else { fallback(); }
  return md;
}
"""

# Asks before deleting; a cancelled dialog sends no id.
CONFIRM_DELETE_JS = (
    "(id, key, sel) => [(id && confirm('Delete brief ' + id + ' from the library?')) ? id : null, key, sel]"
)


def make_theme() -> Any:
    """Gradio's default theme with system fonts (the stock theme loads fonts from Google)."""
    import gradio as gr

    return gr.themes.Default(
        font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=["ui-monospace", "Menlo", "Consolas", "monospace"],
    )
