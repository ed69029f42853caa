#!/usr/bin/env python
"""Check the documentation pages locally, without Quarto: nbdev's processing, nbconvert HTML, headless Chromium.

The real site is built by `nbdev_docs` (nbdev's notebook processing, then Quarto) in GitHub Actions. Quarto
cannot be installed everywhere, so this check renders the same processed notebooks with `jupyter nbconvert`
and opens every page in headless Chromium. A page fails when:

- nbdev's processing of its notebook fails (the same step `nbdev_docs` runs before Quarto),
- it does not show its title (the notebook's first `# Title` cell, which nbdev turns into the page title),
- any image does not load (`naturalWidth` 0 after the page's load event), or
- it shows an error output or a Python traceback.

It also saves screenshots of the landing page and the CVAE page. Usage, from the repository root:

    python tools/docs_check.py --out /tmp/docs     # screenshots and HTML pages into /tmp/docs
    python tools/docs_check.py --self-test         # plants bad TeX in a throw-away page; each must be reported (30 s)

Exit status 0 when every page passes, 1 when one fails, 77 when Chromium cannot be found (nothing checked).
The pages are opened offline: every remote host is blocked, so MathJax (loaded from a CDN by nbconvert)
does not typeset math and widgets fall back to their text; neither counts as a failure.
"""
import argparse, html, json, os, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_NAMES = ('chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome')
CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
                  '--disable-dev-shm-usage', '--hide-scrollbars', '--mute-audio',
                  # offline and fast: no remote host resolves (MathJax, widget and require.js CDNs fail at once)
                  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost',
                  # MathJax and the widget manager are served from the npm cache as file:// URLs (fonts included)
                  '--allow-file-access-from-files']
SHOT_WIDTH, SHOT_HEIGHT = 1280, 4000   # every page gets a screenshot, OUT/<page>.png: its top 4000 px, 1280 px wide
                                       # (whole pages, up to 16000 px, tripled the check's time)

# MathJax 3 and the widget manager come from the npm registry at check time, into a cache that is never committed.
# Quarto 1.x loads MathJax through Pandoc's default URL https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml-full.js,
# i.e. the newest 3.x, which is 3.2.2 (the last 3.x release); the widget manager is the one for ipywidgets 8.
NPM_PACKAGES = {'mathjax': '3.2.2', '@jupyter-widgets/html-manager': '1.0.15'}
MATHJAX_JS = 'mathjax/es5/tex-chtml-full.js'

def _quarto_mathjax_version():
    "The MathJax version pinned in nbs/_quarto.yml (html-math-method url ...mathjax@X.Y.Z...), or None."
    try: m = re.search(r'mathjax@(\d+\.\d+\.\d+)', (ROOT/'nbs'/'_quarto.yml').read_text(encoding='utf-8'))
    except OSError: return None
    return m and m[1]
if _quarto_mathjax_version(): NPM_PACKAGES['mathjax'] = _quarto_mathjax_version()   # one pin, the site's
WIDGETS_JS = '@jupyter-widgets/html-manager/dist/embed.js'

def _after_body() -> list:
    "The HTML files `nbs/_quarto.yml` includes after the body of every page (include-after-body), read for the check."
    import yaml
    try: fmt = (yaml.safe_load((ROOT/'nbs'/'_quarto.yml').read_text(encoding='utf-8')) or {})['format']['html']
    except (OSError, KeyError, TypeError): return []
    incs = fmt.get('include-after-body') or []
    return [(ROOT/'nbs'/f).read_text(encoding='utf-8') for f in ([incs] if isinstance(incs, str) else incs) if (ROOT/'nbs'/f).is_file()]
QUARTO_AFTER_BODY = _after_body()

def npm_cache() -> Path:
    "Where the npm packages go: $VAE_TUTORIAL_CACHE/npm, else ~/.cache/vae_tutorial/npm."
    base = os.environ.get('VAE_TUTORIAL_CACHE') or Path.home()/'.cache'/'vae_tutorial'
    return Path(base)/'npm'

def npm_modules(cache: Path, timeout=300):
    "node_modules holding NPM_PACKAGES at their pinned versions (installed with npm when missing); (path, None) or (None, why)."
    mods = cache/'node_modules'
    def have():
        for name, ver in NPM_PACKAGES.items():
            try: got = json.loads((mods/name/'package.json').read_text())['version']
            except (OSError, ValueError, KeyError): return False
            if got != ver: return False
        return (mods/MATHJAX_JS).is_file() and (mods/WIDGETS_JS).is_file()
    if have(): return mods, None
    npm = shutil.which('npm')
    if not npm: return None, 'npm not found'
    cache.mkdir(parents=True, exist_ok=True)
    cmd = [npm, 'install', '--prefix', str(cache), '--no-audit', '--no-fund', '--no-save', '--loglevel=error',
           *[f'{n}@{v}' for n, v in NPM_PACKAGES.items()]]
    print(f'== npm install {" ".join(cmd[-len(NPM_PACKAGES):])} into {cache}', flush=True)
    try: r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired: return None, f'npm install took over {timeout} s'
    if r.returncode or not have():
        return None, 'npm install failed: ' + ' | '.join((r.stderr or r.stdout).strip().splitlines()[-2:])
    return mods, None

# Quarto's MathJax: inline $...$ (Pandoc turns it into \(...\)) and \(...\), display $$...$$ and \[...\]. Stricter
# than the site on one point: `noerrors`/`noundefined` are off, so a TeX error becomes an error node, never raw text.
MATHJAX_CONFIG = r"""
<script>
window.__docsCheckMathErrors = [];
window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\(', '\\)']], displayMath: [['$$', '$$'], ['\\[', '\\]']],
        processEscapes: true, processEnvironments: true, packages: {'[-]': ['noerrors', 'noundefined']},
        formatError: function (jax, err) {
          window.__docsCheckMathErrors.push((err.message || String(err)) + ' in: ' + String(jax.latex || '').slice(0, 120));
          return jax.formatError(err);
        }},
  options: {ignoreHtmlClass: 'tex2jax_ignore', processHtmlClass: 'tex2jax_process'},
  startup: {typeset: true}
};
</script>
<script src="%s" id="MathJax-script"></script>
"""
WIDGETS_SCRIPT = r"""
<script>
window.__docsCheckWidgetErrors = [];
window.__jupyter_widgets_assets_path__ = '%s';
window.addEventListener('unhandledrejection', function (e) {
  window.__docsCheckWidgetErrors.push('unhandled rejection: ' + String(e.reason && (e.reason.message || e.reason)).slice(0, 200)); });
window.addEventListener('error', function (e) {
  if (e.message) window.__docsCheckWidgetErrors.push('script error: ' + e.message.slice(0, 200)); });
</script>
<script src="%s"></script>
"""

# Runs in the page: on load (and after a short settle), record what a reader would see into the DOM as JSON.
CHECK_JS = r"""
<script>
(function () {
  function norm(s) { return (s || '').replace(/\u00b6/g, '').replace(/\s+/g, ' ').trim(); }
  function run() {
    var want = norm(document.documentElement.getAttribute('data-expected-title'));
    var h1s = Array.prototype.map.call(document.querySelectorAll('h1'), function (h) { return norm(h.textContent); });
    var imgs = Array.prototype.map.call(document.images, function (im) {
      var src = im.getAttribute('src') || '';
      return {src: src.slice(0, 80), remote: /^(https?:)?\/\//.test(src), complete: im.complete, width: im.naturalWidth};
    });
    var errors = [], notes = [];
    var outs = document.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"], .output_error, .output_stderr');
    Array.prototype.forEach.call(outs, function (o) {
      var t = o.textContent || '';
      if (/Traceback|\b\w*Error:|\bException:/.test(t)) errors.push(t.trim().slice(0, 300));
      else if (t.trim()) notes.push('stderr output: ' + t.trim().split('\n')[0].slice(0, 120));
    });
    Array.prototype.forEach.call(document.querySelectorAll('.jp-OutputArea-output, .output_area'), function (o) {
      var t = o.textContent || '';
      if (/Traceback \(most recent call last\)/.test(t) && errors.indexOf(t.trim().slice(0, 300)) < 0) errors.push(t.trim().slice(0, 300));
    });
    var res = {title: document.title, want: want, h1: h1s.slice(0, 3), has_title: want !== '' && h1s.indexOf(want) >= 0,
               images: imgs, errors: errors, notes: notes, math: mathResult(), widgets: widgetResult(),
               page_errors: (window.__docsCheckWidgetErrors || []).slice(0, 10),
               height: Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)};
    var pre = document.createElement('pre');
    pre.id = 'docs-check-result'; pre.style.display = 'none';
    pre.textContent = JSON.stringify(res);
    document.body.appendChild(pre);
    var anchor = location.hash === '#docs-check-widget' && document.getElementById('docs-check-widget');
    if (anchor) {   // the widget screenshot: hide the cells above the widget's (and the one before it), so it shows on top
      var cells = Array.prototype.slice.call(document.querySelectorAll('.jp-Cell'));
      var at = cells.findIndex(function (c) { return c.contains(anchor); });
      cells.forEach(function (c, i) { if (i < at - 1) c.style.display = 'none'; });
      window.scrollTo(0, 0);
    }
  }
  // Math: formulas typeset (mjx-container), TeX errors (formatError and mjx-merror nodes), and delimiters left in
  // the prose of Markdown cells (an unmatched $ or \( shows as source to the reader).
  function mathResult() {
    var mj = window.MathJax;
    if (!mj || !mj.startup || !mj.startup.document) return {loaded: false};
    var errs = (window.__docsCheckMathErrors || []).slice();
    Array.prototype.forEach.call(document.querySelectorAll('mjx-merror'), function (e) {
      var m = e.getAttribute('data-mjx-error') || e.textContent;
      if (!errs.some(function (x) { return x.indexOf(m) === 0; })) errs.push('merror: ' + m);
    });
    var left = [];
    Array.prototype.forEach.call(document.querySelectorAll('.jp-RenderedMarkdown, .jp-MarkdownOutput, .text_cell_render'), function (root) {
      var w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {acceptNode: function (n) {
        for (var p = n.parentElement; p && p !== root; p = p.parentElement)
          if (/^(CODE|PRE|SCRIPT|STYLE|MJX-CONTAINER|MJX-ASSISTIVE-MML)$/.test(p.tagName)) return NodeFilter.FILTER_REJECT;
        return NodeFilter.FILTER_ACCEPT; }});
      for (var n = w.nextNode(); n; n = w.nextNode()) {
        var t = n.textContent, i = t.search(/\$|\\[()\[\]]/);
        if (i >= 0) left.push(t.slice(Math.max(0, i - 40), i + 40).replace(/\s+/g, ' '));
      }
    });
    return {loaded: true, version: mj.version, typeset: document.querySelectorAll('mjx-container').length,
            display: document.querySelectorAll('mjx-container[display="true"]').length, errors: errs.slice(0, 20),
            left: left.slice(0, 10), n_left: left.length};
  }
  // Widgets: the embedded state, the views that reference it, and what the html-manager rendered for them.
  function widgetResult() {
    var models = 0, bad = [];
    Array.prototype.forEach.call(document.querySelectorAll('script[type="application/vnd.jupyter.widget-state+json"]'), function (s) {
      try { models += Object.keys(JSON.parse(s.textContent).state || {}).length; } catch (e) { bad.push('widget state is not JSON: ' + e); }
    });
    var views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length;
    var subareas = document.querySelectorAll('.widget-subarea');
    var rendered = Array.prototype.filter.call(subareas, function (a) { return a.querySelector('.jupyter-widgets, .widget-inline-hbox, .lm-Widget'); }).length;
    Array.prototype.forEach.call(document.querySelectorAll('.jupyter-widgets.widget-error, .widget-error'), function (e) {
      bad.push('widget error: ' + (e.textContent || '').trim().slice(0, 160)); });
    return {manager: !!window._jupyter_widget_embedder, models: models, views: views, rendered: rendered,
            controls: document.querySelectorAll('.widget-subarea .widget-slider, .widget-subarea .widget-toggle-buttons, .widget-subarea button, .widget-subarea img').length,
            errors: bad};
  }
  function settled() {   // MathJax done, and every widget view rendered (or 6 s of page time gone)
    var mj = window.MathJax, t0 = Date.now();
    var math = (mj && mj.startup && mj.startup.promise) ? mj.startup.promise.catch(function (e) {
      (window.__docsCheckMathErrors = window.__docsCheckMathErrors || []).push('MathJax failed: ' + e); }) : Promise.resolve();
    return math.then(function () { return new Promise(function (resolve) {
      (function poll() {
        var views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length;
        var done = !window._jupyter_widget_embedder || document.querySelectorAll('.widget-subarea .jupyter-widgets, .widget-subarea .lm-Widget').length >= views;
        if (done || Date.now() - t0 > 6000) resolve(); else setTimeout(poll, 100);
      })();
    }); });
  }
  window.addEventListener('load', function () { setTimeout(function () { settled().then(function () { setTimeout(run, 300); }); }, 200); });
})();
</script>
"""

def find_chromium():
    "Path of a Chromium/Chrome executable ($CHROMIUM when set), or None."
    if 'CHROMIUM' in os.environ:
        p = shutil.which(os.environ['CHROMIUM']) if os.environ['CHROMIUM'] else None
        return p
    for n in CHROMIUM_NAMES:
        p = shutil.which(n)
        if p: return p
    return next((p for p in ('/usr/bin/chromium', '/usr/lib/chromium/chromium') if os.access(p, os.X_OK)), None)

def notebook_title(nb: dict) -> str:
    "The `# Title` nbdev takes as the page title: the first markdown cell with an H1 (None if there is none)."
    for c in nb.get('cells', []):
        if c.get('cell_type') != 'markdown': continue
        src = ''.join(c.get('source', ''))
        m = re.search(r'^#\s+(\S.*?)\s*$', src, flags=re.MULTILINE)
        if m: return m[1]
    return None

def plain(s: str) -> str:
    "Title text as the browser shows it: Markdown emphasis and code marks dropped, spaces collapsed."
    s = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', s)
    s = re.sub(r'(?<!\w)_(\S.*?)_(?!\w)', r'\1', re.sub(r'[`*]', '', s))
    return re.sub(r'\s+', ' ', s).strip()

def _proc_nbs(work: Path, n_workers: int):
    "Run `nbdev.serve.proc_nbs` in a project folder `work` (a subprocess: TensorFlow stays out of this one); (ok, error)."
    code = f'from nbdev.serve import proc_nbs\nproc_nbs(n_workers={n_workers}, force=True)\n'
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', PYTHONWARNINGS='ignore')
    env.setdefault('VAE_TUTORIAL_OFFLINE', '1')
    r = subprocess.run([sys.executable, '-c', code], cwd=work, env=env, capture_output=True, text=True)
    if not r.returncode: return True, None
    err = r.stderr or ''
    where = []
    for w, src in re.findall(r'^Exception: (Error in notebook: .*? in cell \d+) :\n(.*?)(?:\n"""|\Z)', err, flags=re.MULTILINE|re.DOTALL):
        code = [l for l in src.splitlines() if l.strip() and not l.startswith('#|')]
        hint = ''
        if any(re.match(r'\s*(import|from)\s', l) for l in code) and not all(re.match(r'\s*(import|from)\s', l) for l in code):
            hint = ('; nbdev executes every cell containing an import to build the docs, so this one runs without '
                    'the cells before it: move its imports into an imports-only cell')
        where.append(f'{w}, {(code or [""])[0][:70]!r}{hint}')
    cause = re.findall(r'^(\w*(?:Error|Exception|Interrupt|Exit)\b:? .*)$', err, flags=re.MULTILINE)
    cause = [c for c in cause if not c.startswith('Exception: Error in notebook')]
    if where:
        w, _, hint = where[-1].partition('; ')
        return False, w + (f': {cause[0]}' if cause else '') + (f' ({hint})' if hint else '')
    lines = [l for l in err.splitlines() if l.strip() and not re.match(r'^[IWE]0000 ', l)]
    return False, ' | '.join(lines[-3:])

def _project(work: Path, notebooks):
    "A copy of the project's settings.ini and nbs/ (only `notebooks` of the .ipynb files) in `work`."
    work.mkdir(parents=True)
    shutil.copy2(ROOT/'settings.ini', work/'settings.ini')
    extra = os.environ.get('DOCS_CHECK_EXTRA_PROCS', '').strip()   # preview a docs processor not yet in settings.ini
    if extra:
        ini = (work/'settings.ini').read_text(encoding='utf-8')
        ini = re.sub(r'^(procs\s*=.*)$', lambda m: f'{m[1]} {extra}', ini, count=1, flags=re.MULTILINE)
        (work/'settings.ini').write_text(ini, encoding='utf-8')
        (work/'tools').symlink_to(ROOT/'tools')
    keep = {n.name for n in notebooks}
    shutil.copytree(ROOT/'nbs', work/'nbs', ignore=lambda d, names: [
        n for n in names if n in ('_proc', '_docs', '.ipynb_checkpoints') or n.startswith('.')
        or (n.endswith('.ipynb') and n not in keep)])
    (work/'vae_tutorial').symlink_to(ROOT/'vae_tutorial')   # relative paths behave as in the repository

def process_with_nbdev(tmp: Path, sources, n_workers: int):
    """nbdev's docs processing (`nbdev.serve.proc_nbs`, what `nbdev_docs` runs before Quarto) of a copy of nbs/.
    Returns ({stem: processed notebook}, {stem: error}). When the run over all notebooks fails, each notebook it
    did not finish is processed on its own, so that every page gets its own verdict."""
    work = tmp/'project'
    _project(work, sources)
    ok, err = _proc_nbs(work, n_workers)
    done = {s.stem: work/'_proc'/s.name for s in sources if (work/'_proc'/s.name).exists()}
    errors = {}
    if not ok:
        print(f'nbdev processing stopped: {err}\nprocessing the remaining notebooks one at a time', flush=True)
        for s in sources:
            if s.stem in done: continue
            w = tmp/f'project-{s.stem}'
            _project(w, [s])
            ok1, err1 = _proc_nbs(w, 1)
            if (w/'_proc'/s.name).exists(): done[s.stem] = w/'_proc'/s.name
            else: errors[s.stem] = err1 or 'no processed notebook written'
    return done, errors

def directive_filter(nb: dict) -> dict:
    "What Quarto does with the `#|` cell options left after nbdev: honour include/echo/output false, hide the lines."
    cells = []
    for c in nb['cells']:
        if c.get('cell_type') == 'code':
            src = ''.join(c.get('source', ''))
            opts = dict((k.strip().lower(), v.strip().lower()) for k, v in
                        re.findall(r'^#\|\s*([\w-]+)\s*:\s*(\S+)', src, flags=re.MULTILINE))
            if opts.get('include') == 'false': continue
            if opts.get('output') == 'false': c['outputs'] = []
            src = re.sub(r'^#\|.*\n?', '', src, flags=re.MULTILINE)
            if opts.get('echo') == 'false': src = ''
            c['source'] = src
            if not src.strip():   # nbconvert drops the input of cells tagged remove_input (see main)
                tags = c.setdefault('metadata', {}).setdefault('tags', [])
                if 'remove_input' not in tags: tags.append('remove_input')
            for o in c.get('outputs', []):   # Pandoc link attributes in show_doc's Markdown, which Quarto applies
                md = o.get('data', {}).get('text/markdown')
                if md is not None:
                    md = ''.join(md) if isinstance(md, list) else md
                    o['data']['text/markdown'] = re.sub(r'\]\(([^)]*)\)\{[^}\n]*\}', r'](\1)', md)
        cells.append(c)
    nb['cells'] = cells
    return nb

def page_notebook(proc_nb: Path, dst: Path) -> dict:
    "Turn nbdev's front matter (a raw cell Quarto reads) into the title block nbconvert would otherwise drop."
    nb = json.loads(proc_nb.read_text(encoding='utf-8'))
    fm = {}
    if nb['cells'] and nb['cells'][0].get('cell_type') == 'raw':
        import yaml
        src = ''.join(nb['cells'][0].get('source', '')).strip()
        if src.startswith('---'):
            fm = yaml.safe_load(src.strip('-')) or {}
            nb['cells'].pop(0)
    head = []
    if fm.get('title'): head.append(f"# {fm['title']}")
    if fm.get('description'): head.append(f"> {fm['description']}")
    if head: nb['cells'].insert(0, {'cell_type': 'markdown', 'metadata': {}, 'source': '\n\n'.join(head)})
    nb = directive_filter(nb)
    nb.setdefault('metadata', {})['title'] = fm.get('title', proc_nb.stem)
    for i, c in enumerate(nb['cells']): c.setdefault('id', f'docs-check-{i}')
    dst.write_text(json.dumps(nb), encoding='utf-8')
    return fm

def qmd_notebook(qmd: Path, dst: Path) -> dict:
    "A one-cell notebook for a Markdown .qmd page (front matter as the title block), so nbconvert can show it."
    import yaml
    text = qmd.read_text(encoding='utf-8')
    m = re.match(r'^---\s*\n(.*?)\n---\s*\n', text, flags=re.DOTALL)
    fm = (yaml.safe_load(m[1]) or {}) if m else {}
    body = text[m.end():] if m else text
    head = (f"# {fm['title']}\n\n" if fm.get('title') else '') + (f"> {fm['description']}\n\n" if fm.get('description') else '')
    nb = {'cells': [{'cell_type': 'markdown', 'id': 'page', 'metadata': {}, 'source': head + body}],
          'metadata': {'title': fm.get('title', qmd.stem)}, 'nbformat': 4, 'nbformat_minor': 5}
    dst.write_text(json.dumps(nb), encoding='utf-8')
    return fm

MAX_PAGE_MB = 1.0   # a page with its images, as a reader downloads it: about 8 s on a 1 Mbit/s line

def page_weight(text: str, folder: Path) -> dict:
    "Bytes a reader downloads for a page (before the check adds its scripts): the HTML with its data: images, plus local image files."
    files = 0
    for src in set(re.findall(r'<img[^>]*\ssrc="([^"]+)"', text)):
        if re.match(r'^(data:|https?:|//)', src): continue
        f = folder/html.unescape(src).split('#')[0].split('?')[0]
        if f.is_file(): files += f.stat().st_size
    data_uri = sum(len(m) for m in re.findall(r'data:image/[^"\')\s]+', text))
    state = sum(len(m) for m in re.findall(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', text, flags=re.DOTALL))
    size = len(text.encode('utf-8'))
    return {'html': size, 'data_uri': data_uri, 'widget_state': state, 'files': files, 'total': size + files}

def _prose(md: str) -> str:
    "Markdown without code blocks and code spans (where a dollar sign is not math)."
    md = re.sub(r'^(```|~~~).*?^\1', '', md, flags=re.MULTILINE|re.DOTALL)
    return re.sub(r'(`+)(?!`).*?(?<!`)\1(?!`)', '', md, flags=re.DOTALL)

def source_math_problems(nb: dict) -> list:
    """Inline math that MathJax typesets here but Pandoc (so Quarto's site) leaves as text: Pandoc takes `$...$` as math
    only when the opening `$` has a non-space right after it, the closing `$` a non-space right before it and no digit
    right after it. Returns one line per offending span, naming the cell."""
    out = []
    for i, c in enumerate(nb.get('cells', [])):
        if c.get('cell_type') != 'markdown': continue
        text = _prose(''.join(c.get('source', '')))
        text = re.sub(r'(?<!\\)\$\$.*?(?<!\\)\$\$', ' ', text, flags=re.DOTALL)   # display math first
        for m in re.finditer(r'(?<!\\)\$(.+?)(?<!\\)\$', text, flags=re.DOTALL):
            body, after = m[1], text[m.end():m.end() + 1]
            why = ('a space after the opening $' if body[:1].isspace() else 'a space before the closing $' if body[-1:].isspace()
                   else 'a digit right after the closing $' if after.isdigit() else None)
            if why: out.append(f'markdown cell {i}: Pandoc will not typeset ${body[:60]}$ ({why}); Quarto shows it as text')
    return out

def chromium(exe, args, timeout):
    "Run headless Chromium; (returncode, stdout)."
    r = subprocess.run([exe, *CHROMIUM_FLAGS, *args], capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout

# --self-test: a throw-away project with one page of good and of planted bad TeX; each planted problem must be reported
GOOD = r'Good: $x^2$, $\mathbb{E}_{q(z\mid x)}[\log p(x\mid z)]$ and \(a+b\), and $$\mathrm{KL}(q\,\|\,p) \ge 0.$$'
BAD = {'Undefined control sequence \\foo': r'Unknown: $\foo{x}$.',
       'left as text: ...Unbalanced: $\\frac{a}{b$': r'Unbalanced: $\frac{a}{b$.',   # MathJax finds no formula: braces unbalanced
       'Extra close brace': r'Extra: $a}$.',
       'math delimiter left as text': r'A lone dollar $ here.',
       'Pandoc will not typeset': r'Spaced: $ y$ and more text.'}   # Pandoc (so Quarto) leaves it as text

def self_test() -> int:
    "Run this check on a project whose one page plants each of BAD beside GOOD: 0 when all are reported and GOOD typeset, 1 if not, 77 skipped."
    tmp = Path(tempfile.mkdtemp(prefix='docs_check_self_test_'))
    try:
        (tmp/'tools').mkdir(); shutil.copy2(__file__, tmp/'tools'/'docs_check.py')
        (tmp/'vae_tutorial').mkdir(); (tmp/'vae_tutorial'/'__init__.py').write_text('')
        ini = (ROOT/'settings.ini').read_text(encoding='utf-8')
        (tmp/'settings.ini').write_text('\n'.join(l for l in ini.splitlines() if not l.startswith('procs')), encoding='utf-8')
        (tmp/'nbs').mkdir()
        for f in ('_quarto.yml', 'nbdev.yml', 'sidebar.yml', 'styles.css', 'mathjax-widgets.html'):
            if (ROOT/'nbs'/f).exists(): shutil.copy2(ROOT/'nbs'/f, tmp/'nbs'/f)
        cells = [{'cell_type': 'markdown', 'id': f'c{i}', 'metadata': {}, 'source': s}
                 for i, s in enumerate(['# Math test\n\n> planted TeX errors', GOOD, *BAD.values()])]
        (tmp/'nbs'/'math_test.ipynb').write_text(json.dumps({'cells': cells, 'nbformat': 4, 'nbformat_minor': 5, 'metadata': {
            'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}}}), encoding='utf-8')
        r = subprocess.run([sys.executable, str(tmp/'tools'/'docs_check.py'), '--out', str(tmp/'out')],
                           cwd=tmp, capture_output=True, text=True, timeout=600)
        out = r.stdout + r.stderr
        print(out[-3000:])
        if r.returncode == 77 or 'math and widget checks skipped' in out: print('docs_check --self-test: skipped (no Chromium or no npm)'); return 77
        missing = [k for k in BAD if k not in out]
        w = tmp/'out'/'weights.json'
        typeset = json.loads(w.read_text())['formulas'].get('math_test', 0) if w.exists() else 0
        ok = r.returncode == 1 and not missing and typeset >= 4
        print(f'exit {r.returncode} (want 1); planted problems not reported: {missing or "none"}; formulas typeset: {typeset} (want >= 4)')
        print(f'docs_check --self-test: {"PASS" if ok else "FAIL"}')
        return 0 if ok else 1
    finally: shutil.rmtree(tmp, ignore_errors=True)

def main():
    if '--self-test' in sys.argv[1:]: sys.exit(self_test())
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', default=None, help='folder for the screenshots and the HTML pages (default: a temporary one, removed)')
    p.add_argument('--budget', type=int, default=8000, help='virtual time per page, ms (default 8000)')
    p.add_argument('--timeout', type=int, default=120, help='wall-clock limit per Chromium run, s (default 120)')
    p.add_argument('--jobs', type=int, default=2, help='Chromium processes at a time (default 2)')
    p.add_argument('--no_npm', action='store_true', help='skip the MathJax and widget checks (no npm install)')
    p.add_argument('--n_workers', type=int, default=1, help='processes for nbdev processing (default 1)')
    p.add_argument('--self-test', action='store_true', help='plant bad TeX in a throw-away page and expect each problem reported')
    args = p.parse_args()
    t0 = time.time()
    exe = find_chromium()
    if not exe:
        print('docs_check: chromium not found (install Debian\'s `chromium` package, or set $CHROMIUM); nothing checked')
        sys.exit(77)

    mods, npm_why = (None, 'skipped with --no_npm') if args.no_npm else npm_modules(npm_cache())
    if mods is None: print(f'docs_check: math and widget checks skipped ({npm_why}); counted neither way', flush=True)

    tmp = Path(tempfile.mkdtemp(prefix='docs_check_'))
    out = Path(args.out).resolve() if args.out else tmp/'out'
    out.mkdir(parents=True, exist_ok=True)
    results = []   # (page, ok, reasons, notes)
    weights, math_counts, shots, anchored = {}, {}, [], set()
    try:
        sources = sorted(p for p in (ROOT/'nbs').glob('*.ipynb') if not p.name.startswith(('_', '.')))
        print(f'== nbdev processing of {len(sources)} notebooks (nbdev.serve.proc_nbs)', flush=True)
        processed_nbs, proc_errors = process_with_nbdev(tmp, sources, args.n_workers)
        print(f'== nbdev processing done ({time.time() - t0:.0f} s)', flush=True)

        pages = tmp/'pages'; pages.mkdir()
        expected, failed_early = {}, {}
        for src in sources:
            want = notebook_title(json.loads(src.read_text(encoding='utf-8')))
            processed = processed_nbs.get(src.stem)
            if processed is None:
                failed_early[src.stem] = [f'nbdev processing failed, so nbdev_docs fails too: {proc_errors.get(src.stem)}']; continue
            fm = page_notebook(processed, pages/src.name)
            if want is None: failed_early[src.stem] = ['the notebook has no "# Title" markdown cell']; continue
            expected[src.stem] = plain(want)
            if plain(str(fm.get('title', ''))) != plain(want):
                failed_early[src.stem] = [f'nbdev front matter title {fm.get("title")!r} is not the notebook title {want!r}']
        qmds = sorted((ROOT/'nbs').glob('*.qmd'))
        for q in qmds:
            fm = qmd_notebook(q, pages/f'{q.stem}.ipynb')
            if fm.get('title'): expected[q.stem] = plain(str(fm['title']))
            else: failed_early[q.stem] = ['the page has no title in its front matter']

        todo = sorted(expected)
        if todo:
            print(f'== jupyter nbconvert --to html: {len(todo)} pages', flush=True)
            r = subprocess.run([sys.executable, '-m', 'jupyter', 'nbconvert', '--to', 'html', '--output-dir', str(out/'html'),
                                '--no-prompt', '--TagRemovePreprocessor.enabled=True',
                                '--TagRemovePreprocessor.remove_input_tags=remove_input',
                                *[str(pages/f'{s}.ipynb') for s in todo]], capture_output=True, text=True)
            if r.returncode: print(r.stderr[-2000:])
            # images linked from markdown (nbs/images/...) sit beside the pages, as Quarto copies them into _docs
            if (ROOT/'nbs'/'images').is_dir(): shutil.copytree(ROOT/'nbs'/'images', out/'html'/'images', dirs_exist_ok=True)
            vendor = out/'html'/'_vendor'   # MathJax and the widget manager, from the npm cache, at a relative path
            if vendor.is_symlink() or vendor.exists(): vendor.unlink() if vendor.is_symlink() else shutil.rmtree(vendor)
            if mods is not None: vendor.symlink_to(mods, target_is_directory=True)

        print(f'== headless Chromium ({exe}), {args.jobs} pages at a time ({time.time() - t0:.0f} s)', flush=True)
        for stem in todo:   # add MathJax, the widget manager and the check's script to each page
            page = out/'html'/f'{stem}.html'
            if not page.exists(): continue
            text = page.read_text(encoding='utf-8')
            weights[stem] = page_weight(text, page.parent)
            if mods is not None:   # MathJax 3 (Quarto's), and the widget manager when the page embeds widget state
                text = re.sub(r'<script[^>]*src="https?://[^"]*mathjax[^"]*"[^>]*>\s*</script>', '', text, flags=re.IGNORECASE)
                head = MATHJAX_CONFIG % f'_vendor/{MATHJAX_JS}'
                if 'application/vnd.jupyter.widget-state+json' in text:
                    head += WIDGETS_SCRIPT % ('_vendor/@jupyter-widgets/html-manager/dist/', f'_vendor/{WIDGETS_JS}')
                text = text.replace('</head>', head + '</head>', 1)
                for inc in QUARTO_AFTER_BODY:   # what _quarto.yml adds to every page on the site
                    text = text.replace('</body>', inc + '</body>', 1)
            text = re.sub(r'<html([^>]*)>', lambda m: f'<html{m[1]} data-expected-title="{html.escape(expected[stem])}">', text, count=1)
            text = text.replace('</body>', CHECK_JS + '</body>', 1) if '</body>' in text else text + CHECK_JS
            # an anchor at the first widget view, so that a screenshot can open the page there (OUT/<page>-widget.png)
            text = text.replace('<script type="application/vnd.jupyter.widget-view+json">',
                                '<a id="docs-check-widget"></a><script type="application/vnd.jupyter.widget-view+json">', 1)
            if 'id="docs-check-widget"' not in text:   # else at the first explorer that moves without a kernel (06, 02)
                text = re.sub(r'(<div class="vae-(?:static|elbo)-explorer")', r'<a id="docs-check-widget"></a>\1', text, count=1)
            if 'id="docs-check-widget"' in text: anchored.add(stem)
            page.write_text(text, encoding='utf-8')
        from concurrent.futures import ThreadPoolExecutor
        def dump(stem):
            try: return stem, chromium(exe, [f'--user-data-dir={tmp}/profile-{stem}', f'--virtual-time-budget={args.budget}',
                                             '--dump-dom', (out/'html'/f'{stem}.html').as_uri()], args.timeout)
            except subprocess.TimeoutExpired: return stem, None
        with ThreadPoolExecutor(args.jobs) as ex:
            doms = dict(ex.map(dump, [s for s in todo if (out/'html'/f'{s}.html').exists()]))
        print(f'== pages opened ({time.time() - t0:.0f} s)', flush=True)
        for stem in sorted(set(todo) | set(failed_early)):
            if stem in failed_early:
                results.append((stem, False, failed_early[stem], [])); continue
            page = out/'html'/f'{stem}.html'
            if stem not in doms:
                results.append((stem, False, ['nbconvert wrote no HTML'], [])); continue
            url, profile = page.as_uri(), tmp/f'profile-{stem}'
            if doms[stem] is None:
                results.append((stem, False, [f'Chromium did not finish within {args.timeout} s'], [])); continue
            rc, dom = doms[stem]
            m = re.search(r'<pre id="docs-check-result"[^>]*>(.*?)</pre>', dom, flags=re.DOTALL)
            if not m:
                results.append((stem, False, [f'the page never finished loading (Chromium exit {rc})'], [])); continue
            res = json.loads(html.unescape(m[1]))
            reasons, notes = [], []
            if not res['has_title']: reasons.append(f'title {expected[stem]!r} not shown (h1: {res["h1"]})')
            for im in res['images']:
                if im['width'] == 0:
                    if im['remote']: notes.append(f'remote image not checked offline: {im["src"]}')
                    else: reasons.append(f'image does not load: {im["src"]}')
            reasons += [f'error output: {e.splitlines()[0][:160]}...' for e in res['errors']]
            notes += res['notes']
            n_img = sum(1 for im in res['images'] if im['width'] > 0)
            notes.insert(0, f'{n_img} images loaded')
            if mods is not None:
                m, w = res['math'], res['widgets']
                if not m.get('loaded'): reasons.append('MathJax did not load')
                else:
                    math_counts[stem] = m['typeset']
                    notes.append(f'math: {m["typeset"]} formulas typeset ({m["display"]} display), MathJax {m["version"]}')
                    reasons += [f'MathJax error: {e}' for e in m['errors']]
                    reasons += [f'math delimiter left as text: ...{t}...' for t in m['left']]
                    if m['n_left'] > len(m['left']): reasons.append(f'... {m["n_left"] - len(m["left"])} more delimiters left as text')
                if w['models'] or w['views']:
                    notes.append(f'widgets: {w["models"]} models in the embedded state, {w["views"]} views, {w["rendered"]} rendered '
                                 f'by @jupyter-widgets/html-manager ({w["controls"]} controls/images)')
                    if w['rendered'] < w['views']: reasons.append(f'widgets: only {w["rendered"]} of {w["views"]} views rendered')
                    reasons += w['errors']
                reasons += [f'page error: {e}' for e in res['page_errors']]
                src_nb = ROOT/'nbs'/f'{stem}.ipynb'   # cell numbers as in the notebook (0-based), not the processed page
                for e in source_math_problems(json.loads((src_nb if src_nb.exists() else pages/f'{stem}.ipynb').read_text(encoding='utf-8'))):
                    reasons.append(e)
            notes.append(f'weight {weights[stem]["total"] / 1e6:.2f} MB')
            if weights[stem]['total'] > MAX_PAGE_MB * 1e6:
                reasons.append(f'the page weighs {weights[stem]["total"] / 1e6:.2f} MB, over {MAX_PAGE_MB} MB: draw its figures '
                               'as 256-colour PNGs (plots.InlineFigure, plots.compact_inline_figures) or show fewer')
            results.append((stem, not reasons, reasons, notes))
            shots.append((stem, url, profile, min(SHOT_HEIGHT, max(800, int(res.get('height') or SHOT_HEIGHT)))))
            if res['widgets']['views'] or stem in anchored: shots.append((f'{stem}-widget', url + '#docs-check-widget', profile, 1400))
        # every page gets a screenshot of its top; pages with a widget view or an explorer one more, opened there
        def shoot(item):
            stem, url, profile, height = item
            shot = out/f'{stem}.png'
            if shot.exists(): shot.unlink()
            try:
                chromium(exe, [f'--user-data-dir={profile}-shot-{stem}', f'--virtual-time-budget={args.budget}',
                               f'--window-size={SHOT_WIDTH},{height}', f'--screenshot={shot}', url], args.timeout)
            except subprocess.TimeoutExpired: pass
            return stem, shot.exists()
        with ThreadPoolExecutor(args.jobs) as ex: shot_ok = dict(ex.map(shoot, shots))
        print(f'== screenshots taken ({time.time() - t0:.0f} s)', flush=True)
        for i, (stem, ok, reasons, notes) in enumerate(results):
            for name in (stem, f'{stem}-widget'):
                if name not in shot_ok: continue
                if shot_ok[name]: notes.append(f'screenshot {name}.png')
                else: results[i] = (stem, False, reasons + [f'screenshot {name}.png not written'], notes)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)   # with --out, the pages and screenshots are kept there

    print()
    for stem, ok, reasons, notes in results:
        print(f'{"PASS" if ok else "FAIL"}  {stem}' + (f'  ({"; ".join(notes)})' if notes else ''))
        for r in reasons: print(f'      - {r}')
    if weights:
        print('\npage weights (HTML with its embedded images + local image files; widget state included):')
        for stem, w in sorted(weights.items()):
            print(f'  {stem:18s} {w["total"] / 1e6:6.2f} MB  (HTML {w["html"] / 1e6:.2f} MB, of which {w["data_uri"] / 1e6:.2f} MB '
                  f'embedded images, {w["widget_state"] / 1e6:.2f} MB widget state; image files {w["files"] / 1e6:.2f} MB)'
                  + (f'  {math_counts[stem]} formulas' if stem in math_counts else ''))
    if weights: (out/'weights.json').write_text(json.dumps({'weights': weights, 'formulas': math_counts}, indent=1))
    n_ok = sum(ok for _, ok, _, _ in results)
    print(f'took {time.time() - t0:.0f} s')
    skipped = '' if mods is not None else f'; math and widget checks skipped ({npm_why}): counted neither way'
    print(f'docs_check: {n_ok} passed, {len(results) - n_ok} failed{skipped}')
    if not results or n_ok < len(results): sys.exit(1)
    sys.exit(0 if mods is not None else 77)

if __name__ == '__main__': main()
