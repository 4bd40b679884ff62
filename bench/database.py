"""The benchmark's own databases: a fresh SQLite file under var/bench/, or fresh PostgreSQL
databases beside the one DATABASE_URL names, created and dropped here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
BENCH_DB = "zhengqian_bench"
SEED_DB = "zhengqian_bench_seed"
SEED_TEMPLATE_DB = "zhengqian_bench_seed_tpl"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@dataclass
class Databases:
    """Where each benchmark writes. The seed benchmark gets a fresh copy of a migrated empty
    database before each run, so every run starts from the same state."""

    postgres: bool
    root: Path
    admin_url: str = ""

    @classmethod
    def for_sqlite(cls, root: Path) -> Databases:
        return cls(postgres=False, root=root)

    @classmethod
    def for_postgres(cls, root: Path) -> Databases:
        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith(("postgres://", "postgresql://")):
            url = DEFAULT_POSTGRES_URL
        return cls(postgres=True, root=root, admin_url=url)

    @property
    def var_dir(self) -> Path:
        return self.root / "var" / "bench"

    @property
    def main_url(self) -> str:
        if self.postgres:
            return _with_database(self.admin_url, BENCH_DB)
        return f"sqlite:///{self.var_dir / 'bench.sqlite3'}"

    @property
    def seed_url(self) -> str:
        if self.postgres:
            return _with_database(self.admin_url, SEED_DB)
        return f"sqlite:///{self.var_dir / 'seed.sqlite3'}"

    def _template_url(self) -> str:
        if self.postgres:
            return _with_database(self.admin_url, SEED_TEMPLATE_DB)
        return f"sqlite:///{self.var_dir / 'seed-template.sqlite3'}"

    def _recreate(self, name: str, *, template: str | None = None) -> None:
        self._drop(name)
        from psycopg import sql

        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
        with self._connect() as conn:
            conn.execute(statement)

    def _drop(self, name: str) -> None:
        from psycopg import sql

        with self._connect() as conn:
            # FORCE: a connection left open by a crashed run must not keep the database alive.
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(self.admin_url, autocommit=True)

    def create_main(self) -> None:
        """An empty main database; the caller migrates it in-process."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        if self.postgres:
            self._recreate(BENCH_DB)
        else:
            _remove_sqlite(self.var_dir / "bench.sqlite3")

    def prepare_seed_template(self, env: dict[str, str]) -> None:
        """Migrate an empty database once, to copy before each seed run."""
        if self.postgres:
            self._recreate(SEED_TEMPLATE_DB)
        else:
            _remove_sqlite(self.var_dir / "seed-template.sqlite3")
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=self.root,
            env={**env, "DATABASE_URL": self._template_url()},
            check=True,
        )

    def fresh_seed_database(self) -> None:
        if self.postgres:
            self._recreate(SEED_DB, template=SEED_TEMPLATE_DB)
        else:
            target = self.var_dir / "seed.sqlite3"
            _remove_sqlite(target)
            shutil.copyfile(self.var_dir / "seed-template.sqlite3", target)

    def run_on_seed(
        self, command: list[str], env: dict[str, str], *, what: str
    ) -> tuple[str, float, float]:
        """Run a child process on the seed database: its output, its wall time (ms) and its
        own peak memory (MiB). Raises, with its output, when it fails."""
        peak_file = self.var_dir / "peak.txt"
        launcher = [sys.executable, str(self.root / "bench" / "peak.py"), str(peak_file)]
        started = time.perf_counter_ns()
        # The launcher reports the command's own peak memory (see bench/peak.py).
        process = subprocess.run(
            [*launcher, *command],
            cwd=self.root,
            env={**env, "DATABASE_URL": self.seed_url},
            stdout=subprocess.PIPE,
            text=True,
            check=False,
        )
        wall_ms = (time.perf_counter_ns() - started) / 1e6
        output = process.stdout or ""
        if process.returncode != 0:
            raise RuntimeError(f"{what} failed ({process.returncode}):\n{output}")
        # ru_maxrss is in KiB on Linux.
        return output, wall_ms, int(peak_file.read_text(encoding="ascii")) / 1024

    def drop_all(self) -> None:
        """Remove what was created here (the SQLite files stay for inspection)."""
        if self.postgres:
            for name in (SEED_DB, SEED_TEMPLATE_DB, BENCH_DB):
                self._drop(name)
