from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core.web import StyledForm
from guanxi.tickets.models import TicketCategory, TicketKind


class FeedbackForm(StyledForm):
    kind = forms.ChoiceField(label=_("What is it about?"), choices=TicketKind.choices)
    category = forms.ModelChoiceField(label=_("topic"), queryset=TicketCategory.objects.none())
    subject = forms.CharField(label=_("subject"), max_length=200)
    description = forms.CharField(
        label=_("message"), max_length=20000, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = TicketCategory.objects.filter(is_active=True)


class ReplyForm(StyledForm):
    body = forms.CharField(
        label=_("your message"), max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )


class RatingForm(StyledForm):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you?"),
        coerce=int,
        choices=[(i, str(i)) for i in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("comment (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ConsentForm(StyledForm):
    marketing_consent = forms.BooleanField(
        label=_("Yes, you may send me news and offers."), required=False
    )
