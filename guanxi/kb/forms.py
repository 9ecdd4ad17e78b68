from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import User
from guanxi.core.web import DateInput, ServiceForm, StyledForm

from .models import MAX_BODY, ArticleStatus, Category


class ArticleForm(ServiceForm):
    title = forms.CharField(label=_("title"), max_length=200)
    status = forms.ChoiceField(
        label=_("status"), choices=ArticleStatus.choices, initial=ArticleStatus.DRAFT
    )
    category = forms.ModelChoiceField(
        label=_("category"), queryset=Category.objects.all(), required=False
    )
    tags = forms.CharField(
        label=_("tags"),
        required=False,
        max_length=700,
        help_text=_("Separated by commas, e.g. 退货, shipping."),
    )
    body = forms.CharField(
        label=_("text"),
        required=False,
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 16, "class": "font-monospace"}),
        help_text=_(
            "Markdown: **bold**, *italic*, # heading, - list, [link](https://…), tables. "
            "Scripts and unsafe links are removed."
        ),
    )
    owner = forms.ModelChoiceField(
        label=_("owner"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Keeps the article current and is reminded when it is due for review."),
    )
    review_due_on = forms.DateField(
        label=_("review due"),
        required=False,
        widget=DateInput(),
        help_text=_("Empty: set automatically when the article is published."),
    )
    note = forms.CharField(
        label=_("change note"),
        required=False,
        max_length=200,
        help_text=_("What you changed, kept with this revision."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(is_active=True).order_by("username")
        if not self.is_bound and not self.initial.get("owner"):
            self.initial["owner"] = user.pk

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        data.pop("note", None)
        data["tags"] = [t for t in (data.get("tags") or "").replace("，", ",").split(",")]
        return data


class CategoryForm(StyledForm):
    name = forms.CharField(label=_("name"), max_length=100)
    position = forms.IntegerField(label=_("position"), min_value=0, max_value=10_000, initial=0)


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    category = forms.ModelChoiceField(queryset=Category.objects.all(), required=False)
    status = forms.ChoiceField(choices=[("", ""), *ArticleStatus.choices], required=False)
    tag = forms.CharField(required=False, max_length=30)
