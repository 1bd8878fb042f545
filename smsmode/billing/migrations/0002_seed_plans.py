from decimal import Decimal

from django.db import migrations

PLANS = [
    # code, name, order, monthly, yearly, max_users, shortener, landing pages, default
    ("start", "Start", 10, "0", "0", 1, False, False, True),
    ("classic", "Classic", 20, "19", "190", 3, True, False, False),
    ("medium", "Medium", 30, "49", "490", 10, True, True, False),
    ("premium", "Premium", 40, "99", "990", None, True, True, False),
]


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for code, name, order, monthly, yearly, users, shortener, pages, default in PLANS:
        Plan.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "sort_order": order,
                "monthly_price": Decimal(monthly),
                "yearly_price": Decimal(yearly),
                "credits_per_segment": Decimal("1"),
                "max_users": users,
                "feature_url_shortener": shortener,
                "feature_landing_pages": pages,
                "is_default": default,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
