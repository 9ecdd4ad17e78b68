"""The customer base: people and organisations, their contact points, addresses and contacts."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CustomerKind(models.TextChoices):
    PERSON = "person", _("person")
    ORGANISATION = "organisation", _("organisation")


class Grade(models.TextChoices):
    VIP = "vip", _("VIP")
    IMPORTANT = "important", _("important")
    NORMAL = "normal", _("normal")


class Status(models.TextChoices):
    # "active" is also a yes/no field (a product, a custom field): the status needs its own word.
    ACTIVE = "active", pgettext_lazy("customer status", "active")
    DORMANT = "dormant", _("dormant")
    CHURNED = "churned", _("churned")


class LifecycleStage(models.TextChoices):
    PROSPECT = "prospect", _("prospect")
    NEW = "new", _("new")
    REPEAT = "repeat", _("repeat")
    LOYAL = "loyal", _("loyal")
    AT_RISK = "at_risk", _("at risk")
    CHURNED = "churned", _("churned")
    WON_BACK = "won_back", _("won back")


class ValueTier(models.TextChoices):
    HIGH = "high", _("high")
    MID = "mid", _("mid")
    LOW = "low", _("low")


class Gender(models.TextChoices):
    FEMALE = "female", _("female")
    MALE = "male", _("male")
    OTHER = "other", _("other")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)
    color = models.CharField(_("colour"), max_length=20, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("text")
    NUMBER = "number", _("number")
    DATE = "date", _("date")
    BOOLEAN = "boolean", _("yes / no")
    CHOICE = "choice", _("choice")
    MULTI_CHOICE = "multi_choice", _("multiple choice")


class AppliesTo(models.TextChoices):
    ALL = "all", _("all customers")
    PERSON = "person", _("people")
    ORGANISATION = "organisation", _("organisations")


class CustomFieldDefinition(models.Model):
    key = models.SlugField(_("key"), max_length=50, unique=True)
    label = models.CharField(_("label"), max_length=100)
    field_type = models.CharField(_("type"), max_length=20, choices=CustomFieldType.choices)
    applies_to = models.CharField(
        _("applies to"), max_length=20, choices=AppliesTo.choices, default=AppliesTo.ALL
    )
    required = models.BooleanField(_("required"), default=False)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    min_value = models.DecimalField(
        _("minimum"), max_digits=20, decimal_places=6, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("maximum"), max_digits=20, decimal_places=6, null=True, blank=True
    )
    pattern = models.CharField(_("pattern (regular expression)"), max_length=200, blank=True)
    help_text = models.CharField(_("help text"), max_length=200, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")

    def __str__(self) -> str:
        return self.label


# Identifying codes: each indexed with deleted_at (see Customer.Meta.indexes).
CODE_FIELDS = ("credit_code", "external_id", "identity_code")


def code_lookup(field: str, values: Iterable[str]) -> Q:
    """Customers whose `field` (one of CODE_FIELDS) is one of the non-empty `values`: the one
    way lookups by code are written, so that they stay answerable from the code's index (an
    empty code is shared by most customers and never matches)."""
    if field not in CODE_FIELDS:
        raise ValueError(field)
    return Q(**{f"{field}__in": [v for v in values if v]})


class Customer(models.Model):
    kind = models.CharField(
        _("kind"), max_length=20, choices=CustomerKind.choices, default=CustomerKind.PERSON
    )
    display_name = models.CharField(_("name"), max_length=200)
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    aliases = models.JSONField(_("aliases"), default=list, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    # A person's identity document number (居民身份证号 or a passport number): matching only.
    identity_code = models.CharField(_("identity number"), max_length=32, blank=True)

    # Person details.
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    interests = models.JSONField(_("interests"), default=list, blank=True)
    preferences = models.TextField(_("preferences"), blank=True)

    # Classification.
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=100, blank=True)
    grade = models.CharField(_("grade"), max_length=20, choices=Grade.choices, default=Grade.NORMAL)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    lifecycle_stage = models.CharField(
        _("lifecycle stage"),
        max_length=20,
        choices=LifecycleStage.choices,
        default=LifecycleStage.PROSPECT,
    )
    value_tier = models.CharField(
        _("value tier"), max_length=10, choices=ValueTier.choices, blank=True
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="+")
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
    )

    # Keys for search and duplicate detection, kept by services.
    name_key = models.CharField(max_length=200, blank=True, editable=False)
    pinyin = models.CharField(max_length=400, blank=True, editable=False)
    pinyin_initials = models.CharField(max_length=200, blank=True, editable=False)
    search_text = models.TextField(blank=True, editable=False)

    # Per-customer aggregates, kept current in the same transaction as the facts.
    order_count = models.PositiveIntegerField(_("orders"), default=0, editable=False)
    total_spent = models.DecimalField(
        _("total spent"), max_digits=16, decimal_places=2, default=Decimal("0"), editable=False
    )
    average_order_value = models.DecimalField(
        _("average order"), max_digits=16, decimal_places=2, default=Decimal("0"), editable=False
    )
    first_purchase_at = models.DateTimeField(
        _("first purchase"), null=True, blank=True, editable=False
    )
    last_purchase_at = models.DateTimeField(
        _("last purchase"), null=True, blank=True, editable=False
    )
    interaction_count = models.PositiveIntegerField(_("interactions"), default=0, editable=False)
    last_interaction_at = models.DateTimeField(
        _("last contact"), null=True, blank=True, editable=False
    )
    open_tickets = models.PositiveIntegerField(_("open tickets"), default=0, editable=False)

    # Who brought this customer to us (referral value, #6).
    referred_by = models.ForeignKey(
        "self",
        verbose_name=_("referred by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
    )
    # Consent to marketing messages (greetings by e-mail, campaigns); changed by the customer
    # through the portal or by staff on their word, with the time it was given or withdrawn.
    marketing_consent = models.BooleanField(_("consents to marketing"), default=False)
    marketing_consent_at = models.DateTimeField(
        _("consent changed"), null=True, blank=True, editable=False
    )
    # Freshness and completeness of the record (data quality, #4).
    verified_at = models.DateTimeField(_("last verified"), null=True, blank=True, editable=False)
    completeness = models.PositiveSmallIntegerField(_("completeness"), default=0, editable=False)

    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["owner", "id"], name="customer_owner_id"),
            models.Index(fields=["team", "id"], name="customer_team_id"),
            models.Index(fields=["name_key"], name="customer_name_key"),
            models.Index(fields=["pinyin_initials"], name="customer_pinyin_initials"),
            models.Index(fields=["pinyin"], name="customer_pinyin"),
            models.Index(fields=["display_name", "id"], name="customer_display_name"),
            models.Index(fields=["updated_at", "id"], name="customer_updated"),
            models.Index(fields=["created_at", "id"], name="customer_created"),
            models.Index(fields=["last_purchase_at", "id"], name="customer_last_purchase"),
            models.Index(fields=["total_spent", "id"], name="customer_total_spent"),
            models.Index(fields=["deleted_at"], name="customer_deleted"),
            # With deleted_at, so that a lookup of live customers by code is answered by the
            # index alone. Not partial: SQLite uses a partial index (WHERE code <> '') only when
            # the query repeats that condition with a literal, which the ORM never writes.
            models.Index(fields=["credit_code", "deleted_at"], name="customer_credit_code"),
            models.Index(fields=["external_id", "deleted_at"], name="customer_external_id"),
            models.Index(fields=["identity_code", "deleted_at"], name="customer_identity_code"),
            models.Index(fields=["verified_at", "id"], name="customer_verified"),
            models.Index(fields=["completeness", "id"], name="customer_completeness"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class CustomerShare(models.Model):
    """A customer shared with a user or with a whole team."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="shares")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    can_edit = models.BooleanField(_("may edit"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, team__isnull=True)
                | Q(user__isnull=True, team__isnull=False),
                name="share_user_xor_team",
            ),
            models.UniqueConstraint(
                fields=["customer", "user"],
                name="share_unique_user",
                condition=Q(user__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["customer", "team"],
                name="share_unique_team",
                condition=Q(team__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["user", "customer"], name="share_user_customer"),
            models.Index(fields=["team", "customer"], name="share_team_customer"),
        ]

    def __str__(self) -> str:
        target = f"user {self.user_id}" if self.user_id else f"team {self.team_id}"
        return f"{self.customer_id} → {target}"


class ContactPointKind(models.TextChoices):
    MOBILE = "mobile", _("mobile")
    PHONE = "phone", _("phone")
    EMAIL = "email", _("e-mail")
    WECHAT = "wechat", _("WeChat")
    QQ = "qq", _("QQ")
    WEBSITE = "website", _("website")
    OTHER = "other", _("other")


PHONE_KINDS = (ContactPointKind.MOBILE, ContactPointKind.PHONE)


class ContactPoint(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contact_points")
    kind = models.CharField(_("kind"), max_length=20, choices=ContactPointKind.choices)
    value = models.CharField(_("value"), max_length=200)
    normalized = models.CharField(max_length=200, editable=False)
    label = models.CharField(_("label"), max_length=50, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        indexes = [models.Index(fields=["normalized", "customer"], name="contactpoint_normalized")]
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")

    def __str__(self) -> str:
        return f"{self.kind}: {self.value}"


class Address(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    label = models.CharField(_("label"), max_length=50, blank=True)
    country = models.CharField(_("country"), max_length=2, default="CN")
    province = models.CharField(_("province"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    district = models.CharField(_("district"), max_length=50, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=12, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self) -> str:
        return " ".join(p for p in (self.province, self.city, self.district, self.street) if p)


class ContactRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("decision maker")
    INFLUENCER = "influencer", _("influencer")
    USER = "user", _("user")
    PURCHASING = "purchasing", _("purchasing")
    FINANCE = "finance", _("finance")
    TECHNICAL = "technical", _("technical")
    OTHER = "other", _("other")


class Contact(models.Model):
    """A person at an organisation: a name, a title, a role and how to reach them."""

    organisation = models.ForeignKey(
        Customer, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=100)
    # A contact's title is their position (职务), unlike the title of a task or an article.
    title = models.CharField(pgettext_lazy("job title", "title"), max_length=100, blank=True)
    role = models.CharField(
        _("role"), max_length=20, choices=ContactRole.choices, default=ContactRole.OTHER
    )
    mobile = models.CharField(_("mobile"), max_length=50, blank=True)
    mobile_normalized = models.CharField(max_length=50, blank=True, editable=False)
    email = models.CharField(_("e-mail"), max_length=200, blank=True)
    email_normalized = models.CharField(max_length=200, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_primary", "id"]
        indexes = [
            models.Index(fields=["mobile_normalized"], name="contact_mobile"),
            models.Index(fields=["email_normalized"], name="contact_email"),
        ]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name


class Note(models.Model):
    """A free-text note on a customer, written by a user; part of the customer's timeline."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="note_set"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = models.TextField(_("note"), max_length=10000)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"], name="note_customer_time")]
        verbose_name = _("note")
        verbose_name_plural = _("notes")

    def __str__(self) -> str:
        return self.body[:50]


class ContactKeyKind(models.TextChoices):
    PHONE = "phone", _("phone")
    EMAIL = "email", _("e-mail")


class UniqueContactKey(models.Model):
    """A normalised phone number or e-mail address claimed by one live customer's contact point,
    while the administrator makes that kind unique (data quality settings).

    The UNIQUE constraint is what makes uniqueness hold when two users save at the same moment:
    the second insert fails and the service turns that into a field error. The key belongs to
    the contact point row, so moving the point to another customer (a merge) keeps it valid;
    deleting the point (or moving its customer to the recycle bin) releases it."""

    kind = models.CharField(max_length=10, choices=ContactKeyKind.choices)
    normalized = models.CharField(max_length=200)
    contact_point = models.OneToOneField(
        ContactPoint, on_delete=models.CASCADE, related_name="unique_key"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "normalized"], name="unique_contact_key")
        ]
        verbose_name = _("unique contact key")
        verbose_name_plural = _("unique contact keys")

    def __str__(self) -> str:
        return f"{self.kind}:{self.normalized}"
