"""Run every benchmark (bench/bench_*.py), each as a script of its own with this Python, then summarise
bench/results/*.json: each result's ratios against its targets.

    .venv/bin/python bench/run.py                      # all of them (what `make bench` does)
    .venv/bin/python bench/run.py account_page         # only bench_account_page.py
    .venv/bin/python bench/run.py account_page -- --clients 1000 --entries 100000   # arguments for the scripts

The benchmarks need PostgreSQL: DATABASE_URL if set, else postgres://postgres@127.0.0.1:5432/avain_bench (created
when missing). Each benchmark gets a database of its own, because some recreate theirs on every run: the account page
uses that database (and <name>_small), every other benchmark <name>_<benchmark>, e.g. avain_bench_ingest.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/avain_bench"
# The goals of the benchmarks whose results do not carry their own "targets".
KNOWN_TARGETS = {
    "account_page_vs_trivial_view": {"max": 2},
    "account_page_queries_100k_vs_10": {"equals": 1},
}


def database_url(base: str, name: str) -> str:
    """``base`` for the account page, ``base``'s database name + _<name> for any other benchmark."""
    if name == "account_page":
        return base
    head, _, database = base.rpartition("/")
    database, question, options = database.partition("?")
    return f"{head}/{database}_{name}{question}{options}"


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
    with psycopg.connect(psycopg.conninfo.make_conninfo(url, dbname="postgres"), autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def verdict(value, target: dict | None) -> str:
    if not target:
        return ""
    if "max" in target:
        return "ok" if value <= target["max"] else f"MISSED (at most {target['max']})"
    if "min" in target:
        return "ok" if value >= target["min"] else f"MISSED (at least {target['min']})"
    if "equals" in target:
        return "ok" if value == target["equals"] else f"MISSED (should be {target['equals']})"
    return ""


def summary() -> None:
    print("\nBenchmark results (bench/results/):")
    for path in sorted(RESULTS.glob("*.json")):
        try:
            result = json.loads(path.read_text())
        except ValueError as error:
            print(f"  {path.name}: unreadable ({error})")
            continue
        targets = {**KNOWN_TARGETS, **result.get("targets", {})}
        print(f"  {result.get('name', path.stem)}  ({result.get('when', '?')})")
        for ratio, value in result.get("ratios", {}).items():
            print(f"    {ratio:<40} {value:>10}  {verdict(value, targets.get(ratio))}")


def main(argv: list[str]) -> int:
    split = argv.index("--") if "--" in argv else len(argv)
    names, script_args = argv[:split], argv[split + 1 :]
    scripts = [s for s in sorted(BENCH.glob("bench_*.py")) if not names or s.stem.removeprefix("bench_") in names]
    base = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not base.startswith("postgres"):
        sys.exit("the benchmarks need PostgreSQL: set DATABASE_URL to a postgres://… URL")
    failed = []
    for script in scripts:
        name = script.stem.removeprefix("bench_")
        url = database_url(base, name)
        ensure_database(url)
        print(f"\n=== {name} ({url.rpartition('/')[2]}) ===", flush=True)
        started = time.monotonic()
        completed = subprocess.run([sys.executable, str(script), *script_args], env={**os.environ, "DATABASE_URL": url})
        print(f"=== {name}: {'done' if completed.returncode == 0 else 'FAILED'} in {time.monotonic() - started:.0f} s")
        if completed.returncode:
            failed.append(name)
    summary()
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
