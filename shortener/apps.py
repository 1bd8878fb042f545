from django.apps import AppConfig


class ShortenerConfig(AppConfig):
    name = "shortener"
    verbose_name = "URL shortener"

    def ready(self) -> None:
        from shortener import checks  # noqa: F401 - registers the system check
