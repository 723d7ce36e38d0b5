"""Fixed demo identities (embedded default only), shared by config and the demo loader."""

DEMO_MEMBER_PHONE = "+8613800138000"
DEMO_SIGN_IN_CODE = "246810"
DEMO_PARTNER_CLIENT_ID = "demo-pos"
DEMO_PARTNER_SCOPES = ("members:read", "members:write", "orders:write", "coupons:redeem")
DEMO_STAFF_PASSWORD = "demo-password-2026"
