"""The Idempotency-Key row now belongs to its payout and is written in the payout's transaction.

Rows of the previous design carried the first response instead of the payout. Those
whose response names a payout of the same user are linked to it (their replays keep
working); the others were claims whose request never finished and are dropped. The
column becomes required in the next migration (its own transaction, after the foreign
key checks of these updates have run).
"""

import django.db.models.deletion
from django.db import migrations, models

LINK = """
UPDATE payouts_idempotencykey AS k SET payout_id = p.id
FROM payouts_payout AS p
WHERE k.response_body ? 'id' AND p.id::text = k.response_body->>'id' AND p.user_id = k.user_id
"""
DROP_UNLINKED = "DELETE FROM payouts_idempotencykey WHERE payout_id IS NULL"


class Migration(migrations.Migration):
    dependencies = [("payouts", "0002_initial")]

    operations = [
        migrations.AddField(
            model_name="idempotencykey",
            name="payout",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="payouts.payout"
            ),
        ),
        migrations.RunSQL(LINK, migrations.RunSQL.noop),
        migrations.RunSQL(DROP_UNLINKED, migrations.RunSQL.noop),
    ]
