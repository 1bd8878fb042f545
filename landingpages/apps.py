from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LandingPagesConfig(AppConfig):
    name = "landingpages"
    verbose_name = _("Landing pages")
