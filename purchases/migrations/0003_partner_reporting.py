"""Partner reporting (contract §6, §13): purchase date, returns, status reason, partner.

Existing rows get ``purchased_at`` = their ingestion time (user ingestion's rule), on
the purchase and on its cashback row; ``returned_amount`` 0.00; the rejection reason
becomes ``status_reason``.
"""

import uuid
from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("merchants", "0001_initial"),
        ("offers", "0001_initial"),
        ("partners", "0001_initial"),
        ("purchases", "0002_initial"),
    ]

    operations = [
        migrations.RenameField(model_name="purchase", old_name="rejection_reason", new_name="status_reason"),
        migrations.AlterField(
            model_name="purchase",
            name="status_reason",
            field=models.CharField(blank=True, default="", max_length=500),
        ),
        migrations.AddField(
            model_name="purchase",
            name="purchased_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name="cashbacktransaction",
            name="purchased_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunSQL(
            sql=[
                "UPDATE purchases_purchase SET purchased_at = created_at",
                "UPDATE purchases_cashbacktransaction c SET purchased_at = p.purchased_at "
                "FROM purchases_purchase p WHERE p.id = c.purchase_id",
            ],
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AlterField(model_name="purchase", name="purchased_at", field=models.DateTimeField()),
        migrations.AlterField(model_name="cashbacktransaction", name="purchased_at", field=models.DateTimeField()),
        migrations.AddField(
            model_name="purchase",
            name="returned_amount",
            field=models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=14),
        ),
        migrations.AddField(
            model_name="cashbacktransaction",
            name="returned_amount",
            field=models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=14),
        ),
        migrations.AddField(
            model_name="purchase",
            name="partner",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="purchases",
                to="partners.partner",
            ),
        ),
        migrations.RemoveIndex(model_name="cashbacktransaction", name="cashback_user_offer_month"),
        migrations.AddIndex(
            model_name="cashbacktransaction",
            index=models.Index(fields=["user", "offer", "purchased_at"], name="cashback_user_offer_month"),
        ),
        migrations.AddIndex(
            model_name="purchase",
            index=models.Index(fields=["partner", "updated_at"], name="purchase_partner_updated"),
        ),
        migrations.AddConstraint(
            model_name="purchase",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("returned_amount__gte", Decimal("0")), ("returned_amount__lte", models.F("amount"))
                ),
                name="purchase_returned_within_amount",
            ),
        ),
        migrations.AddConstraint(
            model_name="cashbacktransaction",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("returned_amount__gte", Decimal("0")), ("returned_amount__lte", models.F("amount"))
                ),
                name="cashback_returned_within_amount",
            ),
        ),
        migrations.CreateModel(
            name="PurchaseReturn",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("return_id", models.CharField(max_length=255)),
                ("amount", models.DecimalField(decimal_places=2, max_digits=14)),
                ("currency", models.CharField(default="EUR", max_length=3)),
                ("cashback_taken", models.DecimalField(decimal_places=2, max_digits=14)),
                ("full", models.BooleanField(default=False)),
                ("reason", models.CharField(blank=True, default="", max_length=500)),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                (
                    "purchase",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="returns", to="purchases.purchase"
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "constraints": [
                    models.UniqueConstraint(fields=("purchase", "return_id"), name="purchase_return_id_unique"),
                    models.CheckConstraint(
                        condition=models.Q(("amount__gt", Decimal("0"))), name="purchase_return_amount_positive"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("cashback_taken__gte", Decimal("0"))),
                        name="purchase_return_cashback_non_negative",
                    ),
                ],
            },
        ),
    ]
