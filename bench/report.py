"""The results: terminal table, ``bench/results/<timestamp>.json`` and ``.md``."""

import json
import math
import os
import platform
import subprocess
import sys
from pathlib import Path

from bench.stats import ratio, spread

FIGURES = (
    "rps", "p50_ms", "p95_ms", "p99_ms", "app_cpu_ms_per_req", "db_cpu_ms_per_req", "loadgen_cpu_ms_per_req",
)  # fmt: skip

# Which ceiling each HTTP figure is compared with.
CEILING_FOR = {
    "purchase_create": "ingestion",
    "payout_create": "ingestion",
    "wallet_get": "wallet_read",
    "wallet_transactions": "wallet_read",
    "offers_active": "wallet_read",
}

LABELS = {
    "purchase_create": "POST /api/v1/purchases",
    "wallet_get": "GET /api/v1/users/me/wallet",
    "wallet_transactions": "GET /api/v1/users/me/wallet/transactions",
    "offers_active": "GET /api/v1/offers/active",
    "payout_create": "POST /api/v1/users/payouts",
    "partner_batch_100": "POST /api/v1/partner/purchases/batch, 100 items",
    "partner_batch_1000": "POST /api/v1/partner/purchases/batch, 1,000 items",
    "ingestion": "pgbench: raw SQL of one ingestion",
    "wallet_read": "pgbench: raw SQL of one wallet read",
}


def summarise(runs: list[dict]) -> dict:
    """Median and min–max of each figure over the repetitions of one measurement."""
    out = {figure: spread([run.get(figure, math.nan) for run in runs]) for figure in FIGURES}
    out["errors"] = sum(run.get("errors", 0) for run in runs)
    out["requests"] = sum(run.get("requests", 0) for run in runs)
    out["runs"] = runs
    return out


def add_ratios(results: dict) -> None:
    for scenario, by_clients in results.get("http", {}).items():
        ceiling = results.get("ceiling", {}).get(CEILING_FOR.get(scenario, ""), {})
        for clients, summary in by_clients.items():
            base = ceiling.get(clients)
            summary["ceiling"] = CEILING_FOR.get(scenario)
            summary["rps_vs_ceiling"] = ratio(summary["rps"]["median"], base["rps"]["median"]) if base else math.nan


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
    }


def package_versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("Django", "djangorestframework", "gunicorn", "celery", "psycopg", "orjson", "redis"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def command_version(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def _fmt(value: float, digits: int = 1) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _cell(s: dict, digits: int = 1) -> str:
    if s["n"] > 1:
        return f"{_fmt(s['median'], digits)} ({_fmt(s['min'], digits)}–{_fmt(s['max'], digits)})"
    return _fmt(s["median"], digits)


def table_rows(results: dict) -> list[list[str]]:
    rows = []
    for section in ("http", "ceiling"):
        for scenario, by_clients in results.get(section, {}).items():
            for clients, s in by_clients.items():
                vs = s.get("rps_vs_ceiling")
                label = LABELS.get(scenario, scenario)
                if scenario.startswith("partner_batch_"):  # a request is a batch: say how many purchases/s
                    label += f" ({_fmt(s['rps']['median'] * int(scenario.rsplit('_', 1)[1]), 0)} purchases/s)"
                rows.append(
                    [
                        label,
                        str(clients),
                        _cell(s["rps"]),
                        _cell(s["p50_ms"]),
                        _cell(s["p95_ms"]),
                        _cell(s["p99_ms"]),
                        str(s["errors"]),
                        _fmt(s["app_cpu_ms_per_req"]["median"], 2) if section == "http" else "",
                        _fmt(s["db_cpu_ms_per_req"]["median"], 2),
                        _fmt(s["loadgen_cpu_ms_per_req"]["median"], 2) if section == "http" else "",
                        "ceiling" if section == "ceiling" else (f"{vs * 100:.1f}%" if vs == vs else "n/a"),
                    ]
                )
    return rows


HEADER = [
    "measurement", "clients", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors",
    "app CPU ms/req", "db CPU ms/req", "loadgen CPU ms/req", "vs ceiling",
]  # fmt: skip


def terminal_table(results: dict) -> str:
    rows = [HEADER, *table_rows(results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for workers, d in results.get("drain", {}).items():
        lines.append(
            f"drain {d['backlog']} pending purchases with {workers} worker process(es): "
            f"{_cell(d['seconds'], 2)} s, {_fmt(d['per_second']['median'])} purchases/s, "
            f"worker CPU {_fmt(d['worker_cpu_ms_per_purchase']['median'], 2)} ms/purchase, "
            f"exactly once: {d['exactly_once']}"
        )
    if "reconcile" in results:
        lines.append(f"reconcile_wallets: {'passed' if results['reconcile']['passed'] else 'FAILED'}")
    for target in results.get("targets", []):
        lines.append(f"target {'MET ' if target['met'] else 'MISSED'}  {target['name']}: {target['value']}")
    return "\n".join(lines)


def markdown(results: dict) -> str:
    m, v, c = results["machine"], results["versions"], results["config"]
    out = [
        f"# Benchmark {results['started_at']}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}, {m['os']}; load average at start "
        f"{m.get('loadavg_at_start', 'n/a')} (other work on the machine shows up here).",
        "",
        f"Versions: Python {m.get('python', '?')}, " + ", ".join(f"{k} {val}" for k, val in v.items() if val) + ".",
        "",
        f"Stack: gunicorn `{c['gunicorn']}`; Celery prefork workers; DEBUG off; throttling off; "
        f"{c['duration']} s per measurement after {c['warmup']} s warm-up, repeated {c['repeat']} times "
        "(median, min–max in brackets); the load generator and pgbench run on the same machine.",
        "",
        f"Dataset: {results['dataset'].get('users')} users, {results['dataset'].get('merchants')} merchants with "
        f"active offers, {results['dataset'].get('purchases')} historical purchases, seeded in "
        f"{results['dataset'].get('seconds')} s.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join(["---"] * len(HEADER)) + "|",
    ]
    out += ["| " + " | ".join(row) + " |" for row in table_rows(results)]
    if results.get("drain"):
        out += ["", "| backlog | workers | seconds | purchases/s | worker CPU ms/purchase | exactly once |"]
        out += ["|---|---|---|---|---|---|"]
        for workers, d in results["drain"].items():
            out.append(
                f"| {d['backlog']} pending | {workers} | {_cell(d['seconds'], 2)} | "
                f"{_fmt(d['per_second']['median'])} | {_fmt(d['worker_cpu_ms_per_purchase']['median'], 2)} | "
                f"{d['exactly_once']} |"
            )
    if "reconcile" in results:
        out += ["", f"`reconcile_wallets`: {'passed' if results['reconcile']['passed'] else 'FAILED'} — "
                f"{results['reconcile']['output']}"]  # fmt: skip
    if results.get("targets"):
        out += ["", "| target | reached | met |", "|---|---|---|"]
        out += [f"| {t['name']} | {t['value']} | {'yes' if t['met'] else 'no'} |" for t in results["targets"]]
    samples = [
        (scenario, clients, sample)
        for scenario, by_clients in results.get("http", {}).items()
        for clients, s in by_clients.items()
        for run in s["runs"]
        for sample in run.get("error_samples", [])[:1]
    ]
    if samples:
        out += ["", "Error samples:", ""]
        out += [f"- {LABELS[sc]} @ {cl}: {sa['status']} `{sa['body'][:200]}`" for sc, cl, sa in samples[:10]]
    return "\n".join(out) + "\n"


def write(results: dict, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = results["started_at"].replace(":", "").replace("-", "")
    json_path = out_dir / f"{stamp}.json"
    md_path = out_dir / f"{stamp}.md"
    json_path.write_text(json.dumps(results, indent=2, default=str, allow_nan=True) + "\n")
    md_path.write_text(markdown(results))
    return json_path, md_path
