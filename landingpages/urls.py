app_name = "landingpages"

urlpatterns: list = []
