#!/usr/bin/env python
"""Do the kernel-free explorers move, and show the right digit and ELBO? Headless Chromium drives them as a reader would.

`vae_tutorial.widgets.static_explorer` turns an explorer into HTML: a PNG sprite sheet of its decodes over a grid
of the controls and a few lines of JavaScript (see nbs/06_explorer.ipynb). This check opens such pages in headless
Chromium, moves every control programmatically (sets a slider or a select and fires its `input` event, as a drag
or a click does), reads the canvas back and checks:

1. **against Python** (always): a page built here from small models (seeded, 3 epochs on 1,000 digits of the
   bundled sample: no data, seconds) with the latent explorer, the digit picker and the CVAE interpolator. After
   each move the canvas must equal the explorer's own Python decode of the same point, `explorer.set(**state).image`, to within
   half a grey level of the sheet (`StaticExplorer.tolerance`; the sheets here keep 256 greys, so that neighbouring tiles
   stay apart, where the pages keep 16) and half a level of the canvas, and it must change whenever the Python decode changes.
2. **the built docs page** (`--page`, else nbs/06_explorer.ipynb through nbconvert): every explorer on it moves;
   after each move the canvas equals the sheet's tile for that state, read in Python from the page itself (the
   notebook's own tests check each tile against the trained model's decode), and it changed.

02's ELBO explorer (`vae_tutorial.losses.ELBOExplorer.html`: sliders over a grid, a table of ELBOs computed by
the widget's own quadrature, an SVG plot redrawn in JavaScript) is checked the same way, reading the readout's text,
the slider labels and both curves' SVG paths after each move:

3. **against Python**: a page built here with two ELBO explorers (the notebook's, and another model, observation,
   start and step): after each move the readout must be the widget's own text for the same slider values
   (`explorer.set(mean=..., log_var=...).text`), the curves Python's densities mapped to pixels (within
   ELBO_TOLERANCE), and numbers and plot must both change on every move;
4. **the built 02 page** (`--elbo_page`; else 02_elbo.html next to `--page`; else nbs/02_elbo.ipynb through the
   docs' widget processor and nbconvert): the same after each move, against the explorer rebuilt from the model the
   page names, and every ELBO of the page's table equal to Python's quadrature.

It reports the latency of each move (input event to canvas or plot drawn, measured in the page with
`performance.now()`) and saves screenshots of the pages' explorers, moved away from their start, in `--out`. Usage:

    python tools/explorer_check.py --out /tmp/explorers                  # 06 and 02 as nbconvert renders them
    python tools/explorer_check.py --page /tmp/docs/html/06_explorer.html # the pages tools/docs_check.py built

Exit status 0 when all is well, 1 on a failure, 77 when Chromium cannot be found (nothing checked).
"""
import argparse, base64, io, json, os, re, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/'tools'))
from docs_check import find_chromium, chromium   # the same browser, flags (offline) and runner as the docs check

TOLERANCE = 1 / 255   # canvas vs the sheet's tile, per pixel on [0, 1]: half an 8-bit level of the canvas, and a margin

DRIVER = r"""
<script>
// Runs in the load event: by then the sheets (data: URLs) are loaded, so every move draws at once. No virtual time,
// so performance.now() is the real clock.
window.addEventListener('load', function () {
  var out = [];
  try {
    document.querySelectorAll('.vae-static-explorer').forEach(function (root, e) {
      var canvas = root.querySelector('canvas'), ctx = canvas.getContext('2d');
      var inputs = Array.prototype.slice.call(root.querySelectorAll('[data-name]'));
      function pixels() { return Array.prototype.slice.call(ctx.getImageData(0, 0, canvas.width, canvas.height).data); }
      function state() { var s = {}; inputs.forEach(function (el) { s[el.dataset.name] = Number(el.value); }); return s; }
      function size(el) { return el.tagName === 'SELECT' ? el.options.length : Number(el.max) + 1; }
      out.push({explorer: e, id: root.id, move: null, state: state(), pixels: pixels(), ms: null, tile: Number(root.dataset.tile)});
      inputs.forEach(function (el) {
        var n = size(el), targets = [n - 1, 0, Math.floor(n / 2), (Math.floor(n / 2) + 1) % n];
        targets.forEach(function (k) {
          var t0 = performance.now();
          el.value = String(k);
          el.dispatchEvent(new Event('input', {bubbles: true}));   // what a drag or a click fires
          var ms = performance.now() - t0;
          out.push({explorer: e, id: root.id, move: el.dataset.name, state: state(), pixels: pixels(), ms: ms, tile: Number(root.dataset.tile)});
        });
      });
    });
  } catch (err) { out = {error: String(err)}; }
  var pre = document.createElement('pre'); pre.id = 'explorer-check'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""

def drive(exe, page: Path, tmp: Path, timeout=180, driver=DRIVER, tag='explorer-check') -> list:
    "Open `page` (with the driver added) in headless Chromium; the records of every move, or raise RuntimeError."
    driven = page.with_name(page.stem + f'.{tag}.html')
    driven.write_text(page.read_text(encoding='utf-8').replace('</body>', driver + '</body>'), encoding='utf-8')
    rc, dom = chromium(exe, [f'--user-data-dir={tmp}/profile-{page.stem}-{tag}', '--dump-dom', driven.as_uri()], timeout)
    m = re.search(rf'<pre id="{tag}">(.*?)</pre>', dom, flags=re.DOTALL)
    if not m: raise RuntimeError(f'{page.name}: the driver reported nothing (Chromium exit status {rc})')
    import html
    records = json.loads(html.unescape(m[1]))
    if isinstance(records, dict): raise RuntimeError(f"{page.name}: {records.get('error')}")
    return records

def explorers_only(page: Path, dst: Path, moves: dict, cls='vae-static-explorer'):
    "A page with only the explorers (class `cls`) of `page` (their HTML and scripts), each control set by `moves` (name → index): for a screenshot."
    text = page.read_text(encoding='utf-8')
    parts = re.findall(rf'(<div[^>]*\bclass="{cls}".*?</script>\s*</div>\s*<script>.*?</script>)', text, flags=re.DOTALL)
    setter = ('<script>window.addEventListener("load", function () { var moves = ' + json.dumps(moves) + ';'
              f'document.querySelectorAll(".{cls} [data-name]").forEach(function (el) {{'
              ' if (el.dataset.name in moves) { el.value = String(Math.min(moves[el.dataset.name], el.tagName === "SELECT" ? el.options.length - 1 : Number(el.max)));'
              ' el.dispatchEvent(new Event("input")); } }); });</script>')
    body = '\n<hr>\n'.join(parts)
    dst.write_text(f'<!doctype html><html><head><meta charset="utf-8"></head><body style="font-family:sans-serif;margin:20px">{body}{setter}</body></html>',
                   encoding='utf-8')
    return len(parts)

def screenshot(exe, page: Path, png: Path, tmp: Path, height=900):
    chromium(exe, [f'--user-data-dir={tmp}/shot-{png.stem}', '--virtual-time-budget=5000', f'--window-size=1000,{height}',
                   f'--screenshot={png}', page.as_uri()], 120)
    return png.is_file()

def canvas_image(rec, shape):
    "The canvas pixels of a record as an image (H, W, C) on [0, 1]; grey as ink (1 - grey level), like the decoder's output."
    import numpy as np
    h, w, c = shape
    a = np.asarray(rec['pixels'], np.float32).reshape(h, w, 4)[..., :3] / 255
    return a if c == 3 else 1 - a[..., :1]

def python_page(tmp: Path):
    "A page of static explorers built here, and {root id: (explorer, StaticExplorer)} to check them against."
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
    os.environ.pop('VAE_TUTORIAL_DATA', None); os.environ['VAE_TUTORIAL_OFFLINE'] = '1'   # the bundled sample: no data, no network
    import numpy as np
    from vae_tutorial.backend import keras
    from vae_tutorial.data import load_mnist
    from vae_tutorial.models import make_vae, make_cvae
    from vae_tutorial.training import train_vae
    from vae_tutorial.widgets import latent_explorer, digit_picker, interpolator, static_explorer
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')   # the note that this is the bundled sample
        x, y = load_mnist().train
    x, y = x[:1000], y[:1000]
    keras.utils.set_random_seed(0)   # a few epochs: decodes that look like digits and differ from tile to tile
    vae = make_vae('dense', latent_dim=2, seed=0); train_vae(vae, x, epochs=3, verbose=0)
    cvae = make_cvae('dense', latent_dim=2, prior='learned', seed=0); train_vae(cvae, x, epochs=3, verbose=0, y=y)
    a, b = np.flatnonzero(y == 4)[0], np.flatnonzero(y == 9)[0]
    # 8-bit sheets here (the pages use 16 greys): neighbouring tiles of these small models differ by a few 8-bit levels,
    # which 16 greys would merge, and the check must tell them apart; nbs/06_explorer.ipynb holds 16-grey tiles to their decodes
    made = [(latent_explorer(vae), dict(n=9, model=vae, levels=256)), (digit_picker(cvae), dict(n=7, model=cvae, levels=256)),
            (interpolator(cvae, x[a], x[b], 4, 9), dict(n=11, model=cvae, levels=256))]
    found, body = {}, []
    for ex, kw in made:
        s = static_explorer(ex, **kw)
        text = s.html
        found[re.search(r'id="(vse-[0-9a-f]+)"', text)[1]] = (ex, s)
        body.append(text)
    page = tmp/'python_explorers.html'
    page.write_text('<!doctype html><html><head><meta charset="utf-8"></head><body>' + '\n'.join(body) + '</body></html>', encoding='utf-8')
    return page, found

def sheets_of(page: Path) -> dict:
    "{root id: (spec, sheet as an array)} of every static explorer on a built page, read from the page itself."
    import html, numpy as np
    from PIL import Image
    text, out = page.read_text(encoding='utf-8'), {}
    roots = list(re.finditer(r'<div[^>]*\bclass="vae-static-explorer"[^>]*>', text))
    for k, m in enumerate(roots):
        chunk = text[m.start():roots[k + 1].start() if k + 1 < len(roots) else len(text)]
        uid = re.search(r'\bid="(vse-[0-9a-f]+)"', m[0])
        png = re.search(r'<img[^>]*\bsrc="data:image/png;base64,([A-Za-z0-9+/=]+)"', chunk)
        spec = re.search(r'<script[^>]*\bclass="vse-spec"[^>]*>(.*?)</script>', chunk, flags=re.DOTALL)
        if not (uid and png and spec): continue
        sheet = Image.open(io.BytesIO(base64.b64decode(png[1])))   # grey sheets are palette PNGs of a few greys: read as grey
        sheet = sheet.convert('RGB' if sheet.mode.startswith('RGB') else 'L')
        out[uid[1]] = (json.loads(html.unescape(spec[1])), np.asarray(sheet, np.float32) / 255)
    return out

# ---- 02's ELBO explorer: a table of ELBOs and an SVG plot redrawn in JavaScript (vae_tutorial.losses.ELBOExplorer.html)

ELBO_DRIVER = r"""
<script>
// As DRIVER, for the ELBO explorers: after each move, the readout's text, the slider labels and both curves' paths.
window.addEventListener('load', function () {
  var out = [];
  try {
    document.querySelectorAll('.vae-elbo-explorer').forEach(function (root, e) {
      var inputs = Array.prototype.slice.call(root.querySelectorAll('input[data-name]'));
      function record(move, ms) {
        var s = {}, labels = {};
        inputs.forEach(function (el) { s[el.dataset.name] = Number(el.value); labels[el.dataset.name] = el.nextElementSibling.textContent; });
        out.push({explorer: e, id: root.id, move: move, state: s, labels: labels, ms: ms,
                  readout: root.querySelector('.vee-readout').textContent,
                  q: root.querySelector('.vee-q').getAttribute('d'), post: root.querySelector('.vee-post').getAttribute('d'),
                  yticks: root.querySelectorAll('.vee-yticks text').length});
      }
      record(null, null);
      inputs.forEach(function (el) {
        var n = Number(el.max) + 1;
        [n - 1, 0, Math.floor(n / 2), Math.floor(n / 2) + 1].forEach(function (k) {
          var t0 = performance.now();
          el.value = String(k);
          el.dispatchEvent(new Event('input', {bubbles: true}));   // what a drag fires
          record(el.dataset.name, performance.now() - t0);
        });
      });
    });
  } catch (err) { out = {error: String(err)}; }
  var pre = document.createElement('pre'); pre.id = 'elbo-check'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""

ELBO_TOLERANCE = 0.01   # pixels: the page writes coordinates to 2 decimals (0.005), the posterior to 6 significant digits

def elbo_specs(page: Path) -> dict:
    "{root id: spec} of every ELBO explorer on a page, read from the page itself."
    import html
    text, out = page.read_text(encoding='utf-8'), {}
    for m in re.finditer(r'<div[^>]*\bclass="vae-elbo-explorer"[^>]*\bid="(vee-[0-9a-f]+)"[^>]*>(.*?)</div>\s*<script>', text, flags=re.DOTALL):
        spec = re.search(r'<script[^>]*\bclass="vee-spec"[^>]*>(.*?)</script>', m[2], flags=re.DOTALL)
        if not spec: continue
        out[m[1]] = json.loads(html.unescape(spec[1]))
        # what the page shows before its script runs (a viewer that runs none): the readout and both curves
        readout = re.search(r'class="vee-readout"[^>]*>(.*?)</div>', m[2], flags=re.DOTALL)
        paths = {k: re.search(rf'<path class="vee-{k}"[^>]*\bd="([^"]*)"', m[2]) for k in ('q', 'post')}
        out[m[1]]['_unscripted'] = {'readout': html.unescape(re.sub(r'<[^>]+>', '', readout[1])) if readout else None,
                                    **{k: v[1] if v else None for k, v in paths.items()}}
    return out

def elbo_explorer_of(spec):
    "The Python explorer a page's spec was made from (its model is a `LinearGaussian`, named in the spec), or None."
    from vae_tutorial.losses import ELBOExplorer
    from vae_tutorial.toy import LinearGaussian
    m = re.fullmatch(r'LinearGaussian\((.*)\)', spec.get('model', ''))
    if not m: return None
    kw = {k.strip(): float(v) for k, v in (p.split('=') for p in m[1].split(','))}
    means = spec['means']
    return ELBOExplorer(LinearGaussian(**kw), spec['x'], step=round(means[1] - means[0], 6))

def path_points(d):
    "The (x, y) points of an SVG path written as M x,y L x,y ... [Z]."
    import numpy as np
    return np.array([[float(a), float(b)] for a, b in re.findall(r'(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)', d or '')])

def check_elbo_records(ex, spec, records, where, problems):
    "Each record against the Python explorer `ex` at the same slider values: readout text, slider labels, both curves. Returns (moves, moves that changed numbers and plot)."
    import numpy as np
    means, log_vars = ex.grid()
    if (means, log_vars) != (spec['means'], spec['log_vars']): problems.append(f'{where}: the sliders\' values differ from Python\'s grid')
    (x0, x1), (L, T, W, H) = ex.z_range, ex.box
    xs = L + (ex.zp - x0) / (x1 - x0) * W
    moves = changed = same = 0
    worst, prev = 0.0, None
    pre, first = spec.get('_unscripted', {}), records[0]     # the page before its script ran = the page it opens on
    if pre.get('readout') != first['readout'] or any(
            path_points(pre.get(k)).shape != path_points(first[k]).shape or
            float(np.abs(path_points(pre.get(k)) - path_points(first[k])).max(initial=0)) > ELBO_TOLERANCE for k in ('q', 'post')):
        problems.append(f'{where}: without its script the page shows another start than with it ({pre.get("readout")!r} vs {first["readout"]!r})')
    for r in records:
        m, lv = means[r['state']['mean']], log_vars[r['state']['log_var']]
        ex.set(mean=m, log_var=lv)
        y_max = ex.y_max(lv)
        want_q = np.c_[xs, T + H * (1 - ex.q(m, lv) / y_max)]
        want_post = np.c_[xs, T + H * (1 - ex.post / y_max)]
        got_q, got_post = path_points(r['q']), path_points(r['post'])
        shown = r['readout'].replace('\u00a0', ' ')
        same += shown == ex.text
        if shown != ex.text: problems.append(f'{where}, mean {m}, log_var {lv}: the page shows {shown!r}, Python {ex.text!r}')
        if r['labels'] != {'mean': f'{m:.2f}', 'log_var': f'{lv:.2f}'}: problems.append(f'{where}: slider labels {r["labels"]} for mean {m}, log_var {lv}')
        if got_q.shape != (len(xs) + 2, 2) or got_post.shape != want_post.shape:
            problems.append(f'{where}, mean {m}, log_var {lv}: paths with {len(got_q)} and {len(got_post)} points, expected {len(xs) + 2} and {len(xs)}')
        else:
            diff = max(float(np.abs(got_q[1:-1] - want_q).max()), float(np.abs(got_post - want_post).max()),
                       float(np.abs(got_q[[0, -1]] - [[xs[0], T + H], [xs[-1], T + H]]).max()))
            worst = max(worst, diff)
            if diff > ELBO_TOLERANCE: problems.append(f'{where}, mean {m}, log_var {lv}: the curves differ from Python by {diff:.3f} px')
        if r['yticks'] < 3: problems.append(f'{where}, mean {m}, log_var {lv}: {r["yticks"]} y tick labels')
        if r['move'] is not None:
            moves += 1
            if prev is not None and r['state'] != prev['state']:
                if r['readout'] != prev['readout'] and r['q'] != prev['q']: changed += 1
                else: problems.append(f'{where}: moving {r["move"]} to mean {m}, log_var {lv} did not change ' +
                                      ' and '.join(w for w, same in (('the numbers', r['readout'] == prev['readout']), ('the plot', r['q'] == prev['q'])) if same))
        prev = r
    return dict(moves=moves, changed=changed, worst=worst, same=same, positions=len(records))

def elbo_python_page(tmp: Path):
    "A page of two ELBO explorers built here (the notebook's, and another model, observation, start and step), and {root id: explorer}."
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
    from vae_tutorial.losses import ELBOExplorer
    from vae_tutorial.toy import LinearGaussian
    made = [ELBOExplorer(), ELBOExplorer(LinearGaussian(a=-1.0, b=0.3, noise_std=0.5), x=-0.8, mean=1.0, log_var=-2.0, step=0.25)]
    found, body = {}, []
    for ex in made:
        text = ex.html
        found[re.search(r'id="(vee-[0-9a-f]+)"', text)[1]] = ex
        body.append(text)
    page = tmp/'python_elbo.html'
    page.write_text('<!doctype html><html><head><meta charset="utf-8"></head><body>' + '\n'.join(body) + '</body></html>', encoding='utf-8')
    return page, found

def elbo_page_of_notebook(tmp: Path):
    "nbs/02_elbo.ipynb through the docs' widget processor and nbconvert, when no built page is given."
    import nbformat
    from vae_tutorial.widgets import static_widget_outputs
    nb = nbformat.read(ROOT/'nbs'/'02_elbo.ipynb', as_version=4)
    nb.metadata.pop('widgets', None)
    for cell in nb.cells: static_widget_outputs(cell)
    src = tmp/'02_elbo.ipynb'; nbformat.write(nb, src)
    r = subprocess.run([sys.executable, '-m', 'nbconvert', '--to', 'html', '--output-dir', str(tmp/'nbconvert'), str(src)], capture_output=True, text=True)
    if r.returncode: print(r.stderr[-2000:])
    return tmp/'nbconvert'/'02_elbo.html'

def summary(res) -> str:
    "One line for the results of `check_elbo_records`."
    if not res: return 'nothing checked'
    n = lambda k: sum(r[k] for r in res)
    return (f"{n('changed')} of {n('moves')} moves changed the numbers and the plot; readout equal to Python's at {n('same')} of "
            f"{n('positions')} positions, curves within {max(r['worst'] for r in res):.4f} px of Python's (tolerance {ELBO_TOLERANCE} px)")

def check_elbo(exe, tmp: Path, out: Path, page, problems) -> list:
    "3. a page built here and 4. the built 02 page: every move changes the numbers and the plot, and both equal Python's. The latencies."
    from vae_tutorial.losses import _in_ten_thousandths
    latencies = []
    t0 = time.time()
    py_page, found = elbo_python_page(tmp)
    records = drive(exe, py_page, tmp, driver=ELBO_DRIVER, tag='elbo-check')
    res = []
    for e_id, ex in found.items():
        recs = [r for r in records if r['id'] == e_id]
        if len(recs) < 2: problems.append(f'python ELBO page: explorer {e_id} was not driven'); continue
        res.append(check_elbo_records(ex, elbo_specs(py_page)[e_id], recs, f'python ELBO page {e_id}', problems))
        latencies += [r['ms'] for r in recs if r['move']]
    print(f'python ELBO page: {len(found)} explorers, {summary(res)} ({time.time() - t0:.0f} s)')
    t0 = time.time()
    if page is None or not page.is_file():
        if page is not None: print(f'{page} not found: rendering nbs/02_elbo.ipynb with nbconvert instead')
        page = elbo_page_of_notebook(tmp)
    if not page.is_file(): problems.append('no 02 page to check'); return latencies
    specs = elbo_specs(page)
    if len(specs) != 1: problems.append(f'{page.name}: {len(specs)} ELBO explorers found, expected 1')
    records = drive(exe, page, tmp, driver=ELBO_DRIVER, tag='elbo-check')
    res = []
    for e_id, spec in specs.items():
        ex = elbo_explorer_of(spec)
        if ex is None: problems.append(f'{page.name}: explorer {e_id} shows a model this check cannot rebuild ({spec.get("model")})'); continue
        want = [_in_ten_thousandths(v) for v in ex.table().ravel()]
        bad = sum(a != b for a, b in zip(spec['elbo'], want)) + abs(len(spec['elbo']) - len(want))
        if bad: problems.append(f'{page.name}: {bad} of {len(want)} ELBOs in the page\'s table differ from Python\'s quadrature')
        if spec['log_px'] != _in_ten_thousandths(ex.log_px): problems.append(f'{page.name}: log P(X) differs from Python\'s')
        recs = [r for r in records if r['id'] == e_id]
        if len(recs) < 2: problems.append(f'{page.name}: explorer {e_id} was not driven'); continue
        opens = recs[0]['readout'].replace('\u00a0', ' ')
        res.append(check_elbo_records(ex, spec, recs, f'{page.name} {e_id}', problems))
        latencies += [r['ms'] for r in recs if r['move']]
        print(f'{page.name}: opens at mean {spec["means"][recs[0]["state"]["mean"]]}, log_var {spec["log_vars"][recs[0]["state"]["log_var"]]}: {opens}')
        print(f'{page.name}: all {len(want)} ELBOs of the table {"equal" if not bad else "NOT equal"} to Python\'s quadrature (4 decimals)')
    print(f'{page.name}: {len(specs)} ELBO explorer, {summary(res)}; page {page.stat().st_size / 1e6:.2f} MB ({time.time() - t0:.0f} s)')
    if explorers_only(page, out/'page_elbo.html', {'mean': 62, 'log_var': 40}, cls='vae-elbo-explorer'):
        screenshot(exe, out/'page_elbo.html', out/'page_elbo.png', tmp, height=420)
    return latencies

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--page', default=None, help='the built 06 page (default: nbs/06_explorer.ipynb through nbconvert)')
    p.add_argument('--out', default=None, help='folder for the screenshots (default: a temporary one, removed)')
    p.add_argument('--elbo_page', default=None, help='the built 02 page (default: 02_elbo.html next to --page, else nbs/02_elbo.ipynb through nbconvert)')
    args = p.parse_args()
    exe = find_chromium()
    if not exe:
        print('explorer_check: chromium not found (install Debian\'s `chromium` package, or set $CHROMIUM); nothing checked')
        return 77
    import numpy as np
    tmp = Path(tempfile.mkdtemp(prefix='explorer_check_'))
    out = Path(args.out) if args.out else tmp/'out'
    out.mkdir(parents=True, exist_ok=True)
    problems, latencies, worst, sharp, tol = [], [], 0.0, np.inf, TOLERANCE

    # 1. a page built here: the canvas against the explorer's own Python decode
    t0 = time.time()
    page, found = python_page(tmp)
    records = drive(exe, page, tmp)
    n_moves = 0
    for e_id, (ex, s) in found.items():
        recs = [r for r in records if r['id'] == e_id]
        if len(recs) < 2: problems.append(f'python page: explorer {e_id} was not driven'); continue
        prev, prev_py = None, None
        tol = max(tol, s.tolerance + 0.5 / 255)   # the sheet's grey levels, and the canvas's 8 bits
        for r in recs:
            state = {name: s.grid[name][r['state'][name]] for name in s.grid}
            py = ex.set(**state).image
            shown = canvas_image(r, py.shape)
            diff = float(np.abs(shown - py).max()); worst = max(worst, diff)
            if diff > s.tolerance + 0.5 / 255: problems.append(f'python page, {type(ex).__name__} {state}: canvas differs from the Python decode by {diff:.4f} > {s.tolerance + 0.5 / 255:.4f}')
            if r['move'] is not None:
                n_moves += 1; latencies.append(r['ms'])
                values = s.grid[r['move']]; k = r['state'][r['move']]   # the tile next to this one: would an off-by-one show?
                beside = ex.set(**{**state, r['move']: values[k - 1 if k else 1]}).image
                sharp = min(sharp, float(np.abs(beside - py).max()))
                if prev_py is not None and np.abs(py - prev_py).max() > 2 * (s.tolerance + 0.5 / 255) and np.array_equal(r['pixels'], prev['pixels']):
                    problems.append(f'python page: moving {r["move"]} to {state} did not change the image')
            prev, prev_py = r, py
    print(f'python page: {len(found)} explorers, {n_moves} moves, canvas vs Python decode: max |difference| {worst:.4f} '
          f'(tolerance {tol:.4f}); the tile next to each differs by at least {sharp:.4f} ({time.time() - t0:.0f} s)')
    if sharp <= tol: problems.append(f'python page: neighbouring tiles differ by only {sharp:.4f}, so a wrong tile could pass')
    if explorers_only(page, out/'python_explorers.html', {'z0': 6, 'eps0': 5, 'digit': 7, 't': 4}):
        screenshot(exe, out/'python_explorers.html', out/'python_explorers.png', tmp, height=1000)

    # 2. the built page: every explorer moves and shows its tile
    t0 = time.time()
    built = Path(args.page) if args.page else None
    if built is None or not built.is_file():
        if built is not None: print(f'{built} not found: rendering nbs/06_explorer.ipynb with nbconvert instead')
        r = subprocess.run([sys.executable, '-m', 'nbconvert', '--to', 'html', '--output-dir', str(tmp), str(ROOT/'nbs'/'06_explorer.ipynb')],
                           capture_output=True, text=True)
        built = tmp/'06_explorer.html'
        if not built.is_file(): print(r.stderr[-2000:]); problems.append('nbconvert could not render nbs/06_explorer.ipynb')
    page_lat = []
    if built.is_file():
        sheets = sheets_of(built)
        if len(sheets) < 3: problems.append(f'{built.name}: {len(sheets)} static explorers found, expected at least 3')
        records = drive(exe, built, tmp)
        for e_id, (spec, sheet) in sheets.items():
            recs = [r for r in records if r['id'] == e_id]
            if len(recs) < 2: problems.append(f'{built.name}: explorer {e_id} was not driven'); continue
            w, h = spec['tile']; names = spec['names']
            prev = None
            for r in recs:
                i = 0
                for name, size in zip(names, spec['sizes']): i = i * size + r['state'][name]
                tile = sheet[i // spec['cols'] * h:(i // spec['cols'] + 1) * h, i % spec['cols'] * w:(i % spec['cols'] + 1) * w]
                shown = np.asarray(r['pixels'], np.float32).reshape(h, w, 4)[..., :3] / 255
                tile = tile[..., None].repeat(3, -1) if tile.ndim == 2 else tile[..., :3]
                diff = float(np.abs(shown - tile).max())
                if r['tile'] != i: problems.append(f'{built.name}: {e_id} drew tile {r["tile"]} for state {r["state"]}, expected {i}')
                if diff > TOLERANCE: problems.append(f'{built.name}: {e_id} state {r["state"]}: canvas differs from its tile by {diff:.4f}')
                if r['move'] is not None:
                    page_lat.append(r['ms'])
                    if prev is not None and prev['tile'] != r['tile'] and np.array_equal(r['pixels'], prev['pixels']):
                        problems.append(f'{built.name}: moving {r["move"]} on {e_id} did not change the image')
                prev = r
        weight = built.stat().st_size
        print(f'{built.name}: {len(sheets)} explorers, {len(page_lat)} moves, every canvas equal to its tile; '
              f'page {weight / 1e6:.2f} MB ({time.time() - t0:.0f} s)')
        if explorers_only(built, out/'page_explorers.html', {'z0': 18, 'z1': 8, 'eps0': 9, 'digit': 5, 't': 10}):
            screenshot(exe, out/'page_explorers.html', out/'page_explorers.png', tmp, height=1100)
        latencies += page_lat
    # 3-4. 02's ELBO explorer: a page built here, then the built page
    elbo_page = Path(args.elbo_page) if args.elbo_page else (Path(args.page).with_name('02_elbo.html') if args.page else None)
    latencies += check_elbo(exe, tmp, out, elbo_page, problems)
    if latencies:
        lat = np.sort(latencies)
        print(f'latency, input event to canvas (06) or plot (02) drawn: median {np.median(lat):.2f} ms, max {lat[-1]:.2f} ms over {len(lat)} moves')
    shots = sorted(p.name for p in out.glob('*.png'))
    print(f'screenshots: {", ".join(shots) or "none"}' + (f' in {out}' if args.out else ''))
    for pr in problems: print(f'FAIL  {pr}')
    print(f'explorer_check: {"FAIL" if problems else "PASS"} ({len(problems)} problems)')
    if not args.out:
        import shutil; shutil.rmtree(tmp, ignore_errors=True)
    return 1 if problems else 0

if __name__ == '__main__':
    sys.exit(main())
