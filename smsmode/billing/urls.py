from django.urls import path

from smsmode.billing import invoice_views, stripe_provider, views

app_name = "billing"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("plan/", views.change_plan, name="change_plan"),
    path("credits/", views.buy_credits, name="buy_credits"),
    path("alert/", views.low_balance_alert, name="alert"),
    path("ledger/", views.ledger, name="ledger"),
    path("orders/<uuid:public_id>/", views.order_detail, name="order"),
    path("invoices/", views.invoices, name="invoices"),
    path("invoices/<uuid:public_id>/", invoice_views.invoice_html, name="invoice"),
    path("invoices/<uuid:public_id>/pdf/", invoice_views.invoice_pdf, name="invoice_pdf"),
    path("stripe/webhook/", stripe_provider.webhook, name="stripe_webhook"),
]
