"""Default care plans (VIP every 30 days, important every 60, normal none) and a greeting
template for every occasion, in Chinese and English; an administrator edits them."""

from django.db import migrations

PLANS = [
    ("VIP care", "vip", 30),
    ("Important customer care", "important", 60),
]

TEMPLATES = {
    "birthday": (
        "{name}，生日快乐！",
        "亲爱的{name}：\n\n祝您生日快乐，身体健康，万事如意！\n\n{owner_name}",
        "Happy birthday, {name}!",
        "Dear {name},\n\nHappy birthday! We wish you health and happiness in the year ahead.\n\n"
        "{owner_name}",
    ),
    "new_year": (
        "新年快乐！",
        "{name}您好：\n\n感谢您一直以来的支持，恭祝新年快乐，万事顺意！\n\n{owner_name}",
        "Happy New Year!",
        "Dear {name},\n\nThank you for your trust this year. Happy New Year!\n\n{owner_name}",
    ),
    "spring_festival": (
        "恭贺新春！",
        "{name}您好：\n\n值此{festival}之际，恭祝您和家人新春快乐，阖家幸福！\n\n{owner_name}",
        "Happy Chinese New Year!",
        "Dear {name},\n\nOur best wishes to you and your family for the {festival}!\n\n"
        "{owner_name}",
    ),
    "lantern": (
        "元宵节快乐！",
        "{name}您好：\n\n{festival}快乐，祝您团团圆圆，幸福美满！\n\n{owner_name}",
        "Happy Lantern Festival!",
        "Dear {name},\n\nWarm wishes for the {festival}!\n\n{owner_name}",
    ),
    "dragon_boat": (
        "端午安康！",
        "{name}您好：\n\n{festival}将至，祝您端午安康！\n\n{owner_name}",
        "Happy Dragon Boat Festival!",
        "Dear {name},\n\nBest wishes for the {festival}!\n\n{owner_name}",
    ),
    "qixi": (
        "七夕快乐！",
        "{name}您好：\n\n{festival}快乐，愿您与所爱之人幸福美满！\n\n{owner_name}",
        "Happy Qixi Festival!",
        "Dear {name},\n\nWarm wishes for the {festival}!\n\n{owner_name}",
    ),
    "mid_autumn": (
        "中秋快乐！",
        "{name}您好：\n\n月圆人团圆，恭祝您{festival}快乐，阖家安康！\n\n{owner_name}",
        "Happy Mid-Autumn Festival!",
        "Dear {name},\n\nMay the full moon bring you and your family joy. "
        "Happy {festival}!\n\n{owner_name}",
    ),
    "national_day": (
        "国庆快乐！",
        "{name}您好：\n\n{festival}快乐，祝您假期愉快！\n\n{owner_name}",
        "Happy National Day!",
        "Dear {name},\n\nBest wishes for the {festival} holiday!\n\n{owner_name}",
    ),
    "double_ninth": (
        "重阳安康！",
        "{name}您好：\n\n{festival}到来之际，祝您和家人健康长寿！\n\n{owner_name}",
        "Best wishes for the Double Ninth Festival",
        "Dear {name},\n\nWishing you and your family good health on the {festival}.\n\n"
        "{owner_name}",
    ),
    "christmas": (
        "圣诞快乐！",
        "{name}您好：\n\n祝您圣诞快乐，节日愉快！\n\n{owner_name}",
        "Merry Christmas!",
        "Dear {name},\n\nMerry Christmas and best wishes for the season!\n\n{owner_name}",
    ),
}


def add(apps, schema_editor):
    CarePlan = apps.get_model("care", "CarePlan")
    GreetingTemplate = apps.get_model("care", "GreetingTemplate")
    for name, grade, days in PLANS:
        CarePlan.objects.get_or_create(
            name=name, defaults={"grade": grade, "cadence_days": days, "task_kind": "visit"}
        )
    for occasion, (subject_zh, body_zh, subject_en, body_en) in TEMPLATES.items():
        GreetingTemplate.objects.get_or_create(
            occasion=occasion,
            defaults={
                "subject_zh": subject_zh,
                "body_zh": body_zh,
                "subject_en": subject_en,
                "body_en": body_en,
                "task_days_ahead": 3,
                "enabled": True,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("care", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
