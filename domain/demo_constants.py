"""Fixed demo identities (embedded default only), shared by config and the demo loader."""

DEMO_MEMBER_PHONE = "+8613800138000"
DEMO_SIGN_IN_CODE = "246810"
DEMO_PARTNER_CLIENT_ID = "demo-pos"
# What a till does: find the member (scan code, card), register one at the counter, show
# their points and orders, post orders and refunds (spending points), redeem coupons.
# Not catalog:write: the catalogue comes from HQ.
DEMO_PARTNER_SCOPES = (
    "members:read",
    "members:write",
    "loyalty:read",
    "orders:read",
    "orders:write",
    "coupons:redeem",
)
DEMO_STAFF_PASSWORD = "demo-password-2026"
