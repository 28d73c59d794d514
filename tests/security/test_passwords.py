"""Password policy (GB/T 22239-2019 8.1.4.1 a) and Argon2id hashing."""

from __future__ import annotations

import pytest

from onemap.errors import InputError
from onemap.security.passwords import check_policy, hash_password, policy_failures, verify_password
from onemap.security.settings import SecuritySettings


@pytest.mark.parametrize(("password", "failures"), [
    ("Ab1!", ["长度至少 8 位"]),
    ("abcdefgh1", ["至少包含大写字母、小写字母、数字、特殊字符中的三类"]),
    ("ABCDEFGH!", ["至少包含大写字母、小写字母、数字、特殊字符中的三类"]),
    ("xZhangSan1!", ["不得包含用户名"]),
    ("zhangsan", ["至少包含大写字母、小写字母、数字、特殊字符中的三类", "不得包含用户名"]),
    ("ab", ["长度至少 8 位", "至少包含大写字母、小写字母、数字、特殊字符中的三类"]),
    ("Lantu#2035", []),
    ("lantu#2035", []),  # three classes are enough
    ("规划一张图Ab1", []),  # non-ASCII counts towards length, not towards a class
])
def test_policy_rules(password: str, failures: list[str]) -> None:
    assert policy_failures(password, "zhangsan") == failures


def test_check_policy_lists_every_failure_in_chinese() -> None:
    with pytest.raises(InputError) as caught:
        check_policy("zhangsan", "ZhangSan", settings=SecuritySettings(_env_file=None))
    assert caught.value.message_zh.startswith("口令不符合安全策略")
    assert "三类" in caught.value.message_zh and "用户名" in caught.value.message_zh
    assert "zhangsan" not in caught.value.log  # the log never carries the password


def test_minimum_length_follows_settings() -> None:
    strict = SecuritySettings(_env_file=None, password_min_length=12)
    with pytest.raises(InputError, match="长度至少 12 位"):
        check_policy("Lantu#2035", "alice", settings=strict)
    check_policy("Lantu#2035ok", "alice", settings=strict)


def test_hash_is_argon2id_salted_and_verifies() -> None:
    first, second = hash_password("Lantu#2035"), hash_password("Lantu#2035")
    assert first.startswith("$argon2id$v=19$m=")
    assert first != second
    assert verify_password("Lantu#2035", first)[0]
    assert not verify_password("Lantu#2036", first)[0]


@pytest.mark.parametrize("password", ["P@ssw0rd", "Admin@123", "Qwerty123!", "Aa123456", "woaini1314", "WOAINI1314",
                                      "1qaz@WSX", "Huawei@123", "Abc@1234"])
def test_common_passwords_are_refused_whatever_their_case(password: str) -> None:
    assert "不得使用常见口令(如 P@ssw0rd、Admin@123)" in policy_failures(password, "zhangsan")


def test_common_password_list_is_a_data_file_of_a_few_hundred() -> None:
    from onemap.security.passwords import COMMON_PASSWORDS, common_passwords

    listed = common_passwords()
    assert COMMON_PASSWORDS.suffix == ".txt" and 300 <= len(listed) <= 2000
    assert all(p == p.lower() and p.strip() == p and not p.startswith("#") for p in listed)
    # Most would pass the length and class rules on their own: the list is what refuses them.
    passing = [p for p in listed if policy_failures(p, "") == ["不得使用常见口令(如 P@ssw0rd、Admin@123)"]]
    assert len(passing) >= 100
