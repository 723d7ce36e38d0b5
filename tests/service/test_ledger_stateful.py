"""A Hypothesis state machine drives earn, retry, redeem, refund, adjust and time (release
and expiry jobs) in random order against the real services, and checks after every
step that the account, the lots and the ledger agree with a plain reference model.

The machine runs in a thread (Hypothesis is synchronous); each step runs on the test's
event loop, where the database connections live.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from domain import clock
from domain.auth.model import Principal, PrincipalKind, Role
from domain.errors import InsufficientPoints
from domain.members import store
from domain.orders import model as om
from domain.orders import refunds
from domain.orders import services as orders
from domain.orders.tables import Order
from domain.partners.tables import PartnerApp
from domain.points import jobs
from domain.points import services as points
from domain.points.model import lot_expiry
from domain.points.tables import EarnRules, LedgerEntry, PointsAccount, PointsCampaign, PointsLot
from domain.points.verify import verify
from domain.tiers.tables import TierState

_phones = itertools.count(1)
STAFF = Principal(kind=PrincipalKind.STAFF, id=1, role=Role.ADMIN)


@dataclass
class Lot:
    order: str | None
    remaining: int
    available_at: object
    expires_at: object
    released: bool = False


class Reference:
    """What the ledger should say, written as plainly as possible."""

    def __init__(self, pending_days: int, extra_years: int) -> None:
        self.lots: list[Lot] = []
        self.balance = self.pending = self.debt = 0
        self.pending_days, self.extra_years = pending_days, extra_years
        self.orders: dict[str, dict] = {}  # external id -> earned, paid, refunded, reversed

    def _spendable(self) -> list[Lot]:
        lots = [lot for lot in self.lots if lot.released and lot.remaining > 0]
        return sorted(lots, key=lambda lot: (lot.expires_at, self.lots.index(lot)))

    def add(self, order: str | None, points: int, at, *, pending: bool = True) -> bool:
        """Credit a lot: an order's points wait out the return window, others do not; a
        lot past its expiry already is earned and expired at once (False: never counted)."""
        available = at + timedelta(days=self.pending_days) if pending else at
        lot = Lot(order, points, available, lot_expiry(at, self.extra_years))
        self.lots.append(lot)
        if lot.expires_at <= clock.now():
            lot.remaining, lot.released = 0, True
            return False
        self.pending += points
        if lot.available_at <= clock.now():
            self.release(lot)
        return True

    def release(self, lot: Lot) -> None:
        self.pending -= lot.remaining
        settle = min(self.debt, lot.remaining)
        self.debt -= settle
        lot.remaining -= settle
        self.balance += lot.remaining
        lot.released = True

    def spend(self, n: int) -> None:
        assert self.balance >= n
        self.balance -= n
        for lot in self._spendable():
            take = min(lot.remaining, n)
            lot.remaining -= take
            n -= take
        assert n == 0

    def tick(self) -> None:
        now = clock.now()
        for lot in self.lots:
            if not lot.released and lot.available_at <= now:
                self.release(lot)
        for lot in self.lots:
            if lot.released and lot.remaining and lot.expires_at <= now:
                self.balance -= lot.remaining
                lot.remaining = 0

    def reverse(self, order: str, points: int) -> None:
        for lot in self.lots:
            if lot.order == order and lot.remaining:
                take = min(lot.remaining, points)
                lot.remaining -= take
                points -= take
                if lot.released:
                    self.balance -= take
                else:
                    self.pending -= take
        for lot in self._spendable():
            take = min(lot.remaining, points)
            lot.remaining -= take
            self.balance -= take
            points -= take
        self.debt += points


class LedgerMachine(RuleBasedStateMachine):
    loop: asyncio.AbstractEventLoop
    rt: object

    def run(self, awaitable):
        async def wait():
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wait(), self.loop).result(timeout=120)

    @initialize()
    def new_member(self) -> None:
        phone = f"+86136{next(_phones):08d}"
        self.member = self.run(store.register(self.rt, store.NewMember(phone, "APP")))
        self.run(_hold_tier(self.member.id))
        self.partner = Principal(kind=PrincipalKind.PARTNER, id=self.run(_partner_id()))
        s = self.rt.settings
        self.model = Reference(s.points_pending_days, s.points_expiry_extra_years)
        self.sent: list[om.OrderIn] = []

    def _order(self, yuan: int, days_ago: int) -> om.OrderIn:
        self.serial = getattr(self, "serial", 0) + 1
        ext = f"SM-{self.member.id}-{self.serial}"
        return om.OrderIn(
            external_id=ext,
            channel="POS",
            store_code="SH01",
            paid_at=clock.now() - timedelta(days=days_ago, minutes=1),
            lines=(om.LineIn("SKU1", 1, yuan * 100),),
            total_paid_fen=yuan * 100,
            member=om.MemberRef(member_id=self.member.id),
        )

    @rule(yuan=st.integers(1, 300), days_ago=st.sampled_from([0, 3, 10, 400, 800]))
    def earn(self, yuan: int, days_ago: int) -> None:
        o = self._order(yuan, days_ago)
        result = self.run(orders.create(self.rt, self.partner, o))
        assert result.points_earned == yuan and not result.replayed
        self.sent.append(o)
        live = self.model.add(o.external_id, yuan, o.paid_at)
        self.model.orders[o.external_id] = {
            "paid": yuan * 100,
            "refunded": 0,
            "reversed": 0,
            "earned": yuan if live else 0,  # an expired-on-arrival lot: nothing to reverse
        }

    @rule(data=st.data())
    def retry(self, data) -> None:
        if not self.sent:
            return
        o = data.draw(st.sampled_from(self.sent))
        result = self.run(orders.create(self.rt, self.partner, o))
        assert result.replayed

    @rule(n=st.integers(1, 400))
    def redeem_at_till(self, n: int) -> None:
        o = self._order(0, 0)
        o = om.OrderIn(**{**vars(o), "lines": (om.LineIn("SKU2", 1, n),), "points_to_redeem": n})
        self.redeemed = getattr(self, "redeemed", 0) + 1
        self._spend(n, lambda: orders.create(self.rt, self.partner, o))

    @rule(n=st.integers(1, 400))
    def adjust_down(self, n: int) -> None:
        self._spend(n, lambda: points.adjust(self.rt, STAFF, self.member.id, -n, "人工扣减测试"))

    def _spend(self, n: int, call) -> None:
        if self.model.balance >= n:
            self.run(call())
            self.model.spend(n)
        else:
            try:
                self.run(call())
            except InsufficientPoints:
                return
            raise AssertionError("overspent")

    @rule(n=st.integers(1, 200))
    def adjust_up(self, n: int) -> None:
        self.run(points.adjust(self.rt, STAFF, self.member.id, n, "补录积分测试"))
        self.model.add(None, n, clock.now(), pending=False)

    @rule(data=st.data(), pct=st.sampled_from([10, 33, 50, 100]))
    def refund(self, data, pct: int) -> None:
        if not self.sent:
            return
        o = data.draw(st.sampled_from(self.sent))
        state = self.model.orders[o.external_id]
        left = state["paid"] - state["refunded"]
        amount = min(left, max(state["paid"] * pct // 100, 1))
        if amount <= 0:
            return
        ref = om.RefundIn(o.external_id, f"{o.external_id}-R{state['refunded']}", amount_fen=amount)
        self.run(refunds.refund(self.rt, self.partner, ref))
        state["refunded"] += amount
        target = (
            state["earned"]
            if state["refunded"] >= state["paid"]
            else state["earned"] * state["refunded"] // state["paid"]
        )
        due, state["reversed"] = target - state["reversed"], target
        if due:
            self.model.reverse(o.external_id, due)

    @rule(days=st.sampled_from([1, 8, 200, 400]))
    def time_passes(self, days: int) -> None:
        clock.advance(timedelta(days=days))
        self.run(jobs.release_due())
        self.run(jobs.expire_due())
        self.model.tick()

    @invariant()
    def agrees_with_the_model(self) -> None:
        if not hasattr(self, "model"):
            return
        acct = self.run(PointsAccount.get_or_none(member_id=self.member.id))
        got = (acct.balance, acct.pending, acct.debt) if acct else (0, 0, 0)
        m = self.model
        assert got == (m.balance, m.pending, m.debt)
        lots = self.run(PointsLot.filter(member_id=self.member.id).order_by("id"))
        assert [lot.remaining for lot in lots] == [lot.remaining for lot in m.lots]
        total = sum(
            self.run(LedgerEntry.filter(member_id=self.member.id).values_list("points", flat=True))
        )
        assert total == m.balance + m.pending
        assert [x for x in self.run(verify()) if x.member_id == self.member.id] == []

    def teardown(self) -> None:
        clock.reset()


async def _hold_tier(member_id: int) -> None:
    """Keep the member off the ladder (a staff override far in the future), so the tier
    actors that the orders trigger never change the points multiplier under the model."""
    now = clock.now()
    await TierState.create(
        member_id=member_id,
        since=now,
        review_at=now,
        override_until=datetime(2100, 1, 1, tzinfo=UTC),
    )


async def _partner_id() -> int:
    return (await PartnerApp.all().order_by("id").first()).id


async def test_ledger_matches_a_reference_model(app, seed, monkeypatch):
    rt = app.state.rt  # orders up to 10 years old: lots that expired before they arrive too
    wide = rt.settings.model_copy(update={"order_backdate_max_days": 3660})
    monkeypatch.setattr(rt, "settings", wide)
    await EarnRules.all().delete()  # default rules: 1 point per yuan, no cap, no exclusions
    await PointsCampaign.all().update(active=False)
    LedgerMachine.loop = asyncio.get_running_loop()
    LedgerMachine.rt = app.state.rt
    budget = settings(
        max_examples=25,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    try:
        await asyncio.to_thread(run_state_machine_as_test, LedgerMachine, settings=budget)
    finally:
        clock.reset()
    assert await Order.filter(external_id__startswith="SM-").exists()
