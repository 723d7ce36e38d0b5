"""Entry module of production worker processes: ``dramatiq workers.app``.

Chooses the broker from BROKER_URL, adds the asyncio and Tortoise middleware, and
binds every actor to it (``loyalty worker`` runs this for you).
"""

from domain.config import get_settings
from workers.broker import production_broker

broker = production_broker(get_settings())
