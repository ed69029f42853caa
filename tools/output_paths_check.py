#!/usr/bin/env python
"""Reader-facing text shows nothing of the machine it was made on: a check of committed outputs and docs sources.

What it reads (from the repository root, or the paths given):
- every notebook in nbs/: the outputs of every cell (text, plain, markdown, HTML; not images) and the markdown cells;
- README.md, benchmarks/README.md (with the results table generated into it), and the hand-written docs sources
  nbs/*.qmd, nbs/*.md.
The raw run records in benchmarks/results/*.txt are kept verbatim, as each script printed them, so they are read only
with --records (re-record a run to clean its record; never edit one by hand).

What it reports, one line each, as `file:cell:line: the offending text` (notebooks; cell counted from 0, line from
1) or `file:line: ...` (other files):
- an absolute path of a machine: /tmp/..., /home/..., /root/..., /work/..., /Users/..., /private/var/..., /var/folders/...;
- the absolute path of this checkout, the value of VAE_TUTORIAL_DATA, and the home folder (so `~/.cache` written out);
- a mention of `../shared` (the project's own data folder) or of "this project's machines";
- `+dirty` (a version or commit recorded from a work tree with changes: re-record at a clean commit).

    python tools/output_paths_check.py                  # everything above; exit 0 when clean, 1 with findings
    python tools/output_paths_check.py nbs/01_*.ipynb   # only these files
    python tools/output_paths_check.py --records        # the raw run records in benchmarks/results/ too
    python tools/output_paths_check.py --self-test      # plants each kind of finding in a scratch notebook
"""
import json, os, re, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEXT_MIMES = ('text/plain', 'text/markdown', 'text/html', 'text/latex', 'application/javascript')
MACHINE_DIRS = r'(?:tmp|home|root|work|Users|private/var|var/folders|mnt|scratch)'
# an absolute path: a slash not preceded by a word character, a dot, ~ or another slash (so not part of a URL or of a
# relative path), then one of the machine folders and a separator
ABSOLUTE = re.compile(rf'(?<![\w.~/:-])/{MACHINE_DIRS}/[^\s\'"`)\]>,;]*')
FIXED = [(re.compile(r'\.\./shared\b'), '../shared'),
         (re.compile(r"this project['’]s machines", re.I), "this project's machines"),
         (re.compile(r'\+dirty\b'), '+dirty')]

def machine_strings(root=ROOT) -> list:
    "The absolute paths of this machine that must not appear: the checkout, VAE_TUTORIAL_DATA, the home folder."
    out = set()
    for p in (str(root), os.path.realpath(root), os.environ.get('VAE_TUTORIAL_DATA', ''),
              os.path.expanduser('~')):
        if p and os.path.isabs(p) and p not in ('/',):
            out.add(p.rstrip('/'))
            out.add(os.path.realpath(p).rstrip('/'))
    return sorted((s for s in out if len(s) > 1), key=len, reverse=True)

def findings_in(text, extra=()) -> list:
    "Each offending piece of `text`: (what, matched text)."
    found, mine = [], []
    for s in extra:   # the whole path, not a piece of a longer name: '/root' is not found in '/rootfs' or 'a/root'
        for m in re.finditer(rf'(?<![\w.~/-]){re.escape(s)}(?![\w.-])', text):
            found.append(('machine path', m.group())); mine.append(m.span())
    for m in ABSOLUTE.finditer(text):
        if not any(a <= m.start() < b for a, b in mine): found.append(('absolute path', m.group()))
    for rx, what in FIXED:
        for m in rx.finditer(text): found.append((what, m.group()))
    return found

def _cell_texts(cell):
    "The reader-facing texts of one notebook cell: a markdown cell's source, any cell's text outputs."
    if cell.get('cell_type') == 'markdown': yield ''.join(cell.get('source', ''))
    for o in cell.get('outputs', []):
        if 'text' in o: yield ''.join(o['text'])
        for mime in TEXT_MIMES:
            if mime in o.get('data', {}):
                v = o['data'][mime]
                yield v if isinstance(v, str) else ''.join(v)
        if o.get('output_type') == 'error': yield '\n'.join(o.get('traceback', []))

def check_file(path, extra=(), root=ROOT) -> list:
    "Lines `file:cell:line: text` (notebooks) or `file:line: text` for each finding in `path`."
    path = Path(path)
    try: name = str(path.resolve().relative_to(Path(root).resolve()))
    except ValueError: name = path.name
    out = []
    def report(prefix, text):
        for i, line in enumerate(text.splitlines(), 1):
            for what, hit in findings_in(line, extra):
                show = line.strip()
                out.append(f"{prefix}:{i}: {what}: {hit!r} in: {show[:160]}{'…' if len(show) > 160 else ''}")
    if path.suffix == '.ipynb':
        cells = json.loads(path.read_text(encoding='utf-8')).get('cells', [])
        for c, cell in enumerate(cells):
            for text in _cell_texts(cell): report(f"{name}:{c}", text)
    else: report(name, path.read_text(encoding='utf-8', errors='replace'))
    return out

def default_files(root=ROOT, records=False) -> list:
    "The reader-facing files the check reads when given none (and the raw run records with `records`)."
    root = Path(root)
    nbs = sorted(p for p in (root/'nbs').glob('*.ipynb') if not p.name.startswith(('_', '.')))
    docs = sorted([*(root/'nbs').glob('*.qmd'), *(root/'nbs').glob('*.md')])
    bench = [root/'benchmarks'/'README.md', *(sorted((root/'benchmarks'/'results').glob('*.txt')) if records else [])]
    return [p for p in [*nbs, root/'README.md', *docs, *bench] if p.is_file()]

def main(paths=(), root=ROOT, records=False) -> int:
    extra = machine_strings(root)
    files = [Path(p) for p in paths] or default_files(root, records)
    found = [line for f in files for line in check_file(f, extra, root)]
    for line in found: print(line)
    print(f"output_paths_check: {len(found)} finding(s) in {len({l.split(':')[0] for l in found})} of {len(files)} files")
    return 1 if found else 0

def self_test() -> int:
    "Plant one finding of each kind in a scratch notebook and README; each must be reported, and clean text not."
    d = Path(tempfile.mkdtemp(prefix='output_paths_check_'))
    home = os.path.expanduser('~')
    planted = ['saved to /tmp/tmpab12/model.keras', 'cache in /root/.cache/x', f'cache in {home}/.cache/vae',
               'data in ../shared/data', "on this project's machines", 'version 0.1 (abc123+dirty)',
               f'checkout at {ROOT}/nbs']
    clean = ['https://example.com/home/page and http://localhost:8000/tmp/x', 'relative a/tmp/b and ~/.cache/vae',
             f'{home}fs and a{home} are other names',
             'x = 3/tmp', 'the data folder VAE_TUTORIAL_DATA', 'plus dirty work']
    cells = [{'cell_type': 'code', 'source': 'print()', 'metadata': {}, 'execution_count': 1,
              'outputs': [{'output_type': 'stream', 'name': 'stdout', 'text': [t + '\n']}]} for t in planted + clean]
    cells.append({'cell_type': 'code', 'source': '', 'metadata': {}, 'execution_count': 2, 'outputs': [
        {'output_type': 'display_data', 'metadata': {}, 'data': {'image/png': 'iVBO+dirty/tmp/x', 'text/plain': 'fig'}}]})
    nb = d/'t.ipynb'
    nb.write_text(json.dumps({'cells': cells, 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}))
    (d/'README.md').write_text('ok line\nsee /work/shared/data\n')
    got = check_file(nb, machine_strings(), root=d) + check_file(d/'README.md', machine_strings(), root=d)
    cells_hit = {int(l.split(':')[1]) for l in got if l.startswith('t.ipynb')}
    ok = cells_hit == set(range(len(planted))) and any(l.startswith('README.md:2:') for l in got)
    print('\n'.join(got)); print(f"output_paths_check self-test: {'PASS' if ok else 'FAIL'} (cells hit {sorted(cells_hit)})")
    return 0 if ok else 1

if __name__ == '__main__':
    args = sys.argv[1:]
    if args == ['--self-test']: sys.exit(self_test())
    sys.exit(main([a for a in args if a != '--records'], records='--records' in args))
