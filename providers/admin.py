from django.contrib import admin

from providers.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """What the outbox provider "sent", with its rendered content. History: read-only."""

    list_display = ["created_at", "channel", "to", "subject_line", "reference", "provider_message_id"]
    list_filter = ["channel"]
    search_fields = ["=reference", "=provider_message_id", "to"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False
