"""Benchmark: prompt search ("every word, any order") on a large table, with and without the
trigram index (migration generations 0011_prompt_trigram_index), on PostgreSQL.

Seeds `rows` generations with prompts of 6 to 12 words from a 300-word vocabulary (each word in
about 3 % of rows) plus a rare word in 1 row of 10 000, then runs the admin's search queries
(`GenerationQuerySet.search_prompt`, a page of 51 newest first, and the capped count) for a
common pair, a rare word and an absent word: EXPLAIN ANALYZE's plan and the median time of
`repeat` runs, with the index, then with it dropped (it is rebuilt at the end).
"""

from __future__ import annotations

import statistics
import time

from bench import harness

WORDS = (
    "cat dog corgi wave ocean beach city street night rain snow forest river mountain sky cloud "
    "sun moon star light shadow fire water wind stone glass metal paper wood garden flower tree "
    "leaf grass field road bridge tower castle house window door room table chair lamp candle "
    "book letter camera film screen mirror clock train car bus boat ship plane bird fish horse "
    "tiger lion bear wolf fox rabbit owl eagle whale dolphin turtle frog bee butterfly dragon "
    "robot astronaut wizard knight dancer singer child woman man crowd market festival parade "
    "concert party kitchen coffee tea bread cake fruit apple orange lemon cherry grape market "
    "red blue green yellow purple golden silver black white pink slow fast quiet loud soft bright "
    "dark warm cold old new tiny huge calm wild gentle running walking flying jumping swimming "
    "dancing singing laughing crying sleeping waking falling rising spinning floating surfing "
    "drifting glowing burning melting freezing blooming fading shining sparkling small large "
    "close wide aerial slow-motion timelapse cinematic dramatic vintage neon pastel misty foggy "
    "stormy sunny snowy rainy dusty sandy rocky grassy icy autumn winter spring summer morning "
    "evening midnight dawn dusk sunset sunrise harbor lighthouse village desert canyon valley "
    "lake pond waterfall volcano island jungle meadow cliff cave tunnel alley rooftop balcony "
    "subway station airport stadium library museum theater temple palace ruins factory farm "
    "barn orchard vineyard carousel ferris kite balloon umbrella hat scarf coat boots guitar "
    "piano violin drum trumpet microphone lantern compass map telescope bicycle skateboard "
    "surfboard sailboat canoe tractor truck taxi scooter rocket satellite planet galaxy comet"
)
VOCABULARY = WORDS.split()
RARE = "zeppelin"
SEARCHES = [("two common words", "corgi wave"), ("a rare word", RARE), ("an absent word", "xylophone")]
INDEX = "generations_prompt_trgm"


def seed(rows: int) -> None:
    from django.db import connection

    from generations.models import Generation
    from tests.factories import make_generation

    tenant, _ = harness.make_tenant("Bench search", 1000)
    template = make_generation(tenant, prompt="template")
    columns = [f.column for f in Generation._meta.concrete_fields]
    replaced = {
        "id": "'gen_' || lpad(g::text, 26, '0')",
        "callback_token": "'bench-' || g",
        "created_at": "now() - g * interval '1 second'",
        "prompt": (
            f"CASE WHEN mod(g, 10000) = 0 THEN '{RARE} ' ELSE '' END || "
            # `+ 0 * s` ties the aggregate to the inner series (else it would aggregate the outer query).
            "(SELECT string_agg(w[1 + floor(random() * array_length(w, 1))::int + 0 * s], ' ') "
            "FROM generate_series(1, 6 + mod(g, 7)) s)"
        ),
    }
    select = ", ".join(replaced.get(c, f"t.{c}") for c in columns)
    words = "ARRAY[" + ", ".join(f"'{w}'" for w in VOCABULARY) + "]"
    with connection.cursor() as cursor:
        for start in range(1, rows + 1, 100_000):
            stop = min(start + 99_999, rows)
            cursor.execute(
                f"INSERT INTO generations_generation ({', '.join(columns)}) "
                f"SELECT {select} FROM generations_generation t, (SELECT {words} AS w) v, "
                f"generate_series({start}, {stop}) g WHERE t.id = %s",
                [template.pk],
            )
            print(f"  seeded {stop} rows", flush=True)
        cursor.execute("DELETE FROM generations_generation WHERE id = %s", [template.pk])
        cursor.execute("ANALYZE generations_generation")


def measure(label: str, repeat: int) -> list[tuple[str, str, float, str]]:
    from django.db import connection

    from accounts.admin_tools import CappedCountPaginator
    from generations.models import Generation

    out = []
    for name, text in SEARCHES:
        found = Generation.objects.search_prompt(text)
        page = found.order_by("-id")[:51]
        count = found.values("pk")[: CappedCountPaginator.cap + 1]
        for query_name, queryset in (("page of 51", page), ("capped count", count)):
            sql, params = queryset.query.sql_with_params()
            if query_name == "capped count":
                sql = f"SELECT COUNT(*) FROM ({sql}) counted"
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}", params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                times = []
                for _ in range(repeat):
                    began = time.perf_counter()
                    cursor.execute(sql, params)
                    cursor.fetchall()
                    times.append((time.perf_counter() - began) * 1000)
            median = statistics.median(times)
            out.append((f"{name} ({text!r})", query_name, median, plan))
            print(f"  {label:14} {name:17} {query_name:12} {median:9.1f} ms", flush=True)
    return out


def run(*, rows: int, repeat: int) -> None:
    harness.configure(harness.free_port())
    harness.fresh_database()
    harness.setup_django()
    from django.db import connection

    from generations.models import Generation

    seed_started = time.perf_counter()
    seed(rows)
    print(f"  seeded {Generation.objects.count()} rows in {time.perf_counter() - seed_started:.0f} s")

    with_index = measure("with index", repeat)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {INDEX}")
    without = measure("without index", repeat)
    with connection.cursor() as cursor:
        began = time.perf_counter()
        cursor.execute(
            f"CREATE INDEX {INDEX} ON generations_generation USING gin (UPPER(prompt) gin_trgm_ops)"
        )
        built = time.perf_counter() - began
        cursor.execute(f"SELECT pg_size_pretty(pg_relation_size('{INDEX}'))")
        size = cursor.fetchone()[0]

    print()
    print(f"Prompt search on {rows} rows, median of {repeat} runs (index built in {built:.0f} s, {size})")
    print(f"{'search':36} {'query':12} {'with index':>11} {'without':>11}")
    for (what, query_name, fast, _), (_, _, slow, _) in zip(with_index, without, strict=True):
        print(f"{what:36} {query_name:12} {fast:>8.1f} ms {slow:>8.1f} ms")
    print()
    for what, query_name, _, plan in with_index:
        used = "uses the index" if INDEX in plan else "does not use the index"
        print(f"--- with index: {what}, {query_name} ({used})\n{plan}\n")
    for what, query_name, _, plan in without[:2]:
        print(f"--- without index: {what}, {query_name}\n{plan}\n")


def main(args) -> None:
    run(rows=args.rows, repeat=args.repeat)
