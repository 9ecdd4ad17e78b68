"""Care plans (visit cadences by grade), greetings on birthdays and festivals, their message
templates, each customer's greeting preferences, and the log that keeps greetings unique."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanxi.customers.models import Grade
from guanxi.followups.models import TaskKind


class CarePlan(models.Model):
    """Customers of a grade not contacted within `cadence_days` get a task for their owner."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    grade = models.CharField(_("grade"), max_length=20, choices=Grade.choices)
    cadence_days = models.PositiveIntegerField(
        _("contact every (days)"), validators=[MinValueValidator(1), MaxValueValidator(3650)]
    )
    task_kind = models.CharField(
        _("task kind"), max_length=20, choices=TaskKind.choices, default=TaskKind.VISIT
    )
    active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["grade", "name", "id"]
        verbose_name = _("care plan")
        verbose_name_plural = _("care plans")

    def __str__(self) -> str:
        return self.name


class CareTask(models.Model):
    """A task a care plan made for a customer (at most one open per customer and plan)."""

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="care_tasks")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="care_tasks"
    )
    task = models.OneToOneField(
        "followups.Task", on_delete=models.CASCADE, related_name="care_task"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["customer", "plan"], name="caretask_customer_plan")]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.task_id}"


class BirthdayCalendar(models.TextChoices):
    GREGORIAN = "gregorian", _("Gregorian calendar")
    LUNAR = "lunar", _("lunar calendar (农历)")


class GreetingLanguage(models.TextChoices):
    CHINESE = "zh-hans", _("Chinese")
    ENGLISH = "en", pgettext_lazy("language", "English")


class CareProfile(models.Model):
    """How a customer is greeted: the calendar of their birthday and the language."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="care_profile"
    )
    calendar = models.CharField(
        _("birthday calendar"),
        max_length=10,
        choices=BirthdayCalendar.choices,
        default=BirthdayCalendar.GREGORIAN,
    )
    # The lunar month and day of the birth date, derived by the service when the calendar is
    # lunar (kept so that the daily job finds today's birthdays with an index).
    lunar_month = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    lunar_day = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    lunar_leap = models.BooleanField(default=False, editable=False)
    language = models.CharField(
        _("greeting language"),
        max_length=10,
        choices=GreetingLanguage.choices,
        default=GreetingLanguage.CHINESE,
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["calendar", "lunar_month", "lunar_day"], name="careprofile_lunar")
        ]
        verbose_name = _("greeting preferences")
        verbose_name_plural = _("greeting preferences")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.calendar}"


class Occasion(models.TextChoices):
    BIRTHDAY = "birthday", _("Birthday")
    NEW_YEAR = "new_year", _("New Year")
    SPRING_FESTIVAL = "spring_festival", _("Spring Festival (春节)")
    LANTERN = "lantern", _("Lantern Festival (元宵)")
    DRAGON_BOAT = "dragon_boat", _("Dragon Boat Festival (端午)")
    QIXI = "qixi", _("Qixi Festival (七夕)")
    MID_AUTUMN = "mid_autumn", _("Mid-Autumn Festival (中秋)")
    NATIONAL_DAY = "national_day", _("National Day (国庆)")
    DOUBLE_NINTH = "double_ninth", _("Double Ninth Festival (重阳)")
    CHRISTMAS = "christmas", _("Christmas")


# The occasion's name as a greeting says it ({festival}): plain words, in the message's language.
OCCASION_NAMES = {
    Occasion.BIRTHDAY: pgettext_lazy("occasion name", "birthday"),
    Occasion.NEW_YEAR: pgettext_lazy("occasion name", "New Year"),
    Occasion.SPRING_FESTIVAL: pgettext_lazy("occasion name", "Spring Festival"),
    Occasion.LANTERN: pgettext_lazy("occasion name", "Lantern Festival"),
    Occasion.DRAGON_BOAT: pgettext_lazy("occasion name", "Dragon Boat Festival"),
    Occasion.QIXI: pgettext_lazy("occasion name", "Qixi Festival"),
    Occasion.MID_AUTUMN: pgettext_lazy("occasion name", "Mid-Autumn Festival"),
    Occasion.NATIONAL_DAY: pgettext_lazy("occasion name", "National Day"),
    Occasion.DOUBLE_NINTH: pgettext_lazy("occasion name", "Double Ninth Festival"),
    Occasion.CHRISTMAS: pgettext_lazy("occasion name", "Christmas"),
}


class GreetingTemplate(models.Model):
    """The message of one occasion, in Chinese and English, with the customer's fields as
    placeholders such as {name}."""

    occasion = models.CharField(_("occasion"), max_length=20, choices=Occasion.choices, unique=True)
    enabled = models.BooleanField(_("send greetings"), default=True)
    grades = models.JSONField(
        _("grades"), default=list, blank=True, help_text=_("None chosen: every grade.")
    )
    task_days_ahead = models.PositiveSmallIntegerField(
        _("tasks this many days ahead"),
        default=3,
        validators=[MaxValueValidator(60)],
        help_text=_("Owners of customers who cannot be e-mailed get a task this many days before."),
    )
    subject_zh = models.CharField(_("subject (Chinese)"), max_length=200)
    body_zh = models.TextField(_("message (Chinese)"), max_length=5000)
    subject_en = models.CharField(_("subject (English)"), max_length=200)
    body_en = models.TextField(_("message (English)"), max_length=5000)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("greeting template")
        verbose_name_plural = _("greeting templates")

    def __str__(self) -> str:
        return str(self.get_occasion_display())


class GreetingChannel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    WECHAT = "wechat", _("WeChat")
    PHONE = "phone", _("phone")


class GreetingStatus(models.TextChoices):
    SENDING = "sending", _("being sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed, will be retried")
    TASK = "task", _("task for the owner")


class Greeting(models.Model):
    """One greeting of one customer for one occasion of one year: the row that makes sure no
    customer gets the same greeting twice (unique), written before the e-mail goes out."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="greetings"
    )
    occasion = models.CharField(_("occasion"), max_length=20, choices=Occasion.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    occasion_date = models.DateField(_("date"))
    channel = models.CharField(_("channel"), max_length=10, choices=GreetingChannel.choices)
    status = models.CharField(_("status"), max_length=10, choices=GreetingStatus.choices)
    task = models.ForeignKey(
        "followups.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    interaction = models.ForeignKey(
        "interactions.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "occasion", "year"], name="greeting_once_per_year"
            )
        ]
        indexes = [models.Index(fields=["status", "id"], name="greeting_status")]
        ordering = ["-id"]
        verbose_name = _("greeting")
        verbose_name_plural = _("greetings")

    def __str__(self) -> str:
        return f"{self.customer_id} {self.occasion} {self.year}"
