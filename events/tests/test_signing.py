"""Our signatures against the Standard Webhooks test vector and reference library."""

from standardwebhooks import Webhook

from events.signing import secret_generate, signature, signed_headers

# The example of the Standard Webhooks specification.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
PAYLOAD = b'{"test": 2432232314}'
EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_specifications_example_signs_as_published():
    assert signature(secret=SECRET, msg_id=MSG_ID, timestamp=TIMESTAMP, body=PAYLOAD) == EXPECTED


def test_the_reference_library_signs_the_same():
    from datetime import UTC, datetime

    reference = Webhook(SECRET).sign(MSG_ID, datetime.fromtimestamp(TIMESTAMP, tz=UTC), PAYLOAD.decode())
    assert reference == EXPECTED


def test_a_new_secret_verifies_with_the_reference_library():
    import time

    secret = secret_generate()
    assert secret.startswith("whsec_")
    now = int(time.time())
    headers = signed_headers(secret=secret, msg_id="evt_1", timestamp=now, body=b'{"a":1}')
    assert Webhook(secret).verify(b'{"a":1}', headers) == {"a": 1}
