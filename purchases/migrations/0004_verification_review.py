from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("purchases", "0003_partner_reporting"),
    ]

    operations = [
        migrations.AddField(
            model_name="purchase",
            name="ingest_request_id",
            field=models.CharField(blank=True, default="", max_length=128),
        ),
        migrations.AddField(
            model_name="purchase",
            name="last_verification_error",
            field=models.CharField(blank=True, default="", max_length=255),
        ),
        migrations.AddField(
            model_name="purchase",
            name="review_since",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="purchase",
            name="verification_errors",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name="purchase",
            index=models.Index(
                condition=models.Q(("review_since__isnull", False), ("status", "pending")),
                fields=["review_since"],
                name="purchase_in_review",
            ),
        ),
        migrations.CreateModel(
            name="PurchaseInReview",
            fields=[],
            options={
                "verbose_name": "purchase in review",
                "verbose_name_plural": "review queue (verifier errors)",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("purchases.purchase",),
        ),
    ]
