"""How long a reader's path through the tutorial (notebooks 01–06) takes: words and code in view, per notebook.

    python benchmarks/reading_path.py [--rev REV]     # the working tree, or the notebooks as committed at REV

What is "in view" is what the docs site shows, and what JupyterLab shows once `tools/generate.py fold` has collapsed
the rest (the same rule, `generate.directives`): markdown; code cells except `#| hide`, `#| export`, `#| exporti`,
`#| echo: false` and `#| code-fold: true` ones; for each public function or class a notebook exports, the docs'
signature and docstring, counted as 3 lines. Reading speed: 200 words and 20 lines of code a minute. The last
column opens every collapsed cell (all code but `#| hide`), for comparison. Costs nothing to run: no TensorFlow.
"""
import argparse, ast, json, re, subprocess, sys
from common import ROOT, commit, header, result_line, utc_now
sys.path.insert(0, str(ROOT/'tools'))
from generate import LEFT_OUT, SOURCE_HIDDEN, directives

TUTORIAL = ['01_intuition', '02_elbo', '03_vae', '04_cvae', '05_evaluation', '06_explorer']
WORDS_PER_MIN, LINES_PER_MIN, SHOW_DOC_LINES = 200, 20, 3

def code_lines(src: str) -> int: return sum(1 for l in src.splitlines() if l.strip() and not l.startswith('#|'))

def public_defs(src: str) -> int:
    "Public top-level functions and classes in an exported cell: each gets a `show_doc` on the site."
    try: tree = ast.parse(src)
    except SyntaxError: return 0
    return sum(isinstance(n, (ast.FunctionDef, ast.ClassDef)) and not n.name.startswith('_') for n in tree.body)

def measure(nb: dict) -> dict:
    "Cells, words, code lines in view, show_docs, code lines with every cell open, scaffolding cells in view."
    r = dict(cells=len(nb['cells']), words=0, code_in_view=0, show_docs=0, code_all=0, scaffolding_in_view=0)
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown': r['words'] += len(re.findall(r'\w+', src)); continue
        if c['cell_type'] != 'code': continue
        d = directives(src)
        if d & LEFT_OUT: continue
        r['code_all'] += code_lines(src)
        if d & {'export', 'exporti'}: r['show_docs'] += public_defs(src)
        if d & SOURCE_HIDDEN: continue
        r['code_in_view'] += code_lines(src)
        r['scaffolding_in_view'] += bool(re.search(r'\bIN_TEST\b|\bQUICK\b', src))
    r['minutes'] = round(r['words'] / WORDS_PER_MIN + (r['code_in_view'] + SHOW_DOC_LINES * r['show_docs']) / LINES_PER_MIN, 1)
    r['minutes_all_open'] = round(r['words'] / WORDS_PER_MIN + r['code_all'] / LINES_PER_MIN, 1)
    return r

def read(name: str, rev: str | None) -> dict:
    path = f'nbs/{name}.ipynb'
    if rev is None: return json.loads((ROOT/path).read_text(encoding='utf-8'))
    r = subprocess.run(['git', 'show', f'{rev}:{path}'], cwd=ROOT, capture_output=True, text=True)
    if r.returncode: sys.exit(f"reading_path.py: error: {path} is not in commit {rev}; give a later commit")
    return json.loads(r.stdout)

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--rev', help='measure the notebooks as committed at this revision (default: the working tree)')
    a = p.parse_args()
    rev = None
    if a.rev:
        r = subprocess.run(['git', 'rev-parse', '--short', '--verify', '--quiet', f'{a.rev}^{{commit}}'], cwd=ROOT, capture_output=True, text=True)
        if r.returncode: p.error(f"--rev {a.rev}: not a commit of this checkout; give a commit, branch or tag (git log --oneline lists them)")
        rev = r.stdout.strip()
    header("Reading path through the tutorial, vae_tutorial benchmarks/reading_path.py",
           date=utc_now(), commit=rev or commit(), speed=f"{WORDS_PER_MIN} words/min, {LINES_PER_MIN} code lines/min")
    rows = {n: measure(read(n, rev)) for n in TUTORIAL}
    total = {k: round(sum(r[k] for r in rows.values()), 1) for k in next(iter(rows.values()))}
    print('\n| notebook | cells | words | code lines in view | show_doc | scaffolding in view | minutes | minutes, every cell open |')
    print('|---|---:|---:|---:|---:|---:|---:|---:|')
    for n, r in [*rows.items(), ('**total**', total)]:
        print(f"| {n} | {r['cells']} | {r['words']:,} | {r['code_in_view']:,} | {r['show_docs']} | {r['scaffolding_in_view']} | {r['minutes']} | {r['minutes_all_open']} |")
    print(f"\nreading path {total['minutes'] / 60:.2f} h (target ≤ 2.5 h); every collapsed cell opened {total['minutes_all_open'] / 60:.2f} h")
    result_line(dict(date=utc_now(), commit=rev or commit(), per_notebook=rows, total=total,
                     hours=round(total['minutes'] / 60, 2), hours_all_open=round(total['minutes_all_open'] / 60, 2)))

if __name__ == '__main__': main()
