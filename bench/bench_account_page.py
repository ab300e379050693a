"""The client's budget account page (/my/<client>/account/) on PostgreSQL with 100 000 clients and 10 million ledger
entries in the database, against a trivial view served the same way, and against a database of 10 clients.

Method: the real Django WSGI handler (django.test.Client: every middleware, the session and authentication, the
second-factor check, template rendering) runs in-process; each request is timed from the call into the handler to
the rendered response, so no network or server process adds noise. The same signed-in clients ask, interleaved,
for their account page and for a trivial view that only returns "ok" through the same middleware (trivial_urls.py);
``account_page_vs_trivial_view`` is the ratio of the two medians. Each client's page is asked for once, untimed,
before the timed pass, so that both are timed with their rows in memory (server time, not the disk). The page's
queries are counted on this database and on a second one with 10 clients (same entries per client), which gives
``account_page_queries_100k_vs_10``.

Data: ``generate_synthetic`` in the database DATABASE_URL names (default avain_bench; avain_bench_small for the
10 clients). A database that already holds the same scale, seed and generator is reused (the generation takes
minutes); otherwise a database whose name starts with ``avain_bench`` is created afresh.

    .venv/bin/python bench/bench_account_page.py [--clients 100000] [--entries 10000000] [--requests 200]
    .venv/bin/python bench/bench_account_page.py --clients 1000 --entries 100000     # a quick run
"""

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
GENERATOR = ROOT / "src" / "avain" / "accounts" / "synthetic.py"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/avain_bench"
SMALL_CLIENTS = 10
TARGETS = {"account_page_vs_trivial_view": {"max": 2}, "account_page_queries_100k_vs_10": {"equals": 1}}


def _with_dbname(url: str, name: str) -> str:
    import psycopg

    return psycopg.conninfo.make_conninfo(url, dbname=name)


def _dbname(url: str) -> str:
    import psycopg

    return psycopg.conninfo.conninfo_to_dict(url)["dbname"]


def _dsn(url: str) -> str:
    """A URL of postgres://… form, as DATABASE_URL wants it."""
    import psycopg

    info = psycopg.conninfo.conninfo_to_dict(url)
    user = info.get("user", "postgres")
    password = f":{info['password']}" if info.get("password") else ""
    return f"postgres://{user}{password}@{info.get('host', '127.0.0.1')}:{info.get('port', 5432)}/{info['dbname']}"


def _run(args: list[str], url: str, *, capture: bool = False) -> str:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": f"{BENCH}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    result = subprocess.run(
        [sys.executable, *args], env=env, cwd=ROOT, check=True, text=True, stdout=subprocess.PIPE if capture else None
    )
    return result.stdout if capture else ""


def _marker(url: str):
    """What the database says it holds (set by ensure_data), or None."""
    import psycopg

    with psycopg.connect(_with_dbname(url, "postgres"), autocommit=True) as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [_dbname(url)]
        ).fetchone()
    if row is None:
        return None
    try:
        return json.loads(row[0] or "")
    except ValueError:
        return {}


def ensure_data(url: str, *, clients: int, entries: int, organisers: int, seed: int) -> dict:
    """Make sure the database holds the synthetic data at this scale; return how it came to be."""
    import psycopg
    from psycopg import sql

    name = _dbname(url)
    wanted = {
        "clients": clients,
        "entries": entries,
        "organisers": organisers,
        "seed": seed,
        "generator": hashlib.sha256(GENERATOR.read_bytes()).hexdigest()[:16],
    }
    marker = _marker(url)
    if marker and all(marker.get(k) == v for k, v in wanted.items()) and _rows_intact(url, marker):
        print(f"{name}: reusing the synthetic data of an earlier run ({clients:,} clients, {entries:,} entries)")
        _run(["-m", "avain", "migrate", "--noinput", "-v", "0"], url)  # the schema may have moved on since
        return {**marker, "reused": True}
    with psycopg.connect(_with_dbname(url, "postgres"), autocommit=True) as admin:
        if marker is not None:
            if not name.startswith("avain_bench"):
                sys.exit(f"{name} holds other data; the benchmark only recreates databases named avain_bench…")
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    _run(["-m", "avain", "migrate", "--noinput", "-v", "0"], url)
    print(f"{name}: generating {clients:,} clients and {entries:,} entries…", flush=True)
    started = time.monotonic()
    output = _run(
        ["-m", "avain", "generate_synthetic", "--clients", str(clients), "--entries", str(entries),
         "--organisers", str(organisers), "--seed", str(seed), "--verify", "2000"],
        url,
        capture=True,
    )  # fmt: skip
    seconds = time.monotonic() - started
    print(output, end="")
    marker = {**wanted, "generation_seconds": round(seconds, 1), "generated_at": _now(), **_id_ranges(url)}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(json.dumps(marker)))
        )
    return {**marker, "reused": False, "generator_output": output.splitlines()[-4:]}


def _id_ranges(url: str) -> dict:
    import psycopg

    with psycopg.connect(url) as conn:
        clients = conn.execute("SELECT min(id), max(id), count(*) FROM people_client").fetchone()
        entries = conn.execute("SELECT min(id), max(id), count(*) FROM accounts_ledgerentry").fetchone()
    return {"client_ids": list(clients), "entry_ids": list(entries)}


def _rows_intact(url: str, marker: dict) -> bool:
    """The generated rows are all still there (other rows added later do not matter)."""
    import psycopg

    try:
        first_client, last_client, n_clients = marker["client_ids"]
        first_entry, last_entry, n_entries = marker["entry_ids"]
        with psycopg.connect(url) as conn:
            clients = conn.execute(
                "SELECT count(*) FROM people_client WHERE id BETWEEN %s AND %s", [first_client, last_client]
            ).fetchone()[0]
            entries = conn.execute(
                "SELECT count(*) FROM accounts_ledgerentry WHERE id BETWEEN %s AND %s", [first_entry, last_entry]
            ).fetchone()[0]
    except (KeyError, ValueError, psycopg.Error):
        return False
    return clients == n_clients and entries == n_entries


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# --- Measuring, in a process of its own per database ------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(requests: int, warmup: int, explain: bool) -> dict:
    """Time the account page and the trivial view for random signed-in clients of the database DATABASE_URL names."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avain.settings")
    import django
    from django.conf import settings

    django.setup()
    settings.ROOT_URLCONF = "trivial_urls"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext

    from avain.people.models import Client

    people = list(Client.objects.filter(user__isnull=False).order_by("pk").values_list("pk", "user_id"))
    rng = random.Random(20251123)
    chosen = [rng.choice(people) for _ in range(warmup + requests)]
    users = {u.pk: u for u in connection_users({user for _pk, user in chosen})}
    sessions = {}
    for pk, user in chosen:
        if pk not in sessions:
            http = HttpClient()
            http.force_login(users[user])  # a real session row, read back by the middleware on every request
            sessions[pk] = http

    # Every chosen client's page once, untimed, before the timed pass: the sessions were just written, so the trivial
    # view's rows are in memory, and the clients' rows must be too, or the first request of each would measure the
    # disk (the machine drops pages it has not used lately) rather than the server.
    for pk, _user in chosen:
        sessions[pk].get(f"/my/{pk}/account/")

    page_times, trivial_times, statuses = [], [], set()
    for n, (pk, _user) in enumerate(chosen):
        http = sessions[pk]
        order = [("page", f"/my/{pk}/account/"), ("trivial", "/bench/trivial/")]
        if n % 2:
            order.reverse()  # neither always runs first, with the other's data in the caches
        for kind, url in order:
            started = time.perf_counter()
            response = http.get(url)
            seconds = time.perf_counter() - started
            statuses.add((kind, response.status_code))
            if n >= warmup:
                (page_times if kind == "page" else trivial_times).append(seconds)
    if statuses != {("page", 200), ("trivial", 200)}:
        sys.exit(f"unexpected answers: {sorted(statuses)}")

    query_counts, slowest = [], []
    for pk, _user in chosen[-5:]:
        with CaptureQueriesContext(connection) as captured:
            sessions[pk].get(f"/my/{pk}/account/")
        query_counts.append(len(captured))
        queries = captured.captured_queries
    with CaptureQueriesContext(connection) as captured:
        sessions[chosen[-1][0]].get("/bench/trivial/")
    trivial_queries = len(captured)
    if explain:
        slowest = explain_queries(connection, queries)

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM people_client")
        clients = cursor.fetchone()[0]
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'accounts_ledgerentry'")
        entries_estimate = cursor.fetchone()[0]
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    return {
        "clients_in_database": clients,
        "entries_in_database_estimate": entries_estimate,
        "postgresql": server,
        "distinct_clients_requested": len(sessions),
        "page_ms": [round(s * 1000, 3) for s in page_times],
        "trivial_ms": [round(s * 1000, 3) for s in trivial_times],
        "page_queries": query_counts,
        "trivial_queries": trivial_queries,
        "page_queries_sql": [q["sql"][:200] for q in queries],
        "explain": slowest,
    }


def connection_users(ids):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk__in=ids)


def explain_queries(connection, queries) -> list[dict]:
    """EXPLAIN ANALYZE of each of the page's SELECTs, slowest first: where the page's database time goes."""
    plans = []
    with connection.cursor() as cursor:
        for query in queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
            plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
            plans.append(
                {
                    "ms": round(plan["Execution Time"] + plan.get("Planning Time", 0), 3),
                    "node": plan["Plan"]["Node Type"],
                    "index": _indexes(plan["Plan"]),
                    "sql": sql[:300],
                }
            )
    return sorted(plans, key=lambda p: -p["ms"])


def _indexes(node) -> list[str]:
    found = [node.get("Index Name") or ("Seq Scan on " + node["Relation Name"] if node["Node Type"] == "Seq Scan" else "")]
    for child in node.get("Plans", []):
        found.extend(_indexes(child))
    return [name for name in found if name]


# --- The run as a whole ------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--organisers", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # the child process
    parser.add_argument("--explain", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.measure:
        print(json.dumps(measure(args.requests, args.warmup, args.explain)))
        return

    sys.path.insert(0, str(ROOT / "src"))
    url = _dsn(os.environ.get("DATABASE_URL") or DEFAULT_URL)
    if not url.startswith("postgres"):
        sys.exit("bench_account_page measures PostgreSQL: set DATABASE_URL to a PostgreSQL database")
    small_url = _dsn(_with_dbname(url, _dbname(url) + "_small"))
    per_client = args.entries // args.clients
    load_before = os.getloadavg()
    big_data = ensure_data(url, clients=args.clients, entries=args.entries, organisers=args.organisers, seed=args.seed)
    small_data = ensure_data(
        small_url, clients=SMALL_CLIENTS, entries=SMALL_CLIENTS * per_client, organisers=1, seed=args.seed
    )
    timing = ["--requests", str(args.requests), "--warmup", str(args.warmup)]
    script = str(Path(__file__).resolve())
    print("measuring…", flush=True)
    big = json.loads(_run([script, "--measure", "--explain", *timing], url, capture=True).splitlines()[-1])
    small = json.loads(_run([script, "--measure", "--requests", "20", "--warmup", "5"], small_url, capture=True)
                       .splitlines()[-1])  # fmt: skip

    page_median = statistics.median(big["page_ms"])
    trivial_median = statistics.median(big["trivial_ms"])
    big_queries, small_queries = max(big["page_queries"]), max(small["page_queries"])
    result = {
        "name": "account_page",
        "parameters": {
            "clients": args.clients,
            "entries": args.entries,
            "organisers": args.organisers,
            "seed": args.seed,
            "requests": args.requests,
            "warmup": args.warmup,
            "small_database_clients": SMALL_CLIENTS,
            "small_database_entries": SMALL_CLIENTS * per_client,
            "databases": [_dbname(url), _dbname(small_url)],
            "data_reused": big_data["reused"],
            "method": "django.test.Client in-process through the WSGI handler and every middleware; "
            "page and trivial view interleaved for the same random signed-in clients, "
            "each client's page requested once untimed before",
        },
        "figures": {
            "page_median_ms": round(page_median, 3),
            "page_p90_ms": round(_percentile(big["page_ms"], 0.9), 3),
            "trivial_median_ms": round(trivial_median, 3),
            "trivial_p90_ms": round(_percentile(big["trivial_ms"], 0.9), 3),
            "small_page_median_ms": round(statistics.median(small["page_ms"]), 3),
            "page_queries": big_queries,
            "page_queries_small_database": small_queries,
            "page_queries_each_request": big["page_queries"],
            "trivial_view_queries": big["trivial_queries"],
            "clients_in_database": big["clients_in_database"],
            "entries_in_database_estimate": big["entries_in_database_estimate"],
            "distinct_clients_requested": big["distinct_clients_requested"],
            "data_generation_seconds": big_data.get("generation_seconds"),
            "data_generated_at": big_data.get("generated_at"),
            "page_queries_explained": big["explain"],
        },
        "ratios": {
            "account_page_vs_trivial_view": round(page_median / trivial_median, 3),
            "account_page_queries_100k_vs_10": round(big_queries / small_queries, 3),
        },
        "targets": TARGETS,
        "when": _now(),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "postgresql": big["postgresql"],
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
    }
    out = BENCH / "results" / "account_page.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result["ratios"]))


if __name__ == "__main__":
    main()
