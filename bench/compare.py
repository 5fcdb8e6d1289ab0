#!/usr/bin/python3
"""Run birnn, oneDNN and PyTorch side by side on the same RNN configurations and print a Markdown table.

    /usr/bin/python3 bench/compare.py [--birnn PATH] [--onednn PATH] [--rounds R] [--threads N]
        [--quick | --full] [--json-out FILE] [CONFIG ...]

CONFIG is a cell name, lstm gru rnn, or its bidirectional form, bilstm bigru birnn, optionally followed by
comma-separated overrides of the size flags: batch= seq= input= hidden= layers= threads= lengths=
e.g.  lstm   bilstm,lengths=uniform:10:100   lstm,batch=1   bigru,threads=2
Default: lstm bilstm gru bigru rnn birnn at B=64 T=100 I=H=256, 1 layer, 1 thread.
--full adds lstm,batch=1 (batch-1 latency), bilstm,lengths=uniform:10:100 (ragged batch) and
bilstm,threads=2 (both directions on two cores). --quick runs tiny sizes once (CI smoke test).
A second table gives each tool's peak resident memory (ru_maxrss) and its growth over the RSS once the
library is loaded (the model, activations and workspaces), with PyTorch / birnn ratios.

For each configuration the tools run interleaved round by round (birnn, oneDNN, PyTorch, birnn, ...); each
run prints the medians of its own --reps repetitions and the table shows, per tool, the median of those
per-round medians, with the spread of the per-round medians as +-(max-min)/2 in percent of the median.
Ratios are peer time / birnn time, so > 1 means birnn is faster. A tool that is missing is skipped with a
message; a tool that fails on one configuration is reported and skipped for that configuration.

Environment given to the children (same for all three unless noted):
  --malloc tuned (default): GLIBC_TUNABLES=glibc.malloc.trim_threshold=1GiB:glibc.malloc.mmap_threshold=32MiB,
      so freed memory is kept instead of being returned to the OS and page-faulted back on every step
      (that costs PyTorch's small training steps up to 10x on this VM); --malloc default leaves glibc alone.
  PyTorch only: OPENBLAS_CORETYPE=SkylakeX and ATEN_CPU_CAPABILITY=avx512 on AVX-512 CPUs (its best
      settings; OpenBLAS auto-detects Zen 5 as Haswell), overridable with --openblas-coretype.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TOOLS = ["birnn", "onednn", "pytorch"]
TOOL_TITLE = {"birnn": "birnn", "onednn": "oneDNN", "pytorch": "PyTorch"}
SIZE_KEYS = ["batch", "seq", "input", "hidden", "layers", "threads", "lengths"]
DEFAULT_CONFIGS = ["lstm", "bilstm", "gru", "bigru", "rnn", "birnn"]
FULL_EXTRA = ["lstm,batch=1", "bilstm,lengths=uniform:10:100", "bilstm,threads=2"]
QUICK_CONFIGS = ["lstm", "bigru", "rnn", "bilstm,lengths=uniform:3:12", "lstm,layers=2", "bigru,layers=2,input=8"]
TUNED_MALLOC = "glibc.malloc.trim_threshold=1073741824:glibc.malloc.mmap_threshold=33554432"


class ConfigError(ValueError):
    pass


def parse_config(text, defaults):
    """'bilstm,batch=1' -> {'name': ..., 'cell': 'lstm', 'bidirectional': True, 'batch': 1, ...}."""
    head, *overrides = text.split(",")
    cells = {"lstm": ("lstm", False), "gru": ("gru", False), "rnn": ("rnn", False),
             "bilstm": ("lstm", True), "bigru": ("gru", True), "birnn": ("rnn", True)}
    if head not in cells:
        raise ConfigError(f"configuration '{text}': expected lstm, gru, rnn, bilstm, bigru or birnn before the "
                          f"first comma, got '{head}'")
    cfg = dict(defaults)
    cfg["cell"], cfg["bidirectional"] = cells[head]
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or key not in SIZE_KEYS:
            raise ConfigError(f"configuration '{text}': expected key=value with key one of {', '.join(SIZE_KEYS)}, "
                              f"got '{item}'")
        if key == "lengths":
            parts = value.split(":")
            ok = len(parts) == 3 and parts[0] == "uniform" and parts[1].isdigit() and parts[2].isdigit() \
                and 1 <= int(parts[1]) <= int(parts[2])
            if not ok and value != "dense":
                raise ConfigError(f"configuration '{text}': lengths must be dense or uniform:MIN:MAX with "
                                  f"1 <= MIN <= MAX, got '{value}'")
            cfg["lengths"] = value
        else:
            if not value.isdigit() or int(value) < 1:
                raise ConfigError(f"configuration '{text}': {key} must be a positive integer, got '{value}'")
            cfg[key] = int(value)
    if cfg["lengths"] != "dense":
        cfg["seq"] = int(cfg["lengths"].split(":")[2])  # T is MAX
    cfg["name"] = config_name(cfg)
    return cfg


def config_name(c):
    name = ("Bi" if c["bidirectional"] else "") + {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}[c["cell"]]
    name += f" B={c['batch']} T={c['seq']} I={c['input']} H={c['hidden']}"
    if c["layers"] != 1:
        name += f" L={c['layers']}"
    if c["threads"] != 1:
        name += f" thr={c['threads']}"
    if c["lengths"] != "dense":
        name += f" len={c['lengths'].replace('uniform:', 'U')}"
    return name


def tool_flags(c, reps, warmup):
    flags = ["--cell", c["cell"]] + (["--bidirectional"] if c["bidirectional"] else [])
    for key in ["batch", "seq", "input", "hidden", "layers", "threads"]:
        flags += [f"--{key}", str(c[key])]
    if c["lengths"] != "dense":
        flags += ["--lengths", c["lengths"]]
    return flags + ["--reps", str(reps), "--warmup", str(warmup), "--json"]


def cpu_has_avx512f():
    try:
        with open("/proc/cpuinfo") as f:
            return any(line.startswith("flags") and " avx512f" in line for line in f)
    except OSError:
        return False


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def run_tool(cmd, env, timeout, threads):
    """Runs one benchmark process; returns (json dict, None) or (None, error message).

    Adds "cpu_share": the child's CPU time / (wall time x threads). Well below 1 on one thread means another
    process took the core during the run (the machine is shared), so its numbers are suspect."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout} s"
    except OSError as e:
        return None, f"could not start: {e}"
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if p.returncode != 0:
        tail = (p.stderr.strip() or p.stdout.strip()).splitlines()[-3:]
        return None, f"exit code {p.returncode}: " + " | ".join(tail)
    for line in reversed(p.stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                result = json.loads(line)
                result["cpu_share"] = round(cpu / (wall * threads), 3) if wall > 0 else None
                return result, None
            except json.JSONDecodeError as e:
                return None, f"bad JSON line ({e}): {line[:200]}"
    return None, "no JSON line on stdout: " + p.stdout.strip()[-200:]


def check_echo(result, c):
    """The tool must echo the configuration it actually ran; a silently ignored flag is a wrong comparison."""
    bad = []
    for key in ["cell", "bidirectional", "batch", "seq", "input", "hidden", "layers", "threads", "lengths"]:
        if key in result and result[key] != c[key]:
            bad.append(f"{key}={result[key]!r} (asked {c[key]!r})")
    missing = [k for k in ["forward_ms", "forward_backward_ms"] if not isinstance(result.get(k), (int, float))]
    return bad + [f"missing {k}" for k in missing]


def spread_pct(values):
    m = statistics.median(values)
    return 100.0 * (max(values) - min(values)) / 2 / m if m > 0 else 0.0


def summarize(runs):
    out = {}
    for tool, results in runs.items():
        if not results:
            continue
        s = {"rounds": len(results)}
        for key in ["forward_ms", "forward_backward_ms", "forward_cpu_ms", "forward_backward_cpu_ms"]:
            vals = [r[key] for r in results if isinstance(r.get(key), (int, float))]
            if len(vals) != len(results):
                continue
            s[key] = statistics.median(vals)
            s[key + "_round_medians"] = vals
            s[key + "_spread_pct"] = spread_pct(vals)
        rss = [r["peak_rss_mb"] for r in results if isinstance(r.get("peak_rss_mb"), (int, float))]
        if rss:
            s["peak_rss_mb"] = max(rss)
        grown = [r["peak_rss_mb"] - r["baseline_rss_mb"] for r in results
                 if isinstance(r.get("peak_rss_mb"), (int, float)) and isinstance(r.get("baseline_rss_mb"), (int, float))]
        if len(grown) == len(results):
            s["rss_growth_mb"] = max(grown)
        out[tool] = s
    return out


def fmt_ms(s, key):
    if not s:
        return "—"
    if key not in s:
        return "n/a"
    v = s[key]
    digits = 3 if v < 1 else 2 if v < 10 else 1
    if s["rounds"] < 2:
        return f"{v:.{digits}f}"
    return f"{v:.{digits}f} ±{s[key + '_spread_pct']:.0f}%"


def fmt_ratio(peer, mine, key):
    if not peer or not mine or key not in peer or key not in mine or mine[key] <= 0:
        return "—"
    return f"{peer[key] / mine[key]:.2f}x"


def markdown_table(results, metric):
    fwd, fb = ("forward_ms", "forward_backward_ms") if metric == "wall" else ("forward_cpu_ms", "forward_backward_cpu_ms")
    head = ["config", "birnn fwd ms", "oneDNN fwd", "PyTorch fwd", "birnn fwd+bwd ms", "oneDNN fwd+bwd",
            "PyTorch fwd+bwd", "oneDNN/birnn fwd", "PyTorch/birnn fwd", "oneDNN/birnn fwd+bwd",
            "PyTorch/birnn fwd+bwd"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    padded_note = False
    for r in results:
        s = r["summary"]
        b, o, p = s.get("birnn"), s.get("onednn"), s.get("pytorch")
        star = ""
        if o and r["config"]["lengths"] != "dense":
            star, padded_note = "*", True
        row = [r["config"]["name"],
               fmt_ms(b, fwd), fmt_ms(o, fwd) + star, fmt_ms(p, fwd),
               fmt_ms(b, fb), fmt_ms(o, fb) + star, fmt_ms(p, fb),
               fmt_ratio(o, b, fwd), fmt_ratio(p, b, fwd), fmt_ratio(o, b, fb), fmt_ratio(p, b, fb)]
        lines.append("| " + " | ".join(row) + " |")
    what = "wall-clock" if metric == "wall" else "process CPU time (n/a: the tool does not report it)"
    notes = [f"Times ({what}): median over rounds of each run's median; ±: half the range of the per-round "
             "medians. Ratios: peer time / birnn time (> 1: birnn faster)."]
    if padded_note:
        notes.append("\\* oneDNN has no variable lengths: it runs the batch padded to MAX steps.")
    return "\n".join(lines) + "\n\n" + "\n".join(notes)


def fmt_mb(s, key):
    if not s:
        return "—"
    if key not in s:
        return "n/a"
    return f"{s[key]:.1f}" if abs(s[key]) < 10 else f"{s[key]:.0f}"


def fmt_mb_ratio(peer, mine, key):
    if not peer or not mine or key not in peer or key not in mine or mine[key] <= 0:
        return "—"
    return f"{peer[key] / mine[key]:.1f}x"


def memory_table(results):
    """Peak resident memory (ru_maxrss) of each tool's process, which ran forward and forward+backward, so the
    peak is the training step's; and how much of it came after the library was loaded (peak - baseline, the
    baseline taken before the model and data are made): the model, the activations, the workspaces."""
    head = ["config", "birnn peak RSS MB", "oneDNN", "PyTorch", "PyTorch/birnn", "birnn growth MB", "oneDNN growth",
            "PyTorch growth", "PyTorch/birnn growth"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        s = r["summary"]
        b, o, p = s.get("birnn"), s.get("onednn"), s.get("pytorch")
        row = [r["config"]["name"], fmt_mb(b, "peak_rss_mb"), fmt_mb(o, "peak_rss_mb"), fmt_mb(p, "peak_rss_mb"),
               fmt_mb_ratio(p, b, "peak_rss_mb"), fmt_mb(b, "rss_growth_mb"), fmt_mb(o, "rss_growth_mb"),
               fmt_mb(p, "rss_growth_mb"), fmt_mb_ratio(p, b, "rss_growth_mb")]
        lines.append("| " + " | ".join(row) + " |")
    note = ("Peak RSS: the largest ru_maxrss over the rounds, of a process that ran forward and forward+backward "
            "(so the training step's peak), including the loaded libraries. Growth: peak minus the RSS measured "
            "once the library was loaded and before the model and data were made (n/a: the tool does not report "
            "it). Ratios > 1: birnn uses less.")
    return "\n".join(lines) + "\n\n" + note


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("configs", nargs="*", metavar="CONFIG")
    ap.add_argument("--birnn", default=os.path.join(ROOT, "build", "birnn"), help="birnn CLI (default build/birnn)")
    ap.add_argument("--onednn", default=os.path.join(ROOT, "build", "bench", "onednn_rnn_bench"),
                    help="onednn_rnn_bench (default build/bench/onednn_rnn_bench)")
    ap.add_argument("--pytorch-script", default=os.path.join(HERE, "pytorch_rnn_bench.py"))
    ap.add_argument("--python", default="/usr/bin/python3", help="Python with torch (default /usr/bin/python3)")
    ap.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of birnn,onednn,pytorch")
    ap.add_argument("--rounds", type=int, default=None, help="rounds per configuration (default 5; 1 with --quick)")
    ap.add_argument("--reps", type=int, default=None, help="repetitions per run (default 10; 3 with --quick)")
    ap.add_argument("--warmup", type=int, default=None, help="untimed repetitions per run (default 2; 1 with --quick)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=None)
    ap.add_argument("--seq", type=int, default=None)
    ap.add_argument("--input", type=int, default=None)
    ap.add_argument("--hidden", type=int, default=None)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="tiny sizes, one round: a smoke test")
    ap.add_argument("--full", action="store_true", help="default configurations plus " + " ".join(FULL_EXTRA))
    ap.add_argument("--malloc", choices=["tuned", "default"], default="tuned")
    ap.add_argument("--metric", choices=["wall", "cpu"], default="wall",
                    help="table of wall-clock times (default) or of process CPU time (*_cpu_ms), which on one "
                         "thread ignores time spent descheduled on a shared machine")
    ap.add_argument("--openblas-coretype", default=None,
                    help="OPENBLAS_CORETYPE for PyTorch (default SkylakeX on AVX-512 CPUs)")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per tool run")
    ap.add_argument("--json-out", metavar="FILE", help="write every raw result to FILE")
    a = ap.parse_args(argv)

    for name in ["rounds", "reps", "threads", "batch", "seq", "input", "hidden", "layers"]:
        v = getattr(a, name)
        if v is not None and v < 1:
            ap.error(f"--{name} must be >= 1, got {v}")
    if a.warmup is not None and a.warmup < 0:
        ap.error(f"--warmup must be >= 0, got {a.warmup}")
    tools = [t.strip() for t in a.tools.split(",") if t.strip()]
    for t in tools:
        if t not in TOOLS:
            ap.error(f"--tools: unknown tool '{t}' (expected birnn, onednn, pytorch)")

    quick = {"batch": 4, "seq": 12, "input": 16, "hidden": 16}
    normal = {"batch": 64, "seq": 100, "input": 256, "hidden": 256}
    base = quick if a.quick else normal
    defaults = {k: (getattr(a, k) if getattr(a, k) is not None else base[k]) for k in base}
    defaults.update(layers=a.layers, threads=a.threads, lengths="dense")
    rounds = a.rounds or (1 if a.quick else 5)
    reps = a.reps or (3 if a.quick else 10)
    warmup = a.warmup if a.warmup is not None else (1 if a.quick else 2)
    names = a.configs or (QUICK_CONFIGS if a.quick else DEFAULT_CONFIGS + (FULL_EXTRA if a.full else []))
    try:
        configs = [parse_config(n, defaults) for n in names]
    except ConfigError as e:
        ap.error(str(e))

    # Which tools are here.
    commands = {}
    if "birnn" in tools:
        if os.path.isfile(a.birnn) and os.access(a.birnn, os.X_OK):
            commands["birnn"] = [a.birnn, "bench"]
        else:
            print(f"compare: skipping birnn: no executable at {a.birnn} (build it with `cmake --build build`, "
                  f"or pass --birnn PATH)", file=sys.stderr)
    if "onednn" in tools:
        if os.path.isfile(a.onednn) and os.access(a.onednn, os.X_OK):
            commands["onednn"] = [a.onednn]
        else:
            print(f"compare: skipping oneDNN: no executable at {a.onednn} (build target onednn_rnn_bench, "
                  f"or pass --onednn PATH)", file=sys.stderr)
    if "pytorch" in tools:
        probe = subprocess.run([a.python, "-c", "import torch"], capture_output=True, text=True) \
            if os.path.isfile(a.python) else None
        if probe is None or probe.returncode != 0:
            print(f"compare: skipping PyTorch: {a.python} cannot import torch", file=sys.stderr)
        elif not os.path.isfile(a.pytorch_script):
            print(f"compare: skipping PyTorch: {a.pytorch_script} not found", file=sys.stderr)
        else:
            commands["pytorch"] = [a.python, a.pytorch_script]
    if not commands:
        print("compare: none of the tools is available; nothing to run", file=sys.stderr)
        return 1

    env = dict(os.environ)
    if a.malloc == "tuned":
        env["GLIBC_TUNABLES"] = TUNED_MALLOC
    torch_env = dict(env)
    avx512 = cpu_has_avx512f()
    coretype = a.openblas_coretype or ("SkylakeX" if avx512 else None)
    if coretype:
        torch_env["OPENBLAS_CORETYPE"] = coretype
    if avx512:
        torch_env.setdefault("ATEN_CPU_CAPABILITY", "avx512")
    envs = {"birnn": env, "onednn": env, "pytorch": torch_env}

    meta = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "loadavg_start": loadavg(), "rounds": rounds,
            "reps": reps, "warmup": warmup, "malloc": a.malloc,
            "glibc_tunables": env.get("GLIBC_TUNABLES", ""), "pytorch_openblas_coretype": coretype,
            "commands": {t: c for t, c in commands.items()}}
    print(f"compare: {len(configs)} configuration(s) x {rounds} round(s) x {', '.join(commands)}; "
          f"{reps} reps + {warmup} warmup per run; load average {meta['loadavg_start']}", file=sys.stderr)

    results, failures = [], 0
    tool_info = {}
    for c in configs:
        runs = {t: [] for t in commands}
        errors = {}
        for rnd in range(rounds):
            for tool, cmd in commands.items():
                if tool in errors:
                    continue
                res, err = run_tool(cmd + tool_flags(c, reps, warmup), envs[tool], a.timeout, c["threads"])
                if res is not None:
                    problems = check_echo(res, c)
                    if problems:
                        res, err = None, "ran a different configuration: " + ", ".join(problems)
                if err:
                    errors[tool] = err
                    failures += 1
                    print(f"compare: {TOOL_TITLE[tool]} failed on {c['name']}: {err}", file=sys.stderr)
                    continue
                runs[tool].append(res)
                tool_info.setdefault(tool, {k: res[k] for k in ["version", "isa", "blas", "simd"] if k in res})
                print(f"compare: round {rnd + 1}/{rounds} {c['name']:<40} {TOOL_TITLE[tool]:<8} "
                      f"fwd {res['forward_ms']:9.3f} ms  fwd+bwd {res['forward_backward_ms']:9.3f} ms  "
                      f"cpu share {res['cpu_share']}",
                      file=sys.stderr)
        results.append({"config": c, "runs": runs, "errors": errors, "summary": summarize(runs)})
    meta["loadavg_end"] = loadavg()
    meta["tool_info"] = tool_info

    print(f"\nThreads as listed; {rounds} round(s) x {reps} reps per tool; malloc {a.malloc}; "
          f"load average {meta['loadavg_start']} -> {meta['loadavg_end']}.")
    for tool, info in tool_info.items():
        print(f"- {TOOL_TITLE[tool]}: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    if "pytorch" in tool_info and avx512 and "SkylakeX" not in str(tool_info["pytorch"].get("blas", "")):
        print("- WARNING: PyTorch did not run OpenBLAS's AVX-512 (SkylakeX) kernels")
    print()
    print(markdown_table(results, a.metric))
    shares = {t: [r["cpu_share"] for res in results for r in res["runs"].get(t, []) if r.get("cpu_share")]
              for t in commands}
    shares = {t: v for t, v in shares.items() if v}
    if shares:
        print("CPU share of the runs, cpu time / (wall x threads), min and median over runs (well below 1: another "
              "process took the cores): " + ", ".join(f"{TOOL_TITLE[t]} {min(v):.2f} / {statistics.median(v):.2f}"
                                               for t, v in shares.items()) + ".")
    print()
    print(memory_table(results))
    for r in results:
        for tool, err in r["errors"].items():
            print(f"\nFailed: {TOOL_TITLE[tool]} on {r['config']['name']}: {err}")
    skipped = [TOOL_TITLE[t] for t in tools if t not in commands]
    if skipped:
        print(f"\nSkipped (not available): {', '.join(skipped)}.")

    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump({"meta": meta, "results": results}, f, indent=1)
        print(f"\ncompare: raw results written to {a.json_out}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
