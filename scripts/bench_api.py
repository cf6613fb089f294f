#!/usr/bin/env python3
"""Benchmark the HTTP service: start time, latency and throughput under load,
errors, memory.

    python scripts/bench_api.py [--data-dir DIR] [--duration 30] [--connections 16,64] [--workers 2]

Starts `pfkb serve` on a free localhost port with a built data dir (built first
with `pfkb build` when missing; that build is not timed), measures the time
until /healthz answers, sends half the questions of eval/dev_questions.jsonl
once each to /api/search and the other half to /api/ask (cold: nothing
cached), then runs wrk against /healthz (the baseline of the same
run), /api/search (the dev questions in turn), /api/search with a query that is
new on every request (no result cache), /api/ask and /api/roadmap, once per
number of connections given (``--connections 16,64``). Prints per endpoint
requests per second, p50/p95/p99, non-2xx responses and socket errors, each
endpoint's p50 as a multiple of /healthz's, the load average before and after,
and the server's memory (VmRSS/VmHWM summed over the worker processes with
``--workers N``). Exits 1 when a target is missed.

Traffic goes to 127.0.0.1 only; every run is bounded by --duration.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "eval" / "dev_questions.jsonl"
TARGETS = {"errors": 0, "search_p99_ms": 100.0, "start_s": 3.0, "rss_mb": 1024.0}

# wrk reports through done(): one JSON line the script reads back
LUA_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p95_us": %d, "p99_us": %d, '
    .. '"max_us": %d, "mean_us": %.1f, "non2xx": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean, e.status, e.connect, e.read, e.write, e.timeout))
end
"""


def lua_post(path: str, bodies: list[dict], unique_key: str | None = None) -> str:
    """A wrk script that POSTs the bodies in turn (each thread from its own
    offset); with ``unique_key`` that field gets a counter so no two requests
    are the same query."""
    items = ",\n".join(f"  [==[{json.dumps(b, ensure_ascii=True)}]==]" for b in bodies)
    unique = "true" if unique_key else "false"
    return f"""
local bodies = {{
{items}
}}
local counter = 0
local unique = {unique}
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
end
init = function(args)
  counter = (thread_no or 1) * 7
end
request = function()
  counter = counter + 1
  local body = bodies[(counter % #bodies) + 1]
  if unique then
    local tag = (thread_no or 1) .. "-" .. counter .. " "
    body = string.gsub(body, '"{unique_key or ""}": "', '"{unique_key or ""}": "' .. tag, 1)
  end
  return wrk.format("POST", "{path}", {{["Content-Type"] = "application/json"}}, body)
end
""" + LUA_DONE


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url: str, body: dict | None = None, timeout: float = 120) -> tuple[int, float]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    return status, time.perf_counter() - t


def descendants(pid: int) -> list[int]:
    """pid and every process below it (the uvicorn supervisor and its workers)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def memory(pid: int) -> dict[str, float]:
    """VmRSS / VmHWM in MB, summed over the server and its worker processes (``processes``: how many)."""
    out = {"VmRSS": 0.0, "VmHWM": 0.0, "processes": 0}
    for p in descendants(pid):
        try:
            lines = Path(f"/proc/{p}/status").read_text().splitlines()
        except OSError:
            continue
        out["processes"] += 1
        for line in lines:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] += int(value.split()[0]) / 1024  # kB → MB
    return out


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def pfkb() -> list[str]:
    """The `pfkb` command of this environment (`python -m api.cli.main` does not work:
    api.cli.main and the modules that register commands import each other)."""
    exe = Path(sys.executable).with_name("pfkb")
    found = str(exe) if exe.exists() else shutil.which("pfkb")
    if not found:
        raise SystemExit("pfkb is not installed in this environment: pip install -e .")
    return [found]


def ensure_built(data_dir: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from kb.search.index import current_index_dir
    from kb.core.settings import Settings
    settings = Settings.from_env(data_dir=data_dir)
    if settings.db_path.exists() and current_index_dir(settings) is not None:
        return
    print(f"building the knowledge base in {data_dir} (not timed)…", flush=True)
    subprocess.run(pfkb() + ["build", "--data-dir", str(data_dir)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


def start_server(data_dir: Path, port: int, log, workers: int = 1) -> tuple[subprocess.Popen, float]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(pfkb() + ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                             "--data-dir", str(data_dir)], cwd=ROOT, env=env, stdout=log, stderr=log)
    deadline = t0 + 120
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"pfkb serve exited with {proc.returncode}; see {log.name}")
        try:
            if http(f"http://127.0.0.1:{port}/healthz", timeout=1)[0] == 200:
                return proc, time.perf_counter() - t0
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.02)
    proc.kill()
    raise SystemExit("the server did not answer /healthz within 120 s")


def run_wrk(url: str, script: str | None, *, duration: int, connections: int, threads: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script or LUA_DONE)
        lua = f.name
    try:
        out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
                              "--timeout", "10s", "-s", lua, url],
                             capture_output=True, text=True, timeout=duration + 60)
    finally:
        os.unlink(lua)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no summary:\n{out.stdout}\n{out.stderr}")
    r = json.loads(line[len("WRK_JSON "):])
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["errors"] = r["non2xx"] + r["connect"] + r["read"] + r["write"] + r["timeout"]
    return r


def connection_counts(text: str) -> list[int]:
    try:
        counts = [int(c) for c in text.split(",") if c.strip()]
    except ValueError:
        raise SystemExit(f"--connections: give numbers separated by commas (e.g. 16,64), not {text!r}")
    if not counts or any(c < 1 or c > 1000 for c in counts):
        raise SystemExit("--connections: each count must be 1–1000")
    return counts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, default=Path(os.environ.get("PFKB_DATA_DIR", ROOT / "data")))
    ap.add_argument("--duration", type=int, default=30, help="seconds per wrk run (default 30)")
    ap.add_argument("--connections", default="16", help="connections per wrk run, comma-separated (default 16; e.g. 16,64)")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    ap.add_argument("--workers", type=int, default=1, help="server processes (`pfkb serve --workers`, default 1)")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args()
    counts = connection_counts(args.connections)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    if args.duration > 120:
        raise SystemExit("--duration is at most 120 s per run")

    questions = [json.loads(ln)["question"] for ln in QUESTIONS.read_text(encoding="utf-8").splitlines() if ln.strip()]
    data_dir = args.data_dir.resolve()
    ensure_built(data_dir)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(Path(tempfile.gettempdir()) / f"pfkb-bench-{port}.log", "w")
    results: dict = {"questions": len(questions), "connections": counts, "duration_s": args.duration,
                     "workers": args.workers, "cores": os.cpu_count(), "load_before": load_average()}
    print(f"load average before the run: {results['load_before']}", flush=True)
    proc, start_s = start_server(data_dir, port, log, args.workers)
    results["start_s"] = round(start_s, 3)
    try:
        print(f"server pid {proc.pid} ({args.workers} worker(s)) on {base}: /healthz answered after {start_s:.2f} s",
              flush=True)
        if args.workers > 1:  # every worker loads its index on its first search: warm each one up
            for _ in range(4 * args.workers):
                http(f"{base}/api/search", {"query": "連携PFの立ち上げ", "k": 10})
        status, first = http(f"{base}/api/search", {"query": "連携PFの立ち上げ", "k": 10})
        results["first_search_s"] = round(first, 3)
        print(f"first /api/search after start: {first:.2f} s (index, tokenizer and embedder loading)", flush=True)

        # half the questions for each endpoint, so that neither finds the other's
        # query embeddings or results cached
        cold = {}
        for name, path, body, qs in (("search", "/api/search", lambda q: {"query": q, "k": 10}, questions[0::2]),
                                     ("ask", "/api/ask", lambda q: {"question": q}, questions[1::2])):
            times, bad = [], 0
            for q in qs:
                status, t = http(base + path, body(q))
                times.append(t)
                bad += status >= 300
            cold[name] = {"p50_ms": statistics.median(times) * 1000, "max_ms": max(times) * 1000, "non2xx": bad}
            print(f"cold {path}: p50 {cold[name]['p50_ms']:.1f} ms, max {cold[name]['max_ms']:.1f} ms, "
                  f"non-2xx {bad} ({len(qs)} dev questions, each once, one at a time)", flush=True)
        results["cold"] = cold

        runs = {
            "/healthz": (f"{base}/healthz", None),
            "/api/search": (f"{base}/api/search", lua_post("/api/search", [{"query": q, "k": 10} for q in questions])),
            "/api/search (new query each time)": (f"{base}/api/search", lua_post(
                "/api/search", [{"query": q, "k": 10} for q in questions], unique_key="query")),
            "/api/ask": (f"{base}/api/ask", lua_post("/api/ask", [{"question": q} for q in questions])),
            "/api/roadmap": (f"{base}/api/roadmap", None),
        }
        load: dict[int, dict] = {}
        for c in counts:
            load[c] = {}
            for name, (url, script) in runs.items():
                print(f"wrk {c} connections × {args.duration} s: {name} …", flush=True)
                load[c][name] = run_wrk(url, script, duration=args.duration, connections=c, threads=args.threads)
        results["load"] = load
        results["memory_mb"] = memory(proc.pid)
        results["load_after"] = load_average()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()

    for c, runs_c in load.items():
        base_p50 = runs_c["/healthz"]["p50_us"] or 1
        print(f"\n{c} connections, {args.workers} worker(s), {args.duration} s each:")
        print(f"{'endpoint':<36}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'errors':>8}"
              f"{'p50/healthz':>13}")
        for name, r in runs_c.items():
            r["p50_vs_healthz"] = r["p50_us"] / base_p50
            print(f"{name:<36}{r['rps']:>9.1f}{r['p50_us'] / 1000:>9.1f}{r['p95_us'] / 1000:>9.1f}"
                  f"{r['p99_us'] / 1000:>9.1f}{r['non2xx']:>9}{r['errors']:>8}{r['p50_vs_healthz']:>12.1f}×")
    mem = results["memory_mb"]
    print(f"\nserver memory ({mem['processes']} processes): VmRSS {mem['VmRSS']:.0f} MB, "
          f"VmHWM (peak) {mem['VmHWM']:.0f} MB")
    print(f"start until /healthz: {start_s:.2f} s; machine: {os.cpu_count()} cores shared by the server and wrk; "
          f"load average before {results['load_before']}, after {results['load_after']}")

    errors = (sum(r["errors"] for runs_c in load.values() for r in runs_c.values())
              + sum(c["non2xx"] for c in cold.values()))
    search_p99 = load[counts[0]]["/api/search"]["p99_us"] / 1000
    rss_target = TARGETS["rss_mb"] * args.workers
    checks = [
        ("errors (non-2xx, socket errors)", errors, TARGETS["errors"], errors <= TARGETS["errors"]),
        (f"/api/search p99 ms at {counts[0]} connections", round(search_p99, 1), TARGETS["search_p99_ms"],
         search_p99 <= TARGETS["search_p99_ms"]),
        ("start s", round(start_s, 2), TARGETS["start_s"], start_s <= TARGETS["start_s"]),
        ("peak RSS MB (all processes)", round(mem["VmHWM"]), rss_target, mem["VmHWM"] <= rss_target),
    ]
    print("\ntargets:")
    for name, value, target, ok in checks:
        print(f"  {'ok  ' if ok else 'MISS'} {name}: {value} (target ≤ {target})")
    results["targets"] = {name: {"value": value, "target": target, "ok": ok} for name, value, target, ok in checks}
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0 if all(ok for *_, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
