"""Offers can be scheduled back to back (contract §5): the unique "one active offer per
merchant" index gives way to a rule the database enforces on dates, and offers gain
``max_cashback_per_purchase``.

The rule is a trigger, not an exclusion constraint: ``EXCLUDE USING gist (merchant_id
WITH =, daterange(...) WITH &&)`` needs the ``btree_gist`` extension, which the embedded
PostgreSQL (``pgserver``) does not ship. The trigger takes a transaction-scoped advisory
lock per merchant, so two transactions adding overlapping offers are decided one after
the other, and raises SQLSTATE 23P01 (exclusion_violation, an ``IntegrityError``) naming
``offer_active_dates_do_not_overlap``. Existing rows had at most one active offer per
merchant, so none overlap.
"""

from decimal import Decimal

from django.db import migrations, models

CREATE = """
CREATE FUNCTION offer_active_dates_do_not_overlap() RETURNS trigger AS $$
BEGIN
  IF NEW.status = 'active' THEN
    PERFORM pg_advisory_xact_lock(hashtextextended('offer-dates:' || NEW.merchant_id::text, 0));
    IF EXISTS (
      SELECT 1 FROM offers_offer AS o
      WHERE o.merchant_id = NEW.merchant_id AND o.status = 'active' AND o.id <> NEW.id
        AND daterange(o.start_date, o.end_date, '[]') && daterange(NEW.start_date, NEW.end_date, '[]')
    ) THEN
      RAISE EXCEPTION 'An active offer of merchant % overlaps % to %', NEW.merchant_id, NEW.start_date, NEW.end_date
        USING ERRCODE = '23P01', CONSTRAINT = 'offer_active_dates_do_not_overlap';
    END IF;
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER offer_active_dates_do_not_overlap
BEFORE INSERT OR UPDATE OF status, start_date, end_date, merchant_id ON offers_offer
FOR EACH ROW EXECUTE FUNCTION offer_active_dates_do_not_overlap();
"""

DROP = """
DROP TRIGGER IF EXISTS offer_active_dates_do_not_overlap ON offers_offer;
DROP FUNCTION IF EXISTS offer_active_dates_do_not_overlap();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("merchants", "0001_initial"),
        ("offers", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="offer", name="offer_one_active_per_merchant"),
        migrations.RunSQL(CREATE, reverse_sql=DROP),
        migrations.AddField(
            model_name="offer",
            name="max_cashback_per_purchase",
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True),
        ),
        migrations.AddConstraint(
            model_name="offer",
            constraint=models.CheckConstraint(
                condition=models.Q(("max_cashback_per_purchase__isnull", True))
                | models.Q(("max_cashback_per_purchase__gt", Decimal("0"))),
                name="offer_max_per_purchase_positive",
            ),
        ),
    ]
