import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("payouts", "0003_idempotency_key_with_its_payout")]

    operations = [
        migrations.AlterField(
            model_name="idempotencykey",
            name="payout",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="payouts.payout"),
        ),
        migrations.RemoveField(model_name="idempotencykey", name="response_status"),
        migrations.RemoveField(model_name="idempotencykey", name="response_body"),
    ]
