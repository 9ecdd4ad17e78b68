"""Demo work on top of the demo customer base: a pipeline with opportunities, tickets in every
state, customer needs, a satisfaction survey with answers and knowledge-base articles, so that
`make run` shows each module with something in it.

Everything goes through the services as the demo users (a service agent, sales reps, a
manager), so it is validated and audited like real work. Small and quick: a few hundred rows.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from guanxi.accounts.models import User
from guanxi.core import context
from guanxi.customers.models import Customer

ARTICLES = (
    ("售后服务", "退货与换货流程 Returns and exchanges",
     "## 退货\n\n收到商品 7 天内可无理由退货，15 天内质量问题可换货。\n\n"
     "1. 在订单中申请退货\n2. 客服审核（1 个工作日内）\n3. 寄回商品，收到后 3 个工作日内退款\n\n"
     "## Returns\n\nGoods may be returned within 7 days of delivery; faulty goods are exchanged "
     "within 15 days.", ["退货", "换货", "returns"]),
    ("售后服务", "发票开具说明 Invoices",
     "增值税普通发票和专用发票均可开具。专用发票需提供**统一社会信用代码**、开户行和账号。\n\n"
     "Invoices are issued within 3 working days of payment.", ["发票", "invoice"]),
    ("产品", "产品保修政策 Warranty",
     "| 产品 | 保修期 |\n|---|---|\n| 主机 | 2 年 |\n| 配件 | 1 年 |\n\n"
     "The warranty covers manufacturing faults, not wear or misuse.", ["保修", "warranty"]),
    ("物流", "配送时效与运费 Delivery times",
     "江浙沪次日达，其他地区 2–4 天。订单满 199 元包邮。\n\n"
     "Orders over ¥199 ship free; remote regions may take longer.", ["物流", "delivery"]),
    ("客户关系", "大客户回访要点 Visiting key accounts",
     "- 回访前查看 360° 页面的最近互动和未结工单\n- 记录客户需求\n- 回访后更新下次跟进任务",
     ["回访", "VIP"]),
)  # fmt: skip

TICKETS = (
    ("product", "产品收到时外壳破损", "high"),
    ("delivery", "物流超过一周未到", "normal"),
    ("price", "希望批量采购有折扣", "low"),
    ("service", "客服电话一直占线", "normal"),
    ("product", "设备开机后异响", "urgent"),
    ("other", "需要重新开具发票", "normal"),
    ("delivery", "Parcel delivered to the wrong address", "high"),
    ("product", "Spare part missing from the box", "normal"),
)
NEEDS = (
    ("希望提供上门安装服务", "service", "high"),
    ("需要英文版说明书", "product", "medium"),
    ("希望按季度结算", "price", "medium"),
    ("需要与 ERP 系统对接", "product", "critical"),
    ("Wants a loyalty discount for repeat orders", "price", "low"),
)


def _users(role: str) -> list[User]:
    return list(User.objects.filter(role__code=role, is_active=True).order_by("id"))


def seed_workflows(*, seed: int = 7, out: Callable[[str], None] = print) -> None:
    """Add the demo work. Skips quietly when the demo users are not there."""
    rng = random.Random(seed)
    admins = list(User.objects.filter(is_superuser=True).order_by("id")[:1])
    agents, reps, managers = _users("service"), _users("sales"), _users("manager")
    if not (admins and agents and reps and managers):
        out("Demo work: skipped (no demo users).")
        return
    admin = admins[0]
    # Demo customers' addresses are made up: rating requests and survey links are not mailed.
    quiet_mail = override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend")
    with quiet_mail, context.acting_as(source=context.Source.JOB), transaction.atomic():
        _articles(admin, agents[0], out)
        _pipeline(admin, reps, rng, out)
        _tickets(agents, reps, rng, out)
        _needs(reps, rng, out)
        _survey(managers[0], rng, out)


def _articles(admin: User, agent: User, out) -> None:
    from guanxi.kb import services

    categories = {}
    for category, title, body, tags in ARTICLES:
        if category not in categories:
            categories[category] = services.save_category(actor=admin, category=None, name=category)
        services.create_article(
            actor=agent,
            data={
                "title": title,
                "body": body,
                "tags": tags,
                "category": categories[category],
                "status": "published",
            },
        )
    out(f"Demo work: {len(ARTICLES)} knowledge-base articles.")


def _pipeline(admin: User, reps: list[User], rng: random.Random, out) -> None:
    from guanxi.pipeline import services
    from guanxi.pipeline.models import LostReason, Outcome

    pipeline = services.create_pipeline(actor=admin, data={"name": "销售漏斗 Sales"})
    stages = list(pipeline.stages.filter(outcome=Outcome.OPEN).order_by("position"))
    reason = LostReason.objects.order_by("position").first()
    made = 0
    for rep in reps:
        customers = list(Customer.objects.filter(owner=rep, deleted_at__isnull=True)[:8])
        for customer in customers:
            topic = rng.choice(["年度采购", "设备升级", "Renewal"])
            opp = services.create_opportunity(
                actor=rep,
                data={
                    "name": f"{customer.display_name} · {topic}",
                    "customer": customer,
                    "pipeline": pipeline,
                    "stage": stages[0],
                    "amount": Decimal(rng.randrange(5, 300) * 1000),
                },
            )
            for stage in stages[1 : rng.randrange(1, len(stages) + 1)]:
                opp = services.move_opportunity(
                    actor=rep, opportunity=opp, stage=stage, version=opp.version
                )
            fate = rng.random()
            if fate < 0.15:
                services.win_opportunity(actor=rep, opportunity=opp, version=opp.version)
            elif fate < 0.25 and reason is not None:
                services.lose_opportunity(
                    actor=rep, opportunity=opp, version=opp.version, lost_reason=reason
                )
            made += 1
            _spread_stays(opp, rng)
    out(f"Demo work: {made} opportunities.")


def _spread_stays(opp, rng: random.Random) -> None:
    """The demo's moves happen within a second; spread the opportunity's stage history over
    the weeks before now (1 to 20 days a stage), so that "time in stage" reads as in use."""
    from guanxi.pipeline.models import Opportunity, StageChange

    stays = list(StageChange.objects.filter(opportunity=opp).order_by("entered_at", "id"))
    end = timezone.now()
    for stay in reversed(stays):
        if stay.left_at is not None:
            stay.left_at = end
        stay.entered_at = end - dt.timedelta(hours=rng.randrange(24, 24 * 20))
        stay.seconds = (
            int((stay.left_at - stay.entered_at).total_seconds()) if stay.left_at else None
        )
        end = stay.entered_at
    StageChange.objects.bulk_update(stays, ["entered_at", "left_at", "seconds"])
    if stays:
        moved = Opportunity.objects.filter(pk=opp.pk)
        moved.update(stage_entered_at=stays[-1].entered_at)
        moved.filter(closed_at__isnull=False).update(closed_at=stays[-1].entered_at)


def _tickets(agents: list[User], reps: list[User], rng: random.Random, out) -> None:
    from guanxi.tickets import services
    from guanxi.tickets.models import TicketCategory

    categories = {c.code: c for c in TicketCategory.objects.all()}
    customers = list(
        Customer.objects.filter(owner__in=reps, deleted_at__isnull=True).order_by("id")[:60]
    )
    made = 0
    for i, customer in enumerate(customers[:24]):
        code, subject, priority = TICKETS[i % len(TICKETS)]
        agent = agents[i % len(agents)]
        ticket = services.create_ticket(
            actor=agent,
            data={
                "customer": customer,
                "category": categories.get(code) or next(iter(categories.values())),
                "subject": subject,
                "priority": priority,
                "assignee": agent,
            },
        )
        steps = rng.choice([[], ["reply"], ["reply", "wait"], ["reply", "resolve"],
                            ["reply", "resolve", "close"]])  # fmt: skip
        for step in steps:
            if step == "reply":
                services.add_reply(actor=agent, ticket=ticket, body="您好，我们已收到，正在处理。")
            else:
                ticket = services.change_status(actor=agent, ticket=ticket, action=step)
        if "resolve" in steps and rng.random() < 0.7:
            services.rate_ticket(ticket=ticket, rating=rng.choice([3, 4, 5, 5, 2]))
        made += 1
    out(f"Demo work: {made} tickets.")


def _needs(reps: list[User], rng: random.Random, out) -> None:
    from guanxi.needs import services

    made = 0
    for rep in reps:
        for customer in Customer.objects.filter(owner=rep, deleted_at__isnull=True)[:3]:
            title, category, importance = rng.choice(NEEDS)
            services.create_need(
                actor=rep,
                data={
                    "customer": customer,
                    "title": title,
                    "category": category,
                    "importance": importance,
                },
            )
            made += 1
    out(f"Demo work: {made} customer needs.")


def _survey(manager: User, rng: random.Random, out) -> None:
    from guanxi.customers.selectors import customer_list
    from guanxi.surveys import services

    survey = services.create_survey(
        actor=manager, data={"title": "2026 年客户满意度调查 Satisfaction 2026", "kind": "csat"}
    )
    survey = services.set_survey_status(
        actor=manager, survey=survey, status="active", version=survey.version
    )
    question = survey.questions.get()
    answered = 0
    for customer in customer_list(user=manager).order_by("id")[:30]:
        link = services.get_or_create_link(actor=manager, survey=survey, customer=customer)
        if rng.random() < 0.7:
            services.submit_response(
                link=link, answers={str(question.pk): rng.choice([2, 3, 4, 4, 5, 5])}
            )
            answered += 1
    out(f"Demo work: a satisfaction survey with {answered} answers.")
