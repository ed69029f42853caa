"""Collect the recorded benchmark runs into one Markdown results table.

Each benchmark script ends its output with one JSON line. A recorded run is that output saved whole under
`benchmarks/results/` (for example `python benchmarks/density.py | tee benchmarks/results/density_vae.txt`); this
script reads the last JSON line of each file and prints the summary table that `benchmarks/README.md`, the evaluation
notebook and the landing page show. `--check FILE...` exits 1 if a file does not contain the table exactly as printed.

    python benchmarks/results_table.py                       # print the table
    python benchmarks/results_table.py --write benchmarks/README.md nbs/index.ipynb nbs/05_evaluation.ipynb
    python benchmarks/results_table.py --check benchmarks/README.md nbs/index.ipynb nbs/05_evaluation.ipynb

`--write` replaces what stands between the lines `<!-- results:start -->` and `<!-- results:end -->` in each file
(in a notebook, in the markdown cell holding them) with the table.
"""
import argparse, json, re, sys
from pathlib import Path
START, END = '<!-- results:start -->', '<!-- results:end -->'
BLOCK = re.compile(re.escape(START) + r'.*?' + re.escape(END), flags=re.DOTALL)

RESULTS = Path(__file__).resolve().parent / 'results'

def last_json(name):
    "The last JSON object printed in results/`name`, or None if that run was not recorded."
    path = RESULTS / name
    if not path.is_file(): return None
    for line in reversed(path.read_text(encoding='utf-8').splitlines()):
        if line.startswith('{'): return json.loads(line)
    return None

def rows():
    out = []
    for name, goal in (('density_vae.txt', '≤ 88.0'), ('density_iwae.txt', '< 87.5')):
        r = last_json(name)
        if not r: continue
        started_from = r.get('init') or ', from ' in (RESULTS / name).read_text(encoding='utf-8').splitlines()[0]
        out.append((f"Test NLL, static binarized MNIST, k={r['eval_k']} ({r['model']})",
                          f"**{r['test_nll']:.2f} ± {r['stderr']:.2f} nats** (goal {goal}; −ELBO {r['test_neg_elbo']:.2f}; {r['active_units']} active units)",
                          f"{r['epochs']} epochs, {r['train_minutes']} min training" + (" after the VAE's" if started_from else '')
                          + f"; {r['date'][:10]}, {r['commit']}"))
    t = last_json('throughput.txt')
    if t:
        for arch in ('conv', 'dense'):
            a = t[arch]
            extra = f"; {a['gflops']} GFLOP/s = {a['fraction_of_peak']:.0%} of the {t['matmul_peak_gflops']} GFLOP/s matmul peak" if arch == 'dense' else ''
            out.append((f"Training throughput, {arch} VAE (batch {a['batch']}, jit={a['jit']})",
                        f"**{a['fit_images_per_s']:,} images/s** with `fit`; {a['fit_over_tape']:.2f}× a plain GradientTape loop{extra}",
                        f"{t['date'][:10]}, {t['commit']}"))
    n = last_json('notebook_times.txt')
    if n:
        slowest = max(n['per_notebook'].items(), key=lambda kv: kv[1])
        out.append(("Notebook tests (`nbdev_test`, quick mode)",
                    f"**{n['sum']:.0f} s** for all {len(n['per_notebook'])} notebooks one at a time (goal < 300 s)"
                    + (f"; {n['suite_n_workers_2']:.0f} s as CI runs them" if 'suite_n_workers_2' in n else '')
                    + f"; slowest {slowest[0]} {slowest[1]:.0f} s", f"{n.get('date', '')[:10]}, {n.get('commit', '')}".strip(', ')))
    c = last_json('cvae_accuracy.txt')
    if c:
        for prior in ('standard', 'learned'):
            r = c[prior]
            worst = min(range(10), key=lambda d: r['per_digit'][d])
            out.append((f"CVAE conditional accuracy, {prior} prior",
                        f"**{100 * r['overall']:.1f}%** (lowest: digit {worst}, {100 * r['per_digit'][worst]:.1f}%)",
                        f"{c['epochs']} epochs; classifier {100 * c['classifier_accuracy']:.2f}%; {c['date'][:10]}, {c['commit']}"))
    return out

def table():
    lines = ['| benchmark | result | run |', '|---|---|---|']
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows()]
    return '\n'.join(lines)

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--check', nargs='*', default=None, help='files that must contain the table as printed')
    p.add_argument('--write', nargs='*', default=None, help='files whose results block to replace with the table')
    a = p.parse_args()
    t = table()
    if a.write:
        block = f"{START}\n{t}\n{END}"
        for f in a.write:
            path = Path(f); text = path.read_text(encoding='utf-8')
            if f.endswith('.ipynb'):
                nb = json.loads(text); hits = 0
                for c in nb['cells']:
                    src = ''.join(c['source'])
                    if START in src:
                        lines = BLOCK.sub(lambda m: block, src).split('\n'); hits += 1
                        c['source'] = [l + '\n' for l in lines[:-1]] + [lines[-1]]
                new = json.dumps(nb, indent=1, ensure_ascii=False) + '\n'
            else: hits, new = len(BLOCK.findall(text)), BLOCK.sub(lambda m: block, text)
            if not hits: sys.exit(f"{f}: no {START} ... {END} block to fill")
            tmp = path.with_name(path.name + '.tmp'); tmp.write_text(new, encoding='utf-8'); tmp.replace(path)   # atomic
            print(f"wrote the results table into {f}")
        return
    if a.check is None: print(t); return
    bad = []
    for f in a.check:
        text = Path(f).read_text(encoding='utf-8')
        if f.endswith('.ipynb'): text = '\n'.join(''.join(c['source']) for c in json.loads(text)['cells'])
        if t not in text: bad.append(f)
    if bad: sys.exit(f"the results table in {', '.join(bad)} differs from what benchmarks/results_table.py prints; paste it again")
    print('results table up to date in', ', '.join(a.check))

if __name__ == '__main__': main()
