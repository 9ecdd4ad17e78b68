from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core.web import ServiceForm


class ReturnForm(ServiceForm):
    reason = forms.CharField(
        label=_("reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the customer goes back to the pool; the next rep reads it."),
    )
