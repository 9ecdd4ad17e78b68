"""Demo data: a realistic customer base of Chinese and English people and companies, with their
contact points, addresses, contacts, tags, orders over a product catalogue and interactions over
the last three years, owned by a small demo organisation.

Seeding bypasses the services on purpose: it writes with bulk inserts in large transactions so
that a million customers and ten million orders take minutes, not days. It keeps the invariants
that the services keep, with the same code where there is code for them:

- search keys come from `guanxi.customers.keys.search_keys`;
- normalised phones are E.164, what `normalize_phone` gives (a test checks it for every
  format written); e-mail addresses are lower-case, what `normalize_email` gives;
- an order's total is the sum of its lines;
- per-customer aggregates are recomputed at the end by `guanxi.customers.aggregates.refresh_all`;
- on SQLite the full-text index is rebuilt and its triggers recreated from the migration's own
  statements.

No audit records are written: demo data is not a user's action. Data values (names, industries,
subjects) are data, in the language a Chinese or English customer would use, not UI text.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from pypinyin import lazy_pinyin
from stdnum.cn import uscc

from guanxi.accounts.models import Role, Team, User
from guanxi.core import bulk
from guanxi.customers import aggregates, completeness, search_index
from guanxi.customers.keys import search_keys
from guanxi.customers.models import Address, Contact, ContactPoint, Customer, Tag
from guanxi.interactions.models import Interaction
from guanxi.sales.models import NOT_PURCHASES, Order, OrderLine, Product

# The password demo users get with `--demo-passwords` (documented in the command's help).
DEMO_PASSWORD = "guanxi-demo"  # noqa: S105
YEARS = 3
DEFAULT_INTERACTIONS_PER_CUSTOMER = 3
DAY = 86400


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# --- pools ------------------------------------------------------------------------------------
# fmt: off

SURNAMES = tuple(
    "王王王王李李李李张张张张刘刘刘陈陈陈杨杨黄黄赵赵吴吴周周徐孙马朱胡郭何高林罗郑梁谢宋唐"
    "许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白"
    "邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
) * 20 + ("欧阳", "司马", "上官", "诸葛", "东方", "慕容")
MALE_GIVEN = _words(
    "伟 强 磊 军 洋 勇 杰 涛 明 超 刚 平 辉 鹏 斌 峰 亮 健 凯 帅 彬 毅 鑫 浩 宇 "
    "建华 建国 建军 志强 志明 国强 国华 海涛 晓明 晓东 文杰 浩然 宇轩 子轩 俊杰 浩宇 博文 "
    "天佑 昊天 明轩 思远 振华 德明 宏伟 永强 少华 立新 嘉豪 子墨 一鸣 宇航 泽宇 家豪 "
    "志刚 俊峰 文博 晨阳 子豪 建平 春生 永刚 建明 海波"
)
FEMALE_GIVEN = _words(
    "芳 娜 敏 静 丽 艳 娟 霞 琳 颖 婷 雪 倩 瑶 璐 萌 燕 玲 "
    "秀英 桂英 秀兰 玉兰 海燕 小红 晓燕 丽娟 丽华 红梅 春梅 金凤 文静 婷婷 欣怡 子涵 梓涵 "
    "一诺 雨桐 思彤 欣妍 佳怡 诗涵 梓萱 若汐 嘉怡 雅琪 春华 秋菊 冬梅 玉珍 桂芳 淑珍 凤英 "
    "慧敏 晨曦 美玲 雅婷 心怡 思雨 梦瑶 晓雪 佳琪 静怡 雨欣 可欣"
)
EN_MALE = _words(
    "James John Robert Michael William David Richard Joseph Thomas Charles Daniel Matthew "
    "Anthony Mark Paul Steven Andrew Kevin Brian George Oliver Henry Lucas Jack Ethan Leo Sam"
)
EN_FEMALE = _words(
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Emily Olivia "
    "Sophie Emma Chloe Hannah Grace Lucy Amelia Isabella Charlotte Mia Ella Zoe Ava Alice Ruby"
)
EN_LAST = _words(
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin "
    "Jackson Thompson White Harris Clark Lewis Walker Hall Young King Wright Scott Green Baker "
    "Adams Nelson Hill Campbell Mitchell Roberts Carter Phillips Evans Turner Parker Collins "
    "Edwards Stewart Morris Murphy Cook Rogers Morgan Cooper Peterson Reed Bailey"
)
BRANDS = tuple(a + b for a in "华中天金恒鼎盛宏新远博瑞嘉德正信安达佳汇创智云海聚联泰星启明"
               for b in "兴达通瑞盛泰丰源科和隆昌信宇辰航锐腾创拓峰睿")
ORG_CITIES = _words("北京 上海 深圳 杭州 广州 成都 苏州 南京 武汉 西安")
# (word in the name, industry)
ORG_TRADES = (
    ("科技", "互联网"), ("信息技术", "软件和信息服务"), ("网络科技", "互联网"),
    ("贸易", "批发零售"), ("实业", "制造业"), ("电子", "电子制造"), ("文化传媒", "文化传媒"),
    ("餐饮管理", "餐饮"), ("医疗器械", "医疗健康"), ("物流", "交通物流"),
    ("教育科技", "教育"), ("新能源", "能源"),
)
ORG_SUFFIXES = ("有限公司",) * 7 + ("股份有限公司",) * 2 + ("集团有限公司",)
EN_ORG_FIRST = (
    "Northwind", "Blue Harbor", "Silverline", "Evergreen", "Summit", "Pioneer", "Golden Gate",
    "Redwood", "Atlas", "Orion", "Lakeside", "Maple", "Crescent", "Horizon", "Keystone",
    "Bright Path", "Ironwood", "Sterling", "Harborview", "Clearwater",
)
EN_ORG_TRADES = (
    ("Trading", "批发零售"), ("Technologies", "互联网"), ("Logistics", "交通物流"),
    ("Consulting", "咨询服务"), ("Foods", "餐饮"), ("Medical", "医疗健康"),
    ("Software", "软件和信息服务"), ("Industries", "制造业"), ("Retail", "批发零售"),
    ("Capital", "金融"), ("Energy", "能源"), ("Design", "文化传媒"),
)
EN_ORG_SUFFIXES = ("Ltd.", "Inc.", "LLC", "Co., Ltd.", "GmbH", "Pte. Ltd.", "plc")
PERSON_INDUSTRIES = ("", "", "", "互联网", "金融", "教育", "医疗健康", "制造业", "批发零售")
OCCUPATIONS_ZH = _words(
    "工程师 教师 医生 销售经理 财务 律师 设计师 自由职业 公务员 企业主 产品经理 会计 护士 "
    "研究员 采购经理 行政主管"
)
OCCUPATIONS_EN = _words(
    "Engineer Teacher Doctor Consultant Designer Accountant Lawyer Manager Researcher Founder"
)
INTERESTS_ZH = _words("旅游 摄影 健身 美食 阅读 音乐 茶道 高尔夫 跑步 电影 户外 收藏 瑜伽 书法")
INTERESTS_EN = _words("travel photography fitness food reading music golf running film hiking")
SOURCES = (
    ("官网",) * 4 + ("展会",) * 2 + ("转介绍",) * 3 + ("电话营销",) * 2 + ("微信公众号",) * 3
    + ("抖音",) * 2 + ("百度推广",) * 2 + ("合作伙伴",) * 2 + ("线下门店",) * 2 + ("LinkedIn",)
)
TAGS = (
    "老客户", "高潜力", "价格敏感", "需回访", "展会客户", "重点跟进", "转介绍", "大客户",
    "VIP活动", "newsletter", "key account", "渠道商",
)
# (title, contact role)
CONTACT_TITLES = (
    ("总经理", "decision_maker"), ("采购经理", "purchasing"), ("财务总监", "finance"),
    ("技术总监", "technical"), ("行政主管", "user"), ("IT 经理", "technical"),
    ("市场总监", "influencer"),
)
# Reserved for examples (RFC 2606): demo mail never reaches a real mailbox.
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
# Mobile prefixes that phonenumbers knows as valid CN mobiles (a test checks every one).
MOBILE_PREFIXES = _words(
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 "
    "173 175 176 177 178 180 181 182 183 185 186 187 188 189 191 198 199"
)
# (province, city, postcode prefix, region, districts, weight): the big cities weigh more.
CN_PLACES = (
    ("北京市", "北京市", "100", "华北", ("朝阳区", "海淀区", "东城区", "西城区", "丰台区"), 9),
    ("上海市", "上海市", "200", "华东", ("浦东新区", "徐汇区", "静安区", "黄浦区", "闵行区"), 9),
    ("广东省", "深圳市", "518", "华南", ("南山区", "福田区", "罗湖区", "宝安区", "龙岗区"), 7),
    ("广东省", "广州市", "510", "华南", ("天河区", "越秀区", "海珠区", "番禺区"), 6),
    ("浙江省", "杭州市", "310", "华东", ("西湖区", "上城区", "拱墅区", "滨江区", "余杭区"), 6),
    ("江苏省", "南京市", "210", "华东", ("玄武区", "秦淮区", "鼓楼区", "建邺区"), 4),
    ("江苏省", "苏州市", "215", "华东", ("姑苏区", "吴中区", "相城区", "虎丘区"), 4),
    ("四川省", "成都市", "610", "西南", ("锦江区", "武侯区", "青羊区", "成华区"), 5),
    ("湖北省", "武汉市", "430", "华中", ("江汉区", "武昌区", "洪山区", "汉阳区"), 4),
    ("陕西省", "西安市", "710", "西北", ("雁塔区", "碑林区", "未央区", "新城区"), 3),
    ("天津市", "天津市", "300", "华北", ("和平区", "河西区", "南开区", "滨海新区"), 3),
    ("重庆市", "重庆市", "400", "西南", ("渝中区", "江北区", "渝北区", "南岸区"), 3),
    ("福建省", "厦门市", "361", "华东", ("思明区", "湖里区", "集美区"), 2),
    ("山东省", "青岛市", "266", "华东", ("市南区", "市北区", "崂山区", "黄岛区"), 2),
    ("辽宁省", "沈阳市", "110", "东北", ("和平区", "沈河区", "皇姑区"), 2),
    ("湖南省", "长沙市", "410", "华中", ("岳麓区", "芙蓉区", "天心区", "雨花区"), 2),
    ("河南省", "郑州市", "450", "华中", ("金水区", "二七区", "中原区"), 2),
    ("安徽省", "合肥市", "230", "华东", ("蜀山区", "庐阳区", "包河区"), 2),
    ("黑龙江省", "哈尔滨市", "150", "东北", ("南岗区", "道里区", "香坊区"), 1),
    ("云南省", "昆明市", "650", "西南", ("五华区", "盘龙区", "官渡区"), 1),
    ("广西壮族自治区", "南宁市", "530", "华南", ("青秀区", "兴宁区", "西乡塘区"), 1),
    ("新疆维吾尔自治区", "乌鲁木齐市", "830", "西北", ("天山区", "沙依巴克区"), 1),
)
STREETS = _words(
    "建国路 人民路 中山路 解放路 长安街 南京路 淮海路 科技园路 文一西路 天府大道 滨江大道 "
    "光华路 学院路 新华路 和平路 延安路 黄河路 长江路 金融街 创业路"
)
# (country, province or state, city, street, postcode)
ABROAD = (
    ("US", "California", "San Francisco", "Market Street", "94105"),
    ("US", "New York", "New York", "Madison Avenue", "10022"),
    ("GB", "England", "London", "Oxford Street", "W1D 1BS"),
    ("SG", "", "Singapore", "Orchard Road", "238801"),
    ("DE", "Berlin", "Berlin", "Friedrichstraße", "10117"),
)
# (category, ((name, price in yuan), ...)), each in three editions.
CATALOGUE = (
    ("办公设备", (("激光打印机", 1999), ("碎纸机", 599), ("投影仪", 3899), ("扫描仪", 1299))),
    ("电脑配件", (("机械键盘", 399), ("无线鼠标", 129), ("27 英寸显示器", 1699), ("扩展坞", 459))),
    ("软件服务", (("CRM 年费", 12000), ("云存储 1TB", 600), ("企业邮箱", 1800), ("安全套件", 980))),
    ("办公耗材", (("A4 复印纸", 45), ("硒鼓", 320), ("签字笔 12 支", 24), ("文件夹", 18))),
    ("茶叶礼品", (("龙井礼盒", 688), ("普洱茶饼", 258), ("月饼礼盒", 398), ("红酒礼盒", 888))),
    ("家居生活", (("空气净化器", 2499), ("咖啡机", 1599), ("人体工学椅", 1899), ("台灯", 199))),
    ("Services", (("Onboarding workshop", 5000), ("Support plan", 3000), ("Data migration", 8000))),
)
EDITIONS = (("标准版", 100), ("专业版", 140), ("企业版", 200))  # (edition, price in %)
CHANNELS = (
    ("phone",) * 30 + ("wechat",) * 25 + ("email",) * 15 + ("visit",) * 8 + ("meeting",) * 7
    + ("sms",) * 5 + ("chat",) * 7 + ("social",) * 3
)
TIMED_CHANNELS = frozenset(("phone", "visit", "meeting"))
# purpose: (Chinese subjects, English subjects)
SUBJECTS = {
    "inquiry": (("咨询产品价格", "询问发货时间", "了解企业版"), ("Price inquiry", "Delivery date")),
    "complaint": (("投诉物流延迟", "反馈产品质量问题"), ("Late delivery", "Quality issue")),
    "suggestion": (("建议增加功能", "建议改进包装"), ("Feature suggestion",)),
    "feedback": (("使用反馈", "季度满意度回访"), ("Product feedback", "Quarterly review")),
    "sales": (("新品推荐", "续约沟通", "报价跟进"), ("New product pitch", "Renewal", "Quote")),
    "care": (("生日问候", "节日问候", "春节拜年"), ("Birthday greetings", "Holiday greetings")),
    "pre_sale": (("产品演示", "方案介绍"), ("Product demo", "Proposal walkthrough")),
    "after_sale": (("安装支持", "退换货处理"), ("Installation support", "Return request")),
}
PURPOSES = tuple(SUBJECTS)
OUTCOMES = ("successful",) * 5 + ("follow_up",) * 3 + ("no_answer", "not_interested", "resolved")
# The demo organisation: a parent team, its child teams and how many users of each role.
DEMO_PARENT_TEAM = "演示公司"
DEMO_TEAMS = (
    ("华东销售", (("manager", 1), ("sales", 4))),
    ("华北销售", (("manager", 1), ("sales", 4))),
    ("华南销售", (("manager", 1), ("sales", 3))),
    ("客服部", (("manager", 1), ("service", 3))),
    ("数据分析部", (("analyst", 1),)),
)
DEMO_ROLES = ("manager", "sales", "service", "analyst")

# Columns written, by model field name (a test checks they cover every column).
CUSTOMER_FIELDS = (
    "id", "kind", "display_name", "legal_name", "short_name", "aliases", "external_id",
    "credit_code", "gender", "birthday", "occupation", "interests", "preferences", "industry",
    "region", "source", "grade", "status", "lifecycle_stage", "value_tier", "custom_fields",
    "notes", "owner", "team", "name_key", "pinyin", "pinyin_initials", "search_text",
    "order_count", "total_spent", "average_order_value", "first_purchase_at", "last_purchase_at",
    "interaction_count", "last_interaction_at", "open_tickets", "version", "created_at",
    "updated_at", "created_by", "deleted_at", "deleted_by", "identity_code", "referred_by",
    "marketing_consent", "marketing_consent_at", "verified_at", "completeness",
)
CONTACT_POINT_FIELDS = ("customer", "kind", "value", "normalized", "label", "is_primary")
ADDRESS_FIELDS = (
    "customer", "label", "country", "province", "city", "district", "street", "postcode",
    "is_primary",
)
CONTACT_FIELDS = (
    "organisation", "name", "title", "role", "mobile", "mobile_normalized", "email",
    "email_normalized", "notes", "is_primary", "version", "created_at", "updated_at",
)
ORDER_FIELDS = (
    "id", "customer", "number", "status", "ordered_at", "currency", "total", "exchange_rate",
    "total_base", "notes", "created_by", "version", "created_at", "updated_at",
)
LINE_FIELDS = ("order", "product", "quantity", "unit_price", "amount")
INTERACTION_FIELDS = (
    "customer", "contact", "channel", "direction", "purpose", "subject", "content",
    "occurred_at", "duration_minutes", "user", "outcome", "quality_rating", "version",
    "created_at", "updated_at",
)
# fmt: on


def cn_mobile_e164(national: str) -> str:
    """E.164 of an 11-digit CN mobile number: what `normalize_phone` returns for it."""
    return "+86" + national


def mobile_formats(national: str) -> tuple[str, ...]:
    """The ways people write a CN mobile number (the first ones most often)."""
    a, b, c = national[:3], national[3:7], national[7:]
    return (
        national,
        national,
        f"{a} {b} {c}",
        f"{a}-{b}-{c}",
        f"+86 {a} {b} {c}",
        f"+86{national}",
        f"+86-{national}",
        f"(+86) {national}",
    )


def credit_code(serial: int) -> str:
    """A valid unified social credit code of an enterprise, different for each serial."""
    body = f"91{110000 + (serial % 9) * 10000 + 108:06d}{serial % 10**9:09d}"
    return body + uscc.calc_check_digit(body)


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


# --- results ----------------------------------------------------------------------------------


@dataclass
class SeedResult:
    customers: int = 0
    contact_points: int = 0
    addresses: int = 0
    contacts: int = 0
    tags: int = 0
    orders: int = 0
    order_lines: int = 0
    interactions: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return (
            self.customers
            + self.contact_points
            + self.addresses
            + self.contacts
            + self.tags
            + self.orders
            + self.order_lines
            + self.interactions
        )


@dataclass
class _Batch:
    """Rows of one transaction, per table."""

    customers: list[tuple] = field(default_factory=list)
    points: list[tuple] = field(default_factory=list)
    addresses: list[tuple] = field(default_factory=list)
    contacts: list[tuple] = field(default_factory=list)
    tags: list[tuple] = field(default_factory=list)
    orders: list[tuple] = field(default_factory=list)
    lines: list[tuple] = field(default_factory=list)
    interactions: list[tuple] = field(default_factory=list)


# --- writing ----------------------------------------------------------------------------------


class _Writer:
    """The tables a batch fills, written with core.bulk. Values are in the database's text
    forms already (timestamps and money as strings)."""

    def __init__(self) -> None:
        through = Customer.tags.through
        self.tables = {
            "customers": bulk.table_columns(Customer, CUSTOMER_FIELDS),
            "points": bulk.table_columns(ContactPoint, CONTACT_POINT_FIELDS),
            "addresses": bulk.table_columns(Address, ADDRESS_FIELDS),
            "contacts": bulk.table_columns(Contact, CONTACT_FIELDS),
            "tags": bulk.table_columns(through, ("customer", "tag")),
            "orders": bulk.table_columns(Order, ORDER_FIELDS),
            "lines": bulk.table_columns(OrderLine, LINE_FIELDS),
            "interactions": bulk.table_columns(Interaction, INTERACTION_FIELDS),
        }

    def write(self, batch: _Batch) -> None:
        with transaction.atomic():
            for name, (table, columns) in self.tables.items():
                bulk.insert_rows(table, columns, getattr(batch, name))


def _next_id(model: Any) -> int:
    """After the largest id in use: a seed into an emptied table starts where the first one
    did, so that the same seed gives the same data (ids appear in e-mail addresses)."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {table}")  # noqa: S608 (a model's table)
        return (cursor.fetchone()[0] or 0) + 1


# --- SQLite: full-text index and pragmas ------------------------------------------------------


@contextmanager
def _sqlite_indexes_off(enabled: bool, tables: Sequence[str]) -> Iterator[None]:
    """On SQLite: the secondary indexes of the tables written are dropped while inserting and
    created again from their own statements at the end (a sort per index instead of a B-tree
    insert per row and index: several times faster). Unique constraints declared in the
    table stay and are enforced throughout."""
    if not enabled:
        yield
        return
    marks = ", ".join(["%s"] * len(tables))
    sql = f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} AND sql IS NOT NULL ORDER BY name", list(tables))
        saved = cursor.fetchall()
    with transaction.atomic(), connection.cursor() as cursor:
        for name, _sql in saved:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        with transaction.atomic(), connection.cursor() as cursor:
            for _name, sql in saved:
                cursor.execute(sql)


def analyze() -> None:
    """Fresh planner statistics after a bulk load."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA optimize")


# --- the demo organisation, catalogue and tags ------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    pk: int
    team_id: int | None
    role: str


def ensure_demo_org(rng: random.Random, *, demo_passwords: bool = False) -> list[DemoUser]:
    """The demo teams and users, made once and found again by name. Users get the documented
    demo password only with `demo_passwords`; otherwise a password nobody can use."""
    roles = {r.code: r for r in Role.objects.filter(code__in=DEMO_ROLES)}
    missing = set(DEMO_ROLES) - set(roles)
    if missing:
        raise RuntimeError(f"Roles missing (they come from migrate): {', '.join(sorted(missing))}")
    hashed = make_password(DEMO_PASSWORD) if demo_passwords else None
    users: list[DemoUser] = []
    counters = dict.fromkeys(DEMO_ROLES, 0)
    with transaction.atomic():
        parent, _created = Team.objects.get_or_create(name=DEMO_PARENT_TEAM)
        if parent.path == "/":
            parent.path = f"/{parent.pk}/"
            parent.save(update_fields=["path"])
        for team_name, members in DEMO_TEAMS:
            team, _created = Team.objects.get_or_create(name=team_name, defaults={"parent": parent})
            if team.path == "/":
                base = parent.path if team.parent_id == parent.pk else "/"
                team.path = f"{base}{team.pk}/"
                team.save(update_fields=["path"])
            for role_code, count in members:
                for _ in range(count):
                    counters[role_code] += 1
                    username = f"demo-{role_code}-{counters[role_code]}"
                    female = rng.random() < 0.5
                    name = rng.choice(SURNAMES) + rng.choice(FEMALE_GIVEN if female else MALE_GIVEN)
                    user, created = User.objects.get_or_create(
                        username=username,
                        defaults={
                            "display_name": name,
                            "email": f"{username}@example.com",
                            "team": team,
                            "role": roles[role_code],
                        },
                    )
                    if created or hashed:
                        if hashed:
                            user.password = hashed
                        else:
                            user.set_unusable_password()
                        user.save(update_fields=["password"])
                    users.append(DemoUser(user.pk, user.team_id, role_code))
    return users


def ensure_catalogue() -> list[tuple[int, int]]:
    """The demo products (found by SKU); returns (product id, unit price in cents)."""
    wanted: list[Product] = []
    for c, (category, items) in enumerate(CATALOGUE, start=1):
        for i, (name, price) in enumerate(items, start=1):
            for e, (edition, percent) in enumerate(EDITIONS, start=1):
                cents = price * percent  # yuan × percent / 100, in cents
                wanted.append(
                    Product(
                        sku=f"DEMO-{c:02d}{i:02d}-{e}",
                        name=f"{name}（{edition}）",
                        category=category,
                        unit_price=money(cents),
                        unit_cost=money(cents * 6 // 10),
                    )
                )
    have = set(Product.objects.filter(sku__startswith="DEMO-").values_list("sku", flat=True))
    Product.objects.bulk_create([p for p in wanted if p.sku not in have])
    rows = Product.objects.filter(sku__in=[p.sku for p in wanted]).order_by("pk")
    return [(pk, round(price * 100)) for pk, price in rows.values_list("pk", "unit_price")]


def ensure_tags() -> list[int]:
    have = set(Tag.objects.filter(name__in=TAGS).values_list("name", flat=True))
    Tag.objects.bulk_create([Tag(name=n) for n in TAGS if n not in have])
    return list(Tag.objects.filter(name__in=TAGS).order_by("pk").values_list("pk", flat=True))


# --- the generator ----------------------------------------------------------------------------


class _Clock:
    """Times as whole seconds from the start of the three-year window, formatted fast: one
    string per day and one per second of the day, joined."""

    def __init__(self, vendor: str, now: dt.datetime) -> None:
        start = now.date() - dt.timedelta(days=365 * YEARS)
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        span = (now.date() - start).days
        self.now = span * DAY + int((now - midnight).total_seconds())
        days = [start + dt.timedelta(days=d) for d in range(span + 1)]
        self.days = [d.isoformat() for d in days]
        self.compact_days = [d.strftime("%Y%m%d") for d in days]
        suffix = "+00:00" if vendor == "postgresql" else ""  # SQLite stores naive UTC
        self.times = [
            f" {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}{suffix}" for s in range(DAY)
        ]

    def fmt(self, t: int) -> str:
        return self.days[t // DAY] + self.times[t % DAY]


class _Generator:
    """Makes the rows of one customer and of its orders, lines and interactions."""

    def __init__(
        self,
        rng: random.Random,
        clock: _Clock,
        users: list[DemoUser],
        products: list[tuple[int, int]],
        tag_ids: list[int],
    ) -> None:
        self.rng = rng
        self.r = rng.random
        self.clock = clock
        sales = [u for u in users if u.role == "sales"]
        managers = [u for u in users if u.role == "manager"]
        self.owners = sales * 4 + managers or users
        self.service_users = [u.pk for u in users if u.role == "service"] or [u.pk for u in users]
        self.products = products
        self.tag_ids = tag_ids
        self.places = tuple(p for p in CN_PLACES for _ in range(p[5]))
        self.surname_pinyin = {s: "".join(lazy_pinyin(s)) for s in set(SURNAMES)}
        self.brand_pinyin = {b: "".join(lazy_pinyin(b)) for b in BRANDS}
        # Each brand has a home city and a legal form, so that the pool of distinct names (and
        # the pinyin that search keys cache per name) stays in the tens of thousands.
        self.brand_home = {
            b: (ORG_CITIES[i % len(ORG_CITIES)], ORG_SUFFIXES[i * 7 % len(ORG_SUFFIXES)])
            for i, b in enumerate(BRANDS)
        }
        first_birthday = dt.date(1950, 1, 1)
        self.birthdays = [
            (first_birthday + dt.timedelta(days=d)).isoformat()
            for d in range((dt.date(2005, 12, 31) - first_birthday).days)
        ]
        # A quarter of the window is "now" minus a month: customers are made before that.
        self.created_window = clock.now - 30 * DAY

    def pick(self, pool: Sequence[Any]) -> Any:
        return pool[int(self.r() * len(pool))]

    def mobile(self) -> str:
        return self.pick(MOBILE_PREFIXES) + f"{int(self.r() * 100_000_000):08d}"

    def person(self) -> dict[str, Any]:
        r = self.r
        female = r() < 0.5
        aliases: list[str] = []
        if r() < 0.8:
            surname = self.pick(SURNAMES)
            name = surname + self.pick(FEMALE_GIVEN if female else MALE_GIVEN)
            latin = self.surname_pinyin[surname]
            if r() < 0.15:
                aliases.append(f"{self.pick(EN_FEMALE if female else EN_MALE)} {latin.title()}")
            local = f"{latin}{int(r() * 9000) + 100}" if r() < 0.5 else f"{latin}.{int(r() * 1e5)}"
            occupation, interests, english = self.pick(OCCUPATIONS_ZH), INTERESTS_ZH, False
        else:
            first, last = self.pick(EN_FEMALE if female else EN_MALE), self.pick(EN_LAST)
            name = f"{first} {last}"
            local = f"{first.lower()}.{last.lower()}{int(r() * 1000)}"
            occupation, interests, english = self.pick(OCCUPATIONS_EN), INTERESTS_EN, True
        return {
            "kind": "person",
            "display_name": name,
            "legal_name": "",
            "short_name": "",
            "aliases": aliases,
            "credit_code": "",
            "gender": "" if r() < 0.1 else ("female" if female else "male"),
            "birthday": self.pick(self.birthdays) if r() < 0.8 else None,
            "occupation": occupation,
            "interests": sorted({self.pick(interests) for _ in range(int(r() * 3))}),
            "industry": self.pick(PERSON_INDUSTRIES),
            "email": f"{local}@{self.pick(EMAIL_DOMAINS)}",
            "english": english,
        }

    def organisation(self, serial: int) -> dict[str, Any]:
        r = self.r
        if r() < 0.75:
            brand = self.pick(BRANDS)
            trade, industry = self.pick(ORG_TRADES)
            (city, suffix), form = self.brand_home[brand], r()
            if form < 0.6:
                legal = f"{city}{brand}{trade}{suffix}"  # 北京华瑞科技有限公司
            elif form < 0.8:
                legal = f"{brand}{trade}（{city}）{suffix}"  # 华瑞科技（北京）有限公司
            else:
                legal = f"{brand}{trade}{suffix}"
            short = brand + trade[:2] if r() < 0.3 else brand
            code = credit_code(serial) if r() < 0.7 else ""
            domain = f"{self.brand_pinyin[brand]}{serial}.example.com"
            local, english = ("info" if r() < 0.5 else "sales"), False
        else:
            first = self.pick(EN_ORG_FIRST)
            trade, industry = self.pick(EN_ORG_TRADES)
            short = f"{first} {trade}"
            legal = f"{short} {self.pick(EN_ORG_SUFFIXES)}"
            code = ""
            domain = f"{first.lower().replace(' ', '')}{serial}.example.com"
            local, english = "contact", True
        return {
            "kind": "organisation",
            "display_name": short if r() < 0.6 else legal,
            "legal_name": legal,
            "short_name": short,
            "aliases": [],
            "credit_code": code,
            "gender": "",
            "birthday": None,
            "occupation": "",
            "interests": [],
            "industry": industry,
            "email": f"{local}@{domain}",
            "domain": domain,
            "english": english,
        }

    def customer(self, batch: _Batch, cid: int, first_order: int, n_orders: int, n_inter: int):
        """Append one customer with its related rows to the batch."""
        r, pick, fmt, now = self.r, self.pick, self.clock.fmt, self.clock.now
        org = r() < 0.3
        data = self.organisation(cid) if org else self.person()
        english = data["english"]

        # When the customer came, and until when they bought.
        created = int(r() * self.created_window)
        s = r()
        if s < 0.75:
            status, end = "active", now
        elif s < 0.9:
            status, end = "dormant", now - int((120 + r() * 240) * DAY)
        else:
            status, end = "churned", now - int((365 + r() * 300) * DAY)
        if end <= created:
            created = int(r() * max(end - DAY, DAY))

        # Contact points: a mobile in one of the usual formats, an e-mail, maybe WeChat.
        national = self.mobile()
        points = [("mobile", cn_mobile_e164(national))]
        batch.points.append((cid, "mobile", pick(mobile_formats(national)), points[0][1], "", True))
        # Primary ones first: the order in which the services read them back for the keys.
        if r() < 0.85:
            email = data["email"]
            points.append(("email", email.lower()))
            batch.points.append((cid, "email", email, email.lower(), "", True))
        if not english and r() < 0.4:
            wechat = f"wxid_{int(r() * 10**10):010d}"
            batch.points.append((cid, "wechat", wechat, wechat, "", True))
        if r() < 0.15:
            other = self.mobile()
            points.append(("mobile", cn_mobile_e164(other)))
            label = "backup" if english else "备用"
            batch.points.append((cid, "mobile", other, points[-1][1], label, False))

        # Address.
        if r() < 0.97:
            province, city, postcode, region, districts, _weight = pick(self.places)
            street = f"{pick(STREETS)}{int(r() * 300) + 1}号"
            if r() < 0.5:
                street += f"{int(r() * 20) + 1}栋{int(r() * 30) + 1}0{int(r() * 8) + 1}室"
            postcode = f"{postcode}{int(r() * 1000):03d}"
            batch.addresses.append(
                (cid, "", "CN", province, city, pick(districts), street, postcode, True)
            )
        else:
            country, state, city, street, postcode = pick(ABROAD)
            region = "海外"
            street = f"{int(r() * 900) + 1} {street}"
            batch.addresses.append((cid, "", country, state, city, "", street, postcode, True))

        # Contacts of an organisation.
        if org:
            for k in range(1 + int(r() * 3)):
                person = self.person()
                title, role = pick(CONTACT_TITLES)
                mob = self.mobile()
                mail = person["email"].split("@")[0] + "@" + data["domain"]
                ts = fmt(created + int(r() * 3600))
                batch.contacts.append(
                    (cid, person["display_name"], title, role, mob, cn_mobile_e164(mob),
                     mail, mail.lower(), "", k == 0, 1, ts, ts)
                )  # fmt: skip

        if r() < 0.3:
            for tag in {pick(self.tag_ids) for _ in range(1 + int(r() * 3))}:
                batch.tags.append((cid, tag))

        # Owner: a third of the base is in the public pool (公海), without owner or team.
        if r() < 0.35:
            owner_id = team_id = None
            actor = pick(self.service_users)
        else:
            owner = pick(self.owners)
            owner_id, team_id, actor = owner.pk, owner.team_id, owner.pk

        spent = self.orders(batch, cid, first_order, n_orders, created, end) if n_orders else 0
        if n_inter:
            self.interactions(
                batch, cid, n_inter, created, min(now, end + 30 * DAY), actor, english
            )

        # Classification that follows from the purchases.
        if status == "churned":
            stage = "churned"
        elif n_orders == 0:
            stage = "prospect"
        elif status == "dormant":
            stage = "at_risk"
        else:
            stage = "new" if n_orders == 1 else "repeat" if n_orders < 6 else "loyal"
        yuan = spent // 100
        grade = "vip" if yuan >= 80_000 else "important" if yuan >= 20_000 else "normal"
        tier = "high" if yuan >= 30_000 else "mid" if yuan >= 5_000 else "low"

        keys = search_keys(
            kind=data["kind"],
            display_name=data["display_name"],
            legal_name=data["legal_name"],
            short_name=data["short_name"],
            aliases=data["aliases"],
            contact_points=points,
        )
        aliases = json.dumps(data["aliases"], ensure_ascii=False) if data["aliases"] else "[]"
        interests = json.dumps(data["interests"], ensure_ascii=False) if data["interests"] else "[]"
        ts = fmt(created)
        consent = r() < 0.45
        batch.customers.append(
            (cid, data["kind"], data["display_name"], data["legal_name"], data["short_name"],
             aliases, "", data["credit_code"], data["gender"], data["birthday"],
             data["occupation"], interests, "", data["industry"], region, pick(SOURCES), grade,
             status, stage, tier if n_orders else "", "{}", "", owner_id, team_id,
             keys["name_key"], keys["pinyin"], keys["pinyin_initials"], keys["search_text"],
             0, "0", "0", None, None, 0, None, 0, 1, ts, ts, None, None, None,
             "", None, consent, ts if consent else None, None, 0)
        )  # fmt: skip

    def orders(self, batch: _Batch, cid: int, first_id: int, n: int, start: int, end: int) -> int:
        """Append n orders with 1–4 lines each between start and end; returns the spend (in
        cents) of those that count as purchases.

        Money is counted in integer cents, so a total is exactly the sum of its lines, and
        written as cents / 100: the shortest repr of that float is the two-decimal amount
        (what PostgreSQL reads), and SQLite stores decimals as REAL in any case."""
        r, now, fmt = self.r, self.clock.now, self.clock.fmt
        currency = settings.DEFAULT_CURRENCY  # the products' (their default)
        products, n_products = self.products, len(self.products)
        compact_days = self.clock.compact_days
        spent = 0
        for oid, t in enumerate(
            sorted(start + int(r() * (end - start)) for _ in range(n)), first_id
        ):
            age = now - t
            if age < 3 * DAY:
                status = "placed" if r() < 0.5 else "paid"
            elif age < 10 * DAY:
                status = "paid" if r() < 0.3 else "shipped"
            else:
                x = r()
                status = "completed" if x < 0.88 else "cancelled" if x < 0.95 else "refunded"
            total = 0
            for _ in range(1 + int(r() * r() * 4)):
                pid, price = products[int(r() * n_products)]
                if r() < 0.3:
                    price = price * (80 + int(r() * 20)) // 100  # a discount
                qty = 1 + int(r() * r() * 6)
                amount = price * qty
                total += amount
                batch.lines.append((oid, pid, qty, price / 100, amount / 100))
            if status not in NOT_PURCHASES:
                spent += total
            ts = fmt(t)
            number = f"SO{compact_days[t // DAY]}-{oid:09d}"  # services use 8 hex digits
            money = total / 100  # in the base currency: worth itself
            batch.orders.append(
                (oid, cid, number, status, ts, currency, money, 1, money, "", None, 1, ts, ts)
            )
        return spent

    def interactions(
        self,
        batch: _Batch,
        cid: int,
        n: int,
        start: int,
        end: int,
        actor: int | None,
        english: bool,
    ) -> None:
        r, pick, fmt = self.r, self.pick, self.clock.fmt
        lang = 1 if english else 0
        span = max(end - start, 1)
        for _ in range(n):
            ts = fmt(start + int(r() * span))
            purpose, channel = pick(PURPOSES), pick(CHANNELS)
            batch.interactions.append(
                (cid, None, channel, "inbound" if r() < 0.35 else "outbound", purpose,
                 pick(SUBJECTS[purpose][lang]), "", ts,
                 1 + int(r() * 45) if channel in TIMED_CHANNELS else None,
                 actor if r() < 0.8 else pick(self.service_users), pick(OUTCOMES),
                 1 + int(r() * 5) if r() < 0.3 else None, 1, ts, ts)
            )  # fmt: skip


def _order_counts(rng: random.Random, n_customers: int, n_orders: int) -> list[int]:
    """How many orders each new customer has: a quarter none (prospects), the others a skewed
    share (a few buy a lot), summing to exactly `n_orders`."""
    if n_customers == 0:
        return []
    r = rng.random
    weights = [0.0 if r() < 0.25 else rng.paretovariate(1.6) for _ in range(n_customers)]
    if not any(weights):
        weights = [1.0] * n_customers
    scale = n_orders / sum(weights)
    counts = [int(w * scale) for w in weights]
    buyers = [i for i, w in enumerate(weights) if w]
    for _ in range(n_orders - sum(counts)):
        counts[buyers[int(r() * len(buyers))]] += 1
    return counts


def _interaction_counts(rng: random.Random, n_customers: int, n_total: int) -> list[int]:
    """About the same number of interactions per customer, summing to exactly `n_total`."""
    if n_customers == 0:
        return []
    r = rng.random
    counts = [0] * n_customers
    for _ in range(n_total):
        counts[int(r() * n_customers)] += 1
    return counts


# --- seeding ----------------------------------------------------------------------------------


def seed(
    *,
    customers: int,
    orders: int,
    interactions: int | None = None,
    seed: int | None = None,
    batch_size: int = 10_000,
    demo_passwords: bool = False,
    rebuild_index: bool | None = None,
    out: Callable[[str], None] = print,
) -> SeedResult:
    """Add `customers` demo customers, with `orders` orders and `interactions` interactions
    spread among them, in transactions of `batch_size` customers with their rows.

    On SQLite, `rebuild_index` (bulk mode) drops the search triggers and the secondary indexes
    of the tables written while inserting, and makes them once at the end; by default it does
    so when the new customers are at least as many as those already there.
    """
    if min(customers, orders, interactions or 0) < 0:
        raise ValueError("counts must not be negative")
    if (orders or interactions) and not customers:
        raise ValueError("orders and interactions need customers")
    if interactions is None:
        interactions = customers * DEFAULT_INTERACTIONS_PER_CUSTOMER
    batch_size = max(1, batch_size)
    rng = random.Random(seed)
    result = SeedResult()
    started = time.perf_counter()
    sqlite = connection.vendor == "sqlite"

    users = ensure_demo_org(rng, demo_passwords=demo_passwords)
    gen = _Generator(
        rng, _Clock(connection.vendor, dt.datetime.now(dt.UTC)), users, ensure_catalogue(),
        ensure_tags(),
    )  # fmt: skip
    order_counts = _order_counts(rng, customers, orders)
    interaction_counts = _interaction_counts(rng, customers, interactions)
    customer_id, order_id = _next_id(Customer), _next_id(Order)
    if not sqlite:
        rebuild_index = False
    elif rebuild_index is None:
        rebuild_index = customers >= max(10_000, Customer.objects.count())
    if sqlite and not rebuild_index and not search_index.triggers_present():
        out("The search triggers were missing (an interrupted seed?): rebuilding the index.")
        search_index.rebuild()

    writer = _Writer()
    last_report = t0 = time.perf_counter()
    tables = [table for table, _columns in writer.tables.values()]
    with (
        bulk.sqlite_bulk_pragmas(),
        search_index.triggers_off(rebuild_index),
        _sqlite_indexes_off(rebuild_index, tables),
    ):
        for start in range(0, customers, batch_size):
            batch = _Batch()
            for index in range(start, min(start + batch_size, customers)):
                n_orders = order_counts[index]
                gen.customer(batch, customer_id, order_id, n_orders, interaction_counts[index])
                customer_id += 1
                order_id += n_orders
            writer.write(batch)
            result.customers += len(batch.customers)
            result.contact_points += len(batch.points)
            result.addresses += len(batch.addresses)
            result.contacts += len(batch.contacts)
            result.tags += len(batch.tags)
            result.orders += len(batch.orders)
            result.order_lines += len(batch.lines)
            result.interactions += len(batch.interactions)
            tick = time.perf_counter()
            if tick - last_report >= 5 or result.customers == customers:
                last_report = tick
                out(
                    f"  {result.customers:,}/{customers:,} customers, {result.orders:,} orders, "
                    f"{result.order_lines:,} lines, {result.interactions:,} interactions: "
                    f"{result.rows / (tick - t0):,.0f} rows/s"
                )
        result.seconds["insert"] = time.perf_counter() - t0
        if rebuild_index:
            out("Creating the indexes and rebuilding the search index…")
        t0 = time.perf_counter()
    if rebuild_index:
        result.seconds["indexes"] = time.perf_counter() - t0
        out(f"Indexes made in {result.seconds['indexes']:.1f} s")

    if connection.vendor == "postgresql":  # explicit ids: move the sequences past them
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Customer, Order]):
                cursor.execute(sql)

    t0 = time.perf_counter()
    with transaction.atomic():
        aggregates.refresh_all()
    result.seconds["aggregates"] = time.perf_counter() - t0
    out(f"Aggregates recomputed in {result.seconds['aggregates']:.1f} s")

    t0 = time.perf_counter()
    completeness.recompute_all()  # the data quality score of every record
    result.seconds["completeness"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    analyze()
    result.seconds["analyze"] = time.perf_counter() - t0
    out(f"ANALYZE in {result.seconds['analyze']:.1f} s")
    result.seconds["total"] = time.perf_counter() - started
    return result
