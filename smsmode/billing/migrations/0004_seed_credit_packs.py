from decimal import Decimal

from django.db import migrations

PACKS = [
    # name, credits, price excl. VAT (EUR)
    ("100 SMS", 100, "8.00"),
    ("500 SMS", 500, "37.50"),
    ("1,000 SMS", 1000, "70.00"),
    ("5,000 SMS", 5000, "325.00"),
    ("10,000 SMS", 10000, "600.00"),
]


def seed(apps, schema_editor):
    CreditPack = apps.get_model("billing", "CreditPack")
    for order, (name, credits, price) in enumerate(PACKS):
        CreditPack.objects.update_or_create(
            credits=credits,
            defaults={"name": name, "price": Decimal(price), "sort_order": order, "is_active": True},
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_billing_subscriptions_orders_invoices")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
