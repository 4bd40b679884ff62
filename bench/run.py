"""Run the benchmark suite: ``make bench`` (SQLite) or ``.venv/bin/python bench/run.py --postgres``.

Each run works on databases of its own (a fresh SQLite file under var/bench/, or fresh
PostgreSQL databases that it creates and drops), prints a table and writes bench/results.json.
See bench/README.md for what each benchmark measures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import Databases  # noqa: E402
from bench.harness import (  # noqa: E402
    Result,
    merge_results,
    print_table,
    progress,
    write_results,
)

RESULTS = ROOT / "bench" / "results.json"


SUITES = (
    "cases",
    "household_list",
    "seed",
    "survey_import",
    "valuation_import",
    "valuation_entry",
    "compensation",
    "agreements",
    "payments",
    "resettlement",
    "dashboard",
    "reminders",
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="Run on PostgreSQL: DATABASE_URL (default "
        "postgres://postgres@127.0.0.1:5432/postgres) names the server; the benchmark "
        "creates and drops databases of its own there.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="Few repetitions and a small seed, to check that the suite runs; "
        "results.json is left alone.",
    )
    parser.add_argument(
        "--only",
        choices=SUITES,
        help="Run one suite only (results.json is left alone unless --merge).",
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help="With --only: replace that suite's rows in results.json by this run's (each row "
        "keeps the time and load of its own run), leaving the other rows as they are.",
    )
    return parser.parse_args(argv)


def environment(databases: Databases) -> dict[str, str]:
    """The settings the benchmarked code runs with, for this process and its children.

    The development profile with DEBUG off: Argon2 password hashing as in production (the test
    profile swaps in MD5), and no SQL logging, which DEBUG turns on.
    """
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ZQ_ENV": "development",
        "ZQ_DEBUG": "0",
        "ZQ_VAR_DIR": str(databases.var_dir),
        "ZQ_LOG_LEVEL": "ERROR",
        "DATABASE_URL": databases.main_url,
    }


def database_description() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"sqlite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = str(cursor.fetchone()[0]).split()[0]
    return f"{connection.vendor} {version}"


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    databases = Databases.for_postgres(ROOT) if args.postgres else Databases.for_sqlite(ROOT)
    env = environment(databases)
    os.environ.update(env)
    databases.create_main()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from bench import (
        agreements,
        cases,
        compensation,
        dashboard,
        household_list,
        payments,
        resettlement,
        survey_import,
        valuation_entry,
        valuation_import,
    )

    progress(f"migrating the benchmark database ({databases.main_url})")
    call_command("migrate", verbosity=0, interactive=False)

    load_before = os.getloadavg()[0]
    if load_before > (os.cpu_count() or 1) / 2:
        progress(f"the machine is busy (load {load_before:.1f}): expect noisy figures")
    quick = args.quick
    results: list[Result] = []

    def wanted(name: str) -> bool:
        return args.only in (None, name)

    database = database_description()
    try:
        if wanted("cases"):
            results += cases.audit_overhead(n=50 if quick else 500, warmup=10 if quick else 50)
            results += cases.project_list(n=10 if quick else 100, warmup=2 if quick else 10)
            results += cases.login(n=5 if quick else 30, warmup=1 if quick else 3)
        if wanted("household_list"):
            results += household_list.household_list(
                households=5_000 if quick else 100_000,
                n=10 if quick else 50,
                warmup=2 if quick else 5,
            )
        connections.close_all()
        if wanted("seed"):
            results += cases.seed(
                databases=databases,
                env=env,
                households=1000 if quick else 10_000,
                runs=1 if quick else 3,
            )
            connections.close_all()
        if wanted("survey_import"):
            results += survey_import.run(
                databases=databases,
                env=env,
                households=1000 if quick else 10_000,
                # django-import-export takes minutes for 10,000 households: one run each.
                runs={
                    "ours": 1 if quick else 3,
                    "iex": 1,
                    "iex_bulk": 1,
                    "export": 1 if quick else 3,
                },
            )
            connections.close_all()
        if wanted("valuation_import"):
            results += valuation_import.run(
                databases=databases,
                env=env,
                households=1000 if quick else 10_000,
                runs=1 if quick else 3,
            )
            connections.close_all()
        if wanted("valuation_entry"):
            results += valuation_entry.valuation_entry(
                n=10 if quick else 50, warmup=2 if quick else 5
            )
        if wanted("compensation"):
            results += compensation.compensation(
                households=1000 if quick else 10_000,
                n=10 if quick else 50,
                warmup=2 if quick else 5,
            )
        if wanted("agreements"):
            results += agreements.agreements(
                households=100 if quick else 1000,
                n=5 if quick else 20,
                warmup=1 if quick else 3,
            )
        if wanted("payments"):
            results += payments.payments(
                households=5_000 if quick else 100_000,
                n=10 if quick else 50,
                warmup=2 if quick else 5,
            )
        if wanted("resettlement"):
            connections.close_all()
            results += resettlement.resettlement(
                databases=databases,
                households=500 if quick else 5000,
                day_households=100 if quick else 1000,
                choosers=10,
                runs=2 if quick else 5,
                warmup=1,
            )
        if wanted("dashboard"):
            connections.close_all()
            results += dashboard.dashboard(
                env=env,
                var_dir=databases.var_dir,
                sizes=(2_000, 5_000) if quick else (100_000, 1_000_000),
                n=5 if quick else 30,
                warmup=1 if quick else 3,
            )
        if wanted("reminders"):
            connections.close_all()
            results += dashboard.reminders(households=5_000 if quick else 1_000_000)
    finally:
        connections.close_all()
        databases.drop_all()

    context = {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": database,
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        # Other processes on the machine skew every figure; this says how busy it was.
        "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    print()
    print(
        f"Zhengqian benchmarks — {context['database']}, {context['cpu_count']} CPUs, "
        f"Python {context['python']}, Django {context['django']}, "
        f"load {load_before:.1f} at the start"
    )
    print_table(results)
    if args.only and args.merge and not quick:
        merge_results(RESULTS, results, context)
        print(f"\n{args.only} rows replaced in {RESULTS.relative_to(ROOT)}.")
    elif quick or args.only:
        print("\n--quick or --only: bench/results.json left unchanged.")
    else:
        write_results(RESULTS, results, context)
        print(f"\nWritten to {RESULTS.relative_to(ROOT)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
