app_name = "landing_public"

urlpatterns: list = []
