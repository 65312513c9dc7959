from django.db import models


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class CompanyOwned(TimeStamped):
    """A row that belongs to one company; every API read goes through that column."""

    company = models.ForeignKey("borrowers.Company", on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class ExternalIdMixin(models.Model):
    """The lender's own id (``ext-<externalId>`` in paths), unique per company and type.

    Concrete models add ``UniqueConstraint(fields=["company", "external_id"])``: NULLs are
    distinct, so rows without an external id never conflict.
    """

    external_id = models.CharField(max_length=255, null=True, blank=True)

    class Meta:
        abstract = True
