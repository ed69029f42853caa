#!/usr/bin/env python
"""Reader pages show the tutorial, not its workshop: a check of what the docs site shows from each notebook.

The sibling of `output_paths_check.py` (machine paths). What it reads, from the repository root or the paths given:
every notebook in nbs/ as the site shows it (cells `#| hide` or `#| include: false` are left out; `#| output: false`
drops the outputs, `#| echo: false` and the export directives the source), and the hand-written pages nbs/*.qmd.
In a notebook that is: markdown cells; the code of the cells whose code is shown; the outputs of shown cells (text,
plain, markdown, HTML with its `data:` URLs dropped; not images); and for exported cells the docstrings and the
parameter comments that nbdev's `show_doc` puts on the page.

What it reports, one line each, as `file:cell:line: what: 'text' in: the line` (cells counted from 0):
- tool or repository talk: `nbdev_test`, a `tools/` path, `settings.ini`, a commit hash (7-12 or 40 hexadecimal
  digits, letters and digits both), "uncommitted";
- a stderr box: a stream output on stderr (warnings, logging, a C library's start-up lines) or an error output;
- a raw repr a reader should not have to decode: `np.float64(...)` and the other NumPy scalar reprs, `<tf.Tensor`,
  `tf.Tensor(`.
There is no allowlist: fix the notebook (silence the source of a stderr line, say a number with an f-string, say a
tool's job in words).

    python tools/reader_talk_check.py                  # everything above; exit 0 when clean, 1 with findings
    python tools/reader_talk_check.py nbs/06_*.ipynb   # only these files
    python tools/reader_talk_check.py --self-test      # plants each kind of finding in a scratch notebook
"""
import ast, io, json, re, sys, tempfile, tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEXT_MIMES = ('text/plain', 'text/markdown', 'text/html', 'text/latex')
TALK = [(re.compile(r'\bnbdev_test\b'), 'tool talk (nbdev_test)'),
        (re.compile(r'(?:(?<![\w./-])|(?<=\.\./))tools/'), 'repository talk (tools/)'),   # tools/x, ../tools/x; not a/tools/x
        (re.compile(r'\bsettings\.ini\b'), 'repository talk (settings.ini)'),
        (re.compile(r'\buncommitted\b', re.I), 'repository talk (uncommitted)'),
        # a short (7-12) or full (40) commit hash: hexadecimal with a letter and a digit, not part of a longer word,
        # a colour (#a1b2c3) or a path
        (re.compile(r'(?<![\w#/.-])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])(?:[0-9a-f]{40}|[0-9a-f]{7,12})(?![\w-])'),
         'repository talk (a commit hash)')]
REPRS = [(re.compile(r'\bnp\.(?:float|int|uint|complex)\d*\((?=[-+]?(?:\d|\.\d|nan\b|inf\b))|\bnp\.(?:bool_|str_)\((?=True|False|\'|")'),
          'raw NumPy scalar repr'),   # np.float64(0.25), np.True_... as NumPy 2 prints a scalar; not np.float32(x) in code
         (re.compile(r'<tf\.Tensor\b|\btf\.Tensor\('), 'raw TensorFlow tensor repr')]
LEFT_OUT = re.compile(r'^#\|\s*(?:hide\s*$|include\s*:\s*false)', re.M)
NO_OUTPUT = re.compile(r'^#\|\s*output\s*:\s*false', re.M)
NO_SOURCE = re.compile(r'^#\|\s*(?:echo\s*:\s*false|exporti?\b|exports\b|default_exp\b)', re.M)
EXPORTED = re.compile(r'^#\|\s*exports?\b', re.M)

def findings_in(text, reprs=True) -> list:
    "Each offending piece of `text`: (what, matched text). A commit hash that is also in a link on the line is a citation, not talk."
    return [(what, m.group()) for rx, what in TALK + (REPRS if reprs else []) for m in rx.finditer(text)
            if not (what.endswith('commit hash)') and re.search(rf'/{m.group()}', text))]

def shown_docs(src: str) -> str:
    """What nbdev's `show_doc` shows of an exported cell: the docstring of each public function and class it defines, and
    the comments in their signatures (a class's: its `__init__`'s), which show_doc turns into a table of parameters."""
    code = '\n'.join(l for l in src.splitlines() if not l.lstrip().startswith(('%', '!')))
    try: tree = ast.parse(code)
    except SyntaxError: return ''
    out, sig_lines = [], set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith('_'):
            doc = ast.get_docstring(node)
            if doc: out.append(doc)
            init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == '__init__'), None) \
                if isinstance(node, ast.ClassDef) else node
            if init is not None and init.body: sig_lines.update(range(init.lineno, init.body[0].lineno))
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.COMMENT and tok.start[0] in sig_lines: out.append(tok.string)
    except (tokenize.TokenError, IndentationError): pass
    return '\n'.join(out)

def _text(v): return v if isinstance(v, str) else ''.join(v)

def _uncommented(text): return re.sub(r'<!--.*?-->', '', text, flags=re.DOTALL)   # HTML comments are not shown

def cell_texts(cell):
    "(kind, text) for what the site shows of one notebook cell; kind 'stderr' marks a stderr box."
    src = _text(cell.get('source', ''))
    if cell.get('cell_type') == 'markdown': yield 'text', _uncommented(src); return
    if cell.get('cell_type') != 'code' or LEFT_OUT.search(src): return
    if not NO_SOURCE.search(src): yield 'code', src
    if EXPORTED.search(src): yield 'code', shown_docs(src)
    if NO_OUTPUT.search(src): return
    for o in cell.get('outputs', []):
        if o.get('output_type') == 'stream' and o.get('name') == 'stderr': yield 'stderr', _text(o.get('text', ''))
        elif 'text' in o: yield 'text', _text(o['text'])
        if o.get('output_type') == 'error': yield 'stderr', f"{o.get('ename')}: {o.get('evalue')}"
        for mime in TEXT_MIMES:
            if mime in o.get('data', {}):
                yield 'text', re.sub(r'data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+', 'data:', _text(o['data'][mime]))

def check_file(path, root=ROOT) -> list:
    "Lines `file:cell:line: what: 'text' in: line` (notebooks) or `file:line: ...` for each finding in `path`."
    path = Path(path)
    try: name = str(path.resolve().relative_to(Path(root).resolve()))
    except ValueError: name = path.name
    out = []
    def report(prefix, text, reprs=True):
        for i, line in enumerate(text.splitlines(), 1):
            show = line.strip()
            for what, hit in dict.fromkeys(findings_in(line, reprs)):   # each kind of finding once a line
                out.append(f"{prefix}:{i}: {what}: {hit!r} in: {show[:140]}{'…' if len(show) > 140 else ''}")
    if path.suffix == '.ipynb':
        for c, cell in enumerate(json.loads(path.read_text(encoding='utf-8')).get('cells', [])):
            for kind, text in cell_texts(cell):
                if kind == 'stderr' and text.strip():
                    first = next(l.strip() for l in text.splitlines() if l.strip())
                    out.append(f"{name}:{c}: stderr box: {first[:140]!r}")
                report(f"{name}:{c}", text, reprs=kind != 'code')   # code may call np.float64(...) on purpose
    else: report(name, _uncommented(path.read_text(encoding='utf-8', errors='replace')))
    return out

def default_files(root=ROOT) -> list:
    "The reader pages' sources: the notebooks of nbs/ and the hand-written pages nbs/*.qmd."
    nbs = Path(root)/'nbs'
    return sorted(p for p in [*nbs.glob('*.ipynb'), *nbs.glob('*.qmd')] if not p.name.startswith(('_', '.')))

def main(paths=(), root=ROOT) -> int:
    files = [Path(p) for p in paths] or default_files(root)
    found = [line for f in files for line in check_file(f, root)]
    for line in found: print(line)
    per = {}
    for l in found: per[l.split(':')[0]] = per.get(l.split(':')[0], 0) + 1
    print(f"reader_talk_check: {len(found)} finding(s) in {len(per)} of {len(files)} files"
          + (': ' + ', '.join(f'{Path(k).name} {v}' for k, v in per.items()) if per else ''))
    return 1 if found else 0

def self_test() -> int:
    "Plant one finding of each kind in a scratch notebook and page; each must be reported, and clean text not."
    d = Path(tempfile.mkdtemp(prefix='reader_talk_check_'))
    def code(src, *outputs): return {'cell_type': 'code', 'source': src, 'metadata': {}, 'execution_count': 1, 'outputs': list(outputs)}
    def stream(text, name='stdout'): return {'output_type': 'stream', 'name': name, 'text': [text]}
    def result(mime, text): return {'output_type': 'execute_result', 'execution_count': 1, 'metadata': {}, 'data': {mime: text}}
    planted = [{'cell_type': 'markdown', 'metadata': {}, 'source': 'Run `nbdev_test` before you commit.'},
               {'cell_type': 'markdown', 'metadata': {}, 'source': 'A browser check, tools/explorer_check.py, moves it.'},
               {'cell_type': 'markdown', 'metadata': {}, 'source': 'The processor is named in settings.ini.'},
               code('x', stream('recorded 2026-12-01, 3f9c2ab with uncommitted edits\n')),
               code('x', stream('recorded at 3f9c2ab81d\n')),
               code('x', stream('I0000 cuInit failed\n', 'stderr')),
               code('x', result('text/plain', 'np.float64(0.25)')),
               code('x', result('text/plain', '<tf.Tensor: shape=(), dtype=float32, numpy=0.5>')),
               code('x', {'output_type': 'error', 'ename': 'ValueError', 'evalue': 'bad', 'traceback': []}),
               code('#| export\ndef f(x, # see tools/generate.py\n      ):\n    "Reads settings.ini."\n    return x'),
               code('# a comment naming settings.ini\nprint(1)'),
               code('x', result('text/html', '<p>made by nbdev_test</p><img src="data:image/png;base64,AAAA">'))]
    clean = [{'cell_type': 'markdown', 'metadata': {}, 'source': 'Colours #a1b2c3, a path a/tools/b, 1e-6 and 0.25, the tools we use, 1234567.'},
             code('#| hide\nprint(1)', stream('nbdev_test and tools/x.py\n', 'stderr')),
             code('#| output: false\nx', stream('settings.ini\n')),
             code('np.float64(0.5) + 1', result('text/plain', '1.5')),
             code('x', result('text/html', '<img src="data:image/png;base64,deadbeef12+/tools/abc1234f==">')),
             code('x', stream('md5 0123456789abcdef0123456789abcdef and 3.14159\n')),
             code('#| export\ndef g(x):\n    "Plain words."\n    # an internal note about tools/\n    return x'),
             code('#| export\ndef _h(x):\n    "Private: reads settings.ini."\n    return x'),
             code('x', stream('print(recipe_source()): return {"loss": np.float32(untrained)}\n')),
             {'cell_type': 'markdown', 'metadata': {}, 'source': '<!-- results:start by tools/generate.py -->\nthe fix, commit [`73a689f`](https://github.com/o/r/commit/73a689f)'}]
    cells = planted + clean
    nb = d/'t.ipynb'
    nb.write_text(json.dumps({'cells': cells, 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}))
    (d/'api.qmd').write_text('<!-- made by tools/generate.py -->\nRegenerate with python tools/generate.py api\n')
    got = check_file(nb, root=d) + check_file(d/'api.qmd', root=d)
    cells_hit = {int(l.split(':')[1]) for l in got if l.startswith('t.ipynb')}
    ok = cells_hit == set(range(len(planted))) and any(l.startswith('api.qmd:2:') for l in got)
    print('\n'.join(got))
    print(f"reader_talk_check self-test: {'PASS' if ok else 'FAIL'} (cells hit {sorted(cells_hit)}, "
          f"planted {list(range(len(planted)))})")
    return 0 if ok else 1

if __name__ == '__main__':
    args = sys.argv[1:]
    if args == ['--self-test']: sys.exit(self_test())
    sys.exit(main(args))
