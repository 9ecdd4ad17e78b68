"""Forms of the import and export pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core.web import StyledForm
from guanxi.customers.models import CustomerKind

from .mapping import targets
from .models import FileFormat, ImportKey, ImportMode
from .services import IMPORT_KIND_CHOICES


class UploadForm(StyledForm):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or GBK) or Excel (.xlsx); the first row holds the column names."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )


class MappingForm(StyledForm):
    mode = forms.ChoiceField(label=_("Mode"), choices=ImportMode.choices, initial="create")
    key = forms.ChoiceField(
        label=_("Match existing customers by"),
        required=False,
        choices=[("", _("— nothing (create mode) —")), *ImportKey.choices],
    )
    kind = forms.ChoiceField(
        label=_("Kind of customers"),
        choices=IMPORT_KIND_CHOICES,
        initial=CustomerKind.PERSON,
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: show what would happen, change nothing"), required=False, initial=True
    )

    def __init__(self, *args, headers, sample, definitions, suggestions, **kwargs):
        super().__init__(*args, **kwargs)
        choices = targets(definitions)
        self.columns = []
        for index, header in enumerate(headers):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(
                label=header or _("(column %(n)d)") % {"n": index + 1},
                choices=choices,
                required=False,
                initial=suggestions.get(str(index), ""),
            )
            examples = [row[index] for row in sample if index < len(row) and row[index]][:3]
            self.columns.append((name, examples))
        self.style_fields()

    def style_fields(self) -> None:
        from guanxi.core.web import style_widgets

        style_widgets(self)

    def column_fields(self):
        return [(self[name], examples) for name, examples in self.columns]

    def mapping(self) -> dict[str, str]:
        return {
            name.removeprefix("col_"): self.cleaned_data.get(name) or ""
            for name, _examples in self.columns
        }


class ExportForm(forms.Form):
    file_format = forms.ChoiceField(choices=FileFormat.choices)
    query = forms.CharField(required=False, max_length=2000)
