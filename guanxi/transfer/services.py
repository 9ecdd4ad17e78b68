"""Every write of imports and exports. Imports are adapters over the customers' services:
validation and normalisation are the customers' own (`prepare_new_customer`,
`update_customer`); rows are written in batches, each in one transaction together with the
import's checkpoint, so that an import killed half way resumes without doubling rows."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.accounts.models import User
from guanxi.accounts.policies import has_perm
from guanxi.audit import services as audit
from guanxi.audit.models import AuditAction
from guanxi.core import bulk, context
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.customers import normalize
from guanxi.customers import services as customer_services
from guanxi.customers.models import (
    PHONE_KINDS,
    ContactPoint,
    ContactPointKind,
    Customer,
    CustomerKind,
    CustomFieldDefinition,
    code_lookup,
)
from guanxi.customers.selectors import custom_field_list, customer_list
from guanxi.jobs.services import start_job

from . import files
from .mapping import CUSTOM_PREFIX, TARGETS, RowError, RowReader, custom_cell, parse_custom
from .models import (
    Export,
    FileFormat,
    Import,
    ImportFile,
    ImportKey,
    ImportMode,
    ImportRowError,
    TransferStatus,
)

log = logging.getLogger(__name__)

IMPORT_JOB = "transfer.import"
PREVIEW_ROWS = 5
RACE_ATTEMPTS = 3  # runs of a batch that met another transaction's unique key (see below)
KIND_FROM_COLUMN = "column"
IMPORT_KIND_CHOICES = [*CustomerKind.choices, (KIND_FROM_COLUMN, gettext_lazy("given by a column"))]


class _Rollback(Exception):
    """Raised inside a dry run's batch transaction to undo it."""


# --- upload and mapping -----------------------------------------------------------------------


def may_import(user: User) -> bool:
    return has_perm(user, "customers", "create") or has_perm(user, "customers", "change")


def may_export(user: User) -> bool:
    return has_perm(user, "customers", "export")


@transaction.atomic
def upload_import(*, actor: User, filename: str, content: bytes, language: str = "") -> Import:
    """Check an uploaded file (size, type, encoding, header, rows) and keep it for mapping."""
    if not may_import(actor):
        raise PermissionDeniedError()
    filename = normalize.clean_text(filename or "")[:200]
    info = files.inspect(filename=filename, content=content)
    imp = Import.objects.create(
        created_by=actor,
        language=language[:10],
        filename=filename,
        size=len(content),
        **info,
    )
    ImportFile.objects.create(import_run=imp, content=content)
    audit.record_create(
        actor=actor, instance=imp, fields=("filename", "file_format", "size", "total_rows")
    )
    return imp


def active_definitions() -> dict[str, CustomFieldDefinition]:
    return {d.key: d for d in CustomFieldDefinition.objects.filter(active=True)}


def _clean_mapping(imp: Import, mapping: Any) -> dict[str, str]:
    if not isinstance(mapping, dict):
        raise ValidationError({"mapping": _("Map the columns to fields.")})
    allowed = set(TARGETS) | {f"{CUSTOM_PREFIX}{k}" for k in active_definitions()}
    out: dict[str, str] = {}
    used: dict[str, str] = {}
    for raw_index, target in mapping.items():
        try:
            index = int(raw_index)
        except (TypeError, ValueError):
            index = imp.headers.index(raw_index) if raw_index in imp.headers else -1
        if not 0 <= index < len(imp.headers):
            raise ValidationError({"mapping": _("There is no column “%(c)s”.") % {"c": raw_index}})
        if not target:
            continue
        if not isinstance(target, str) or target not in allowed:
            raise ValidationError(
                {"mapping": _("“%(f)s” is not a field that can be imported.") % {"f": target}}
            )
        if target in used:
            raise ValidationError(
                {
                    "mapping": _("The columns “%(a)s” and “%(b)s” are both mapped to %(f)s.")
                    % {"a": used[target], "b": imp.headers[index], "f": TARGETS.get(target, target)}
                }
            )
        used[target] = imp.headers[index]
        out[str(index)] = target
    return out


@transaction.atomic
def start_import(
    *,
    actor: User,
    imp: Import,
    mapping: Any,
    mode: str,
    key: str = "",
    kind: str = CustomerKind.PERSON,
    dry_run: bool = True,
) -> Import:
    """Set the mapping and options of an uploaded file and start the import job (a dry run
    writes nothing and reports what would happen)."""
    locked = Import.objects.select_for_update().get(pk=imp.pk)
    if locked.created_by_id != actor.pk:
        raise PermissionDeniedError()
    if locked.status in (TransferStatus.QUEUED, TransferStatus.RUNNING):
        raise ValidationError(_("This import is already running."))
    if locked.file_deleted:
        raise ValidationError(_("This file has been deleted; upload it again."))
    if locked.status == TransferStatus.DONE and not locked.dry_run:
        raise ValidationError(_("This file has already been imported; upload it again."))
    if mode not in ImportMode.values:
        raise ValidationError({"mode": _("Choose a mode.")})
    need = {"create": ["create"], "update": ["change"], "upsert": ["create", "change"]}[mode]
    if not all(has_perm(actor, "customers", action) for action in need):
        raise PermissionDeniedError()
    if locked.status == TransferStatus.FAILED and locked.mapping:
        # A run that stopped half way resumes from its checkpoint with the options it had:
        # the rows before it are in, and starting over would create them twice.
        locked.status = TransferStatus.QUEUED
        locked.message = ""
        locked.job = start_job(kind=IMPORT_JOB, actor=actor, params={"import_id": locked.pk})
        locked.save(update_fields=["status", "message", "job"])
        return locked
    clean = _clean_mapping(locked, mapping)
    targets = set(clean.values())
    errors: dict[str, str] = {}
    if key and key not in ImportKey.values:
        errors["key"] = _("Choose how rows are matched to customers.")
    elif mode != ImportMode.CREATE and not key:
        errors["key"] = _("Choose how rows are matched to existing customers.")
    elif key:
        wanted = {"external_id": {"external_id"}, "credit_code": {"credit_code"},
                  "phone": {"mobile", "phone"}, "email": {"email"}}[key]  # fmt: skip
        if not wanted & targets:
            errors["key"] = _("Map a column to the field the rows are matched by.")
    if kind not in (*CustomerKind.values, KIND_FROM_COLUMN):
        errors["kind"] = _("Choose the kind of customers.")
    elif kind == KIND_FROM_COLUMN and "kind" not in targets:
        errors["kind"] = _("Map a column to the kind, or choose one kind for every row.")
    if mode != ImportMode.UPDATE and not targets & {"display_name", "legal_name", "short_name"}:
        errors["mapping"] = _("Map a column to the name (or the legal name) of the customers.")
    if not targets:
        errors["mapping"] = _("Map at least one column to a field.")
    if errors:
        raise ValidationError(errors)
    locked.mapping = clean
    locked.mode = mode
    locked.key = key or ""
    locked.kind = "" if kind == KIND_FROM_COLUMN else kind
    locked.dry_run = bool(dry_run)
    locked.status = TransferStatus.QUEUED
    locked.rows_done = locked.created_count = locked.updated_count = 0
    locked.skipped_count = locked.error_count = 0
    locked.preview = {}
    locked.message = ""
    locked.finished_at = None
    locked.errors.all().delete()
    locked.job = start_job(kind=IMPORT_JOB, actor=actor, params={"import_id": locked.pk})
    locked.save()
    return locked


# --- running ------------------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    cells: list[str]
    data: dict[str, Any] = field(default_factory=dict)
    key: str | None = None
    keys: list[str] = field(default_factory=list)  # every value of the key in the row
    merged_into: _Row | None = None
    version: int | None = None  # the customer's version when the file was exported


@dataclass
class _Outcome:
    created: list[tuple[int, str]] = field(default_factory=list)
    updated: list[tuple[int, str]] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    errors: list[ImportRowError] = field(default_factory=list)


def _find_by_key(key: str, values: Iterable[str]) -> tuple[dict[str, int], set[str]]:
    """Live customers whose match key has one of these (normalised) values: {value: id}, and
    the values that more than one customer has (a phone or an e-mail where the administrator
    does not make them unique): such a value does not say which customer a row updates. A
    write-side lookup over the whole base (as the uniqueness checks): whether the user may
    touch the customer found is decided after, through the selector."""
    values = list(set(values))
    if not values:
        return {}, set()
    live = Customer.objects.filter(deleted_at__isnull=True)
    if key in (ImportKey.EXTERNAL_ID, ImportKey.CREDIT_CODE):
        pairs = live.filter(code_lookup(key, values)).order_by().values_list(key, "id")
    else:
        kinds = PHONE_KINDS if key == ImportKey.PHONE else (ContactPointKind.EMAIL,)
        pairs = ContactPoint.objects.filter(
            normalized__in=values, kind__in=kinds, customer__deleted_at__isnull=True
        ).values_list("normalized", "customer_id")
    found: dict[str, int] = {}
    shared: set[str] = set()
    for value, pk in pairs:
        if found.setdefault(value, pk) != pk:
            shared.add(value)
    return found, shared


class _ChangedSinceExport(Exception):
    """An update row's customer has another version than the file says."""


class ImportRun:
    """One run of an import (or of its dry run) over the stored file, batch by batch."""

    def __init__(self, imp: Import, progress=None):
        self.imp = imp
        self.actor: User = imp.created_by
        self.progress = progress
        self.definitions = active_definitions()
        self.active_list = list(self.definitions.values())
        self.reader = RowReader(
            imp.headers, imp.mapping, kind=imp.kind, definitions=self.definitions
        )
        self.owner_column = self.reader.column_of.get("owner", "")
        self._owners: dict[str, tuple[User, Any] | str] = {}
        self.default_team = None
        self.default_error = ""
        try:
            self.default_team = customer_services.validate_assignment(
                actor=self.actor, owner=self.actor
            )
        except ValidationError as exc:
            self.default_error = exc.messages[0]
        # Dry run: keys already seen in earlier batches (those were rolled back).
        self.seen_keys: set[str] = set()
        self.preview: dict[str, list] = {k: list(v) for k, v in (imp.preview or {}).items()}

    # -- helpers --

    def _owner(self, row: _Row) -> tuple[User | None, Any]:
        username = normalize.clean_text(row.data.pop("owner", "") or "")
        if not username:
            if self.default_error:
                raise RowError(self.owner_column, self.default_error)
            return self.actor, self.default_team
        if username not in self._owners:
            user = User.objects.filter(username=username).select_related("team").first()
            if user is None:
                self._owners[username] = _("There is no user “%(name)s”.") % {"name": username}
            else:
                try:
                    team = customer_services.validate_assignment(actor=self.actor, owner=user)
                    self._owners[username] = (user, team)
                except ValidationError as exc:
                    self._owners[username] = exc.messages[0]
        found = self._owners[username]
        if isinstance(found, str):
            raise RowError(self.owner_column, found)
        return found

    def _error(self, outcome: _Outcome, row: _Row, column: str, message: str) -> None:
        outcome.errors.append(
            ImportRowError(
                import_run=self.imp,
                row_number=row.number,
                column=column[:200],
                message=message,
                values=row.cells,
            )
        )

    def _row_error(self, outcome: _Outcome, row: _Row, exc: RowError) -> None:
        for column, message in exc.problems:
            self._error(outcome, row, column, message)

    def _validation_error(
        self, outcome: _Outcome, row: _Row, exc: ValidationError, data: dict | None = None
    ) -> None:
        """`data`: what was sent to the service, when not the row's own (an update sends the
        customer's contact points before the row's: the keys' indexes are in that list)."""
        if hasattr(exc, "error_dict"):
            for key, messages in exc.message_dict.items():
                column = self._column(key, row.data if data is None else data)
                self._error(outcome, row, column, " ".join(messages))
        else:
            self._error(outcome, row, "", " ".join(exc.messages))

    def _column(self, key: str, data: dict[str, Any]) -> str:
        parts = key.split(".")
        if parts[0] == "contact_points" and len(parts) > 1 and parts[1].isdigit():
            points = data.get("contact_points") or []
            i = int(parts[1])
            return self.reader.column_of.get(points[i]["kind"], "") if i < len(points) else ""
        if parts[0] == "addresses" and len(parts) > 2:
            return self.reader.column_of.get(parts[2], "")
        if parts[0] == "custom_fields" and len(parts) > 1:
            # A field the file has no column for (one made required since): its label.
            definition = self.definitions.get(parts[1])
            label = definition.label if definition is not None else parts[1]
            return self.reader.column_of.get(CUSTOM_PREFIX + parts[1], label)
        if parts[0] == "display_name" and "display_name" not in self.reader.column_of:
            return self.reader.column_of.get("legal_name", "")
        return self.reader.column_of.get(parts[0], "")

    # -- a batch --

    def _parse(self, rows: list[_Row], outcome: _Outcome) -> list[_Row]:
        good = []
        key = self.imp.key
        for row in rows:
            try:
                row.data, problems = self.reader.read_all(row.cells)
                row.version = row.data.pop("version", None)
                if problems:
                    self._unreadable(outcome, row, problems)
                    continue
                if key:
                    row.keys = self.reader.key_values(key, row.data)
                    row.key = row.keys[0] if row.keys else None
                    if row.key is None and self.imp.mode != ImportMode.CREATE:
                        column = self.reader.column_of.get(
                            {"phone": "mobile"}.get(key, key)
                        ) or self.reader.column_of.get("phone", "")
                        raise RowError(
                            column, _("This column is empty: it is needed to find the customer.")
                        )
            except RowError as exc:
                self._row_error(outcome, row, exc)
                continue
            good.append(row)
        return good

    def _unreadable(self, outcome: _Outcome, row: _Row, problems: list[tuple[str, str]]) -> None:
        """A row with cells that cannot be read is not imported. Its other cells are still
        checked by the customers' rules where the row would create a customer (a create
        import), so that the error file tells every mistake of the row at once."""
        for column, message in problems:
            self._error(outcome, row, column, message)
        if self.imp.mode != ImportMode.CREATE:
            return  # an update's rules depend on the customer it would match
        told = {column for column, _message in problems}
        checked = _Outcome()
        try:
            self._prepare_new(row)
        except RowError as exc:
            self._row_error(checked, row, exc)
        except ValidationError as exc:
            self._validation_error(checked, row, exc)
        outcome.errors += [e for e in checked.errors if e.column not in told]

    def _prepare_new(self, row: _Row) -> customer_services.PreparedCustomer:
        """The row as a new customer, checked by the customers' rules (nothing written).
        Raises RowError (the owner column) or ValidationError."""
        owner, team = self._owner(row)
        return customer_services.prepare_new_customer(
            actor=self.actor,
            data=row.data,
            owner=owner,
            team=team,
            definitions=self.active_list,
        )

    def _process(self, rows: list[_Row]) -> _Outcome:
        outcome = _Outcome()
        mode, key = self.imp.mode, self.imp.key
        good = self._parse(rows, outcome)
        existing, shared = (
            _find_by_key(key, [k for r in good for k in r.keys]) if key else ({}, set())
        )
        creates: list[_Row] = []
        updates: list[tuple[_Row, int]] = []
        first_of: dict[str, _Row] = {}
        for row in good:
            # The customer of the first of the row's keys that one has (a phone typed before
            # the known ones in the cell still finds the customer).
            found = next((k for k in row.keys if k in existing), None)
            if found is not None:
                row.key = found
            if found in shared and mode != ImportMode.CREATE:
                self._error(
                    outcome,
                    row,
                    self.reader.header(_key_field(key)),
                    _(
                        "More than one customer has this %(key)s, so it does not say which one "
                        "to update: match by external id or unified social credit code instead."
                    )
                    % {"key": ImportKey(key).label},
                )
                continue
            pk = existing.get(found) if found is not None else None
            seen = self.imp.dry_run and any(k in self.seen_keys for k in row.keys)
            if pk is not None or seen:
                if mode == ImportMode.CREATE:
                    self._error(
                        outcome,
                        row,
                        self.reader.header(_key_field(key)),
                        _("A customer with this %(key)s already exists.")
                        % {"key": ImportKey(key).label},
                    )
                elif pk is None:  # dry run: created by an earlier (rolled back) batch
                    outcome.updated.append((row.number, _name(row.data)))
                else:
                    updates.append((row, pk))
                continue
            if mode == ImportMode.UPDATE:
                self._error(
                    outcome,
                    row,
                    self.reader.header(_key_field(key)),
                    _("Customer not found or not yours."),
                )
                continue
            earlier = next((first_of[k] for k in row.keys if k in first_of), None)
            if earlier is not None:
                first = earlier
                if mode == ImportMode.CREATE:
                    self._error(
                        outcome,
                        row,
                        self.reader.header(_key_field(key)),
                        _("The same %(key)s is already in row %(row)d.")
                        % {"key": ImportKey(key).label, "row": first.number},
                    )
                else:  # upsert: the later row updates the customer the first one creates
                    _merge(first.data, row.data)
                    row.merged_into = first
                continue
            for k in row.keys:
                first_of.setdefault(k, row)
            creates.append(row)
        self._creates(creates, good, outcome)
        self._updates(updates, outcome)
        return outcome

    def _creates(self, rows: list[_Row], good: list[_Row], outcome: _Outcome) -> None:
        prepared: list[tuple[_Row, customer_services.PreparedCustomer]] = []
        for row in rows:
            try:
                prepared.append((row, self._prepare_new(row)))
            except RowError as exc:
                self._row_error(outcome, row, exc)
            except ValidationError as exc:
                self._validation_error(outcome, row, exc)
        # The unified social credit code is unique among live customers, and in the file.
        codes = {p.customer.credit_code for _r, p in prepared if p.customer.credit_code}
        taken = set(
            Customer.objects.filter(code_lookup("credit_code", codes), deleted_at__isnull=True)
            .order_by()
            .values_list("credit_code", flat=True)
        )
        kept: list[tuple[_Row, customer_services.PreparedCustomer]] = []
        in_file: dict[str, int] = {}  # credit code: the row of the file that has it first
        for row, p in prepared:
            code = p.customer.credit_code
            if code and code in in_file:
                self._error(
                    outcome,
                    row,
                    self.reader.header("credit_code"),
                    _("The same %(key)s is already in row %(row)d.")
                    % {"key": ImportKey.CREDIT_CODE.label, "row": in_file[code]},
                )
                continue
            if code and code in taken:
                self._error(
                    outcome,
                    row,
                    self.reader.header("credit_code"),
                    _("Another customer already has this unified social credit code."),
                )
                continue
            if code:
                in_file[code] = row.number
            kept.append((row, p))
        # Phone numbers and e-mails the administrator made unique: against the base and the file.
        clashes = customer_services.new_contact_key_clashes(
            actor=self.actor,
            prepared=[p for _r, p in kept],
            labels=[_("Row %(row)d") % {"row": row.number} for row, _p in kept],
        )
        for index in sorted(clashes):
            self._validation_error(outcome, kept[index][0], clashes[index])
        kept = [item for index, item in enumerate(kept) if index not in clashes]
        if not kept:
            return
        names = sorted({n for _r, p in kept for n in p.tag_names})
        tags = customer_services.tags_by_name(actor=self.actor, names=names) if names else {}
        customer_services.create_prepared_customers(
            actor=self.actor, prepared=[p for _r, p in kept], tags=tags
        )
        created_rows = {id(row) for row, _p in kept}
        for row, p in kept:
            outcome.created.append((row.number, p.customer.display_name))
            self.seen_keys.update(row.keys)
        for row in good:
            if row.merged_into is not None and id(row.merged_into) in created_rows:
                outcome.updated.append((row.number, _name(row.merged_into.data)))
            elif row.merged_into is not None:
                self._error(
                    outcome,
                    row,
                    "",
                    _("Not imported: row %(row)d, with the same key, has errors.")
                    % {"row": row.merged_into.number},
                )

    def _updates(self, rows: list[tuple[_Row, int]], outcome: _Outcome) -> None:
        if not rows:
            return
        ids = {pk for _r, pk in rows}
        visible = {
            c.pk: c
            for c in customer_list(user=self.actor)
            .filter(pk__in=ids)
            .select_related("owner")
            .prefetch_related("contact_points", "addresses", "tags")
        }
        not_yours = _("Customer not found or not yours.")
        for row, pk in rows:
            customer = visible.get(pk)
            if customer is None:
                self._error(outcome, row, self.reader.header(_key_field(self.imp.key)), not_yours)
                continue
            data = dict(row.data)
            if "kind" not in self.reader.column_of:
                data.pop("kind", None)
            owner = data.get("owner")
            if owner is not None and customer.owner_id and owner == customer.owner.username:
                # The owner it has (an exported list names every owner): its team stays too.
                del data["owner"]
            if "owner" in data:
                try:
                    data["owner"], data["team"] = self._owner(row)
                except RowError as exc:
                    self._row_error(outcome, row, exc)
                    continue
            _merge_related(customer, data)
            _merge_custom_fields(customer, data, self.definitions)
            before = customer.version
            try:
                with transaction.atomic():
                    saved = customer_services.update_customer(
                        actor=self.actor, customer=customer, data=data, version=before
                    )
                    if row.version not in (None, before) and saved.version != before:
                        # The row would change a customer someone changed after the export:
                        # undone (this savepoint), so that their edit is not written over.
                        raise _ChangedSinceExport()
            except PermissionDeniedError:
                self._error(outcome, row, self.reader.header(_key_field(self.imp.key)), not_yours)
                continue
            except _ChangedSinceExport:
                self._error(
                    outcome,
                    row,
                    self.reader.header("version"),
                    _(
                        "This customer was changed after the file was exported (version "
                        "%(file)s, now %(now)s): export it again and make this row's changes "
                        "there."
                    )
                    % {"file": row.version, "now": before},
                )
                continue
            except ConflictError as exc:
                self._error(outcome, row, "", exc.message)
                continue
            except ValidationError as exc:
                self._validation_error(outcome, row, exc, data)
                continue
            if saved.version == before:
                outcome.skipped.append((row.number, saved.display_name))
            else:
                outcome.updated.append((row.number, saved.display_name))
                visible[pk] = saved  # a later row of the batch may update it again
            self.seen_keys.update(row.keys)

    def _keep_preview(self, outcome: _Outcome) -> None:
        for name, items in (
            ("created", outcome.created),
            ("updated", outcome.updated),
            ("skipped", outcome.skipped),
        ):
            shown = self.preview.setdefault(name, [])
            for number, label in items:
                if len(shown) >= PREVIEW_ROWS:
                    break
                shown.append([number, label])
        shown = self.preview.setdefault("errors", [])
        for error in outcome.errors:
            if len(shown) >= PREVIEW_ROWS:
                break
            shown.append([error.row_number, error.column, error.message])

    def _checkpoint(self, outcome: _Outcome, rows_done: int) -> None:
        ImportRowError.objects.bulk_create(outcome.errors, batch_size=1000)
        self._keep_preview(outcome)
        error_rows = len({e.row_number for e in outcome.errors})
        Import.objects.filter(pk=self.imp.pk).update(
            rows_done=rows_done,
            created_count=F("created_count") + len(outcome.created),
            updated_count=F("updated_count") + len(outcome.updated),
            skipped_count=F("skipped_count") + len(outcome.skipped),
            error_count=F("error_count") + error_rows,
            preview=self.preview,
        )

    def run_batch(self, rows: list[_Row], rows_done: int) -> None:
        """Write one batch in one transaction (a dry run rolls its writes back and keeps only
        the checkpoint). On PostgreSQL another transaction can save the same unique key (a
        credit code, or a phone or e-mail the administrator made unique) between the batch's
        checks and its inserts; SQLite's writers take turns. The batch is then rolled back
        whole and run again from its cells: its checks now see the other customer and name the
        clash as that row's error, and the other rows are imported."""
        for attempt in range(1, RACE_ATTEMPTS + 1):
            seen_keys, preview = set(self.seen_keys), {k: list(v) for k, v in self.preview.items()}
            fresh = [_Row(number=row.number, cells=row.cells) for row in rows]
            try:
                self._run_batch_once(fresh, rows_done)
                break
            except IntegrityError:
                self.seen_keys, self.preview = seen_keys, preview
                if attempt == RACE_ATTEMPTS:
                    raise
                log.info("import %s: a unique key was taken meanwhile, batch again", self.imp.pk)
        if self.progress is not None:
            self.progress.advance_to(rows_done, force=True)

    def _run_batch_once(self, rows: list[_Row], rows_done: int) -> None:
        if self.imp.dry_run:
            try:
                with transaction.atomic():
                    outcome = self._process(rows)
                    raise _Rollback
            except _Rollback:
                pass
            with transaction.atomic():
                self._checkpoint(outcome, rows_done)
        else:
            with transaction.atomic():
                outcome = self._process(rows)
                self._checkpoint(outcome, rows_done)

    def run(self) -> None:
        content = ImportFile.objects.filter(import_run_id=self.imp.pk).values_list(
            "content", flat=True
        )
        table = files.open_table(bytes(content.get()), self.imp.file_format, self.imp.encoding)
        start = self.imp.rows_done  # the checkpoint: rows already handled by an earlier attempt
        if self.progress is not None and self.imp.total_rows:
            self.progress.set_total(self.imp.total_rows)
        size = settings.IMPORT_BATCH_SIZE
        numbered = enumerate(table.rows)
        done = start
        batch: list[_Row] = []
        with bulk.sqlite_bulk_pragmas():
            for index, cells in itertools.islice(numbered, start, None):
                done = index + 1
                if any(cells):
                    batch.append(_Row(number=table.first_row_number + index, cells=cells))
                if len(batch) >= size:
                    self.run_batch(batch, done)
                    batch = []
            if batch or done != self.imp.rows_done:
                self.run_batch(batch, done)


def _key_field(key: str) -> str:
    return {"phone": "mobile"}.get(key, key)


def _name(data: dict[str, Any]) -> str:
    return str(data.get("display_name") or data.get("legal_name") or data.get("short_name") or "")


def _merge(first: dict[str, Any], later: dict[str, Any]) -> None:
    """A later row with the same key: its values win, its contact points and tags add up."""
    for name, value in later.items():
        if name in ("contact_points", "tags"):
            first[name] = [*first.get(name, []), *value]
        elif name == "custom_fields":
            first[name] = {**first.get(name, {}), **value}
        else:
            first[name] = value


def _merge_related(customer: Customer, data: dict[str, Any]) -> None:
    """An update adds contact points and tags to the customer's and fills its primary address;
    it never removes what the file does not mention. Contact points and addresses the file
    leaves as they are are not sent at all (a role that may not change contact details can
    still import a list it exported, where they are masked)."""
    if "contact_points" in data:
        old_points = [
            {"kind": p.kind, "value": p.value, "label": p.label, "is_primary": p.is_primary}
            for p in customer.contact_points.all()
        ]
        have = {(p.kind, p.normalized) for p in customer.contact_points.all()}
        if all((p["kind"], _point_key(p)) in have for p in data["contact_points"]):
            del data["contact_points"]
        else:
            data["contact_points"] = old_points + data["contact_points"]
    if "addresses" in data:
        old = [
            {f: getattr(a, f) for f in customer_services.ADDRESS_FIELDS}
            | {"is_primary": a.is_primary}
            for a in customer.addresses.all()
        ]
        new = data["addresses"][0]
        primary = next((a for a in old if a["is_primary"]), None)
        if primary is None:
            old.append({**new, "is_primary": True})
        elif all(_same_text(primary.get(k), v) for k, v in new.items()):
            old = None
        else:
            primary.update(new)
        if old is None:
            del data["addresses"]
        else:
            data["addresses"] = old
    if "tags" in data:
        data["tags"] = [t.name for t in customer.tags.all()] + data["tags"]


def _merge_custom_fields(
    customer: Customer, data: dict[str, Any], definitions: dict[str, CustomFieldDefinition]
) -> None:
    """An update sets the custom fields the file has a value for and keeps every other one
    (the service takes the whole set: a file with one custom column must not erase the rest).
    A cell that says what the customer has, as the export writes it, is not sent: the
    customer's value stays as it is, also for a field that no longer applies to its kind."""
    if "custom_fields" not in data:
        return
    stored = dict(customer.custom_fields or {})
    changed = {}
    for key, value in data["custom_fields"].items():
        definition = definitions.get(key)
        if key in stored and definition is not None:
            try:
                same = parse_custom(definition, str(custom_cell(definition, stored[key])))
            except ValidationError:
                same = None
            if same == value:
                continue
        changed[key] = value
    if changed:
        data["custom_fields"] = {**stored, **changed}
    else:
        del data["custom_fields"]


def _point_key(point: dict[str, Any]) -> str | None:
    """The normalised value of a contact point from a file; None when it is not valid (the
    service then says why)."""
    try:
        if point["kind"] in PHONE_KINDS:
            return normalize.normalize_phone(point["value"])
        if point["kind"] == ContactPointKind.EMAIL:
            return normalize.normalize_email(point["value"])
        return normalize.text_key(point["value"])
    except ValidationError:
        return None


def _same_text(stored: Any, typed: Any) -> bool:
    return normalize.clean_text(str(stored or "")) == normalize.clean_text(str(typed or ""))


def import_request_id(imp: Import) -> str:
    return f"import:{imp.pk}"


def run_import(*, import_id: int, progress=None) -> dict[str, Any]:
    """The job: run (or resume) an import in the user's language, from its checkpoint."""
    imp = Import.objects.select_related("created_by").get(pk=import_id)
    if imp.status == TransferStatus.DONE:
        return {"import_id": imp.pk}
    Import.objects.filter(pk=imp.pk).update(status=TransferStatus.RUNNING)
    language = imp.language or imp.created_by.language or settings.LANGUAGE_CODE
    try:
        # Every event of the run says where it came from: source "import", and the import's
        # number where a request's id would be.
        with (
            translation.override(language),
            context.acting_as(source=context.Source.IMPORT, request_id=import_request_id(imp)),
        ):
            ImportRun(imp, progress).run()
    except Exception as exc:
        Import.objects.filter(pk=imp.pk).update(
            status=TransferStatus.FAILED, message=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    Import.objects.filter(pk=imp.pk).update(status=TransferStatus.DONE, finished_at=timezone.now())
    imp.refresh_from_db()
    return {
        "import_id": imp.pk,
        "created": imp.created_count,
        "updated": imp.updated_count,
        "skipped": imp.skipped_count,
        "errors": imp.error_count,
    }


# --- exports ------------------------------------------------------------------------------------

EXPORT_JOB = "transfer.export"
EXPORT_BATCH = 2000


@transaction.atomic
def start_export(
    *,
    actor: User,
    file_format: str,
    filters: str = "",
    ids: Any = None,
    language: str = "",
) -> Export:
    """Export the customers the list shows for `filters` (its query string), or the ticked
    `ids`, as the acting user sees them (visibility and masking), in a background job."""
    if not may_export(actor):
        raise PermissionDeniedError()
    if file_format not in FileFormat.values:
        raise ValidationError({"file_format": _("Choose CSV or Excel.")})
    filters = (filters or "").lstrip("?")
    if len(filters) > 2000:
        raise ValidationError({"filters": _("The filters are too long.")})
    clean_ids: list[int] = []
    if ids not in (None, "", []):
        if not isinstance(ids, (list, tuple)):
            raise ValidationError({"ids": _("Enter a list of customer numbers.")})
        for value in ids:
            try:
                number = int(value)
            except (TypeError, ValueError):
                raise ValidationError({"ids": _("Enter a list of customer numbers.")}) from None
            if 0 < number < 2**63 and number not in clean_ids:
                clean_ids.append(number)
        if len(clean_ids) > settings.EXPORT_MAX_IDS:
            raise ValidationError(
                {"ids": _("Select at most %(n)d customers.") % {"n": settings.EXPORT_MAX_IDS}}
            )
    if filters and not clean_ids:
        from django.http import QueryDict

        from guanxi.customers.views.list import filter_errors

        errors = filter_errors(user=actor, params=QueryDict(filters))
        if errors:
            # The list leaves such a filter out; an export would then hold every customer
            # the user sees instead of the ones asked for.
            raise ValidationError(
                {
                    "filters": [
                        _("The export was not started: %(error)s") % {"error": error}
                        for error in errors.values()
                    ]
                }
            )
    export = Export.objects.create(
        created_by=actor,
        language=language[:10],
        file_format=file_format,
        filters="" if clean_ids else filters,
        ids=clean_ids,
    )
    export.job = start_job(kind=EXPORT_JOB, actor=actor, params={"export_id": export.pk})
    export.save(update_fields=["job"])
    return export


def export_queryset(*, user: User, export: Export):
    """The customers of an export, through the customer list's own filter code."""
    from django.http import QueryDict

    from guanxi.customers.views.list import filtered_customers

    if export.ids:
        return customer_list(user=user).filter(pk__in=export.ids)
    return filtered_customers(user=user, params=QueryDict(export.filters))


def run_export(*, export_id: int, progress=None) -> dict[str, Any]:
    from . import writers

    export = Export.objects.select_related("created_by").get(pk=export_id)
    if export.status == TransferStatus.DONE:
        return {"export_id": export.pk}
    user = export.created_by
    Export.objects.filter(pk=export.pk).update(status=TransferStatus.RUNNING)
    language = export.language or user.language or settings.LANGUAGE_CODE
    try:
        with translation.override(language):
            qs = export_queryset(user=user, export=export)
            total = qs.count()
            if total > settings.EXPORT_MAX_ROWS:
                raise ValidationError(
                    _("%(n)d customers selected; at most %(limit)d can be exported at once.")
                    % {"n": total, "limit": settings.EXPORT_MAX_ROWS}
                )
            Export.objects.filter(pk=export.pk).update(total_rows=total)
            if progress is not None:
                progress.set_total(total)
            # The custom fields in use, read once: their values are in each customer's row.
            definitions = list(custom_field_list(user=user).filter(active=True))
            writer = writers.writer_for(export.file_format)
            writer.header(writers.header_row(definitions))
            done = 0
            for batch in writers.batches(qs, EXPORT_BATCH):
                for customer in batch:
                    writer.row(writers.customer_row(user, customer, definitions))
                done += len(batch)
                Export.objects.filter(pk=export.pk).update(rows_done=done)
                if progress is not None:
                    progress.advance_to(done, force=True)
            content = writer.finish()
    except ValidationError as exc:
        Export.objects.filter(pk=export.pk).update(
            status=TransferStatus.FAILED, message=" ".join(exc.messages), finished_at=timezone.now()
        )
        return {"export_id": export.pk, "error": " ".join(exc.messages)}
    except Exception as exc:
        Export.objects.filter(pk=export.pk).update(
            status=TransferStatus.FAILED, message=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    with transaction.atomic():
        Export.objects.filter(pk=export.pk).update(
            status=TransferStatus.DONE,
            content=content,
            size=len(content),
            filename=f"customers-{stamp}.{export.file_format}",
            rows_done=done,
            finished_at=timezone.now(),
        )
        export.refresh_from_db()
        audit.record(
            actor=user,
            action=AuditAction.CREATE,
            instance=export,
            changes={
                "rows": [None, done],
                "filters": [None, export.filters],
                "ids": [None, export.ids],
                "file_format": [None, export.file_format],
            },
        )
    return {"export_id": export.pk, "rows": done}


# --- keeping the database small -----------------------------------------------------------------


def delete_old_files(*, older_than_days: int | None = None) -> int:
    """Uploaded and exported files older than TRANSFER_KEEP_DAYS are deleted (with the rows
    of error reports, which repeat the file's data); the summaries stay."""
    days = settings.TRANSFER_KEEP_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - dt.timedelta(days=days)
    n = 0
    with transaction.atomic():
        old = Import.objects.filter(created_at__lt=cutoff, file_deleted=False).exclude(
            status__in=[TransferStatus.QUEUED, TransferStatus.RUNNING]
        )
        ImportRowError.objects.filter(import_run__in=old).delete()
        ImportFile.objects.filter(import_run__in=old).delete()
        n += old.update(sample=[], preview={}, file_deleted=True)
        n += (
            Export.objects.filter(created_at__lt=cutoff, file_deleted=False)
            .exclude(status__in=[TransferStatus.QUEUED, TransferStatus.RUNNING])
            .update(content=b"", file_deleted=True)
        )
    return n
