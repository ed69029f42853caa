#!/usr/bin/env python
"""Does tools/docs_check.py catch bad math? Runs it on a throw-away project with one page of known-good and known-bad TeX.

    python tools/test_docs_check.py        # about 30 s; exit 0 when every planted problem is reported, 1 if not, 77 skipped

The planted problems: an unknown control sequence, a missing close brace (MathJax then finds no formula, so the
`$` shows as text), an extra close brace, an unmatched `$`,
and `$ x$` (which Pandoc, so Quarto, leaves as text). The good formulas must be counted as typeset.
"""
import json, shutil, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOOD = r'Good: $x^2$, $\mathbb{E}_{q(z\mid x)}[\log p(x\mid z)]$ and \(a+b\), and $$\mathrm{KL}(q\,\|\,p) \ge 0.$$'
BAD = {'Undefined control sequence \\foo': r'Unknown: $\foo{x}$.',
       'left as text: ...Unbalanced: $\\frac{a}{b$': r'Unbalanced: $\frac{a}{b$.',   # MathJax finds no formula: braces unbalanced
       'Extra close brace': r'Extra: $a}$.',
       'math delimiter left as text': r'A lone dollar $ here.',
       'Pandoc will not typeset': r'Spaced: $ y$ and more text.'}

def main():
    tmp = Path(tempfile.mkdtemp(prefix='test_docs_check_'))
    try:
        (tmp/'tools').mkdir(); shutil.copy2(ROOT/'tools'/'docs_check.py', tmp/'tools'/'docs_check.py')
        (tmp/'vae_tutorial').mkdir(); (tmp/'vae_tutorial'/'__init__.py').write_text('')
        ini = (ROOT/'settings.ini').read_text(encoding='utf-8')
        (tmp/'settings.ini').write_text('\n'.join(l for l in ini.splitlines() if not l.startswith('procs')), encoding='utf-8')
        (tmp/'nbs').mkdir(); shutil.copy2(ROOT/'nbs'/'_quarto.yml', tmp/'nbs'/'_quarto.yml')
        for f in ('nbdev.yml', 'sidebar.yml', 'styles.css', 'mathjax-widgets.html'):
            if (ROOT/'nbs'/f).exists(): shutil.copy2(ROOT/'nbs'/f, tmp/'nbs'/f)
        cells = [{'cell_type': 'markdown', 'id': f'c{i}', 'metadata': {}, 'source': s}
                 for i, s in enumerate(['# Math test\n\n> planted TeX errors', GOOD, *BAD.values()])]
        nb = {'cells': cells, 'metadata': {'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}},
              'nbformat': 4, 'nbformat_minor': 5}
        (tmp/'nbs'/'math_test.ipynb').write_text(json.dumps(nb), encoding='utf-8')
        r = subprocess.run([sys.executable, str(tmp/'tools'/'docs_check.py'), '--out', str(tmp/'out')],
                           cwd=tmp, capture_output=True, text=True, timeout=600)
        out = r.stdout + r.stderr
        if r.returncode == 77 or 'math and widget checks skipped' in out:
            print(out[-1500:]); print('test_docs_check: skipped (no Chromium or no npm)'); return 77
        missing = [k for k in BAD if k not in out]
        w = tmp/'out'/'weights.json'
        typeset = json.loads(w.read_text())['formulas'].get('math_test', 0) if w.exists() else 0
        ok = r.returncode == 1 and not missing and typeset >= 4
        print(out[-3000:])
        print(f'exit {r.returncode} (want 1); planted problems not reported: {missing or "none"}; formulas typeset: {typeset} (want >= 4)')
        print(f'test_docs_check: {"PASS" if ok else "FAIL"}')
        return 0 if ok else 1
    finally: shutil.rmtree(tmp, ignore_errors=True)

if __name__ == '__main__': sys.exit(main())
