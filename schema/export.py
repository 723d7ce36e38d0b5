"""Write the schema SDL to schema.graphql: ``python -m schema.export``."""

from __future__ import annotations

from pathlib import Path

from domain.config import Settings
from schema import build_schema

TARGET = Path(__file__).resolve().parent.parent / "schema.graphql"


def main() -> None:
    TARGET.write_text(build_schema(Settings(app_env="test")).as_str() + "\n")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
