"""Check that an ipywidgets widget renders and responds in a real JupyterLab 4 front end.

Writes a throw-away notebook into a temp dir, starts `jupyter lab` from this Python's
environment, drives Debian's Chromium (/usr/bin/chromium) with Playwright, runs the
notebook, and then runs the interaction check named by `--check` against the rendered
output.  Prints `PASS ...` / `FAIL ...` per check and `lab_check: N passed, N failed`.

    .venv/bin/python tools/lab_check.py --out /tmp/labcheck [--check elbo] [--cell CODE]

Exit status: 0 all passed, 1 a check failed, 77 skipped (playwright or chromium missing).
To add a widget: write `def check_<name>(page, ck, out)` and add it to CHECKS with its cell.
"""
import argparse, os, re, secrets, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path

CHROMIUM = os.environ.get('LAB_CHECK_CHROMIUM', '/usr/bin/chromium')
ARGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-quic']
STDERR = '.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]'

class Checker:
    "Collects PASS/FAIL lines."
    def __init__(self): self.passed = self.failed = 0
    def __call__(self, ok, msg):
        if ok: self.passed += 1
        else: self.failed += 1
        print(f"{'PASS' if ok else 'FAIL'} {msg}", flush=True)
        return ok

def free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def write_notebook(d, cells):
    import nbformat
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata['kernelspec'] = dict(name='python3', display_name='Python 3', language='python')
    nbformat.write(nb, d / 'lab_check.ipynb')
    return 'lab_check.ipynb'

def start_lab(root, port, token, log, app='lab'):
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(root / '.cfg'), JUPYTER_RUNTIME_DIR=str(root / '.rt'))
    settings = root / '.cfg/lab/user-settings/@jupyterlab/apputils-extension'  # no "Jupyter news?" toast
    settings.mkdir(parents=True); (settings / 'notification.jupyterlab-settings').write_text('{"fetchNews": "false"}')
    cmd = [sys.executable, '-m', 'jupyter', app, '--no-browser', f'--port={port}', '--ip=127.0.0.1',
           f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={root / "work"}', '--ServerApp.open_browser=False']
    if app == 'lab':
        cmd += ['--LabApp.expose_app_in_browser=True', f'--LabApp.workspaces_dir={root / "ws"}',
                '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate', '--LabApp.news_url=None',
                '--LabApp.extension_manager=readonly']
    else:   # Notebook 7: the same JupyterLab components, one notebook per page
        cmd += ['--JupyterNotebookApp.expose_app_in_browser=True', f'--JupyterNotebookApp.workspaces_dir={root / "ws"}']
    cmd += ['--allow-root'] if os.geteuid() == 0 else []
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f'http://127.0.0.1:{port}/api/status?token={token}'
    for _ in range(120):
        if proc.poll() is not None: raise RuntimeError(f'jupyter lab exited with {proc.returncode}, see {log.name}')
        try:
            with urllib.request.urlopen(url, timeout=2): return proc
        except OSError: time.sleep(0.5)
    raise RuntimeError('jupyter lab did not answer within 60 s')

def stop_lab(proc):
    if proc is None or proc.poll() is not None: return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try: os.killpg(proc.pid, sig)
        except ProcessLookupError: return
        try: proc.wait(wait); return
        except subprocess.TimeoutExpired: pass

def run_notebook(page, timeout_ms):
    "Wait for the kernel, run all cells through JupyterLab's own command, wait until they finished."
    page.wait_for_function('() => window.jupyterapp && jupyterapp.shell.currentWidget'
                           ' && jupyterapp.shell.currentWidget.sessionContext?.session?.kernel?.status === "idle"',
                           timeout=timeout_ms)
    page.evaluate('() => jupyterapp.commands.execute("notebook:run-all-cells")')
    # every code cell gets an execution count "[n]:" once done; "[*]:" while running
    page.wait_for_function('() => { const p = [...document.querySelectorAll(".jp-Notebook .jp-InputArea-prompt")];'
                           ' return p.length && p.every(e => /\\[\\d+\\]/.test(e.textContent)); }', timeout=timeout_ms)

def no_traceback(page, ck):
    tb = [t for t in (e.inner_text() for e in page.query_selector_all(STDERR)) if re.search(r'Traceback|\w+Error:', t)]
    return ck(not tb, 'no Traceback in stderr/error outputs' + (f': {tb[0][-300:]!r}' if tb else ''))

def settled_text(loc, old, timeout=30):
    "The locator's text once it differs from `old` and has stayed the same for 1 s (sliders update continuously)."
    t_end, last, since = time.time() + timeout, loc.inner_text(), time.time()
    while time.time() < t_end:
        time.sleep(0.2); cur = loc.inner_text()
        if cur != last: last, since = cur, time.time()
        elif cur != old and time.time() - since >= 1: break
    return last

NUM = r'(-?\d+(?:\.\d+)?)'
def elbo_numbers(text):
    lp, el = re.search(r'log P\(X\)\s*=\s*' + NUM, text), re.search(r'ELBO\s*=\s*' + NUM, text)
    return (float(lp.group(1)) if lp else None, float(el.group(1)) if el else None)

def check_elbo(page, ck, out):
    "The ELBO explorer: sliders + readout + plot render; moving the mean slider updates readout and plot."
    out_area = page.locator('.jp-OutputArea-output .jupyter-widgets').first
    out_area.wait_for(timeout=60_000)
    ck(page.locator('.widget-slider').count() >= 2, f"two sliders rendered ({page.locator('.widget-slider').count()})")
    page.wait_for_function('() => [...document.querySelectorAll(".jp-OutputArea-output .jupyter-widgets img")]'
                           '.some(i => i.complete && i.naturalWidth > 0)', timeout=60_000)
    img = page.locator('.jp-OutputArea-output .jupyter-widgets img').first
    size = img.evaluate('i => `${i.naturalWidth}x${i.naturalHeight}`')
    ck(True, f'plot image loaded ({size} px)')
    readout = page.locator('.widget-html', has_text='ELBO').first
    before_text, src_before = readout.inner_text(), img.get_attribute('src')
    lp0, e0 = elbo_numbers(before_text)
    ck(e0 is not None and lp0 is not None, f'readout parses: log P(X) = {lp0}, ELBO = {e0}')
    img.scroll_into_view_if_needed(); page.screenshot(path=str(out / 'before.png'))
    # move the mean slider through the front end: edit its readout text box, then press Enter
    mean = page.locator('.widget-slider', has_text='Q mean').first
    box = mean.locator('.widget-readout')
    box.click(); page.keyboard.press('Control+A'); page.keyboard.type('1.5'); page.keyboard.press('Enter')
    after_text = settled_text(readout, before_text)
    try:
        page.wait_for_function('([el, s]) => el.getAttribute("src") !== s && el.complete && el.naturalWidth > 0',
                               arg=[img.element_handle(), src_before], timeout=30_000)
    except Exception as e: print(f'  (waiting for update: {type(e).__name__})')
    src_after = img.get_attribute('src')
    lp1, e1 = elbo_numbers(after_text)
    ck(box.inner_text().strip() in ('1.50', '1.5'), f'mean slider readout shows {box.inner_text().strip()!r}')
    ck(after_text != before_text, f'ELBO readout changed: {e0} -> {e1}')
    ck(None not in (e0, e1, lp0, lp1) and e0 <= lp0 + 1e-4 and e1 <= lp1 + 1e-4,
       f'ELBO <= log P(X) before ({e0} <= {lp0}) and after ({e1} <= {lp1})')
    ck(src_after != src_before, 'plot image src changed')
    img.scroll_into_view_if_needed(); page.screenshot(path=str(out / 'after.png'))
    # and with the mouse: drag the log_var slider's handle 40 px to the left
    lv = page.locator('.widget-slider', has_text='Q log_var').first
    hb = lv.locator('.noUi-handle').bounding_box()
    page.mouse.move(hb['x'] + hb['width'] / 2, hb['y'] + hb['height'] / 2); page.mouse.down()
    page.mouse.move(hb['x'] + hb['width'] / 2 - 40, hb['y'] + hb['height'] / 2, steps=8); page.mouse.up()
    lv_val, e2 = lv.locator('.widget-readout').inner_text().strip(), elbo_numbers(settled_text(readout, after_text))[1]
    page.screenshot(path=str(out / 'drag.png'))
    ck(lv_val != '0.00' and e2 is not None and e2 != e1, f'dragging log_var handle: log_var {lv_val}, ELBO {e1} -> {e2}')
    # the settled readout must be the ELBO of the slider values shown (no stale update)
    saved = os.dup(2); os.dup2(os.open(os.devnull, os.O_WRONLY), 2)  # TensorFlow's start-up noise
    try:
        from vae_tutorial.losses import _elbo_by_quadrature
        from vae_tutorial.toy import LinearGaussian
        want = _elbo_by_quadrature(LinearGaussian(), 1.0, 1.5, float(lv_val.replace('\u2212', '-')))
    finally: os.dup2(saved, 2); os.close(saved)
    ck(e2 is not None and abs(e2 - want) < 1e-3, f'shown ELBO {e2} matches Python for mean 1.5, log_var {lv_val} ({want:.4f})')

def _changed_src(page, img, old, what, ck, timeout=30_000):
    "Wait until the <img> shows a new, loaded picture; PASS/FAIL on whether it did."
    try:
        page.wait_for_function('([el, s]) => el.getAttribute("src") !== s && el.complete && el.naturalWidth > 0',
                               arg=[img.element_handle(), old], timeout=timeout)
    except Exception as e: print(f'  (waiting for the image after {what}: {type(e).__name__})')
    new = img.get_attribute('src')
    ck(new != old, f'image src changed after {what}')
    return new

def _set_readout(slider, value, page):
    "Move a slider through the front end: type into its readout box and press Enter."
    box = slider.locator('.widget-readout')
    box.click(); page.keyboard.press('Control+A'); page.keyboard.type(value); page.keyboard.press('Enter')
    return box

def _explorer_view(page, ck, n_sliders):
    "Wait for an Explorer's view: sliders, the digit <img> (loaded) and its caption; check Lab chose the widget, not the PNG."
    page.locator('.jp-OutputArea-output .jupyter-widgets').first.wait_for(timeout=60_000)
    page.wait_for_function('() => [...document.querySelectorAll(".jp-OutputArea-output .jupyter-widgets img")]'
                           '.some(i => i.complete && i.naturalWidth > 0)', timeout=60_000)
    img = page.locator('.jp-OutputArea-output .jupyter-widgets img').first
    ck(page.locator('.widget-slider').count() == n_sliders, f"{n_sliders} sliders rendered ({page.locator('.widget-slider').count()})")
    ck(img.evaluate('i => i.naturalWidth') == 168, f"digit image loaded at {img.evaluate('i => `${i.naturalWidth}x${i.naturalHeight}`')} px")
    static = page.locator('.jp-OutputArea-output img:not(.widget-image)').count()
    ck(static == 0, f'the widget view is shown, not the static PNG fallback ({static} static images)')
    return img, page.locator('.jp-OutputArea-output .widget-html', has_text='z =').first

def check_explorer(page, ck, out):
    "latent_explorer: 2 sliders + 1 hidden dim; typing into z[0]'s readout, dragging z[1] and 'randomise' each change the image."
    img, caption = _explorer_view(page, ck, 2)
    img.scroll_into_view_if_needed(); page.screenshot(path=str(out / 'explorer_before.png'))
    src, cap0 = img.get_attribute('src'), caption.inner_text()
    z0 = page.locator('.widget-slider', has_text='z[0]').first
    box = _set_readout(z0, '1.5', page)
    src = _changed_src(page, img, src, 'typing 1.5 into z[0]', ck)
    cap1 = settled_text(caption, cap0)
    ck(box.inner_text().strip() == '+1.50' and cap1.startswith('z = [+1.50, '),
       f'z[0] readout {box.inner_text().strip()!r}, kernel caption {cap1!r}')
    z1 = page.locator('.widget-slider', has_text='z[1]').first
    hb = z1.locator('.noUi-handle').bounding_box()
    page.mouse.move(hb['x'] + hb['width'] / 2, hb['y'] + hb['height'] / 2); page.mouse.down()
    page.mouse.move(hb['x'] + hb['width'] / 2 + 40, hb['y'] + hb['height'] / 2, steps=8); page.mouse.up()
    src = _changed_src(page, img, src, 'dragging the z[1] handle', ck)
    cap2 = settled_text(caption, cap1)
    ck(z1.locator('.widget-readout').inner_text().strip() not in ('+0.00', '0.00') and cap2 != cap1,
       f"z[1] readout {z1.locator('.widget-readout').inner_text().strip()!r}, caption {cap2!r}")
    page.get_by_role('button', name='randomise the rest').click()
    src = _changed_src(page, img, src, "clicking 'randomise the rest'", ck)
    cap3 = settled_text(caption, cap2)
    ck(cap3.split()[2:4] == cap2.split()[2:4] and cap3 != cap2, f'randomise kept the slider dims: {cap2!r} -> {cap3!r}')
    img.scroll_into_view_if_needed(); page.screenshot(path=str(out / 'explorer_after.png'))

def check_digit_picker(page, ck, out):
    "digit_picker: 10 toggle buttons + 2 sliders; clicking '8' and moving ε[0] each change the image and the caption."
    img, caption = _explorer_view(page, ck, 2)
    buttons = page.locator('.widget-toggle-button')
    ck(buttons.count() == 10, f'10 digit buttons rendered ({buttons.count()})')
    src, cap0 = img.get_attribute('src'), caption.inner_text()
    ck(cap0.startswith('y = 3'), f'caption {cap0!r} starts with y = 3')
    page.screenshot(path=str(out / 'picker_before.png'))
    page.locator('.widget-toggle-button', has_text='8').first.click()
    src = _changed_src(page, img, src, "clicking digit '8'", ck)
    cap1 = settled_text(caption, cap0)
    ck(cap1.startswith('y = 8'), f'caption after the click: {cap1!r}')
    _set_readout(page.locator('.widget-slider', has_text='ε[0]').first, '-2', page)
    _changed_src(page, img, src, 'typing -2 into ε[0]', ck)
    cap2 = settled_text(caption, cap1)
    ck(cap2.startswith('y = 8') and cap2 != cap1, f'caption after moving ε[0]: {cap2!r}')
    page.screenshot(path=str(out / 'picker_after.png'))

_TRAIN = ("import os\nos.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')\nimport warnings; warnings.simplefilter('ignore')\n"
          "import keras\nfrom vae_tutorial.data import load_mnist\nfrom vae_tutorial.models import make_vae, make_cvae\n"
          "from vae_tutorial.training import train_vae\nfrom vae_tutorial.widgets import latent_explorer, digit_picker\n"
          "x, y = load_mnist().train\nx, y = x[:2000], y[:2000]\nkeras.utils.set_random_seed(0)")

def check_render(page, ck, out):
    "Generic: some widget view renders in the output area (use with --cell)."
    page.locator('.jp-OutputArea-output .jupyter-widgets').first.wait_for(timeout=60_000)
    ck(True, f"widget rendered ({page.locator('.jp-OutputArea-output .jupyter-widgets').count()} widget views)")
    page.screenshot(path=str(out / 'render.png'))

CHECKS = {'elbo': (['from vae_tutorial.losses import elbo_explorer\nw = elbo_explorer()\nw'], check_elbo),
          'explorer': ([_TRAIN, "vae = make_vae('dense', 3, seed=0)\ntrain_vae(vae, x, epochs=2, verbose=0)\n"
                        "latent_explorer(vae, n_sliders=2)"], check_explorer),
          'digit_picker': ([_TRAIN, "cvae = make_cvae('dense', 2, prior='learned', seed=0)\n"
                            "train_vae(cvae, x, epochs=2, verbose=0, y=y)\ndigit_picker(cvae, digit=3)"], check_digit_picker),
          'render': (['import ipywidgets as W\nW.IntSlider(3)'], check_render)}

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default='/tmp/labcheck', help='directory for screenshots and the server log')
    ap.add_argument('--check', default='elbo', choices=sorted(CHECKS))
    ap.add_argument('--cell', action='append', help='code cell(s) to run instead of the check\'s default cell')
    ap.add_argument('--timeout', type=float, default=240, help='seconds allowed for running the notebook')
    ap.add_argument('--headed', action='store_true', help='show the browser (needs a display)')
    ap.add_argument('--app', default='lab', choices=('lab', 'notebook'), help="JupyterLab 4 ('lab') or Notebook 7 ('notebook')")
    a = ap.parse_args()
    try: from playwright.sync_api import sync_playwright
    except ImportError:
        print(f'SKIP lab_check: install playwright into this venv: {sys.executable} -m pip install playwright'); return 77
    if not os.access(CHROMIUM, os.X_OK):
        print(f'SKIP lab_check: {CHROMIUM} missing: apt-get install chromium'); return 77
    cells, check = CHECKS[a.check]
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix='lab_check_')); (root / 'work').mkdir()
    nb = write_notebook(root / 'work', a.cell or cells)
    port, token, ck, proc, t0 = free_port(), secrets.token_hex(16), Checker(), None, time.time()
    try:
        with open(out / 'jupyter-lab.log', 'w') as log:
            if a.app == 'notebook':
                try: import notebook; assert int(notebook.__version__.split('.')[0]) >= 7
                except Exception: print(f'SKIP lab_check: Notebook 7 missing: {sys.executable} -m pip install "notebook>=7"'); return 77
            proc = start_lab(root, port, token, log, a.app)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=not a.headed, args=ARGS)
                page = browser.new_page(viewport={'width': 1280, 'height': 1000})
                page_errors = []; page.on('pageerror', lambda e: page_errors.append(str(e)))
                try:
                    where = f'lab/tree/{nb}' if a.app == 'lab' else f'notebooks/{nb}'
                    page.goto(f'http://127.0.0.1:{port}/{where}?token={token}', timeout=60_000)
                    run_notebook(page, int(a.timeout * 1000))
                    ck(True, f'notebook ran in {"JupyterLab" if a.app == "lab" else "Notebook 7"} ({time.time() - t0:.0f} s since start)')
                    if no_traceback(page, ck): check(page, ck, out)
                    bad = page.get_by_text('Error displaying widget').count()
                    ck(bad == 0, f"no 'Error displaying widget' ({bad} found)")
                    ck(not page_errors, f'no uncaught page errors ({len(page_errors)})' +
                       (f': {page_errors[0][:200]}' if page_errors else ''))
                except Exception as e:
                    ck(False, f'{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""}')
                finally:
                    if ck.failed: page.screenshot(path=str(out / 'failure.png'))
                    browser.close()
    except Exception as e: ck(False, f'{type(e).__name__}: {e}')
    finally:
        stop_lab(proc); shutil.rmtree(root, ignore_errors=True)
    print(f'lab_check: {ck.passed} passed, {ck.failed} failed ({time.time() - t0:.0f} s; screenshots in {out})')
    return 0 if ck.failed == 0 and ck.passed else 1

if __name__ == '__main__': sys.exit(main())
