"""Personal data at rest: a full dump of the database holds no phone number and no
birthday of any member in plain text (pg_dump on PostgreSQL, the file on SQLite)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from domain.members.tables import Member
from tests.conftest import TEST_PHONE, sign_in_by_sms, sign_in_member, sign_in_staff
from tests.factories import REGISTER, new_phone

BIRTHDAYS = ["1988-08-08", "1971-12-30"]


def _dump(settings) -> bytes:
    if settings.database_url.startswith("postgres"):
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            pytest.fail("pg_dump is not installed (postgresql-client)")
        out = subprocess.run(
            [pg_dump, "--data-only", "--inserts", settings.database_url],
            capture_output=True,
            check=True,
            timeout=120,
        )
        return out.stdout
    db = Path(settings.db_url.removeprefix("sqlite://"))
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))  # file, -wal, -shm


async def test_dump_contains_no_plaintext_phone_or_birthday(gql, seed, settings, app):
    await sign_in_member(gql)
    admin = await sign_in_staff(gql, "admin@test.cn")
    phones = [TEST_PHONE]
    for birthday in BIRTHDAYS:
        phone = new_phone()
        r = await admin(REGISTER, {"in": {"phone": phone, "birthday": birthday}})
        assert r["data"]["memberRegister"]["created"] is True
        phones.append(phone)
    sms_phone = new_phone()
    await sign_in_by_sms(gql, sms_phone)  # OTP challenge and SMS message rows too
    phones.append(sms_phone)
    assert await Member.filter(birthday_enc__not_isnull=True).count() >= len(BIRTHDAYS)

    dump = _dump(settings)
    rt = app.state.rt
    for phone in phones:  # the rows are in the dump: their blind indexes are
        assert rt.phone_index(phone).encode() in dump
    for phone in phones:
        national = phone.removeprefix("+86")
        for form in (phone, national, f"{national[:3]} {national[3:7]} {national[7:]}"):
            assert form.encode() not in dump, f"plaintext phone {form} in the dump"
    for birthday in BIRTHDAYS:
        for form in (birthday, birthday.replace("-", ""), birthday.replace("-", "/")):
            assert form.encode() not in dump, f"plaintext birthday {form} in the dump"
