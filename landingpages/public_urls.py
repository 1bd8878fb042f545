"""The public addresses of landing pages, mounted at /p/ (no login)."""

from django.urls import path, register_converter

from landingpages.views import public

app_name = "landing_public"


class BlockIdConverter:
    regex = "[0-9a-f]{8}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(BlockIdConverter, "lp_block")

urlpatterns = [
    path("i/<uuid:public_id>", public.image, name="image"),
    path("<slug:slug>", public.page, name="page"),
    path("<slug:slug>/b/<lp_block:block_id>", public.click, name="click"),
    path("<slug:slug>/f/<lp_block:block_id>", public.submit, name="submit"),
]
