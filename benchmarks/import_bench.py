"""Import speed: generate a realistic customer CSV (Chinese and English names, phones in the
formats people write them, e-mails, companies, credit codes, addresses, tags) and import it
into a fresh SQLite database under a temporary GUANXI_VAR_DIR, in process, through the real
import job (upload checks, mapping, validation by the customers' services, batched writes with
checkpoints, audit events). Prints rows/s and peak memory for each size.

    python benchmarks/import_bench.py                    # 10k, 100k and 1M rows
    python benchmarks/import_bench.py --rows 10000 --profile
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 50_000

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"  # noqa: E501
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞婷雪琳晨宇浩然子轩欣怡梓涵"
FIRST_EN = [
    "James",
    "Mary",
    "John",
    "Linda",
    "David",
    "Susan",
    "Michael",
    "Emma",
    "Daniel",
    "Grace",
]
LAST_EN = ["Smith", "Johnson", "Brown", "Taylor", "Miller", "Wilson", "Moore", "Clark", "Lee"]
CITIES = [("北京市", "北京市", "朝阳区", "100020"), ("上海市", "上海市", "浦东新区", "200120"),
          ("广东省", "深圳市", "南山区", "518000"), ("浙江省", "杭州市", "西湖区", "310000"),
          ("四川省", "成都市", "武侯区", "610000"), ("江苏省", "南京市", "鼓楼区", "210000")]  # fmt: skip  # noqa: E501
COMPANY_WORDS = ["华信", "创新", "远航", "星辰", "瑞丰", "嘉禾", "恒通", "宏达", "博远", "金石"]
INDUSTRIES = ["制造", "零售", "软件", "教育", "医疗", "金融", "物流"]
TAGS = ["老客户", "展会", "转介绍", "VIP候选", "线上"]
# Prefixes of CN mobile numbers in use; 1% of the rows get a number that is not one (an error row).
MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                   "152", "155", "156", "157", "158", "159", "166", "173", "176", "177", "180",
                   "181", "182", "183", "185", "186", "187", "188", "189", "191", "198",
                   "199"]  # fmt: skip
HEADER = ["外部编号", "客户名称", "类型", "手机", "邮箱", "公司名称", "统一社会信用代码", "省",
          "市", "区", "地址", "邮编", "性别", "生日", "行业", "来源", "等级", "标签", "备注"]  # fmt: skip  # noqa: E501


def _environment(var_dir: str) -> None:
    os.environ["GUANXI_VAR_DIR"] = var_dir
    (Path(var_dir) / "static").mkdir(parents=True, exist_ok=True)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("HTTPS", "false")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["HUEY_IMMEDIATE"] = "true"
    # A million rows of this shape make a 120 MB file: above the default upload limit (50 MB).
    os.environ.setdefault("IMPORT_MAX_FILE_SIZE", str(512 * 2**20))
    sys.path.insert(0, str(ROOT))


def generate(n: int, seed: int = 7) -> bytes:
    """n rows: 70% people (half of them with English names), 30% organisations."""
    from guanxi.core.demo import credit_code, mobile_formats

    rng = random.Random(seed)
    buffer = io.StringIO()
    out = csv.writer(buffer)
    out.writerow(HEADER)
    for i in range(n):
        national = f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
        if rng.random() < 0.01:
            national = national[:-1]  # ten digits: not a phone number
        phone = rng.choice(mobile_formats(national))
        province, city, district, postcode = rng.choice(CITIES)
        street = f"{rng.choice('建设人民解放中山')}路{rng.randrange(1, 300)}号"
        if rng.random() < 0.3:
            word = rng.choice(COMPANY_WORDS) + rng.choice(COMPANY_WORDS)
            name = f"{city.removesuffix('市')}{word}{i}科技有限公司"
            row = [f"EXT{i:07d}", name, "企业", phone, f"info{i}@corp{i % 997}.cn", name,
                   credit_code(i), province, city, district, street, postcode, "", "",
                   rng.choice(INDUSTRIES), "展会", rng.choice(["重要", "普通", "VIP"]),
                   rng.choice(TAGS), ""]  # fmt: skip
        else:
            if rng.random() < 0.5:
                name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
                email = f"user{i}@qq.com"
            else:
                first, last = rng.choice(FIRST_EN), rng.choice(LAST_EN)
                name = f"{first} {last}"
                email = f"{first}.{last}{i}@example.com".lower()
            birthday = (
                f"{rng.randrange(1950, 2005)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
            )
            row = [f"EXT{i:07d}", name, "个人", phone, email, "", "", province, city, district,
                   street, postcode, rng.choice(["男", "女"]), birthday, "", "线上",
                   "普通", rng.choice(TAGS) if rng.random() < 0.3 else "", ""]  # fmt: skip
        out.writerow(row)
    return buffer.getvalue().encode("utf-8")


def run_once(n: int, *, profile: bool = False) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from guanxi.accounts.models import Role, Team, User
    from guanxi.customers.models import Customer
    from guanxi.jobs import services as job_services
    from guanxi.transfer import services
    from guanxi.transfer.mapping import suggest

    content = generate(n)
    call_command("flush", interactive=False, verbosity=0)
    from django.apps import apps as django_apps

    add_roles = __import__(
        "guanxi.accounts.migrations.0002_default_roles", fromlist=["add_roles"]
    ).add_roles
    add_roles(django_apps, None)  # the built-in roles (a data migration), after the flush
    team = Team.objects.create(name="Bench")
    team.path = f"/{team.pk}/"
    team.save(update_fields=["path"])
    user = User.objects.create_user(
        username=f"bench{n}", password="x", role=Role.objects.get(code="manager"), team=team
    )
    started = time.perf_counter()
    cpu_started = time.process_time()
    imp = services.upload_import(actor=user, filename="bench.csv", content=content, language="en")
    uploaded = time.perf_counter()
    # The job is started as the web does, then run here in process (as the consumer would).
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = False
    imp = services.start_import(
        actor=user, imp=imp, mapping=suggest(imp.headers, []), mode="create", kind="column",
        dry_run=False,
    )  # fmt: skip
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
    job_services.execute(str(imp.job_id))
    if profile:
        profiler.disable()
        order = os.environ.get("PROFILE_SORT", "cumulative")  # or tottime
        pstats.Stats(profiler).sort_stats(order).print_stats(35)
    finished = time.perf_counter()
    cpu = time.process_time() - cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # peak RSS (KiB on Linux)
    imp.refresh_from_db()
    assert imp.status == "done", imp.message
    count = Customer.objects.count()
    connection.close()
    return {
        "rows": n,
        "created": imp.created_count,
        "errors": imp.error_count,
        "customers": count,
        "upload_s": uploaded - started,
        "total_s": finished - started,
        "rows_per_s": n / (finished - started),
        "cpu_s": cpu,
        "rows_per_cpu_s": n / cpu,
        "peak_mb": peak / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--profile", action="store_true", help="cProfile the import job")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="guanxi-import-bench-") as var_dir:
        _environment(var_dir)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        print(f"{'rows':>9} {'created':>9} {'errors':>7} {'upload s':>9} {'total s':>9} "
              f"{'rows/s':>9} {'CPU s':>8} {'rows/CPU s':>10} {'peak MB':>8}")  # fmt: skip
        for n in args.rows:
            r = run_once(n, profile=args.profile)
            print(
                f"{r['rows']:>9,} {r['created']:>9,} {r['errors']:>7,} {r['upload_s']:>9.1f} "
                f"{r['total_s']:>9.1f} {r['rows_per_s']:>9,.0f} {r['cpu_s']:>8.1f} "
                f"{r['rows_per_cpu_s']:>10,.0f} {r['peak_mb']:>8.0f}",
                flush=True,
            )
        print(f"target: {TARGET:,} rows/s")


if __name__ == "__main__":
    main()
