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
from smsmode.dashboard import stats

DEMO_EMAIL = "demo@example.com"
DEMO_ACCOUNT = "Demo Boutique"

# ------------------------------------------------------------------------- history
# Three months of past sends, so the dashboard looks like a real account's: the
# campaigns (days ago, local time, kind, name, extra numbers beyond the contacts, the
# page their link goes to or "", body), a daily trickle of API messages, and the
# credits they took. Marketing goes out Tuesday to Saturday, 08:00-20:00.
HISTORY = [
    (
        88,
        "10:00",
        "marketing",
        "Nouvelle collection",
        1040,
        "nouveautes",
        "{name}, la nouvelle collection est arrivée : découvrez-la en avant-première {link} "
        "STOP 36111",
    ),
    (
        83,
        "14:30",
        "notification",
        "Commande expédiée : colis en route",
        200,
        "suivi",
        "{name}, votre commande Demo Boutique est en route ! Suivez votre colis : {link}",
    ),
    (
        79,
        "11:00",
        "marketing",
        "Ventes privées",
        1520,
        "ventes-privees",
        "{name}, vos ventes privées commencent : jusqu'à -40 % pendant 3 jours, rien que pour "
        "vous. {link} STOP 36111",
    ),
    (
        73,
        "17:30",
        "marketing",
        "Soirée shopping nocturne",
        480,
        "",
        "{name}, ce jeudi la boutique reste ouverte jusqu'à 22h : cocktail, surprises et -20 % "
        "sur tout le magasin. STOP 36111",
    ),
    (
        68,
        "10:30",
        "marketing",
        "Journées fidélité",
        1280,
        "fidelite",
        "{name}, vos points fidélité valent double jusqu'à dimanche ! {link} STOP 36111",
    ),
    (
        62,
        "12:00",
        "marketing",
        "Livraison offerte ce week-end",
        880,
        "",
        "{name}, ce week-end la livraison est offerte dès 30 EUR d'achat, sans code, sur tout "
        "le site et en retrait boutique. Profitez-en pour découvrir nos nouveautés et les "
        "derniers articles des ventes privées. STOP 36111",
    ),
    (
        57,
        "09:30",
        "notification",
        "Rappel : rendez-vous retouches",
        100,
        "",
        "{name}, rappel : vos retouches sont prêtes à la boutique de la rue de Rivoli.",
    ),
    (
        54,
        "15:00",
        "marketing",
        "Ventes flash",
        1680,
        "ventes-flash",
        "{name}, ventes flash : 48 h pour profiter de -50 % sur une sélection ! {link} STOP 36111",
    ),
    (
        48,
        "11:30",
        "marketing",
        "Code promo -15 %",
        720,
        "",
        "{name}, -15 % sur votre prochaine commande avec le code SMS15, jusqu'à dimanche. "
        "STOP 36111",
    ),
    (
        43,
        "18:00",
        "marketing",
        "Offre parrainage",
        640,
        "parrainage",
        "{name}, parrainez un ami : 10 EUR offerts pour vous deux. {link} STOP 36111",
    ),
    (
        38,
        "10:00",
        "marketing",
        "Déstockage",
        1440,
        "destockage",
        "{name}, grand déstockage : jusqu'à -60 % sur les collections précédentes, en boutique "
        "et en ligne, dans la limite des stocks disponibles. Premier arrivé, premier servi ! "
        "{link} STOP 36111",
    ),
    (
        33,
        "14:00",
        "notification",
        "Commande expédiée : dernière ligne droite",
        240,
        "suivi",
        "{name}, votre commande arrive demain ! Suivez votre colis : {link}",
    ),
    (
        27,
        "16:30",
        "marketing",
        "Nouveautés de la semaine",
        960,
        "",
        "{name}, les nouveautés de la semaine sont en boutique : venez les essayer ! STOP 36111",
    ),
    (
        22,
        "10:30",
        "marketing",
        "Week-end shopping",
        1200,
        "week-end",
        "{name}, week-end shopping : -25 % dès 2 articles achetés. {link} STOP 36111",
    ),
    (
        16,
        "11:00",
        "marketing",
        "Avis clients : -10 %",
        400,
        "avis",
        "{name}, donnez-nous votre avis et recevez -10 % sur votre prochain achat : {link} "
        "STOP 36111",
    ),
    (
        11,
        "17:00",
        "marketing",
        "Avant-première clients fidèles",
        720,
        "avant-premiere",
        "{name}, en avant-première : nos offres de fin d'année vous attendent. {link} STOP 36111",
    ),
    (
        3,
        "10:00",
        "marketing",
        "Dernières pièces",
        880,
        "",
        "{name}, dernières pièces disponibles à prix doux en boutique. STOP 36111",
    ),
]
HISTORY_DAYS = 90
# The prefixes of extra numbers, by operator, and each operator's share.
OPERATOR_PREFIXES = [
    (0.36, ["607", "630", "638", "642", "645", "670", "672", "675", "678", "680", "686", "770"]),
    (0.22, ["601", "603", "609", "610", "620", "626", "634", "750", "775", "778"]),
    (0.20, ["650", "658", "660", "664", "665", "667", "668", "698", "760"]),
    (0.18, ["695", "766", "768", "769", "781", "782", "783"]),
    (0.04, ["605", "641", "751", "752"]),  # virtual operators
]
# API messages per local hour (relative weights): heavier in business hours.
API_HOURS = [1, 1, 0.5, 0.5, 0.5, 1, 2, 4, 7, 9, 10, 10, 9, 9, 10, 10, 9, 8, 7, 5, 4, 3, 2, 1.5]
PACK_CREDITS = 10000  # the pack the account buys when its credits run low


def _extra_numbers(rng, count: int) -> list[str]:
    """Distinct French mobile numbers spread over the operators (not the contacts')."""
    weights = [share for share, _prefixes in OPERATOR_PREFIXES]
    numbers: set[str] = set()
    while len(numbers) < count:
        prefixes = rng.choices(OPERATOR_PREFIXES, weights)[0][1]
        numbers.add(f"+33{rng.choice(prefixes)}{rng.randrange(1_000_000):06d}")
    return sorted(numbers)


def _fate(rng, at, now) -> tuple[str, object, object, str]:
    """(status, submitted_at, final_at, error_code) of a message sent at `at`: mostly
    delivered within seconds, a few not; still submitted when its report is not due."""
    import datetime

    second = datetime.timedelta(seconds=1)
    r = rng.random()
    if r < 0.008:  # never left: refunded
        return "failed", None, at, "invalid_destination"
    if r < 0.013:  # no answer from the carrier
        return "unknown", None, at + 30 * second, "timeout"
    if r < 0.033:
        status, final, error = "undelivered", at + rng.uniform(5, 900) * second, "absent"
    elif r < 0.043:
        status, final, error = "expired", at + rng.uniform(24, 48) * 3600 * second, "expired"
    elif r < 0.05:  # refunded
        status, final, error = "rejected", at + rng.uniform(1, 20) * second, "rejected"
    else:
        delay = rng.uniform(60, 1800) if rng.random() < 0.05 else 2 + rng.expovariate(1 / 10)
        status, final, error = "delivered", at + delay * second, ""
    if final > now:
        return "submitted", at, None, ""
    return status, at, final, error


def _black_friday_day(now, tz):
    """The local day of the demo's Black Friday: last week's Friday (7-13 days ago)."""
    import datetime

    day = now.astimezone(tz).date() - datetime.timedelta(days=7)
    return day - datetime.timedelta(days=(day.weekday() - 4) % 7)


def _uuid(rng):
    import uuid

    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _message(rng, account, at, now, price, body: str) -> dict:
    """The columns of a message sent at `at` (its fate drawn by _fate)."""
    from smsmode.sms.encoding import count_segments

    encoding, segments = count_segments(body)
    status, submitted_at, final_at, error = _fate(rng, at, now)
    public_id = _uuid(rng)
    return {
        "public_id": public_id,
        "account_id": account.pk,
        "sender": account.default_sender_id,
        "body": body,
        "encoding": encoding,
        "segments": segments,
        "cost": price * segments,
        "status": status,
        "provider_id": f"demo-{public_id.hex[:20]}" if submitted_at else "",
        "error_code": error,
        "attempts": 0 if status == "failed" else 1,
        "claimed_at": at,
        "submitted_at": submitted_at,
        "final_at": final_at,
        "created_at": at,
    }


def _insert_rows(model, rows: list[dict]) -> None:
    """Insert rows (attribute name: value; the other columns get their field's
    default, uuid4 included): COPY on PostgreSQL, one prepared INSERT on SQLite. Many
    times faster than bulk_create for tens of thousands of rows; keeps created_at."""
    import datetime
    from operator import itemgetter

    from django.db import connection, models
    from django.db.models.fields import NOT_PROVIDED

    from smsmode.sms.numbers import operator_of

    if not rows:
        return
    if model._meta.model_name == "message":
        for row in rows:
            row.setdefault("operator", operator_of(row["phone"]))
    given = {name for row in rows for name in row}
    fields = [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key
        and (field.attname in given or field.has_default() or field.db_default is NOT_PROVIDED)
    ]
    drawn = [(f.attname, f.default) for f in fields if f.has_default() and callable(f.default)]
    fixed = {f.attname: f.get_default() for f in fields if f.attname not in dict(drawn)}
    pick = itemgetter(*[field.attname for field in fields])
    vendor = connection.vendor
    utc = datetime.UTC
    moments = {i for i, f in enumerate(fields) if isinstance(f, models.DateTimeField)}
    uuids = {i for i, f in enumerate(fields) if isinstance(f, models.UUIDField)}

    def sqlite_value(index: int, value):  # what the ORM writes: hex UUIDs, naive UTC
        if value is None:
            return None
        if index in moments:
            return str(value.astimezone(utc).replace(tzinfo=None))
        if index in uuids:
            return value.hex
        return value

    special = sorted(moments | uuids)
    data = []
    for row in rows:
        full = {**fixed, **{name: make() for name, make in drawn if name not in row}, **row}
        values = pick(full)
        if vendor != "postgresql" and special:
            values = list(values)
            for index in special:
                values[index] = sqlite_value(index, values[index])
        data.append(values)
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for values in data:
                    copy.write_row(values)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", data)  # noqa: S608


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
            self._team(account)
            self._contacts(account, user)
            self._imports(account, user)
            # Three months of sends first: their credits come before this week's.
            self._history(account, user)
            if not account.orders.filter(provider_ref__startswith="demo-transfer").exists():
                # Orders and ledger rows keep the wording of the language they were
                # made in: the demo company works in French.
                with translation.override(account.language):
                    self._billing_history(account, user)
            self._campaigns(account, user)
            self._short_links(account, user)
            self._landing_page(account, user)
            # The dashboard's aggregates, from the messages and clicks just made.
            stats.rebuild(account)
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

        if account.campaigns.filter(name="Black Friday").exists():
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
        # Last week's Friday (7 to 13 days ago) at 10:00: marketing goes out on
        # weekdays in the daytime.
        from zoneinfo import ZoneInfo

        tz = ZoneInfo(account.time_zone or "Europe/Paris")
        day = _black_friday_day(now, tz)
        week_ago = datetime.datetime.combine(day, datetime.time(10), tzinfo=tz)
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
        local = now.astimezone(tz)
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

    def _history(self, account: Account, owner: User) -> None:
        """Three months of sends before the demo's own campaigns (see HISTORY), with
        their clicks and their credits (packs bought as needed). Idempotent."""
        import datetime
        import random
        from decimal import Decimal
        from zoneinfo import ZoneInfo

        from django.utils import timezone

        from smsmode.billing.models import CreditLedgerEntry

        if account.campaigns.filter(name__in=[spec[3] for spec in HISTORY]).exists():
            return
        rng = random.Random(90)
        now = timezone.now()
        tz = ZoneInfo(account.time_zone or "Europe/Paris")
        price = account.plan.credits_per_segment.quantize(Decimal("0.01"))
        contacts = list(account.contacts.order_by("pk").values_list("pk", "phone", "first_name"))
        opted_out = set(account.optouts.values_list("phone", flat=True))
        pool = _extra_numbers(rng, max(spec[4] for spec in HISTORY) + 300)
        events: list[tuple] = []  # the credits: (at, amount, kind, description)
        for spec in HISTORY:
            events += self._history_campaign(
                account, owner, spec, rng, now, tz, price, contacts, opted_out, pool
            )
        events += self._history_api(account, rng, now, tz, price, contacts, pool)
        start = now - datetime.timedelta(days=HISTORY_DAYS + 3)
        self._history_ledger(account, owner, events, rng)
        # The account (and its free credits) from before its first send.
        Account.objects.filter(pk=account.pk, created_at__gt=start).update(created_at=start)
        CreditLedgerEntry.objects.filter(
            account=account, kind=LedgerKind.SIGNUP_GIFT, created_at__gt=start
        ).update(created_at=start)

    def _history_campaign(
        self, account, owner, spec, rng, now, tz, price, contacts, opted_out, pool
    ) -> list[tuple]:
        """One past campaign: its messages, their links and clicks, its figures.
        Returns its credit movements."""
        import datetime

        from campaigns.models import Campaign, Message
        from campaigns.services import LINK_LIFETIME
        from shortener.models import Click, ShortLink
        from shortener.tracking import draw_codes, short_url_for

        days, hhmm, kind, name, extra, path, text = spec
        allowed = (1, 2, 3, 4, 5) if kind == "marketing" else (0, 1, 2, 3, 4, 5)
        day = now.astimezone(tz).date() - datetime.timedelta(days=days)
        while day.weekday() not in allowed or day == _black_friday_day(now, tz):
            day -= datetime.timedelta(days=1)
        hour, minute = map(int, hhmm.split(":"))
        launch = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=tz)
        launch = launch.astimezone(datetime.UTC)
        if kind == "marketing":
            people = [c for c in contacts if c[1] not in opted_out]
        else:
            people = rng.sample(contacts, len(contacts) // 3)
        recipients = people + [(None, phone, "") for phone in rng.sample(pool, extra)]
        rng.shuffle(recipients)
        campaign = Campaign.objects.create(
            account=account,
            created_by=owner,
            name=name,
            kind=kind,
            body=text.replace("{name}", "{first_name|Bonjour}").replace(
                "{link}", f"https://demo-boutique.example/{path}"
            ),
        )
        if kind == "marketing":
            campaign.lists.set(account.lists.exclude(name__startswith="Salon"))
        codes = draw_codes(len(recipients)) if path else []
        click_rate = rng.uniform(0.12, 0.25)
        rate = rng.uniform(30, 60)  # messages per second
        second = datetime.timedelta(seconds=1)
        messages, clicks_of = [], []
        for index, (contact_id, phone, first_name) in enumerate(recipients):
            at = launch + (index / rate + rng.random()) * second
            link = short_url_for(codes[index]) if path else ""
            message = _message(
                rng, account, at, now, price, text.format(name=first_name or "Bonjour", link=link)
            )
            message.update(campaign_id=campaign.pk, contact_id=contact_id, kind=kind, phone=phone)
            times = []
            if path and message["status"] == "delivered" and rng.random() < click_rate:
                wait = rng.expovariate(1 / 40) if rng.random() < 0.7 else rng.uniform(60, 4320)
                times = [message["final_at"] + wait * 60 * second]
                if rng.random() < 0.3:  # came back later
                    times.append(times[0] + rng.uniform(1, 30) * 3600 * second)
                times = [t for t in times if t < now]
                message["clicked_at"] = times[0] if times else None
            messages.append(message)
            clicks_of.append(times)
        _insert_rows(Message, messages)
        links, clicks = [], []
        if path:
            ids = dict(Message.objects.filter(campaign=campaign).values_list("public_id", "pk"))
            target = (
                f"https://demo-boutique.example/{path}?utm_source=sms&utm_campaign={campaign.pk}"
            )
            for code, message, times in zip(codes, messages, clicks_of, strict=True):
                links.append(
                    {
                        "account_id": account.pk,
                        "code": code,
                        "target_url": target,
                        "expires_at": launch + LINK_LIFETIME,
                        "campaign_id": campaign.pk,
                        "message_id": ids[message["public_id"]],
                        "clicks": len(times),
                        "unique_clicks": int(bool(times)),
                        "bot_clicks": int(rng.random() < 0.03),
                        "last_click_at": times[-1] if times else None,
                        "created_at": launch,
                    }
                )
            _insert_rows(ShortLink, links)
            link_ids = dict(ShortLink.objects.filter(campaign=campaign).values_list("code", "pk"))
            for link, message, times in zip(links, messages, clicks_of, strict=True):
                link_id = link_ids[link["code"]]
                visitor = f"demo-{message['public_id'].hex[:16]}"
                agent = rng.choice(["Mozilla/5.0 (iPhone)", "Mozilla/5.0 (Linux; Android 14)"])
                for index, at in enumerate(times):
                    clicks.append(
                        {
                            "event_id": _uuid(rng),
                            "link_id": link_id,
                            "at": at,
                            "is_unique": index == 0,
                            "visitor": visitor,
                            "user_agent": agent,
                        }
                    )
                if link["bot_clicks"]:  # a link preview fetched by a messaging app
                    clicks.append(
                        {
                            "event_id": _uuid(rng),
                            "link_id": link_id,
                            "at": (message["submitted_at"] or message["final_at"]) + 30 * second,
                            "is_bot": True,
                            "visitor": "demo-preview",
                            "user_agent": "WhatsApp/2.23.20.0 A",
                        }
                    )
            _insert_rows(Click, clicks)
        total = sum(m["segments"] for m in messages)
        refunded = sum(m["cost"] for m in messages if m["status"] in ("failed", "rejected"))
        done = max(m["submitted_at"] or m["final_at"] for m in messages)
        Campaign.objects.filter(pk=campaign.pk).update(
            status=Campaign.Status.SENT,
            scheduled_at=launch,
            launched_at=launch,
            completed_at=done,
            recipients=len(messages),
            segments=total,
            excluded_opted_out=len(contacts) - len(people) if kind == "marketing" else 0,
            credits_reserved=price * total,
            credits_refunded=refunded,
            tracked_links=len(links),
            clicks=sum(1 for click in clicks if not click.get("is_bot")),
            clickers=sum(1 for times in clicks_of if times),
            created_at=launch - datetime.timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 5)),
        )
        events = [(launch, -price * total, LedgerKind.RESERVATION, f"Campagne : {name}")]
        if refunded:
            events.append(
                (
                    done + datetime.timedelta(minutes=5),
                    refunded,
                    LedgerKind.REFUND,
                    f"Campagne : {name}, messages non distribués",
                )
            )
        return events

    def _history_api(self, account, rng, now, tz, price, contacts, pool) -> list[tuple]:
        """Order, pick-up and appointment notifications and login codes sent through
        the API, every day at all hours (more in business hours). Returns the credits:
        one row a day (the API reserves each message's credits; summed here)."""
        import datetime

        from campaigns.models import ApiFlow, Message

        today = now.astimezone(tz).date()
        order = 41_200
        messages, events = [], []
        for days in range(HISTORY_DAYS - 1, -1, -1):
            day = today - datetime.timedelta(days=days)
            volume = {5: 0.8, 6: 0.4}.get(day.weekday(), 1) * rng.uniform(0.7, 1.3)
            hours = sorted(rng.choices(range(24), API_HOURS, k=int(60 * volume)))
            charged, count, last = 0, 0, None
            for hour in hours:
                local = datetime.time(hour, rng.randrange(60), rng.randrange(60))
                at = datetime.datetime.combine(day, local, tzinfo=tz).astimezone(datetime.UTC)
                if at > now - datetime.timedelta(minutes=1):
                    continue
                contact_id, phone = None, rng.choice(pool)
                if rng.random() < 0.4:
                    contact_id, phone, _first = rng.choice(contacts)
                order += rng.randint(1, 3)
                r = rng.random()
                flow = ApiFlow.TRANSACTIONAL
                if r < 0.45:
                    body = (
                        f"Demo Boutique : votre commande n°{order} a été expédiée. Suivez "
                        f"votre colis : https://demo-boutique.example/suivi/{order}"
                    )
                elif r < 0.75:
                    flow = ApiFlow.OTP
                    body = (
                        f"{rng.randrange(10**6):06d} est votre code de connexion Demo "
                        "Boutique. Il expire dans 10 minutes."
                    )
                elif r < 0.9:
                    body = (
                        f"Demo Boutique : votre commande n°{order} est prête. Retrait rue de "
                        "Rivoli, du lundi au samedi de 10h à 19h30."
                    )
                else:
                    body = (
                        "Rappel : votre rendez-vous retouches est demain à "
                        f"{rng.randint(10, 18)}h. Pour le déplacer, appelez le 01 44 55 66 77."
                    )
                message = _message(rng, account, at, now, price, body)
                if message["status"] == "delivered" and now - at < datetime.timedelta(minutes=15):
                    message.update(status="submitted", final_at=None)  # its report is on its way
                message.update(
                    contact_id=contact_id,
                    kind="notification",
                    phone=phone,
                    api_flow=flow,
                    ref_client=f"CMD-{order}" if flow != ApiFlow.OTP else "",
                    created_at=at,
                )
                messages.append(message)
                count += 1
                last = at
                if message["status"] not in ("failed", "rejected"):
                    charged += message["segments"]
            if count:
                events.append(
                    (
                        last + datetime.timedelta(seconds=1),
                        -price * charged,
                        LedgerKind.RESERVATION,
                        f"SMS API du {day:%d/%m} : {count} SMS",
                    )
                )
        _insert_rows(Message, messages)
        return events

    def _history_ledger(self, account, owner, events: list[tuple], rng) -> None:
        """The credit movements in date order, a pack of credits bought by bank
        transfer the day before they would run low; dated when they happened."""
        import datetime
        from zoneinfo import ZoneInfo

        from smsmode.billing.models import CreditLedgerEntry

        tz = ZoneInfo(account.time_zone or "Europe/Paris")
        balance = Account.objects.get(pk=account.pk).credit_balance
        entries, previous = [], None
        with translation.override(account.language):
            for at, amount, kind, description in sorted(events, key=lambda event: event[0]):
                if amount < 0 and balance + amount < 1000:
                    bought = (at - datetime.timedelta(days=1)).astimezone(tz)
                    bought = bought.replace(hour=rng.randint(9, 17), minute=rng.randrange(60))
                    if previous is not None and not previous < bought < at:
                        bought = previous + (at - previous) / 2
                    entries.append((self._pack_bought(account, owner, bought), bought))
                    balance += PACK_CREDITS
                entry = credits_add(
                    account_id=account.pk, amount=amount, kind=kind, description=description
                )
                entries.append((entry, at))
                balance += amount
                previous = at
        for entry, at in entries:
            entry.created_at = at
        CreditLedgerEntry.objects.bulk_update([entry for entry, _at in entries], ["created_at"])

    def _pack_bought(self, account, owner, at):
        """A credit pack ordered and paid at `at` (its invoice numbered in that year)."""
        from zoneinfo import ZoneInfo

        from django.conf import settings

        from smsmode.billing.models import CreditLedgerEntry, InvoiceCounter, Order

        order = order_create_credits(
            account=account, pack=CreditPack.objects.get(credits=PACK_CREDITS), by=owner
        )
        invoice = order.invoice
        year = at.astimezone(ZoneInfo(settings.BILLING_TIME_ZONE)).year
        if year != invoice.year:  # give the number back, take one of the right year
            InvoiceCounter.objects.filter(year=invoice.year).update(last=invoice.sequence - 1)
            counter, _made = InvoiceCounter.objects.get_or_create(year=year)
            counter.last += 1
            counter.save(update_fields=["last"])
            invoice.year, invoice.sequence = year, counter.last
            invoice.number = f"{year}-{counter.last:06d}"
        invoice.issued_at = at
        invoice.save(update_fields=["year", "sequence", "number", "issued_at"])
        order_mark_paid(order_id=order.pk, provider_ref=f"demo-history-{at:%Y%m%d}")
        Order.objects.filter(pk=order.pk).update(created_at=at, paid_at=at)
        return CreditLedgerEntry.objects.filter(account=account).latest("pk")
