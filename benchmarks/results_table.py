"""Collect the recorded benchmark runs into one Markdown results table.

Each benchmark script ends its output with one JSON line. A recorded run is that output saved whole under
`benchmarks/results/` (for example `python benchmarks/density.py | tee benchmarks/results/density_vae.txt`); this
script reads the last JSON line of each file and prints the summary table that `benchmarks/README.md`, the evaluation
notebook and the landing page show. `--check FILE...` exits 1 if a file does not contain the table exactly as printed.

    python benchmarks/results_table.py                       # print the table
    python benchmarks/results_table.py --check benchmarks/README.md nbs/index.ipynb
"""
import argparse, json, sys
from pathlib import Path

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
    vae, iwae = last_json('density_vae.txt'), last_json('density_iwae.txt')
    for r, goal in ((vae, 88.0), (iwae, 87.5)):
        if r: out.append((f"Test NLL, static binarized MNIST, k={r['eval_k']} ({r['model']})",
                          f"**{r['test_nll']:.2f} ± {r['stderr']:.2f} nats** (goal ≤ {goal}; −ELBO {r['test_neg_elbo']:.2f}; {r['active_units']} active units)",
                          f"{r['epochs']} epochs, {r['train_minutes']} min training" + (f" after the VAE" if r['args'].get('init') else '')
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
    a = p.parse_args()
    t = table()
    if a.check is None: print(t); return
    bad = []
    for f in a.check:
        text = Path(f).read_text(encoding='utf-8')
        if f.endswith('.ipynb'): text = '\n'.join(''.join(c['source']) for c in json.loads(text)['cells'])
        if t not in text: bad.append(f)
    if bad: sys.exit(f"the results table in {', '.join(bad)} differs from what benchmarks/results_table.py prints; paste it again")
    print('results table up to date in', ', '.join(a.check))

if __name__ == '__main__': main()
