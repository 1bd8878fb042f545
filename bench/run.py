"""Run every benchmark under bench/ and print ratios against baselines of the same run.

Usage: python bench/run.py [name ...]   (make bench)
Benchmarks build their own throwaway test database (SQLite, or DATABASE_URL's server).
"""

import importlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smsmode.settings")


def main(names: list[str]) -> int:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        modules = names or sorted(p.stem for p in (ROOT / "bench").glob("bench_*.py"))
        for name in modules:
            module = importlib.import_module(f"bench.{name}")
            print(f"== {name}: {module.__doc__.strip().splitlines()[0]}")
            module.run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
