import uuid

import pytest
from django.db import IntegrityError

from clicknback.audit.services import SYSTEM
from clicknback.flags.models import FeatureFlag, ScopeType
from clicknback.flags.services import flag_evaluate, flag_set
from tests.support.race import run_together


@pytest.mark.django_db
def test_evaluate_keeps_its_signature_and_fail_open_default():
    # when / then
    assert flag_evaluate(key="nothing_here") is True
    assert flag_evaluate(key="nothing_here", scope_type=ScopeType.USER, scope_id=uuid.uuid4()) is True


@pytest.mark.django_db
def test_database_allows_one_global_flag_per_key():
    # given
    FeatureFlag.objects.create(key="dup", enabled=True)
    # when / then
    with pytest.raises(IntegrityError):
        FeatureFlag.objects.create(key="dup", enabled=False)


@pytest.mark.django_db
def test_flag_set_with_description_none_keeps_it_and_empty_string_clears_it():
    # given
    flag_set(key="f", enabled=True, description="first", actor=SYSTEM)
    # when
    kept = flag_set(key="f", enabled=False, actor=SYSTEM)
    cleared = flag_set(key="f", enabled=False, description="", actor=SYSTEM)
    # then
    assert kept.description == "first"
    assert cleared.description == ""


@pytest.mark.django_db(transaction=True)
def test_concurrent_puts_of_one_new_flag_create_a_single_row():
    # given
    def put(index):
        return flag_set(key="racy_flag", enabled=index % 2 == 0, actor=SYSTEM)

    # when
    results = run_together(4, put)
    # then
    assert [result for result in results if isinstance(result, BaseException)] == []
    assert FeatureFlag.objects.filter(key="racy_flag").count() == 1


@pytest.mark.parametrize("key", ["purchase_auto_confirm\n", "a\nb", " key", "key\x00"])
def test_a_key_is_refused_unless_all_of_it_matches_the_pattern(key):
    from clicknback.errors import ValidationFailed
    from clicknback.flags.services import flag_validate_key

    with pytest.raises(ValidationFailed):
        flag_validate_key(key=key)
