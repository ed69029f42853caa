"""Check the rule of CONTRIBUTING.md, "One module, one owner": the notebooks that write a module agree on who owns it.

    python tools/module_check.py               # one line per violation, exit status 1 if there is one
    python tools/module_check.py --self-test   # plants each violation in a copy of nbs/ and checks it is reported

Read from nbs/*.ipynb (cell sources only, nothing run): each module `M` has exactly one owner, the notebook with
`#| default_exp M`; every notebook that appends to `M` (`#| export M`) sorts after it, since `nbdev_export` writes
notebooks in name order and the owner's export starts the file afresh; the module's imports, at module level, are all
in the owner's first exported cell (a function may still import lazily inside its body); no exported cell attaches a
method with fastcore's `@patch`; the owner has the `> description` line that nbdev writes as the module's docstring.
"""
import argparse, ast, json, re, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIRECTIVE = re.compile(r'^#\|\s*([\w-]+)[ \t]*(.*?)\s*$', re.M)
EXPORTS = ('export', 'exports', 'exporti')

def read_notebooks(nbs: Path) -> dict:
    "{name: [(cell id, source)] of its code cells}, in the order `nbdev_export` writes them (by file name)."
    return {p.name: [(c.get('id', '?'), ''.join(c['source'])) for c in json.loads(p.read_text(encoding='utf-8'))['cells']
                     if c['cell_type'] == 'code']
            for p in sorted(nbs.glob('*.ipynb'), key=lambda p: p.name) if not p.name.startswith(('_', '.'))}

def docstring(nb: Path) -> str:
    "The module docstring nbdev 2 writes from a notebook: the first `> ` line of its first markdown cell that starts `# `."
    md = next((''.join(c['source']) for c in json.loads(nb.read_text(encoding='utf-8'))['cells']
               if c['cell_type'] == 'markdown' and ''.join(c['source']).startswith('# ')), '')
    return next((l[2:].strip() for l in md.splitlines() if l.startswith('> ')), '')

def module_level_imports(tree):
    "Import statements that run when the module is imported: everywhere but inside functions."
    todo = list(tree.body)
    while todo:
        node = todo.pop(0)
        if isinstance(node, (ast.Import, ast.ImportFrom)): yield node
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            todo[:0] = [n for n in ast.iter_child_nodes(node) if isinstance(n, ast.stmt)]

def patches(tree):
    "Names of functions decorated with fastcore's `patch`/`patch_to`, and imports of them."
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for d in node.decorator_list:
                d = d.func if isinstance(d, ast.Call) else d
                if (getattr(d, 'id', None) or getattr(d, 'attr', None)) in ('patch', 'patch_to'): yield f'@patch on {node.name}'
        if isinstance(node, ast.ImportFrom) and (node.module or '').startswith('fastcore'):
            yield from (f'import of {a.name} from {node.module}' for a in node.names if a.name in ('patch', 'patch_to'))

def check(nbs: Path) -> list:
    "One line per violation of the rule in the notebooks of `nbs`."
    notebooks, problems = read_notebooks(nbs), []
    owners, writers, cells = {}, {}, []   # module -> owner notebooks; module -> [(nb, cell id)]; exported cells
    for nb, code in notebooks.items():
        default = None
        for cid, src in code:
            for name, args in DIRECTIVE.findall(src):
                if name == 'default_exp' and args: default = args.split()[0]; owners.setdefault(default, []).append(nb)
        for cid, src in code:
            exp = next((args.split()[0] if args.split() else default for name, args in DIRECTIVE.findall(src) if name in EXPORTS), False)
            if exp is False: continue
            if exp is None: problems.append(f'nbs/{nb} cell {cid}: `#| export` names no module and the notebook has no `#| default_exp`'); continue
            writers.setdefault(exp, []).append((nb, cid)); cells.append((nb, cid, exp, src))
    for mod in sorted(writers.keys() | owners.keys()):
        own = owners.get(mod, [])
        if len(own) != 1:
            problems.append(f'module {mod}: {len(own)} owner notebooks ({", ".join(own) or "none says `#| default_exp " + mod + "`"}); '
                            f'it needs exactly one, written by {", ".join(sorted({nb for nb, _ in writers.get(mod, [])})) or "no cell"}')
            continue
        if not docstring(nbs/own[0]):
            problems.append(f'module {mod}: its owner nbs/{own[0]} has no `> description` line under its `# Title`, so the module has no docstring')
        for nb in sorted({nb for nb, _ in writers.get(mod, []) if nb < own[0]}):
            problems.append(f'nbs/{nb} appends to {mod} but sorts before its owner nbs/{own[0]}: nbdev_export would write the owner over it')
    first = {}   # module -> (nb, cell id) of its import cell: the owner's first exported cell for it
    for nb, cid, mod, src in cells:
        if len(owners.get(mod, [])) == 1 and nb == owners[mod][0]: first.setdefault(mod, (nb, cid))
    for nb, cid, mod, src in cells:
        where = f'nbs/{nb} cell {cid} (module {mod})'
        try: tree = ast.parse(src)
        except SyntaxError as e: problems.append(f'{where}: not valid Python ({e.msg}, line {e.lineno})'); continue
        problems += [f'{where}: {p}: write a method in its class, or a plain function' for p in patches(tree)]
        if mod not in first or first[mod] == (nb, cid): continue   # no single owner (reported above), or its import cell
        home = f'nbs/{first[mod][0]} cell {first[mod][1]}'
        problems += [f'{where}, line {i.lineno}: `{src.splitlines()[i.lineno - 1].strip()}` belongs in {mod}\'s import cell, {home}'
                     for i in module_level_imports(tree)]
    return problems

def self_test() -> int:
    "Plant each violation in a copy of nbs/ (code and title cells) and check that a line reports it; 0 if every one is."
    def cell(src): return {'cell_type': 'code', 'id': 'planted0', 'metadata': {}, 'source': src, 'outputs': [], 'execution_count': None}
    plants = [   # (what, notebook, function of its cells, a piece of the line that must report it)
        ('no owner', '00_plots.ipynb', lambda cs: [dict(c, source=''.join(c['source']).replace('default_exp plots', 'default_exp plots2')) for c in cs],
         'module plots: 0 owner notebooks'),
        ('two owners', 'index.ipynb', lambda cs: cs + [cell('#| default_exp plots')], 'module plots: 2 owner notebooks'),
        ('appends before its owner', '00_backend.ipynb', lambda cs: cs + [cell('#| export plots\ndef f(): pass')],
         'nbs/00_backend.ipynb appends to plots but sorts before its owner nbs/00_plots.ipynb'),
        ('an import in an appending cell', '03_vae.ipynb', lambda cs: cs + [cell('#| export plots\nimport json\ndef g(): pass')],
         "nbs/03_vae.ipynb cell planted0 (module plots), line 2: `import json` belongs in plots's import cell"),
        ('an import in the owner, below its import cell', '00_plots.ipynb', lambda cs: cs + [cell('#| export\nif True:\n    from os import sep')],
         "nbs/00_plots.ipynb cell planted0 (module plots), line 3: `from os import sep`"),
        ('@patch', '00_plots.ipynb', lambda cs: cs + [cell('#| export\n@patch\ndef h(self: Figure): pass')], '@patch on h'),
        ('an export with no module', 'index.ipynb', lambda cs: cs + [cell('#| export\nx = 1')], 'names no module'),
        ('no description, so no docstring', '00_plots.ipynb', lambda cs: [c for c in cs if c['cell_type'] == 'code'],
         'module plots: its owner nbs/00_plots.ipynb has no `> description`'),
    ]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        originals = {p.name: json.loads(p.read_text(encoding='utf-8')) for p in (ROOT/'nbs').glob('*.ipynb')}
        def write(changed=None, change=None):
            for name, nb in originals.items():
                cs = [c for c in nb['cells'] if c['cell_type'] == 'code' or ''.join(c['source']).startswith('# ')]   # code and title cells
                (tmp/name).write_text(json.dumps({'cells': change(cs) if name == changed else cs}), encoding='utf-8')
        write(); base = set(check(tmp))
        for what, nb, change, expect in plants:
            write(nb, change); new = [p for p in check(tmp) if p not in base]
            ok = any(expect in p for p in new)
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {what}: {new[0] if ok and len(new) == 1 else new}")
    print(f'self-test: {len(plants) - failed} of {len(plants)} planted violations reported')
    return int(failed > 0)

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--self-test', action='store_true', help='plant each violation in a copy of nbs/ and check it is reported')
    ap.add_argument('--nbs', default=str(ROOT/'nbs'), help='the notebooks folder (default: nbs/ of this repository)')
    a = ap.parse_args()
    if a.self_test: sys.exit(self_test())
    found = check(Path(a.nbs))
    print(*found, sep='\n') if found else None
    print(f'module check: {len(found)} violation{"s" * (len(found) != 1)} of "One module, one owner" (CONTRIBUTING.md)')
    sys.exit(1 if found else 0)
