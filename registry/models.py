"""Reception centres, reference data (geography, documents, reasons, partners), persons, consents."""

import datetime
import secrets
import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from .dates import BIRTH_DATES
from .names import document_normalise, name_keys, person_name_variants, phone_key

TIME_ZONES = [
    ("America/Guatemala", "America/Guatemala"),
    ("America/Tegucigalpa", "America/Tegucigalpa"),
    ("America/El_Salvador", "America/El_Salvador"),
]


class Country(models.Model):
    iso2 = models.CharField(_("ISO code"), max_length=2, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_programme_country = models.BooleanField(
        _("programme country"),
        default=False,
        help_text=_("Guatemala, Honduras and El Salvador: countries with reception centres."),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("country")
        verbose_name_plural = _("countries")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """First-level division, with its official Spanish name (not translated)."""

    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="departments", verbose_name=_("country")
    )
    iso_code = models.CharField(_("ISO 3166-2 code"), max_length=6, unique=True)
    pcode = models.CharField(_("P-code"), max_length=10, unique=True)
    national_code = models.CharField(_("national code"), max_length=4)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["country__sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class SvMunicipality2024(models.Model):
    """One of the 44 municipios of El Salvador's 2024 reform (Decreto 762), grouping districts."""

    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="sv_municipalities_2024",
        verbose_name=_("department"),
    )
    code = models.CharField(_("Hacienda CAT-013 code"), max_length=2)
    name = models.CharField(_("name"), max_length=100)
    is_department_seat = models.BooleanField(_("departmental seat"), default=False)

    class Meta:
        verbose_name = _("municipality (El Salvador, 2024)")
        verbose_name_plural = _("municipalities (El Salvador, 2024)")
        ordering = ["department__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "code"], name="sv_municipio_code_per_dept"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Municipality(models.Model):
    """Second-level division: a municipio (GT, HN) or a distrito, the former municipio (SV)."""

    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="municipalities",
        verbose_name=_("department"),
    )
    pcode = models.CharField(_("P-code"), max_length=10, unique=True)
    national_code = models.CharField(_("national code"), max_length=4)
    name = models.CharField(_("name"), max_length=100)
    sv_municipality_2024 = models.ForeignKey(
        SvMunicipality2024,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="districts",
        verbose_name=_("municipality of the 2024 reform"),
    )

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["department__name", "name"]

    def __str__(self) -> str:
        return self.name


class DocumentType(models.Model):
    """An identity document type, with the format its numbers follow."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    country = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("country"),
        help_text=_("Empty for documents of any country (passport, other, none)."),
    )
    number_pattern = models.CharField(
        _("number format (regular expression)"),
        max_length=200,
        blank=True,
        help_text=_("Checked after removing spaces and dashes. Empty: any format."),
    )
    number_example = models.CharField(_("example number"), max_length=40, blank=True)
    requires_number = models.BooleanField(_("requires a number"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("identity document type")
        verbose_name_plural = _("identity document types")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class CodedReference(models.Model):
    """A reference list an administrator maintains in both languages (modeltranslation on name)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class MigrationReason(CodedReference):
    class Meta(CodedReference.Meta):
        verbose_name = _("reason for migrating")
        verbose_name_plural = _("reasons for migrating")

    def __str__(self) -> str:
        return self.name


class ReceptionCenter(models.Model):
    class Kind(models.TextChoices):
        AIR = "air", _("Air arrivals")
        LAND = "land", _("Land arrivals")
        CHILDREN_FAMILIES = "children_families", _("Children and families")

    code = models.CharField(
        _("code"),
        max_length=10,
        unique=True,
        validators=[
            RegexValidator(r"^[A-Z0-9]{2,10}$", _("Use 2 to 10 capital letters or digits."))
        ],
        help_text=_("Short code used in case numbers, e.g. SPS."),
    )
    name = models.CharField(_("display name"), max_length=150)
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="centers", verbose_name=_("country")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    time_zone = models.CharField(_("time zone"), max_length=40, choices=TIME_ZONES)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reception centre")
        verbose_name_plural = _("reception centres")
        ordering = ["country__sort_order", "name"]
        permissions = [
            ("work_at_center", _("Can work at this reception centre")),
            ("view_center_records", _("Can read the records of this reception centre")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def local_now(self) -> datetime.datetime:
        return timezone.now().astimezone(self.tzinfo)


class ReceptionCenterUserObjectPermission(UserObjectPermissionBase):
    """Direct foreign key: which centres a user works in (a few rows per user)."""

    content_object = models.ForeignKey(ReceptionCenter, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("centre permission of a user")
        verbose_name_plural = _("centre permissions of users")


class ReceptionCenterGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(ReceptionCenter, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("centre permission of a group")
        verbose_name_plural = _("centre permissions of groups")


# Statistical record keys (reporting.disclosure): a random number per person, drawn once and
# never shown, in [0, RECORD_KEY_RANGE).
RECORD_KEY_RANGE = 1 << 20


def record_key_new() -> int:
    return secrets.randbelow(RECORD_KEY_RANGE)


class Person(models.Model):
    """One human being, stable across returns."""

    class Sex(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other")
        NOT_STATED = "not_stated", _("Not stated")

    # The tablet may generate the UUID before it is online.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The cell-key method of disclosure control (reporting.disclosure): fixed for life, random,
    # never shown or exported; a cell's key is the sum of its persons' keys.
    record_key = models.PositiveIntegerField(
        _("statistical record key"), default=record_key_new, editable=False
    )
    given_names = models.CharField(_("given names"), max_length=150)
    first_surname = models.CharField(_("first surname"), max_length=100)
    second_surname = models.CharField(_("second surname"), max_length=100, blank=True)
    sex = models.CharField(_("sex"), max_length=12, choices=Sex.choices)
    gender_identity = models.CharField(_("gender identity"), max_length=100, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    birth_date_estimated = models.BooleanField(
        _("date of birth is estimated"),
        default=False,
        help_text=_("Set when only the age in years or an approximate date is known."),
    )
    nationality = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="+", verbose_name=_("nationality")
    )
    document_type = models.ForeignKey(
        DocumentType, on_delete=models.PROTECT, verbose_name=_("identity document")
    )
    document_number = models.CharField(_("document number"), max_length=40, blank=True)
    origin_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department of origin"),
    )
    origin_municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("municipality of origin"),
    )
    indigenous_people = models.CharField(_("indigenous people"), max_length=100, blank=True)
    language = models.CharField(_("language spoken"), max_length=100, blank=True)
    phone = models.CharField(
        _("phone"),
        max_length=30,
        blank=True,
        validators=[
            RegexValidator(
                r"^\+?[0-9 ()-]{6,30}$",
                _("Enter a phone number: digits, spaces, dashes and an optional leading +."),
            )
        ],
    )
    # Derived for matching; kept in step by save().
    document_key = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    given_name_keys = models.CharField(max_length=300, blank=True, editable=False)
    surname_keys = models.CharField(max_length=300, blank=True, editable=False)
    # The last 8 digits of the phone (a local number in GT, HN and SV), for search.
    phone_key = models.CharField(max_length=8, blank=True, db_index=True, editable=False)
    # Every name key and its one-letter deletions (registry.names.name_variant_keys), for the
    # search's one typo by equality (a GIN index on PostgreSQL: migration 0010).
    name_variant_keys = models.TextField(blank=True, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    # Set when this record was merged into another (PersonMerge): it then holds nothing and is
    # known at no centre, and its id resolves to the survivor (a tablet may send it later).
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("merged into"),
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        ordering = ["first_surname", "second_surname", "given_names"]
        permissions = [("merge_person", _("Can merge and unmerge person records"))]
        indexes = [
            models.Index(fields=["birth_date"], name="person_birth_date"),
            # Matching widens to a window of years only for estimated dates of birth.
            models.Index(
                fields=["birth_date"],
                name="person_birth_date_estimated",
                condition=models.Q(birth_date_estimated=True),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs) -> None:
        self.document_key = document_normalise(self.document_number)
        self.given_name_keys = " ".join(name_keys(self.given_names))
        self.surname_keys = " ".join(name_keys(f"{self.first_surname} {self.second_surname}"))
        self.phone_key = phone_key(self.phone)
        self.name_variant_keys = person_name_variants(self.given_name_keys, self.surname_keys)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {
                *update_fields,
                "document_key",
                "given_name_keys",
                "surname_keys",
                "phone_key",
                "name_variant_keys",
                "updated_at",
            }
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.given_names, self.first_surname, self.second_surname) if p)

    @property
    def document_last4(self) -> str:
        return self.document_key[-4:] if self.document_key else ""

    def age_on(self, day) -> int | None:
        if not self.birth_date:
            return None
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    def clean(self) -> None:
        errors: dict[str, list] = {}
        today = timezone.localdate()
        if self.birth_date:
            out_of_range = BIRTH_DATES.error(self.birth_date, today=today)
            if out_of_range:
                errors.setdefault("birth_date", []).append(out_of_range)
            elif self.age_on(today) > 110:
                errors.setdefault("birth_date", []).append(_("The age cannot be over 110 years."))
        for field in ("given_names", "first_surname"):
            if not (getattr(self, field) or "").strip():
                errors.setdefault(field, []).append(_("This field is required."))
        if (
            self.origin_municipality_id
            and self.origin_department_id
            and self.origin_municipality.department_id != self.origin_department_id
        ):
            errors.setdefault("origin_municipality", []).append(
                _("The municipality is not in the chosen department.")
            )
        if self.document_type_id:
            errors_doc = self.document_type_errors()
            if errors_doc:
                errors.setdefault("document_number", []).extend(errors_doc)
        if errors:
            raise ValidationError(errors)

    def document_type_errors(self) -> list:
        import re

        doc_type = self.document_type
        number = document_normalise(self.document_number)
        if not doc_type.requires_number:
            return [_("Leave the number empty for this document type.")] if number else []
        if not number:
            return [_("Enter the document number.")]
        if doc_type.number_pattern and not re.fullmatch(doc_type.number_pattern, number):
            return [
                _("The number does not have the format of a %(document)s (e.g. %(example)s).")
                % {"document": doc_type.name, "example": doc_type.number_example}
            ]
        return []


class PersonCenter(models.Model):
    """A person is known at a centre (an arrival or a case there): the unit of visibility."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="center_links")
    center = models.ForeignKey(ReceptionCenter, on_delete=models.PROTECT, related_name="+")
    first_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("person known at centre")
        verbose_name_plural = _("persons known at centres")
        constraints = [
            models.UniqueConstraint(fields=["person", "center"], name="person_center_unique")
        ]
        indexes = [models.Index(fields=["center", "person"], name="person_center_by_center")]

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.center_id}"


class Consent(models.Model):
    """Append-only record of a consent given or withdrawn; the latest row per kind is in force."""

    class Kind(models.TextChoices):
        PROCESS_DATA = "process_data", _("Register and process personal data")
        SHARE_WITH_PARTNERS = "share_with_partners", _("Share data with referral partners")
        FOLLOW_UP_CONTACT = "follow_up_contact", _("Be contacted for follow-up")
        ANONYMISED_STATISTICS = "anonymised_statistics", _("Be counted in anonymised statistics")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(_("consent"), max_length=30, choices=Kind.choices)
    granted = models.BooleanField(_("granted"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["person", "kind", "-recorded_at"]
        indexes = [
            models.Index(fields=["person", "kind", "-recorded_at"], name="consent_latest"),
            # Reporting reads every refusal to be counted (a few percent of the rows) per report.
            models.Index(
                fields=["person"],
                condition=models.Q(kind="anonymised_statistics", granted=False),
                name="consent_statistics_refusals",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.granted}"


class Correction(models.Model):
    """A correction of a person's record or of something counted about them, with the reason,
    who made it, and the values before and after.

    The audit log keeps only which fields changed (it is read by administrators); the values
    stay here, beside the record, for those who may see the person. Append-only.
    """

    class Kind(models.TextChoices):
        PERSON_DETAILS = "person_details", _("Personal details corrected")
        ARRIVAL_VOIDED = "arrival_voided", _("Arrival voided")
        DELIVERY_CORRECTED = "delivery_corrected", _("Delivery corrected")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="corrections")
    kind = models.CharField(_("correction"), max_length=30, choices=Kind.choices)
    # The corrected row (the person, an arrival, a delivery): its primary key as text.
    object_id = models.CharField(_("record"), max_length=40)
    reason = models.TextField(_("reason"))
    # [{"field": name, "before": value, "after": value}], values as JSON (dates in ISO 8601,
    # related rows by their name).
    changes = models.JSONField(_("changes"), default=list)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("corrected by"),
    )
    corrected_at = models.DateTimeField(_("corrected at"), default=timezone.now)

    class Meta:
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")
        ordering = ["-corrected_at", "-pk"]
        indexes = [models.Index(fields=["person", "-corrected_at"], name="correction_by_person")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.object_id}"


class PersonMerge(models.Model):
    """Two records of one person made one (registry.actions.person_merge), and what undoes it.

    The merged record's rows (arrivals, cases with their notes, deliveries, consents, centre
    links, corrections) moved to the survivor; their ids are kept here by model, with the
    survivor's values before the merge, so that an unmerge restores both records as they were.
    """

    survivor = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="merges", verbose_name=_("record kept")
    )
    merged = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("record merged")
    )
    reason = models.TextField(_("reason"))
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("merged by"),
    )
    merged_at = models.DateTimeField(_("merged at"), default=timezone.now)
    # {field attname: value} of the survivor's fields the merge took from the other record,
    # before and after (JSON: dates in ISO 8601, related rows by id).
    survivor_before = models.JSONField(_("kept record before"), default=dict)
    survivor_after = models.JSONField(_("kept record after"), default=dict)
    # {"app_label.model": [primary keys moved to the survivor]}
    moved = models.JSONField(_("records moved"), default=dict)
    unmerged_at = models.DateTimeField(_("unmerged at"), null=True, blank=True)
    unmerged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("unmerged by"),
    )
    unmerge_reason = models.TextField(_("reason for the unmerge"), blank=True)

    class Meta:
        verbose_name = _("merge of person records")
        verbose_name_plural = _("merges of person records")
        ordering = ["-merged_at", "-pk"]
        indexes = [models.Index(fields=["merged", "-merged_at"], name="personmerge_by_merged")]

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.survivor_id}"


# --- Reference data of casework: closure reasons, vulnerabilities, partners and their lines ---


class ClosureReason(CodedReference):
    class Meta(CodedReference.Meta):
        verbose_name = _("closure reason")
        verbose_name_plural = _("closure reasons")

    def __str__(self) -> str:
        return self.name


class VulnerabilityCategory(CodedReference):
    description = models.TextField(_("description"), blank=True)

    class Meta(CodedReference.Meta):
        verbose_name = _("vulnerability category")
        verbose_name_plural = _("vulnerability categories")

    def __str__(self) -> str:
        return self.name


class ServiceLine(CodedReference):
    """What a referral partner offers (e.g. vocational training, legal aid): reference data."""

    class Meta(CodedReference.Meta):
        verbose_name = _("service line")
        verbose_name_plural = _("service lines")

    def __str__(self) -> str:
        return self.name


class Partner(models.Model):
    """An organisation cases are referred to, maintained by administrators."""

    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("Government office")
        NGO = "ngo", _("Non-governmental organisation")
        INTERNATIONAL = "international", _("International organisation")
        PRIVATE = "private", _("Private company or employer")
        COMMUNITY = "community", _("Community or faith-based organisation")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="+", verbose_name=_("country")
    )
    service_lines = models.ManyToManyField(
        ServiceLine, related_name="partners", verbose_name=_("service lines")
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("partner organisation")
        verbose_name_plural = _("partner organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
