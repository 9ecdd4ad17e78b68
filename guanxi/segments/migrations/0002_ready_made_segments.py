"""Ready-made segments (editable copies are made from them): demographic, behavioural and
psychographic. Names are stored in Chinese and English ("中文 · English") because a data
migration cannot know the reader's language.

Income band: income is not a customer field. When a custom field `income_band` (a choice) is
defined at the time this runs, one segment per choice is created; otherwise none (an admin builds
them in the rule builder once the field exists: "Custom fields → income band is …").
"""

from django.db import migrations


def _c(field, operator, value=None, **params):
    node = {"type": "condition", "field": field, "operator": operator}
    if value is not None:
        node["value"] = value
    if params:
        node["params"] = params
    return node


def _g(*rules, op="and"):
    return {"type": "group", "op": op, "negate": False, "rules": list(rules)}


AGE_BANDS = [(18, 24), (25, 34), (35, 44), (45, 54), (55, 64)]
RFM = [
    ("champions", "重要价值客户", "Champions"),
    ("loyal", "忠诚客户", "Loyal"),
    ("potential", "潜力客户", "Potential loyalists"),
    ("new", "新客户", "New customers"),
    ("promising", "有前景客户", "Promising"),
    ("need_attention", "需关注客户", "Need attention"),
    ("at_risk", "流失风险客户", "At risk"),
    ("cannot_lose", "不能失去的客户", "Cannot lose them"),
    ("hibernating", "沉睡客户", "Hibernating"),
    ("lost", "已流失客户", "Lost"),
]
REGIONS = [
    ("华东", "East China"),
    ("华北", "North China"),
    ("华南", "South China"),
    ("华中", "Central China"),
    ("西南", "Southwest China"),
    ("西北", "Northwest China"),
    ("东北", "Northeast China"),
]
INTERESTS = [
    (["旅游", "旅行", "travel"], "旅行爱好者", "Travel lovers"),
    (["运动", "健身", "sports", "fitness"], "运动健身", "Sports and fitness"),
    (["美食", "烹饪", "food", "cooking"], "美食爱好者", "Food lovers"),
    (["科技", "数码", "technology", "gadgets"], "科技数码", "Tech and gadgets"),
    (["时尚", "美妆", "fashion", "beauty"], "时尚美妆", "Fashion and beauty"),
    (["母婴", "亲子", "parenting", "family"], "亲子家庭", "Parents and families"),
    (["阅读", "读书", "reading", "books"], "阅读爱好者", "Readers"),
    (["户外", "露营", "outdoor", "camping"], "户外生活", "Outdoor lifestyle"),
]


def ready_made(apps):
    out = []
    for low, high in AGE_BANDS:
        out.append(
            (f"年龄 {low}–{high} 岁 · Age {low}–{high}", "demographic",
             _g(_c("age", "between", [low, high])))
        )
    out.append(("年龄 65 岁及以上 · Age 65+", "demographic", _g(_c("age", "gte", 65))))
    out.append(("女性客户 · Women", "demographic", _g(_c("gender", "eq", "female"))))
    out.append(("男性客户 · Men", "demographic", _g(_c("gender", "eq", "male"))))
    for zh, en in REGIONS:
        out.append((f"{zh}地区 · {en}", "demographic", _g(_c("region", "contains", zh))))
    Definition = apps.get_model("customers", "CustomFieldDefinition")
    income = Definition.objects.filter(key="income_band", field_type="choice").first()
    if income:
        for choice in income.choices or []:
            out.append(
                (f"收入 {choice} · Income {choice}", "demographic",
                 _g(_c("cf.income_band", "eq", str(choice))))
            )
    for value, zh, en in RFM:
        out.append((f"RFM：{zh} · RFM: {en}", "behavioural",
                    _g(_c("score.rfm_segment", "eq", value))))
    out.append(("一次性购买客户 · One-time buyers", "behavioural", _g(_c("order_count", "eq", 1))))
    out.append(("购买 2–4 次 · 2–4 purchases", "behavioural",
                _g(_c("order_count", "between", [2, 4]))))
    out.append(("购买 5 次及以上 · 5+ purchases", "behavioural", _g(_c("order_count", "gte", 5))))
    out.append(("近 90 天有购买 · Bought in the last 90 days", "behavioural",
                _g(_c("last_purchase_at", "in_last_days", 90))))
    out.append(("沉默客户（超过 180 天未购买）· Lapsed (no purchase for 180+ days)", "behavioural",
                _g(_c("order_count", "gte", 1), _c("last_purchase_at", "not_in_last_days", 180))))
    out.append(("从未购买 · Never bought", "behavioural", _g(_c("order_count", "eq", 0))))
    for values, zh, en in INTERESTS:
        out.append(
            (f"{zh} · {en}", "psychographic",
             _g(_c("interests", "has_any", values), _c("tags", "has_any", values), op="or"))
        )
    return out


def create(apps, schema_editor):
    Segment = apps.get_model("segments", "Segment")
    for name, kind, rules in ready_made(apps):
        Segment.objects.get_or_create(
            name=name, builtin=True,
            defaults={"kind": kind, "rules": rules, "visibility": "everyone"},
        )


def remove(apps, schema_editor):
    apps.get_model("segments", "Segment").objects.filter(builtin=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0001_initial"),
        ("customers", "0005_quality_consent_referral"),
    ]

    operations = [migrations.RunPython(create, remove)]
