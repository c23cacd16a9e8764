"""A Parquet file whose text column holds two values that fall in one set of `aequo_key`'s
per-batch cache (crates/aequo-data/src/sql/key.rs, `Cache::slot`), for the DataFusion path's
worst case before the cache had two ways: every row of one value evicted the other's entry and
took the interner's lock.

    python bench/key_cache_collision.py OUT.parquet [ROWS]      (pyarrow, numpy: requirements.txt)
    aequo audit --sql "SELECT * FROM t" --table t=OUT.parquet --label y --pred p \
      --sensitive grp,sex --tests off --boot 0 --format json --out /dev/null -q
"""
import struct
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

MASK = (1 << 64) - 1


def cache_set(text: str) -> int:
    """`Cache::slot` of an inline string view: length (u32, little-endian), then the bytes."""
    raw = text.encode()
    assert len(raw) <= 12, "inline views only"
    view = int.from_bytes(struct.pack("<I", len(raw)) + raw.ljust(12, b"\0"), "little")
    low, high = view & MASK, (view >> 64) & MASK
    mixed = low ^ (((high << 29) | (high >> 35)) & MASK)
    return ((mixed * 0x9E3779B97F4A7C15) & MASK) >> 56


def main() -> None:
    out = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000_000
    by_set: dict[int, list[str]] = {}
    for i in range(2000):
        by_set.setdefault(cache_set(f"region{i}"), []).append(f"region{i}")
    pair = next(v for v in by_set.values() if len(v) >= 2)[:2]
    rng = np.random.default_rng(1)
    table = pa.table(
        {
            "grp": pa.array(np.where(rng.random(rows) < 0.5, pair[0], pair[1])),
            "sex": pa.array(np.where(rng.random(rows) < 0.5, "female", "male")),
            "y": (rng.random(rows) < 0.4).astype("int64"),
            "p": (rng.random(rows) < 0.45).astype("int64"),
        }
    )
    pq.write_table(table, out, row_group_size=1_000_000)
    print(f"wrote {rows} rows to {out}; {pair} share cache set {cache_set(pair[0])}")


if __name__ == "__main__":
    main()
