"""Signing keys, refresh-token families and OTP challenges."""

from tortoise import fields, models


class SigningKey(models.Model):
    """An Ed25519 JWT key. The newest non-retired key signs, and all non-retired keys verify."""

    kid = fields.CharField(max_length=32, primary_key=True)
    algorithm = fields.CharField(max_length=16, default="EdDSA")
    public_pem = fields.TextField()
    private_enc = fields.TextField()  # PKCS8 PEM encrypted with the data key
    created_at = fields.DatetimeField()
    retired_at = fields.DatetimeField(null=True)

    class Meta:
        table = "signing_keys"


class RefreshToken(models.Model):
    """One link of a rotating refresh-token chain. Only a hash of the token is kept."""

    id = fields.BigIntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    family = fields.CharField(max_length=32, db_index=True)
    subject = fields.CharField(max_length=64)  # "member:12" / "staff:3"
    issued_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "refresh_tokens"


class OtpChallenge(models.Model):
    id = fields.BigIntField(primary_key=True)
    phone_hash = fields.CharField(max_length=64)
    code_hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    attempts = fields.IntField(default=0)
    consumed_at = fields.DatetimeField(null=True)
    client_ip = fields.CharField(max_length=64, default="")

    class Meta:
        table = "otp_challenges"
        indexes = (("phone_hash", "created_at"),)
