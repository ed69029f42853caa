"""What the benchmark scripts share: the checkout's commit, the lines that open a report, and the JSON line that ends it.

A script run as `python benchmarks/NAME.py` has `benchmarks/` first on `sys.path`, from any current directory, so
`from common import ...` finds this file.
"""
import functools, json, os, platform, subprocess, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

@functools.cache
def commit() -> str:
    "Short commit of this checkout, '+dirty' if tracked files have uncommitted changes; 'unknown' without git. Read once: a run reports the commit it started from."
    git = lambda *a: subprocess.run(['git', *a], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
    try: c = git('rev-parse', '--short', 'HEAD'); dirty = git('status', '--porcelain', '-uno')
    except (OSError, subprocess.SubprocessError): return 'unknown'
    return c + ('+dirty' if dirty else '') if c else 'unknown'

def utc_now() -> str:
    "The time, to the minute: '2026-11-22 05:48 UTC'."
    return time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())

def machine(load_at: str = '') -> str:
    "Platform and CPU count; with `load_at` ('start', 'the end') also the load average, where the OS has one."
    s = f"{platform.platform()}, os.cpu_count()={os.cpu_count()}"
    return s + (f", load average {os.getloadavg()[0]:.2f} at {load_at}" if load_at and hasattr(os, 'getloadavg') else '')

def versions(tf, keras) -> str:
    return f"Python {platform.python_version()}, TensorFlow {tf.__version__}, Keras {keras.__version__}"

def header(title: str, **fields):
    "Print a report's title, then one `name      value` line per field."
    print(title)
    for name, value in fields.items(): print(f"{name:<9} {value}")

def result_line(result: dict):
    "Print the JSON line that ends every report: `tools/generate.py results` reads it from the saved output."
    print(json.dumps(result), flush=True)
