"""Create (or refresh) the demo account: idempotent, safe to run at every start."""

import secrets

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import translation

from smsmode.accounts.models import Account, Membership, Role, User
from smsmode.accounts.services import account_create
from smsmode.billing.models import BillingPeriod, CreditPack, LedgerKind, Plan
from smsmode.billing.services import (
    credits_add,
    low_balance_threshold_set,
    order_create_credits,
    order_mark_paid,
    plan_change,
)

DEMO_EMAIL = "demo@example.com"
DEMO_ACCOUNT = "Demo Boutique"


class Command(BaseCommand):
    help = "Create the demo owner demo@example.com and a demo account with data (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", help="The demo password; printed once if not given.")

    def handle(self, *args: object, **options: object) -> None:
        password = options.get("password")
        with transaction.atomic():
            user, created = User.objects.get_or_create(
                email=DEMO_EMAIL, defaults={"first_name": "Demo", "last_name": "User"}
            )
            if created or password:
                password = password or secrets.token_urlsafe(12)
                user.set_password(password)
                user.save(update_fields=["password"])
            EmailAddress.objects.update_or_create(
                user=user, email=DEMO_EMAIL, defaults={"verified": True, "primary": True}
            )
            membership = (
                Membership.objects.select_related("account")
                .filter(user=user, account__name=DEMO_ACCOUNT)
                .first()
            )
            if membership is None:
                account = account_create(name=DEMO_ACCOUNT, owner=user, language="fr")
            else:
                account = membership.account
            Account.objects.filter(pk=account.pk).update(default_sender_id="DEMOSHOP")
            account.refresh_from_db()
            if not account.orders.exists():
                # Orders and ledger rows keep the wording of the language they were
                # made in: the demo company works in French.
                with translation.override(account.language):
                    self._billing_history(account, user)
            self._team(account)
            self._contacts(account, user)
            self._imports(account, user)
            self._campaigns(account, user)
            self._short_links(account, user)
            self._landing_page(account, user)
        self.stdout.write(self.style.SUCCESS(f"Demo account ready: {DEMO_ACCOUNT}"))
        if created or options.get("password"):
            self.stdout.write(f"Log in as {DEMO_EMAIL} with password: {password}")

    def _billing_history(self, account: Account, owner: User) -> None:
        """Medium, paid monthly; two credit packs bought, some credits spent and one
        refund; a pack awaiting its bank transfer; a low-balance alert."""
        if account.plan.code != "medium":
            order = plan_change(
                account=account,
                plan=Plan.objects.get(code="medium"),
                period=BillingPeriod.MONTHLY,
                by=owner,
            )
            if order is not None:
                order_mark_paid(order_id=order.pk, provider_ref="demo-transfer-plan")
        for credits in (5000, 1000):
            pack = CreditPack.objects.get(credits=credits)
            order = order_create_credits(account=account, pack=pack, by=owner)
            order_mark_paid(order_id=order.pk, provider_ref=f"demo-transfer-{credits}")
        credits_add(
            account_id=account.pk,
            amount=-1240,
            kind=LedgerKind.RESERVATION,
            description="Campagne : Black Friday",
        )
        credits_add(
            account_id=account.pk,
            amount=37,
            kind=LedgerKind.REFUND,
            description="Campagne : Black Friday, messages non distribués",
        )
        order_create_credits(account=account, pack=CreditPack.objects.get(credits=500), by=owner)
        low_balance_threshold_set(account=account, threshold=500)

    def _contacts(self, account: Account, owner: User) -> None:
        """Three lists, two custom fields, 300 contacts, a few opt-outs. Idempotent."""
        from contacts.models import Contact, ContactList, CustomField, Membership, OptOut
        from contacts.services import list_refresh_counts

        if account.contacts.exists():
            return
        CustomField.objects.bulk_create(
            [
                CustomField(account=account, key="city", label="Ville"),
                CustomField(
                    account=account,
                    key="points",
                    label="Points fidélité",
                    type=CustomField.Type.NUMBER,
                ),
            ]
        )
        lists = [
            ContactList.objects.create(account=account, name=name, description=description)
            for name, description in (
                ("Clients fidèles", "Plus de 5 achats"),
                ("Newsletter", "Inscrits au programme SMS"),
                ("Paris", "Boutique de la rue de Rivoli"),
            )
        ]
        first = [
            "Camille",
            "Léa",
            "Manon",
            "Chloé",
            "Inès",
            "Lucas",
            "Hugo",
            "Louis",
            "Nathan",
            "Jules",
            "Emma",
            "Zoé",
            "Gabriel",
            "Arthur",
            "Sarah",
        ]
        last = [
            "Martin",
            "Bernard",
            "Dubois",
            "Thomas",
            "Robert",
            "Richard",
            "Petit",
            "Durand",
            "Leroy",
            "Moreau",
            "Simon",
            "Laurent",
            "Lefebvre",
            "Michel",
            "Garcia",
        ]
        cities = ["Paris", "Lyon", "Marseille", "Lille", "Nantes", "Bordeaux"]
        contacts = Contact.objects.bulk_create(
            [
                Contact(
                    account=account,
                    phone=f"+336{12000000 + i * 7919:08d}",
                    first_name=first[i % len(first)],
                    last_name=last[(i * 7) % len(last)],
                    email=f"client{i}@example.com" if i % 3 else "",
                    custom={"city": cities[i % len(cities)], "points": (i * 37) % 500},
                    source=Contact.Source.IMPORT,
                )
                for i in range(300)
            ]
        )
        Membership.objects.bulk_create(
            [
                Membership(contact=contact, contact_list=lists[i % 3])
                for i, contact in enumerate(contacts)
            ]
            + [Membership(contact=c, contact_list=lists[1]) for c in contacts[:120:2]],
            ignore_conflicts=True,
        )
        list_refresh_counts([lst.pk for lst in lists])
        OptOut.objects.bulk_create(
            [
                OptOut(account=account, phone=c.phone, source=OptOut.Source.STOP)
                for c in contacts[::37]
            ]
        )

    def _imports(self, account: Account, owner: User) -> None:
        """One finished import with a real report: new and known numbers, duplicates,
        a few invalid rows. Idempotent."""
        from django.core.files.uploadedfile import SimpleUploadedFile

        from contacts.importing.service import import_create, import_run, import_start

        if account.imports.exists():
            return
        lines = ["Téléphone;Prénom;Nom;Ville"]
        lines += [
            f"06 {40 + i // 100:02d} {i % 100:02d} 12 34;Invité{i};Salon;Lyon" for i in range(80)
        ]
        lines += [f"+336{12000000 + i * 7919:08d};;;Paris" for i in (1, 2, 3)]  # known ones
        lines += ["06 40 00 12 34;Doublon;;", "0612;Trop court;;", "01 44 55 66 77;Fixe;;"]
        upload = SimpleUploadedFile(
            "Salon du mariage 2026.csv", ("\n".join(lines) + "\n").encode("cp1252")
        )
        contact_import = import_create(account=account, by=owner, upload=upload)
        import_start(
            contact_import=contact_import,
            mapping={0: "phone", 1: "first_name", 2: "last_name", 3: "custom:city"},
            new_list_name="Salon du mariage 2026",
        )
        import_run(import_id=contact_import.pk)

    def _campaigns(self, account: Account, owner: User) -> None:
        """A campaign delivered last week (with its failures, refunds and replies), one
        scheduled for next Monday, and one being sent. Idempotent."""
        import datetime

        from django.utils import timezone

        from campaigns.dispatch import refund_messages
        from campaigns.models import Campaign, Message, Reply
        from campaigns.services import campaign_launch

        if account.campaigns.exists():
            return
        lists = {lst.name: lst for lst in account.lists.all()}
        now = timezone.now()

        def launched(name: str, kind: str, body: str, list_name: str) -> Campaign:
            campaign = Campaign.objects.create(
                account=account, created_by=owner, name=name, kind=kind, body=body
            )
            campaign.lists.set([lists[list_name]])
            # Launched directly (not through the window rule): the demo must not depend
            # on the day it is seeded.
            Campaign.objects.filter(pk=campaign.pk).update(
                status=Campaign.Status.SCHEDULED, scheduled_at=now
            )
            campaign_launch(campaign_id=campaign.pk)
            campaign.refresh_from_db()
            return campaign

        # Delivered last week: 92 % delivered, some not, two rejected (refunded).
        sale = launched(
            "Black Friday",
            "marketing",
            "{first_name|Bonjour}, le Black Friday commence : -30 % sur toute la boutique "
            "jusqu'à dimanche ! https://demo-boutique.example/black-friday?utm_source=sms",
            "Clients fidèles",
        )
        week_ago = now - datetime.timedelta(days=7)
        messages = list(Message.objects.filter(campaign=sale).order_by("pk"))
        for index, message in enumerate(messages):
            message.submitted_at = week_ago + datetime.timedelta(seconds=index)
            message.provider_id = f"demo-{message.pk}"
            if index % 25 == 3:
                message.status = Message.Status.UNDELIVERED
            elif index % 40 == 7:
                message.status = Message.Status.REJECTED
            else:
                message.status = Message.Status.DELIVERED
            message.final_at = message.submitted_at + datetime.timedelta(minutes=1 + index % 90)
            message.created_at = week_ago
        Message.objects.bulk_update(
            messages, ["submitted_at", "provider_id", "status", "final_at", "created_at"]
        )
        refund_messages(
            account_id=account.pk,
            message_ids=[m.pk for m in messages if m.status == Message.Status.REJECTED],
            reason="rejected",
        )
        Campaign.objects.filter(pk=sale.pk).update(
            status=Campaign.Status.SENT,
            launched_at=week_ago,
            completed_at=week_ago + datetime.timedelta(minutes=2),
            created_at=week_ago - datetime.timedelta(days=1),
        )
        self._campaign_clicks(sale, messages, week_ago)
        for message, text in zip(
            messages[1:4], ["STOP", "Merci !", "C'est valable en ligne ?"], strict=False
        ):
            Reply.objects.create(
                account=account,
                campaign=sale,
                phone=message.phone,
                text=text,
                is_stop=text == "STOP",
                received_at=message.final_at + datetime.timedelta(minutes=5),
            )
        # Scheduled for next Monday at 10:00, in the account's time zone.
        from zoneinfo import ZoneInfo

        local = now.astimezone(ZoneInfo(account.time_zone or "Europe/Paris"))
        monday = (local + datetime.timedelta(days=7 - local.weekday())).replace(
            hour=10, minute=0, second=0, microsecond=0
        )
        winter = Campaign.objects.create(
            account=account,
            created_by=owner,
            name="Soldes d'hiver",
            kind="marketing",
            body="Les soldes d'hiver sont là, {first_name|chère cliente} : jusqu'à -50 %.",
            status=Campaign.Status.SCHEDULED,
            scheduled_at=monday,
        )
        winter.lists.set([lists["Newsletter"]])
        # Being sent: the worker (or the watchdog, within a minute) finishes it.
        reminder = launched(
            "Rappel : retrait en boutique",
            "notification",
            "{first_name|Bonjour}, votre commande vous attend à la boutique de la rue de "
            "Rivoli jusqu'à samedi.",
            "Paris",
        )
        half = list(Message.objects.filter(campaign=reminder).order_by("pk"))[::2]
        for message in half:
            message.status = Message.Status.DELIVERED
            message.provider_id = f"demo-{message.pk}"
            message.submitted_at = message.final_at = now
        Message.objects.bulk_update(half, ["status", "provider_id", "submitted_at", "final_at"])

    def _campaign_clicks(self, campaign, messages: list, sent_at) -> None:
        """About one delivered recipient in five clicked their own link, some twice,
        within two days of the send; a few link previews too (not counted)."""
        import datetime
        import random
        import uuid

        from campaigns.models import Campaign, Message
        from shortener.models import Click, ShortLink

        rng = random.Random(11)
        links = {link.message_id: link for link in ShortLink.objects.filter(campaign=campaign)}
        ShortLink.objects.filter(campaign=campaign).update(created_at=sent_at)
        clicks, clicked = [], []
        for message in messages:
            link = links.get(message.pk)
            if link is None or message.status != Message.Status.DELIVERED or rng.random() > 0.2:
                continue
            first = message.final_at + datetime.timedelta(minutes=rng.randrange(1, 48 * 60))
            times = [first] + ([first + datetime.timedelta(hours=3)] if rng.random() < 0.3 else [])
            for index, at in enumerate(times):
                clicks.append(
                    Click(
                        event_id=uuid.uuid4(),
                        link=link,
                        at=at,
                        is_unique=index == 0,
                        visitor=f"demo-{message.pk}",
                        user_agent="Mozilla/5.0 (iPhone)",
                    )
                )
            ShortLink.objects.filter(pk=link.pk).update(
                clicks=len(times), unique_clicks=1, last_click_at=times[-1]
            )
            message.clicked_at = first
            clicked.append(message)
        for link in list(links.values())[:6]:  # previews fetched by a messaging app
            clicks.append(
                Click(
                    event_id=uuid.uuid4(),
                    link=link,
                    at=sent_at + datetime.timedelta(seconds=30),
                    is_bot=True,
                    visitor="demo-preview",
                    user_agent="WhatsApp/2.23.20.0 A",
                )
            )
            ShortLink.objects.filter(pk=link.pk).update(bot_clicks=1)
        Click.objects.bulk_create(clicks)
        Message.objects.bulk_update(clicked, ["clicked_at"])
        Campaign.objects.filter(pk=campaign.pk).update(
            clicks=sum(1 for click in clicks if not click.is_bot), clickers=len(clicked)
        )

    def _short_links(self, account: Account, owner: User) -> None:
        """Four short links with clicks over the last three weeks, one expired."""
        import datetime
        import random
        import uuid

        from django.utils import timezone

        from shortener.models import Click, ShortLink
        from shortener.services import link_create

        if account.short_links.filter(campaign__isnull=True).exists():
            return
        now = timezone.now()
        rng = random.Random(7)
        specs = [
            ("Black Friday", "https://demo-boutique.example/black-friday?utm_source=sms", 31, 420),
            ("Soldes d'hiver", "https://demo-boutique.example/soldes", 45, 130),
            ("Avis clients", "https://demo-boutique.example/avis", 20, 55),
            ("Salon du mariage", "https://demo-boutique.example/salon", -3, 210),
        ]
        for name, url, days_left, visits in specs:
            link = link_create(
                account=account,
                url=url,
                name=name,
                expires_at=now + datetime.timedelta(days=days_left),
                by=owner,
            )
            clicks = []
            for i in range(visits):
                bot = i % 9 == 0
                visitor = f"demo-{rng.randrange(visits // 2 + 1)}"
                clicks.append(
                    Click(
                        event_id=uuid.uuid4(),
                        link=link,
                        at=now - datetime.timedelta(minutes=rng.randrange(21 * 24 * 60)),
                        is_bot=bot,
                        visitor=visitor,
                        user_agent="facebookexternalhit/1.1" if bot else "Mozilla/5.0 (iPhone)",
                    )
                )
            seen = set()
            for click in sorted(clicks, key=lambda c: c.at):
                if not click.is_bot and click.visitor not in seen:
                    click.is_unique = True
                    seen.add(click.visitor)
            Click.objects.bulk_create(clicks)
            ShortLink.objects.filter(pk=link.pk).update(
                clicks=sum(1 for c in clicks if not c.is_bot),
                unique_clicks=len(seen),
                bot_clicks=sum(1 for c in clicks if c.is_bot),
                last_click_at=max(c.at for c in clicks),
                created_at=now - datetime.timedelta(days=22),
            )

    def _landing_page(self, account: Account, owner: User) -> None:
        """A published event invitation with two weeks of visits, button clicks and form
        submissions (some through the Black Friday campaign)."""
        import datetime
        import random

        from django.utils import timezone

        from landingpages.models import FormSubmission, PageEvent
        from landingpages.services import page_create, page_publish

        if account.landing_pages.exists():
            return
        with translation.override(account.language):
            page = page_create(
                account=account, by=owner, title="Soirée VIP des soldes", template="event"
            )
        page_publish(page=page)
        page.refresh_from_db()
        rng = random.Random(5)
        now = timezone.now()
        sale = account.campaigns.filter(name="Black Friday").first()
        buttons = [b["id"] for b in page.blocks if b["type"] in ("button", "map", "video")]
        forms = [b["id"] for b in page.blocks if b["type"] == "form"]
        events, submissions, times = [], [], []
        for index in range(260):
            visitor = f"demo-visitor-{rng.randrange(200)}"
            at = now - datetime.timedelta(minutes=rng.randrange(14 * 24 * 60))
            campaign = sale if index % 3 == 0 else None
            bot = index % 20 == 0
            events.append(
                PageEvent(page=page, kind="view", visitor=visitor, is_bot=bot, campaign=campaign)
            )
            if not bot and buttons and rng.random() < 0.3:
                events.append(
                    PageEvent(
                        page=page,
                        kind="click",
                        block_id=rng.choice(buttons),
                        visitor=visitor,
                        campaign=campaign,
                    )
                )
            if not bot and forms and rng.random() < 0.08:
                events.append(
                    PageEvent(
                        page=page,
                        kind="submit",
                        block_id=forms[0],
                        visitor=visitor,
                        campaign=campaign,
                    )
                )
                submissions.append(
                    FormSubmission(
                        page=page,
                        block_id=forms[0],
                        data={"name": f"Client {index}", "phone": f"+336120000{index:02d}"[:12]},
                        consent=rng.random() < 0.6,
                        visitor=visitor,
                        campaign=campaign,
                    )
                )
            times += [at] * (len(events) - len(times))
        seen = set()
        for event in events:
            if event.kind == "view" and not event.is_bot and event.visitor not in seen:
                event.is_unique = True
                seen.add(event.visitor)
        PageEvent.objects.bulk_create(events)
        for event, at in zip(events, times, strict=True):  # auto_now_add set them to now
            event.at = at
        PageEvent.objects.bulk_update(events, ["at"], batch_size=500)
        FormSubmission.objects.bulk_create(submissions)

    def _team(self, account: Account) -> None:
        """Two teammates, so the team page and the roles show something real."""
        for email, role in (("marie@example.com", Role.ADMIN), ("lucas@example.com", Role.MEMBER)):
            mate, made = User.objects.get_or_create(email=email)
            if made:
                mate.set_unusable_password()
                mate.save(update_fields=["password"])
            Membership.objects.get_or_create(account=account, user=mate, defaults={"role": role})
