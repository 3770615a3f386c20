"""IBANs for tests: published examples whose mod-97 checksums are valid, and broken ones."""

IBAN_DE = "DE89370400440532013000"
IBAN_GB = "GB82WEST12345698765432"
IBAN_FR = "FR1420041010050500013M02606"
IBAN_NL = "NL91ABNA0417164300"
IBAN_BE = "BE68539007547034"
IBAN_NO = "NO9386011117947"
VALID_IBANS = (IBAN_DE, IBAN_GB, IBAN_FR, IBAN_NL, IBAN_BE, IBAN_NO)

# The one most tests use, stored (normalised) and as a person types it.
VALID_IBAN = IBAN_DE
VALID_IBAN_TYPED = "de89 3704 0044 0532 0130 00"

IBAN_BAD_CHECKSUM = "DE89370400440532013001"  # VALID_IBAN with its last digit changed
IBAN_TOO_SHORT = "DE8937040044053201300"  # a German IBAN has 22 characters, this one 21
IBANS_MALFORMED = ("", "1234", "DEXX370400440532013000", "DE89-3704-0044", "DE89370400440532013000ÄÄ")

# The ``details`` of a bank transfer, as a client sends them.
BANK_DETAILS = {"iban": VALID_IBAN_TYPED, "account_holder": "Alice Example"}
