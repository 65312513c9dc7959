from django.apps import AppConfig


class TemplatingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "templating"

    def ready(self) -> None:
        # The subject catalogue sits below templating and never imports it; it asks,
        # through this hook, which channels each subject has a template for.
        from subjects.selectors import register_channels_source
        from templating.selectors import template_channels_by_subject

        register_channels_source(
            lambda company, version: template_channels_by_subject(company, settings_version=version)
        )
